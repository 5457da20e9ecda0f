//! Dist-tags and version details: stored with their version or package and gone with them, written
//! atomically by publish and copy, paged, and readable through the traits alone.

use arca_metadata::{
    CopiedVersion, CopyWrite, OriginRule, PackageDependency, PackageFormat, PublishWrite,
    StoreError, VersionAction, VersionChange, VersionDetails, VersionExpectation, VersionFilter,
    VersionOrder,
};

use super::*;

fn dep(ns: &str, name: &str, req: Option<&str>) -> PackageDependency {
    PackageDependency {
        namespace: ns.into(),
        package: name.into(),
        dependency_type: Some("regular".into()),
        version_requirement: req.map(str::to_string),
    }
}

fn details(n: usize, readme: Option<&str>) -> VersionDetails {
    VersionDetails {
        dependencies: (0..n)
            .map(|i| {
                dep(
                    if i % 2 == 0 { "" } else { "scope" },
                    &format!("d{i}"),
                    Some("^1.0.0"),
                )
            })
            .collect(),
        readme: readme.map(str::to_string),
        deprecated: None,
    }
}

pub async fn details_written_by_publish_read_and_paged(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "", "kit");
    // More dependencies than one insert batch, so positions continue across batches.
    let written = details(1_203, Some("# Kit\n\nHello — ünïcode"));
    let v = store
        .apply_publish(&PublishWrite {
            details: Some(written.clone()),
            ..new_version(
                repo.id,
                &pkg,
                "1.0.0",
                1,
                Some(asset("package.tgz", "k", 3)),
            )
        })
        .await
        .unwrap();
    assert_eq!(store.version_details(v.id).await.unwrap(), written);
    assert_eq!(
        store.version_readme(v.id).await.unwrap().as_deref(),
        Some("# Kit\n\nHello — ünïcode")
    );
    let mut all = Vec::new();
    let mut after = None;
    for _ in 0..MAX_PAGES {
        let page = store.list_dependencies(v.id, after, 500).await.unwrap();
        let done = page.len() < 500;
        after = page.last().map(|(p, _)| *p);
        all.extend(page);
        if done {
            break;
        }
    }
    assert_eq!(all.len(), 1_203);
    assert!(all.iter().enumerate().all(|(i, (p, _))| *p == i as i64));
    assert_eq!(
        all.into_iter().map(|(_, d)| d).collect::<Vec<_>>(),
        written.dependencies
    );

    // A version without details reads as empty; one that does not exist too.
    let bare = publish(&store, repo.id, &pkg, "2.0.0", 2, None).await;
    assert_eq!(
        store.version_details(bare.id).await.unwrap(),
        VersionDetails::default()
    );
    assert_eq!(store.version_readme(bare.id).await.unwrap(), None);
    assert!(store
        .list_dependencies(bare.id, None, 10)
        .await
        .unwrap()
        .is_empty());

    // Replacing through the trait (what a transfer does), and refusing a missing version.
    let other = details(2, None);
    store.set_version_details(bare.id, &other).await.unwrap();
    assert_eq!(store.version_details(bare.id).await.unwrap(), other);
    let missing = store.set_version_details(bare.id + 1_000, &other).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    // A publish into an existing version (another file) keeps the details.
    store
        .apply_publish(&PublishWrite {
            expect: at(&v),
            details: Some(details(1, None)),
            ..new_version(repo.id, &pkg, "1.0.0", 1, Some(asset("other", "o", 1)))
        })
        .await
        .unwrap();
    assert_eq!(store.version_details(v.id).await.unwrap(), written);
}

pub async fn dist_tags_follow_their_versions(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "acme", "kit");
    let v1 = store
        .apply_publish(&PublishWrite {
            dist_tags: vec!["latest".into(), "stable".into()],
            ..new_version(repo.id, &pkg, "1.0.0", 1, None)
        })
        .await
        .unwrap();
    let v2 = store
        .apply_publish(&PublishWrite {
            dist_tags: vec!["beta".into()],
            ..new_version(repo.id, &pkg, "2.0.0-beta.1", 2, None)
        })
        .await
        .unwrap();
    let p = v1.package_id;
    let tags = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(t, v)| (t.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        store.list_dist_tags(p).await.unwrap(),
        tags(&[
            ("beta", "2.0.0-beta.1"),
            ("latest", "1.0.0"),
            ("stable", "1.0.0")
        ])
    );
    store
        .set_dist_tag(p, "latest", "2.0.0-beta.1")
        .await
        .unwrap();
    let missing = store.set_dist_tag(p, "next", "9.9.9").await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert!(store.delete_dist_tag(p, "stable").await.unwrap());
    assert!(!store.delete_dist_tag(p, "stable").await.unwrap());
    assert_eq!(
        store.list_dist_tags(p).await.unwrap(),
        tags(&[("beta", "2.0.0-beta.1"), ("latest", "2.0.0-beta.1")])
    );
    // Tags of a deleted version go with it, and all tags with their package.
    store
        .apply_version_changes(&[VersionChange {
            version_id: v2.id,
            expect_status: v2.status,
            expect_revision: v2.revision.clone(),
            action: VersionAction::Delete,
        }])
        .await
        .unwrap();
    assert!(store.list_dist_tags(p).await.unwrap().is_empty());
    store.set_dist_tag(p, "old", "1.0.0").await.unwrap();
    store.delete_package(p).await.unwrap();
    assert!(store.list_dist_tags(p).await.unwrap().is_empty());
}

