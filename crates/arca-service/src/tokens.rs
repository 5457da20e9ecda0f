//! GetAuthorizationToken and the tokens native endpoints accept.
//!
//! A token is `base64url(claims JSON) "." base64url(HMAC-SHA256(key, claims))`: only `[A-Za-z0-9._-]`,
//! so it is safe in URL userinfo (pip) and in `.npmrc`. The key is derived from the server's token
//! secret with its own label, so a pagination token never verifies as an authorization token (nor
//! the reverse), and every replica sharing the secret accepts the tokens of the others.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{now_ms, Caller, DomainRef, Service, ServiceError, ServiceResult};

/// Token lifetime when the caller gives none, and for `durationSeconds = 0` with static access keys
/// (they have no session whose remaining lifetime the token could take).
pub const DEFAULT_TOKEN_SECONDS: u64 = 43_200;
/// Shortest non-zero lifetime AWS accepts.
pub const MIN_TOKEN_SECONDS: u64 = 900;

const KEY_LABEL: &[u8] = b"arca authorization token v1";

/// What GetAuthorizationToken answers.
#[derive(Debug, Clone)]
pub struct AuthorizationToken {
    pub token: String,
    /// Epoch milliseconds.
    pub expires_ms: i64,
}

/// What a valid token grants: reading and publishing in one domain, as one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub account: String,
    pub domain_owner: String,
    pub domain: String,
    /// The user the token was issued to; `None` for the account's root.
    pub user: Option<String>,
    /// When the token expires, epoch seconds.
    pub expires_secs: i64,
}

impl TokenGrant {
    pub fn caller(&self) -> Caller {
        Caller::root(self.account.clone())
    }
}

/// Why a token was refused. Native endpoints answer 401 for each; the reason is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed or its signature does not verify")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued for another domain")]
    OtherDomain,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    v: u8,
    /// Account the token acts as.
    a: String,
    /// Domain owner and name.
    o: String,
    d: String,
    /// The user's ARN (absent for the root, so root tokens are as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    u: Option<String>,
    /// Issued and expiry, epoch seconds.
    iat: i64,
    exp: i64,
}

/// Issues and verifies authorization tokens with a key derived from the server secret, held as an
/// HMAC already keyed with it (its padded key blocks hashed once, not at every verification: two
/// of a token's SHA-256 compressions).
#[derive(Clone)]
pub(crate) struct TokenKey(Hmac<Sha256>);

impl TokenKey {
    pub(crate) fn derive(server_secret: &[u8]) -> Self {
        let mut m = Hmac::<Sha256>::new_from_slice(server_secret).expect("any key length works");
        m.update(KEY_LABEL);
        let key: [u8; 32] = m.finalize().into_bytes().into();
        Self(Hmac::<Sha256>::new_from_slice(&key).expect("any key length works"))
    }

    fn mac(&self, payload: &[u8]) -> [u8; 32] {
        let mut m = self.0.clone();
        m.update(payload);
        m.finalize().into_bytes().into()
    }

    fn issue(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize");
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(self.mac(&payload))
        )
    }

    fn verify(&self, token: &str, now_secs: i64) -> Result<TokenGrant, TokenError> {
        let (p, m) = token.split_once('.').ok_or(TokenError::Invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| TokenError::Invalid)?;
        let mac = URL_SAFE_NO_PAD.decode(m).map_err(|_| TokenError::Invalid)?;
        let expected = self.mac(&payload);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], &mac[..])) {
            return Err(TokenError::Invalid);
        }
        let c: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Invalid)?;
        if c.v != 1 {
            return Err(TokenError::Invalid);
        }
        if now_secs >= c.exp {
            return Err(TokenError::Expired);
        }
        Ok(TokenGrant {
            account: c.a,
            domain_owner: c.o,
            domain: c.d,
            user: c.u,
            expires_secs: c.exp,
        })
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

/// The lifetime a `durationSeconds` asks for: absent or 0 → the default; else 900–43200.
fn lifetime(duration_seconds: Option<u64>) -> ServiceResult<u64> {
    match duration_seconds {
        None | Some(0) => Ok(DEFAULT_TOKEN_SECONDS),
        Some(s) if (MIN_TOKEN_SECONDS..=DEFAULT_TOKEN_SECONDS).contains(&s) => Ok(s),
        Some(s) => Err(ServiceError::validation(format!(
            "durationSeconds must be 0 or between {MIN_TOKEN_SECONDS} and {DEFAULT_TOKEN_SECONDS}, got {s}."
        ))),
    }
}

impl Service {
    /// GetAuthorizationToken: a token for the domain, which must exist and be visible to the caller.
    pub async fn get_authorization_token(
        &self,
        caller: &Caller,
        domain: &DomainRef,
        duration_seconds: Option<u64>,
    ) -> ServiceResult<AuthorizationToken> {
        let seconds = lifetime(duration_seconds)?;
        let row = self.resolve_domain(caller, domain).await?;
        let iat = now_ms() / 1000;
        let exp = iat + seconds as i64;
        let token = self.token_key.issue(&Claims {
            v: 1,
            a: caller.account.clone(),
            o: row.owner,
            d: row.name,
            u: (!caller.is_root()).then(|| caller.arn()),
            iat,
            exp,
        });
        Ok(AuthorizationToken {
            token,
            expires_ms: exp * 1000,
        })
    }

    /// Checks a token presented to a native endpoint. The caller still has to match the grant's
    /// domain against the one the request names.
    pub fn verify_authorization_token(&self, token: &str) -> Result<TokenGrant, TokenError> {
        self.token_key.verify(token, now_ms() / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            v: 1,
            a: "111122223333".into(),
            o: "111122223333".into(),
            d: "acme".into(),
            u: None,
            iat: 0,
            exp,
        }
    }

    #[test]
    fn round_trip_alphabet_expiry_and_forgery() {
        let k = TokenKey::derive(b"secret");
        let t = k.issue(&claims(100));
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
        let g = k.verify(&t, 99).unwrap();
        assert_eq!(
            (g.domain.as_str(), g.account.as_str()),
            ("acme", "111122223333")
        );
        assert_eq!(k.verify(&t, 100), Err(TokenError::Expired));
        assert_eq!(
            TokenKey::derive(b"other").verify(&t, 0),
            Err(TokenError::Invalid)
        );
        let (p, m) = t.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(i64::MAX)).unwrap());
        assert_eq!(
            k.verify(&format!("{forged}.{m}"), 0),
            Err(TokenError::Invalid)
        );
        assert_eq!(k.verify(p, 0), Err(TokenError::Invalid));
        assert_eq!(k.verify("", 0), Err(TokenError::Invalid));
    }

    #[test]
    fn pagination_tokens_never_verify() {
        let secret = b"shared secret";
        let pager = crate::Pager::new(secret);
        let page = pager.encode("ListDomains", "acct", &claims(i64::MAX));
        assert_eq!(
            TokenKey::derive(secret).verify(&page, 0),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn lifetimes() {
        assert_eq!(lifetime(None).unwrap(), 43_200);
        assert_eq!(lifetime(Some(0)).unwrap(), 43_200);
        assert_eq!(lifetime(Some(900)).unwrap(), 900);
        assert_eq!(lifetime(Some(43_200)).unwrap(), 43_200);
        assert!(lifetime(Some(1)).is_err());
        assert!(lifetime(Some(899)).is_err());
        assert!(lifetime(Some(43_201)).is_err());
    }
}
