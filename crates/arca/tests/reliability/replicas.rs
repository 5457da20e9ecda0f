//! Two `arca serve` replicas sharing one PostgreSQL schema and one S3 bucket (moto), as
//! `docs/deploy.md` sets them up: what one writes the other reads; concurrent publishes of one
//! version through both give one winner and the documented conflict; assets of an Unfinished
//! version added through both all land; a pagination token from one works on the other; killing
//! one mid-upload leaves nothing visible and the other keeps serving. And documents a replica keeps
//! (npm packuments, PyPI project pages) follow the other's commits, through PostgreSQL's
//! notifications, long before their TTL.

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::PackageFormat;
use aws_sdk_codeartifact::Client;
use base64::Engine;
use http::{HeaderMap, Method};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::child::{create_domain_and_repository, kill, start_with, Server, ACCOUNT, KEY, SECRET};
use crate::common::npm::{manifest, publish_doc, tarball};
use crate::common::postgres::PgSchema;
use crate::common::{
    collect_asset, pseudo_random, send_http1, sha256_hex, show, signed_publish_head, RawResponse,
    NS,
};
use crate::s3_server;

const DOMAIN: &str = "shared";
const REPO: &str = "repo";

async fn publish(
    client: &Client,
    version: &str,
    asset: &str,
    content: &[u8],
    unfinished: bool,
) -> Result<(), String> {
    client
        .publish_package_version()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version(version)
        .asset_name(asset)
        .asset_sha256(sha256_hex(content))
        .set_unfinished(unfinished.then_some(true))
        .asset_content(ByteStream::from(content.to_vec()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| show(&e))
}

async fn download(client: &Client, version: &str, asset: &str) -> Vec<u8> {
    let out = client
        .get_package_version_asset()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version(version)
        .asset(asset)
        .send()
        .await
        .unwrap_or_else(|e| panic!("download {version}/{asset}: {}", show(&e)));
    collect_asset(out).await.1
}

async fn asset_names(client: &Client, version: &str) -> Vec<String> {
    let out = client
        .list_package_version_assets()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version(version)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list assets of {version}: {}", show(&e)));
    out.assets().iter().map(|a| a.name().to_string()).collect()
}

/// Sends the headers and the first `sent` bytes of a signed publish of `content`, then stops.
async fn start_publish(
    server: &Server,
    version: &str,
    content: &[u8],
    sent: usize,
) -> tokio::net::TcpStream {
    let addr = server.url.trim_start_matches("http://").to_string();
    let path = format!(
        "/v1/package/version/publish?domain={DOMAIN}&repository={REPO}&format=generic&namespace={NS}\
         &package=p&version={version}&asset=big.bin"
    );
    let head = signed_publish_head(&addr, &path, content, KEY, SECRET);
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&content[..sent]).await.unwrap();
    conn
}

