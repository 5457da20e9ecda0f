//! A source archive as `swift package archive-source` makes it: a zip whose entries all sit under
//! one top-level directory, with the package's `Package.swift` in it (SwiftPM strips that
//! directory when it extracts a download, and refuses an archive without exactly one). Read as a
//! stream with `arca-archive`'s bounded zip scanner: entries, names and the declared expanded
//! size are capped, and only the manifests are decompressed (each at most [`MAX_MANIFEST_BYTES`]).

use std::io::Read;

use arca_archive::{ArchiveError, Limits, ZipScanner};

/// Most entries an archive may have.
pub(crate) const MAX_ENTRIES: usize = 100_000;
/// Most bytes its entries may declare once expanded, together.
pub(crate) const MAX_EXPANDED_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Largest manifest kept.
pub(crate) const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
/// Most manifests (`Package.swift` and its version-specific variants).
pub(crate) const MAX_MANIFESTS: usize = 64;
/// Longest entry name.
const MAX_NAME_BYTES: u64 = 4096;

/// A manifest of the package directory: `Package.swift` or `Package@swift-X[.Y[.Z]].swift`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageManifest {
    pub file_name: String,
    /// `X[.Y[.Z]]` of a version-specific manifest; `None` for `Package.swift`.
    pub swift_version: Option<String>,
    /// What its first line declares (`// swift-tools-version:5.7` → `5.7`).
    pub tools_version: String,
    pub bytes: Vec<u8>,
}

/// The swift version a manifest file name is for: `Some(None)` for `Package.swift`,
/// `Some(Some("4.2"))` for `Package@swift-4.2.swift`, `None` for any other name.
pub(crate) fn manifest_swift_version(file: &str) -> Option<Option<String>> {
    if file == super::MANIFEST {
        return Some(None);
    }
    let v = file
        .strip_prefix("Package@swift-")?
        .strip_suffix(".swift")?;
    let parts: Vec<&str> = v.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (parts.len() <= 3 && parts.iter().all(numeric)).then(|| Some(v.to_string()))
}