pub async fn deprecations_set_clear_and_list(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "", "kit");
    let v1 = store
        .apply_publish(&PublishWrite {
            details: Some(details(1, Some("readme"))),
            ..new_version(repo.id, &pkg, "1.0.0", 1, None)
        })
        .await
        .unwrap();
    let v2 = publish(&store, repo.id, &pkg, "2.0.0", 2, None).await;
    store
        .set_deprecations(&[
            (v1.id, Some("use 2".into())),
            (v2.id, Some("too new".into())),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.package_deprecations(v1.package_id).await.unwrap(),
        vec![
            ("1.0.0".to_string(), "use 2".to_string()),
            ("2.0.0".to_string(), "too new".to_string())
        ]
    );
    // The deprecation leaves the readme and dependencies alone.
    let d1 = store.version_details(v1.id).await.unwrap();
    assert_eq!(
        (
            d1.readme.as_deref(),
            d1.dependencies.len(),
            d1.deprecated.as_deref()
        ),
        (Some("readme"), 1, Some("use 2"))
    );
    // All or nothing: a missing version changes none.
    let missing = store
        .set_deprecations(&[(v2.id, None), (v2.id + 1_000, Some("x".into()))])
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert_eq!(
        store
            .package_deprecations(v1.package_id)
            .await
            .unwrap()
            .len(),
        2
    );
    store.set_deprecations(&[(v2.id, None)]).await.unwrap();
    assert_eq!(
        store.package_deprecations(v1.package_id).await.unwrap(),
        vec![("1.0.0".to_string(), "use 2".to_string())]
    );
}

pub async fn copy_carries_details_and_dist_tags(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let dest = create_repository(&store, &domain, "dest", &[]).await;
    let pkg = key(PackageFormat::Npm, "", "kit");
    seed_blobs(&store, &domain, &[asset("package.tgz", "k", 3)]).await;
    let old = store
        .apply_publish(&PublishWrite {
            details: Some(details(3, Some("old"))),
            dist_tags: vec!["latest".into()],
            ..new_version(dest.id, &pkg, "1.0.0", 1, None)
        })
        .await
        .unwrap();
    let mut carried = details(2, Some("new"));
    carried.deprecated = Some("gone soon".into());
    let copied = |version: &str, expect: VersionExpectation| CopiedVersion {
        version: version.into(),
        expect,
        status: VersionStatus::Published,
        revision: "c".into(),
        published_ms: 5,
        origin: internal(),
        metadata: VersionMetadata::default(),
        assets: vec![asset("package.tgz", "k", 3)],
        details: carried.clone(),
    };
    store
        .apply_copy(&CopyWrite {
            repository_id: dest.id,
            package: pkg.clone(),
            new_package_origin: (OriginRule::Allow, OriginRule::Block),
            versions: vec![
                copied("1.0.0", at(&old)),
                copied("2.0.0", VersionExpectation::Absent),
            ],
            dist_tags: vec![
                ("latest".into(), "2.0.0".into()),
                ("next".into(), "1.0.0".into()),
            ],
        })
        .await
        .unwrap();
    let p = old.package_id;
    for v in ["1.0.0", "2.0.0"] {
        let row = store.get_version(p, v).await.unwrap().unwrap();
        assert_eq!(store.version_details(row.id).await.unwrap(), carried, "{v}");
    }
    assert_eq!(
        store.list_dist_tags(p).await.unwrap(),
        vec![
            ("latest".to_string(), "2.0.0".to_string()),
            ("next".to_string(), "1.0.0".to_string())
        ]
    );
    // A tag naming a version that is neither copied nor there fails the whole copy.
    let bad = store
        .apply_copy(&CopyWrite {
            repository_id: dest.id,
            package: pkg.clone(),
            new_package_origin: (OriginRule::Allow, OriginRule::Block),
            versions: vec![copied("3.0.0", VersionExpectation::Absent)],
            dist_tags: vec![("x".into(), "4.0.0".into())],
        })
        .await;
    assert!(matches!(bad, Err(StoreError::NotFound)), "{bad:?}");
    assert!(store.get_version(p, "3.0.0").await.unwrap().is_none());
}

