use arca_metadata::{CopiedVersion, CopyWrite, StoreError, VersionAction, VersionChange};

use super::*;

fn metadata(summary: &str) -> VersionMetadata {
    VersionMetadata {
        display_name: Some("Display".into()),
        summary: Some(summary.into()),
        home_page: Some("https://example.com".into()),
        source_code_repository: Some("https://example.com/src".into()),
        licenses_json: Some(r#"[{"name":"MIT","url":null}]"#.into()),
    }
}

pub async fn publish_creates_package_and_version(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "tool");
    let row = store
        .apply_publish(&PublishWrite {
            new_package_origin: (OriginRule::Block, OriginRule::Block),
            status: VersionStatus::Unfinished,
            revision: "rev-1".into(),
            metadata: metadata("s"),
            ..new_version(repo.id, &pkg, "1.0", 42, Some(asset("f.bin", "x", 9)))
        })
        .await
        .unwrap();
    assert_eq!(row.version, "1.0");
    assert_eq!(row.status, VersionStatus::Unfinished);
    assert_eq!(row.revision, "rev-1");
    assert_eq!(row.published_ms, 42);
    assert_eq!(row.origin, internal());
    assert_eq!(row.metadata, metadata("s"));

    let package = store.get_package(repo.id, &pkg).await.unwrap().unwrap();
    assert_eq!(row.package_id, package.id);
    assert_eq!(package.origin_publish, OriginRule::Block);
    assert_eq!(package.origin_upstream, OriginRule::Block);
    assert_eq!(
        store.get_version(package.id, "1.0").await.unwrap(),
        Some(row.clone())
    );
    assert_eq!(
        store.version_assets(row.id).await.unwrap(),
        vec![asset("f.bin", "x", 9)]
    );

    // A publish without an asset creates a version with none.
    let bare = publish(&store, repo.id, &pkg, "2.0", 43, None).await;
    assert_eq!(bare.package_id, package.id);
    assert!(store.version_assets(bare.id).await.unwrap().is_empty());
}

pub async fn publish_absent_twice_fails(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "scope", "p");
    let first = publish(&store, repo.id, &pkg, "1.0.0", 1, Some(asset("a", "x", 1))).await;
    let second = store
        .apply_publish(&PublishWrite {
            revision: "other".into(),
            ..new_version(repo.id, &pkg, "1.0.0", 2, Some(asset("b", "y", 2)))
        })
        .await;
    assert!(
        matches!(second, Err(StoreError::PreconditionFailed)),
        "{second:?}"
    );
    assert_eq!(
        store.get_version(first.package_id, "1.0.0").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.version_assets(first.id).await.unwrap(),
        vec![asset("a", "x", 1)]
    );
}

pub async fn publish_at_updates_status_and_adds_asset(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let first = store
        .apply_publish(&PublishWrite {
            status: VersionStatus::Unfinished,
            metadata: metadata("original"),
            ..new_version(repo.id, &pkg, "1", 10, Some(asset("a", "x", 1)))
        })
        .await
        .unwrap();
    let updated = store
        .apply_publish(&PublishWrite {
            expect: at(&first),
            status: VersionStatus::Published,
            revision: "r2".into(),
            published_ms: 20,
            // Only used on creation: an update keeps what is stored.
            origin: VersionOrigin {
                origin_type: OriginType::External,
                repository: None,
                external_connection: Some("public:x".into()),
            },
            metadata: metadata("ignored"),
            ..new_version(repo.id, &pkg, "1", 20, Some(asset("b", "y", 2)))
        })
        .await
        .unwrap();
    assert_eq!(updated.id, first.id);
    assert_eq!(updated.status, VersionStatus::Published);
    assert_eq!(updated.revision, "r2");
    assert_eq!(updated.published_ms, 20);
    assert_eq!(updated.origin, first.origin);
    assert_eq!(updated.metadata, metadata("original"));
    assert_eq!(
        store.version_assets(first.id).await.unwrap(),
        vec![asset("a", "x", 1), asset("b", "y", 2)]
    );

    // An idempotent re-send without an asset only changes the status.
    let relisted = store
        .apply_publish(&PublishWrite {
            expect: at(&updated),
            status: VersionStatus::Unlisted,
            revision: "r2".into(),
            ..new_version(repo.id, &pkg, "1", 20, None)
        })
        .await
        .unwrap();
    assert_eq!(relisted.status, VersionStatus::Unlisted);
    assert_eq!(store.version_assets(first.id).await.unwrap().len(), 2);
}

