//! The walker: every answer of an installation through the API and the native endpoints,
//! recorded whole, so that two installations compare without naming fields.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use http::{HeaderMap, HeaderValue, Method};
use serde_json::{json, Value};

use super::{OWNER, PAGE, PUBLIC_URL};
use crate::child::{KEY, SECRET};
use crate::common::{q, send_http1, sha256_hex, RawResponse};

/// A request signed like the SDK signs JSON operations.
pub(super) async fn call(addr: SocketAddr, method: &str, pq: &str, body: &[u8]) -> RawResponse {
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
pub(super) async fn native(
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

pub(super) async fn token(addr: SocketAddr, domain: &str) -> String {
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

/// Every answer of a walk, by request.
pub(super) type Snapshot = BTreeMap<String, Value>;

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

pub(super) async fn walk(addr: SocketAddr) -> Snapshot {
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
        walk_groups(&mut w, &domain).await;
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

/// Every package group (description, tags, allowed repositories of each restriction type).
async fn walk_groups(w: &mut Walk, domain: &str) {
    let dq = format!("domain={}", q(domain));
    let groups = w
        .list("POST", &format!("/v1/package-groups?{dq}"), "packageGroups")
        .await;
    for g in groups {
        let pattern = g["pattern"].as_str().unwrap().to_string();
        let arn = g["arn"].as_str().unwrap().to_string();
        w.record(
            "POST",
            &format!("/v1/tags?resourceArn={}", q(&arn)),
            Value::Null,
        )
        .await;
        for t in ["PUBLISH", "EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM"] {
            w.list(
                "GET",
                &format!(
                    "/v1/package-group-allowed-repositories?{dq}&package-group={}&originRestrictionType={t}",
                    q(&pattern)
                ),
                "allowedRepositories",
            )
            .await;
        }
    }
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
            w.list(
                "POST",
                &format!("/v1/package/version/dependencies?{vq}"),
                "dependencies",
            )
            .await;
            w.record(
                "GET",
                &format!("/v1/package/version/readme?{vq}"),
                Value::Null,
            )
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
pub(super) fn assert_same(expected: &Snapshot, actual: &Snapshot, what: &str) {
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
