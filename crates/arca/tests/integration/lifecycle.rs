//! UpdatePackageVersionsStatus, DisposePackageVersions and DeletePackageVersions
//! (`codeartifact-behavior.md` §3.9, `decisions.md` "Lifecycle"); CopyPackageVersions is in `copy.rs`.

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};

use crate::common::*;

/// UpdatePackageVersionsStatus of generic `pkg` in dom/repo.
async fn update(
    s: &TestServer,
    versions: &[&str],
    target: PackageVersionStatus,
    expected: Option<PackageVersionStatus>,
    revisions: &[(&str, &str)],
) -> Batch {
    let mut req = s
        .client
        .update_package_versions_status()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .target_status(target)
        .set_expected_status(expected);
    for v in versions {
        req = req.versions(*v);
    }
    for (v, r) in revisions {
        req = req.version_revisions(*v, *r);
    }
    let out = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("update status: {}", show(&e)));
    batch(out.successful_versions(), out.failed_versions())
}

async fn publish_versions(s: &TestServer, versions: &[&str]) -> Vec<String> {
    let mut revs = Vec::new();
    for v in versions {
        let out = s
            .publish_ok("dom", "repo", "pkg", v, "a.txt", v.as_bytes(), false)
            .await;
        revs.push(out.version_revision().expect("rev").to_string());
    }
    revs
}

#[tokio::test]
async fn status_transitions_keep_the_revision() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let rev = publish_versions(&s, &["1.0"]).await.remove(0);

    for target in [
        PackageVersionStatus::Unlisted,
        PackageVersionStatus::Archived,
        PackageVersionStatus::Published,
        PackageVersionStatus::Archived,
        PackageVersionStatus::Unlisted,
        PackageVersionStatus::Published,
    ] {
        let (ok, failed) = update(&s, &["1.0"], target.clone(), None, &[]).await;
        assert!(failed.is_empty(), "{target:?}: {failed:?}");
        assert_eq!(ok, map3(&[("1.0", &rev, target.as_str())]));
        assert_eq!(s.status("dom", "repo", "pkg", "1.0").await, target);
        assert_eq!(s.revision("dom", "repo", "pkg", "1.0").await, rev);
    }
    // Setting the current status again is a success that changes nothing.
    let (ok, failed) = update(&s, &["1.0"], PackageVersionStatus::Published, None, &[]).await;
    assert!(failed.is_empty());
    assert_eq!(ok, map3(&[("1.0", &rev, "Published")]));
}

#[tokio::test]
async fn unfinished_can_be_published_unlisted_or_archived() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    for (v, target) in [
        ("p", PackageVersionStatus::Published),
        ("u", PackageVersionStatus::Unlisted),
        ("a", PackageVersionStatus::Archived),
    ] {
        let out = s.publish_ok("dom", "repo", "pkg", v, "x", b"x", true).await;
        let rev = out.version_revision().expect("rev").to_string();
        let (ok, failed) = update(&s, &[v], target.clone(), None, &[]).await;
        assert!(failed.is_empty(), "{v}: {failed:?}");
        assert_eq!(ok, map3(&[(v, &rev, target.as_str())]));
        assert_eq!(s.status("dom", "repo", "pkg", v).await, target);
        assert_eq!(s.revision("dom", "repo", "pkg", v).await, rev);
        // It is no longer Unfinished: no more assets.
        assert_conflict(
            s.publish("dom", "repo", "pkg", v, "y", b"y", true).await,
            "package-version",
        );
    }
    // Nothing goes back to Unfinished.
    let r = s
        .client
        .update_package_versions_status()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .versions("p")
        .target_status(PackageVersionStatus::Unfinished)
        .send()
        .await;
    assert_validation(r);
}

#[tokio::test]
async fn target_status_disposed_deleted_or_unfinished_is_validation_error() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    publish_versions(&s, &["1.0"]).await;
    for target in [
        PackageVersionStatus::Disposed,
        PackageVersionStatus::Unfinished,
        PackageVersionStatus::Deleted,
    ] {
        let r = s
            .client
            .update_package_versions_status()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .versions("1.0")
            .target_status(target.clone())
            .send()
            .await;
        let e = assert_validation(r);
        assert!(e.message.contains(target.as_str()), "{}", e.message);
    }
    assert_eq!(
        s.status("dom", "repo", "pkg", "1.0").await,
        PackageVersionStatus::Published
    );
}

