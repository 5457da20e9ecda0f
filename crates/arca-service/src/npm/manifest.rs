//! The `package.json` inside an npm tarball: checked at publish, and the source of each version's
//! entry in the packument (dependencies, bin, engines…), so nothing but the tarball is stored.
//!
//! Reading is bounded: at most [`MAX_EXPANDED_BYTES`] of decompressed data and [`MAX_ENTRIES`]
//! entries are scanned before `package.json` is found (npm packs it first), and it may be at most
//! [`MAX_MANIFEST_BYTES`]. Only `<top>/package.json` counts: no absolute or `..` paths.
//! Manifests are cached by blob digest ([`crate::DigestCache`]), which makes the cache always valid.

use std::io::Read;
use std::path::Component;

use arca_blobstore::BlobRead;
use serde_json::Value;

use crate::native::read_blocking;
use crate::{ServiceError, ServiceResult};

pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
pub const MAX_EXPANDED_BYTES: u64 = 1024 * 1024 * 1024;
pub const MAX_ENTRIES: usize = 100_000;

/// Reads `package.json` from a gzip-compressed tarball. A tarball that is not one, or whose
/// manifest is missing, too large or not a JSON object, is a validation error.
pub(crate) async fn read_package_json(read: BlobRead) -> ServiceResult<Value> {
    read_blocking(read, "package.json", extract)
        .await?
        .map_err(|why| {
            ServiceError::validation(format!("The package tarball is not usable: {why}."))
        })
}

fn extract(reader: impl Read) -> Result<Value, String> {
    let unpacked = flate2::read::GzDecoder::new(reader).take(MAX_EXPANDED_BYTES);
    let mut archive = tar::Archive::new(unpacked);
    let not_tar = |e: std::io::Error| {
        format!("it is not a gzip-compressed tar archive with a package.json in its first {MAX_EXPANDED_BYTES} bytes ({e})")
    };
    for (i, entry) in archive.entries().map_err(not_tar)?.enumerate() {
        if i >= MAX_ENTRIES {
            return Err(format!(
                "no package.json among its first {MAX_ENTRIES} entries"
            ));
        }
        let mut entry = entry.map_err(not_tar)?;
        if !entry.header().entry_type().is_file()
            || !is_top_manifest(&entry.path().map_err(not_tar)?)
        {
            continue;
        }
        if entry.size() > MAX_MANIFEST_BYTES {
            return Err(format!(
                "package.json is larger than {MAX_MANIFEST_BYTES} bytes"
            ));
        }
        let mut text = Vec::new();
        (&mut entry)
            .take(MAX_MANIFEST_BYTES)
            .read_to_end(&mut text)
            .map_err(not_tar)?;
        return match serde_json::from_slice::<Value>(&text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(_) => Err("package.json is not a JSON object".into()),
            Err(e) => Err(format!("package.json is not valid JSON ({e})")),
        };
    }
    Err("it has no package.json".into())
}

/// `package/package.json` (whatever the top directory is called, as npm itself accepts).
fn is_top_manifest(path: &std::path::Path) -> bool {
    let parts: Vec<Component> = path.components().collect();
    matches!(parts.as_slice(), [Component::Normal(_), Component::Normal(f)] if *f == "package.json")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A gzip tarball with the given (path, content) entries.
    pub(crate) fn tarball(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        for (path, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // `set_path` refuses `..`; write the raw name to test what a hostile packer does.
            let name = &mut h.as_old_mut().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn finds_the_top_level_manifest_only() {
        let t = tarball(&[
            ("package/README.md", b"hi"),
            ("package/lib/package.json", b"{\"name\":\"inner\"}"),
            (
                "package/package.json",
                b"{\"name\":\"x\",\"version\":\"1.0.0\"}",
            ),
        ]);
        let v = extract(&t[..]).unwrap();
        assert_eq!(v["name"], "x");
    }

    #[test]
    fn refuses_what_is_not_a_usable_tarball() {
        assert!(extract(&b"not gzip"[..]).is_err());
        let trick = tarball(&[("../package.json", b"{}")]);
        assert!(extract(&trick[..]).unwrap_err().contains("no package.json"));
        let abs = tarball(&[("/package.json", b"{}")]);
        assert!(extract(&abs[..]).is_err());
        let not_object = tarball(&[("package/package.json", b"[1]")]);
        assert!(extract(&not_object[..])
            .unwrap_err()
            .contains("not a JSON object"));
        let huge = vec![b' '; MAX_MANIFEST_BYTES as usize + 1];
        let big = tarball(&[("package/package.json", &huge)]);
        assert!(extract(&big[..]).unwrap_err().contains("larger than"));
    }
}
