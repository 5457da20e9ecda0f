//! Server-side verification of AWS Signature Version 4 (`AWS4-HMAC-SHA256`,
//! `Authorization` header form) for Arca's CodeArtifact-compatible API.
//!
//! The crate answers one question: *was this request signed with this secret key?* It
//! does no I/O and knows nothing about HTTP servers or key storage: the caller parses the
//! `Authorization` header ([`authorization_from_headers`] / [`parse_authorization`]),
//! looks up the secret for [`Authorization::access_key_id`], decides which payload hash
//! applies (see below) and calls [`verify`]. [`sign`] is the inverse, for tests,
//! benchmarks and tooling; it shares the canonicalization code ([`canonical`]) with
//! [`verify`].
//!
//! # Invariants
//!
//! * **Pure**: output depends only on the arguments (the clock is passed in as `now`).
//! * **Never panics on input**: every header, URI, query and `Authorization` value, however
//!   malformed (including non-UTF-8 header bytes), yields `Ok` or a [`SigV4Error`]. This is
//!   exercised by property tests.
//! * **Constant-time comparison** of the computed and provided signatures (`subtle`).
//! * **Follows the non-S3 SigV4 rules** (path normalization plus double URI-encoding); the
//!   exact canonicalization rules are documented in [`canonical`]. The test suite checks
//!   them against the official `aws-sigv4` signer and the AWS SigV4 test-suite vectors.
//!
//! # Checks performed by [`verify`], in order
//!
//! 1. `SignedHeaders` is lowercase, sorted, duplicate-free and contains `host`
//!    ([`SigV4Error::Malformed`]).
//! 2. The credential scope's service is the expected one ([`SigV4Error::WrongService`]).
//!    The region is *not* checked: any region is accepted if the signature used it
//!    (compare [`Authorization::region`] yourself if that matters).
//! 3. The request time is read from `x-amz-date` (`yyyymmddThhmmssZ`), or, if that header is
//!    absent, from `Date` (RFC 1123) ([`SigV4Error::Malformed`] if neither parses).
//! 4. The scope date equals the day of the request time ([`SigV4Error::ScopeDateMismatch`]).
//! 5. The request time is within `max_skew` of `now`, in either direction; exactly
//!    `max_skew` is still accepted ([`SigV4Error::Expired`]).
//! 6. Every signed header is present ([`SigV4Error::Malformed`]), and the signature
//!    recomputed over the canonical request equals the provided one
//!    ([`SigV4Error::SignatureMismatch`]). Signatures are compared as sent: AWS signers
//!    emit lowercase hex, so an uppercase or otherwise different string is a mismatch.
//!
//! # Choosing `payload_hash`
//!
//! The last line of the canonical request is a payload hash that the *client* chose, and
//! the server cannot always tell which one. What the reference signers do for non-S3
//! services such as CodeArtifact (checked in the tests against both signers):
//!
//! * **botocore / AWS CLI** (`botocore/auth.py`, `SigV4Auth.canonical_request`): if the
//!   request has an `X-Amz-Content-SHA256` header, its value is used *verbatim* as the
//!   payload hash; otherwise `sha256(body)` (empty body: [`EMPTY_PAYLOAD_SHA256`]).
//!   (`UNSIGNED-PAYLOAD` only for operations that disable payload signing over HTTPS, in
//!   which case botocore also sends the header; no CodeArtifact operation does.)
//!   `PublishPackageVersion` always sends `x-amz-content-sha256` — it is the operation's
//!   `assetSHA256` parameter — so botocore signs the hash the *user claimed*, whether or
//!   not the body matches it.
//! * **Rust SDK** (`aws-runtime` `auth/sigv4.rs` + `aws-sigv4` `canonical_request.rs`):
//!   CodeArtifact operations use `content_sha256_header = false`, so a
//!   `x-amz-content-sha256` header (again: `PublishPackageVersion`'s `assetSHA256`) is just
//!   an ordinary signed header and is *not* used as the payload hash. The payload hash is
//!   `sha256(body)` when the body is in memory, and `UNSIGNED-PAYLOAD` when it is a
//!   streaming body (e.g. `ByteStream::from_path`) — with nothing in the request saying so.
//!
//! A server compatible with both tries, in order, until one gives something other than
//! [`SigV4Error::SignatureMismatch`]: the `x-amz-content-sha256` value if present;
//! `sha256_hex(body)` if different; and [`UNSIGNED_PAYLOAD`] if it accepts unsigned bodies
//! (AWS does, over TLS). If the hash that verified is the header's value, the server must
//! still check that the body hashes to it, otherwise the body is not authenticated. Each
//! attempt costs one canonical request and one HMAC (the signing key of a secret, date, region and
//! service is derived once, with four more, and its keyed HMAC state memoized).

