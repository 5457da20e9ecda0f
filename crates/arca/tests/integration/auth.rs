//! SigV4 authentication (`decisions.md` "Auth failures") and the unauthenticated health check.

use std::time::Duration;

use crate::common::*;

#[tokio::test]
async fn wrong_secret_is_invalid_signature() {
    let s = TestServer::start().await;
    let c = s.client_with(&s.credentials.access_key_id, "not-the-secret");
    let e = assert_err(
        c.create_domain().domain("dom").send().await,
        403,
        "InvalidSignatureException",
    );
    assert!(!e.message.is_empty());
    // Nothing happened.
    assert_not_found(
        s.client.describe_domain().domain("dom").send().await,
        "domain",
    );

    // Raw: also the wire headers.
    let r = s
        .send_raw(
            RawRequest::new("POST", "/v1/domain?domain=dom")
                .signed_by(&s.credentials.access_key_id, "not-the-secret"),
        )
        .await;
    r.assert_error(403, "InvalidSignatureException");
}

#[tokio::test]
async fn unknown_access_key_is_unrecognized_client() {
    let s = TestServer::start().await;
    let c = s.client_with("AKIAUNKNOWNUNKNOWN00", &s.credentials.secret_access_key);
    assert_err(
        c.list_domains().send().await,
        403,
        "UnrecognizedClientException",
    );
    let r = s
        .send_raw(
            RawRequest::new("POST", "/v1/domains")
                .signed_by("AKIAUNKNOWNUNKNOWN00", &s.credentials.secret_access_key),
        )
        .await;
    r.assert_error(403, "UnrecognizedClientException");
}

#[tokio::test]
async fn no_authorization_is_missing_authentication_token() {
    let s = TestServer::start().await;
    for (method, path) in [
        ("GET", "/v1/domain?domain=dom"),
        ("POST", "/v1/domains"),
        ("GET", "/v1/does-not-exist"),
    ] {
        let r = s.send_raw(RawRequest::new(method, path)).await;
        r.assert_error(403, "MissingAuthenticationTokenException");
    }
}

#[tokio::test]
async fn stale_date_is_invalid_signature() {
    let s = TestServer::start().await;
    let req = |age: Duration| {
        RawRequest::new("GET", "/v1/domain?domain=dom")
            .signed_by(
                &s.credentials.access_key_id,
                &s.credentials.secret_access_key,
            )
            .aged(age)
    };
    let r = s.send_raw(req(Duration::from_secs(20 * 60))).await;
    r.assert_error(403, "InvalidSignatureException");
    // Within the 15-minute window the signature is accepted (and the domain is simply missing).
    let r = s.send_raw(req(Duration::from_secs(10 * 60))).await;
    r.assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn tampered_json_body_is_invalid_signature() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    let signed = br#"{"description":"signed"}"#.to_vec();
    let sent = br#"{"description":"tamper"}"#.to_vec();
    assert_eq!(signed.len(), sent.len());
    let r = s
        .send_raw(
            RawRequest::new("POST", "/v1/repository?domain=dom&repository=repo")
                .header("content-type", "application/json")
                .body(sent.clone())
                .signed_by(
                    &s.credentials.access_key_id,
                    &s.credentials.secret_access_key,
                )
                .signed_body(signed.clone()),
        )
        .await;
    r.assert_error(403, "InvalidSignatureException");

    // The same, with the signed body's hash announced in a signed x-amz-content-sha256 header.
    let r = s
        .send_raw(
            RawRequest::new("POST", "/v1/repository?domain=dom&repository=repo")
                .header("content-type", "application/json")
                .header("x-amz-content-sha256", &sha256_hex(&signed))
                .body(sent.clone())
                .signed_by(
                    &s.credentials.access_key_id,
                    &s.credentials.secret_access_key,
                )
                .signed_body(signed.clone()),
        )
        .await;
    r.assert_error(403, "InvalidSignatureException");
    assert_not_found(
        s.client
            .describe_repository()
            .domain("dom")
            .repository("repo")
            .send()
            .await,
        "repository",
    );

    // Control: the untampered request is accepted.
    let r = s
        .send_raw(
            RawRequest::new("POST", "/v1/repository?domain=dom&repository=repo")
                .header("content-type", "application/json")
                .body(signed.clone())
                .signed_by(
                    &s.credentials.access_key_id,
                    &s.credentials.secret_access_key,
                ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["repository"]["description"], "signed");
}

#[tokio::test]
async fn tampered_query_is_invalid_signature() {
    let s = TestServer::start().await;
    // Control: a correctly signed request.
    let r = s.raw("POST", "/v1/domain?domain=one", b"").await;
    assert_eq!(r.status, 200, "control");
    // Sign one query, send another: the query is part of the canonical request.
    // arca_sigv4::sign works on the URI it is given; build a mismatched request by hand.
    let uri: http::Uri = format!("http://{}/v1/domain?domain=two", s.addr)
        .parse()
        .expect("uri");
    let mut headers = http::HeaderMap::new();
    let auth = arca_sigv4::sign(
        &http::Method::POST,
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
        http::HeaderValue::from_str(&auth).expect("auth"),
    );
    let r = send_http1(
        s.addr,
        http::Method::POST,
        "/v1/domain?domain=three",
        headers,
        Vec::new(),
    )
    .await;
    r.assert_error(403, "InvalidSignatureException");
    assert_not_found(
        s.client.describe_domain().domain("three").send().await,
        "domain",
    );
}

fn publish_path(version: &str, asset: &str) -> String {
    format!(
        "/v1/package/version/publish?domain=dom&repository=repo&format=generic&namespace={NS}&package=pkg&version={version}&asset={asset}"
    )
}

/// botocore's way: the asset hash in a signed `x-amz-content-sha256`, used as the payload hash.
fn botocore_publish(s: &TestServer, version: &str, announced: &[u8], sent: &[u8]) -> RawRequest {
    let h = sha256_hex(announced);
    RawRequest::new("POST", &publish_path(version, "a.bin"))
        .header("x-amz-content-sha256", &h)
        .body(sent.to_vec())
        .signed_by(
            &s.credentials.access_key_id,
            &s.credentials.secret_access_key,
        )
        .payload_hash(&h)
}

#[tokio::test]
async fn publish_signed_like_botocore() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let body = b"botocore-style body".to_vec();
    let r = s.send_raw(botocore_publish(&s, "1.0", &body, &body)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["status"], "Published");
    assert_eq!(j["format"], "generic");
    assert_eq!(j["namespace"], NS);
    assert_eq!(j["package"], "pkg");
    assert_eq!(j["version"], "1.0");
    assert_eq!(j["asset"]["name"], "a.bin");
    assert_eq!(j["asset"]["size"], body.len());
    assert_eq!(j["asset"]["hashes"]["SHA-256"], sha256_hex(&body));
    assert_eq!(j["asset"]["hashes"]["MD5"], hashes(&body)["MD5"]);
    let (_, got) = s.get_asset("dom", "repo", "pkg", "1.0", "a.bin").await;
    assert_eq!(got, body);
}