#[tokio::test]
async fn expected_status_mismatch_fails_one_and_skips_the_rest() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    publish_versions(&s, &["1.0", "2.0", "3.0"]).await;
    s.set_status("dom", "repo", "pkg", "3.0", PackageVersionStatus::Unlisted)
        .await;

    let (ok, failed) = update(
        &s,
        &["1.0", "2.0", "3.0"],
        PackageVersionStatus::Archived,
        Some(PackageVersionStatus::Published),
        &[],
    )
    .await;
    assert!(ok.is_empty(), "{ok:?}");
    assert_eq!(
        failed,
        map3(&[
            ("1.0", "SKIPPED", "version 1.0 is skipped"),
            ("2.0", "SKIPPED", "version 2.0 is skipped"),
            (
                "3.0",
                "MISMATCHED_STATUS",
                "current status: Unlisted, expected status: Published"
            ),
        ])
    );
    // Nothing changed.
    for (v, st) in [
        ("1.0", PackageVersionStatus::Published),
        ("2.0", PackageVersionStatus::Published),
        ("3.0", PackageVersionStatus::Unlisted),
    ] {
        assert_eq!(s.status("dom", "repo", "pkg", v).await, st, "{v}");
    }

    // With a matching expectation the whole batch goes through.
    let (ok, failed) = update(
        &s,
        &["1.0", "2.0"],
        PackageVersionStatus::Archived,
        Some(PackageVersionStatus::Published),
        &[],
    )
    .await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        ok.values().map(|v| v.1.as_str()).collect::<Vec<_>>(),
        ["Archived", "Archived"]
    );
}

#[tokio::test]
async fn version_revisions_mismatch() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let revs = publish_versions(&s, &["1.0", "2.0"]).await;
    let stale = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let (ok, failed) = update(
        &s,
        &["1.0", "2.0"],
        PackageVersionStatus::Unlisted,
        None,
        &[("1.0", &revs[0]), ("2.0", stale)],
    )
    .await;
    assert!(ok.is_empty(), "{ok:?}");
    assert_eq!(
        failed,
        map3(&[
            ("1.0", "SKIPPED", "version 1.0 is skipped"),
            (
                "2.0",
                "MISMATCHED_REVISION",
                &format!("current revision: {}, expected revision: {stale}", revs[1])
            ),
        ])
    );
    // The right revisions: success.
    let (ok, failed) = update(
        &s,
        &["1.0", "2.0"],
        PackageVersionStatus::Unlisted,
        None,
        &[("1.0", &revs[0]), ("2.0", &revs[1])],
    )
    .await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        ok,
        map3(&[("1.0", &revs[0], "Unlisted"), ("2.0", &revs[1], "Unlisted")])
    );
}

#[tokio::test]
async fn unknown_version_is_not_found_in_the_batch() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    publish_versions(&s, &["1.0"]).await;
    let (ok, failed) = update(
        &s,
        &["1.0", "5.6.7"],
        PackageVersionStatus::Archived,
        None,
        &[],
    )
    .await;
    assert!(ok.is_empty());
    assert_eq!(
        failed,
        map3(&[
            ("1.0", "SKIPPED", "version 1.0 is skipped"),
            ("5.6.7", "NOT_FOUND", "Could not find version 5.6.7"),
        ])
    );
    assert_eq!(
        s.status("dom", "repo", "pkg", "1.0").await,
        PackageVersionStatus::Published
    );
    // A missing package is an error of the whole call.
    let r = s
        .client
        .update_package_versions_status()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("nope")
        .versions("1.0")
        .target_status(PackageVersionStatus::Archived)
        .send()
        .await;
    assert_not_found(r, "package");
}

