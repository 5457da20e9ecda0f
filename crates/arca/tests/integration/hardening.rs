//! Issue 10's hardening findings, end to end: what a hostile or unlucky client sees.

use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::npm::{manifest, publish_doc, Npm};
use crate::common::*;

/// A client of one native endpoint (`npm`, `pypi`, `maven`) of `acme/releases`; PyPI and Maven
/// authenticate with HTTP Basic `aws:TOKEN`, as their tools do.
async fn native<'a>(s: &'a TestServer, format: &str) -> Npm<'a> {
    let mut c = Npm::login(s, "acme", "releases").await;
    if format != "npm" {
        let token = c.authorization.take().expect("token");
        let token = token.trim_start_matches("Bearer ");
        c.base = c.base.replacen("/npm/", &format!("/{format}/"), 1);
        c.authorization = Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
        ));
    }
    c
}

/// The head of a native request with a body of `len` bytes, closing the connection after it.
fn native_head(c: &Npm<'_>, method: &str, path: &str, content_type: &str, len: usize) -> String {
    format!(
        "{method} {}{path} HTTP/1.1\r\nhost: {}\r\nauthorization: {}\r\ncontent-type: {content_type}\r\n\
         content-length: {len}\r\nconnection: close\r\n\r\n",
        c.base,
        c.server.addr,
        c.authorization.as_deref().unwrap_or(""),
    )
}

/// Sends `head` and the first half of `body`, waits until the upload has reached the blob store
/// (a file exists under `blobs/`), deletes the repository `acme/releases`, sends the rest, and
/// returns the status and body of the answer.
async fn publish_while_repository_is_deleted(
    s: &TestServer,
    head: &str,
    body: &[u8],
) -> (u16, String) {
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    let half = body.len() / 2;
    conn.write_all(&body[..half]).await.unwrap();
    let blobs = s.data_dir.join("blobs");
    for _ in 0..200 {
        if !files_under(&blobs).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.client
        .delete_repository()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap_or_else(|e| panic!("delete repository: {}", show(&e)));
    // The server may answer before reading everything; a refused write is fine.
    let _ = conn.write_all(&body[half..]).await;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), conn.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Nothing of the upload is left once the collector ran: the lease was released, no version
/// references the bytes, no temporary remains.
async fn assert_nothing_kept(s: &TestServer) {
    tokio::time::sleep(Duration::from_millis(5)).await;
    s.service
        .collect_garbage(Duration::ZERO, true)
        .await
        .expect("collect_garbage");
    let left = files_under(&s.data_dir.join("blobs"));
    assert!(left.is_empty(), "left behind: {left:?}");
    let report = s
        .service
        .check_storage(true, Duration::ZERO)
        .await
        .expect("check_storage");
    assert!(report.is_healthy(), "{report:?}");
}

#[track_caller]
fn assert_repository_not_found(format: &str, status: u16, body: &str) {
    assert_eq!(status, 404, "{format}: {body}");
    assert!(body.contains("releases"), "{format}: {body}");
}

/// Finding 6: a repository deleted while a publish streams its bytes answers the repository's
/// 404 (was a 500 from the store's `NotFound` taken for an internal error), for the API and
/// every native protocol, and nothing is stored.
#[tokio::test]
async fn publish_into_a_repository_deleted_mid_upload_is_not_found() {
    let s = TestServer::start().await;
    let content = pseudo_random(4 << 20, 61);

    // Generic (PublishPackageVersion).
    s.domain_with_repo("acme", "releases").await;
    let path = format!(
        "/v1/package/version/publish?domain=acme&repository=releases&format=generic&namespace={NS}\
         &package=p&version=1&asset=a.bin"
    );
    let mut head = signed_publish_head(
        &s.addr.to_string(),
        &path,
        &content,
        &s.credentials.access_key_id,
        &s.credentials.secret_access_key,
    );
    head.truncate(head.len() - 2);
    head.push_str("connection: close\r\n\r\n");
    let (status, body) = publish_while_repository_is_deleted(&s, &head, &content).await;
    assert_repository_not_found("generic", status, &body);
    assert!(body.contains("ResourceNotFoundException"), "{body}");
    assert_nothing_kept(&s).await;

    // npm publish.
    s.create_repo("acme", "releases").await;
    let c = native(&s, "npm").await;
    let m = manifest("widget", "1.0.0", serde_json::json!({}));
    let big = hex::encode(&content);
    let tgz = npm::tarball_with(&m, &[("package/big.txt", big.as_str())]);
    let doc = publish_doc(&m, &tgz).to_string().into_bytes();
    let head = native_head(&c, "PUT", "widget", "application/json", doc.len());
    let (status, body) = publish_while_repository_is_deleted(&s, &head, &doc).await;
    assert_repository_not_found("npm", status, &body);
    assert_nothing_kept(&s).await;

    // twine upload.
    s.create_repo("acme", "releases").await;
    let c = native(&s, "pypi").await;
    let boundary = "arcaTestBoundary1234";
    let h = hashes(&content);
    let mut form = Vec::new();
    for (k, v) in [
        (":action", "file_upload"),
        ("name", "kit"),
        ("version", "1.0"),
        ("sha256_digest", h["SHA-256"].as_str()),
    ] {
        form.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    form.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"kit-1.0.tar.gz\"\r\n\r\n").as_bytes());
    form.extend_from_slice(&content);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let head = native_head(&c, "POST", "", &ct, form.len());
    let (status, body) = publish_while_repository_is_deleted(&s, &head, &form).await;
    assert_repository_not_found("pypi", status, &body);
    assert_nothing_kept(&s).await;

    // mvn deploy (a jar).
    s.create_repo("acme", "releases").await;
    let c = native(&s, "maven").await;
    let head = native_head(
        &c,
        "PUT",
        "com/acme/app/1.0/app-1.0.jar",
        "application/java-archive",
        content.len(),
    );
    let (status, body) = publish_while_repository_is_deleted(&s, &head, &content).await;
    assert_repository_not_found("maven", status, &body);
    assert_nothing_kept(&s).await;
}