/// Two replicas with `settings`, each with a data directory of its own (returned first, to be
/// dropped after them).
async fn start_two(settings: &[(&str, String)]) -> ([tempfile::TempDir; 2], Server, Server) {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = start_with(dirs[0].path(), settings).await;
    let b = start_with(dirs[1].path(), settings).await;
    (dirs, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_postgres_and_s3() {
    let test = "two_replicas_on_postgres_and_s3";
    let (Some(schema), Some(endpoint)) = (PgSchema::create(test).await, s3_server::endpoint(test))
    else {
        return;
    };
    let bucket = s3_server::bucket(&endpoint).await;
    let settings = [
        ("ARCA_DATABASE_URL", schema.url.clone()),
        ("ARCA_BLOB_STORE", format!("s3://{bucket}/arca")),
        ("ARCA_S3_ENDPOINT", endpoint.clone()),
        ("ARCA_S3_REGION", "us-east-1".to_string()),
        ("ARCA_S3_ACCESS_KEY_ID", "testing".to_string()),
        ("ARCA_S3_SECRET_ACCESS_KEY", "testing".to_string()),
        (
            "ARCA_TOKEN_SECRET",
            "shared-pagination-secret-0123456789".to_string(),
        ),
    ];
    let (_dirs, a, b) = start_two(&settings).await;

    // Written through one, read through the other.
    create_domain_and_repository(&a.client, &b.client, DOMAIN, REPO).await;
    let one = pseudo_random(300_000, 1);
    publish(&a.client, "1", "one.bin", &one, false)
        .await
        .unwrap();
    assert!(download(&b.client, "1", "one.bin").await == one);

    // The same new version through both at once: one winner, the other a 409 conflict.
    for round in 0..5 {
        let version = format!("race-{round}");
        let (x, y) = (
            pseudo_random(50_000, 10 + round),
            pseudo_random(50_000, 20 + round),
        );
        let (ra, rb) = tokio::join!(
            publish(&a.client, &version, "x.bin", &x, false),
            publish(&b.client, &version, "x.bin", &y, false)
        );
        let winners = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {ra:?} / {rb:?}");
        let loser = if ra.is_ok() { rb } else { ra }.unwrap_err();
        assert!(
            loser.contains("ConflictException") && loser.contains("409"),
            "{loser}"
        );
        let got = download(&a.client, &version, "x.bin").await;
        assert!(got == x || got == y);
        assert!(download(&b.client, &version, "x.bin").await == got);
    }

    // Assets of one Unfinished version added through both replicas at once: all land.
    let mut adds = Vec::new();
    for i in 0..8u64 {
        let client = if i % 2 == 0 {
            a.client.clone()
        } else {
            b.client.clone()
        };
        adds.push(tokio::spawn(async move {
            publish(
                &client,
                "multi",
                &format!("part-{i}"),
                &pseudo_random(10_000, 100 + i),
                true,
            )
            .await
        }));
    }
    for add in adds {
        add.await.unwrap().unwrap();
    }
    let mut names = asset_names(&b.client, "multi").await;
    names.sort();
    assert_eq!(
        names,
        (0..8).map(|i| format!("part-{i}")).collect::<Vec<_>>()
    );

    // A pagination token from one replica continues on the other.
    let page = a
        .client
        .list_package_versions()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .max_results(2)
        .send()
        .await
        .unwrap();
    let token = page
        .next_token()
        .expect("more than two versions")
        .to_string();
    let next = b
        .client
        .list_package_versions()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("token of A on B: {}", show(&e)));
    assert_eq!(next.versions().len(), 2);
    assert!(next.versions()[0].version() > page.versions()[1].version());

    // Kill one replica in the middle of an upload: nothing visible, the other keeps serving.
    let big = pseudo_random(12 * 1024 * 1024, 99);
    let _conn = start_publish(&a, "killed", &big, 7 * 1024 * 1024).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    kill(a).await;
    let killed = b
        .client
        .describe_package_version()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version("killed")
        .send()
        .await;
    let error = killed.map(|_| ()).map_err(|e| show(&e)).unwrap_err();
    assert!(error.contains("ResourceNotFoundException"), "{error}");
    assert!(download(&b.client, "1", "one.bin").await == one);
    publish(&b.client, "after", "after.bin", b"still serving", false)
        .await
        .unwrap();
    kill(b).await;
}

/// A request to `/{tool}/d/{DOMAIN}-{ACCOUNT}/{REPO}/{path}` of `server`, with `authorization`.
async fn native(
    server: &Server,
    authorization: &str,
    method: Method,
    tool_path: (&str, &str),
    content_type: &str,
    body: Vec<u8>,
) -> RawResponse {
    let addr: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let (tool, path) = tool_path;
    let mut headers = HeaderMap::new();
    headers.insert("host", addr.to_string().parse().unwrap());
    headers.insert("authorization", authorization.parse().unwrap());
    headers.insert("content-type", content_type.parse().unwrap());
    let uri = format!("/{tool}/d/{DOMAIN}-{ACCOUNT}/{REPO}/{path}");
    let r = send_http1(addr, method, &uri, headers, body).await;
    let body = String::from_utf8_lossy(&r.body);
    assert_eq!(r.status, 200, "{tool} {uri} on {}: {body}", server.url);
    r
}

/// `npm publish` of `widget@{version}` through `server`.
async fn npm_publish(server: &Server, token: &str, version: &str) {
    let m = manifest("widget", version, Value::Null);
    let doc = publish_doc(&m, &tarball(&m)).to_string().into_bytes();
    let bearer = format!("Bearer {token}");
    let widget = ("npm", "widget");
    native(
        server,
        &bearer,
        Method::PUT,
        widget,
        "application/json",
        doc,
    )
    .await;
}

/// The versions in `widget`'s packument on `server`.
async fn npm_versions(server: &Server, token: &str) -> Vec<String> {
    let bearer = format!("Bearer {token}");
    let widget = ("npm", "widget");
    let r = native(
        server,
        &bearer,
        Method::GET,
        widget,
        "application/json",
        vec![],
    )
    .await;
    let mut versions: Vec<String> = r.json()["versions"]
        .as_object()
        .expect("versions")
        .keys()
        .cloned()
        .collect();
    versions.sort();
    versions
}

/// HTTP Basic `aws:TOKEN`, as pip and twine send the token.
fn pypi_authorization(token: &str) -> String {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"));
    format!("Basic {basic}")
}

/// `twine upload` of the sdist of `gadget {version}` through `server` (the fields the form needs).
async fn pypi_upload(server: &Server, token: &str, version: &str) {
    const BOUNDARY: &str = "replicaBoundary";
    let sdist = format!("sdist of {version}");
    let digest = sha256_hex(sdist.as_bytes());
    let mut form = String::new();
    for (k, v) in [
        (":action", "file_upload"),
        ("name", "gadget"),
        ("version", version),
        ("sha256_digest", &digest),
    ] {
        form +=
            &format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n");
    }
    form += &format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"content\"; \
         filename=\"gadget-{version}.tar.gz\"\r\n\r\n{sdist}\r\n--{BOUNDARY}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let auth = pypi_authorization(token);
    let root = ("pypi", "");
    native(
        server,
        &auth,
        Method::POST,
        root,
        &content_type,
        form.into_bytes(),
    )
    .await;
}

/// The project page of `gadget` on `server`.
async fn pypi_page(server: &Server, token: &str) -> String {
    let auth = pypi_authorization(token);
    let page = ("pypi", "simple/gadget/");
    let r = native(server, &auth, Method::GET, page, "text/plain", vec![]).await;
    String::from_utf8_lossy(&r.body).into_owned()
}

/// Polls `read` until `done` says yes, for at most 10 s (the TTL of the replicas' documents is
/// 600 s: only a notification can refresh them in time).
async fn eventually<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    mut read: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let value = read().await;
        if done(&value) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: still {value:?} after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Replica B keeps the npm packument and the PyPI project page it rendered (their TTL is 600 s);
/// A publishes a new version: A shows it at once (read-your-writes), B once the notification of
/// A's commit arrived — well before the TTL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kept_documents_follow_the_other_replicas_commits() {
    let test = "kept_documents_follow_the_other_replicas_commits";
    let Some(schema) = PgSchema::create(test).await else {
        return;
    };
    let blobs = tempfile::tempdir().unwrap();
    let settings = [
        ("ARCA_DATABASE_URL", schema.url.clone()),
        ("ARCA_BLOB_STORE", blobs.path().display().to_string()),
        (
            "ARCA_TOKEN_SECRET",
            "shared-token-secret-0123456789ab".into(),
        ),
        ("ARCA_DOCUMENT_TTL_MS", "600000".into()),
    ];
    let (_dirs, a, b) = start_two(&settings).await;
    create_domain_and_repository(&a.client, &b.client, DOMAIN, REPO).await;
    let token = a
        .client
        .get_authorization_token()
        .domain(DOMAIN)
        .send()
        .await
        .unwrap()
        .authorization_token()
        .expect("a token")
        .to_string();

    npm_publish(&a, &token, "1.0.0").await;
    assert_eq!(npm_versions(&b, &token).await, ["1.0.0"]);
    npm_publish(&a, &token, "1.0.1").await;
    assert_eq!(npm_versions(&a, &token).await, ["1.0.0", "1.0.1"]);
    eventually(
        "the packument on B",
        || npm_versions(&b, &token),
        |v| v.len() == 2,
    )
    .await;

    pypi_upload(&a, &token, "1.0").await;
    let page = pypi_page(&b, &token).await;
    assert!(
        page.contains("gadget-1.0.tar.gz") && !page.contains("gadget-2.0"),
        "{page}"
    );
    pypi_upload(&a, &token, "2.0").await;
    let page = pypi_page(&a, &token).await;
    assert!(page.contains("gadget-2.0.tar.gz"), "{page}");
    eventually(
        "the project page on B",
        || pypi_page(&b, &token),
        |page| page.contains("gadget-2.0.tar.gz"),
    )
    .await;
    kill(a).await;
    kill(b).await;
}
