//! One-pass computation of the four digests CodeArtifact reports.

use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

use crate::key::Sha256Digest;

/// Size and digests of a stored blob. Hex strings are lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobInfo {
    /// Size in bytes.
    pub size: u64,
    /// MD5, 32 lowercase hex characters.
    pub md5: String,
    /// SHA-1, 40 lowercase hex characters.
    pub sha1: String,
    /// SHA-256 (the content address).
    pub sha256: Sha256Digest,
    /// SHA-512, 128 lowercase hex characters.
    pub sha512: String,
}

/// Feeds every byte once to MD5, SHA-1, SHA-256 and SHA-512.
#[derive(Clone, Default)]
pub struct MultiHasher {
    size: u64,
    md5: Md5,
    sha1: Sha1,
    sha256: Sha256,
    sha512: Sha512,
}

impl std::fmt::Debug for MultiHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiHasher")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl MultiHasher {
    /// A hasher that has seen no bytes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Feeds `data` to all four digests.
    pub fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        self.md5.update(data);
        self.sha1.update(data);
        self.sha256.update(data);
        self.sha512.update(data);
    }

    /// Finishes all digests.
    pub fn finalize(self) -> BlobInfo {
        BlobInfo {
            size: self.size,
            md5: hex::encode(self.md5.finalize()),
            sha1: hex::encode(self.sha1.finalize()),
            sha256: Sha256Digest::from_bytes(self.sha256.finalize().into()),
            sha512: hex::encode(self.sha512.finalize()),
        }
    }

    /// Convenience: hashes a complete buffer.
    pub fn digest(data: &[u8]) -> BlobInfo {
        let mut h = Self::new();
        h.update(data);
        h.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        let empty = MultiHasher::digest(b"");
        assert_eq!(empty.size, 0);
        assert_eq!(empty.md5, "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(empty.sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            empty.sha256.to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            empty.sha512,
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
             47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        );

        let hello = MultiHasher::digest(b"hello");
        assert_eq!(hello.size, 5);
        assert_eq!(hello.md5, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(hello.sha1, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
        assert_eq!(
            hello.sha256.to_string(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(
            hello.sha512,
            "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7\
             2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"
        );
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = MultiHasher::new();
        for c in data.chunks(333) {
            h.update(c);
        }
        assert_eq!(h.finalize(), MultiHasher::digest(&data));
    }
}
