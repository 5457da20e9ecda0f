//! HMAC-SHA256 key derivation, signature computation and constant-time comparison.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::parse::SCOPE_TERMINATOR;

pub(crate) type HmacSha256 = Hmac<Sha256>;

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

/// HMACs keyed with the signing keys derived lately, by (secret, date, region, service): a key is
/// the same for every request of a day, so verifying a request costs one HMAC instead of five, and
/// keeping the keyed HMAC rather than the key saves the two blocks of its inner and outer pads too.
/// A pure memo of [`signing_key`], bounded (cleared when full; a day has one date per credential
/// and region).
static DERIVED: LazyLock<Mutex<HashMap<String, HmacSha256>>> = LazyLock::new(Default::default);
const MAX_DERIVED: usize = 256;

/// The last keyed HMAC each thread used, found without building the memo's key or locking it (a
/// server's requests mostly use one key and date).
struct Last {
    scope_date: String,
    region: String,
    service: String,
    secret_access_key: String,
    mac: HmacSha256,
}

thread_local! {
    static LAST: RefCell<Option<Last>> = const { RefCell::new(None) };
}

/// An HMAC keyed with [`signing_key`]`(secret_access_key, scope_date, region, service)`, from the
/// memo when it was derived before; feed it the string to sign.
pub(crate) fn cached_signing_mac(
    secret_access_key: &str,
    scope_date: &str,
    region: &str,
    service: &str,
) -> HmacSha256 {
    let last = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|l| {
                l.scope_date == scope_date
                    && l.region == region
                    && l.service == service
                    && l.secret_access_key == secret_access_key
            })
            .map(|l| l.mac.clone())
    });
    if let Some(mac) = last {
        return mac;
    }
    let mac = shared_signing_mac(secret_access_key, scope_date, region, service);
    LAST.set(Some(Last {
        scope_date: scope_date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        secret_access_key: secret_access_key.to_owned(),
        mac: mac.clone(),
    }));
    mac
}

fn shared_signing_mac(
    secret_access_key: &str,
    scope_date: &str,
    region: &str,
    service: &str,
) -> HmacSha256 {
    // `\n` cannot occur in a date, region or service that passed parsing (`/`-separated scope).
    let memo_key = format!("{scope_date}\n{region}\n{service}\n{secret_access_key}");
    let lock = || DERIVED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(mac) = lock().get(&memo_key) {
        return mac.clone();
    }
    let key = signing_key(secret_access_key, scope_date, region, service);
    let mac = HmacSha256::new_from_slice(&key).expect("HMAC-SHA256 accepts any key length");
    let mut memo = lock();
    if memo.len() >= MAX_DERIVED {
        memo.clear();
    }
    memo.insert(memo_key, mac.clone());
    mac
}

/// Lowercase hex of a finished HMAC, on the stack.
pub(crate) fn finish_hex(mac: HmacSha256) -> [u8; 64] {
    let mut hex = [0u8; 64];
    // Cannot fail: 32 bytes always fit 64 hex digits.
    let _ = hex::encode_to_slice(mac.finalize().into_bytes(), &mut hex);
    hex
}

/// Lowercase hex `HMAC(signing_key, string_to_sign)`.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Constant-time comparison (for equal lengths; a length difference is not secret).
pub(crate) fn signatures_match(computed: &[u8], provided: &str) -> bool {
    computed.ct_eq(provided.as_bytes()).into()
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
        assert!(signatures_match(b"abcd", "abcd"));
        assert!(!signatures_match(b"abcd", "abce"));
        assert!(!signatures_match(b"abcd", "ABCD"));
        assert!(!signatures_match(b"abcd", "abc"));
        assert!(!signatures_match(b"abcd", ""));
    }
}

#[cfg(test)]
mod memo_tests {
    use super::*;

    #[test]
    fn the_memo_gives_the_derived_key_for_each_secret_date_region_and_service() {
        let sign_with = |mac: HmacSha256| finish_hex(mac).to_vec();
        let sts = "AWS4-HMAC-SHA256\n20261205T000000Z\nscope\nhash";
        let cases = [
            ("s1", "20261205", "us-east-1", "codeartifact"),
            ("s2", "20261205", "us-east-1", "codeartifact"),
            ("s1", "20261206", "us-east-1", "codeartifact"),
            ("s1", "20261205", "eu-west-1", "codeartifact"),
            ("s1", "20261205", "us-east-1", "s3"),
        ];
        let check = |(secret, date, region, service): (&str, &str, &str, &str)| {
            let expected = signature(&signing_key(secret, date, region, service), sts);
            let mut mac = cached_signing_mac(secret, date, region, service);
            mac.update(sts.as_bytes());
            assert_eq!(
                sign_with(mac),
                expected.as_bytes(),
                "{secret} {date} {region} {service}"
            );
        };
        // Every case right after every other (each differs from the first in one part), and
        // twice in a row: from the thread's last key, the shared memo, and derived anew.
        for a in cases {
            for b in cases {
                check(a);
                check(b);
                check(b);
            }
        }
    }
}
