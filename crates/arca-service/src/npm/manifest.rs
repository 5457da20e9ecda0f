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

/// What a publish reads from its tarball: `package.json` and the top-level README, if any (for
/// GetPackageVersionReadme when the publish document carries none).
pub(crate) async fn read_publish_files(read: BlobRead) -> ServiceResult<(Value, Option<String>)> {
    read_blocking(read, "package.json", |r| extract_with(r, true))
        .await?
        .map_err(|why| {
            ServiceError::validation(format!("The package tarball is not usable: {why}."))
        })
}

fn extract(reader: impl Read) -> Result<Value, String> {
    extract_with(reader, false).map(|(v, _)| v)
}

/// `package/README`, `package/readme.md`, … (any top directory, any extension).
fn is_top_readme(path: &std::path::Path) -> bool {
    let parts: Vec<Component> = path.components().collect();
    matches!(parts.as_slice(), [Component::Normal(_), Component::Normal(f)]
    if f.to_str().is_some_and(|f| {
        let f = f.to_ascii_lowercase();
        f == "readme" || f.starts_with("readme.")
    }))
}

/// Reads the manifest and, when `readme` is set, the first top-level README (bounded to
/// [`crate::MAX_README_BYTES`], lossily decoded), scanning on after the manifest until one is found.
fn extract_with(reader: impl Read, readme: bool) -> Result<(Value, Option<String>), String> {
    let unpacked = flate2::read::GzDecoder::new(reader).take(MAX_EXPANDED_BYTES);
    let mut archive = tar::Archive::new(unpacked);
    let not_tar = |e: std::io::Error| {
        format!("it is not a gzip-compressed tar archive with a package.json in its first {MAX_EXPANDED_BYTES} bytes ({e})")
    };
    let mut manifest: Option<Value> = None;
    let mut text_readme: Option<String> = None;
    for (i, entry) in archive.entries().map_err(not_tar)?.enumerate() {
        if i >= MAX_ENTRIES {
            break;
        }
        let mut entry = match entry {
            Ok(e) => e,
            // Past the manifest, a damaged tail only costs the readme.
            Err(_) if manifest.is_some() => break,
            Err(e) => return Err(not_tar(e)),
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = match entry.path() {
            Ok(p) => p.into_owned(),
            Err(_) if manifest.is_some() => continue,
            Err(e) => return Err(not_tar(e)),
        };
        if readme && text_readme.is_none() && is_top_readme(&path) {
            let mut raw = Vec::new();
            if (&mut entry)
                .take(crate::MAX_README_BYTES as u64)
                .read_to_end(&mut raw)
                .is_ok()
            {
                text_readme = crate::details::bounded_readme(&String::from_utf8_lossy(&raw));
            }
        } else if manifest.is_none() && is_top_manifest(&path) {
            manifest = Some(read_manifest(&mut entry, &not_tar)?);
        }
        if manifest.is_some() && (!readme || text_readme.is_some()) {
            break;
        }
    }
    match manifest {
        Some(m) => Ok((m, text_readme)),
        None => Err(format!(
            "it has no package.json (among its first {MAX_ENTRIES} entries)"
        )),
    }
}

fn read_manifest(
    entry: &mut impl Read,
    not_tar: &dyn Fn(std::io::Error) -> String,
) -> Result<Value, String> {
    let mut text = Vec::new();
    entry
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(not_tar)?;
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(format!(
            "package.json is larger than {MAX_MANIFEST_BYTES} bytes"
        ));
    }
    match serde_json::from_slice::<Value>(&text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err("package.json is not a JSON object".into()),
        Err(e) => Err(format!("package.json is not valid JSON ({e})")),
    }
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
    fn finds_the_readme_before_or_after_the_manifest() {
        let manifest: &[u8] = b"{\"name\":\"x\",\"version\":\"1.0.0\"}";
        let after = tarball(&[
            ("package/package.json", manifest),
            ("package/lib/README.md", b"inner"),
            ("package/Readme.markdown", b"# X"),
        ]);
        let (m, readme) = extract_with(&after[..], true).unwrap();
        assert_eq!(
            (m["name"].as_str(), readme.as_deref()),
            (Some("x"), Some("# X"))
        );
        let before = tarball(&[
            ("package/README", b"plain"),
            ("package/package.json", manifest),
        ]);
        assert_eq!(
            extract_with(&before[..], true).unwrap().1.as_deref(),
            Some("plain")
        );
        let none = tarball(&[("package/package.json", manifest)]);
        assert_eq!(extract_with(&none[..], true).unwrap().1, None);
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
