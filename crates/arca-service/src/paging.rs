//! Opaque pagination tokens: `base64url(cursor JSON) "." base64url(HMAC-SHA256(secret, op|scope|cursor))`.
//! A token only works for the operation and scope (e.g. the package) it was issued for; anything that
//! does not verify is a ValidationException.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Serialize};
use sha2::Sha256;

use crate::ServiceError;

/// Issues and checks page tokens with a server secret (shared by every replica).
#[derive(Clone)]
pub struct Pager {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pager { secret: <redacted> }")
    }
}

impl Pager {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: secret.to_vec(),
        }
    }

    /// The server secret, from which other keys are derived (authorization tokens).
    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }

    fn mac(&self, op: &str, scope: &str, payload: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length works");
        m.update(op.as_bytes());
        m.update(b"\0");
        m.update(scope.as_bytes());
        m.update(b"\0");
        m.update(payload);
        m.finalize().into_bytes()[..16].to_vec()
    }

    pub fn encode<C: Serialize>(&self, op: &str, scope: &str, cursor: &C) -> String {
        let payload = serde_json::to_vec(cursor).expect("cursors serialize");
        let mac = self.mac(op, scope, &payload);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(mac)
        )
    }

    pub fn decode<C: DeserializeOwned>(
        &self,
        op: &str,
        scope: &str,
        token: &str,
    ) -> Result<C, ServiceError> {
        let invalid = || {
            ServiceError::validation(format!("Invalid pagination token: '{}'.", truncate(token)))
        };
        let (p, m) = token.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| invalid())?;
        let mac = URL_SAFE_NO_PAD.decode(m).map_err(|_| invalid())?;
        let expected = self.mac(op, scope, &payload);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], &mac[..])) {
            return Err(invalid());
        }
        serde_json::from_slice(&payload).map_err(|_| invalid())
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 64 {
        format!("{}…", s.chars().take(64).collect::<String>())
    } else {
        s.to_string()
    }
}

/// One page of results and the token for the next, if any.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let p = Pager::new(b"secret");
        let t = p.encode("ListDomains", "acct", &("b".to_string(), 3));
        let c: (String, i32) = p.decode("ListDomains", "acct", &t).unwrap();
        assert_eq!(c, ("b".to_string(), 3));
        assert!(p
            .decode::<(String, i32)>("ListPackages", "acct", &t)
            .is_err());
        assert!(p
            .decode::<(String, i32)>("ListDomains", "other", &t)
            .is_err());
        assert!(Pager::new(b"other")
            .decode::<(String, i32)>("ListDomains", "acct", &t)
            .is_err());
        let mut bad = t.clone();
        bad.insert(0, 'A');
        assert!(p
            .decode::<(String, i32)>("ListDomains", "acct", &bad)
            .is_err());
        assert!(p
            .decode::<(String, i32)>("ListDomains", "acct", "garbage")
            .is_err());
        assert!(p
            .decode::<(String, i32)>("ListDomains", "acct", "")
            .is_err());
    }

    proptest::proptest! {
        /// Any string — random, or a valid token with one byte changed — decodes to a validation
        /// error (the API's 400), never a panic and never a cursor.
        #[test]
        fn hostile_tokens_are_validation_errors(token in ".{0,300}", flip in 0usize..200, byte in 0u8..128) {
            let p = Pager::new(b"secret");
            let decoded = p.decode::<(String, i64)>("ListDomains", "acct", &token);
            proptest::prop_assert!(matches!(decoded, Err(ServiceError::Validation(_))));
            let valid = p.encode("ListDomains", "acct", &(token.clone(), 7i64));
            let mut bytes = valid.clone().into_bytes();
            let at = flip % bytes.len();
            if bytes[at] != byte {
                bytes[at] = byte;
                let tampered = String::from_utf8_lossy(&bytes).into_owned();
                let decoded = p.decode::<(String, i64)>("ListDomains", "acct", &tampered);
                proptest::prop_assert!(matches!(decoded, Err(ServiceError::Validation(_))), "{tampered}");
            }
        }
    }
}
