//! Publishes racing each other: whatever the backend batches or locks, each publish succeeds or
//! fails alone.

use arca_metadata::{PackageFilter, StoreError, VersionFilter, VersionOrder};

use super::*;

pub async fn publish_concurrently_only_one_creates(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "raced");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let store = store.clone();
        let write = PublishWrite {
            revision: format!("rev-{i}"),
            ..new_version(
                repo.id,
                &pkg,
                "1.0",
                i,
                Some(asset(&format!("asset-{i}"), &format!("blob-{i}"), i)),
            )
        };
        tasks.spawn(async move { store.apply_publish(&write).await });
    }
    let mut winners = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(row) => winners.push(row),
            Err(StoreError::PreconditionFailed) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let winner = &winners[0];
    let packages = store
        .list_packages(repo.id, &PackageFilter::default(), 10)
        .await
        .unwrap();
    assert_eq!(packages.len(), 1);
    assert_eq!(
        store
            .get_version(packages[0].id, "1.0")
            .await
            .unwrap()
            .as_ref(),
        Some(winner)
    );
    let assets = store.version_assets(winner.id).await.unwrap();
    assert_eq!(assets.len(), 1);
    assert_eq!(assets[0].name, format!("asset-{}", winner.published_ms));
}

/// Many publishes at once, half of them bound to fail (a stale expectation, a duplicate asset):
/// each succeeds or fails alone, as if it had its own transaction, whatever the backend batches.
pub async fn publish_many_concurrently_each_all_or_nothing(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "many");
    let base = publish(
        &store,
        repo.id,
        &pkg,
        "base",
        1,
        Some(asset("taken", "t", 1)),
    )
    .await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..48i64 {
        let store = store.clone();
        let write = match i % 3 {
            // A new version with its asset: succeeds.
            0 => new_version(
                repo.id,
                &pkg,
                &format!("v{i}"),
                i,
                Some(asset(&format!("a{i}"), &format!("b{i}"), i)),
            ),
            // An expectation that never held: fails.
            1 => PublishWrite {
                expect: VersionExpectation::At {
                    version_id: base.id,
                    status: base.status,
                    revision: format!("not-{i}"),
                },
                revision: format!("r{i}"),
                ..new_version(
                    repo.id,
                    &pkg,
                    "base",
                    i,
                    Some(asset(&format!("x{i}"), "x", i)),
                )
            },
            // A new version whose insert goes through, then an asset... on the version "base"
            // that already has it: fails after writing, so its writes must be undone.
            _ => PublishWrite {
                expect: at(&base),
                revision: format!("r{i}"),
                ..new_version(repo.id, &pkg, "base", i, Some(asset("taken", "t", 1)))
            },
        };
        tasks.spawn(async move { (i, store.apply_publish(&write).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (i, result) = joined.unwrap();
        match (i % 3, result) {
            (0, Ok(row)) => assert_eq!(row.version, format!("v{i}")),
            (1 | 2, Err(StoreError::PreconditionFailed)) => {}
            (_, other) => panic!("publish {i}: unexpected {other:?}"),
        }
    }
    let versions = store
        .list_versions(
            base.package_id,
            &VersionFilter::default(),
            &VersionOrder::Version { after: None },
            100,
        )
        .await
        .unwrap();
    assert_eq!(versions.len(), 17, "base and the 16 new versions");
    // The failed publishes changed nothing on "base".
    assert_eq!(
        store.get_version(base.package_id, "base").await.unwrap(),
        Some(base.clone())
    );
    assert_eq!(
        store.version_assets(base.id).await.unwrap(),
        vec![asset("taken", "t", 1)]
    );
    for v in versions.iter().filter(|v| v.version != "base") {
        let i = &v.version[1..];
        assert_eq!(
            store.version_assets(v.id).await.unwrap(),
            vec![asset(
                &format!("a{i}"),
                &format!("b{i}"),
                i.parse().unwrap()
            )]
        );
    }
}
