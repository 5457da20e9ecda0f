//! ListPackageVersionDependencies and GetPackageVersionReadme through the official SDK: what npm
//! publishes and twine uploads declare, generic packages (none), pagination, validation, statuses,
//! and CopyPackageVersions carrying it all.

use aws_sdk_codeartifact::types::{PackageDependency, PackageFormat, PackageVersionStatus};
use serde_json::{json, Value};

use crate::common::npm::*;
use crate::common::*;

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

/// (namespace, package, type, requirement) of every dependency of an npm version, following
/// `nextToken` to the end; also the number of pages.
async fn npm_dependencies(
    s: &TestServer,
    repo: &str,
    ns: Option<&str>,
    package: &str,
    version: &str,
) -> (Vec<(String, String, String, String)>, usize) {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for pages in 1..100 {
        let r = s
            .client
            .list_package_version_dependencies()
            .domain("acme")
            .repository(repo)
            .format(PackageFormat::Npm)
            .set_namespace(ns.map(str::to_string))
            .package(package)
            .package_version(version)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}", show(&e)));
        assert_eq!(r.format(), Some(&PackageFormat::Npm));
        assert_eq!(
            (r.namespace(), r.package(), r.version()),
            (ns, Some(package), Some(version))
        );
        assert_revision_shape(r.version_revision().unwrap());
        out.extend(r.dependencies().iter().map(tuple));
        match r.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return (out, pages),
        }
    }
    panic!("the pages never end");
}

fn tuple(d: &PackageDependency) -> (String, String, String, String) {
    (
        d.namespace().unwrap_or("").to_string(),
        d.package().unwrap_or("").to_string(),
        d.dependency_type().unwrap_or("").to_string(),
        d.version_requirement().unwrap_or("").to_string(),
    )
}

fn dep(ns: &str, p: &str, t: &str, r: &str) -> (String, String, String, String) {
    (ns.into(), p.into(), t.into(), r.into())
}

async fn readme(
    s: &TestServer,
    format: PackageFormat,
    ns: Option<&str>,
    p: &str,
    v: &str,
) -> Option<String> {
    let r = s
        .client
        .get_package_version_readme()
        .domain("acme")
        .repository("releases")
        .format(format.clone())
        .set_namespace(ns.map(str::to_string))
        .package(p)
        .package_version(v)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(
        (r.format(), r.package(), r.version()),
        (Some(&format), Some(p), Some(v))
    );
    assert_revision_shape(r.version_revision().unwrap());
    r.readme().map(str::to_string)
}

#[tokio::test]
async fn npm_publishes_declare_dependencies_and_readmes() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let m = manifest(
        "@acme/kit",
        "1.0.0",
        json!({
            "dependencies": {"widget": "^1.0.0", "@acme/core": "~2.1.0"},
            "devDependencies": {"jest": "29"},
            "peerDependencies": {"react": ">=18"},
            "optionalDependencies": {"fsevents": "*"}
        }),
    );
    let tgz = tarball(&m);
    let mut doc = publish_doc(&m, &tgz);
    doc["readme"] = json!("# Kit\n\nThe kit.");
    let r = npm.publish(&doc).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let (deps, pages) = npm_dependencies(&s, "releases", Some("acme"), "kit", "1.0.0").await;
    assert_eq!(pages, 1);
    assert_eq!(
        deps,
        vec![
            dep("acme", "core", "regular", "~2.1.0"),
            dep("", "widget", "regular", "^1.0.0"),
            dep("", "jest", "dev", "29"),
            dep("", "react", "peer", ">=18"),
            dep("", "fsevents", "optional", "*"),
        ]
    );
    assert_eq!(
        readme(&s, PackageFormat::Npm, Some("acme"), "kit", "1.0.0")
            .await
            .as_deref(),
        Some("# Kit\n\nThe kit.")
    );

    // Without a readme in the document, the tarball's README is the readme; none at all: absent.
    npm.publish_ok("widget", "1.0.0", json!({})).await;
    assert_eq!(
        readme(&s, PackageFormat::Npm, None, "widget", "1.0.0").await,
        None
    );
    let (deps, _) = npm_dependencies(&s, "releases", None, "widget", "1.0.0").await;
    assert!(deps.is_empty());
    let m = manifest("widget", "2.0.0", json!({}));
    let tgz = tarball_with(&m, &[("package/README.md", "# Widget from the tarball")]);
    let r = npm.publish(&publish_doc(&m, &tgz)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        readme(&s, PackageFormat::Npm, None, "widget", "2.0.0")
            .await
            .as_deref(),
        Some("# Widget from the tarball")
    );

    // Still there when the version is archived or disposed (metadata stays, only assets go).
    set_npm_status(&s, "widget", "2.0.0", PackageVersionStatus::Archived).await;
    assert!(readme(&s, PackageFormat::Npm, None, "widget", "2.0.0")
        .await
        .is_some());
}

