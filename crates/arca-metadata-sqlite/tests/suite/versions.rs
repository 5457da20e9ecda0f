use arca_metadata::{VersionFilter, VersionLookup, VersionOrder, VersionPath};

use super::*;

/// A package with versions chosen so that byte order, case-insensitive order, numeric order and
/// publish-time order all differ, with a tie on the publish time.
async fn package_with_versions(store: &Store) -> (i64, Vec<VersionRow>) {
    let domain = create_domain(store, OWNER, "d").await;
    let repo = create_repository(store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "", "p");
    let specs: [(&str, i64, VersionStatus, OriginType); 7] = [
        ("1.0", 100, VersionStatus::Published, OriginType::Internal),
        ("1.10", 300, VersionStatus::Published, OriginType::Internal),
        ("1.2", 300, VersionStatus::Unlisted, OriginType::Internal),
        ("B", 200, VersionStatus::Published, OriginType::Internal),
        ("a", 300, VersionStatus::Archived, OriginType::Internal),
        ("é", 50, VersionStatus::Published, OriginType::External),
        ("2.0", 400, VersionStatus::Unfinished, OriginType::Internal),
    ];
    let mut rows = Vec::new();
    for (version, ms, status, origin_type) in specs {
        let row = store
            .apply_publish(&PublishWrite {
                status,
                origin: VersionOrigin {
                    origin_type,
                    repository: None,
                    external_connection: (origin_type == OriginType::External)
                        .then(|| "public:npmjs".to_string()),
                },
                ..new_version(repo.id, &pkg, version, ms, None)
            })
            .await
            .unwrap();
        rows.push(row);
    }
    (rows[0].package_id, rows)
}

async fn page_through(
    store: &Store,
    package_id: i64,
    filter: &VersionFilter,
    by_time: bool,
    page_size: u32,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut last: Option<VersionRow> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= MAX_PAGES, "the keyset cursor does not advance");
        let order = if by_time {
            VersionOrder::PublishedTimeDesc {
                after: last.as_ref().map(|v| (v.published_ms, v.version.clone())),
            }
        } else {
            VersionOrder::Version {
                after: last.as_ref().map(|v| v.version.clone()),
            }
        };
        let page = store
            .list_versions(package_id, filter, &order, page_size)
            .await
            .unwrap();
        assert!(page.len() <= page_size as usize);
        seen.extend(page.iter().map(|v| v.version.clone()));
        if page.len() < page_size as usize {
            return seen;
        }
        last = page.last().cloned();
    }
}

pub async fn version_list_by_version_with_cursor(store: Store) {
    let (package_id, rows) = package_with_versions(&store).await;
    let expected = vec!["1.0", "1.10", "1.2", "2.0", "B", "a", "é"];
    let all = store
        .list_versions(
            package_id,
            &VersionFilter::default(),
            &VersionOrder::Version { after: None },
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|v| v.version.as_str()).collect::<Vec<_>>(),
        expected
    );
    // Rows come back as written.
    for row in &rows {
        assert_eq!(all.iter().find(|v| v.id == row.id), Some(row));
    }
    for size in [1, 2, 3] {
        assert_eq!(
            page_through(&store, package_id, &VersionFilter::default(), false, size).await,
            expected
        );
    }
}

pub async fn version_list_by_published_time_with_cursor(store: Store) {
    let (package_id, _) = package_with_versions(&store).await;
    // Newest first; the three versions published at 300 by version, ascending.
    let expected = vec!["2.0", "1.10", "1.2", "a", "B", "1.0", "é"];
    for size in [1, 2, 3, 100] {
        assert_eq!(
            page_through(&store, package_id, &VersionFilter::default(), true, size).await,
            expected,
            "page size {size}"
        );
    }
    // A cursor inside the tie continues after that version only.
    let rest = store
        .list_versions(
            package_id,
            &VersionFilter::default(),
            &VersionOrder::PublishedTimeDesc {
                after: Some((300, "1.2".into())),
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|v| v.version.as_str()).collect::<Vec<_>>(),
        vec!["a", "B", "1.0", "é"]
    );
}

