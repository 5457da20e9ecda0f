//! Requests signed by the official `aws-sigv4` crate must verify; any tampering must not.

mod common;

use arca_sigv4::{
    authorization_from_headers, sha256_hex, SigV4Error, EMPTY_PAYLOAD_SHA256, UNSIGNED_PAYLOAD,
};
use common::*;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};

/// A query with spaces, `+`, `/`, `=`, `&`, unicode, repeated keys (out of order), empty
/// values and a key without `=` — percent-encoded the way the SDKs encode query values —
/// plus a raw `/` and a path with percent-encoded label characters.
const QUERY_PATH: &str = "/v1/package/version/asset/%40scope%2Fname/1.0.0%2Bbuild?\
domain=my-domain&repository=my%20repo&package=a%2Bb%3Dc%26d&namespace=ns%2Fsub&raw=a/b\
&uni=%E1%88%B4%C3%A9&rep=2&rep=10&rep=1&empty=&flag&tilde=~x-y_z.w";

fn get_request() -> Received {
    aws_sign(
        "GET",
        QUERY_PATH,
        &[
            ("x-custom", "  spaced   out  value "),
            ("x-multi", "one"),
            ("x-multi", "two"),
            ("user-agent", "aws-sdk-rust/1.0"),
        ],
        Body::Bytes(b""),
        signing_time(),
    )
}

fn expect_mismatch(result: Result<(), SigV4Error>, what: &str) {
    assert_eq!(
        result,
        Err(SigV4Error::SignatureMismatch),
        "tampered {what}"
    );
}

fn flip_last_char(s: &str) -> String {
    let mut bytes = s.as_bytes().to_vec();
    let last = bytes.last_mut().expect("non-empty");
    *last = if *last == b'0' { b'1' } else { b'0' };
    String::from_utf8(bytes).expect("ascii")
}

#[test]
fn get_with_complex_query_verifies() {
    let req = get_request();
    let auth = authorization_from_headers(&req.headers).unwrap();
    assert_eq!(auth.service, SERVICE);
    assert!(auth.signed_headers.contains(&"x-multi".to_owned()));
    // aws-sigv4 does not sign user-agent by default.
    assert!(!auth.signed_headers.contains(&"user-agent".to_owned()));
    check(&req, EMPTY_PAYLOAD_SHA256, signing_time()).unwrap();
}

#[test]
fn tampering_with_a_get_is_detected() {
    let req = get_request();
    let now = signing_time();

    expect_mismatch(
        check_with(&req, &flip_last_char(SECRET), EMPTY_PAYLOAD_SHA256, now),
        "secret",
    );
    expect_mismatch(
        check(&req, &flip_last_char(EMPTY_PAYLOAD_SHA256), now),
        "payload hash",
    );
    expect_mismatch(
        check(&req, UNSIGNED_PAYLOAD, now),
        "payload hash (unsigned)",
    );

    let mut r = req.clone();
    r.uri = QUERY_PATH
        .replace("repository=my%20repo", "repository=my%20repp")
        .parse()
        .unwrap();
    expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), "query value");

    let mut r = req.clone();
    r.uri = QUERY_PATH.replace("&flag", "").parse().unwrap();
    expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), "query (dropped key)");

    let mut r = req.clone();
    r.uri = format!("{QUERY_PATH}&extra=1").parse().unwrap();
    expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), "query (added key)");

    let mut r = req.clone();
    r.uri = QUERY_PATH
        .replace("1.0.0%2Bbuild", "1.0.1%2Bbuild")
        .parse()
        .unwrap();
    expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), "path");

    let mut r = req.clone();
    r.uri = QUERY_PATH
        .replace("%40scope%2Fname", "%40scope/name")
        .parse()
        .unwrap();
    expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), "path (decoded slash)");

    let mut r = req.clone();
    r.method = http::Method::POST;
    expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), "method");

    let mut r = req.clone();
    r.headers
        .insert("x-custom", HeaderValue::from_static("spaced out valuf"));
    expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), "signed header value");

    let mut r = req.clone();
    r.headers
        .append("x-multi", HeaderValue::from_static("three"));
    expect_mismatch(
        check(&r, EMPTY_PAYLOAD_SHA256, now),
        "repeated signed header",
    );

    let mut r = req.clone();
    r.headers
        .insert("host", HeaderValue::from_static("evil.example.com"));
    expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), "host");

    // Tampering with the Authorization header itself.
    let original = req.headers[AUTHORIZATION].to_str().unwrap().to_owned();
    for (what, tampered) in [
        ("signature", flip_last_char(&original)),
        ("uppercase signature", {
            let (head, sig) = original.split_once("Signature=").unwrap();
            format!("{head}Signature={}", sig.to_uppercase())
        }),
        ("region", original.replace("/us-east-1/", "/us-west-2/")),
        ("signed headers", original.replace(";x-multi", "")),
        (
            "truncated signature",
            original[..original.len() - 1].to_owned(),
        ),
    ] {
        let mut r = req.clone();
        r.headers
            .insert(AUTHORIZATION, HeaderValue::from_str(&tampered).unwrap());
        expect_mismatch(check(&r, EMPTY_PAYLOAD_SHA256, now), what);
    }
}

