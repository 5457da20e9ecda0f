//! Package version revisions: `base64(SHA-256(canonical description of assets and metadata))`.
//! A revision changes exactly when an asset or the version's metadata changes; status is not part of it.

use arca_metadata::{AssetRow, VersionMetadata};
use base64::Engine;
use sha2::{Digest, Sha256};

/// Computes the revision of a version from its full asset list and metadata.
pub fn compute(assets: &[AssetRow], metadata: &VersionMetadata) -> String {
    let mut sorted: Vec<&AssetRow> = assets.iter().collect();
    sorted.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let mut h = Sha256::new();
    h.update(b"arca-revision-v1\n");
    for a in sorted {
        field(&mut h, b"asset", a.name.as_bytes());
        field(&mut h, b"size", a.size.to_string().as_bytes());
        field(&mut h, b"sha256", a.sha256.as_bytes());
    }
    for (tag, v) in [
        (&b"displayName"[..], &metadata.display_name),
        (b"summary", &metadata.summary),
        (b"homePage", &metadata.home_page),
        (b"sourceCodeRepository", &metadata.source_code_repository),
        (b"licenses", &metadata.licenses_json),
    ] {
        if let Some(v) = v {
            field(&mut h, tag, v.as_bytes());
        }
    }
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// Length-prefixed so that no two different descriptions hash the same input.
fn field(h: &mut Sha256, tag: &[u8], value: &[u8]) {
    h.update(tag);
    h.update((value.len() as u64).to_be_bytes());
    h.update(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str, sha: &str) -> AssetRow {
        AssetRow {
            name: name.into(),
            size: 1,
            md5: String::new(),
            sha1: String::new(),
            sha256: sha.into(),
            sha512: String::new(),
            requires_python: None,
        }
    }

    #[test]
    fn revision_shape_and_sensitivity() {
        let m = VersionMetadata::default();
        let r1 = compute(&[asset("a", "1"), asset("b", "2")], &m);
        assert_eq!(r1.len(), 44);
        assert!(r1.ends_with('='));
        assert_eq!(
            r1,
            compute(&[asset("b", "2"), asset("a", "1")], &m),
            "order-independent"
        );
        assert_ne!(r1, compute(&[asset("a", "1"), asset("b", "3")], &m));
        assert_ne!(r1, compute(&[asset("a", "1")], &m));
        let m2 = VersionMetadata {
            summary: Some("x".into()),
            ..Default::default()
        };
        assert_ne!(r1, compute(&[asset("a", "1"), asset("b", "2")], &m2));
    }
}
