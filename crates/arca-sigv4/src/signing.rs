//! HMAC-SHA256 key derivation, signature computation and constant-time comparison.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::parse::SCOPE_TERMINATOR;

type HmacSha256 = Hmac<Sha256>;

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length (longer keys are hashed), so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC-SHA256 accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(
    secret_access_key: &str,
    scope_date: &str,
    region: &str,
    service: &str,
) -> [u8; 32] {
    let k_secret = format!("AWS4{secret_access_key}");
    let k_date = hmac_sha256(k_secret.as_bytes(), scope_date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, SCOPE_TERMINATOR.as_bytes())
}

/// Signing keys derived lately, by (secret, date, region, service): a key is the same for every
/// request of a day, so verifying a request costs one HMAC instead of five. A pure memo of
/// [`signing_key`], bounded (cleared when full; a day has one date per credential and region).
static DERIVED: LazyLock<Mutex<HashMap<String, [u8; 32]>>> = LazyLock::new(Default::default);
const MAX_DERIVED: usize = 256;

/// [`signing_key`], from the memo when it was derived before.
pub(crate) fn cached_signing_key(
    secret_access_key: &str,
    scope_date: &str,
    region: &str,
    service: &str,
) -> [u8; 32] {
    // `\n` cannot occur in a date, region or service that passed parsing (`/`-separated scope).
    let memo_key = format!("{scope_date}\n{region}\n{service}\n{secret_access_key}");
    let lock = || DERIVED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = lock().get(&memo_key) {
        return *k;
    }
    let key = signing_key(secret_access_key, scope_date, region, service);
    let mut memo = lock();
    if memo.len() >= MAX_DERIVED {
        memo.clear();
    }
    memo.insert(memo_key, key);
    key
}

/// Lowercase hex `HMAC(signing_key, string_to_sign)`.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Constant-time comparison (for equal lengths; a length difference is not secret).
pub(crate) fn signatures_match(computed: &str, provided: &str) -> bool {
    computed.as_bytes().ct_eq(provided.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_example_key() {
        // Example from the AWS General Reference ("Examples of how to derive a signing key
        // for Signature Version 4"): secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
        // 20120215 / us-east-1 / iam.
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn comparison() {
        assert!(signatures_match("abcd", "abcd"));
        assert!(!signatures_match("abcd", "abce"));
        assert!(!signatures_match("abcd", "ABCD"));
        assert!(!signatures_match("abcd", "abc"));
        assert!(!signatures_match("abcd", ""));
    }
}

#[cfg(test)]
mod memo_tests {
    use super::*;

    #[test]
    fn the_memo_gives_the_derived_key_for_each_secret_date_region_and_service() {
        for (secret, date, region, service) in [
            ("s1", "20261205", "us-east-1", "codeartifact"),
            ("s2", "20261205", "us-east-1", "codeartifact"),
            ("s1", "20261206", "us-east-1", "codeartifact"),
            ("s1", "20261205", "eu-west-1", "codeartifact"),
            ("s1", "20261205", "us-east-1", "s3"),
        ] {
            let derived = signing_key(secret, date, region, service);
            assert_eq!(cached_signing_key(secret, date, region, service), derived);
            assert_eq!(cached_signing_key(secret, date, region, service), derived);
        }
        assert_ne!(
            cached_signing_key("s1", "20261205", "us-east-1", "codeartifact"),
            cached_signing_key("s2", "20261205", "us-east-1", "codeartifact")
        );
    }
}