/// Finding 7: U+0000 in a package name, namespace or version (which the model's patterns let
/// through) is a 400 ValidationException on both backends, on writes and reads, and nothing is
/// stored (was 200 on SQLite, 500 on PostgreSQL).
async fn nul_in_names(database_url: Option<String>) {
    let s = TestServer::start_with(|c| c.database_url = database_url).await;
    s.domain_with_repo("acme", "releases").await;
    let publish = |ns: &'static str, package: &'static str, version: &'static str| {
        s.client
            .publish_package_version()
            .domain("acme")
            .repository("releases")
            .format(aws_sdk_codeartifact::types::PackageFormat::Generic)
            .namespace(ns)
            .package(package)
            .package_version(version)
            .asset_name("a.bin")
            .asset_sha256(sha256_hex(b"x"))
            .asset_content(aws_sdk_codeartifact::primitives::ByteStream::from_static(
                b"x",
            ))
            .send()
    };
    assert_validation(publish(NS, "a\0b", "1").await);
    assert_validation(publish("n\0", "p", "1").await);
    assert_validation(publish(NS, "p", "1\0").await);
    let describe = s
        .client
        .describe_package_version()
        .domain("acme")
        .repository("releases")
        .format(aws_sdk_codeartifact::types::PackageFormat::Generic)
        .namespace(NS)
        .package("a\0b")
        .package_version("1")
        .send()
        .await;
    assert_validation(describe);
    let listed = s
        .client
        .list_packages()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap_or_else(|e| panic!("list packages: {}", show(&e)));
    assert!(listed.packages().is_empty(), "{:?}", listed.packages());
}

#[tokio::test]
async fn nul_in_names_is_a_validation_error_sqlite() {
    nul_in_names(None).await;
}

#[tokio::test]
async fn nul_in_names_is_a_validation_error_postgres() {
    let Some(schema) = postgres::PgSchema::create("nul_in_names_postgres").await else {
        return;
    };
    nul_in_names(Some(schema.url.clone())).await;
}

async fn describe(
    s: &TestServer,
    format: aws_sdk_codeartifact::types::PackageFormat,
    namespace: Option<&str>,
    package: &str,
    version: &str,
) -> aws_sdk_codeartifact::types::PackageVersionDescription {
    s.client
        .describe_package_version()
        .domain("acme")
        .repository("releases")
        .format(format)
        .set_namespace(namespace.map(str::to_string))
        .package(package)
        .package_version(version)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe {package} {version}: {}", show(&e)))
        .package_version()
        .expect("version")
        .clone()
}