pub async fn publish_at_may_replace_metadata(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Maven, "com.acme", "app");
    let first = store
        .apply_publish(&PublishWrite {
            status: VersionStatus::Unfinished,
            metadata: metadata("from the jar"),
            ..new_version(repo.id, &pkg, "1", 10, Some(asset("app-1.jar", "x", 1)))
        })
        .await
        .unwrap();
    // Maven: the POM arrives second and brings the version's metadata.
    let updated = store
        .apply_publish(&PublishWrite {
            expect: at(&first),
            status: VersionStatus::Unfinished,
            revision: "r2".into(),
            metadata: metadata("from the pom"),
            replace_metadata: true,
            ..new_version(repo.id, &pkg, "1", 10, Some(asset("app-1.pom", "y", 2)))
        })
        .await
        .unwrap();
    assert_eq!(updated.metadata, metadata("from the pom"));
    assert_eq!(updated.origin, first.origin);
    let read = store
        .get_version(updated.package_id, "1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.metadata, metadata("from the pom"));
    assert_eq!(read.revision, "r2");
}

pub async fn publish_with_stale_expectation_writes_nothing(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let v1 = store
        .apply_publish(&PublishWrite {
            status: VersionStatus::Unfinished,
            ..new_version(repo.id, &pkg, "1", 10, Some(asset("a", "x", 1)))
        })
        .await
        .unwrap();
    let v2 = publish(&store, repo.id, &pkg, "2", 10, None).await;

    let attempts = [
        // Stale revision.
        VersionExpectation::At {
            version_id: v1.id,
            status: v1.status,
            revision: "stale".into(),
        },
        // Stale status.
        VersionExpectation::At {
            version_id: v1.id,
            status: VersionStatus::Published,
            revision: v1.revision.clone(),
        },
        // Right status and revision, but the row of another version.
        VersionExpectation::At {
            version_id: v2.id,
            status: v1.status,
            revision: v1.revision.clone(),
        },
        // A version that does not exist.
        VersionExpectation::At {
            version_id: v2.id + 1_000,
            status: v1.status,
            revision: v1.revision.clone(),
        },
        // It exists.
        VersionExpectation::Absent,
    ];
    for expect in attempts {
        let result = store
            .apply_publish(&PublishWrite {
                expect: expect.clone(),
                revision: "r2".into(),
                ..new_version(repo.id, &pkg, "1", 99, Some(asset("b", "y", 2)))
            })
            .await;
        assert!(
            matches!(result, Err(StoreError::PreconditionFailed)),
            "{expect:?}: {result:?}"
        );
        assert_eq!(
            store.get_version(v1.package_id, "1").await.unwrap(),
            Some(v1.clone())
        );
        assert_eq!(
            store.get_version(v2.package_id, "2").await.unwrap(),
            Some(v2.clone())
        );
        assert_eq!(
            store.version_assets(v1.id).await.unwrap(),
            vec![asset("a", "x", 1)]
        );
        assert!(store.version_assets(v2.id).await.unwrap().is_empty());
    }
    assert_eq!(
        store
            .domain_stats(domain.id)
            .await
            .unwrap()
            .asset_size_bytes,
        1
    );

    // A failed publish that would have created the package leaves no package behind.
    let other = key(PackageFormat::Generic, "ns", "other");
    let failed = store
        .apply_publish(&PublishWrite {
            expect: VersionExpectation::At {
                version_id: v1.id,
                status: v1.status,
                revision: v1.revision.clone(),
            },
            ..new_version(repo.id, &other, "1", 1, None)
        })
        .await;
    assert!(
        matches!(failed, Err(StoreError::PreconditionFailed)),
        "{failed:?}"
    );
    assert!(store.get_package(repo.id, &other).await.unwrap().is_none());
}

pub async fn publish_duplicate_asset_writes_nothing(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let v1 = store
        .apply_publish(&PublishWrite {
            status: VersionStatus::Unfinished,
            ..new_version(repo.id, &pkg, "1", 10, Some(asset("a", "x", 1)))
        })
        .await
        .unwrap();
    let duplicate = store
        .apply_publish(&PublishWrite {
            expect: at(&v1),
            revision: "r2".into(),
            ..new_version(repo.id, &pkg, "1", 20, Some(asset("a", "y", 2)))
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::PreconditionFailed)),
        "{duplicate:?}"
    );
    // The status/revision update of the same transaction was rolled back.
    assert_eq!(
        store.get_version(v1.package_id, "1").await.unwrap(),
        Some(v1.clone())
    );
    assert_eq!(
        store.version_assets(v1.id).await.unwrap(),
        vec![asset("a", "x", 1)]
    );
}