#[tokio::test]
async fn dependencies_page_by_a_thousand() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let many: serde_json::Map<String, Value> = (0..1_001)
        .map(|i| (format!("dep-{i:04}"), json!("^1.0.0")))
        .collect();
    npm.publish_ok("big", "1.0.0", json!({"dependencies": many}))
        .await;
    let (deps, pages) = npm_dependencies(&s, "releases", None, "big", "1.0.0").await;
    assert_eq!((deps.len(), pages), (1_001, 2));
    assert_eq!(deps[0].1, "dep-0000");
    assert_eq!(deps[1_000].1, "dep-1000");
    // A token that does not verify, or belongs to another version, is a 400.
    let first = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("big")
        .package_version("1.0.0")
        .send()
        .await
        .unwrap();
    let token = first.next_token().unwrap().to_string();
    npm.publish_ok("big", "2.0.0", json!({})).await;
    for (version, t) in [("1.0.0", "not-a-token".to_string()), ("2.0.0", token)] {
        let r = s
            .client
            .list_package_version_dependencies()
            .domain("acme")
            .repository("releases")
            .format(PackageFormat::Npm)
            .package("big")
            .package_version(version)
            .next_token(t)
            .send()
            .await;
        assert_validation(r);
    }
}

#[tokio::test]
async fn generic_versions_have_neither_and_bad_requests_are_refused() {
    let s = setup().await;
    s.publish_ok(
        "acme", "releases", "tool", "1.0", "tool.bin", b"bytes", false,
    )
    .await;
    let r = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("tool")
        .package_version("1.0")
        .send()
        .await
        .unwrap();
    assert!(r.dependencies().is_empty() && r.next_token().is_none());
    assert_eq!(r.namespace(), Some(NS));
    assert_eq!(
        readme(&s, PackageFormat::Generic, Some(NS), "tool", "1.0").await,
        None
    );

    // Missing version, package or repository: 404 with the resource type.
    let missing = |package: &str, version: &str, repo: &str| {
        s.client
            .get_package_version_readme()
            .domain("acme")
            .repository(repo)
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(package)
            .package_version(version)
            .send()
    };
    assert_not_found(missing("tool", "9.9", "releases").await, "package-version");
    assert_not_found(missing("nope", "1.0", "releases").await, "package");
    assert_not_found(missing("tool", "1.0", "nowhere").await, "repository");
    let r = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("tool")
        .package_version("9.9")
        .send()
        .await;
    assert_not_found(r, "package-version");
    // Namespace rules as for every version operation: required for generic, refused for pypi.
    let r = s
        .client
        .get_package_version_readme()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Generic)
        .package("tool")
        .package_version("1.0")
        .send()
        .await;
    assert_validation(r);
    let r = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Pypi)
        .namespace("ns")
        .package("tool")
        .package_version("1.0")
        .send()
        .await;
    assert_validation(r);
    // The model's constraints (no max-results for dependencies: the SDK cannot send one).
    let r = s.raw("POST", "/v1/package/version/dependencies?domain=acme&repository=releases&format=npm&package=p&version=1.0.0&next-token=", b"").await;
    r.assert_error(400, "ValidationException");
    let r = s.raw("GET", "/v1/package/version/readme?domain=acme&repository=releases&format=bogus&package=p&version=1", b"").await;
    r.assert_error(400, "ValidationException");
}

#[tokio::test]
async fn copies_carry_dependencies_readme_and_dist_tags() {
    let s = setup().await;
    s.create_repo("acme", "staging").await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let m = manifest(
        "kit",
        "1.0.0",
        json!({"dependencies": {"widget": "^1.0.0"}}),
    );
    let tgz = tarball(&m);
    let mut doc = publish_doc(&m, &tgz);
    doc["readme"] = json!("kit readme");
    doc["dist-tags"] = json!({"stable": "1.0.0", "latest": "1.0.0"});
    assert_eq!(npm.publish(&doc).await.status, 200);
    s.client
        .copy_package_versions()
        .domain("acme")
        .source_repository("releases")
        .destination_repository("staging")
        .format(PackageFormat::Npm)
        .package("kit")
        .versions("1.0.0")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    let (deps, _) = npm_dependencies(&s, "staging", None, "kit", "1.0.0").await;
    assert_eq!(deps, vec![dep("", "widget", "regular", "^1.0.0")]);
    let r = s
        .client
        .get_package_version_readme()
        .domain("acme")
        .repository("staging")
        .format(PackageFormat::Npm)
        .package("kit")
        .package_version("1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.readme(), Some("kit readme"));
    let staging = Npm::login(&s, "acme", "staging").await;
    let tags = staging.get("-/package/kit/dist-tags").await;
    assert_eq!(tags.json(), json!({"latest": "1.0.0", "stable": "1.0.0"}));
}

async fn set_npm_status(
    s: &TestServer,
    package: &str,
    version: &str,
    status: PackageVersionStatus,
) {
    let out = s
        .client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package(package)
        .versions(version)
        .target_status(status)
        .send()
        .await
        .expect("update status");
    assert!(
        out.failed_versions().is_none_or(|f| f.is_empty()),
        "{out:?}"
    );
}