pub mod canonical;
mod error;
mod parse;
mod signing;

use std::time::Duration;

use hmac::Mac;
use http::header::{HeaderName, HeaderValue, DATE, HOST};
use http::{HeaderMap, Method, Uri};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use error::SigV4Error;
pub use parse::{
    authorization_from_headers, format_amz_date, format_http_date, parse_amz_date,
    parse_authorization, parse_http_date, Authorization, ALGORITHM, SCOPE_TERMINATOR,
};

/// Payload hash placeholder for requests whose body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Hex SHA-256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Lowercase hex SHA-256 of `bytes` (the payload hash of a body).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Verifies the SigV4 signature of a request. See the crate documentation for the checks
/// performed and how to choose `payload_hash`.
///
/// * `uri` is the request target as received (origin-form is fine: only the path and the
///   raw query are used).
/// * `auth` is the parsed `Authorization` header; `secret_access_key` the secret belonging
///   to `auth.access_key_id`.
/// * `expected_service` is the signing name of this endpoint (`codeartifact`).
/// * `now` is the server clock; `max_skew` the tolerated clock difference (AWS: 15 min).
///
/// Never panics.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    auth: &Authorization,
    secret_access_key: &str,
    expected_service: &str,
    payload_hash: &str,
    now: OffsetDateTime,
    max_skew: Duration,
) -> Result<(), SigV4Error> {
    parse::check_signed_headers(&auth.signed_headers)?;
    if auth.service != expected_service {
        return Err(SigV4Error::WrongService {
            expected: expected_service.to_owned(),
            got: auth.service.clone(),
        });
    }

    let request_time = parse::request_timestamp(headers)?;
    let utc = request_time
        .checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or(request_time);
    let digits = parse::amz_date_digits(utc);
    let amz_date: std::borrow::Cow<'_, str> = match &digits {
        Some(d) => std::str::from_utf8(d).unwrap_or_default().into(),
        None => format_amz_date(request_time).into(),
    };
    let request_date = amz_date.get(..8).unwrap_or_default();
    if auth.scope_date != request_date {
        return Err(SigV4Error::ScopeDateMismatch {
            scope_date: auth.scope_date.clone(),
            request_date: request_date.to_owned(),
            request_timestamp: amz_date.into_owned(),
        });
    }
    if (now - request_time).unsigned_abs() > max_skew {
        return Err(SigV4Error::Expired {
            request_time,
            server_time: now,
            max_skew,
        });
    }

    let mut canonical_request = Vec::with_capacity(512);
    canonical::write_canonical_request(
        &mut canonical_request,
        method,
        uri,
        headers,
        &auth.signed_headers,
        payload_hash,
    )?;
    // The string to sign goes into the keyed HMAC piece by piece (see `canonical::string_to_sign`).
    let mut mac = signing::cached_signing_mac(
        secret_access_key,
        &auth.scope_date,
        &auth.region,
        &auth.service,
    );
    for piece in [
        ALGORITHM,
        "\n",
        &amz_date,
        "\n",
        &auth.scope_date,
        "/",
        &auth.region,
        "/",
        &auth.service,
        "/",
        SCOPE_TERMINATOR,
        "\n",
    ] {
        mac.update(piece.as_bytes());
    }
    mac.update(&canonical::canonical_request_hash(&canonical_request));
    if signing::signatures_match(&signing::finish_hex(mac), &auth.signature) {
        Ok(())
    } else {
        Err(SigV4Error::SignatureMismatch)
    }
}