/// SigV4 does not cover the access key id itself: it only names the secret. The caller
/// must verify with the secret *of the key named in the header*; then a swapped key id
/// fails because the other key's secret differs.
#[test]
fn access_key_id_only_selects_the_secret() {
    let req = get_request();
    let original = req.headers[AUTHORIZATION].to_str().unwrap().to_owned();
    let mut r = req.clone();
    let swapped = original.replace("AKIDEXAMPLE", "AKIDOTHER");
    r.headers
        .insert(AUTHORIZATION, HeaderValue::from_str(&swapped).unwrap());
    assert_eq!(
        authorization_from_headers(&r.headers)
            .unwrap()
            .access_key_id,
        "AKIDOTHER"
    );
    check(&r, EMPTY_PAYLOAD_SHA256, signing_time()).unwrap();
    expect_mismatch(
        check_with(
            &r,
            "secret-of-AKIDOTHER",
            EMPTY_PAYLOAD_SHA256,
            signing_time(),
        ),
        "access key id",
    );
}

#[test]
fn harmless_changes_still_verify() {
    let req = get_request();
    let now = signing_time();

    // Unsigned headers may be added or changed (proxies do that).
    let mut r = req.clone();
    r.headers
        .insert("user-agent", HeaderValue::from_static("something else"));
    r.headers.insert(
        HeaderName::from_static("x-forwarded-for"),
        HeaderValue::from_static("10.0.0.1"),
    );
    check(&r, EMPTY_PAYLOAD_SHA256, now).unwrap();

    // The canonical query is sorted, so parameter order on the wire does not matter, and
    // unreserved characters may be sent percent-encoded.
    let mut r = req.clone();
    r.uri = QUERY_PATH
        .replace("rep=2&rep=10&rep=1", "rep=1&rep=2&rep=10")
        .replace("domain=my-domain", "domain=my%2Ddomain")
        .parse()
        .unwrap();
    check(&r, EMPTY_PAYLOAD_SHA256, now).unwrap();
}

#[test]
fn post_with_body_verifies() {
    let body = br#"{"description":"a repo","upstreams":[{"repositoryName":"npm-store"}]}"#;
    let req = aws_sign(
        "POST",
        "/v1/repository?domain=my-domain&domain-owner=111122223333&repository=my-repo",
        &[
            ("content-type", "application/json"),
            ("content-length", "68"),
        ],
        Body::Bytes(body),
        signing_time(),
    );
    assert!(!req.headers.contains_key("x-amz-content-sha256"));
    check(&req, &sha256_hex(body), signing_time()).unwrap();

    let mut other = body.to_vec();
    other[5] ^= 1;
    expect_mismatch(check(&req, &sha256_hex(&other), signing_time()), "body");
    expect_mismatch(
        check(&req, EMPTY_PAYLOAD_SHA256, signing_time()),
        "body (empty)",
    );
}

