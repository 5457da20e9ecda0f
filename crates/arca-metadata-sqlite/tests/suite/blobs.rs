//! The blob table: leases, collector claims, orphans, and the reference checks of publish and copy.

use arca_metadata::{
    BlobLease, BlobRef, CopiedVersion, CopyWrite, OriginRule, PackageFormat, PublishWrite,
    ReferencedBlob, StoreError, VersionAction, VersionChange, VersionStatus,
};

use super::*;

fn blob(domain_id: i64, sha: &str) -> BlobRef {
    BlobRef {
        domain_id,
        sha256: format!("sha256-{sha}"),
    }
}

async fn touch(store: &Store, b: &BlobRef, generation: i64, now: i64) -> BlobLease {
    store.touch_blob(b, generation, now).await.unwrap()
}

pub async fn blob_touch_creates_then_keeps_generation(store: Store) {
    let b = blob(1, "x");
    assert!(!store.blob_known(&b).await.unwrap());
    assert_eq!(
        touch(&store, &b, 7, 10).await,
        BlobLease::Live { generation: 7 }
    );
    assert_eq!(
        touch(&store, &b, 9, 20).await,
        BlobLease::Live { generation: 7 }
    );
    assert!(store.blob_known(&b).await.unwrap());
    // Same digest, other domain: another blob.
    assert_eq!(
        touch(&store, &blob(2, "x"), 3, 20).await,
        BlobLease::Live { generation: 3 }
    );
    // The second touch refreshed the time: not claimable before 20.
    let claimed = store.claim_unreferenced_blobs(20, 0, 30, 10).await.unwrap();
    assert_eq!(claimed, vec![]);
    let mut claimed = store.claim_unreferenced_blobs(21, 0, 30, 10).await.unwrap();
    claimed.sort_by_key(|b| b.domain_id);
    assert_eq!(claimed, vec![b, blob(2, "x")]);
}

