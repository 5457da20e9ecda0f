//! CopyPackageVersions (`codeartifact-behavior.md` §3.9, `decisions.md` "Lifecycle"): copies by
//! reference with their origin, failures and skips, origin controls and `includeFromUpstream`.

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionOriginType, PackageVersionStatus};

use crate::common::*;

/// CopyPackageVersions from `src` to `dst` of generic `pkg`.
async fn copy(
    s: &TestServer,
    versions: Option<&[&str]>,
    revisions: Option<&[(&str, &str)]>,
    allow_overwrite: Option<bool>,
) -> Result<
    Batch,
    aws_sdk_codeartifact::error::SdkError<
        aws_sdk_codeartifact::operation::copy_package_versions::CopyPackageVersionsError,
    >,
> {
    let mut req = s
        .client
        .copy_package_versions()
        .domain("dom")
        .source_repository("src")
        .destination_repository("dst")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .set_allow_overwrite(allow_overwrite);
    if let Some(vs) = versions {
        for v in vs {
            req = req.versions(*v);
        }
    }
    if let Some(rs) = revisions {
        for (v, r) in rs {
            req = req.version_revisions(*v, *r);
        }
    }
    req.send()
        .await
        .map(|o| batch(o.successful_versions(), o.failed_versions()))
}

#[tokio::test]
async fn copy_package_versions() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.create_repo("dom", "src").await;
    s.create_repo("dom", "dst").await;
    let one = pseudo_random(4000, 11);
    let p1 = s
        .publish_ok("dom", "src", "pkg", "1.0", "one.bin", &one, true)
        .await;
    let p1b = s
        .publish_ok("dom", "src", "pkg", "1.0", "two.bin", b"two", false)
        .await;
    let rev1 = p1b.version_revision().expect("rev").to_string();
    assert_ne!(p1.version_revision(), Some(rev1.as_str()));

    // Exactly one of versions and versionRevisions.
    assert_validation(copy(&s, Some(&["1.0"]), Some(&[("1.0", &rev1)]), None).await);
    assert_validation(copy(&s, None, None, None).await);

    let (ok, failed) = copy(&s, Some(&["1.0"]), None, None).await.expect("copy");
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(ok, map3(&[("1.0", &rev1, "Published")]));

    // In the destination: same revision, status, assets and bytes; the origin is the source's.
    let d = s
        .client
        .describe_package_version()
        .domain("dom")
        .repository("dst")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("1.0")
        .send()
        .await
        .expect("describe copy");
    let v = d.package_version().expect("packageVersion");
    assert_eq!(v.revision(), Some(rev1.as_str()));
    assert_eq!(v.status(), Some(&PackageVersionStatus::Published));
    let o = v.origin().expect("origin");
    assert_eq!(o.origin_type(), Some(&PackageVersionOriginType::Internal));
    assert_eq!(
        o.domain_entry_point().and_then(|e| e.repository_name()),
        Some("src")
    );
    assert_eq!(
        s.asset_names("dom", "dst", "pkg", "1.0").await,
        ["one.bin", "two.bin"]
    );
    let (_, bytes) = s.get_asset("dom", "dst", "pkg", "1.0", "one.bin").await;
    assert_eq!(bytes, one);
    // Copying the identical version again: success, in neither map.
    let (ok, failed) = copy(&s, Some(&["1.0"]), None, None)
        .await
        .expect("copy again");
    assert!(ok.is_empty() && failed.is_empty(), "{ok:?} {failed:?}");

    // A different 2.0 in both: ALREADY_EXISTS unless allowOverwrite.
    let src2 = s
        .publish_ok("dom", "src", "pkg", "2.0", "a", b"from src", false)
        .await;
    let rev2 = src2.version_revision().expect("rev").to_string();
    s.publish_ok("dom", "dst", "pkg", "2.0", "a", b"from dst", false)
        .await;
    let (ok, failed) = copy(&s, Some(&["1.0", "2.0"]), None, None)
        .await
        .expect("copy");
    assert!(ok.is_empty(), "{ok:?}");
    assert_eq!(
        failed,
        map3(&[("2.0", "ALREADY_EXISTS", "Version 2.0 already exists")]),
        "the identical 1.0 is in neither map"
    );
    let (_, bytes) = s.get_asset("dom", "dst", "pkg", "2.0", "a").await;
    assert_eq!(bytes, b"from dst");

    let (ok, failed) = copy(&s, Some(&["2.0"]), None, Some(true))
        .await
        .expect("overwrite");
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(ok, map3(&[("2.0", &rev2, "Published")]));
    let (_, bytes) = s.get_asset("dom", "dst", "pkg", "2.0", "a").await;
    assert_eq!(bytes, b"from src");
    assert_eq!(s.revision("dom", "dst", "pkg", "2.0").await, rev2);

    // Copies share blobs: the domain's size counts each stored blob once — one.bin, two.bin and
    // "from src" (in both repositories); "from dst" was overwritten and is no longer referenced.
    let dom = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(
        dom.domain().map(|d| d.asset_size_bytes()),
        Some(one.len() as i64 + 3 + 8)
    );
}

