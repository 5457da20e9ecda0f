//! The `package.json` inside an npm tarball: checked at publish, and the source of each version's
//! entry in the packument (dependencies, bin, engines…), so nothing but the tarball is stored.
//!
//! What Arca checks and lists must be what npm installs. npm (pacote, node-tar with `strip: 1`)
//! decompresses every gzip member, reads tar entries past a single zero block, drops each path's
//! first component, its root and its `.` and empty segments, skips paths with `..`, and lets a
//! later entry overwrite an earlier one. So the whole tarball is scanned (zero blocks skipped), and
//! it is refused when more than one entry would be installed as `package.json` — under that
//! normalization, with `\` as a separator too (Windows), ignoring ASCII case and trailing dots and
//! spaces (case-insensitive file systems, Windows names) — when that entry is not a regular file
//! spelled `package.json`, or when anything follows the first gzip member. npm packs
//! `package/package.json`, alone, into one member: what npm publishes always passes.
//!
//! Reading is bounded ([`arca_archive::TarWalker`], shared by every archive format): at most
//! [`MAX_EXPANDED_BYTES`] of decompressed data and [`MAX_ENTRIES`] entries (more is refused: what
//! is not read cannot be checked), GNU long-name and PAX members at most
//! [`arca_archive::MAX_HEADER_BYTES`], and `package.json` at most [`MAX_MANIFEST_BYTES`]. Manifests are cached by blob digest ([`crate::DigestCache`]),
//! which makes the cache always valid.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::path::Component;
use std::rc::Rc;

use arca_archive::{ArchiveError, Limits, TarEntry, TarWalker};
use arca_blobstore::BlobRead;
use serde_json::Value;

use crate::native::read_blocking;
use crate::{ServiceError, ServiceResult};

pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
pub const MAX_EXPANDED_BYTES: u64 = 1024 * 1024 * 1024;
pub const MAX_ENTRIES: usize = 100_000;

/// Why a tarball gave no manifest.
#[derive(Debug)]
enum Unusable {
    /// The tarball itself: not gzip/tar, no or several manifests, trailing data… (a 400).
    Content(String),
    /// Reading the stored bytes failed (a 500, nothing to do with the content).
    Io(String),
}

fn unusable(e: Unusable) -> ServiceError {
    match e {
        Unusable::Content(why) => {
            ServiceError::validation(format!("The package tarball is not usable: {why}."))
        }
        Unusable::Io(why) => ServiceError::Internal(format!("reading a package tarball: {why}")),
    }
}

/// Reads `package.json` from a gzip-compressed tarball. A tarball that is not one, or whose
/// manifest is missing, duplicated, too large or not a JSON object, is a validation error.
pub(crate) async fn read_package_json(read: BlobRead) -> ServiceResult<Value> {
    read_blocking(read, "package.json", extract)
        .await?
        .map_err(unusable)
}

/// What a publish reads from its tarball: `package.json` and the top-level README, if any (for
/// GetPackageVersionReadme when the publish document carries none).
pub(crate) async fn read_publish_files(read: BlobRead) -> ServiceResult<(Value, Option<String>)> {
    read_blocking(read, "package.json", |r| extract_with(r, true))
        .await?
        .map_err(unusable)
}

