//! `arca transfer` end to end, with real `arca serve` children: an installation on SQLite + files
//! is populated through the API and the native npm and PyPI endpoints (several domains, upstreams
//! in an order that is not the name order, an upstream cycle, tags, versions in every status,
//! multi-asset and shared bytes, a copy, a package without versions), stopped, transferred into
//! PostgreSQL + S3 (moto), served from there and walked; then transferred back (from the live
//! server) into a fresh SQLite + files and walked again. Every walk must equal the source's: the
//! walker records every List*/Describe* answer whole, every page, every asset download's bytes
//! (hashed) and headers, every endpoint, tag list, packument, simple page and native download.
//! `arca check` passes on both destinations with nothing unreferenced; a second transfer into a
//! non-empty destination is refused and changes nothing; the source is unchanged.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use aws_sdk_codeartifact::Client;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{json, Value};

use crate::child::{kill, start_with, Server, KEY, SECRET};
use crate::common::npm::{manifest, publish_doc, tarball};
use crate::common::postgres::PgSchema;
use crate::common::{hashes, pseudo_random, q, send_http1, sha256_hex, show, RawResponse};
use crate::s3_server;

const OWNER: &str = "123456789012";
const PUBLIC_URL: &str = "http://arca.example";
const TOKEN_SECRET: &str = "transfer-test-token-secret-0123456789";
const BOUNDARY: &str = "arcaTransferBoundary";
/// Small pages, so that every list is walked over several pages.
const PAGE: u32 = 2;

/// Settings every server of the test shares, so that ARNs, endpoints and links are comparable.
fn common_env() -> Vec<(&'static str, String)> {
    vec![
        ("ARCA_PUBLIC_URL", PUBLIC_URL.to_string()),
        ("ARCA_TOKEN_SECRET", TOKEN_SECRET.to_string()),
        ("ARCA_GC_INTERVAL", "0".to_string()),
    ]
}

fn addr(server: &Server) -> SocketAddr {
    server.url.trim_start_matches("http://").parse().unwrap()
}

/// A request signed like the SDK signs JSON operations.
async fn call(addr: SocketAddr, method: &str, pq: &str, body: &[u8]) -> RawResponse {
    let uri: http::Uri = format!("http://{addr}{pq}").parse().unwrap();
    let method: Method = method.parse().unwrap();
    let mut headers = HeaderMap::new();
    if !body.is_empty() {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
    }
    let auth = arca_sigv4::sign(
        &method,
        &uri,
        &mut headers,
        KEY,
        SECRET,
        "us-east-1",
        "codeartifact",
        &sha256_hex(body),
        time::OffsetDateTime::now_utc(),
    );
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&auth).unwrap(),
    );
    send_http1(addr, method, pq, headers, body.to_vec()).await
}

