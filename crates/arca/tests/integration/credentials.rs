//! Ambiguous credentials are refused, on the API (403 `InvalidSignatureException`) and on native
//! endpoints (401 with `WWW-Authenticate`): a repeated header that carries part of them, or
//! query-string SigV4 beside an `Authorization` header. And `UNSIGNED-PAYLOAD` covers no JSON body:
//! it is accepted for PublishPackageVersion only.

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::common::npm::Npm;
use crate::common::*;

/// A CreateDomain request: header lines added before signing (`signed`, so covered by the
/// signature, repeats included) and after it (`unsigned`), on `path_and_query`.
fn create_domain(
    s: &TestServer,
    path_and_query: &str,
    signed: &[(&str, &str)],
    unsigned: &[(&str, &str)],
) -> HeaderMap {
    let uri: http::Uri = format!("http://{}{path_and_query}", s.addr)
        .parse()
        .unwrap();
    let mut headers = HeaderMap::new();
    for (k, v) in signed {
        headers.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let auth = arca_sigv4::sign(
        &Method::POST,
        &uri,
        &mut headers,
        &s.credentials.access_key_id,
        &s.credentials.secret_access_key,
        "us-east-1",
        "codeartifact",
        arca_sigv4::EMPTY_PAYLOAD_SHA256,
        time::OffsetDateTime::now_utc(),
    );
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&auth).unwrap(),
    );
    for (k, v) in unsigned {
        headers.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    headers
}

/// Every variant of ambiguous credentials on the API, each on an otherwise valid CreateDomain:
/// refused with 403 InvalidSignatureException, and the domain is not created. The control (same
/// request, unambiguous) succeeds.
#[tokio::test]
async fn api_refuses_ambiguous_credentials() {
    let s = TestServer::start().await;
    let other_key = arca_sigv4::sign(
        &Method::GET,
        &"http://x/".parse().unwrap(),
        &mut HeaderMap::new(),
        "AKIAOTHEROTHEROTHER0",
        "secret",
        "us-east-1",
        "codeartifact",
        arca_sigv4::EMPTY_PAYLOAD_SHA256,
        time::OffsetDateTime::now_utc(),
    );
    let empty = arca_sigv4::EMPTY_PAYLOAD_SHA256;
    let now = arca_sigv4::format_amz_date(time::OffsetDateTime::now_utc());
    let http_date = arca_sigv4::format_http_date(time::OffsetDateTime::now_utc());
    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<(&'a str, &'a str)>,
        Vec<(&'a str, &'a str)>,
    );
    let cases: Vec<Case> = vec![
        (
            "a second Authorization (another key)",
            "",
            vec![],
            vec![("authorization", &other_key)],
        ),
        (
            "a second Authorization (garbage)",
            "",
            vec![],
            vec![("authorization", "Bearer x")],
        ),
        (
            "a second X-Amz-Date",
            "",
            vec![],
            vec![("x-amz-date", "20000101T000000Z")],
        ),
        (
            "X-Amz-Date twice, same value",
            "",
            vec![],
            vec![("x-amz-date", &now)],
        ),
        (
            "a second Date",
            "",
            vec![("date", &http_date)],
            vec![("date", &http_date)],
        ),
        (
            "x-amz-content-sha256 twice, both signed",
            "",
            vec![
                ("x-amz-content-sha256", empty),
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ],
            vec![],
        ),
        (
            "a second, unsigned x-amz-content-sha256",
            "",
            vec![("x-amz-content-sha256", empty)],
            vec![("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
        ),
        (
            "X-Amz-Security-Token twice, both signed",
            "",
            vec![
                ("x-amz-security-token", "token-a"),
                ("x-amz-security-token", "token-b"),
            ],
            vec![],
        ),
        (
            "query X-Amz-Credential beside the header",
            "&X-Amz-Credential=AKIAOTHER%2F20250101%2Fus-east-1%2Fcodeartifact%2Faws4_request",
            vec![],
            vec![],
        ),
        (
            "query X-Amz-Signature beside the header",
            "&X-Amz-Signature=00",
            vec![],
            vec![],
        ),
        (
            "query X-Amz-Algorithm beside the header",
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256",
            vec![],
            vec![],
        ),
        (
            "query X-Amz-Security-Token beside the header",
            "&X-Amz-Security-Token=t",
            vec![],
            vec![],
        ),
        (
            "query X-Amz-Date beside the header (other case)",
            "&x-amz-date=20250101T000000Z",
            vec![],
            vec![],
        ),
    ];
    for (i, (what, query, signed, unsigned)) in cases.into_iter().enumerate() {
        let domain = format!("dup-{i}");
        let path = format!("/v1/domain?domain={domain}{query}");
        let headers = create_domain(&s, &path, &signed, &unsigned);
        let r = send_http1(s.addr, Method::POST, &path, headers, Vec::new()).await;
        r.assert_error(403, "InvalidSignatureException");
        assert_not_found(
            s.client.describe_domain().domain(&domain).send().await,
            "domain",
        );
        eprintln!("refused: {what}");
    }
    // Control: the same request with one of each is accepted.
    let path = "/v1/domain?domain=control";
    let headers = create_domain(
        &s,
        path,
        &[
            ("x-amz-content-sha256", empty),
            ("x-amz-security-token", "token-a"),
        ],
        &[],
    );
    let r = send_http1(s.addr, Method::POST, path, headers, Vec::new()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// The same class on a streamed operation: a publish whose asset hash header is repeated.
#[tokio::test]
async fn publish_refuses_a_repeated_content_sha256() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let body = b"content".to_vec();
    let sha = sha256_hex(&body);
    let path = format!(
        "/v1/package/version/publish?domain=dom&repository=repo&format=generic&namespace={NS}&package=p&version=1&asset=a.bin"
    );
    let uri: http::Uri = format!("http://{}{path}", s.addr).parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.append("x-amz-content-sha256", HeaderValue::from_str(&sha).unwrap());
    headers.append(
        "x-amz-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    let auth = arca_sigv4::sign(
        &Method::POST,
        &uri,
        &mut headers,
        &s.credentials.access_key_id,
        &s.credentials.secret_access_key,
        "us-east-1",
        "codeartifact",
        &sha,
        time::OffsetDateTime::now_utc(),
    );
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&auth).unwrap(),
    );
    let r = send_http1(s.addr, Method::POST, &path, headers, body).await;
    r.assert_error(403, "InvalidSignatureException");
    assert_not_found(
        s.client
            .describe_package()
            .domain("dom")
            .repository("repo")
            .format(aws_sdk_codeartifact::types::PackageFormat::Generic)
            .namespace(NS)
            .package("p")
            .send()
            .await,
        "package",
    );
}

