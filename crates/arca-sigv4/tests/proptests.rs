//! Property tests: no input makes parsing or verification panic; signed requests always
//! verify (with our signer and with the official one); tampered ones never do.

mod common;

use std::str::FromStr;

use arca_sigv4::{
    authorization_from_headers, parse_authorization, sign, verify, Authorization, SigV4Error,
    EMPTY_PAYLOAD_SHA256,
};
use common::*;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http::{HeaderMap, Method, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
use proptest::prelude::*;

/// What the SDKs encode in query values and path labels: everything but unreserved.
const SDK_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The minimum to get a valid `http::Uri` query component while leaving as much as
/// possible raw (`+`, `/`, `?`, `=`, `'`, `!`, ... stay literal). `&` and `=` must be
/// encoded inside a key or value to keep the pair structure.
const MINIMAL_QUERY_SET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'=')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::PATCH),
        Just(Method::HEAD),
    ]
}

/// Key/value pairs of arbitrary Unicode, with repeats likely.
fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop_oneof![".{0,12}", "[a-c]{1,2}", Just("rep".to_owned())],
            prop_oneof![".{0,16}", "[ +/=&%~.a-c]{0,6}", Just(String::new())],
        ),
        0..8,
    )
}

fn path_segments() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            ".{0,10}",
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just(String::new())
        ],
        0..6,
    )
}