/// Signs a request in the way [`verify`] checks it, for tests, benchmarks and tools.
///
/// Mutates `headers`: sets `x-amz-date` to `time` (replacing any previous value) — or, like
/// botocore, if the request has a `Date` header and no `x-amz-date`, rewrites `Date` to
/// `time` in RFC 1123 form instead — and, if there is no `host` header and `uri` has an
/// authority, adds `host` (the authority without user info; the port is dropped when it is
/// the scheme's default). Every header present in
/// `headers` except `authorization` is then signed. Returns the `Authorization` header
/// value; the caller inserts it (`HeaderValue::from_str` succeeds whenever the access key,
/// region and service are printable ASCII).
///
/// Never panics. If `headers` ends up without `host` (no `host` header and no authority in
/// `uri`) the result is a signature [`verify`] rejects as malformed.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    method: &Method,
    uri: &Uri,
    headers: &mut HeaderMap,
    access_key_id: &str,
    secret_access_key: &str,
    region: &str,
    service: &str,
    payload_hash: &str,
    time: OffsetDateTime,
) -> String {
    let amz_date = format_amz_date(time);
    let x_amz_date = HeaderName::from_static("x-amz-date");
    if headers.contains_key(DATE) && !headers.contains_key(&x_amz_date) {
        // Like botocore: a request that carries `Date` is dated by it.
        let date = parse::format_http_date(time);
        headers.insert(
            DATE,
            HeaderValue::from_str(&date).unwrap_or(HeaderValue::from_static("")),
        );
    } else {
        headers.insert(
            x_amz_date,
            HeaderValue::from_str(&amz_date).unwrap_or(HeaderValue::from_static("")),
        );
    }
    if !headers.contains_key(HOST) {
        if let Some(host) = host_from_uri(uri) {
            headers.insert(HOST, host);
        }
    }

    let mut signed_headers: Vec<String> = headers
        .keys()
        .filter(|name| *name != http::header::AUTHORIZATION)
        .map(|name| name.as_str().to_owned())
        .collect();
    signed_headers.sort_unstable();

    let scope_date = amz_date.get(..8).unwrap_or_default();
    let scope = format!("{scope_date}/{region}/{service}/{SCOPE_TERMINATOR}");
    // Cannot fail: every name in `signed_headers` was taken from `headers`.
    let canonical_request =
        canonical::canonical_request(method, uri, headers, &signed_headers, payload_hash)
            .unwrap_or_default();
    let string_to_sign = canonical::string_to_sign(&amz_date, &scope, &canonical_request);
    let key = signing::signing_key(secret_access_key, scope_date, region, service);
    let signature = signing::signature(&key, &string_to_sign);
    format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={signature}",
        signed_headers.join(";")
    )
}

fn host_from_uri(uri: &Uri) -> Option<HeaderValue> {
    let host = uri.host()?;
    let default_port = match uri.scheme_str() {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    };
    let value = match uri.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    HeaderValue::from_str(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_is_the_constant() {
        assert_eq!(sha256_hex(b""), EMPTY_PAYLOAD_SHA256);
    }

    #[test]
    fn host_from_uri_drops_default_ports_and_userinfo() {
        let host =
            |u: &str| host_from_uri(&u.parse().unwrap()).map(|h| h.to_str().unwrap().to_owned());
        assert_eq!(
            host("https://example.com:443/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host("http://example.com:80/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host("http://example.com:8080/x").as_deref(),
            Some("example.com:8080")
        );
        assert_eq!(
            host("https://u:p@example.com/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(host("/x"), None);
    }
}
