//! Validated identifiers and the object keys built from them.
//!
//! Every object key this crate touches is produced by [`BlobKey`] (or the
//! internal temporary-key helper) from validated components; nothing is ever
//! formatted from raw user input.

use std::fmt;
use std::str::FromStr;

use object_store::path::Path;

/// Top-level prefix under which all committed blobs live.
pub(crate) const BLOBS_PREFIX: &str = "blobs";
/// Top-level prefix under which temporary (not yet hashed) uploads live.
pub(crate) const TMP_PREFIX: &str = "tmp";

/// The opaque id of a CodeArtifact domain, as given by the caller
/// (e.g. the metadata row id `"7"`).
///
/// Valid ids match `[A-Za-z0-9_-]{1,64}`, so they are always safe as a single
/// path segment on every backend.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainId(String);

/// Error returned when a string is not a valid [`DomainId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid blob domain id: must be 1-64 characters of [A-Za-z0-9_-]")]
pub struct InvalidDomainId;

impl DomainId {
    /// Validates and wraps a domain id.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidDomainId> {
        let id = id.into();
        let valid = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(Self(id))
        } else {
            Err(InvalidDomainId)
        }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DomainId {
    type Err = InvalidDomainId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for DomainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DomainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainId({:?})", self.0)
    }
}

/// A SHA-256 digest. Parsed from / displayed as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

/// Error returned when a string is not a valid [`Sha256Digest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SHA-256 digest: must be 64 lowercase hexadecimal characters")]
pub struct InvalidDigest;

impl Sha256Digest {
    /// Parses exactly 64 lowercase hex characters. Uppercase is rejected so
    /// that every digest has exactly one textual (and key) form; callers that
    /// accept uppercase from clients should lowercase first.
    pub fn parse(hex_str: &str) -> Result<Self, InvalidDigest> {
        if hex_str.len() != 64
            || !hex_str
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(InvalidDigest);
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_str, &mut out).map_err(|_| InvalidDigest)?;
        Ok(Self(out))
    }

    /// Wraps raw digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex form (same as `Display`).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl FromStr for Sha256Digest {
    type Err = InvalidDigest;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

/// The content-addressed key of a blob: `blobs/{domain}/{sha[0..2]}/{sha}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey {
    domain: DomainId,
    sha256: Sha256Digest,
}

impl BlobKey {
    /// The key of the blob with digest `sha256` in `domain`.
    pub fn new(domain: &DomainId, sha256: &Sha256Digest) -> Self {
        Self {
            domain: domain.clone(),
            sha256: *sha256,
        }
    }

    /// The domain the blob belongs to.
    pub fn domain(&self) -> &DomainId {
        &self.domain
    }

    /// The blob's SHA-256 digest.
    pub fn sha256(&self) -> &Sha256Digest {
        &self.sha256
    }

    /// The object-store location of this blob.
    pub fn location(&self) -> Path {
        let hex = self.sha256.to_hex();
        Path::from_iter([BLOBS_PREFIX, self.domain.as_str(), &hex[..2], &hex])
    }

    /// Parses an object-store location back into a key. Returns `None` for
    /// anything that is not exactly a well-formed blob key.
    pub fn from_location(location: &Path) -> Option<Self> {
        let mut parts = location.parts();
        let mut next = || parts.next();
        let (p, d, f, s) = (next()?, next()?, next()?, next()?);
        if next().is_some() || p.as_ref() != BLOBS_PREFIX {
            return None;
        }
        let domain = DomainId::new(d.as_ref()).ok()?;
        let sha256 = Sha256Digest::parse(s.as_ref()).ok()?;
        if f.as_ref() != &s.as_ref()[..2] {
            return None;
        }
        Some(Self { domain, sha256 })
    }

    /// The prefix under which all blobs of `domain` live (or all blobs).
    pub(crate) fn prefix(domain: Option<&DomainId>) -> Path {
        match domain {
            Some(d) => Path::from_iter([BLOBS_PREFIX, d.as_str()]),
            None => Path::from(BLOBS_PREFIX),
        }
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location())
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({})", self.location())
    }
}

/// A fresh, unique temporary location `tmp/{uuid}`.
pub(crate) fn new_tmp_location() -> Path {
    Path::from_iter([TMP_PREFIX.to_owned(), uuid::Uuid::new_v4().to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn domain_id_validation() {
        assert!(DomainId::new("7").is_ok());
        assert!(DomainId::new("a-B_9").is_ok());
        assert!(DomainId::new("x".repeat(64)).is_ok());
        for bad in ["", "a/b", "..", "a.b", "a b", "é", "a#1"] {
            assert_eq!(DomainId::new(bad), Err(InvalidDomainId), "{bad:?}");
        }
        assert!(DomainId::new("x".repeat(65)).is_err());
    }

    #[test]
    fn digest_validation() {
        let d = Sha256Digest::parse(HELLO).unwrap();
        assert_eq!(d.to_string(), HELLO);
        assert!(Sha256Digest::parse(&HELLO.to_uppercase()).is_err());
        assert!(Sha256Digest::parse(&HELLO[..63]).is_err());
        assert!(Sha256Digest::parse(&format!("{HELLO}0")).is_err());
        assert!(Sha256Digest::parse(&HELLO.replace('c', "g")).is_err());
        assert!(Sha256Digest::parse("").is_err());
    }

    #[test]
    fn key_layout_and_round_trip() {
        let domain = DomainId::new("7").unwrap();
        let sha = Sha256Digest::parse(HELLO).unwrap();
        let key = BlobKey::new(&domain, &sha);
        let loc = key.location();
        assert_eq!(loc.as_ref(), format!("blobs/7/2c/{HELLO}"));
        assert_eq!(BlobKey::from_location(&loc), Some(key));
    }

    #[test]
    fn from_location_rejects_malformed() {
        for bad in [
            format!("blobs/7/2d/{HELLO}"),
            format!("blobs/7/2c/{HELLO}/x"),
            format!("blob/7/2c/{HELLO}"),
            format!("blobs/7/2c/{HELLO}#1"),
            "blobs/7/2c".to_owned(),
            format!("tmp/7/2c/{HELLO}"),
        ] {
            assert_eq!(BlobKey::from_location(&Path::from(bad.as_str())), None);
        }
    }
}
