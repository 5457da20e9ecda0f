//! Clients that stall: trickled headers and bodies that stop mid-upload are cut off after the
//! configured timeouts, and a stalled publish leaves nothing behind.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

async fn short_timeouts() -> TestServer {
    TestServer::start_with(|c| {
        c.timeouts.header_read = Duration::from_secs(1);
        c.timeouts.body_idle = Duration::from_secs(1);
    })
    .await
}

/// Reads until the server closes the connection (or 10 s pass); returns what it sent.
async fn read_until_closed(conn: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the stalled connection open for 10 s"),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

#[tokio::test]
async fn trickled_headers_are_cut_off() {
    let s = short_timeouts().await;
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(b"GET /v1/domains HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (_, waited) = read_until_closed(&mut conn).await;
    assert!(waited < Duration::from_secs(5), "closed after {waited:?}");
    // The server still serves everyone else.
    s.create_domain("still-up").await;
}

#[tokio::test]
async fn a_publish_whose_body_stalls_fails_and_leaves_nothing() {
    let s = short_timeouts().await;
    s.domain_with_repo("dom", "repo").await;
    let content = pseudo_random(3 * 1024 * 1024, 5);
    let path = format!(
        "/v1/package/version/publish?domain=dom&repository=repo&format=generic&namespace={NS}\
         &package=p&version=1&asset=a.bin"
    );
    let head = signed_publish_head(
        &s.addr.to_string(),
        &path,
        &content,
        &s.credentials.access_key_id,
        &s.credentials.secret_access_key,
    );
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    // A third of the body, then silence.
    conn.write_all(&content[..1024 * 1024]).await.unwrap();
    let (response, waited) = read_until_closed(&mut conn).await;
    assert!(waited < Duration::from_secs(5), "answered after {waited:?}");
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("ValidationException"), "{response}");

    // Nothing stored: no version, no blob, no temporary.
    let status = s
        .client
        .describe_package_version()
        .domain("dom")
        .repository("repo")
        .format(aws_sdk_codeartifact::types::PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version("1")
        .send()
        .await;
    assert_not_found(status, "package");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let left = files_under(&s.data_dir.join("blobs"));
    assert!(left.is_empty(), "left behind: {left:?}");
}