fn extract(reader: impl Read) -> Result<Value, Unusable> {
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

/// The path npm would install an entry at: without its first component (`strip: 1`), its root,
/// `.` and empty segments; `None` when npm skips the entry (`..`, or nothing left). With `windows`,
/// `\` separates too and a drive prefix (`c:`) is dropped, as node-tar does there.
fn installed_path(raw: &[u8], windows: bool) -> Option<Vec<Vec<u8>>> {
    let path: Vec<u8> = if windows {
        raw.iter()
            .map(|&b| if b == b'\\' { b'/' } else { b })
            .collect()
    } else {
        raw.to_vec()
    };
    let mut parts = path.split(|&b| b == b'/');
    parts.next()?;
    let rest: Vec<&[u8]> = parts.collect();
    if rest.iter().any(|s| *s == b"..") {
        return None;
    }
    let mut segments: Vec<Vec<u8>> = rest
        .into_iter()
        .filter(|s| !s.is_empty() && *s != b".")
        .map(<[u8]>::to_vec)
        .collect();
    if windows {
        if let Some(first) = segments.first_mut() {
            if first.len() >= 2 && first[0].is_ascii_alphabetic() && first[1] == b':' {
                first.drain(..2);
            }
        }
        segments.retain(|s| !s.is_empty());
    }
    (!segments.is_empty()).then_some(segments)
}

/// How an entry relates to the manifest npm installs.
#[derive(Debug, PartialEq, Eq)]
enum ManifestEntry {
    No,
    /// `{top}/package.json` as npm packs it: installed as `package.json` on every system.
    Canonical,
    /// Installed as `package.json` on some system, but spelled otherwise (`./package.json`,
    /// `a//package.json`, another case, trailing dots or spaces, `\`…).
    Other,
}

fn manifest_entry(raw: &[u8]) -> ManifestEntry {
    if let Some(slash) = raw.iter().position(|&b| b == b'/') {
        let (top, file) = (&raw[..slash], &raw[slash + 1..]);
        let plain_top = !top.is_empty() && top != b"." && top != b".." && !top.contains(&b'\\');
        if plain_top && file == b"package.json" {
            return ManifestEntry::Canonical;
        }
    }
    let names_manifest = |mut p: Vec<Vec<u8>>| {
        if p.len() != 1 {
            return false;
        }
        let f = p.remove(0);
        let end = f
            .iter()
            .rposition(|b| !matches!(b, b'.' | b' '))
            .map_or(0, |i| i + 1);
        f[..end].eq_ignore_ascii_case(b"package.json")
    };
    if [false, true]
        .into_iter()
        .any(|windows| installed_path(raw, windows).is_some_and(names_manifest))
    {
        return ManifestEntry::Other;
    }
    ManifestEntry::No
}

/// Remembers whether the source itself failed (as opposed to its content being unusable).
struct Source<R> {
    inner: R,
    failed: Rc<Cell<bool>>,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| self.failed.set(true))
    }
}

/// Reads the manifest and, when `readme` is set, the first top-level README (bounded to
/// [`crate::MAX_README_BYTES`], lossily decoded), scanning the whole tarball (see the module).
fn extract_with(reader: impl Read, readme: bool) -> Result<(Value, Option<String>), Unusable> {
    let failed = Rc::new(Cell::new(false));
    let source = Source {
        inner: reader,
        failed: failed.clone(),
    };
    scan(source, readme).map_err(|why| {
        if failed.get() {
            Unusable::Io(why)
        } else {
            Unusable::Content(why)
        }
    })
}

fn scan(reader: impl Read, readme: bool) -> Result<(Value, Option<String>), String> {
    let gz = flate2::bufread::GzDecoder::new(BufReader::new(reader));
    let limits = Limits {
        max_entries: MAX_ENTRIES,
        max_scanned_bytes: MAX_EXPANDED_BYTES,
        ..Limits::default()
    };
    // Bounded (arca-archive: extension headers, entries, bytes), and on past a zero block, as npm
    // reads: only the end of the data ends the scan.
    let mut archive = TarWalker::new(gz, limits).ignore_zero_blocks();
    let not_tar =
        |e: ArchiveError| format!("it is not a readable gzip-compressed tar archive ({e})");
    let mut manifest: Option<Value> = None;
    let mut text_readme: Option<String> = None;
    let mut manifests = 0;
    while let Some(mut entry) = archive.next_entry().map_err(not_tar)? {
        let raw = entry.path_bytes().to_vec();
        let kind = manifest_entry(&raw);
        if kind != ManifestEntry::No {
            manifests += 1;
            let shown = String::from_utf8_lossy(&raw).into_owned();
            if manifests > 1 {
                return Err(format!(
                    "it has more than one entry installed as package.json ('{shown}' is another): npm would install the last one"
                ));
            }
            if kind == ManifestEntry::Other {
                return Err(format!(
                    "its entry '{shown}' would be installed as package.json; npm packs it as package/package.json"
                ));
            }
            if !entry.is_file() {
                return Err(format!(
                    "its package.json ('{shown}') is not a regular file"
                ));
            }
            manifest = Some(read_manifest(&mut entry, &not_tar)?);
            continue;
        }
        if readme
            && text_readme.is_none()
            && entry.is_file()
            && is_top_readme(std::path::Path::new(&*entry.path()))
        {
            let raw = entry
                .read_prefix(crate::MAX_README_BYTES as u64)
                .map_err(not_tar)?;
            text_readme = crate::details::bounded_readme(&String::from_utf8_lossy(&raw));
        }
    }
    // The walk read the first gzip member to its end (its checksum checked); then nothing more:
    // npm would decompress a second member, or choke on garbage, where this scan ended.
    let mut compressed = archive.into_inner().into_inner();
    let io = |e: std::io::Error| not_tar(ArchiveError::Io(e));
    if !compressed.fill_buf().map_err(io)?.is_empty() {
        return Err(
            "it has data after its first gzip member (npm would read another member too)".into(),
        );
    }
    match manifest {
        Some(m) => Ok((m, text_readme)),
        None => Err("it has no package.json".into()),
    }
}