#[test]
fn x_amz_content_sha256_header_is_the_payload_hash() {
    let body = b"package bytes";
    let req = aws_sign(
        "POST",
        "/v1/package/version/publish?domain=d&repository=r&format=generic&namespace=n&package=p&version=1&asset=a.tgz",
        &[("content-type", "application/octet-stream")],
        Body::BytesWithHeader(body),
        signing_time(),
    );
    let header = req.headers["x-amz-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(header, sha256_hex(body));
    let auth = authorization_from_headers(&req.headers).unwrap();
    assert!(auth
        .signed_headers
        .contains(&"x-amz-content-sha256".to_owned()));
    check(&req, &header, signing_time()).unwrap();
    expect_mismatch(
        check(&req, &sha256_hex(b"other bytes"), signing_time()),
        "payload hash",
    );

    // Changing the header itself breaks both the header line and the payload line.
    let mut r = req.clone();
    let forged = sha256_hex(b"other bytes");
    r.headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(&forged).unwrap(),
    );
    expect_mismatch(check(&r, &forged, signing_time()), "x-amz-content-sha256");
}

#[test]
fn unsigned_payload_verifies_only_as_unsigned() {
    // The Rust SDK signs streaming bodies with UNSIGNED-PAYLOAD *without* sending an
    // x-amz-content-sha256 header.
    let req = aws_sign(
        "POST",
        "/v1/package/version/publish?domain=d&repository=r&format=generic&namespace=n&package=p&version=1&asset=a.tgz",
        &[("content-type", "application/octet-stream")],
        Body::Unsigned,
        signing_time(),
    );
    assert!(!req.headers.contains_key("x-amz-content-sha256"));
    check(&req, UNSIGNED_PAYLOAD, signing_time()).unwrap();
    expect_mismatch(
        check(&req, &sha256_hex(b"streamed"), signing_time()),
        "payload hash",
    );
}

#[test]
fn wrong_service_is_reported() {
    let req = aws_sign_with(
        "GET",
        "/v1/domains",
        &[],
        Body::Bytes(b""),
        signing_time(),
        SECRET,
        "s3",
    );
    assert_eq!(
        check(&req, EMPTY_PAYLOAD_SHA256, signing_time()),
        Err(SigV4Error::WrongService {
            expected: "codeartifact".into(),
            got: "s3".into()
        })
    );
}

#[test]
fn dot_segments_and_double_slashes_are_normalized_like_aws_sigv4() {
    for path in [
        "/v1//domains/./x/../y",
        "/v1/a/b/..",
        "//",
        "/v1/%2E%2E/x",
        "/a/./b/../../c/",
    ] {
        let req = aws_sign("GET", path, &[], Body::Bytes(b""), signing_time());
        check(&req, EMPTY_PAYLOAD_SHA256, signing_time()).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

/// Documented divergence: a *literal* `+` in the raw query is a literal plus for us (as the
/// brief requires), but `aws-sigv4` parses the query with `form_urlencoded`, which turns it
/// into a space (`%20`). SDKs never send a literal `+` (they encode it as `%2B`, covered
/// above), so this only affects hand-made requests.
#[test]
fn literal_plus_in_raw_query_is_not_a_space() {
    let req = aws_sign("GET", "/v1/x?q=a+b", &[], Body::Bytes(b""), signing_time());
    assert_eq!(
        check(&req, EMPTY_PAYLOAD_SHA256, signing_time()),
        Err(SigV4Error::SignatureMismatch)
    );
    // Signed by aws-sigv4 as a space, the request verifies when sent as `%20`.
    let mut r = req.clone();
    r.uri = "/v1/x?q=a%20b".parse().unwrap();
    check(&r, EMPTY_PAYLOAD_SHA256, signing_time()).unwrap();
}
