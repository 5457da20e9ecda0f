//! The connection layer (`server.rs`), below every route: how long a connection may stay silent,
//! which protocols are spoken (HTTP/1 only; h2c is refused), transfer codings, and `Allow` on 405.

use std::time::{Duration, Instant};

use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::npm::Npm;
use crate::common::*;

/// The client connection preface of HTTP/2 (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty SETTINGS frame, which a prior-knowledge h2c client sends right after the preface.
const H2_SETTINGS: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0];

async fn header_timeout(secs: u64) -> TestServer {
    TestServer::start_with(|c| c.timeouts.header_read = Duration::from_secs(secs)).await
}

/// Reads until the server closes the connection; panics if it is still open after `limit`.
async fn read_until_closed(conn: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the server kept the connection open for {limit:?} (received {:?})",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    (out, start.elapsed())
}

/// Every way a client can hold a connection without finishing a request head — silence, part of
/// an HTTP/2 preface, part of an HTTP/1 request line or headers, silence after a first response —
/// is closed within the header timeout (1 s here), whatever protocol the first bytes suggest.
#[tokio::test]
async fn a_connection_that_never_finishes_its_head_is_closed_within_the_header_timeout() {
    let s = header_timeout(1).await;
    let cases: [(&str, &[u8]); 6] = [
        ("nothing at all", b""),
        ("the first byte of the h2 preface", b"P"),
        ("a partial h2 preface", b"PRI * HTTP/2.0\r\n"),
        ("all but the last byte of the h2 preface", &H2_PREFACE[..23]),
        ("a partial HTTP/1 request line", b"GET /v1/dom"),
        (
            "an HTTP/1 head without its end",
            b"GET /health HTTP/1.1\r\nHost: x\r\n",
        ),
    ];
    for (what, sent) in cases {
        let mut conn = TcpStream::connect(s.addr).await.unwrap();
        conn.write_all(sent).await.unwrap();
        // Closed at the timeout, or sooner when the bytes already cannot be HTTP/1.1 (a
        // request line ending in HTTP/2.0 is a 400 at once).
        let (answer, waited) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
        assert!(
            waited < Duration::from_secs(3),
            "{what}: closed after {waited:?}"
        );
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 4"),
            "{what}: {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    // The same after a first, complete request on a kept-alive connection.
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The server still serves everyone else.
    s.create_domain("still-up").await;
}

/// Arca serves HTTP/1 only (README, Configuration): a prior-knowledge h2c client gets its
/// connection closed at once — not an HTTP/2 session, and no wait for the header timeout.
#[tokio::test]
async fn a_prior_knowledge_h2c_preface_is_refused_at_once() {
    let s = header_timeout(30).await;
    for sent in [H2_PREFACE.to_vec(), [H2_PREFACE, H2_SETTINGS].concat()] {
        let mut conn = TcpStream::connect(s.addr).await.unwrap();
        conn.write_all(&sent).await.unwrap();
        let (answer, waited) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
        assert!(waited < Duration::from_secs(2), "closed after {waited:?}");
        // Nothing, or an HTTP/1 refusal; never an HTTP/2 frame (a SETTINGS frame has type 4).
        assert!(
            answer.is_empty()
                || answer.starts_with(b"HTTP/1.1 4")
                || answer.starts_with(b"HTTP/1.1 5"),
            "{:?}",
            String::from_utf8_lossy(&answer)
        );
    }
}

/// RFC 9112 §6.1: a transfer coding the server does not understand is answered 501, before
/// routing: the same on the health check, an API route, and a native route.
#[tokio::test]
async fn a_transfer_coding_other_than_chunked_is_not_implemented_on_every_route() {
    let s = TestServer::start().await;
    let native = format!("/npm/d/dom-{}/repo/pkg", s.account());
    let body = b"5\r\nhello\r\n0\r\n\r\n";
    for path in ["/health", "/v1/domains", native.as_str()] {
        for (method, coding) in [
            ("GET", "gzip, chunked"),
            ("POST", "gzip, chunked"),
            ("PUT", "deflate,chunked"),
            ("POST", "identity, chunked"),
        ] {
            let mut conn = TcpStream::connect(s.addr).await.unwrap();
            let head = format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: {coding}\r\n\r\n",
                s.addr
            );
            conn.write_all(head.as_bytes()).await.unwrap();
            conn.write_all(body).await.unwrap();
            let (answer, _) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
            let answer = String::from_utf8_lossy(&answer);
            assert!(
                answer.starts_with("HTTP/1.1 501"),
                "{method} {path} with {coding}: {answer}"
            );
        }
        // Two header lines, the coding in the first: the same.
        let mut conn = TcpStream::connect(s.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
            s.addr
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        conn.write_all(body).await.unwrap();
        let (answer, _) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 501"), "{path}: {answer}");
    }
    // Plain chunked still works.
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "GET /health HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        s.addr
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    let (answer, _) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Every 405 names the methods its resource takes in `Allow` (RFC 9110 §15.5.6): the health check
/// and each native protocol, per kind of resource.
#[tokio::test]
async fn every_method_not_allowed_carries_allow() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let r = s.send_raw(RawRequest::new("POST", "/health")).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET,HEAD"));

    let npm = Npm::login(&s, "dom", "repo").await;
    let token = npm.authorization.clone().expect("token");
    let native = |format: &str| Npm {
        server: &s,
        base: format!("/{format}/d/dom-{}/repo/", s.account()),
        authorization: Some(token.clone()),
    };
    let (npm, pypi, maven) = (native("npm"), native("pypi"), native("maven"));
    let cases: [(&Npm, Method, &str, &str); 11] = [
        (&npm, Method::POST, "pkg", "GET, HEAD, PUT"),
        (&npm, Method::DELETE, "@scope%2fpkg", "GET, HEAD, PUT"),
        (&npm, Method::PUT, "pkg/-/pkg-1.0.0.tgz", "GET, HEAD"),
        (&npm, Method::POST, "-/package/pkg/dist-tags", "GET"),
        (
            &npm,
            Method::GET,
            "-/package/pkg/dist-tags/beta",
            "PUT, DELETE",
        ),
        (&npm, Method::GET, "pkg/-rev/1-abc", "PUT, DELETE"),
        (
            &npm,
            Method::PUT,
            "pkg/-/pkg-1.0.0.tgz/-rev/1-abc",
            "DELETE",
        ),
        (&pypi, Method::GET, "", "POST"),
        (&pypi, Method::POST, "simple/", "GET, HEAD"),
        (
            &pypi,
            Method::DELETE,
            "simple/pkg/1.0/pkg-1.0.tar.gz",
            "GET, HEAD",
        ),
        (
            &maven,
            Method::DELETE,
            "com/acme/app/1.0/app-1.0.jar",
            "GET, HEAD, PUT",
        ),
    ];
    for (client, method, path, allow) in cases {
        let r = client.request(method.clone(), path, &[], Vec::new()).await;
        assert_eq!(
            r.status,
            405,
            "{method} {}{path}: {}",
            client.base,
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(
            r.header("allow"),
            Some(allow),
            "{method} {}{path}",
            client.base
        );
        // Each allowed method is indeed not refused with 405.
        for m in allow.split(", ") {
            let r = client
                .request(m.parse().unwrap(), path, &[], Vec::new())
                .await;
            assert_ne!(r.status, 405, "{m} {}{path}", client.base);
        }
    }
}