#[tokio::test]
async fn copy_failures_skip_the_rest() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.create_repo("dom", "src").await;
    s.create_repo("dom", "dst").await;
    let r1 = s
        .publish_ok("dom", "src", "pkg", "1.0", "a", b"1", false)
        .await
        .version_revision()
        .expect("rev")
        .to_string();
    s.publish_ok("dom", "src", "pkg", "2.0", "a", b"2", false)
        .await;

    let (ok, failed) = copy(&s, Some(&["1.0", "2.0", "9.9"]), None, None)
        .await
        .expect("copy");
    assert!(ok.is_empty(), "{ok:?}");
    assert_eq!(
        failed,
        map3(&[
            ("1.0", "SKIPPED", "Version 1.0 was skipped"),
            ("2.0", "SKIPPED", "Version 2.0 was skipped"),
            ("9.9", "NOT_FOUND", "Could not find version 9.9"),
        ])
    );
    let stale = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let (ok, failed) = copy(&s, None, Some(&[("1.0", &r1), ("2.0", stale)]), None)
        .await
        .expect("copy");
    assert!(ok.is_empty(), "{ok:?}");
    assert_eq!(failed.get("1.0").map(|f| f.0.as_str()), Some("SKIPPED"));
    assert_eq!(
        failed.get("2.0").map(|f| f.0.as_str()),
        Some("MISMATCHED_REVISION"),
        "{failed:?}"
    );
    // Nothing was copied.
    assert_not_found(
        s.client
            .describe_package()
            .domain("dom")
            .repository("dst")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .send()
            .await,
        "package",
    );
    // With the right revision: copied.
    let (ok, failed) = copy(&s, None, Some(&[("1.0", &r1)]), None)
        .await
        .expect("copy");
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(ok, map3(&[("1.0", &r1, "Published")]));

    // Missing destination repository.
    let r = s
        .client
        .copy_package_versions()
        .domain("dom")
        .source_repository("src")
        .destination_repository("nowhere")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .versions("1.0")
        .send()
        .await;
    assert_not_found(r, "repository");
}

#[tokio::test]
async fn copy_into_a_package_with_publish_blocked_is_not_allowed() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.create_repo("dom", "src").await;
    s.create_repo("dom", "dst").await;
    s.publish_ok("dom", "src", "pkg", "1.0", "a", b"1", false)
        .await;
    s.client
        .put_package_origin_configuration()
        .domain("dom")
        .repository("dst")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .restrictions(
            aws_sdk_codeartifact::types::PackageOriginRestrictions::builder()
                .publish(aws_sdk_codeartifact::types::AllowPublish::Block)
                .upstream(aws_sdk_codeartifact::types::AllowUpstream::Allow)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (ok, failed) = copy(&s, Some(&["1.0"]), None, None).await.expect("copy");
    assert!(ok.is_empty(), "{ok:?}");
    assert_eq!(
        failed.get("1.0").map(|f| f.0.as_str()),
        Some("NOT_ALLOWED"),
        "{failed:?}"
    );
    let listed = s
        .client
        .list_package_versions()
        .domain("dom")
        .repository("dst")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .send()
        .await
        .unwrap();
    assert!(listed.versions().is_empty(), "nothing was copied");
}

#[tokio::test]
async fn copy_include_from_upstream_takes_versions_from_the_source_s_upstreams() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.create_repo("dom", "up").await;
    s.client
        .create_repository()
        .domain("dom")
        .repository("src")
        .upstreams(
            aws_sdk_codeartifact::types::UpstreamRepository::builder()
                .repository_name("up")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s.create_repo("dom", "dst").await;
    s.publish_ok("dom", "up", "pkg", "1.0", "a", b"1", false)
        .await;
    let copy_from_src = |include: bool| {
        s.client
            .copy_package_versions()
            .domain("dom")
            .source_repository("src")
            .destination_repository("dst")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .versions("1.0")
            .include_from_upstream(include)
            .send()
    };
    // Without includeFromUpstream the package is not in src at all.
    assert_not_found(copy_from_src(false).await, "package");
    assert!(s
        .client
        .describe_package_version()
        .domain("dom")
        .repository("dst")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("1.0")
        .send()
        .await
        .is_err());

    let out = copy_from_src(true).await.expect("copy");
    assert!(
        out.failed_versions().is_none_or(|f| f.is_empty()),
        "{out:?}"
    );
    let d = s
        .client
        .describe_package_version()
        .domain("dom")
        .repository("dst")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("1.0")
        .send()
        .await
        .expect("copied into dst");
    let origin = d.package_version().unwrap().origin().unwrap();
    assert_eq!(
        origin.domain_entry_point().unwrap().repository_name(),
        Some("up"),
        "its origin is kept"
    );
    // src itself keeps nothing (a copy is not a retention).
    assert!(s
        .client
        .describe_package()
        .domain("dom")
        .repository("src")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .send()
        .await
        .is_err());
}
