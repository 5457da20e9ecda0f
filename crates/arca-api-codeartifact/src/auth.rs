//! SigV4 authentication of API requests against the configured access keys.

use std::collections::HashMap;
use std::time::Duration;

use arca_sigv4::{parse_authorization, verify, SigV4Error};
use axum::http::request::Parts;

use crate::error::{ApiError, AuthFailure};

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

    /// Returns the caller's account id.
    pub fn authenticate(&self, parts: &Parts, payload: Payload<'_>) -> Result<String, ApiError> {
        let invalid = |m: String| ApiError::Auth(AuthFailure::InvalidSignature, m);
        let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(ApiError::Auth(
                AuthFailure::MissingAuthenticationToken,
                "Missing Authentication Token".into(),
            ));
        };
        let value = value
            .to_str()
            .map_err(|_| invalid("The Authorization header is not valid ASCII.".into()))?;
        let auth = parse_authorization(value).map_err(|e| invalid(e.to_string()))?;
        let Some(key) = self.keys.get(&auth.access_key_id) else {
            return Err(ApiError::Auth(
                AuthFailure::UnrecognizedClient,
                "The security token included in the request is invalid.".into(),
            ));
        };
        let content_sha = parts
            .headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok());
        let candidates: Vec<&str> = match payload {
            Payload::Hashed(body_hash) => match content_sha {
                Some(arca_sigv4::UNSIGNED_PAYLOAD) => vec![arca_sigv4::UNSIGNED_PAYLOAD],
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
