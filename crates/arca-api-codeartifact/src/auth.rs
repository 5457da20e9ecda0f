//! SigV4 authentication of API requests against the configured access keys.
//!
//! Credentials must be unambiguous: a request that repeats a header carrying part of them
//! ([`CREDENTIAL_HEADERS`]) or that mixes an `Authorization` header with query-string SigV4
//! parameters ([`QUERY_CREDENTIALS`]) is refused with `InvalidSignatureException` before any
//! signature is checked, so no reader can pick a different copy than the verifier did.
//! `UNSIGNED-PAYLOAD` is accepted only where a body streams (PublishPackageVersion, whose body is
//! checked against the signed `x-amz-content-sha256` instead); every other body is covered by the
//! signature through its SHA-256.

use std::collections::HashMap;
use std::time::Duration;

use arca_sigv4::{authorization_from_headers, verify, SigV4Error};
use axum::http::request::Parts;
use axum::http::HeaderName;
use percent_encoding::percent_decode_str;

use crate::error::{ApiError, AuthFailure};

/// Headers that carry part of a request's credentials; each may appear at most once.
pub const CREDENTIAL_HEADERS: [&str; 5] = [
    "authorization",
    "x-amz-date",
    "date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

/// [`CREDENTIAL_HEADERS`] as header names, looked up without parsing the name each time.
const CREDENTIAL_HEADER_NAMES: [HeaderName; 5] = [
    HeaderName::from_static(CREDENTIAL_HEADERS[0]),
    HeaderName::from_static(CREDENTIAL_HEADERS[1]),
    HeaderName::from_static(CREDENTIAL_HEADERS[2]),
    HeaderName::from_static(CREDENTIAL_HEADERS[3]),
    HeaderName::from_static(CREDENTIAL_HEADERS[4]),
];

const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");

/// Query parameters of SigV4 in the query string (presigned URLs), which Arca does not accept
/// beside an `Authorization` header (compared case-insensitively, after percent-decoding).
pub const QUERY_CREDENTIALS: [&str; 7] = [
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-signedheaders",
    "x-amz-signature",
    "x-amz-security-token",
];

/// One access key and the account it acts for.
#[derive(Clone)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// Verifies request signatures; knows every access key.
#[derive(Debug, Clone)]
pub struct Authenticator {
    keys: HashMap<String, AccessKey>,
    max_skew: Duration,
}

/// What the signature covers in place of the body.
pub enum Payload<'a> {
    /// The whole body was received: its SHA-256 hex.
    Hashed(&'a str),
    /// PublishPackageVersion: the body is streamed later and checked against the signed
    /// `x-amz-content-sha256` header. `body_hash` is the SHA-256 of a small body read up front:
    /// SDKs that sign in-memory bodies by their real hash (the Rust SDK) still authenticate when the
    /// announced hash is wrong, so the client gets the documented 400 digest mismatch, not a 403.
    Streamed { body_hash: Option<&'a str> },
}

impl Authenticator {
    pub fn new(keys: impl IntoIterator<Item = AccessKey>, max_skew: Duration) -> Self {
        Self {
            keys: keys
                .into_iter()
                .map(|k| (k.access_key_id.clone(), k))
                .collect(),
            max_skew,
        }
    }

    /// The access key id the request names, when it names one that is not a configured key
    /// (a principal's, for the caller to look up and pass to [`Self::authenticate`]).
    ///
    /// Only scans for the `Credential=` component (a full parse costs as much as a third of
    /// the signature check, and [`Self::authenticate`] parses anyway): a key id read wrongly from
    /// a malformed header only looks up a principal that `authenticate` then refuses, as it
    /// accepts a principal only for the key id of its own parse.
    pub fn other_key_id(&self, parts: &Parts) -> Option<String> {
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)?
            .to_str()
            .ok()?;
        let (_, credential) = header.split_once("Credential=")?;
        let id = credential.split('/').next()?.trim();
        (!id.is_empty() && !self.keys.contains_key(id)).then(|| id.to_string())
    }

    /// Verifies the request against the configured keys, or `principal` (a key looked up by
    /// [`Self::other_key_id`]); returns the caller's account id.
    pub fn authenticate(
        &self,
        parts: &Parts,
        payload: Payload<'_>,
        principal: Option<&AccessKey>,
    ) -> Result<String, ApiError> {
        let invalid = |m: String| ApiError::Auth(AuthFailure::InvalidSignature, m);
        unambiguous_credentials(parts).map_err(invalid)?;
        let auth = authorization_from_headers(&parts.headers).map_err(|e| match e {
            SigV4Error::Missing => ApiError::Auth(
                AuthFailure::MissingAuthenticationToken,
                "Missing Authentication Token".into(),
            ),
            e => invalid(e.to_string()),
        })?;
        let key = self
            .keys
            .get(&auth.access_key_id)
            .or_else(|| principal.filter(|p| p.access_key_id == auth.access_key_id));
        let Some(key) = key else {
            return Err(ApiError::Auth(
                AuthFailure::UnrecognizedClient,
                "The security token included in the request is invalid.".into(),
            ));
        };
        let content_sha = parts
            .headers
            .get(X_AMZ_CONTENT_SHA256)
            .and_then(|v| v.to_str().ok());
        let candidates: Vec<&str> = match payload {
            Payload::Hashed(body_hash) => match content_sha {
                // No SDK sends it for a JSON operation; accepting it would leave the body unsigned.
                Some(arca_sigv4::UNSIGNED_PAYLOAD) => return Err(invalid(
                    "UNSIGNED-PAYLOAD is accepted only for PublishPackageVersion; sign the SHA-256 \
                     of the request body."
                        .into(),
                )),
                Some(h) if h != body_hash => return Err(invalid(
                    "The provided x-amz-content-sha256 header does not match what was computed."
                        .into(),
                )),
                _ => vec![body_hash],
            },
            Payload::Streamed { body_hash } => {
                // The asset hash must itself be signed: it is what the body is verified against.
                if content_sha.is_some()
                    && !auth
                        .signed_headers
                        .iter()
                        .any(|h| h == "x-amz-content-sha256")
                {
                    return Err(invalid(
                        "x-amz-content-sha256 must be a signed header for PublishPackageVersion."
                            .into(),
                    ));
                }
                // botocore signs with the header value as the payload hash; SDKs that stream a body
                // of unknown content sign UNSIGNED-PAYLOAD while still signing the header.
                content_sha
                    .into_iter()
                    .chain([arca_sigv4::UNSIGNED_PAYLOAD])
                    .chain(body_hash)
                    .collect()
            }
        };
        let now = time::OffsetDateTime::now_utc();
        let mut last = None;
        for payload_hash in candidates {
            match verify(
                &parts.method,
                &parts.uri,
                &parts.headers,
                &auth,
                &key.secret_access_key,
                "codeartifact",
                payload_hash,
                now,
                self.max_skew,
            ) {
                Ok(()) => return Ok(key.account_id.clone()),
                Err(e @ SigV4Error::SignatureMismatch) => last = Some(e),
                Err(e) => return Err(invalid(e.to_string())),
            }
        }
        Err(invalid(
            last.map(|e| e.to_string())
                .unwrap_or_else(|| "Signature mismatch".into()),
        ))
    }
}

/// Refuses a repeated credentials header, and query-string credentials beside an
/// `Authorization` header; the message is the client's.
fn unambiguous_credentials(parts: &Parts) -> Result<(), String> {
    for (name, header) in CREDENTIAL_HEADERS.iter().zip(&CREDENTIAL_HEADER_NAMES) {
        if parts.headers.get_all(header).iter().nth(1).is_some() {
            return Err(format!(
                "The request has more than one '{name}' header; send exactly one."
            ));
        }
    }
    if !parts
        .headers
        .contains_key(axum::http::header::AUTHORIZATION)
    {
        return Ok(());
    }
    let query = parts.uri.query().unwrap_or_default();
    for pair in query.split('&') {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        // Every credential parameter starts `x-amz-`, in any case or escaped.
        if !key.starts_with(['x', 'X', '%']) {
            continue;
        }
        let key = percent_decode_str(key).decode_utf8_lossy();
        if let Some(p) = QUERY_CREDENTIALS
            .iter()
            .find(|p| key.eq_ignore_ascii_case(p))
        {
            return Err(format!(
                "Only one authentication mechanism is allowed: the query parameter '{p}' and the \
                 Authorization header were both sent."
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(query: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = axum::http::Request::builder().uri(format!("/v1/domain?{query}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn repeated_credentials_headers_are_refused() {
        let one = [
            ("authorization", "a"),
            ("x-amz-date", "b"),
            ("date", "c"),
            ("x-amz-content-sha256", "d"),
            ("x-amz-security-token", "e"),
        ];
        assert_eq!(unambiguous_credentials(&parts("domain=d", &one)), Ok(()));
        for name in CREDENTIAL_HEADERS {
            let mut twice = one.to_vec();
            twice.push((name, "again"));
            let e = unambiguous_credentials(&parts("domain=d", &twice)).unwrap_err();
            assert!(e.contains(name), "{e}");
            // Also with the same value repeated, and with a differently cased name.
            let upper = name.to_ascii_uppercase();
            let value = one.iter().find(|(n, _)| *n == name).unwrap().1;
            let mut same = one.to_vec();
            same.push((&upper, value));
            assert!(
                unambiguous_credentials(&parts("domain=d", &same)).is_err(),
                "{name}"
            );
        }
    }

    #[test]
    fn query_credentials_beside_the_header_are_refused() {
        let auth = [("authorization", "AWS4-HMAC-SHA256 …")];
        for q in [
            "domain=d&X-Amz-Credential=AKID%2F20250101%2Fus-east-1%2Fcodeartifact%2Faws4_request",
            "X-Amz-Signature=00&domain=d",
            "domain=d&x-amz-algorithm=AWS4-HMAC-SHA256",
            "domain=d&X-Amz-Date=20250101T000000Z",
            "domain=d&X-Amz-Expires=60",
            "domain=d&X-Amz-SignedHeaders=host",
            "domain=d&X-Amz-Security-Token",
            "domain=d&X%2DAmz%2DCredential=x",
            "domain=d&%78-amz-date=x",
            "domain=d&%58-Amz-Signature=x",
        ] {
            assert!(unambiguous_credentials(&parts(q, &auth)).is_err(), "{q}");
            // Without the header, nothing is ambiguous (the request is then simply unsigned).
            assert_eq!(unambiguous_credentials(&parts(q, &[])), Ok(()), "{q}");
        }
        assert_eq!(
            unambiguous_credentials(&parts("domain=x-amz-credential&package=X-Amz-Date", &auth)),
            Ok(())
        );
    }
}