/// Native endpoints: two `Authorization` headers are a 401 asking for credentials, whichever of
/// them is valid, on every protocol.
#[tokio::test]
async fn native_refuses_two_authorization_headers() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let npm = Npm::login(&s, "dom", "repo").await;
    let bearer = npm.authorization.clone().expect("token");
    let token = bearer.trim_start_matches("Bearer ").to_string();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
    );
    let acct = s.account();
    let paths = [
        format!("/npm/d/dom-{acct}/repo/-/ping"),
        format!("/pypi/d/dom-{acct}/repo/simple/"),
        format!("/maven/d/dom-{acct}/repo/com/acme/app/maven-metadata.xml"),
    ];
    let pairs: [(&str, &str); 5] = [
        (&bearer, "Bearer not-a-token"),
        ("Bearer not-a-token", &bearer),
        (&bearer, &basic),
        (&bearer, &bearer),
        (&basic, "AWS4-HMAC-SHA256 Credential=x"),
    ];
    for path in &paths {
        // Control: one valid header is accepted (200, or 404 for the missing Maven file).
        let mut one = HeaderMap::new();
        one.insert("host", HeaderValue::from_str(&s.addr.to_string()).unwrap());
        one.insert("authorization", HeaderValue::from_str(&bearer).unwrap());
        let r = send_http1(s.addr, Method::GET, path, one, Vec::new()).await;
        assert!(matches!(r.status, 200 | 404), "{path}: {}", r.status);
        for (first, second) in pairs {
            let mut h = HeaderMap::new();
            h.insert("host", HeaderValue::from_str(&s.addr.to_string()).unwrap());
            h.append("authorization", HeaderValue::from_str(first).unwrap());
            h.append("authorization", HeaderValue::from_str(second).unwrap());
            let r = send_http1(s.addr, Method::GET, path, h, Vec::new()).await;
            assert_eq!(
                r.status,
                401,
                "{path} with {first:.12}… then {second:.12}…: {}",
                String::from_utf8_lossy(&r.body)
            );
            assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"arca\""));
            assert!(r.json()["error"].is_string());
        }
    }
}

/// `UNSIGNED-PAYLOAD` in `x-amz-content-sha256` leaves the body out of the signature, so it is
/// refused on every operation but PublishPackageVersion — including ones whose body is small JSON,
/// where a tampered body would otherwise pass.
#[tokio::test]
async fn unsigned_payload_is_only_for_publish() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let unsigned = |method: &str, path: &str, body: &[u8]| {
        RawRequest::new(method, path)
            .header("content-type", "application/json")
            .header("x-amz-content-sha256", arca_sigv4::UNSIGNED_PAYLOAD)
            .body(body.to_vec())
            .signed_by(
                &s.credentials.access_key_id,
                &s.credentials.secret_access_key,
            )
            .payload_hash(arca_sigv4::UNSIGNED_PAYLOAD)
    };
    for (method, path, body) in [
        ("POST", "/v1/domain?domain=other", &b""[..]),
        ("GET", "/v1/domain?domain=dom", b""),
        ("POST", "/v1/domains", b"{}"),
        (
            "PUT",
            "/v1/repository?domain=dom&repository=repo",
            br#"{"description":"tampered"}"#,
        ),
        (
            "POST",
            "/v1/repository?domain=dom&repository=new",
            br#"{"description":"x"}"#,
        ),
        (
            "POST",
            "/v1/tag?resourceArn=x",
            br#"{"tags":[{"key":"k","value":"v"}]}"#,
        ),
    ] {
        let r = s.send_raw(unsigned(method, path, body)).await;
        let j = r.assert_error(403, "InvalidSignatureException");
        assert!(
            j["message"]
                .as_str()
                .is_some_and(|m| m.contains("UNSIGNED-PAYLOAD")),
            "{method} {path}: {j}"
        );
    }
    let d = s
        .client
        .describe_repository()
        .domain("dom")
        .repository("repo")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.repository().and_then(|r| r.description()), None);

    // PublishPackageVersion: UNSIGNED-PAYLOAD as the payload hash, the asset hash in a signed
    // header (what the Rust SDK sends for a streamed body) is accepted; the body is verified
    // against the header instead.
    let body = b"streamed".to_vec();
    let sha = sha256_hex(&body);
    let r = s
        .send_raw(
            RawRequest::new(
                "POST",
                &format!(
                    "/v1/package/version/publish?domain=dom&repository=repo&format=generic&namespace={NS}&package=p&version=1&asset=a.bin"
                ),
            )
            .header("x-amz-content-sha256", &sha)
            .body(body)
            .signed_by(
                &s.credentials.access_key_id,
                &s.credentials.secret_access_key,
            )
            .payload_hash(arca_sigv4::UNSIGNED_PAYLOAD),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}
