//! ListPackages, DescribePackage, DeletePackage, ListPackageVersions.

use std::time::Duration;

use aws_sdk_codeartifact::types::{
    AllowPublish, AllowUpstream, PackageFormat, PackageSummary, PackageVersionOriginType,
    PackageVersionSortType, PackageVersionStatus,
};

use crate::common::*;

fn coords(p: &[PackageSummary]) -> Vec<String> {
    p.iter()
        .map(|p| {
            format!(
                "{}:{}/{}",
                p.format().map(|f| f.as_str()).unwrap_or("?"),
                p.namespace().unwrap_or(""),
                p.package().unwrap_or("?")
            )
        })
        .collect()
}

async fn publish_in_ns(s: &TestServer, ns: &str, pkg: &str, version: &str) {
    s.client
        .publish_package_version()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(ns)
        .package(pkg)
        .package_version(version)
        .asset_name("a")
        .asset_sha256(sha256_hex(pkg.as_bytes()))
        .asset_content(aws_sdk_codeartifact::primitives::ByteStream::from(
            pkg.as_bytes().to_vec(),
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("publish {ns}/{pkg}: {}", show(&e)));
}

#[tokio::test]
async fn list_packages_order_filters_and_fields() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    publish_in_ns(&s, "ns", "pkg-b", "1.0").await;
    publish_in_ns(&s, "other-ns", "pkg-c", "1.0").await;
    publish_in_ns(&s, "ns", "pkg-a", "1.0").await;
    publish_in_ns(&s, "ns", "pkg-a", "2.0").await;
    publish_in_ns(&s, "ns", "Zeta", "1.0").await;

    let l = s
        .client
        .list_packages()
        .domain("dom")
        .repository("repo")
        .send()
        .await
        .expect("list");
    assert_eq!(
        coords(l.packages()),
        [
            "generic:ns/Zeta",
            "generic:ns/pkg-a",
            "generic:ns/pkg-b",
            "generic:other-ns/pkg-c"
        ]
    );
    assert_eq!(l.next_token(), None);
    let r = l.packages()[0]
        .origin_configuration()
        .and_then(|o| o.restrictions())
        .expect("restrictions");
    // A package created by a publish: publish ALLOW, upstream BLOCK.
    assert_eq!(r.publish(), &AllowPublish::Allow);
    assert_eq!(r.upstream(), &AllowUpstream::Block);

    let by_format = s
        .client
        .list_packages()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .send()
        .await
        .expect("format");
    assert_eq!(by_format.packages().len(), 4);
    let npm = s
        .client
        .list_packages()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Npm)
        .send()
        .await
        .expect("npm");
    assert!(npm.packages().is_empty());

    // `namespace` is a prefix filter.
    let ns = s
        .client
        .list_packages()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace("oth")
        .send()
        .await
        .expect("namespace prefix");
    assert_eq!(coords(ns.packages()), ["generic:other-ns/pkg-c"]);

    let prefix = s
        .client
        .list_packages()
        .domain("dom")
        .repository("repo")
        .package_prefix("pkg-")
        .send()
        .await
        .expect("package prefix");
    assert_eq!(
        coords(prefix.packages()),
        [
            "generic:ns/pkg-a",
            "generic:ns/pkg-b",
            "generic:other-ns/pkg-c"
        ]
    );

    // `namespace` without `format` is an error (ug:list-packages.md).
    assert_validation(
        s.client
            .list_packages()
            .domain("dom")
            .repository("repo")
            .namespace("ns")
            .send()
            .await,
    );

    // Paging by one.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let p = s
            .client
            .list_packages()
            .domain("dom")
            .repository("repo")
            .max_results(1)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("page");
        seen.extend(coords(p.packages()));
        match p.next_token() {
            Some(t) => {
                assert_ne!(Some(t), token.as_deref());
                token = Some(t.to_string());
            }
            None => break,
        }
    }
    assert_eq!(seen, coords(l.packages()));

    assert_not_found(
        s.client
            .list_packages()
            .domain("dom")
            .repository("nope")
            .send()
            .await,
        "repository",
    );
}

#[tokio::test]
async fn describe_package() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    s.publish_ok("dom", "repo", "pkg", "1.0", "a", b"a", false)
        .await;
    let d = s
        .client
        .describe_package()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .send()
        .await
        .expect("describe");
    let p = d.package().expect("package");
    assert_eq!(p.format(), Some(&PackageFormat::Generic));
    assert_eq!(p.namespace(), Some(NS));
    assert_eq!(p.name(), Some("pkg"));
    let r = p
        .origin_configuration()
        .and_then(|o| o.restrictions())
        .expect("restrictions");
    assert_eq!(r.publish(), &AllowPublish::Allow);
    assert_eq!(r.upstream(), &AllowUpstream::Block);

    let e = assert_not_found(
        s.client
            .describe_package()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("nope")
            .send()
            .await,
        "package",
    );
    assert_eq!(e.resource_id.as_deref(), Some("nope"));
}