pub async fn publish_into_missing_repository_is_not_found(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    store
        .delete_repository(repo.id, &repository_arn(&domain, "r"))
        .await
        .unwrap();
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let result = store
        .apply_publish(&new_version(
            repo.id,
            &pkg,
            "1",
            1,
            Some(asset("a", "x", 1)),
        ))
        .await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    let copy = store
        .apply_copy(&CopyWrite {
            repository_id: repo.id,
            package: pkg,
            new_package_origin: (OriginRule::Allow, OriginRule::Allow),
            versions: vec![],
            dist_tags: Vec::new(),
        })
        .await;
    assert!(matches!(copy, Err(StoreError::NotFound)), "{copy:?}");
}

pub async fn version_changes_apply_together(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let v1 = store
        .apply_publish(&PublishWrite {
            status: VersionStatus::Unfinished,
            ..new_version(repo.id, &pkg, "1", 10, Some(asset("a", "x", 1)))
        })
        .await
        .unwrap();
    let v2 = publish(&store, repo.id, &pkg, "2", 10, Some(asset("b", "y", 10))).await;
    let v3 = publish(&store, repo.id, &pkg, "3", 10, Some(asset("c", "z", 100))).await;
    assert_eq!(
        store
            .domain_stats(domain.id)
            .await
            .unwrap()
            .asset_size_bytes,
        111
    );

    store
        .apply_version_changes(&[
            VersionChange {
                version_id: v1.id,
                expect_status: VersionStatus::Unfinished,
                expect_revision: "r1".into(),
                action: VersionAction::SetStatus {
                    status: VersionStatus::Published,
                    published_ms: 999,
                },
            },
            VersionChange {
                version_id: v2.id,
                expect_status: VersionStatus::Published,
                expect_revision: "r1".into(),
                action: VersionAction::Dispose {
                    revision: "disposed".into(),
                },
            },
            VersionChange {
                version_id: v3.id,
                expect_status: VersionStatus::Published,
                expect_revision: "r1".into(),
                action: VersionAction::Delete,
            },
        ])
        .await
        .unwrap();

    let v1_now = store
        .get_version(v1.package_id, "1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1_now.status, VersionStatus::Published);
    assert_eq!(v1_now.published_ms, 999);
    assert_eq!(v1_now.revision, "r1");
    assert_eq!(store.version_assets(v1.id).await.unwrap().len(), 1);

    let v2_now = store
        .get_version(v2.package_id, "2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v2_now.status, VersionStatus::Disposed);
    assert_eq!(v2_now.revision, "disposed");
    assert_eq!(v2_now.metadata, v2.metadata);
    assert!(store.version_assets(v2.id).await.unwrap().is_empty());

    assert!(store
        .get_version(v3.package_id, "3")
        .await
        .unwrap()
        .is_none());
    assert!(store.version_assets(v3.id).await.unwrap().is_empty());

    // Disposed and deleted assets no longer count.
    assert_eq!(
        store
            .domain_stats(domain.id)
            .await
            .unwrap()
            .asset_size_bytes,
        1
    );
    // The package stays, even with only disposed versions.
    assert!(store.get_package(repo.id, &pkg).await.unwrap().is_some());

    // Changes apply in order: a later change sees the effect of an earlier one.
    store
        .apply_version_changes(&[
            VersionChange {
                version_id: v1.id,
                expect_status: VersionStatus::Published,
                expect_revision: "r1".into(),
                action: VersionAction::SetStatus {
                    status: VersionStatus::Archived,
                    published_ms: 999,
                },
            },
            VersionChange {
                version_id: v1.id,
                expect_status: VersionStatus::Archived,
                expect_revision: "r1".into(),
                action: VersionAction::Delete,
            },
        ])
        .await
        .unwrap();
    assert!(store
        .get_version(v1.package_id, "1")
        .await
        .unwrap()
        .is_none());
    store.apply_version_changes(&[]).await.unwrap();
}

pub async fn version_changes_roll_back_on_any_mismatch(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let v1 = publish(&store, repo.id, &pkg, "1", 10, Some(asset("a", "x", 1))).await;
    let v2 = publish(&store, repo.id, &pkg, "2", 10, Some(asset("b", "y", 2))).await;
    let v3 = publish(&store, repo.id, &pkg, "3", 10, Some(asset("c", "z", 3))).await;

    let good = |v: &VersionRow, action: VersionAction| VersionChange {
        version_id: v.id,
        expect_status: v.status,
        expect_revision: v.revision.clone(),
        action,
    };
    let bad_batches = vec![
        // The last change has a stale revision.
        vec![
            good(&v1, VersionAction::Delete),
            good(
                &v2,
                VersionAction::Dispose {
                    revision: "d".into(),
                },
            ),
            VersionChange {
                expect_revision: "stale".into(),
                ..good(
                    &v3,
                    VersionAction::SetStatus {
                        status: VersionStatus::Archived,
                        published_ms: 1,
                    },
                )
            },
        ],
        // A stale status first.
        vec![
            VersionChange {
                expect_status: VersionStatus::Unlisted,
                ..good(&v3, VersionAction::Delete)
            },
            good(&v1, VersionAction::Delete),
        ],
        // A version that does not exist.
        vec![
            good(
                &v1,
                VersionAction::Dispose {
                    revision: "d".into(),
                },
            ),
            VersionChange {
                version_id: v3.id + 1_000,
                ..good(&v3, VersionAction::Delete)
            },
        ],
        // The second change expects the state from before the first.
        vec![
            good(
                &v2,
                VersionAction::Dispose {
                    revision: "d".into(),
                },
            ),
            good(&v2, VersionAction::Delete),
        ],
    ];
    for batch in bad_batches {
        let result = store.apply_version_changes(&batch).await;
        assert!(
            matches!(result, Err(StoreError::PreconditionFailed)),
            "{result:?}"
        );
        for (v, asset_name) in [(&v1, "a"), (&v2, "b"), (&v3, "c")] {
            assert_eq!(
                store
                    .get_version(v.package_id, &v.version)
                    .await
                    .unwrap()
                    .as_ref(),
                Some(v)
            );
            let assets = store.version_assets(v.id).await.unwrap();
            assert_eq!(assets.len(), 1);
            assert_eq!(assets[0].name, asset_name);
        }
    }
}

pub async fn copy_creates_versions_and_package(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let dest = create_repository(&store, &domain, "dest", &[]).await;
    let pkg = key(PackageFormat::Npm, "scope", "lib");
    let external = VersionOrigin {
        origin_type: OriginType::External,
        repository: Some("src".into()),
        external_connection: Some("public:npmjs".into()),
    };
    seed_blobs(
        &store,
        &domain,
        &[asset("b.tgz", "x", 10), asset("a.json", "y", 1)],
    )
    .await;
    store
        .apply_copy(&CopyWrite {
            repository_id: dest.id,
            package: pkg.clone(),
            new_package_origin: (OriginRule::Allow, OriginRule::Block),
            versions: vec![
                CopiedVersion {
                    version: "1.0.0".into(),
                    expect: VersionExpectation::Absent,
                    status: VersionStatus::Published,
                    revision: "c1".into(),
                    published_ms: 5,
                    origin: external.clone(),
                    metadata: metadata("one"),
                    assets: vec![asset("b.tgz", "x", 10), asset("a.json", "y", 1)],
                    details: Default::default(),
                },
                CopiedVersion {
                    version: "2.0.0".into(),
                    expect: VersionExpectation::Absent,
                    status: VersionStatus::Unlisted,
                    revision: "c2".into(),
                    published_ms: 6,
                    origin: internal(),
                    metadata: VersionMetadata::default(),
                    assets: vec![],
                    details: Default::default(),
                },
            ],
            dist_tags: Vec::new(),
        })
        .await
        .unwrap();

    let package = store.get_package(dest.id, &pkg).await.unwrap().unwrap();
    assert_eq!(
        (package.origin_publish, package.origin_upstream),
        (OriginRule::Allow, OriginRule::Block)
    );
    let one = store
        .get_version(package.id, "1.0.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.status, VersionStatus::Published);
    assert_eq!(one.revision, "c1");
    assert_eq!(one.published_ms, 5);
    assert_eq!(one.origin, external);
    assert_eq!(one.metadata, metadata("one"));
    assert_eq!(
        store.version_assets(one.id).await.unwrap(),
        vec![asset("a.json", "y", 1), asset("b.tgz", "x", 10)]
    );
    let two = store
        .get_version(package.id, "2.0.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(two.status, VersionStatus::Unlisted);
    assert!(store.version_assets(two.id).await.unwrap().is_empty());
    assert_eq!(
        store
            .domain_stats(domain.id)
            .await
            .unwrap()
            .asset_size_bytes,
        11
    );

    // An existing package keeps its origin controls.
    store
        .apply_copy(&CopyWrite {
            repository_id: dest.id,
            package: pkg.clone(),
            new_package_origin: (OriginRule::Block, OriginRule::Allow),
            versions: vec![],
            dist_tags: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        store.get_package(dest.id, &pkg).await.unwrap(),
        Some(package)
    );
}

pub async fn copy_overwrites_and_is_atomic(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let dest = create_repository(&store, &domain, "dest", &[]).await;
    let pkg = key(PackageFormat::Pypi, "", "lib");
    let existing = store
        .apply_publish(&PublishWrite {
            metadata: metadata("old"),
            ..new_version(dest.id, &pkg, "1.0", 1, Some(asset("old.whl", "old", 50)))
        })
        .await
        .unwrap();
    let other = publish(
        &store,
        dest.id,
        &pkg,
        "2.0",
        2,
        Some(asset("two.whl", "two", 5)),
    )
    .await;
    seed_blobs(&store, &domain, &[asset("new.whl", "new", 7)]).await;
    let copied = |version: &str, expect: VersionExpectation| CopiedVersion {
        version: version.into(),
        expect,
        status: VersionStatus::Archived,
        revision: "copied".into(),
        published_ms: 77,
        origin: VersionOrigin {
            origin_type: OriginType::Unknown,
            repository: None,
            external_connection: None,
        },
        metadata: metadata("new"),
        assets: vec![asset("new.whl", "new", 7)],
        details: Default::default(),
    };
    let write = |versions: Vec<CopiedVersion>| CopyWrite {
        repository_id: dest.id,
        package: pkg.clone(),
        new_package_origin: (OriginRule::Allow, OriginRule::Allow),
        versions,
        dist_tags: Vec::new(),
    };

    // Atomic: a new version followed by an overwrite with a stale revision writes neither.
    let stale = store
        .apply_copy(&write(vec![
            copied("3.0", VersionExpectation::Absent),
            copied(
                "1.0",
                VersionExpectation::At {
                    version_id: existing.id,
                    status: existing.status,
                    revision: "stale".into(),
                },
            ),
        ]))
        .await;
    assert!(
        matches!(stale, Err(StoreError::PreconditionFailed)),
        "{stale:?}"
    );
    assert!(store
        .get_version(existing.package_id, "3.0")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.get_version(existing.package_id, "1.0").await.unwrap(),
        Some(existing.clone())
    );
    assert_eq!(
        store.version_assets(existing.id).await.unwrap(),
        vec![asset("old.whl", "old", 50)]
    );

    // Absent while it exists fails too, and so does At with another version's row.
    for (version, expect) in [("2.0", VersionExpectation::Absent), ("1.0", at(&other))] {
        let result = store
            .apply_copy(&write(vec![copied(version, expect)]))
            .await;
        assert!(
            matches!(result, Err(StoreError::PreconditionFailed)),
            "{result:?}"
        );
    }
    assert_eq!(
        store.get_version(other.package_id, "2.0").await.unwrap(),
        Some(other.clone())
    );

    // Overwrite with the right expectation replaces the row and its assets.
    store
        .apply_copy(&write(vec![
            copied("1.0", at(&existing)),
            copied("3.0", VersionExpectation::Absent),
        ]))
        .await
        .unwrap();
    let replaced = store
        .get_version(existing.package_id, "1.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.id, existing.id);
    assert_eq!(replaced.status, VersionStatus::Archived);
    assert_eq!(replaced.revision, "copied");
    assert_eq!(replaced.published_ms, 77);
    assert_eq!(replaced.origin.origin_type, OriginType::Unknown);
    assert_eq!(replaced.origin.repository, None);
    assert_eq!(replaced.metadata, metadata("new"));
    assert_eq!(
        store.version_assets(existing.id).await.unwrap(),
        vec![asset("new.whl", "new", 7)]
    );
    assert!(store
        .get_version(existing.package_id, "3.0")
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.version_assets(other.id).await.unwrap().len(), 1);
    // "old" is no longer referenced; "new" is counted once although two versions use it.
    assert_eq!(
        store
            .domain_stats(domain.id)
            .await
            .unwrap()
            .asset_size_bytes,
        12
    );
}
