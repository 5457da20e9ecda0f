//! Raw HTTP for requests the SDK will not send (or that a test must cut short): signed request
//! heads, a minimal HTTP/1.1 client and its request/response types.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use http_body_util::{BodyExt, Full};
use tokio::net::TcpStream;

use super::sha256_hex;

/// The request line and headers of a bodiless request signed with `host`'s credentials (payload
/// hash of the empty body), for tests that read or drop the response themselves.
pub fn signed_head(
    method: &str,
    host: &str,
    path_and_query: &str,
    access_key_id: &str,
    secret: &str,
) -> String {
    let uri: http::Uri = format!("http://{host}{path_and_query}").parse().unwrap();
    let method: Method = method.parse().unwrap();
    let mut headers = HeaderMap::new();
    let auth = arca_sigv4::sign(
        &method,
        &uri,
        &mut headers,
        access_key_id,
        secret,
        "us-east-1",
        "codeartifact",
        &sha256_hex(b""),
        time::OffsetDateTime::now_utc(),
    );
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    let mut head = format!("{method} {path_and_query} HTTP/1.1\r\n");
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
    }
    head.push_str("\r\n");
    head
}

/// The request line and headers of a PublishPackageVersion of `content` to `path_and_query` on
/// `host` (`ip:port`), signed like the AWS CLI signs it (payload hash = the asset's SHA-256), for
/// tests that write the body themselves (stalling or cut off).
pub fn signed_publish_head(
    host: &str,
    path_and_query: &str,
    content: &[u8],
    access_key_id: &str,
    secret: &str,
) -> String {
    let uri: http::Uri = format!("http://{host}{path_and_query}").parse().unwrap();
    let sha = sha256_hex(content);
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-content-sha256", HeaderValue::from_str(&sha).unwrap());
    headers.insert("content-length", HeaderValue::from(content.len()));
    let auth = arca_sigv4::sign(
        &Method::POST,
        &uri,
        &mut headers,
        access_key_id,
        secret,
        "us-east-1",
        "codeartifact",
        &sha,
        time::OffsetDateTime::now_utc(),
    );
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    let mut head = format!("POST {path_and_query} HTTP/1.1\r\n");
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
    }
    head.push_str("\r\n");
    head
}

/// How a raw request is signed.
#[derive(Debug, Clone)]
pub struct Signing {
    pub access_key_id: String,
    pub secret: String,
    /// Payload hash used in the canonical request (default: SHA-256 of the signed body).
    pub payload_hash: Option<String>,
    /// The body the signature covers when it differs from the one sent (tampering).
    pub signed_body: Option<Vec<u8>>,
    /// How old the `x-amz-date` is.
    pub age: Duration,
}

#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub sign: Option<Signing>,
}

impl RawRequest {
    pub fn new(method: &str, path_and_query: &str) -> Self {
        Self {
            method: method.to_string(),
            path_and_query: path_and_query.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            sign: None,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    pub fn signed_by(mut self, access_key_id: &str, secret: &str) -> Self {
        self.sign = Some(Signing {
            access_key_id: access_key_id.to_string(),
            secret: secret.to_string(),
            payload_hash: None,
            signed_body: None,
            age: Duration::ZERO,
        });
        self
    }

    fn signing(&mut self) -> &mut Signing {
        self.sign.as_mut().expect("call signed_by first")
    }

    pub fn payload_hash(mut self, h: &str) -> Self {
        self.signing().payload_hash = Some(h.to_string());
        self
    }

    pub fn signed_body(mut self, b: Vec<u8>) -> Self {
        self.signing().signed_body = Some(b);
        self
    }

    pub fn aged(mut self, age: Duration) -> Self {
        self.signing().age = age;
        self
    }
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    /// What arrived of the body.
    pub body: Bytes,
    /// Why the body ended before its end, if it did ([`send_http1_partial`] only).
    pub cut_off: Option<String>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts an error response: status, `x-amzn-ErrorType`, JSON `__type`, a non-empty
    /// `message`, and a request id. Returns the JSON body.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> serde_json::Value {
        assert_eq!(
            self.status,
            status,
            "status; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("x-amzn-ErrorType"),
            Some(code),
            "x-amzn-ErrorType; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert!(
            self.header("x-amzn-RequestId")
                .is_some_and(|v| !v.is_empty()),
            "x-amzn-RequestId missing"
        );
        let j = self.json();
        assert_eq!(j["__type"], code, "__type in {j}");
        assert!(
            j["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing in {j}"
        );
        j
    }
}

/// One HTTP/1.1 request over a fresh connection (hyper's low-level client; no pooling, no
/// header rewriting besides `content-length`). A body that fails before its end panics.
pub async fn send_http1(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: HeaderMap,
    body: Vec<u8>,
) -> RawResponse {
    let r = send_http1_partial(addr, method, path_and_query, headers, body).await;
    if let Some(e) = &r.cut_off {
        panic!("response body: {e}");
    }
    r
}

/// [`send_http1`], where a body that fails before its end is an answer (`cut_off`).
pub async fn send_http1_partial(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: HeaderMap,
    body: Vec<u8>,
) -> RawResponse {
    let resp = match try_send_http1_head(addr, method, path_and_query, headers, body).await {
        Ok(resp) => resp,
        // A body that failed before its first byte: the server closed the connection before
        // the head went out (status 0, cut off).
        Err(e) if e.is_incomplete_message() => {
            return RawResponse {
                status: 0,
                headers: HeaderMap::new(),
                body: Bytes::new(),
                cut_off: Some(e.to_string()),
            }
        }
        Err(e) => panic!("send request: {e}"),
    };
    let (parts, mut body) = resp.into_parts();
    let mut bytes = Vec::new();
    let mut cut_off = None;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => bytes.extend_from_slice(f.data_ref().map_or(&[][..], |d| &d[..])),
            Err(e) => {
                cut_off = Some(e.to_string());
                break;
            }
        }
    }
    RawResponse {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: bytes.into(),
        cut_off,
    }
}

/// One request over a fresh connection, answered as soon as its head arrives: the status, the
/// headers and the body still to come.
pub async fn send_http1_head(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: HeaderMap,
    body: Vec<u8>,
) -> http::Response<hyper::body::Incoming> {
    try_send_http1_head(addr, method, path_and_query, headers, body)
        .await
        .expect("send request")
}

/// [`send_http1_head`], or the error when the connection closed before a head arrived.
async fn try_send_http1_head(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: HeaderMap,
    body: Vec<u8>,
) -> Result<http::Response<hyper::body::Incoming>, hyper::Error> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    *req.headers_mut() = headers;
    sender.send_request(req).await
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn q(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