pub async fn requires_python_is_kept_per_asset(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Pypi, "", "lib");
    let mut wheel = asset("lib-1.0-py3-none-any.whl", "w", 3);
    wheel.requires_python = Some(">=3.8, <4".into());
    let v = publish(&store, repo.id, &pkg, "1.0", 1, Some(wheel.clone())).await;
    let sdist = asset("lib-1.0.tar.gz", "s", 3);
    store
        .apply_publish(&PublishWrite {
            expect: at(&v),
            ..new_version(repo.id, &pkg, "1.0", 1, Some(sdist.clone()))
        })
        .await
        .unwrap();
    assert_eq!(
        store.version_assets(v.id).await.unwrap(),
        vec![wheel.clone(), sdist]
    );
    assert_eq!(
        store.get_asset(v.id, &wheel.name).await.unwrap(),
        Some(wheel)
    );
}

/// Many deprecations at once (several batched statements): all set, a repeated version takes its
/// last message, and a missing version anywhere — here in the last batch — changes none.
pub async fn deprecations_in_bulk_are_all_or_nothing(store: Store) {
    const VERSIONS: usize = 2_500;
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "", "kit");
    let versions = (0..VERSIONS)
        .map(|i| CopiedVersion {
            version: format!("1.0.{i}"),
            expect: VersionExpectation::Absent,
            status: VersionStatus::Published,
            revision: "r".into(),
            published_ms: i as i64,
            origin: internal(),
            metadata: VersionMetadata::default(),
            assets: Vec::new(),
            details: VersionDetails::default(),
        })
        .collect();
    store
        .apply_copy(&CopyWrite {
            repository_id: repo.id,
            package: pkg.clone(),
            new_package_origin: (OriginRule::Allow, OriginRule::Block),
            versions,
            dist_tags: Vec::new(),
        })
        .await
        .unwrap();
    let package = store.get_package(repo.id, &pkg).await.unwrap().unwrap();
    let mut ids = Vec::new();
    let mut order = VersionOrder::Version { after: None };
    loop {
        let page = store
            .list_versions(package.id, &VersionFilter::default(), &order, 1000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        order = VersionOrder::Version {
            after: Some(last.version.clone()),
        };
        ids.extend(page.iter().map(|v| v.id));
    }
    assert_eq!(ids.len(), VERSIONS);

    let mut changes: Vec<(i64, Option<String>)> =
        ids.iter().map(|id| (*id, Some("first".into()))).collect();
    changes.push((ids[0], Some("last".into())));
    store.set_deprecations(&changes).await.unwrap();
    let all = store.package_deprecations(package.id).await.unwrap();
    assert_eq!(all.len(), VERSIONS);
    assert_eq!(all.iter().filter(|(_, m)| m == "last").count(), 1);

    let max = ids.iter().max().copied().unwrap();
    let mut clear: Vec<(i64, Option<String>)> = ids.iter().map(|id| (*id, None)).collect();
    clear.push((max + 1_000, None));
    let missing = store.set_deprecations(&clear).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert_eq!(
        store.package_deprecations(package.id).await.unwrap().len(),
        VERSIONS,
        "nothing cleared"
    );
    clear.pop();
    store.set_deprecations(&clear).await.unwrap();
    assert!(store
        .package_deprecations(package.id)
        .await
        .unwrap()
        .is_empty());
}

pub async fn document_stamps_move_only_with_their_etag(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let other = create_repository(&store, &domain, "o", &[]).await;
    let doc = "cargo/index/kit";
    let t0 = 1_700_000_000_250;
    assert_eq!(
        store.stamp_document(repo.id, doc, "a", t0).await.unwrap(),
        t0
    );
    // The same content keeps its time, whatever the clock says now.
    assert_eq!(
        store
            .stamp_document(repo.id, doc, "a", t0 + 60_000)
            .await
            .unwrap(),
        t0
    );
    // New content in the same second moves to the next whole second, not to `now`.
    let t1 = store
        .stamp_document(repo.id, doc, "b", t0 + 10)
        .await
        .unwrap();
    assert_eq!(t1, 1_700_000_001_000);
    // Later content takes its own time; a clock behind the stored time still moves a second on.
    let t2 = store
        .stamp_document(repo.id, doc, "c", t0 + 5_000)
        .await
        .unwrap();
    assert_eq!(t2, t0 + 5_000);
    let t3 = store.stamp_document(repo.id, doc, "b", t0).await.unwrap();
    assert_eq!(t3, 1_700_000_006_000);
    // Stamps are per repository and per document.
    assert_eq!(
        store.stamp_document(other.id, doc, "b", t0).await.unwrap(),
        t0
    );
    assert_eq!(
        store
            .stamp_document(repo.id, "cargo/index/other", "b", t0)
            .await
            .unwrap(),
        t0
    );
    assert_eq!(
        store.stamp_document(repo.id, doc, "b", t0).await.unwrap(),
        t3
    );
    assert!(matches!(
        store.stamp_document(i64::MAX, doc, "a", t0).await,
        Err(StoreError::NotFound)
    ));
    // They go with their repository.
    store
        .delete_repository(other.id, &repository_arn(&domain, "o"))
        .await
        .unwrap();
    let again = create_repository(&store, &domain, "o", &[]).await;
    assert_eq!(
        store
            .stamp_document(again.id, doc, "z", t0 + 1)
            .await
            .unwrap(),
        t0 + 1
    );
}