/// A native request with the token as Bearer (or as HTTP Basic's password when `basic`).
async fn native(
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> RawResponse {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_str(&addr.to_string()).unwrap());
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    for (k, v) in headers {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    send_http1(addr, method, path, h, body).await
}

async fn token(addr: SocketAddr, domain: &str) -> String {
    let r = call(
        addr,
        "POST",
        &format!("/v1/authorization-token?domain={domain}"),
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["authorizationToken"].as_str().unwrap().to_string()
}

// ---- populating the source ---------------------------------------------------------------------

async fn publish(
    c: &Client,
    repo: &str,
    package: &str,
    version: &str,
    asset: &str,
    bytes: &[u8],
    unfinished: bool,
) {
    c.publish_package_version()
        .domain("alpha")
        .repository(repo)
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package(package)
        .package_version(version)
        .asset_name(asset)
        .asset_sha256(sha256_hex(bytes))
        .set_unfinished(unfinished.then_some(true))
        .asset_content(ByteStream::from(bytes.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("publish {package} {version} {asset}: {}", show(&e)));
}

async fn set_status(c: &Client, version: &str, status: PackageVersionStatus) {
    c.update_package_versions_status()
        .domain("alpha")
        .repository("z-base")
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package("widget")
        .versions(version)
        .target_status(status)
        .send()
        .await
        .unwrap_or_else(|e| panic!("status of {version}: {}", show(&e)));
}

/// twine's upload form for `file`.
fn pypi_form(name: &str, version: &str, filename: &str, file: &[u8]) -> Vec<u8> {
    let h = hashes(file);
    let fields = [
        (":action", "file_upload".to_string()),
        ("protocol_version", "1".into()),
        ("name", name.into()),
        ("version", version.into()),
        ("summary", format!("{name} summary")),
        ("license", "MIT".into()),
        ("md5_digest", h["MD5"].clone()),
        ("sha256_digest", h["SHA-256"].clone()),
    ];
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn populate(s: &Server) {
    let c = &s.client;
    let tag = |k: &str, v: &str| {
        aws_sdk_codeartifact::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    c.create_domain()
        .domain("alpha")
        .tags(tag("team", "core"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    c.create_domain().domain("beta").send().await.unwrap();
    c.create_domain()
        .domain("gamma")
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap();
    // Created upstreams first, but named so that name order would create downstreams first.
    c.create_repository()
        .domain("alpha")
        .repository("z-base")
        .description("the base")
        .tags(tag("tier", "1"))
        .send()
        .await
        .unwrap();
    c.create_repository()
        .domain("alpha")
        .repository("m-mid")
        .upstreams(up("z-base"))
        .send()
        .await
        .unwrap();
    c.create_repository()
        .domain("alpha")
        .repository("a-top")
        .upstreams(up("m-mid"))
        .upstreams(up("z-base"))
        .send()
        .await
        .unwrap();
    // An upstream cycle (UpdateRepository allows it): created without upstreams, then set.
    c.create_repository()
        .domain("beta")
        .repository("c1")
        .send()
        .await
        .unwrap();
    c.create_repository()
        .domain("beta")
        .repository("c2")
        .upstreams(up("c1"))
        .send()
        .await
        .unwrap();
    c.update_repository()
        .domain("beta")
        .repository("c1")
        .upstreams(up("c2"))
        .send()
        .await
        .unwrap();
    c.create_repository()
        .domain("beta")
        .repository("rr")
        .tags(tag("x", "y"))
        .send()
        .await
        .unwrap();

    // Generic versions in every status; 1.0 has three assets, one of them 6 MiB + 3 bytes (a
    // multipart upload on S3); 2.0 shares bytes with 1.0.
    let shared = pseudo_random(100_000, 1);
    let big = pseudo_random(6 * 1024 * 1024 + 3, 2);
    publish(c, "z-base", "widget", "1.0", "a.bin", &shared, true).await;
    publish(c, "z-base", "widget", "1.0", "big.bin", &big, true).await;
    publish(c, "z-base", "widget", "1.0", "c.txt", b"three", false).await;
    publish(
        c,
        "z-base",
        "widget",
        "1.1",
        "u.bin",
        &pseudo_random(10, 3),
        true,
    )
    .await;
    for (v, seed) in [("1.2", 4), ("1.3", 5), ("1.4", 6)] {
        publish(
            c,
            "z-base",
            "widget",
            v,
            "w.bin",
            &pseudo_random(5000, seed),
            false,
        )
        .await;
    }
    set_status(c, "1.2", PackageVersionStatus::Unlisted).await;
    set_status(c, "1.3", PackageVersionStatus::Archived).await;
    c.dispose_package_versions()
        .domain("alpha")
        .repository("z-base")
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package("widget")
        .versions("1.4")
        .send()
        .await
        .unwrap();
    publish(c, "z-base", "widget", "2.0", "same.bin", &shared, false).await;
    // A package whose only version was deleted.
    publish(
        c,
        "z-base",
        "gone",
        "1",
        "g.bin",
        &pseudo_random(700, 7),
        false,
    )
    .await;
    c.delete_package_versions()
        .domain("alpha")
        .repository("z-base")
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package("gone")
        .versions("1")
        .send()
        .await
        .unwrap();
    // Copied versions keep their origin and share the bytes.
    c.copy_package_versions()
        .domain("alpha")
        .source_repository("z-base")
        .destination_repository("m-mid")
        .format(PackageFormat::Generic)
        .namespace("ns")
        .package("widget")
        .versions("1.0")
        .versions("1.2")
        .send()
        .await
        .unwrap();

    // npm and PyPI through their native endpoints.
    let a = addr(s);
    let t = token(a, "alpha").await;
    for (name, version) in [
        ("@acme/kit", "1.0.0"),
        ("@acme/kit", "1.1.0"),
        ("plain", "2.0.0"),
    ] {
        let m = manifest(
            name,
            version,
            json!({"description": "a kit", "license": "MIT", "homepage": "https://kit.example"}),
        );
        let doc = publish_doc(&m, &tarball(&m));
        let path = format!("/npm/d/alpha-{OWNER}/a-top/{}", name.replace('/', "%2f"));
        let r = native(
            a,
            Method::PUT,
            &path,
            &t,
            &[("content-type", "application/json")],
            doc.to_string().into_bytes(),
        )
        .await;
        assert_eq!(
            r.status,
            200,
            "npm publish {name}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    for (file, seed) in [
        ("Kit_Core-1.0.0.tar.gz", 8),
        ("kit_core-1.0.0-py3-none-any.whl", 9),
    ] {
        let form = pypi_form("Kit_Core", "1.0.0", file, &pseudo_random(3000, seed));
        let path = format!("/pypi/d/alpha-{OWNER}/a-top/");
        let r = native(a, Method::POST, &path, &t, &[("content-type", &ct)], form).await;
        assert_eq!(
            r.status,
            200,
            "upload {file}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let tb = token(a, "beta").await;
    let m = manifest("solo", "0.1.0", json!({}));
    let r = native(
        a,
        Method::PUT,
        &format!("/npm/d/beta-{OWNER}/rr/solo"),
        &tb,
        &[("content-type", "application/json")],
        publish_doc(&m, &tarball(&m)).to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn up(name: &str) -> aws_sdk_codeartifact::types::UpstreamRepository {
    aws_sdk_codeartifact::types::UpstreamRepository::builder()
        .repository_name(name)
        .build()
        .unwrap()
}

// ---- the walker --------------------------------------------------------------------------------

/// Every answer of a walk, by request.
type Snapshot = BTreeMap<String, Value>;

struct Walk {
    addr: SocketAddr,
    seen: Snapshot,
}

impl Walk {
    /// Records one API answer whole (status and JSON body, the paging token aside).
    async fn record(&mut self, method: &str, pq: &str, body: Value) -> Value {
        let payload = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let r = call(self.addr, method, pq, &payload).await;
        let mut json: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut json {
            m.remove("nextToken");
        }
        let key = format!("{method} {pq} {body}");
        self.seen
            .insert(key, json!({"status": r.status, "body": json.clone()}));
        assert_eq!(
            r.status,
            200,
            "{method} {pq}: {}",
            String::from_utf8_lossy(&r.body)
        );
        json
    }

    /// Walks every page of a list (query paging, or body paging for ListDomains), recording each.
    async fn list(&mut self, method: &str, pq: &str, items: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        for page in 0.. {
            assert!(page < 1000, "{pq} does not end");
            let in_body = pq == "/v1/domains";
            let (path, body) = if in_body {
                let mut b = json!({"maxResults": PAGE});
                if let Some(t) = &next {
                    b["nextToken"] = json!(t);
                }
                (pq.to_string(), b)
            } else {
                let sep = if pq.contains('?') { '&' } else { '?' };
                let mut p = format!("{pq}{sep}max-results={PAGE}");
                if let Some(t) = &next {
                    p.push_str(&format!("&next-token={}", q(t)));
                }
                (p, Value::Null)
            };
            // The token is MAC'd and opaque: record the page by its number, follow the token.
            let raw = call(
                self.addr,
                method,
                &path,
                &if body.is_null() {
                    Vec::new()
                } else {
                    body.to_string().into_bytes()
                },
            )
            .await;
            assert_eq!(
                raw.status,
                200,
                "{path}: {}",
                String::from_utf8_lossy(&raw.body)
            );
            let mut json = raw.json();
            next = json["nextToken"].as_str().map(str::to_string);
            json.as_object_mut().unwrap().remove("nextToken");
            all.extend(json[items].as_array().cloned().unwrap_or_default());
            self.seen.insert(format!("{method} {pq} page {page}"), json);
            if next.is_none() {
                break;
            }
        }
        all
    }

    /// Records a download: status, the headers that describe it, length and SHA-256 of the bytes
    /// (or the error body).
    async fn download(&mut self, key: String, r: RawResponse) {
        let headers: BTreeMap<String, String> = r
            .headers
            .iter()
            .filter(|(k, _)| {
                let k = k.as_str();
                k.starts_with("x-asset")
                    || k.starts_with("x-package")
                    || k == "content-length"
                    || k == "content-type"
            })
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_string()))
            .collect();
        let body = if r.status == 200 {
            json!({"len": r.body.len(), "sha256": sha256_hex(&r.body)})
        } else {
            serde_json::from_slice(&r.body).unwrap_or(Value::Null)
        };
        self.seen.insert(
            key,
            json!({"status": r.status, "headers": headers, "body": body}),
        );
    }

    async fn native_get(&mut self, path: &str, token: &str, accept: Option<&str>) -> RawResponse {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let r = native(self.addr, Method::GET, path, token, &headers, Vec::new()).await;
        let body = serde_json::from_slice::<Value>(&r.body)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&r.body)));
        self.seen.insert(
            format!("GET {path} accept={accept:?}"),
            json!({"status": r.status, "body": body}),
        );
        r
    }
}

async fn walk(addr: SocketAddr) -> Snapshot {
    let mut w = Walk {
        addr,
        seen: Snapshot::new(),
    };
    w.list("POST", "/v1/repositories", "repositories").await;
    for d in w.list("POST", "/v1/domains", "domains").await {
        let domain = d["name"].as_str().unwrap().to_string();
        let desc = w
            .record(
                "GET",
                &format!("/v1/domain?domain={}", q(&domain)),
                Value::Null,
            )
            .await;
        let arn = desc["domain"]["arn"].as_str().unwrap().to_string();
        w.record(
            "POST",
            &format!("/v1/tags?resourceArn={}", q(&arn)),
            Value::Null,
        )
        .await;
        let token = token(addr, &domain).await;
        let repos = w
            .list(
                "POST",
                &format!("/v1/domain/repositories?domain={}", q(&domain)),
                "repositories",
            )
            .await;
        for r in repos {
            let repo = r["name"].as_str().unwrap().to_string();
            walk_repository(&mut w, &domain, &repo, &token).await;
        }
    }
    w.seen
}

async fn walk_repository(w: &mut Walk, domain: &str, repo: &str, token: &str) {
    let rq = format!("domain={}&repository={}", q(domain), q(repo));
    let desc = w
        .record("GET", &format!("/v1/repository?{rq}"), Value::Null)
        .await;
    let arn = desc["repository"]["arn"].as_str().unwrap().to_string();
    w.record(
        "POST",
        &format!("/v1/tags?resourceArn={}", q(&arn)),
        Value::Null,
    )
    .await;
    for format in ["generic", "npm", "pypi"] {
        w.record(
            "GET",
            &format!("/v1/repository/endpoint?{rq}&format={format}"),
            Value::Null,
        )
        .await;
    }
    let pypi_base = format!("/pypi/d/{domain}-{OWNER}/{repo}/simple/");
    w.native_get(&pypi_base, token, None).await;
    for p in w
        .list("POST", &format!("/v1/packages?{rq}"), "packages")
        .await
    {
        let format = p["format"].as_str().unwrap().to_string();
        let name = p["package"].as_str().unwrap().to_string();
        let namespace = p["namespace"].as_str().map(str::to_string);
        let mut pq = format!("{rq}&format={format}&package={}", q(&name));
        if let Some(ns) = &namespace {
            pq.push_str(&format!("&namespace={}", q(ns)));
        }
        w.record("GET", &format!("/v1/package?{pq}"), Value::Null)
            .await;
        w.list("POST", &format!("/v1/package/versions?{pq}"), "versions")
            .await;
        let versions = w
            .list(
                "POST",
                &format!("/v1/package/versions?{pq}&sortBy=PUBLISHED_TIME"),
                "versions",
            )
            .await;
        for v in versions {
            let vq = format!("{pq}&version={}", q(v["version"].as_str().unwrap()));
            w.record("GET", &format!("/v1/package/version?{vq}"), Value::Null)
                .await;
            for a in w
                .list(
                    "POST",
                    &format!("/v1/package/version/assets?{vq}"),
                    "assets",
                )
                .await
            {
                let path = format!(
                    "/v1/package/version/asset?{vq}&asset={}",
                    q(a["name"].as_str().unwrap())
                );
                let r = call(w.addr, "GET", &path, b"").await;
                w.download(format!("GET {path}"), r).await;
            }
        }
        match format.as_str() {
            "npm" => {
                let id = match &namespace {
                    Some(ns) => format!("@{ns}%2f{name}"),
                    None => name.clone(),
                };
                let path = format!("/npm/d/{domain}-{OWNER}/{repo}/{id}");
                w.native_get(&path, token, Some("application/vnd.npm.install-v1+json"))
                    .await;
                let full = w.native_get(&path, token, None).await.json();
                for (_, v) in full["versions"].as_object().cloned().unwrap_or_default() {
                    let url = v["dist"]["tarball"].as_str().unwrap();
                    let tarball = url
                        .strip_prefix(PUBLIC_URL)
                        .expect("links use the public URL");
                    let r = native(w.addr, Method::GET, tarball, token, &[], Vec::new()).await;
                    w.download(format!("GET {tarball}"), r).await;
                }
            }
            "pypi" => {
                let page = format!("{pypi_base}{name}/");
                w.native_get(&page, token, None).await;
                let index = w
                    .native_get(&page, token, Some("application/vnd.pypi.simple.v1+json"))
                    .await
                    .json();
                for f in index["files"].as_array().cloned().unwrap_or_default() {
                    let url = f["url"].as_str().unwrap();
                    let file = format!("{page}{}", url.split('#').next().unwrap());
                    let r = native(w.addr, Method::GET, &file, token, &[], Vec::new()).await;
                    w.download(format!("GET {file}"), r).await;
                }
            }
            _ => {}
        }
    }
}

/// Fails with every difference (up to a few) between two walks.
#[track_caller]
fn assert_same(expected: &Snapshot, actual: &Snapshot, what: &str) {
    let mut diffs = Vec::new();
    for key in expected
        .keys()
        .chain(actual.keys().filter(|k| !expected.contains_key(*k)))
    {
        let (e, a) = (expected.get(key), actual.get(key));
        if e != a {
            diffs.push(format!("{key}\n  expected: {e:?}\n  actual:   {a:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{what}: {} of {} answers differ:\n{}",
        diffs.len(),
        expected.len(),
        diffs.iter().take(8).cloned().collect::<Vec<_>>().join("\n")
    );
}

// ---- the command -------------------------------------------------------------------------------

/// Runs `arca ARGS`; returns success, stdout and stderr.
fn arca(args: &[String]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_arca"))
        .args(args)
        .env("ARCA_LOG", "warn")
        .output()
        .expect("run arca");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The flags naming one side: a data dir, or PostgreSQL + S3.
fn side(prefix: &str, data_dir: &Path, pg_s3: Option<&[(&str, String)]>) -> Vec<String> {
    match pg_s3 {
        None => vec![
            format!("--{prefix}-data-dir"),
            data_dir.display().to_string(),
        ],
        Some(settings) => settings
            .iter()
            .flat_map(|(k, v)| {
                let flag = k
                    .trim_start_matches("ARCA_")
                    .to_lowercase()
                    .replace('_', "-");
                [format!("--{prefix}-{flag}"), v.clone()]
            })
            .collect(),
    }
}

fn transfer(from: Vec<String>, to: Vec<String>) -> (bool, String, String) {
    let mut args = vec!["transfer".to_string()];
    args.extend(from);
    args.extend(to);
    arca(&args)
}

/// `arca check` on a side; must pass with no unreferenced object (only referenced bytes moved).
fn check(data_dir: &Path, pg_s3: Option<&[(&str, String)]>) {
    let mut args = vec![
        "check".to_string(),
        "--data-dir".into(),
        data_dir.display().to_string(),
    ];
    if let Some(settings) = pg_s3 {
        for (k, v) in settings {
            args.push(format!(
                "--{}",
                k.trim_start_matches("ARCA_")
                    .to_lowercase()
                    .replace('_', "-")
            ));
            args.push(v.clone());
        }
    }
    let (ok, out, err) = arca(&args);
    assert!(ok, "arca check failed:\n{out}{err}");
    assert!(
        out.contains("0 missing, 0 corrupt") && out.contains("; 0 unreferenced objects"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfer_to_postgres_and_s3_and_back() {
    let test = "transfer_to_postgres_and_s3_and_back";
    let (Some(schema), Some(endpoint)) = (PgSchema::create(test).await, s3_server::endpoint(test))
    else {
        return;
    };
    let bucket = s3_server::bucket(&endpoint).await;
    let pg_s3 = [
        ("ARCA_DATABASE_URL", schema.url.clone()),
        ("ARCA_BLOB_STORE", format!("s3://{bucket}/arca")),
        ("ARCA_S3_ENDPOINT", endpoint.clone()),
        ("ARCA_S3_REGION", "us-east-1".to_string()),
        ("ARCA_S3_ACCESS_KEY_ID", "testing".to_string()),
        ("ARCA_S3_SECRET_ACCESS_KEY", "testing".to_string()),
    ];
    let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
    let (sqlite_a, pg_dir, sqlite_c) = (dirs[0].path(), dirs[1].path(), dirs[2].path());

    // The source, populated and walked, then stopped.
    let a = start_with(sqlite_a, &common_env()).await;
    populate(&a).await;
    let expected = walk(addr(&a)).await;
    let text = serde_json::to_string(&expected).unwrap();
    for status in [
        "Published",
        "Unfinished",
        "Unlisted",
        "Archived",
        "Disposed",
    ] {
        assert!(
            text.contains(&format!("\"{status}\"")),
            "the walk never saw {status}"
        );
    }
    assert!(
        expected.len() > 100,
        "only {} answers walked",
        expected.len()
    );
    kill(a).await;

    // SQLite + files → PostgreSQL + S3.
    let (ok, out, err) = transfer(
        side("from", sqlite_a, None),
        side("to", pg_dir, Some(&pg_s3)),
    );
    assert!(ok, "transfer failed:\n{out}{err}");
    eprintln!("to PostgreSQL + S3: {out}");
    assert!(
        out.contains("transferred 3 domains, 6 repositories, 7 packages, 13 versions"),
        "{out}"
    );
    let mut env = common_env();
    env.extend(pg_s3.iter().cloned());
    let b = start_with(pg_dir, &env).await;
    assert_same(
        &expected,
        &walk(addr(&b)).await,
        "PostgreSQL + S3 after the transfer",
    );
    check(pg_dir, Some(&pg_s3));

    // Into a non-empty destination: refused, nothing written.
    let (ok, out, err) = transfer(
        side("from", sqlite_a, None),
        side("to", pg_dir, Some(&pg_s3)),
    );
    assert!(
        !ok,
        "a transfer into a non-empty destination succeeded:\n{out}"
    );
    assert!(
        err.contains("destination is not empty") && err.contains("wrote nothing"),
        "{err}"
    );
    assert_same(
        &expected,
        &walk(addr(&b)).await,
        "PostgreSQL + S3 after the refusal",
    );

    // Back into a fresh SQLite + files, from the live server's stores.
    let (ok, out, err) = transfer(
        side("from", pg_dir, Some(&pg_s3)),
        side("to", sqlite_c, None),
    );
    assert!(ok, "transfer back failed:\n{out}{err}");
    eprintln!("back to SQLite + files: {out}");
    kill(b).await;
    check(sqlite_c, None);
    let c = start_with(sqlite_c, &common_env()).await;
    assert_same(
        &expected,
        &walk(addr(&c)).await,
        "SQLite + files after the round trip",
    );
    kill(c).await;

    // The source was only read.
    let a = start_with(sqlite_a, &common_env()).await;
    assert_same(
        &expected,
        &walk(addr(&a)).await,
        "the source after both transfers",
    );
    kill(a).await;
}