pub async fn version_list_filters(store: Store) {
    let (package_id, _) = package_with_versions(&store).await;
    let published = VersionFilter {
        status: Some(VersionStatus::Published),
        origin_type: None,
    };
    assert_eq!(
        page_through(&store, package_id, &published, false, 2).await,
        vec!["1.0", "1.10", "B", "é"]
    );
    assert_eq!(
        page_through(&store, package_id, &published, true, 2).await,
        vec!["1.10", "B", "1.0", "é"]
    );
    let external = VersionFilter {
        status: None,
        origin_type: Some(OriginType::External),
    };
    assert_eq!(
        page_through(&store, package_id, &external, false, 2).await,
        vec!["é"]
    );
    let none = VersionFilter {
        status: Some(VersionStatus::Disposed),
        origin_type: None,
    };
    assert!(page_through(&store, package_id, &none, true, 2)
        .await
        .is_empty());
    let external_row = store.get_version(package_id, "é").await.unwrap().unwrap();
    assert_eq!(
        external_row.origin.external_connection.as_deref(),
        Some("public:npmjs")
    );
    assert!(store.get_version(package_id, "E").await.unwrap().is_none());
}

pub async fn version_latest_published(store: Store) {
    let (package_id, _) = package_with_versions(&store).await;
    // 2.0 (400) is Unfinished and a / 1.2 (300) are not Published: 1.10 is the latest.
    assert_eq!(
        store
            .latest_published_version(package_id)
            .await
            .unwrap()
            .as_deref(),
        Some("1.10")
    );

    let domain = create_domain(&store, OWNER, "d2").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "tie");
    let first = store
        .apply_publish(&PublishWrite {
            status: VersionStatus::Unfinished,
            ..new_version(repo.id, &pkg, "0", 10, None)
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .latest_published_version(first.package_id)
            .await
            .unwrap(),
        None
    );
    publish(&store, repo.id, &pkg, "x", 500, None).await;
    publish(&store, repo.id, &pkg, "y", 500, None).await;
    publish(&store, repo.id, &pkg, "z", 499, None).await;
    // A tie on the time goes to the greatest version.
    assert_eq!(
        store
            .latest_published_version(first.package_id)
            .await
            .unwrap()
            .as_deref(),
        Some("y")
    );
}

pub async fn asset_reads(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let names = ["b.txt", "B.txt", "a.txt", "é.txt", "_", "%"];
    let mut version = publish(&store, repo.id, &pkg, "1", 1, None).await;
    for (i, name) in names.iter().enumerate() {
        version = store
            .apply_publish(&PublishWrite {
                expect: at(&version),
                revision: format!("r{}", i + 2),
                asset: Some(asset(name, name, i as i64)),
                ..new_version(repo.id, &pkg, "1", 1, None)
            })
            .await
            .unwrap();
    }
    let expected = byte_sorted(&names);

    let all = store.version_assets(version.id).await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        expected
    );
    let b = all.iter().find(|a| a.name == "b.txt").unwrap();
    assert_eq!(b, &asset("b.txt", "b.txt", 0));

    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= MAX_PAGES, "the keyset cursor does not advance");
        let page = store
            .list_assets(version.id, after.as_deref(), 4)
            .await
            .unwrap();
        paged.extend(page.iter().map(|a| a.name.clone()));
        if page.len() < 4 {
            break;
        }
        after = Some(page.last().unwrap().name.clone());
    }
    assert_eq!(paged, expected);

    assert_eq!(
        store.get_asset(version.id, "é.txt").await.unwrap(),
        Some(asset("é.txt", "é.txt", 3))
    );
    assert_eq!(store.get_asset(version.id, "E.txt").await.unwrap(), None);
    assert!(store
        .version_assets(version.id + 1_000)
        .await
        .unwrap()
        .is_empty());
}

