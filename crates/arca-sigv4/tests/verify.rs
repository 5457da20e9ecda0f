//! Behaviour of `verify` beyond the signature itself: clock skew, dates, error variants,
//! and our own `sign` helper.

mod common;

use std::time::Duration;

use arca_sigv4::{
    authorization_from_headers, parse_authorization, sha256_hex, sign, verify, Authorization,
    SigV4Error, EMPTY_PAYLOAD_SHA256,
};
use common::*;
use http::header::{HeaderValue, AUTHORIZATION};
use http::{HeaderMap, Method, Uri};
use time::OffsetDateTime;

fn minutes(m: i64) -> time::Duration {
    time::Duration::minutes(m)
}

fn signed_get() -> Received {
    aws_sign(
        "GET",
        "/v1/domains?max-results=5",
        &[],
        Body::Bytes(b""),
        signing_time(),
    )
}

#[test]
fn skew_of_fourteen_minutes_passes_sixteen_fails() {
    let req = signed_get();
    let t = signing_time();
    check(&req, EMPTY_PAYLOAD_SHA256, t + minutes(14)).unwrap();
    check(&req, EMPTY_PAYLOAD_SHA256, t - minutes(14)).unwrap();
    // Exactly the allowed skew is still accepted.
    check(&req, EMPTY_PAYLOAD_SHA256, t + minutes(15)).unwrap();
    check(&req, EMPTY_PAYLOAD_SHA256, t - minutes(15)).unwrap();

    let old = check(&req, EMPTY_PAYLOAD_SHA256, t + minutes(16));
    assert_eq!(
        old,
        Err(SigV4Error::Expired {
            request_time: t,
            server_time: t + minutes(16),
            max_skew: SKEW,
        })
    );
    assert_eq!(
        old.unwrap_err().to_string(),
        "Signature expired: 20261121T101010Z is now earlier than 20261121T101110Z \
         (20261121T102610Z - 15 min.)"
    );
    let just_over = check(
        &req,
        EMPTY_PAYLOAD_SHA256,
        t + minutes(15) + time::Duration::SECOND,
    );
    assert!(
        matches!(just_over, Err(SigV4Error::Expired { .. })),
        "{just_over:?}"
    );

    // Request dated 16 minutes in the future of the server clock.
    let future = check(&req, EMPTY_PAYLOAD_SHA256, t - minutes(16));
    assert!(
        matches!(future, Err(SigV4Error::Expired { .. })),
        "{future:?}"
    );
    assert_eq!(
        future.unwrap_err().to_string(),
        "Signature not yet current: 20261121T101010Z is still later than 20261121T100910Z \
         (20261121T095410Z + 15 min.)"
    );
}

#[test]
fn skew_is_checked_before_the_signature() {
    // An expired request gets "expired", even with a wrong secret (as AWS does).
    let req = signed_get();
    let result = check_with(
        &req,
        "wrong",
        EMPTY_PAYLOAD_SHA256,
        signing_time() + minutes(60),
    );
    assert!(
        matches!(result, Err(SigV4Error::Expired { .. })),
        "{result:?}"
    );
}

#[test]
fn scope_date_must_match_the_request_day() {
    let mut req = signed_get();
    req.headers
        .insert("x-amz-date", HeaderValue::from_static("20261122T000500Z"));
    let result = check(&req, EMPTY_PAYLOAD_SHA256, signing_time());
    assert_eq!(
        result,
        Err(SigV4Error::ScopeDateMismatch {
            scope_date: "20261121".into(),
            request_date: "20261122".into(),
            request_timestamp: "20261122T000500Z".into(),
        })
    );
}

