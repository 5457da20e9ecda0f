//! Kept documents and lookups (issue 12, `arca_service::documents`): a packument, a PyPI project
//! page or a version lookup asked again is served without reading the store again, and every
//! write — native or through the API — shows in the very next read on this server (read your
//! writes). The store calls are counted through `/metrics`.

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use http::Method;
use serde_json::json;

use crate::common::npm::Npm;
use crate::common::*;
use crate::metrics::{get, scrape, value};

/// How many times the store's `method` was called so far.
async fn store_calls(s: &TestServer, method: &str) -> f64 {
    let m = get(s, "/metrics", None).await;
    assert_eq!(m.status, 200);
    value(
        &scrape(&m.body),
        "arca_store_call_duration_seconds_count",
        &[("method", method)],
    )
}

/// DescribePackageVersion of `generic/NS/p` 1.0 in `acme/releases`, as `client`.
async fn describe_p(
    client: &aws_sdk_codeartifact::Client,
) -> Result<
    aws_sdk_codeartifact::operation::describe_package_version::DescribePackageVersionOutput,
    aws_sdk_codeartifact::error::SdkError<
        aws_sdk_codeartifact::operation::describe_package_version::DescribePackageVersionError,
    >,
> {
    client
        .describe_package_version()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version("1.0")
        .send()
        .await
}

async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

fn versions(p: &RawResponse) -> Vec<String> {
    assert_eq!(p.status, 200, "{}", String::from_utf8_lossy(&p.body));
    let mut v: Vec<String> = p.json()["versions"]
        .as_object()
        .expect("versions")
        .keys()
        .cloned()
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_packument_is_kept_and_every_write_shows_in_the_next_read() {
    let s = setup().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("widget", "1.0.0", json!({})).await;
    npm.publish_ok("widget", "1.1.0", json!({})).await;

    let first = npm.get("widget").await;
    let reads = store_calls(&s, "list_dist_tags").await;
    let again = npm.get("widget").await;
    assert_eq!(again.body, first.body, "the kept packument is the same");
    assert_eq!(
        again.header("content-type"),
        first.header("content-type"),
        "with its media type"
    );
    assert_eq!(
        store_calls(&s, "list_dist_tags").await,
        reads,
        "served without reading the package again"
    );
    // The abbreviated packument is another document, kept on its own.
    let abbreviated = npm
        .request(
            Method::GET,
            "widget",
            &[("accept", "application/vnd.npm.install-v1+json")],
            Vec::new(),
        )
        .await;
    assert_eq!(
        abbreviated.header("content-type"),
        Some("application/vnd.npm.install-v1+json")
    );
    assert_ne!(abbreviated.body, first.body);

    // A native publish shows at once.
    npm.publish_ok("widget", "1.2.0", json!({})).await;
    assert_eq!(
        versions(&npm.get("widget").await),
        ["1.0.0", "1.1.0", "1.2.0"]
    );
    // A dist-tag set over the npm wire.
    let put = npm
        .request(
            Method::PUT,
            "-/package/widget/dist-tags/stable",
            &[("content-type", "application/json")],
            b"\"1.0.0\"".to_vec(),
        )
        .await;
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    assert_eq!(
        npm.get("widget").await.json()["dist-tags"]["stable"],
        "1.0.0"
    );
    // A status changed through the API hides the version from the next packument.
    s.client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("widget")
        .versions("1.1.0")
        .target_status(PackageVersionStatus::Unlisted)
        .send()
        .await
        .expect("update status");
    assert_eq!(versions(&npm.get("widget").await), ["1.0.0", "1.2.0"]);
    // A deletion through the API.
    s.client
        .delete_package_versions()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Npm)
        .package("widget")
        .versions("1.2.0")
        .send()
        .await
        .expect("delete");
    assert_eq!(versions(&npm.get("widget").await), ["1.0.0"]);
    // And the abbreviated one was not kept across those writes either.
    let abbreviated = npm
        .request(
            Method::GET,
            "widget",
            &[("accept", "application/vnd.npm.install-v1+json")],
            Vec::new(),
        )
        .await;
    assert_eq!(versions(&abbreviated), ["1.0.0"]);
}