/// The tools version a manifest's first line declares (`// swift-tools-version:5.7`, spaces
/// allowed around the colon, a `;` and settings after the version); `None` if it declares none.
pub fn parse_tools_version(manifest: &[u8]) -> Option<String> {
    let first = manifest.split(|&b| b == b'\n').next()?;
    let first = std::str::from_utf8(first).ok()?;
    let line = first.trim_start_matches('\u{feff}').trim_end_matches('\r');
    let rest = line.strip_prefix("//")?.trim_start();
    let label = "swift-tools-version";
    if !rest.get(..label.len())?.eq_ignore_ascii_case(label) {
        return None;
    }
    let rest = rest[label.len()..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (version, after) = rest.split_at(end);
    let parts: Vec<&str> = version.split('.').collect();
    let valid = parts.len() <= 3 && parts.iter().all(|p| !p.is_empty());
    let tail_ok =
        after.is_empty() || after.starts_with(';') || after.starts_with(char::is_whitespace);
    (valid && tail_ok).then(|| version.to_string())
}

fn archive_error(e: ArchiveError) -> String {
    match e {
        ArchiveError::Io(e) => format!("the source archive could not be read: {e}"),
        e => format!("the source archive is not a zip Arca can read ({e})"),
    }
}

/// Checks a source archive and returns its manifests, `Package.swift` first. The error says why
/// the archive is refused (a 422 on publish).
pub(crate) fn scan(r: impl Read) -> Result<Vec<PackageManifest>, String> {
    let limits = Limits {
        max_header_bytes: MAX_NAME_BYTES,
        max_entries: MAX_ENTRIES,
        ..Limits::default()
    };
    let mut zip = ZipScanner::new(r, limits);
    let mut top: Option<String> = None;
    let mut expanded = 0u64;
    let mut entries = 0usize;
    let mut manifests: Vec<PackageManifest> = Vec::new();
    while let Some(mut entry) = zip.next_entry().map_err(archive_error)? {
        entries += 1;
        let name = String::from_utf8(entry.name_bytes().to_vec())
            .map_err(|_| "an entry name of the source archive is not UTF-8".to_string())?;
        let parts: Vec<&str> = name.split('/').collect();
        let unsafe_part = |p: &&str| matches!(*p, "." | "..") || p.contains('\\');
        if name.starts_with('/') || parts.iter().any(unsafe_part) {
            return Err(format!(
                "the source archive has an unsafe entry name '{name}'"
            ));
        }
        if parts.len() < 2 {
            return Err(format!(
                "the source archive has '{name}' at its top level; its entries must all be in one top-level directory (as `swift package archive-source` makes it)"
            ));
        }
        match &top {
            None => top = Some(parts[0].to_string()),
            Some(t) if t != parts[0] => {
                return Err(format!(
                    "the source archive has more than one top-level directory ('{t}' and '{}'); it must have exactly one",
                    parts[0]
                ))
            }
            Some(_) => {}
        }
        expanded = expanded.saturating_add(entry.size());
        if expanded > MAX_EXPANDED_BYTES {
            return Err(format!(
                "the source archive expands to more than {MAX_EXPANDED_BYTES} bytes"
            ));
        }
        if parts.len() != 2 {
            continue;
        }
        let Some(swift_version) = manifest_swift_version(parts[1]) else {
            continue;
        };
        if manifests.iter().any(|m| m.file_name == parts[1]) {
            return Err(format!("the source archive has '{name}' twice"));
        }
        if manifests.len() >= MAX_MANIFESTS {
            return Err(format!(
                "the source archive has more than {MAX_MANIFESTS} package manifests"
            ));
        }
        let bytes = entry.read_to_vec(MAX_MANIFEST_BYTES).map_err(|e| match e {
            ArchiveError::Limit { .. } => {
                format!("the manifest '{name}' is larger than {MAX_MANIFEST_BYTES} bytes")
            }
            e => archive_error(e),
        })?;
        let tools_version = parse_tools_version(&bytes).ok_or_else(|| {
            format!(
                "the manifest '{name}' does not declare its tools version on its first line (// swift-tools-version:X.Y)"
            )
        })?;
        manifests.push(PackageManifest {
            file_name: parts[1].to_string(),
            swift_version,
            tools_version,
            bytes,
        });
    }
    if entries == 0 {
        return Err("the source archive is not a zip (no entries found)".into());
    }
    let Some(root) = manifests.iter().position(|m| m.swift_version.is_none()) else {
        return Err(format!(
            "the source archive has no Package.swift in its top-level directory '{}'",
            top.unwrap_or_default()
        ));
    };
    let root = manifests.remove(root);
    manifests.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    manifests.insert(0, root);
    Ok(manifests)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip of `entries`, the manifests deflated (as `swift package archive-source` writes them).
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let with: Vec<(&str, &[u8], bool)> = entries
            .iter()
            .map(|(n, d)| (*n, *d, n.ends_with(".swift")))
            .collect();
        crate::test_zip::zip(&with)
    }

    const M: &[u8] = b"// swift-tools-version:5.7\nimport PackageDescription\n";

    #[test]
    fn tools_versions() {
        let t = |s: &str| parse_tools_version(s.as_bytes());
        assert_eq!(t("// swift-tools-version:5.7\n").as_deref(), Some("5.7"));
        assert_eq!(
            t("//swift-tools-version: 5.9.1\r\nx").as_deref(),
            Some("5.9.1")
        );
        assert_eq!(
            t("\u{feff}// Swift-Tools-Version : 4").as_deref(),
            Some("4")
        );
        assert_eq!(
            t("// swift-tools-version:5.3;(experimentalUnknown)").as_deref(),
            Some("5.3")
        );
        for bad in [
            "import PackageDescription",
            "// swift-tools-version 5.7",
            "// swift-tools-version:",
            "// swift-tools-version:5..7",
            "// swift-tools-version:5.7.1.2",
            "// swift-tools-version:5.7x",
            "\n// swift-tools-version:5.7",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn manifests_of_the_package_directory() {
        let z = zip(&[
            ("LinkedList/", b""),
            (
                "LinkedList/Package@swift-5.swift",
                b"// swift-tools-version:5.0\n",
            ),
            ("LinkedList/Package.swift", M),
            (
                "LinkedList/Package@swift-4.2.swift",
                b"// swift-tools-version:4.2\n",
            ),
            (
                "LinkedList/Sources/Package@swift-9.swift",
                b"not a manifest",
            ),
            ("LinkedList/Package@swift-x.swift", b"not a manifest either"),
        ]);
        let m = scan(&z[..]).unwrap();
        let names: Vec<_> = m.iter().map(|m| m.file_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Package.swift",
                "Package@swift-4.2.swift",
                "Package@swift-5.swift"
            ]
        );
        assert_eq!(m[0].bytes, M);
        assert_eq!(m[1].swift_version.as_deref(), Some("4.2"));
        assert_eq!(m[1].tools_version, "4.2");
        assert_eq!(m[2].tools_version, "5.0");
    }

    #[test]
    fn refused_archives() {
        let refused = |entries: &[(&str, &[u8])], why: &str| {
            let e = scan(&zip(entries)[..]).unwrap_err();
            assert!(e.contains(why), "{e}");
        };
        refused(&[("Package.swift", M)], "top level");
        refused(
            &[("a/Package.swift", M), ("b/x", b"")],
            "more than one top-level",
        );
        refused(&[("a/Sources/x.swift", b"")], "no Package.swift");
        refused(
            &[("a/Package.swift", b"import PackageDescription\n")],
            "tools version",
        );
        refused(&[("a/../Package.swift", M)], "unsafe");
        refused(&[("/a/Package.swift", M)], "unsafe");
        refused(&[("a/Package.swift", M), ("a/Package.swift", M)], "twice");
        assert!(scan(&b"PK\x05\x06not really"[..])
            .unwrap_err()
            .contains("not a zip"));
        assert!(scan(&b""[..]).is_err());
        let big = vec![b'/'; MAX_MANIFEST_BYTES as usize + 1];
        let mut m = M.to_vec();
        m.extend_from_slice(&big);
        refused(&[("a/Package.swift", &m)], "larger than");
    }
}