fn query(params: &[(String, String)], set: &'static AsciiSet) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, set),
                utf8_percent_encode(v, set)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn path(segments: &[String]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&utf8_percent_encode(s, SDK_SET).to_string());
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Any valid header value: bytes drawn from what `HeaderValue` accepts (HTAB, visible ASCII and
/// space, obs-text), so that long runs do not exhaust proptest's rejection budget.
fn header_value() -> impl Strategy<Value = HeaderValue> {
    let byte = prop_oneof![1 => Just(b'\t'), 24 => 0x20u8..0x7f, 8 => 0x80u8..=0xff];
    prop::collection::vec(byte, 0..24).prop_filter_map("valid header value", |bytes| {
        HeaderValue::from_bytes(&bytes).ok()
    })
}

fn headers() -> impl Strategy<Value = Vec<(String, HeaderValue)>> {
    prop::collection::vec(
        (
            "x-[a-z0-9-]{1,8}|content-type|date|x-amz-content-sha256",
            header_value(),
        ),
        0..6,
    )
}

/// `default` cases per property, or `PROPTEST_CASES` for a longer run by hand
/// (`PROPTEST_CASES=100000 cargo test …`).
fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases_or(512)))]

    #[test]
    fn parse_authorization_never_panics(value in ".*") {
        let _ = parse_authorization(&value);
    }

    #[test]
    fn parse_authorization_never_panics_on_near_misses(
        algorithm in prop_oneof![Just("AWS4-HMAC-SHA256".to_owned()), ".{0,20}"],
        credential in prop_oneof![
            "[A-Z]{0,4}/[0-9]{0,9}/[a-z-]{0,4}/[a-z]{0,4}/(aws4_request|x|)",
            ".{0,30}"
        ],
        signed in prop_oneof!["(host|x-amz-date|Host|;|[a-z]{0,3}){0,5}", ".{0,20}"],
        signature in "[0-9a-fA-F]{0,70}|.{0,10}",
        separator in prop_oneof![Just(", "), Just(","), Just(" "), Just(",,\t")],
        order in 0usize..3,
    ) {
        let mut parts = [
            format!("Credential={credential}"),
            format!("SignedHeaders={signed}"),
            format!("Signature={signature}"),
        ];
        parts.rotate_left(order);
        let value = format!("{algorithm} {}", parts.join(separator));
        if let Ok(auth) = parse_authorization(&value) {
            prop_assert!(auth.signed_headers.iter().any(|h| h == "host"));
            prop_assert!(auth.signed_headers.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(auth.scope_date.len(), 8);
        }
    }

    /// Arbitrary raw paths/queries (whatever `http::Uri` accepts), header values and
    /// signed-header lists: `verify` returns, it never panics.
    #[test]
    fn verify_never_panics(
        raw_target in prop_oneof![
            3 => "/[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,40}",
            1 => "/[ -~\u{80}-\u{10FFFF}]{0,40}",
        ],
        method in method(),
        extra in headers(),
        mut signed in prop::collection::vec("[a-z-]{1,12}|x-amz-date|content-type|date", 0..4),
        signature in "[0-9a-f]{64}|.{0,8}",
        payload in ".{0,70}",
        secret in ".{0,20}",
    ) {
        let Ok(uri) = Uri::from_str(&raw_target) else { return Ok(()) };
        let mut map = HeaderMap::new();
        map.insert("host", HeaderValue::from_static("example.com"));
        map.insert("x-amz-date", HeaderValue::from_static("20261121T101010Z"));
        for (name, value) in extra {
            map.append(HeaderName::from_str(&name).unwrap(), value);
        }
        signed.push("host".to_owned());
        signed.sort();
        signed.dedup();
        let auth = Authorization {
            access_key_id: "AKID".into(),
            scope_date: "20261121".into(),
            region: "us-east-1".into(),
            service: SERVICE.into(),
            signed_headers: signed,
            signature,
        };
        let result = verify(&method, &uri, &map, &auth, &secret, SERVICE, &payload, signing_time(), SKEW);
        prop_assert!(result.is_err());
    }

    /// A request signed by our `sign` always verifies, whatever its path, query and
    /// headers; appending to one query value then breaks it.
    #[test]
    fn sign_then_verify_round_trips(
        method in method(),
        segments in path_segments(),
        params in params(),
        minimal_encoding in any::<bool>(),
        extra in headers(),
        payload in prop_oneof![Just(EMPTY_PAYLOAD_SHA256.to_owned()), Just(arca_sigv4::UNSIGNED_PAYLOAD.to_owned()), "[0-9a-f]{64}"],
        skew_secs in -899i64..=900,
    ) {
        let set = if minimal_encoding { MINIMAL_QUERY_SET } else { SDK_SET };
        let q = query(&params, set);
        let target = if q.is_empty() { path(&segments) } else { format!("{}?{q}", path(&segments)) };
        let uri = Uri::from_str(&target).expect("encoded target parses");
        let mut map = HeaderMap::new();
        map.insert("host", HeaderValue::from_static("localhost:9000"));
        for (name, value) in extra {
            if name != "date" {
                map.append(HeaderName::from_str(&name).unwrap(), value);
            }
        }
        let value = sign(&method, &uri, &mut map, ACCESS_KEY, SECRET, REGION, SERVICE, &payload, signing_time());
        map.insert(AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
        let auth = authorization_from_headers(&map).unwrap();
        let now = signing_time() + time::Duration::seconds(skew_secs);
        prop_assert_eq!(verify(&method, &uri, &map, &auth, SECRET, SERVICE, &payload, now, SKEW), Ok(()));

        if !params.is_empty() {
            let mut tampered = params.clone();
            tampered[0].1.push('x');
            let q = query(&tampered, set);
            let uri = Uri::from_str(&format!("{}?{q}", path(&segments))).unwrap();
            prop_assert_eq!(
                verify(&method, &uri, &map, &auth, SECRET, SERVICE, &payload, now, SKEW),
                Err(SigV4Error::SignatureMismatch)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases_or(256)))]

    /// Differential test against the official signer: SDK-encoded paths (including `.`/`..`
    /// and empty segments) and queries of arbitrary Unicode.
    #[test]
    fn requests_signed_by_aws_sigv4_verify(
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE")],
        segments in path_segments(),
        params in params(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        header in "[ -~]{0,20}",
    ) {
        let q = query(&params, SDK_SET);
        let target = if q.is_empty() { path(&segments) } else { format!("{}?{q}", path(&segments)) };
        let req = aws_sign(method, &target, &[("x-extra", header.as_str())], Body::Bytes(&body), signing_time());
        let hash = arca_sigv4::sha256_hex(&body);
        prop_assert_eq!(check(&req, &hash, signing_time()), Ok(()));
        prop_assert_eq!(check_with(&req, "not the secret", &hash, signing_time()), Err(SigV4Error::SignatureMismatch));
    }
}
