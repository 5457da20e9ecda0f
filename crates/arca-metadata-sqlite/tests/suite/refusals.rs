//! Writes a store refuses with a typed error, identically on every backend: a write whose parent
//! row disappeared (a repository deleted while a publish was in flight) is `NotFound`, and text
//! holding U+0000 is `InvalidText` (PostgreSQL cannot store it; SQLite could, so both refuse) —
//! never a backend error.

use arca_metadata::{
    CopiedVersion, CopyWrite, NewDomain, NewRepository, OriginRule, PackageDependency,
    PackageFilter, StoreError, VersionDetails, VersionPath,
};

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

#[track_caller]
fn assert_invalid_text<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::InvalidText(_))),
        "{what}: {r:?}"
    );
}

/// A read given NUL finds nothing or refuses it, but never fails as a backend error.
#[track_caller]
fn assert_no_backend_error<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>) {
    assert!(!matches!(r, Err(StoreError::Backend(_))), "{what}: {r:?}");
}

pub async fn text_with_nul_is_refused_everywhere(store: Store) {
    const NUL: &str = "a\0b";
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Npm, "scope", "kit");

    let new_domain = |name: &str, tags: Vec<(String, String)>| NewDomain {
        owner: OWNER.into(),
        name: name.into(),
        created_ms: 1,
        encryption_key: None,
        arn: domain_arn(OWNER, "x"),
        tags,
    };
    assert_invalid_text(
        "domain name",
        store.create_domain(&new_domain(NUL, vec![])).await,
    );
    assert_invalid_text(
        "domain tag",
        store
            .create_domain(&new_domain("e", vec![("k".into(), NUL.into())]))
            .await,
    );
    let new_repo = |name: &str, description: Option<&str>| NewRepository {
        domain_id: domain.id,
        name: name.into(),
        administrator_account: OWNER.into(),
        description: description.map(str::to_string),
        created_ms: 1,
        upstreams: vec![],
        arn: repository_arn(&domain, "x"),
        tags: vec![],
    };
    assert_invalid_text(
        "repository name",
        store.create_repository(&new_repo(NUL, None)).await,
    );
    assert_invalid_text(
        "repository description",
        store.create_repository(&new_repo("s", Some(NUL))).await,
    );
    assert_invalid_text(
        "repository update",
        store.update_repository(repo.id, Some(NUL), None).await,
    );
    assert_invalid_text(
        "tag",
        store
            .tag_resource(
                &repository_arn(&domain, "r"),
                &[(NUL.into(), "v".into())],
                50,
            )
            .await,
    );

    // Every user text of a publish.
    let base = || {
        new_version(
            repo.id,
            &pkg,
            "1.0.0",
            1,
            Some(asset("package.tgz", "a", 1)),
        )
    };
    let dep = |name: &str| PackageDependency {
        namespace: String::new(),
        package: name.into(),
        dependency_type: Some("regular".into()),
        version_requirement: Some("^1".into()),
    };
    let mut writes: Vec<(&str, PublishWrite)> = Vec::new();
    let mut w = base();
    w.package.namespace = NUL.into();
    writes.push(("namespace", w));
    let mut w = base();
    w.package.name = NUL.into();
    writes.push(("package name", w));
    let mut w = base();
    w.version = NUL.into();
    writes.push(("version", w));
    let mut w = base();
    w.asset = Some(asset(NUL, "a", 1));
    writes.push(("asset name", w));
    let mut w = base();
    if let Some(a) = w.asset.as_mut() {
        a.requires_python = Some(NUL.into());
    }
    writes.push(("requires-python", w));
    let mut w = base();
    w.metadata.summary = Some(NUL.into());
    writes.push(("summary", w));
    let mut w = base();
    w.metadata.display_name = Some(NUL.into());
    writes.push(("display name", w));
    let mut w = base();
    w.details = Some(VersionDetails {
        readme: Some(NUL.into()),
        ..VersionDetails::default()
    });
    writes.push(("readme", w));
    let mut w = base();
    w.details = Some(VersionDetails {
        dependencies: vec![dep(NUL)],
        ..VersionDetails::default()
    });
    writes.push(("dependency", w));
    let mut w = base();
    w.dist_tags = vec![NUL.into()];
    writes.push(("dist-tag", w));
    for (what, w) in &writes {
        assert_invalid_text(what, store.apply_publish(w).await);
    }
    let copy = CopyWrite {
        repository_id: repo.id,
        package: pkg.clone(),
        new_package_origin: (OriginRule::Allow, OriginRule::Allow),
        versions: vec![CopiedVersion {
            version: NUL.into(),
            expect: arca_metadata::VersionExpectation::Absent,
            status: arca_metadata::VersionStatus::Published,
            revision: "r".into(),
            published_ms: 1,
            origin: internal(),
            metadata: Default::default(),
            assets: vec![],
            details: VersionDetails::default(),
        }],
        dist_tags: vec![],
    };
    assert_invalid_text("copied version", store.apply_copy(&copy).await);
    // Nothing of those was written.
    let packages = store
        .list_packages(repo.id, &PackageFilter::default(), 10)
        .await
        .unwrap();
    assert!(packages.is_empty(), "{packages:?}");

    let v = publish(
        &store,
        repo.id,
        &pkg,
        "1.0.0",
        1,
        Some(asset("package.tgz", "a", 1)),
    )
    .await;
    assert_invalid_text(
        "dist-tag name",
        store.set_dist_tag(v.package_id, NUL, "1.0.0").await,
    );
    assert_invalid_text(
        "details",
        store
            .set_version_details(
                v.id,
                &VersionDetails {
                    deprecated: Some(NUL.into()),
                    ..VersionDetails::default()
                },
            )
            .await,
    );
    assert_invalid_text(
        "deprecation",
        store.set_deprecations(&[(v.id, Some(NUL.into()))]).await,
    );
    assert_eq!(
        store.version_details(v.id).await.unwrap(),
        VersionDetails::default()
    );

    // Reads given NUL: nothing found or refused, never a 500.
    assert_no_backend_error("get_domain", store.get_domain(OWNER, NUL).await);
    assert_no_backend_error("get_repository", store.get_repository(domain.id, NUL).await);
    let nul_pkg = key(PackageFormat::Npm, NUL, NUL);
    assert_no_backend_error("get_package", store.get_package(repo.id, &nul_pkg).await);
    assert_no_backend_error("get_version", store.get_version(v.package_id, NUL).await);
    assert_no_backend_error("get_asset", store.get_asset(v.id, NUL).await);
    assert_no_backend_error(
        "lookup_version",
        store
            .lookup_version(&VersionPath {
                domain_owner: OWNER,
                domain: "d",
                repository: "r",
                package: &nul_pkg,
                version: NUL,
            })
            .await,
    );
    let filter = PackageFilter {
        name_prefix: Some(NUL.into()),
        ..PackageFilter::default()
    };
    assert_no_backend_error(
        "list_packages",
        store.list_packages(repo.id, &filter, 10).await,
    );
}