#[tokio::test]
async fn delete_package_removes_every_version() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    s.publish_ok("dom", "repo", "pkg", "1.0", "a", b"a", false)
        .await;
    s.publish_ok("dom", "repo", "pkg", "2.0", "b", b"bb", true)
        .await;
    s.publish_ok("dom", "repo", "keep", "1.0", "c", b"ccc", false)
        .await;
    let out = s
        .client
        .delete_package()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .send()
        .await
        .expect("delete");
    let p = out.deleted_package().expect("deletedPackage");
    assert_eq!(p.package(), Some("pkg"));
    assert_eq!(p.namespace(), Some(NS));
    assert_eq!(p.format(), Some(&PackageFormat::Generic));

    assert_not_found(
        s.client
            .describe_package()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .send()
            .await,
        "package",
    );
    assert_not_found(
        s.client
            .describe_package_version()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .package_version("1.0")
            .send()
            .await,
        "package",
    );
    let l = s
        .client
        .list_packages()
        .domain("dom")
        .repository("repo")
        .send()
        .await
        .expect("list");
    assert_eq!(coords(l.packages()), [format!("generic:{NS}/keep")]);
    // The bytes of the deleted versions no longer count.
    let d = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(d.domain().map(|d| d.asset_size_bytes()), Some(3));
    // Deleting again: not found. The package can be published again.
    assert_not_found(
        s.client
            .delete_package()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .send()
            .await,
        "package",
    );
    s.publish_ok("dom", "repo", "pkg", "1.0", "a", b"new bytes", false)
        .await;
    let (_, bytes) = s.get_asset("dom", "repo", "pkg", "1.0", "a").await;
    assert_eq!(bytes, b"new bytes");
}

fn versions_of(
    out: &aws_sdk_codeartifact::operation::list_package_versions::ListPackageVersionsOutput,
) -> Vec<String> {
    out.versions()
        .iter()
        .map(|v| v.version().to_string())
        .collect()
}

#[tokio::test]
async fn list_package_versions_order_status_and_default_display_version() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    // Publish order (= published time order): 1.2.0, 1.10.0, 1.9.0, then 2.0.0-beta (Unfinished).
    for v in ["1.2.0", "1.10.0", "1.9.0"] {
        s.publish_ok("dom", "repo", "pkg", v, "a", v.as_bytes(), false)
            .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.publish_ok("dom", "repo", "pkg", "2.0.0-beta", "a", b"beta", true)
        .await;

    let list = |status: Option<PackageVersionStatus>, sort: Option<PackageVersionSortType>| {
        s.client
            .list_package_versions()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .set_status(status)
            .set_sort_by(sort)
            .send()
    };

    let all = list(None, None).await.expect("list");
    // Without sortBy: by version string (byte order), every status.
    assert_eq!(
        versions_of(&all),
        ["1.10.0", "1.2.0", "1.9.0", "2.0.0-beta"]
    );
    assert_eq!(all.format(), Some(&PackageFormat::Generic));
    assert_eq!(all.namespace(), Some(NS));
    assert_eq!(all.package(), Some("pkg"));
    assert_eq!(all.next_token(), None);
    // The most recently published Published version.
    assert_eq!(all.default_display_version(), Some("1.9.0"));
    let beta = &all.versions()[3];
    assert_eq!(beta.status(), &PackageVersionStatus::Unfinished);
    assert_revision_shape(beta.revision().expect("revision"));
    let o = beta.origin().expect("origin");
    assert_eq!(o.origin_type(), Some(&PackageVersionOriginType::Internal));
    assert_eq!(
        o.domain_entry_point().and_then(|e| e.repository_name()),
        Some("repo")
    );
    // Each summary's revision is the version's revision.
    assert_eq!(
        all.versions()[0].revision(),
        Some(s.revision("dom", "repo", "pkg", "1.10.0").await.as_str())
    );

    let by_time = list(None, Some(PackageVersionSortType::PublishedTime))
        .await
        .expect("by time");
    assert_eq!(
        versions_of(&by_time),
        ["2.0.0-beta", "1.9.0", "1.10.0", "1.2.0"]
    );

    let unfinished = list(Some(PackageVersionStatus::Unfinished), None)
        .await
        .expect("status filter");
    assert_eq!(versions_of(&unfinished), ["2.0.0-beta"]);
    let published = list(Some(PackageVersionStatus::Published), None)
        .await
        .expect("status filter");
    assert_eq!(versions_of(&published), ["1.10.0", "1.2.0", "1.9.0"]);

    s.set_status(
        "dom",
        "repo",
        "pkg",
        "1.9.0",
        PackageVersionStatus::Unlisted,
    )
    .await;
    let all = list(None, None).await.expect("list");
    assert_eq!(all.default_display_version(), Some("1.10.0"));
    let unlisted = list(Some(PackageVersionStatus::Unlisted), None)
        .await
        .expect("unlisted");
    assert_eq!(versions_of(&unlisted), ["1.9.0"]);
    let archived = list(Some(PackageVersionStatus::Archived), None)
        .await
        .expect("archived");
    assert!(archived.versions().is_empty());

    // Finishing the beta makes it the newest published version.
    s.set_status(
        "dom",
        "repo",
        "pkg",
        "2.0.0-beta",
        PackageVersionStatus::Published,
    )
    .await;
    let all = list(None, None).await.expect("list");
    assert_eq!(all.default_display_version(), Some("2.0.0-beta"));

    // Deleted versions are not listed.
    s.delete_version("dom", "repo", "pkg", "1.2.0").await;
    let all = list(None, None).await.expect("list");
    assert_eq!(versions_of(&all), ["1.10.0", "1.9.0", "2.0.0-beta"]);

    assert_not_found(
        s.client
            .list_package_versions()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("nope")
            .send()
            .await,
        "package",
    );
}
