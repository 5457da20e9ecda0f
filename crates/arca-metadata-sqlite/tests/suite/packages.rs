use arca_metadata::{PackageFilter, PackageRow, StoreError, VersionAction, VersionChange};

use super::*;

/// Creates the package (through a publish of version "1") with the given origin controls.
async fn create_package(
    store: &Store,
    repository_id: i64,
    package: &PackageKey,
    origin: (OriginRule, OriginRule),
) -> PackageRow {
    store
        .apply_publish(&PublishWrite {
            new_package_origin: origin,
            ..new_version(repository_id, package, "1", 1, None)
        })
        .await
        .unwrap();
    store
        .get_package(repository_id, package)
        .await
        .unwrap()
        .unwrap()
}

/// The store's package order: format by its stored text (`as_str()`), then namespace and name,
/// all in byte order. (Not `PackageKey`'s derived `Ord`, which orders formats by declaration.)
fn store_order(a: &PackageKey, b: &PackageKey) -> std::cmp::Ordering {
    (a.format.as_str(), a.namespace.as_bytes(), a.name.as_bytes()).cmp(&(
        b.format.as_str(),
        b.namespace.as_bytes(),
        b.name.as_bytes(),
    ))
}

fn keys(rows: &[PackageRow]) -> Vec<PackageKey> {
    rows.iter().map(|p| p.key.clone()).collect()
}

pub async fn package_list_order_cursor_and_filters(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let other = create_repository(&store, &domain, "other", &[]).await;
    create_package(
        &store,
        other.id,
        &key(PackageFormat::Npm, "", "x"),
        (OriginRule::Allow, OriginRule::Allow),
    )
    .await;

    let mut all = Vec::new();
    let mut i = 0;
    for format in [
        PackageFormat::Npm,
        PackageFormat::Pypi,
        PackageFormat::Generic,
        PackageFormat::Maven,
    ] {
        for namespace in ["", "B", "a", "é"] {
            for name in ["x", "X", "é"] {
                let publish = if i % 3 == 0 {
                    OriginRule::Block
                } else {
                    OriginRule::Allow
                };
                let upstream = if i % 5 == 0 {
                    OriginRule::Block
                } else {
                    OriginRule::Allow
                };
                let row = create_package(
                    &store,
                    repo.id,
                    &key(format, namespace, name),
                    (publish, upstream),
                )
                .await;
                assert_eq!(row.repository_id, repo.id);
                assert_eq!(
                    (row.origin_publish, row.origin_upstream),
                    (publish, upstream)
                );
                all.push(row);
                i += 1;
            }
        }
    }
    all.sort_by(|a, b| store_order(&a.key, &b.key));

    let listed = store
        .list_packages(repo.id, &PackageFilter::default(), 1_000)
        .await
        .unwrap();
    assert_eq!(listed, all);

    // Pages of 7 with the key of the last row as cursor.
    let mut paged = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= MAX_PAGES, "the keyset cursor does not advance");
        let filter = PackageFilter {
            after: after.clone(),
            ..Default::default()
        };
        let page = store.list_packages(repo.id, &filter, 7).await.unwrap();
        paged.extend(page.iter().cloned());
        if page.len() < 7 {
            break;
        }
        after = Some(page.last().unwrap().key.clone());
    }
    assert_eq!(paged, all);

    let filtered = |filter: PackageFilter| {
        let store = store.clone();
        async move { store.list_packages(repo.id, &filter, 1_000).await.unwrap() }
    };
    let expect = |pred: &dyn Fn(&PackageRow) -> bool| -> Vec<PackageKey> {
        all.iter()
            .filter(|p| pred(p))
            .map(|p| p.key.clone())
            .collect()
    };

    let npm = filtered(PackageFilter {
        format: Some(PackageFormat::Npm),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&npm), expect(&|p| p.key.format == PackageFormat::Npm));
    assert_eq!(npm.len(), 12);

    let blocked = filtered(PackageFilter {
        publish: Some(OriginRule::Block),
        ..Default::default()
    })
    .await;
    assert_eq!(
        keys(&blocked),
        expect(&|p| p.origin_publish == OriginRule::Block)
    );

    let no_upstream = filtered(PackageFilter {
        upstream: Some(OriginRule::Block),
        ..Default::default()
    })
    .await;
    assert_eq!(
        keys(&no_upstream),
        expect(&|p| p.origin_upstream == OriginRule::Block)
    );

    let combined = filtered(PackageFilter {
        format: Some(PackageFormat::Generic),
        namespace_prefix: Some("é".into()),
        name_prefix: Some("X".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&combined), vec![key(PackageFormat::Generic, "é", "X")]);

    // A cursor combined with a filter continues within the filtered sequence.
    let npm_after = filtered(PackageFilter {
        format: Some(PackageFormat::Npm),
        after: Some(key(PackageFormat::Npm, "a", "é")),
        ..Default::default()
    })
    .await;
    assert_eq!(
        keys(&npm_after),
        vec![
            key(PackageFormat::Npm, "é", "X"),
            key(PackageFormat::Npm, "é", "x"),
            key(PackageFormat::Npm, "é", "é"),
        ]
    );

    // Another repository's packages never show up.
    let in_other = store
        .list_packages(other.id, &PackageFilter::default(), 100)
        .await
        .unwrap();
    assert_eq!(keys(&in_other), vec![key(PackageFormat::Npm, "", "x")]);
}

