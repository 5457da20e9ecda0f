//! Principals' secret access keys at rest. SigV4 verification needs the secret itself (the signing
//! key is derived from it per day, region and service), so it cannot be stored as a one-way hash:
//! it is sealed under a key derived from the server secret (the one every replica shares) with
//! its own label. The construction uses only HMAC-SHA256, already a dependency: a random 16-byte
//! nonce, a keystream of `HMAC(k_enc, nonce ‖ counter)` blocks XORed with the secret, and a tag
//! `HMAC(k_mac, nonce ‖ ciphertext)` checked in constant time before anything is decrypted
//! (encrypt-then-MAC). Changing the server secret makes stored secrets unreadable: their
//! principals then fail to authenticate until their keys are rotated.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const ENC_LABEL: &[u8] = b"arca principal secret v1 encryption";
const MAC_LABEL: &[u8] = b"arca principal secret v1 authentication";
const NONCE: usize = 16;
const TAG: usize = 32;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length works");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Seals and opens secrets with keys derived from the server secret.
#[derive(Clone)]
pub(crate) struct SecretSealer {
    enc: [u8; 32],
    mac: [u8; 32],
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSealer(..)")
    }
}

impl SecretSealer {
    pub(crate) fn derive(server_secret: &[u8]) -> Self {
        Self {
            enc: hmac(server_secret, &[ENC_LABEL]),
            mac: hmac(server_secret, &[MAC_LABEL]),
        }
    }

    fn xor_keystream(&self, nonce: &[u8], data: &mut [u8]) {
        for (i, chunk) in data.chunks_mut(32).enumerate() {
            let counter = u32::try_from(i).expect("secrets are short").to_be_bytes();
            let block = hmac(&self.enc, &[nonce, &counter]);
            for (b, k) in chunk.iter_mut().zip(block) {
                *b ^= k;
            }
        }
    }

    /// `base64url(nonce ‖ ciphertext ‖ tag)`.
    pub(crate) fn seal(&self, secret: &str) -> String {
        let mut nonce = [0u8; NONCE];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        let mut body = secret.as_bytes().to_vec();
        self.xor_keystream(&nonce, &mut body);
        let tag = hmac(&self.mac, &[&nonce, &body]);
        out.extend_from_slice(&body);
        out.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The secret, or `None` when the text was not sealed under this server secret.
    pub(crate) fn open(&self, sealed: &str) -> Option<String> {
        let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < NONCE + TAG {
            return None;
        }
        let (nonce, rest) = raw.split_at(NONCE);
        let (body, tag) = rest.split_at(rest.len() - TAG);
        let expected = hmac(&self.mac, &[nonce, body]);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], tag)) {
            return None;
        }
        let mut body = body.to_vec();
        self.xor_keystream(nonce, &mut body);
        String::from_utf8(body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_hides_the_secret() {
        let s = SecretSealer::derive(b"server secret");
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYandmorethan32bytes";
        let sealed = s.seal(secret);
        assert!(!sealed.contains("wJalr"));
        assert_ne!(sealed, s.seal(secret), "a fresh nonce each time");
        assert_eq!(s.open(&sealed).as_deref(), Some(secret));
        // Another server secret, a flipped bit, or garbage: nothing.
        assert_eq!(SecretSealer::derive(b"other").open(&sealed), None);
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        raw[NONCE] ^= 1;
        assert_eq!(s.open(&URL_SAFE_NO_PAD.encode(raw)), None);
        assert_eq!(s.open("not sealed"), None);
        assert_eq!(s.open(""), None);
    }
}
