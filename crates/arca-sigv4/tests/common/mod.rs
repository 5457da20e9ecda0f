//! Helpers shared by the integration tests: signing with the official `aws-sigv4` crate
//! and verifying with ours.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use arca_sigv4::{authorization_from_headers, verify, SigV4Error};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_smithy_runtime_api::client::identity::Identity;
use time::OffsetDateTime;

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";
pub const SERVICE: &str = "codeartifact";
pub const HOST: &str = "codeartifact.us-east-1.amazonaws.com";
pub const SKEW: Duration = Duration::from_secs(15 * 60);

/// 2026-11-21T10:10:10Z
pub fn signing_time() -> OffsetDateTime {
    time::macros::datetime!(2026-11-21 10:10:10 UTC)
}

/// How the official signer computes the payload hash.
#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    /// `SignableBody::Bytes`: sha256 of the bytes, no `x-amz-content-sha256` header (what
    /// the Rust SDK does for CodeArtifact with an in-memory body).
    Bytes(&'a [u8]),
    /// `SignableBody::Bytes` plus `PayloadChecksumKind::XAmzSha256` (S3-style: the hash is
    /// also sent as `x-amz-content-sha256`).
    BytesWithHeader(&'a [u8]),
    /// `SignableBody::UnsignedPayload` (Rust SDK with a streaming body).
    Unsigned,
}

/// A request as the server would see it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: http::HeaderMap,
}

/// Signs `method path_and_query` (already percent-encoded, as the SDKs send it) with the
/// official `aws-sigv4` signer using the settings of every non-S3 SDK operation
/// (double URI encoding, path normalization), and returns the request as the server would
/// receive it (origin-form URI, `host` header present).
pub fn aws_sign(
    method: &str,
    path_and_query: &str,
    extra_headers: &[(&str, &str)],
    body: Body<'_>,
    time: OffsetDateTime,
) -> Received {
    aws_sign_with(
        method,
        path_and_query,
        extra_headers,
        body,
        time,
        SECRET,
        SERVICE,
    )
}

pub fn aws_sign_with(
    method: &str,
    path_and_query: &str,
    extra_headers: &[(&str, &str)],
    body: Body<'_>,
    time: OffsetDateTime,
    secret: &str,
    service: &str,
) -> Received {
    let absolute = format!("https://{HOST}{path_and_query}");
    let mut request = http::Request::builder()
        .method(method)
        .uri(&absolute)
        .header("host", HOST);
    for (name, value) in extra_headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(()).expect("valid test request");

    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Double;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Enabled;
    settings.payload_checksum_kind = match body {
        Body::BytesWithHeader(_) => PayloadChecksumKind::XAmzSha256,
        _ => PayloadChecksumKind::NoHeader,
    };
    let signable_body = match body {
        Body::Bytes(b) | Body::BytesWithHeader(b) => SignableBody::Bytes(b),
        Body::Unsigned => SignableBody::UnsignedPayload,
    };
    let identity: Identity = Credentials::new(ACCESS_KEY, secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service)
        .time(SystemTime::from(time))
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let header_pairs: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().expect("test headers are ASCII")))
        .collect();
    let signable = SignableRequest::new(
        method,
        absolute.clone(),
        header_pairs.into_iter(),
        signable_body,
    )
    .expect("signable request");
    let (instructions, _signature) = sign(signable, &params).expect("sign").into_parts();
    instructions.apply_to_request_http1x(&mut request);

    let (parts, ()) = request.into_parts();
    Received {
        method: parts.method,
        uri: path_and_query.parse().expect("origin-form uri"),
        headers: parts.headers,
    }
}

/// Verifies `req` with our verifier, secret [`SECRET`], service [`SERVICE`], 15 minutes skew.
pub fn check(req: &Received, payload_hash: &str, now: OffsetDateTime) -> Result<(), SigV4Error> {
    check_with(req, SECRET, payload_hash, now)
}

pub fn check_with(
    req: &Received,
    secret: &str,
    payload_hash: &str,
    now: OffsetDateTime,
) -> Result<(), SigV4Error> {
    let auth = authorization_from_headers(&req.headers)?;
    verify(
        &req.method,
        &req.uri,
        &req.headers,
        &auth,
        secret,
        SERVICE,
        payload_hash,
        now,
        SKEW,
    )
}