/// A publish whose body differs from the signed `x-amz-content-sha256`: the signature is valid (it
/// covers the header), the content is not — 400 ValidationException and nothing stored.
#[tokio::test]
async fn publish_body_differing_from_signed_hash() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let announced = b"the announced body".to_vec();
    let sent = b"a different body!!".to_vec();
    assert_eq!(announced.len(), sent.len());
    let r = s
        .send_raw(botocore_publish(&s, "1.0", &announced, &sent))
        .await;
    let j = r.assert_error(400, "ValidationException");
    assert!(j["reason"].is_string(), "{j}");
    assert_not_found(
        s.client
            .describe_package()
            .domain("dom")
            .repository("repo")
            .format(aws_sdk_codeartifact::types::PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .send()
            .await,
        "package",
    );
    let d = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(d.domain().map(|d| d.asset_size_bytes()), Some(0));

    // Into an existing Unfinished version: the asset is not added.
    let ok = s
        .send_raw(botocore_publish(&s, "2.0", &announced, &announced))
        .await;
    assert_eq!(ok.status, 200);
    let mut unfinished = botocore_publish(&s, "3.0", &announced, &announced);
    unfinished.path_and_query.push_str("&unfinished=true");
    assert_eq!(s.send_raw(unfinished).await.status, 200);
    let mut bad = RawRequest::new(
        "POST",
        &format!(
            "/v1/package/version/publish?domain=dom&repository=repo&format=generic&namespace={NS}&package=pkg&version=3.0&asset=b.bin&unfinished=true"
        ),
    )
    .header("x-amz-content-sha256", &sha256_hex(&announced))
    .body(sent.clone())
    .signed_by(&s.credentials.access_key_id, &s.credentials.secret_access_key);
    bad = bad.payload_hash(&sha256_hex(&announced));
    let r = s.send_raw(bad).await;
    r.assert_error(400, "ValidationException");
    assert_eq!(s.asset_names("dom", "repo", "pkg", "3.0").await, ["a.bin"]);
}

/// A publish without `x-amz-content-sha256` (signed over the real body, as a client that does not
/// bind the header would): authenticated, then refused for the missing required member.
#[tokio::test]
async fn publish_without_hash_header_is_validation_error() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let r = s
        .send_raw(
            RawRequest::new("POST", &publish_path("1.0", "a.bin"))
                .body(b"content".to_vec())
                .signed_by(
                    &s.credentials.access_key_id,
                    &s.credentials.secret_access_key,
                ),
        )
        .await;
    let j = r.assert_error(400, "ValidationException");
    assert!(
        j["message"]
            .as_str()
            .is_some_and(|m| m.contains("assetSHA256")),
        "{j}"
    );
}

/// The asset hash header must be covered by the signature for PublishPackageVersion.
#[tokio::test]
async fn publish_with_unsigned_hash_header_is_refused() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let body = b"content".to_vec();
    // Sign without the header (UNSIGNED-PAYLOAD), then add it.
    let uri: http::Uri = format!("http://{}{}", s.addr, publish_path("1.0", "a.bin"))
        .parse()
        .expect("uri");
    let mut headers = http::HeaderMap::new();
    let auth = arca_sigv4::sign(
        &http::Method::POST,
        &uri,
        &mut headers,
        &s.credentials.access_key_id,
        &s.credentials.secret_access_key,
        "us-east-1",
        "codeartifact",
        arca_sigv4::UNSIGNED_PAYLOAD,
        time::OffsetDateTime::now_utc(),
    );
    headers.insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_str(&auth).expect("auth"),
    );
    headers.insert(
        "x-amz-content-sha256",
        http::HeaderValue::from_str(&sha256_hex(&body)).expect("sha"),
    );
    let r = send_http1(
        s.addr,
        http::Method::POST,
        &publish_path("1.0", "a.bin"),
        headers,
        body,
    )
    .await;
    r.assert_error(403, "InvalidSignatureException");
}

#[tokio::test]
async fn health_needs_no_auth() {
    let s = TestServer::start().await;
    let r = s.send_raw(RawRequest::new("GET", "/health")).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], b"ok\n");
}