#[tokio::test]
async fn a_project_page_is_kept_and_an_upload_shows_in_the_next_read() {
    let s = setup().await;
    let pypi = crate::pypi::login(&s).await;
    crate::pypi::upload_ok(&pypi, "kit", "1.0", "kit-1.0.tar.gz", 1).await;
    let first = pypi.get("simple/kit/").await;
    assert_eq!(first.status, 200);
    let reads = store_calls(&s, "package_assets").await;
    let again = pypi.get("simple/kit/").await;
    assert_eq!(again.body, first.body);
    assert_eq!(store_calls(&s, "package_assets").await, reads);

    crate::pypi::upload_ok(&pypi, "kit", "1.1", "kit-1.1.tar.gz", 2).await;
    let page = String::from_utf8_lossy(&pypi.get("simple/kit/").await.body).into_owned();
    assert!(page.contains("kit-1.1.tar.gz"), "{page}");
}

#[tokio::test]
async fn a_version_lookup_is_kept_and_a_status_change_shows_in_the_next_describe() {
    let s = setup().await;
    s.publish_ok("acme", "releases", "p", "1.0", "a.txt", b"one", false)
        .await;
    let describe = || async {
        describe_p(&s.client)
            .await
            .expect("describe")
            .package_version()
            .and_then(|v| v.status().cloned())
    };
    assert_eq!(describe().await, Some(PackageVersionStatus::Published));
    let lookups = store_calls(&s, "lookup_version").await;
    assert_eq!(describe().await, Some(PackageVersionStatus::Published));
    assert_eq!(store_calls(&s, "lookup_version").await, lookups, "kept");

    s.client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .versions("1.0")
        .target_status(PackageVersionStatus::Archived)
        .send()
        .await
        .expect("update status");
    assert_eq!(describe().await, Some(PackageVersionStatus::Archived));
}

#[tokio::test]
async fn with_no_ttl_nothing_is_kept() {
    let s = TestServer::start_with(|c| c.document_ttl = std::time::Duration::ZERO).await;
    s.domain_with_repo("acme", "releases").await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("widget", "1.0.0", json!({})).await;
    assert_eq!(npm.get("widget").await.status, 200);
    let reads = store_calls(&s, "list_dist_tags").await;
    assert_eq!(npm.get("widget").await.status, 200);
    assert_eq!(store_calls(&s, "list_dist_tags").await, reads + 1.0);
}

#[tokio::test]
async fn a_listing_is_kept_and_a_publish_shows_in_the_next_one() {
    let s = setup().await;
    s.publish_ok("acme", "releases", "p", "1.0", "a.txt", b"one", false)
        .await;
    let list = || async {
        let out = s
            .client
            .list_package_versions()
            .domain("acme")
            .repository("releases")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("p")
            .send()
            .await
            .expect("list");
        out.versions()
            .iter()
            .map(|v| v.version().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(list().await, ["1.0"]);
    let reads = store_calls(&s, "list_versions").await;
    assert_eq!(list().await, ["1.0"]);
    assert_eq!(store_calls(&s, "list_versions").await, reads, "kept");
    s.publish_ok("acme", "releases", "p", "2.0", "a.txt", b"two", false)
        .await;
    assert_eq!(list().await, ["1.0", "2.0"]);
}

#[tokio::test]
async fn a_kept_answer_or_document_is_never_served_to_a_caller_who_may_not_read_it() {
    let key = "AKIANOREAD0000000001";
    let s = TestServer::start_with(|c| {
        c.account_id = Some("111122223333".into());
        c.principals = vec![arca_service::PrincipalSpec {
            arn: "arn:aws:iam::111122223333:user/outsider".into(),
            access_key_id: key.into(),
            secret_access_key: format!("{key}-secret-0123456789"),
            // May log in, and nothing else.
            policy: Some(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": ["codeartifact:GetAuthorizationToken", "sts:GetServiceBearerToken"],
                    "Resource": "*"}]})
                .to_string(),
            ),
            org_id: None,
        }];
    })
    .await;
    s.domain_with_repo("acme", "releases").await;
    s.publish_ok("acme", "releases", "p", "1.0", "a.txt", b"one", false)
        .await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("widget", "1.0.0", json!({})).await;
    // The root reads both twice: kept.
    for _ in 0..2 {
        assert_eq!(npm.get("widget").await.status, 200);
    }
    let outsider = s.client_with(key, &format!("{key}-secret-0123456789"));
    for _ in 0..2 {
        describe_p(&s.client).await.expect("the root describes");
    }
    let denied = describe_p(&outsider).await;
    assert_err(denied, 403, "AccessDeniedException");
    // Its own token reads no packument either.
    let token = outsider
        .get_authorization_token()
        .domain("acme")
        .send()
        .await
        .expect("token");
    let theirs = Npm {
        server: &s,
        base: npm.base.clone(),
        authorization: Some(format!("Bearer {}", token.authorization_token().unwrap())),
    };
    assert_eq!(theirs.get("widget").await.status, 403);
}
