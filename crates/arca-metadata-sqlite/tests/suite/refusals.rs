//! Writes a store refuses with a typed error, identically on every backend: a write whose parent
//! row disappeared (a repository deleted while a publish was in flight) is `NotFound`, never a
//! backend error.

use arca_metadata::{StoreError, VersionDetails};

use super::*;

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>) {
    assert!(matches!(r, Err(StoreError::NotFound)), "{what}: {r:?}");
}

pub async fn writes_whose_parent_disappeared_are_not_found(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "", "kit");
    let v1 = publish(
        &store,
        repo.id,
        &pkg,
        "1.0.0",
        1,
        Some(asset("package.tgz", "a", 1)),
    )
    .await;
    store
        .delete_repository(repo.id, &repository_arn(&domain, "r"))
        .await
        .unwrap();

    // The publish decided before the deletion: a new version, or one more file in v1.
    let absent = new_version(
        repo.id,
        &pkg,
        "2.0.0",
        2,
        Some(asset("package.tgz", "b", 1)),
    );
    assert_not_found("new version", store.apply_publish(&absent).await);
    let into_v1 = PublishWrite {
        expect: at(&v1),
        ..new_version(repo.id, &pkg, "1.0.0", 1, Some(asset("more.tgz", "c", 1)))
    };
    assert_not_found("asset into a version", store.apply_publish(&into_v1).await);
    assert_not_found(
        "dist-tag",
        store.set_dist_tag(v1.package_id, "latest", "1.0.0").await,
    );
    assert_not_found(
        "version details",
        store
            .set_version_details(
                v1.id,
                &VersionDetails {
                    readme: Some("# Kit".into()),
                    ..VersionDetails::default()
                },
            )
            .await,
    );
    assert_not_found(
        "repository update",
        store.update_repository(repo.id, Some("x"), None).await,
    );
    // Nothing was written.
    assert!(store
        .get_repository(domain.id, "r")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .get_version(v1.package_id, "2.0.0")
        .await
        .unwrap()
        .is_none());
    assert!(store.version_assets(v1.id).await.unwrap().is_empty());
}