/// `lookup_version` finds what the level-by-level reads find, and stops at the first missing level.
pub async fn version_lookup_by_path(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    create_domain(&store, OTHER_OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let other_repo = create_repository(&store, &domain, "other", &[]).await;
    let pkg = key(PackageFormat::Maven, "org.example", "lib");
    let version = publish(&store, repo.id, &pkg, "1.0", 7, None).await;
    publish(&store, other_repo.id, &pkg, "2.0", 8, None).await;
    let path = |owner, domain, repository, package, version| VersionPath {
        domain_owner: owner,
        domain,
        repository,
        package,
        version,
    };

    let found = store
        .lookup_version(&path(OWNER, "d", "r", &pkg, "1.0"))
        .await
        .unwrap();
    assert_eq!(found.domain.as_ref(), Some(&domain));
    let expected_repo = RepositoryRow {
        upstreams: vec![],
        ..store.get_repository(domain.id, "r").await.unwrap().unwrap()
    };
    assert_eq!(found.repository.as_ref(), Some(&expected_repo));
    assert_eq!(
        found.package,
        store.get_package(repo.id, &pkg).await.unwrap()
    );
    assert_eq!(found.version.as_ref(), Some(&version));

    // Each missing level leaves it and everything below it empty.
    let no_version = store
        .lookup_version(&path(OWNER, "d", "r", &pkg, "2.0"))
        .await
        .unwrap();
    assert!(no_version.package.is_some() && no_version.version.is_none());
    let other_ns = key(PackageFormat::Maven, "org.other", "lib");
    let no_package = store
        .lookup_version(&path(OWNER, "d", "r", &other_ns, "1.0"))
        .await
        .unwrap();
    assert!(no_package.repository.is_some() && no_package.package.is_none());
    assert!(no_package.version.is_none());
    let no_repo = store
        .lookup_version(&path(OWNER, "d", "nope", &pkg, "1.0"))
        .await
        .unwrap();
    assert!(no_repo.domain.is_some() && no_repo.repository.is_none());
    assert!(no_repo.package.is_none() && no_repo.version.is_none());
    let wrong_owner = store
        .lookup_version(&path("999999999999", "d", "r", &pkg, "1.0"))
        .await
        .unwrap();
    assert_eq!(wrong_owner, VersionLookup::default());
    // The same name under another owner is another domain, with no repository "r".
    let other = store
        .lookup_version(&path(OTHER_OWNER, "d", "r", &pkg, "1.0"))
        .await
        .unwrap();
    assert!(other.domain.is_some() && other.repository.is_none());
}

/// `package_assets`: the named asset of each version that has one, by version id, in one read;
/// other packages' and other names' assets are not included.
pub async fn package_assets_of_every_version(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "", "kit");
    let other = key(PackageFormat::Npm, "", "other");
    let v1 = publish(
        &store,
        repo.id,
        &pkg,
        "1.0.0",
        1,
        Some(asset("package.tgz", "a", 1)),
    )
    .await;
    let v2 = publish(
        &store,
        repo.id,
        &pkg,
        "2.0.0",
        2,
        Some(asset("package.tgz", "b", 2)),
    )
    .await;
    let v3 = publish(
        &store,
        repo.id,
        &pkg,
        "3.0.0",
        3,
        Some(asset("other.tgz", "c", 3)),
    )
    .await;
    publish(&store, repo.id, &pkg, "4.0.0", 4, None).await;
    publish(
        &store,
        repo.id,
        &other,
        "1.0.0",
        5,
        Some(asset("package.tgz", "d", 4)),
    )
    .await;
    let found = store
        .package_assets(v1.package_id, Some("package.tgz"))
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![
            (v1.id, asset("package.tgz", "a", 1)),
            (v2.id, asset("package.tgz", "b", 2))
        ]
    );
    assert!(store
        .package_assets(v1.package_id, Some("missing"))
        .await
        .unwrap()
        .is_empty());
    // Without a name: every asset of every version, by version id.
    let all = store.package_assets(v1.package_id, None).await.unwrap();
    assert_eq!(
        all,
        vec![
            (v1.id, asset("package.tgz", "a", 1)),
            (v2.id, asset("package.tgz", "b", 2)),
            (v3.id, asset("other.tgz", "c", 3)),
        ]
    );
}
