//! The session cookie and CSRF tokens.
//!
//! A session is `base64url(claims JSON) "." base64url(HMAC-SHA256(key, claims))`, the shape of an
//! Arca authorization token, under a key derived from the server secret with its own label: a
//! session never verifies as an authorization token or a pagination token, nor the reverse. The
//! claims name the caller (the account and, for a principal, its ARN, looked up again on every
//! request so a removed principal's sessions end at once), the one domain a session opened with an
//! authorization token may see, and the expiry.
//!
//! CSRF: every form that changes something carries `HMAC(csrf key, kind "|" cookie)` of the cookie
//! it acts under (the session, or for sign-in a random pre-session cookie): a page on another
//! site can neither read the cookie nor compute the token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "arca_ui_session";
/// Name of the cookie the sign-in form's CSRF token is tied to.
pub const PRESESSION_COOKIE: &str = "arca_ui_signin";
/// Lifetime of a session opened with an access key.
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// What a session cookie says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Account the caller belongs to.
    pub a: String,
    /// The principal's ARN; `None` for the account's root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<String>,
    /// `(owner, name)` of the only domain the session may see (signed in with a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<(String, String)>,
    /// Expiry, epoch seconds.
    pub exp: i64,
    /// A session opened with an access key: the key id and [`Keys::fingerprint`] of its secret,
    /// checked at every request, so rotating the key (or the root credentials) ends the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<(String, String)>,
}

/// The keys derived from the server secret.
#[derive(Clone)]
pub struct Keys {
    session: [u8; 32],
    csrf: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length works");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

impl Keys {
    pub fn derive(server_secret: &[u8]) -> Self {
        Self {
            session: hmac(server_secret, &[b"arca web ui session v1"]),
            csrf: hmac(server_secret, &[b"arca web ui csrf v1"]),
        }
    }

    /// What a session remembers of the access key it was opened with: the secret never goes
    /// into the cookie, a MAC of key id and secret under the session key does.
    pub fn fingerprint(&self, access_key_id: &str, secret: &str) -> String {
        let mac = hmac(
            &self.session,
            &[b"key|", access_key_id.as_bytes(), b"|", secret.as_bytes()],
        );
        URL_SAFE_NO_PAD.encode(&mac[..16])
    }

    /// Whether `fingerprint` is that of this key and secret.
    pub fn fingerprint_ok(&self, access_key_id: &str, secret: &str, fingerprint: &str) -> bool {
        let expected = self.fingerprint(access_key_id, secret);
        bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            fingerprint.as_bytes(),
        ))
    }

    /// The cookie value for `claims`.
    pub fn seal(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize");
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(hmac(&self.session, &[&payload]))
        )
    }

    /// The claims of a cookie value that verifies and has not expired at `now_secs`.
    pub fn open(&self, value: &str, now_secs: i64) -> Option<Claims> {
        let (p, m) = value.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(p).ok()?;
        let mac = URL_SAFE_NO_PAD.decode(m).ok()?;
        let expected = hmac(&self.session, &[&payload]);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], &mac[..])) {
            return None;
        }
        let c: Claims = serde_json::from_slice(&payload).ok()?;
        (now_secs < c.exp).then_some(c)
    }

    /// The CSRF token of forms acting under the cookie `value` of kind `kind`.
    pub fn csrf(&self, kind: &str, value: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac(&self.csrf, &[kind.as_bytes(), b"|", value.as_bytes()]))
    }

    /// Whether `token` is the CSRF token of `value`.
    pub fn csrf_ok(&self, kind: &str, value: &str, token: &str) -> bool {
        let expected = self.csrf(kind, value);
        bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            token.as_bytes(),
        ))
    }
}

/// A fresh random value for the pre-session cookie.
pub fn nonce() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/ui, Secure behind https. `max_age`
/// 0 removes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            a: "111122223333".into(),
            u: None,
            d: None,
            exp,
            k: None,
        }
    }

    #[test]
    fn key_fingerprints_depend_on_key_and_secret() {
        let k = Keys::derive(b"secret");
        let f = k.fingerprint("AKIA1", "s3cret");
        assert!(k.fingerprint_ok("AKIA1", "s3cret", &f));
        assert!(!k.fingerprint_ok("AKIA1", "rotated", &f));
        assert!(!k.fingerprint_ok("AKIA2", "s3cret", &f));
        assert!(!Keys::derive(b"other").fingerprint_ok("AKIA1", "s3cret", &f));
        assert!(!f.contains("s3cret"));
    }

    #[test]
    fn seal_open_expiry_and_forgery() {
        let k = Keys::derive(b"secret");
        let v = k.seal(&claims(100));
        assert_eq!(k.open(&v, 99), Some(claims(100)));
        assert_eq!(k.open(&v, 100), None);
        assert_eq!(Keys::derive(b"other").open(&v, 0), None);
        let (_, m) = v.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(i64::MAX)).unwrap());
        assert_eq!(k.open(&format!("{forged}.{m}"), 0), None);
        assert_eq!(k.open("", 0), None);
    }

    #[test]
    fn csrf_is_tied_to_the_cookie_and_kind() {
        let k = Keys::derive(b"secret");
        let t = k.csrf("session", "abc");
        assert!(k.csrf_ok("session", "abc", &t));
        assert!(!k.csrf_ok("session", "abd", &t));
        assert!(!k.csrf_ok("signin", "abc", &t));
        assert!(!k.csrf_ok("session", "abc", ""));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = axum::http::HeaderMap::new();
        h.append(
            "cookie",
            "x_arca_ui_session=1; arca_ui_session=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("2"));
        assert_eq!(cookie(&h, PRESESSION_COOKIE), None);
    }
}