/// A twine form uploading `file` as `filename`, with extra fields.
fn twine_form(filename: &str, file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "arcaTestBoundary1234";
    let h = hashes(file);
    let mut form = Vec::new();
    let base = [
        (":action", "file_upload"),
        ("name", "kit"),
        ("version", "1.0"),
        ("sha256_digest", h["SHA-256"].as_str()),
    ];
    for (k, v) in base.iter().chain(fields) {
        form.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    form.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\n\r\n").as_bytes());
    form.extend_from_slice(file);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), form)
}

/// Finding 9: a PyPI or Maven file name with a Unicode format character (right-to-left override,
/// zero-width space) is refused with 400 before anything is stored, as the API's asset-name rule
/// (`\P{C}+`) would refuse it: such an asset could be neither listed validly nor downloaded.
#[tokio::test]
async fn format_characters_in_native_file_names_are_refused() {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    let pypi = native(&s, "pypi").await;
    for filename in ["kit-1.0-\u{202e}zg.rat.tar.gz", "kit-1.0-x\u{200b}.tar.gz"] {
        let (ct, form) = twine_form(filename, b"sdist", &[]);
        let r = pypi
            .request(http::Method::POST, "", &[("content-type", &ct)], form)
            .await;
        assert_eq!(
            r.status,
            400,
            "{filename:?}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let maven = native(&s, "maven").await;
    for file in ["app-1.0-%E2%80%AE.jar", "app-1.0-%E2%80%8Bx.jar"] {
        let r = maven
            .request(
                http::Method::PUT,
                &format!("com/acme/app/1.0/{file}"),
                &[],
                b"jar".to_vec(),
            )
            .await;
        assert_eq!(
            r.status,
            400,
            "{file}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let listed = s
        .client
        .list_packages()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap_or_else(|e| panic!("list packages: {}", show(&e)));
    assert!(listed.packages().is_empty(), "{:?}", listed.packages());
    tokio::time::sleep(Duration::from_millis(5)).await;
    s.service
        .collect_garbage(Duration::ZERO, true)
        .await
        .expect("collect_garbage");
    let left = files_under(&s.data_dir.join("blobs"));
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Findings 12 and 13: one set of limits for the metadata of every format, within the model's
/// shapes — an npm description of 2 MB and 100,000 licenses, a POM `<name>` of 1,000 characters,
/// a PyPI summary of 5,000 characters are cut (displayName 255, text 4096, 50 licenses).
#[tokio::test]
async fn version_metadata_is_bounded_for_every_format() {
    use aws_sdk_codeartifact::types::PackageFormat;
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;

    let npm_client = native(&s, "npm").await;
    let small = manifest("widget", "1.0.0", serde_json::json!({}));
    let tgz = npm::tarball(&small);
    let licenses: Vec<serde_json::Value> = (0..100_000)
        .map(|_| serde_json::json!({"type": "MIT"}))
        .collect();
    let big = manifest(
        "widget",
        "1.0.0",
        serde_json::json!({
            "description": "d".repeat(2_000_000),
            "homepage": format!("https://{}", "h".repeat(5000)),
            "licenses": licenses,
        }),
    );
    let r = npm_client.publish(&publish_doc(&big, &tgz)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let d = describe(&s, PackageFormat::Npm, None, "widget", "1.0.0").await;
    assert_eq!(d.summary().map(|t| t.chars().count()), Some(4096));
    assert_eq!(d.home_page().map(|t| t.chars().count()), Some(4096));
    assert_eq!(d.licenses().len(), 50);

    let maven = native(&s, "maven").await;
    let pom = format!(
        r#"<project><groupId>com.acme</groupId><artifactId>app</artifactId><version>1.0</version><name>{}</name></project>"#,
        "n".repeat(1000)
    );
    let r = maven
        .request(
            http::Method::PUT,
            "com/acme/app/1.0/app-1.0.pom",
            &[],
            pom.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let d = describe(&s, PackageFormat::Maven, Some("com.acme"), "app", "1.0").await;
    assert_eq!(d.display_name().map(|t| t.chars().count()), Some(255));

    let pypi = native(&s, "pypi").await;
    let long = "s".repeat(5000);
    let (ct, form) = twine_form("kit-1.0.tar.gz", b"sdist", &[("summary", long.as_str())]);
    let r = pypi
        .request(http::Method::POST, "", &[("content-type", &ct)], form)
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let d = describe(&s, PackageFormat::Pypi, None, "kit", "1.0").await;
    assert_eq!(d.summary().map(|t| t.chars().count()), Some(4096));
}