#[tokio::test]
async fn dispose_package_versions() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    s.publish_ok(
        "dom",
        "repo",
        "pkg",
        "1.0",
        "a.txt",
        &pseudo_random(500, 1),
        false,
    )
    .await;
    s.publish_ok(
        "dom",
        "repo",
        "pkg",
        "2.0",
        "a.txt",
        &pseudo_random(70, 2),
        false,
    )
    .await;
    s.set_status("dom", "repo", "pkg", "2.0", PackageVersionStatus::Archived)
        .await;

    // expectedStatus guards the dispose.
    let out = s
        .client
        .dispose_package_versions()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .versions("1.0")
        .versions("2.0")
        .expected_status(PackageVersionStatus::Archived)
        .send()
        .await
        .expect("dispose");
    let (ok, failed) = batch(out.successful_versions(), out.failed_versions());
    assert!(ok.is_empty());
    assert_eq!(
        failed,
        map3(&[
            (
                "1.0",
                "MISMATCHED_STATUS",
                "current status: Published, expected status: Archived"
            ),
            ("2.0", "SKIPPED", "version 2.0 is skipped"),
        ])
    );

    let out = s
        .client
        .dispose_package_versions()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .versions("1.0")
        .versions("2.0")
        .send()
        .await
        .expect("dispose");
    let (ok, failed) = batch(out.successful_versions(), out.failed_versions());
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        ok.values().map(|v| v.1.as_str()).collect::<Vec<_>>(),
        ["Disposed", "Disposed"]
    );
    for (v, (rev, _)) in &ok {
        assert_revision_shape(rev);
        assert_eq!(&s.revision("dom", "repo", "pkg", v).await, rev, "{v}");
        assert_eq!(
            s.status("dom", "repo", "pkg", v).await,
            PackageVersionStatus::Disposed
        );
        assert!(s.asset_names("dom", "repo", "pkg", v).await.is_empty());
    }
    // The bytes are gone.
    let d = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(d.domain().map(|d| d.asset_size_bytes()), Some(0));

    // Disposed is final: no status change, only deletion.
    let (ok, failed) = update(&s, &["1.0"], PackageVersionStatus::Published, None, &[]).await;
    assert!(ok.is_empty());
    assert_eq!(
        failed.get("1.0").map(|f| f.0.as_str()),
        Some("NOT_ALLOWED"),
        "{failed:?}"
    );
    assert_eq!(
        s.status("dom", "repo", "pkg", "1.0").await,
        PackageVersionStatus::Disposed
    );
    // Listing with status=Disposed still shows them.
    let l = s
        .client
        .list_package_versions()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .status(PackageVersionStatus::Disposed)
        .send()
        .await
        .expect("list");
    assert_eq!(l.versions().len(), 2);
    s.delete_version("dom", "repo", "pkg", "1.0").await;
}

#[tokio::test]
async fn delete_package_versions() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let revs = publish_versions(&s, &["1.0", "2.0", "3.0"]).await;
    s.set_status("dom", "repo", "pkg", "3.0", PackageVersionStatus::Archived)
        .await;

    // Guarded by expectedStatus.
    let out = s
        .client
        .delete_package_versions()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .versions("1.0")
        .versions("3.0")
        .expected_status(PackageVersionStatus::Published)
        .send()
        .await
        .expect("delete");
    let (ok, failed) = batch(out.successful_versions(), out.failed_versions());
    assert!(ok.is_empty());
    assert_eq!(
        failed,
        map3(&[
            ("1.0", "SKIPPED", "version 1.0 is skipped"),
            (
                "3.0",
                "MISMATCHED_STATUS",
                "current status: Archived, expected status: Published"
            ),
        ])
    );

    let out = s
        .client
        .delete_package_versions()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .versions("1.0")
        .versions("3.0")
        .send()
        .await
        .expect("delete");
    let (ok, failed) = batch(out.successful_versions(), out.failed_versions());
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        ok,
        map3(&[("1.0", &revs[0], "Deleted"), ("3.0", &revs[2], "Deleted")])
    );
    for v in ["1.0", "3.0"] {
        assert_not_found(
            s.client
                .describe_package_version()
                .domain("dom")
                .repository("repo")
                .format(PackageFormat::Generic)
                .namespace(NS)
                .package("pkg")
                .package_version(v)
                .send()
                .await,
            "package-version",
        );
    }
    let l = s
        .client
        .list_package_versions()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .send()
        .await
        .expect("list");
    assert_eq!(
        l.versions().iter().map(|v| v.version()).collect::<Vec<_>>(),
        ["2.0"]
    );
    // Deleting again: NOT_FOUND in the batch.
    let out = s
        .client
        .delete_package_versions()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .versions("1.0")
        .send()
        .await
        .expect("delete again");
    let (ok, failed) = batch(out.successful_versions(), out.failed_versions());
    assert!(ok.is_empty());
    assert_eq!(
        failed,
        map3(&[("1.0", "NOT_FOUND", "Could not find version 1.0")])
    );
    // A deleted version can be published again, with other content.
    let out = s
        .publish_ok("dom", "repo", "pkg", "1.0", "new.txt", b"new", false)
        .await;
    assert_eq!(out.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(
        s.asset_names("dom", "repo", "pkg", "1.0").await,
        ["new.txt"]
    );
}