pub async fn package_list_prefixes_are_literal(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let namespaces = ["a%b", "a_b", "axb", "a%", "ab", ""];
    let names = ["_x", "%x", "xx", "x_"];
    for namespace in namespaces {
        for name in names {
            create_package(
                &store,
                repo.id,
                &key(PackageFormat::Generic, namespace, name),
                (OriginRule::Allow, OriginRule::Allow),
            )
            .await;
        }
    }
    let list = |namespace_prefix: Option<&str>, name_prefix: Option<&str>| {
        let store = store.clone();
        let filter = PackageFilter {
            namespace_prefix: namespace_prefix.map(str::to_string),
            name_prefix: name_prefix.map(str::to_string),
            ..Default::default()
        };
        async move {
            store
                .list_packages(repo.id, &filter, 1_000)
                .await
                .unwrap()
                .into_iter()
                .map(|p| (p.key.namespace, p.key.name))
                .collect::<Vec<_>>()
        }
    };
    let namespaces_of = |rows: Vec<(String, String)>| {
        let mut v: Vec<String> = rows.into_iter().map(|(ns, _)| ns).collect();
        v.dedup();
        v
    };
    assert_eq!(
        namespaces_of(list(Some("a%"), None).await),
        vec!["a%", "a%b"]
    );
    assert_eq!(namespaces_of(list(Some("a_"), None).await), vec!["a_b"]);
    assert_eq!(
        namespaces_of(list(Some("a"), None).await),
        byte_sorted(&["a%b", "a_b", "axb", "a%", "ab"])
    );
    assert!(list(Some("%"), None).await.is_empty());

    let underscored = list(Some("ab"), Some("_")).await;
    assert_eq!(underscored, vec![("ab".to_string(), "_x".to_string())]);
    let percent = list(None, Some("%")).await;
    assert_eq!(percent.len(), namespaces.len());
    assert!(percent.iter().all(|(_, name)| name == "%x"));
    let x_prefix = list(None, Some("x")).await;
    assert!(x_prefix
        .iter()
        .all(|(_, name)| name == "xx" || name == "x_"));
    assert_eq!(x_prefix.len(), 2 * namespaces.len());
}

pub async fn package_get_and_delete(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Pypi, "", "requests");
    let created = create_package(
        &store,
        repo.id,
        &pkg,
        (OriginRule::Block, OriginRule::Allow),
    )
    .await;
    assert_eq!(created.key, pkg);
    assert_eq!(created.origin_publish, OriginRule::Block);
    assert_eq!(created.origin_upstream, OriginRule::Allow);

    // Origin controls are only given by the write that creates the package.
    let v2 = store
        .apply_publish(&PublishWrite {
            new_package_origin: (OriginRule::Allow, OriginRule::Block),
            ..new_version(repo.id, &pkg, "2", 2, Some(asset("f", "blob", 5)))
        })
        .await
        .unwrap();
    assert_eq!(v2.package_id, created.id);
    assert_eq!(
        store.get_package(repo.id, &pkg).await.unwrap(),
        Some(created.clone())
    );
    assert!(store
        .get_package(repo.id, &key(PackageFormat::Npm, "", "requests"))
        .await
        .unwrap()
        .is_none());

    store.delete_package(created.id).await.unwrap();
    assert!(store.get_package(repo.id, &pkg).await.unwrap().is_none());
    assert!(store.get_version(created.id, "1").await.unwrap().is_none());
    assert!(store.get_version(created.id, "2").await.unwrap().is_none());
    assert!(store.version_assets(v2.id).await.unwrap().is_empty());
    assert_eq!(
        store
            .domain_stats(domain.id)
            .await
            .unwrap()
            .asset_size_bytes,
        0
    );
    let gone = store.delete_package(created.id).await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");

    // Publishing again creates a fresh package.
    let again = create_package(
        &store,
        repo.id,
        &pkg,
        (OriginRule::Allow, OriginRule::Allow),
    )
    .await;
    assert_ne!(again.id, created.id);
    assert_eq!(again.origin_publish, OriginRule::Allow);
}

