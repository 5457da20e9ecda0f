//! A real S3-protocol server for the tests: the one `scripts/test` starts (`moto_server`), named by
//! `ARCA_TEST_S3_ENDPOINT`. Without it the S3 tests say loudly that they skipped, or fail when
//! `ARCA_REQUIRE_S3=1`.

use std::sync::atomic::{AtomicU64, Ordering};

use arca_blobstore::{BlobStore, S3Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The endpoint, or `None` (after printing why) when the S3 tests must skip.
pub fn endpoint(test: &str) -> Option<String> {
    match std::env::var("ARCA_TEST_S3_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("ARCA_REQUIRE_S3").as_deref() == Ok("1") => {
            panic!("ARCA_REQUIRE_S3=1 but ARCA_TEST_S3_ENDPOINT is not set")
        }
        _ => {
            eprintln!(
                "SKIPPED {test}: no S3 server (set ARCA_TEST_S3_ENDPOINT, as scripts/test does)"
            );
            None
        }
    }
}

/// One plain (unsigned) HTTP request to the server; returns status and body. moto does not check
/// signatures, which is all these bucket-level helpers need.
pub async fn raw(endpoint: &str, method: &str, path: &str) -> (u16, String) {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = tokio::net::TcpStream::connect(host)
        .await
        .expect("connect to S3 server");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A fresh bucket, unique to this process and call.
pub async fn bucket(endpoint: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "arca-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let (status, body) = raw(endpoint, "PUT", &format!("/{name}")).await;
    assert_eq!(status, 200, "creating bucket {name}: {body}");
    name
}

pub fn settings(endpoint: &str, bucket: &str, prefix: Option<&str>) -> S3Settings {
    S3Settings {
        bucket: bucket.into(),
        prefix: prefix.map(Into::into),
        endpoint: Some(endpoint.into()),
        region: Some("us-east-1".into()),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
        path_style: true,
    }
}

/// A blob store in a fresh bucket, or `None` when S3 tests skip.
pub async fn store(test: &str) -> Option<(BlobStore, String, String)> {
    let endpoint = endpoint(test)?;
    let bucket = bucket(&endpoint).await;
    let store = BlobStore::s3(&settings(&endpoint, &bucket, Some("arca"))).unwrap();
    Some((store, endpoint, bucket))
}

/// Keys of every object in the bucket (ListObjectsV2, first 1000).
pub async fn keys(endpoint: &str, bucket: &str) -> Vec<String> {
    let (status, body) = raw(endpoint, "GET", &format!("/{bucket}?list-type=2")).await;
    assert_eq!(status, 200, "{body}");
    tags(&body, "Key")
}

/// Multipart uploads still open in the bucket (ListMultipartUploads).
pub async fn open_uploads(endpoint: &str, bucket: &str) -> Vec<String> {
    let (status, body) = raw(endpoint, "GET", &format!("/{bucket}?uploads")).await;
    assert_eq!(status, 200, "{body}");
    tags(&body, "UploadId")
}

fn tags(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(v, _)| v.to_string()))
        .collect()
}