fn read_manifest<R: Read>(
    entry: &mut TarEntry<'_, R>,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Uncompressed tar bytes of (raw path, type, content) entries, ending with two zero blocks.
    fn raw_tar(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, kind, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(*kind);
            if kind.is_symlink() || kind.is_hard_link() {
                h.set_link_name("package/evil.json").unwrap();
            }
            // `set_path` refuses `..`; write the raw name to test what a hostile packer does.
            let name = &mut h.as_old_mut().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    /// A gzip tarball with the given (path, content) regular files.
    fn tarball(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let typed: Vec<_> = entries
            .iter()
            .map(|(p, d)| (*p, tar::EntryType::Regular, *d))
            .collect();
        gzip(&raw_tar(&typed))
    }

    const GOOD: &[u8] = b"{\"name\":\"x\",\"version\":\"1.0.0\"}";
    const EVIL: &[u8] =
        b"{\"name\":\"x\",\"version\":\"1.0.0\",\"scripts\":{\"install\":\"evil\"}}";

    fn refused(tgz: &[u8]) -> String {
        match extract(tgz) {
            Err(Unusable::Content(why)) => why,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn finds_the_top_level_manifest_only() {
        let t = tarball(&[
            ("package/README.md", b"hi"),
            ("package/lib/package.json", b"{\"name\":\"inner\"}"),
            ("package/package.json", GOOD),
        ]);
        let v = extract(&t[..]).unwrap();
        assert_eq!(v["name"], "x");
        // Any top directory, as npm strips it.
        let other_top = tarball(&[("node-x/package.json", GOOD)]);
        assert_eq!(extract(&other_top[..]).unwrap()["name"], "x");
    }

    #[test]
    fn finds_the_readme_before_or_after_the_manifest() {
        let after = tarball(&[
            ("package/package.json", GOOD),
            ("package/lib/README.md", b"inner"),
            ("package/Readme.markdown", b"# X"),
        ]);
        let (m, readme) = extract_with(&after[..], true).unwrap();
        assert_eq!(
            (m["name"].as_str(), readme.as_deref()),
            (Some("x"), Some("# X"))
        );
        let before = tarball(&[("package/README", b"plain"), ("package/package.json", GOOD)]);
        assert_eq!(
            extract_with(&before[..], true).unwrap().1.as_deref(),
            Some("plain")
        );
        let none = tarball(&[("package/package.json", GOOD)]);
        assert_eq!(extract_with(&none[..], true).unwrap().1, None);
    }

    #[test]
    fn refuses_what_is_not_a_usable_tarball() {
        assert!(refused(b"not gzip").contains("gzip"));
        assert!(refused(&tarball(&[("package/index.js", b"1")])).contains("no package.json"));
        // npm would install these as package.json (it drops the first component), but they are
        // not spelled as npm packs a manifest.
        for odd in ["../package.json", "/package.json", "./package.json"] {
            let t = tarball(&[(odd, GOOD)]);
            assert!(refused(&t).contains("installed as package.json"), "{odd}");
        }
        let not_object = tarball(&[("package/package.json", b"[1]")]);
        assert!(refused(&not_object).contains("not a JSON object"));
        let huge = vec![b' '; MAX_MANIFEST_BYTES as usize + 1];
        let big = tarball(&[("package/package.json", &huge)]);
        assert!(refused(&big).contains("larger than"));
    }

    /// Issue 10, finding 8: Arca read the first manifest entry, npm installs the last. Every
    /// entry npm would install as package.json counts, whatever its spelling or position.
    #[test]
    fn refuses_every_second_manifest() {
        for second in [
            "package/package.json",
            "other/package.json",
            "./package.json",
            "package/./package.json",
            "package//package.json",
            "x/y/../package.json/",
            "package/PACKAGE.JSON",
            "package/Package.json",
            "package/package.json.",
            "package/package.json ",
            "package\\package.json",
            "package/c:package.json",
            "/package.json",
        ] {
            if second == "x/y/../package.json/" {
                // npm skips paths with `..`: not a manifest, not refused.
                let t = tarball(&[("package/package.json", GOOD), (second, EVIL)]);
                assert_eq!(extract(&t[..]).unwrap()["name"], "x");
                continue;
            }
            for order in [[GOOD, EVIL], [EVIL, GOOD]] {
                let t = tarball(&[
                    ("package/package.json", order[0]),
                    ("package/index.js", b"1"),
                    (second, order[1]),
                ]);
                let why = refused(&t);
                assert!(why.contains("package.json"), "{second}: {why}");
            }
        }
    }

    #[test]
    fn refuses_a_manifest_that_is_not_a_regular_file() {
        for kind in [
            tar::EntryType::Symlink,
            tar::EntryType::Link,
            tar::EntryType::Directory,
        ] {
            let alone = gzip(&raw_tar(&[("package/package.json", kind, b"")]));
            assert!(refused(&alone).contains("not a regular file"), "{kind:?}");
            // After a regular one: npm would replace it (a link to another file).
            let after = gzip(&raw_tar(&[
                ("package/package.json", tar::EntryType::Regular, GOOD),
                ("package/evil.json", tar::EntryType::Regular, EVIL),
                ("package/package.json", kind, b""),
            ]));
            assert!(refused(&after).contains("more than one"), "{kind:?}");
        }
    }

    /// The tar crate stops at a zero block by default; npm reads on until two in a row.
    #[test]
    fn reads_past_a_zero_block() {
        let first = raw_tar(&[("package/package.json", tar::EntryType::Regular, GOOD)]);
        let second = raw_tar(&[("package/package.json", tar::EntryType::Regular, EVIL)]);
        // The first archive without its end-of-archive blocks, one zero block, the second.
        let body = first.len() - 1024;
        let mut data = first[..body].to_vec();
        data.extend_from_slice(&[0u8; 512]);
        data.extend_from_slice(&second);
        assert!(refused(&gzip(&data)).contains("more than one"));
    }

    /// npm decompresses every gzip member; Arca read only the first.
    #[test]
    fn refuses_data_after_the_first_gzip_member() {
        let good = tarball(&[("package/package.json", GOOD)]);
        assert!(extract(&good[..]).is_ok());
        let evil = tarball(&[("package/package.json", EVIL)]);
        let trailing: [&[u8]; 4] = [&evil, &gzip(b""), b"garbage", b"\0"];
        for tail in trailing {
            let mut t = good.clone();
            t.extend_from_slice(tail);
            assert!(
                refused(&t).contains("after its first gzip member"),
                "{tail:?}"
            );
        }
    }

    #[test]
    fn a_failing_source_is_not_the_tarball_s_fault() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        assert!(matches!(extract(Broken), Err(Unusable::Io(_))));
    }

    #[test]
    fn installed_paths_follow_node_tar() {
        let p = |raw: &str, windows: bool| {
            installed_path(raw.as_bytes(), windows).map(|s| {
                s.iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
        };
        assert_eq!(p("package/lib/a.js", false).as_deref(), Some("lib/a.js"));
        assert_eq!(p("./package/a.js", false).as_deref(), Some("package/a.js"));
        assert_eq!(p("a//./b", false).as_deref(), Some("b"));
        assert_eq!(p("package.json", false), None);
        assert_eq!(p("a/../b", false), None);
        assert_eq!(p("a\\b", false), None);
        assert_eq!(p("a\\b", true).as_deref(), Some("b"));
        assert_eq!(p("a/c:b", true).as_deref(), Some("b"));
    }

    // Finding 2 (bounded extension headers), from the archive-readers work.

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
        let err = format!("{:?}", result.unwrap_err());
        assert!(err.contains("GNU long name or PAX"), "{err}");
        let pax = hostile_tarball(tar::EntryType::XHeader, 2 << 20);
        let err = refused(&pax);
        assert!(err.contains("GNU long name or PAX"), "{err}");
        // Within the cap, a long name is read: it renames the manifest's entry.
        let fine = hostile_tarball(tar::EntryType::GNULongName, 1000);
        assert!(refused(&fine).contains("no package.json"));
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