fn malformed(result: Result<(), SigV4Error>) -> String {
    match result {
        Err(SigV4Error::Malformed(message)) => message,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn date_header_problems_are_malformed() {
    let now = signing_time();
    let mut req = signed_get();
    req.headers.insert(
        "x-amz-date",
        HeaderValue::from_static("2026-11-21T10:10:10Z"),
    );
    assert!(malformed(check(&req, EMPTY_PAYLOAD_SHA256, now)).contains("ISO8601"));

    let mut req = signed_get();
    req.headers
        .insert("x-amz-date", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
    assert!(malformed(check(&req, EMPTY_PAYLOAD_SHA256, now)).contains("ISO8601"));

    let mut req = signed_get();
    req.headers
        .append("x-amz-date", HeaderValue::from_static("20261121T101010Z"));
    assert!(malformed(check(&req, EMPTY_PAYLOAD_SHA256, now)).contains("Only one"));

    let mut req = signed_get();
    req.headers.remove("x-amz-date");
    assert_eq!(
        malformed(check(&req, EMPTY_PAYLOAD_SHA256, now)),
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    );

    req.headers
        .insert("date", HeaderValue::from_static("yesterday"));
    assert!(malformed(check(&req, EMPTY_PAYLOAD_SHA256, now)).contains("RFC 1123"));
}

#[test]
fn signed_header_missing_from_request_is_malformed() {
    let mut req = signed_get();
    req.headers.remove("x-amz-date");
    req.headers.insert(
        "date",
        HeaderValue::from_static("Sat, 21 Nov 2026 10:10:10 GMT"),
    );
    let message = malformed(check(&req, EMPTY_PAYLOAD_SHA256, signing_time()));
    assert!(message.contains("'x-amz-date'"), "{message}");
}

#[test]
fn authorization_header_presence() {
    let mut req = signed_get();
    req.headers.remove(AUTHORIZATION);
    assert_eq!(
        check(&req, EMPTY_PAYLOAD_SHA256, signing_time()),
        Err(SigV4Error::Missing)
    );
    assert_eq!(
        authorization_from_headers(&req.headers),
        Err(SigV4Error::Missing)
    );

    req.headers.insert(
        AUTHORIZATION,
        HeaderValue::from_bytes(b"AWS4-HMAC-SHA256 \xff").unwrap(),
    );
    assert!(matches!(
        authorization_from_headers(&req.headers),
        Err(SigV4Error::Malformed(_))
    ));

    let mut req = signed_get();
    let value = req.headers[AUTHORIZATION].clone();
    req.headers.append(AUTHORIZATION, value);
    assert!(matches!(
        authorization_from_headers(&req.headers),
        Err(SigV4Error::Malformed(_))
    ));
}

#[test]
fn hand_built_authorization_is_rechecked() {
    let req = signed_get();
    let mut auth = authorization_from_headers(&req.headers).unwrap();
    auth.signed_headers = vec!["x-amz-date".into()];
    let result = verify(
        &req.method,
        &req.uri,
        &req.headers,
        &auth,
        SECRET,
        SERVICE,
        EMPTY_PAYLOAD_SHA256,
        signing_time(),
        SKEW,
    );
    assert!(malformed(result).contains("'Host'"));
}

fn our_sign(method: &Method, uri: &Uri, headers: &mut HeaderMap, payload: &str, t: OffsetDateTime) {
    let value = sign(
        method, uri, headers, ACCESS_KEY, SECRET, REGION, SERVICE, payload, t,
    );
    headers.insert(AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
}

fn our_check(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    payload: &str,
    now: OffsetDateTime,
) -> Result<(), SigV4Error> {
    let auth = authorization_from_headers(headers)?;
    verify(
        method, uri, headers, &auth, SECRET, SERVICE, payload, now, SKEW,
    )
}

#[test]
fn sign_matches_aws_sigv4_exactly() {
    // Same request, same time, same headers: our signer and the official one must produce
    // the same Authorization header.
    let path = "/v1/package/versions?domain=d&package=%40scope%2Fname&format=npm&x=a%20b";
    let official = aws_sign(
        "POST",
        path,
        &[("content-type", "application/json")],
        Body::Bytes(b"{}"),
        signing_time(),
    );

    let uri: Uri = format!("https://{HOST}{path}").parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let ours = sign(
        &Method::POST,
        &uri,
        &mut headers,
        ACCESS_KEY,
        SECRET,
        REGION,
        SERVICE,
        &sha256_hex(b"{}"),
        signing_time(),
    );
    assert_eq!(headers["host"], HOST);
    assert_eq!(headers["x-amz-date"], "20261121T101010Z");
    assert_eq!(ours, official.headers[AUTHORIZATION].to_str().unwrap());
}

#[test]
fn sign_then_verify_with_binary_header_values() {
    let uri: Uri = "http://localhost:8080/v1/domain?domain=x".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-bin", HeaderValue::from_bytes(b"\xff  \x80 ok ").unwrap());
    headers.append("x-bin", HeaderValue::from_bytes(b"\xfe").unwrap());
    our_sign(&Method::PUT, &uri, &mut headers, UNSIGNED, signing_time());
    assert_eq!(headers["host"], "localhost:8080");
    let auth = parse_authorization(headers[AUTHORIZATION].to_str().unwrap()).unwrap();
    assert_eq!(auth.signed_headers, ["host", "x-amz-date", "x-bin"]);
    our_check(&Method::PUT, &uri, &headers, UNSIGNED, signing_time()).unwrap();

    let mut tampered = headers.clone();
    tampered.insert("x-bin", HeaderValue::from_bytes(b"\xff \x81 ok").unwrap());
    tampered.append("x-bin", HeaderValue::from_bytes(b"\xfe").unwrap());
    assert_eq!(
        our_check(&Method::PUT, &uri, &tampered, UNSIGNED, signing_time()),
        Err(SigV4Error::SignatureMismatch)
    );
    // Whitespace normalization: extra spaces do not matter.
    let mut respaced = headers.clone();
    respaced.insert(
        "x-bin",
        HeaderValue::from_bytes(b"\xff \x80    ok").unwrap(),
    );
    respaced.append("x-bin", HeaderValue::from_bytes(b" \xfe ").unwrap());
    our_check(&Method::PUT, &uri, &respaced, UNSIGNED, signing_time()).unwrap();
}

const UNSIGNED: &str = arca_sigv4::UNSIGNED_PAYLOAD;

#[test]
fn date_header_can_replace_x_amz_date() {
    let uri: Uri = "https://codeartifact.example/v1/domains".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "date",
        HeaderValue::from_static("Mon, 01 Jan 2001 00:00:00 GMT"),
    );
    our_sign(
        &Method::POST,
        &uri,
        &mut headers,
        EMPTY_PAYLOAD_SHA256,
        signing_time(),
    );
    assert!(!headers.contains_key("x-amz-date"));
    assert_eq!(headers["date"], "Sat, 21 Nov 2026 10:10:10 GMT");
    our_check(
        &Method::POST,
        &uri,
        &headers,
        EMPTY_PAYLOAD_SHA256,
        signing_time() + minutes(3),
    )
    .unwrap();
    let expired = our_check(
        &Method::POST,
        &uri,
        &headers,
        EMPTY_PAYLOAD_SHA256,
        signing_time() + minutes(30),
    );
    assert!(matches!(expired, Err(SigV4Error::Expired { .. })));
    // botocore writes the zone as "-0000"; the date is the same instant.
    headers.insert(
        "date",
        HeaderValue::from_static("Sat, 21 Nov 2026 10:10:10 -0000"),
    );
    assert_eq!(
        our_check(
            &Method::POST,
            &uri,
            &headers,
            EMPTY_PAYLOAD_SHA256,
            signing_time()
        ),
        Err(SigV4Error::SignatureMismatch),
        "the date header value itself is signed"
    );
}

#[test]
fn signature_is_independent_of_skew_setting() {
    let req = signed_get();
    let auth: Authorization = authorization_from_headers(&req.headers).unwrap();
    for skew in [Duration::ZERO, Duration::from_secs(1), Duration::MAX] {
        verify(
            &req.method,
            &req.uri,
            &req.headers,
            &auth,
            SECRET,
            SERVICE,
            EMPTY_PAYLOAD_SHA256,
            signing_time(),
            skew,
        )
        .unwrap();
    }
    // A huge skew never overflows.
    let far = OffsetDateTime::UNIX_EPOCH;
    verify(
        &req.method,
        &req.uri,
        &req.headers,
        &auth,
        SECRET,
        SERVICE,
        EMPTY_PAYLOAD_SHA256,
        far,
        Duration::MAX,
    )
    .unwrap();
    let zero = verify(
        &req.method,
        &req.uri,
        &req.headers,
        &auth,
        SECRET,
        SERVICE,
        EMPTY_PAYLOAD_SHA256,
        far,
        Duration::ZERO,
    );
    assert!(matches!(zero, Err(SigV4Error::Expired { .. })));
}
