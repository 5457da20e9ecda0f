//! The `package.json` inside an npm tarball: checked at publish, and the source of each version's
//! entry in the packument (dependencies, bin, engines…), so nothing but the tarball is stored.
//!
//! Reading is bounded ([`arca_archive::TarWalker`], shared by every archive format): at most
//! [`MAX_EXPANDED_BYTES`] of decompressed data and [`MAX_ENTRIES`] entries are scanned before
//! `package.json` is found (npm packs it first), GNU long-name and PAX members may have at most
//! [`arca_archive::MAX_HEADER_BYTES`], and the manifest at most [`MAX_MANIFEST_BYTES`] (the
//! README [`crate::MAX_README_BYTES`], cut). Only `<top>/package.json` counts: no absolute or `..`
//! paths. The lookup of the manifest among the entries is [`extract_with`].
//! Manifests are cached by blob digest ([`crate::DigestCache`]), which makes the cache always valid.

use std::path::Component;

use arca_archive::{ArchiveError, Limits, TarWalker};
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

fn extract(reader: impl std::io::Read) -> Result<Value, String> {
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
fn extract_with(
    reader: impl std::io::Read,
    readme: bool,
) -> Result<(Value, Option<String>), String> {
    let limits = Limits {
        max_entries: MAX_ENTRIES,
        max_scanned_bytes: MAX_EXPANDED_BYTES,
        ..Limits::default()
    };
    let mut archive = TarWalker::new(arca_archive::gunzip(reader), limits);
    let not_tar = |e: ArchiveError| {
        format!("it is not a gzip-compressed tar archive with a package.json in its first {MAX_EXPANDED_BYTES} bytes ({e})")
    };
    let mut manifest: Option<Value> = None;
    let mut text_readme: Option<String> = None;
    loop {
        let mut entry = match archive.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            // Past the manifest, a damaged tail only costs the readme.
            Err(_) if manifest.is_some() => break,
            Err(e) => return Err(not_tar(e)),
        };
        if !entry.is_file() {
            continue;
        }
        let path = std::path::PathBuf::from(entry.path().into_owned());
        if readme && text_readme.is_none() && is_top_readme(&path) {
            if let Ok(raw) = entry.read_prefix(crate::MAX_README_BYTES as u64) {
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

fn read_manifest<R: std::io::Read>(
    entry: &mut arca_archive::TarEntry<'_, R>,
    not_tar: &dyn Fn(ArchiveError) -> String,
) -> Result<Value, String> {
    let text = match entry.read_to_vec(MAX_MANIFEST_BYTES) {
        Ok(text) => text,
        Err(ArchiveError::Limit { .. }) => {
            return Err(format!(
                "package.json is larger than {MAX_MANIFEST_BYTES} bytes"
            ))
        }
        Err(e) => return Err(not_tar(e)),
    };
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

    /// A gzip tarball whose first member is an extension member (`kind`: GNU long name `L` or
    /// PAX `x`) of `len` bytes of `a`, streamed into the compressor, then a valid manifest.
    pub(crate) fn hostile_tarball(kind: tar::EntryType, len: u64) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut h = tar::Header::new_gnu();
        h.set_path("././@LongLink").unwrap();
        h.set_size(len);
        h.set_mode(0o644);
        h.set_entry_type(kind);
        h.set_cksum();
        gz.write_all(h.as_bytes()).unwrap();
        let chunk = vec![b'a'; 1 << 20];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len() as u64);
            gz.write_all(&chunk[..n as usize]).unwrap();
            left -= n;
        }
        gz.write_all(&vec![0u8; ((512 - len % 512) % 512) as usize])
            .unwrap();
        let inner = tarball(&[(
            "package/package.json",
            b"{\"name\":\"x\",\"version\":\"1.0.0\"}",
        )]);
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&inner[..]), &mut plain)
            .unwrap();
        gz.write_all(&plain).unwrap();
        gz.finish().unwrap()
    }

    /// The process's peak resident set (VmHWM), in bytes, after resetting it; `None` off Linux.
    fn reset_peak_rss() -> Option<()> {
        std::fs::write("/proc/self/clear_refs", "5").ok()
    }

    fn peak_rss() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// Issue 10, finding 2: a 1 MB tarball whose GNU long-name member inflates to 256 MiB was
    /// read whole (and a stored one again on every packument read after a restart). Now the
    /// member is refused unread: memory stays flat.
    #[test]
    fn oversized_long_name_and_pax_members_are_refused_unread() {
        let bomb = hostile_tarball(tar::EntryType::GNULongName, 256 << 20);
        assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
        let before = reset_peak_rss().and_then(|()| peak_rss());
        let result = extract(&bomb[..]);
        if let (Some(before), Some(after)) = (before, peak_rss()) {
            let grown = after.saturating_sub(before);
            assert!(grown < 64 << 20, "peak RSS grew by {grown} bytes");
        }
        let err = result.unwrap_err();
        assert!(err.contains("GNU long name or PAX"), "{err}");
        let pax = hostile_tarball(tar::EntryType::XHeader, 2 << 20);
        let err = extract(&pax[..]).unwrap_err();
        assert!(err.contains("GNU long name or PAX"), "{err}");
        // Within the cap, a long name is read: it renames the manifest's entry.
        let fine = hostile_tarball(tar::EntryType::GNULongName, 1000);
        assert!(extract(&fine[..]).unwrap_err().contains("no package.json"));
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever a tarball holds (damaged, truncated, arbitrary), the reader answers a JSON
        /// object within its bound or an error; it never panics.
        #[test]
        fn reader_is_total_and_bounded(
            files in proptest::collection::vec(("[a-z/.]{1,30}", proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)), 0..5),
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 0..6),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            plain in proptest::prelude::any::<bool>(),
        ) {
            let mut entries: Vec<(String, Vec<u8>)> = files;
            entries.push(("package/package.json".into(), b"{\"name\":\"x\"}".to_vec()));
            let refs: Vec<(&str, &[u8])> = entries.iter().map(|(p, d)| (p.as_str(), d.as_slice())).collect();
            let mut bytes = tarball(&refs);
            if plain {
                let mut raw = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut raw).unwrap();
                bytes = raw;
                // Damage the tar itself, then compress it again.
                for (at, v) in &flips {
                    let i = at.index(bytes.len());
                    bytes[i] = *v;
                }
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                std::io::Write::write_all(&mut gz, &bytes).unwrap();
                bytes = gz.finish().unwrap();
            } else {
                for (at, v) in &flips {
                    let i = at.index(bytes.len());
                    bytes[i] = *v;
                }
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Ok((manifest, readme)) = extract_with(&bytes[..], true) {
                proptest::prop_assert!(manifest.is_object());
                proptest::prop_assert!(manifest.to_string().len() as u64 <= MAX_MANIFEST_BYTES);
                proptest::prop_assert!(readme.is_none_or(|r| r.len() <= crate::MAX_README_BYTES));
            }
        }
    }
}
