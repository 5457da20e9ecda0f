//! `/metrics`, `/ready` and `/health`: a known sequence of API and npm requests, then the scrape
//! parsed with a Prometheus text parser (`prometheus-parse`) and its counters compared exactly.

use std::collections::HashMap;

use http::{HeaderMap, HeaderValue, Method};
use prometheus_parse::{Scrape, Value};
use serde_json::json;

use crate::common::npm::{manifest, publish_doc, tarball, Npm};
use crate::common::{send_http1, RawResponse, TestServer};

const TOKEN: &str = "scrape-secret";

pub async fn get(server: &TestServer, path: &str, bearer: Option<&str>) -> RawResponse {
    let mut h = HeaderMap::new();
    h.insert(
        "host",
        HeaderValue::from_str(&server.addr.to_string()).unwrap(),
    );
    if let Some(t) = bearer {
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
        );
    }
    send_http1(server.addr, Method::GET, path, h, Vec::new()).await
}

/// The scrape's samples by name, each with its labels.
pub fn scrape(body: &[u8]) -> Vec<(String, HashMap<String, String>, f64)> {
    let text = String::from_utf8(body.to_vec()).expect("utf-8");
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let parsed = Scrape::parse(lines).expect("a Prometheus text scrape");
    parsed
        .samples
        .into_iter()
        .filter_map(|s| {
            let value = match s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
                _ => return None,
            };
            let labels = s
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Some((s.metric, labels, value))
        })
        .collect()
}

/// The value of the one sample named `name` whose labels include `labels`, or 0 if none (a
/// counter never incremented is not exported); panics if several match.
pub fn value(
    samples: &[(String, HashMap<String, String>, f64)],
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    let hits: Vec<f64> = samples
        .iter()
        .filter(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| *v)
        .collect();
    assert!(hits.len() <= 1, "{name} {labels:?} matches {hits:?}");
    hits.first().copied().unwrap_or(0.0)
}

fn request_count(
    samples: &[(String, HashMap<String, String>, f64)],
    protocol: &str,
    operation: &str,
    format: &str,
    status: &str,
) -> f64 {
    value(
        samples,
        "arca_requests_total",
        &[
            ("protocol", protocol),
            ("operation", operation),
            ("format", format),
            ("status", status),
        ],
    )
}

#[tokio::test]
async fn a_known_sequence_of_requests_is_counted_exactly() {
    let server = TestServer::start_with(|c| c.metrics_token = Some(TOKEN.into())).await;
    // API: CreateDomain, CreateRepository, PublishPackageVersion (generic), then a 404.
    server.domain_with_repo("acme", "releases").await;
    server
        .publish_ok(
            "acme",
            "releases",
            "widget",
            "1.0.0",
            "widget.tgz",
            b"bytes",
            false,
        )
        .await;
    let missing = server
        .client
        .describe_package_version()
        .domain("acme")
        .repository("releases")
        .format(aws_sdk_codeartifact::types::PackageFormat::Generic)
        .namespace(crate::common::NS)
        .package("nothing")
        .package_version("1.0.0")
        .send()
        .await;
    assert!(missing.is_err());
    // npm: GetAuthorizationToken, one publish (a body of known length), two packument reads,
    // one read of a package that does not exist.
    let npm = Npm::login(&server, "acme", "releases").await;
    let m = manifest("kit", "1.0.0", json!({}));
    let doc = publish_doc(&m, &tarball(&m));
    let doc_len = doc.to_string().len() as f64;
    assert_eq!(npm.publish(&doc).await.status, 200);
    assert_eq!(npm.get("kit").await.status, 200);
    assert_eq!(npm.get("kit").await.status, 200);
    assert_eq!(npm.get("absent").await.status, 404);
    // One collection, nothing to free.
    server
        .service
        .collect_garbage(std::time::Duration::from_secs(900), false)
        .await
        .unwrap();

    assert_eq!(get(&server, "/health", None).await.status, 200);
    assert_eq!(get(&server, "/ready", None).await.status, 200);
    let refused = get(&server, "/metrics", None).await;
    assert_eq!(refused.status, 401);
    assert_eq!(get(&server, "/metrics", Some("wrong")).await.status, 401);
    let r = get(&server, "/metrics", Some(TOKEN)).await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/openmetrics-text")));
    let s = scrape(&r.body);

    assert_eq!(request_count(&s, "api", "CreateDomain", "", "200"), 1.0);
    assert_eq!(request_count(&s, "api", "CreateRepository", "", "200"), 1.0);
    assert_eq!(
        request_count(&s, "api", "PublishPackageVersion", "generic", "200"),
        1.0
    );
    assert_eq!(
        request_count(&s, "api", "DescribePackageVersion", "generic", "404"),
        1.0
    );
    assert_eq!(
        request_count(&s, "api", "GetAuthorizationToken", "", "200"),
        1.0
    );
    assert_eq!(request_count(&s, "native", "PUT", "npm", "200"), 1.0);
    assert_eq!(request_count(&s, "native", "GET", "npm", "200"), 2.0);
    assert_eq!(request_count(&s, "native", "GET", "npm", "404"), 1.0);
    // The scrapes, /health and /ready are not requests of either protocol.
    let requests: Vec<_> = s
        .iter()
        .filter(|(n, _, _)| n == "arca_requests_total")
        .collect();
    let all: f64 = requests.iter().map(|(_, _, v)| v).sum();
    assert_eq!(all, 9.0, "{requests:?}");
    // Latency: one observation per request, in the histogram of its operation.
    assert_eq!(
        value(
            &s,
            "arca_request_duration_seconds_count",
            &[
                ("protocol", "native"),
                ("operation", "GET"),
                ("format", "npm")
            ]
        ),
        3.0
    );
    assert_eq!(
        value(&s, "arca_request_bytes_total", &[("protocol", "native")]),
        doc_len
    );
    assert_eq!(
        value(
            &s,
            "arca_publishes_total",
            &[("format", "generic"), ("origin", "internal")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &s,
            "arca_publishes_total",
            &[("format", "npm"), ("origin", "internal")]
        ),
        1.0
    );
    assert_eq!(value(&s, "arca_gc_runs_total", &[]), 1.0);
    assert_eq!(value(&s, "arca_gc_freed_blobs_total", &[]), 0.0);
    // Both publishes went through SQLite's group commit, one at a time.
    assert_eq!(value(&s, "arca_group_commits_total", &[]), 2.0);
    assert_eq!(value(&s, "arca_group_commit_publishes_sum", &[]), 2.0);
    assert_eq!(
        value(
            &s,
            "arca_store_call_duration_seconds_count",
            &[("method", "create_domain")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &s,
            "arca_store_call_duration_seconds_count",
            &[("method", "apply_publish")]
        ),
        2.0
    );
}

#[tokio::test]
async fn metrics_are_open_without_a_token_and_ready_fails_without_its_blob_store() {
    let server = TestServer::start().await;
    let r = get(&server, "/metrics", None).await;
    assert_eq!(r.status, 200);
    let s = scrape(&r.body);
    assert_eq!(value(&s, "arca_requests_total", &[]), 0.0);
    assert_eq!(get(&server, "/ready", None).await.status, 200);
    // The blob directory replaced by a file: the blob store no longer answers.
    let blobs = server.data_dir.join("blobs");
    std::fs::remove_dir_all(&blobs).unwrap();
    std::fs::write(&blobs, b"not a directory").unwrap();
    let r = get(&server, "/ready", None).await;
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("blob store"));
    assert_eq!(get(&server, "/health", None).await.status, 200);
}