pub async fn package_origin_put_creates_or_updates(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let k = key(PackageFormat::Npm, "", "left-pad");

    // A package that does not exist is created, without versions.
    let created = store
        .put_package_origin(repo.id, &k, (OriginRule::Block, OriginRule::Allow))
        .await
        .unwrap();
    assert_eq!(created.key, k);
    assert_eq!(
        (created.origin_publish, created.origin_upstream),
        (OriginRule::Block, OriginRule::Allow)
    );
    assert_eq!(
        store.get_package(repo.id, &k).await.unwrap(),
        Some(created.clone())
    );
    let versions = store
        .list_versions(
            created.id,
            &Default::default(),
            &arca_metadata::VersionOrder::Version { after: None },
            10,
        )
        .await
        .unwrap();
    assert!(versions.is_empty());

    // An existing one keeps its id and versions and takes the new controls.
    publish(&store, repo.id, &k, "1.0.0", 1_000, None).await;
    let updated = store
        .put_package_origin(repo.id, &k, (OriginRule::Allow, OriginRule::Block))
        .await
        .unwrap();
    assert_eq!(updated.id, created.id);
    assert_eq!(
        (updated.origin_publish, updated.origin_upstream),
        (OriginRule::Allow, OriginRule::Block)
    );
    assert!(store
        .get_version(updated.id, "1.0.0")
        .await
        .unwrap()
        .is_some());

    let missing = store
        .put_package_origin(repo.id + 1_000, &k, (OriginRule::Allow, OriginRule::Allow))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

/// `delete_package_at` deletes only while the versions are exactly the expected ones: a version
/// added, deleted or changed since they were read fails it with `PreconditionFailed`, and nothing
/// is deleted.
pub async fn package_delete_at_expected_versions(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "", "kit");
    let v1 = publish(
        &store,
        repo.id,
        &pkg,
        "1.0.0",
        1,
        Some(asset("a.tgz", "aa", 3)),
    )
    .await;
    let v2 = publish(&store, repo.id, &pkg, "2.0.0", 2, None).await;
    let package_id = v1.package_id;
    let read = vec![v2.clone(), v1.clone()];

    // Another version since the read.
    let v3 = publish(&store, repo.id, &pkg, "3.0.0", 3, None).await;
    let r = store.delete_package_at(package_id, &read).await;
    assert!(matches!(r, Err(StoreError::PreconditionFailed)), "{r:?}");
    assert!(store
        .get_version(package_id, "3.0.0")
        .await
        .unwrap()
        .is_some());
    // One of them changed (status), or is missing from the expectation.
    let mut read = vec![v1.clone(), v2.clone(), v3.clone()];
    store
        .apply_version_changes(&[VersionChange {
            version_id: v3.id,
            expect_status: v3.status,
            expect_revision: v3.revision.clone(),
            action: VersionAction::SetStatus {
                status: VersionStatus::Unlisted,
                published_ms: 3,
            },
        }])
        .await
        .unwrap();
    let r = store.delete_package_at(package_id, &read).await;
    assert!(matches!(r, Err(StoreError::PreconditionFailed)), "{r:?}");
    let r = store.delete_package_at(package_id, &read[..2]).await;
    assert!(matches!(r, Err(StoreError::PreconditionFailed)), "{r:?}");
    assert_eq!(
        store.version_assets(v1.id).await.unwrap().len(),
        1,
        "nothing deleted"
    );

    // As read now: everything goes.
    read[2] = store
        .get_version(package_id, "3.0.0")
        .await
        .unwrap()
        .unwrap();
    store.delete_package_at(package_id, &read).await.unwrap();
    assert!(store.get_package(repo.id, &pkg).await.unwrap().is_none());
    assert!(store.version_assets(v1.id).await.unwrap().is_empty());
    let gone = store.delete_package_at(package_id, &read).await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
}