pub async fn blob_claim_skips_referenced_recent_and_claimed(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let (used, old, recent) = (
        blob(domain.id, "x"),
        blob(domain.id, "old"),
        blob(domain.id, "new"),
    );
    touch(&store, &used, 1, 5).await;
    touch(&store, &old, 2, 10).await;
    touch(&store, &recent, 3, 1000).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    publish(&store, repo.id, &pkg, "1", 1, Some(asset("a", "x", 4))).await;

    let claimed = store
        .claim_unreferenced_blobs(500, 0, 2000, 10)
        .await
        .unwrap();
    assert_eq!(claimed, vec![old.clone()]);
    // Claimed rows are not handed out again, nor revived by a writer.
    assert_eq!(
        store
            .claim_unreferenced_blobs(500, 0, 2000, 10)
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(touch(&store, &old, 9, 2100).await, BlobLease::Deleting);
    // ... unless the claim is stale (an interrupted collector): then it is handed out again.
    let resumed = store
        .claim_unreferenced_blobs(500, 2001, 3000, 10)
        .await
        .unwrap();
    assert_eq!(resumed, vec![old.clone()]);

    // Forgetting only removes deleting rows.
    store
        .forget_blobs(&[old.clone(), used.clone()])
        .await
        .unwrap();
    assert!(!store.blob_known(&old).await.unwrap());
    assert!(store.blob_known(&used).await.unwrap());
    assert_eq!(
        touch(&store, &old, 11, 3000).await,
        BlobLease::Live { generation: 11 }
    );

    // The limit bounds one claim.
    for i in 0..5 {
        touch(&store, &blob(domain.id, &format!("many-{i}")), 1, 1).await;
    }
    assert_eq!(
        store
            .claim_unreferenced_blobs(2, 0, 4000, 3)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        store
            .claim_unreferenced_blobs(2, 0, 4000, 3)
            .await
            .unwrap()
            .len(),
        2
    );
}

pub async fn blob_deleted_or_disposed_versions_release_their_blobs(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let (x, y) = (blob(domain.id, "x"), blob(domain.id, "y"));
    touch(&store, &x, 1, 1).await;
    touch(&store, &y, 1, 1).await;
    let v1 = publish(&store, repo.id, &pkg, "1", 1, Some(asset("a", "x", 4))).await;
    let v2 = publish(&store, repo.id, &pkg, "2", 1, Some(asset("a", "y", 4))).await;
    // Also referenced from a second version: survives the first one's deletion.
    publish(&store, repo.id, &pkg, "3", 1, Some(asset("b", "y", 4))).await;
    store
        .apply_version_changes(&[
            VersionChange {
                version_id: v1.id,
                expect_status: v1.status,
                expect_revision: v1.revision.clone(),
                action: VersionAction::Delete,
            },
            VersionChange {
                version_id: v2.id,
                expect_status: v2.status,
                expect_revision: v2.revision.clone(),
                action: VersionAction::Dispose {
                    revision: "d".into(),
                },
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        store.claim_unreferenced_blobs(10, 0, 10, 10).await.unwrap(),
        vec![x]
    );
}

pub async fn blob_publish_checks_its_lease(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let b = blob(domain.id, "x");
    let leased = |generation: i64| PublishWrite {
        asset_lease: Some(generation),
        ..new_version(repo.id, &pkg, "1", 1, Some(asset("a", "x", 4)))
    };
    assert_eq!(
        touch(&store, &b, 5, 1).await,
        BlobLease::Live { generation: 5 }
    );
    // Collected while the upload ran: the publish must not commit.
    assert_eq!(
        store.claim_unreferenced_blobs(2, 0, 3, 10).await.unwrap(),
        vec![b.clone()]
    );
    let lost = store.apply_publish(&leased(5)).await;
    assert!(matches!(lost, Err(StoreError::BlobLeaseLost)), "{lost:?}");
    store.forget_blobs(std::slice::from_ref(&b)).await.unwrap();
    let lost = store.apply_publish(&leased(5)).await;
    assert!(matches!(lost, Err(StoreError::BlobLeaseLost)), "{lost:?}");
    // A new life of the row: the old generation stays invalid.
    assert_eq!(
        touch(&store, &b, 6, 4).await,
        BlobLease::Live { generation: 6 }
    );
    let lost = store.apply_publish(&leased(5)).await;
    assert!(matches!(lost, Err(StoreError::BlobLeaseLost)), "{lost:?}");
    assert!(store.get_package(repo.id, &pkg).await.unwrap().is_none());
    store.apply_publish(&leased(6)).await.unwrap();
    // Now referenced: never claimed, however old.
    assert_eq!(
        store
            .claim_unreferenced_blobs(i64::MAX, 0, 5, 10)
            .await
            .unwrap(),
        vec![]
    );
}

pub async fn blob_orphans_are_claimed_only_without_a_row(store: Store) {
    let (orphan, live) = (blob(1, "orphan"), blob(1, "live"));
    touch(&store, &live, 1, 1).await;
    assert!(!store.claim_orphan_blob(&live, 5).await.unwrap());
    assert!(store.claim_orphan_blob(&orphan, 5).await.unwrap());
    assert!(!store.claim_orphan_blob(&orphan, 6).await.unwrap());
    assert_eq!(touch(&store, &orphan, 2, 7).await, BlobLease::Deleting);
    store
        .forget_blobs(std::slice::from_ref(&orphan))
        .await
        .unwrap();
    assert!(!store.blob_known(&orphan).await.unwrap());
    assert_eq!(
        touch(&store, &live, 3, 8).await,
        BlobLease::Live { generation: 1 }
    );
}

pub async fn blob_references_are_distinct_and_paged(store: Store) {
    let d1 = create_domain(&store, OWNER, "d1").await;
    let d2 = create_domain(&store, OWNER, "d2").await;
    let r1 = create_repository(&store, &d1, "r", &[]).await;
    let r1b = create_repository(&store, &d1, "r2", &[]).await;
    let r2 = create_repository(&store, &d2, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    publish(&store, r1.id, &pkg, "1", 1, Some(asset("a", "b", 4))).await;
    publish(&store, r1.id, &pkg, "2", 1, Some(asset("a", "a", 3))).await;
    publish(&store, r1b.id, &pkg, "1", 1, Some(asset("z", "b", 4))).await;
    publish(&store, r2.id, &pkg, "1", 1, Some(asset("a", "a", 3))).await;
    let want =
        [(d1.id, "a", 3), (d1.id, "b", 4), (d2.id, "a", 3)].map(|(d, s, size)| ReferencedBlob {
            blob: blob(d, s),
            size,
        });
    let first = store.referenced_blobs(None, 2).await.unwrap();
    assert_eq!(first, want[..2]);
    let rest = store
        .referenced_blobs(Some(&first[1].blob), 2)
        .await
        .unwrap();
    assert_eq!(rest, want[2..]);
}

pub async fn copy_requires_its_blobs_still_referenced(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let dest = create_repository(&store, &domain, "dest", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    seed_blobs(&store, &domain, &[asset("kept", "kept", 1)]).await;
    let copied = CopiedVersion {
        version: "1".into(),
        expect: VersionExpectation::Absent,
        status: VersionStatus::Published,
        revision: "c".into(),
        published_ms: 1,
        origin: internal(),
        metadata: VersionMetadata::default(),
        assets: vec![asset("kept", "kept", 1), asset("gone", "gone", 1)],
        details: Default::default(),
    };
    let result = store
        .apply_copy(&CopyWrite {
            repository_id: dest.id,
            package: pkg.clone(),
            new_package_origin: (OriginRule::Allow, OriginRule::Allow),
            versions: vec![copied],
            dist_tags: Vec::new(),
        })
        .await;
    assert!(
        matches!(result, Err(StoreError::PreconditionFailed)),
        "{result:?}"
    );
    assert!(store.get_package(dest.id, &pkg).await.unwrap().is_none());
}
