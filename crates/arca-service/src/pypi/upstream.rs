//! PyPI through upstreams: a source's project page, parsed once and cached, and the version a file
//! fetched from it becomes.
//!
//! The page is asked for as PEP 691 JSON; a source that answers PEP 503 HTML instead is read too
//! (anchors only, entities decoded, bounded). Each file keeps what the index says about it, so the
//! merged page passes it through field-complete: its hashes, `requires-python`, `yanked`, the core
//! metadata flag (PEP 658/714) and `upload-time` (PEP 700, used for the minimum release age). File
//! URLs are resolved against the page URL (they may be relative, or on a file host); versions come
//! from the file names. Files Arca could not keep (other kinds, names of another project, no
//! digest Arca can check) are left out.

use std::collections::BTreeMap;
use std::io::Read;
use std::time::Duration;

use arca_blobstore::BlobRead;
use arca_metadata::{PackageFormat, PackageKey, VersionStatus};
use futures::future::BoxFuture;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use super::metadata::{find_metadata, MAX_METADATA_BYTES};
use super::upload::{version_parts, PypiUpload};
use super::{file_version, normalize};
use crate::native::{read_blocking, NativeVersion, OnExisting};
use crate::upstream::{ExpectedDigest, UpstreamFile, UpstreamIndex};
use crate::{Service, ServiceError, ServiceResult};

/// Most files read from one project page.
const MAX_FILES: usize = 200_000;
/// Most bytes of an sdist unpacked while looking for its `PKG-INFO`.
const MAX_SDIST_SCAN_BYTES: u64 = 64 * 1024 * 1024;
/// Most entries of an sdist looked at for its `PKG-INFO`.
const MAX_SDIST_ENTRIES: usize = 10_000;

/// A source's project page: its files by name.
#[derive(Debug)]
pub struct PypiIndex {
    pub(crate) files: BTreeMap<String, SourceFile>,
    cost: usize,
}

/// One file of a source's project page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub version: String,
    /// Absolute, without a fragment.
    pub url: String,
    /// Hash name → lowercase hex, as the index gives them.
    pub hashes: BTreeMap<String, String>,
    pub requires_python: Option<String>,
    /// PEP 592: the reason (perhaps empty) when the file is yanked.
    pub yanked: Option<String>,
    /// PEP 658/714: the core metadata file's hashes (empty: it exists, unhashed); `None`: none.
    pub core_metadata: Option<BTreeMap<String, String>>,
    /// PEP 700 `upload-time`, ms since the epoch.
    pub upload_ms: Option<i64>,
    pub size: Option<i64>,
}

impl SourceFile {
    /// The digests Arca can check the file against.
    pub(crate) fn digests(&self) -> Vec<ExpectedDigest> {
        self.hashes
            .iter()
            .filter_map(|(name, hex)| ExpectedDigest::named(name, hex))
            .collect()
    }
}

fn parse_time(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Keeps the well-formed `name → hex` pairs of a hash map.
fn hashes<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    pairs
        .filter(|(n, h)| {
            !n.is_empty()
                && n.len() <= 32
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && !h.is_empty()
                && h.len() <= 256
                && h.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|(n, h)| (n.to_ascii_lowercase(), h.to_ascii_lowercase()))
        .collect()
}

/// `{url}#sha256=…` → (`url`, its fragment hashes).
fn split_fragment(href: &str) -> (&str, BTreeMap<String, String>) {
    match href.split_once('#') {
        Some((url, fragment)) => (url, hashes(fragment.split_once('=').into_iter())),
        None => (href, BTreeMap::new()),
    }
}

/// `href` resolved against the page URL, if it is an http(s) URL then.
fn resolve(page: &reqwest::Url, href: &str) -> Option<String> {
    let url = page.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// A PEP 691 `core-metadata` value: `true`, `false` or a hash map.
fn metadata_flag(v: Option<&Value>) -> Option<BTreeMap<String, String>> {
    match v? {
        Value::Bool(true) => Some(BTreeMap::new()),
        Value::Object(m) => Some(hashes(
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))),
        )),
        _ => None,
    }
}

/// A PEP 503 `data-core-metadata` value: `true` or `{hash}={hex}`.
fn metadata_attr(v: Option<&str>) -> Option<BTreeMap<String, String>> {
    let v = v?.trim();
    if v.eq_ignore_ascii_case("true") {
        return Some(BTreeMap::new());
    }
    let found = hashes(v.split_once('=').into_iter());
    (!found.is_empty()).then_some(found)
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl PypiIndex {
    fn parse_json(doc: &Value, page: &reqwest::Url, project: &str) -> Result<Self, String> {
        let files = doc
            .get("files")
            .and_then(Value::as_array)
            .ok_or("the project page has no files array")?;
        let mut out = BTreeMap::new();
        for f in files.iter().take(MAX_FILES) {
            let Some(filename) = f.get("filename").and_then(Value::as_str) else {
                continue;
            };
            let Some(version) = file_version(filename, project) else {
                continue;
            };
            let Some(href) = f.get("url").and_then(Value::as_str) else {
                continue;
            };
            let (href, fragment) = split_fragment(href);
            let Some(url) = resolve(page, href) else {
                continue;
            };
            let mut file_hashes = fragment;
            if let Some(h) = f.get("hashes").and_then(Value::as_object) {
                file_hashes.extend(hashes(
                    h.iter()
                        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))),
                ));
            }
            let yanked = match f.get("yanked") {
                Some(Value::Bool(true)) => Some(String::new()),
                Some(Value::String(reason)) => Some(reason.clone()),
                _ => None,
            };
            out.insert(
                filename.to_string(),
                SourceFile {
                    version,
                    url,
                    hashes: file_hashes,
                    requires_python: text(f.get("requires-python")),
                    yanked,
                    core_metadata: metadata_flag(
                        f.get("core-metadata").or(f.get("dist-info-metadata")),
                    ),
                    upload_ms: f
                        .get("upload-time")
                        .and_then(Value::as_str)
                        .and_then(parse_time),
                    size: f.get("size").and_then(Value::as_i64).filter(|n| *n >= 0),
                },
            );
        }
        Ok(Self {
            files: out,
            cost: 0,
        })
    }

    fn parse_html(html: &str, page: &reqwest::Url, project: &str) -> Self {
        let mut out = BTreeMap::new();
        for a in anchors(html).into_iter().take(MAX_FILES) {
            let attr = |name: &str| {
                a.attrs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            let Some(href) = attr("href") else {
                continue;
            };
            let (href, file_hashes) = split_fragment(href);
            let Some(url) = resolve(page, href) else {
                continue;
            };
            // The anchor's text is the file name (PEP 503); else the URL's last segment.
            let filename = match a.text.trim() {
                "" => url.rsplit('/').next().unwrap_or("").to_string(),
                t => t.to_string(),
            };
            let Some(version) = file_version(&filename, project) else {
                continue;
            };
            out.insert(
                filename,
                SourceFile {
                    version,
                    url,
                    hashes: file_hashes,
                    requires_python: attr("data-requires-python")
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    yanked: attr("data-yanked").map(str::to_string),
                    core_metadata: metadata_attr(
                        attr("data-core-metadata").or(attr("data-dist-info-metadata")),
                    ),
                    upload_ms: None,
                    size: None,
                },
            );
        }
        Self {
            files: out,
            cost: 0,
        }
    }
}

impl UpstreamIndex for PypiIndex {
    const FORMAT: PackageFormat = PackageFormat::Pypi;
    // §A4: PyPI metadata is fresh for 30 minutes.
    const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);
    const ACCEPT: &'static str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

    fn index_url(source_url: &str, key: &PackageKey) -> String {
        format!("{source_url}{}/", key.name)
    }

    fn parse(body: &[u8], url: &str) -> Result<Self, String> {
        let page = reqwest::Url::parse(url).map_err(|e| format!("the page URL {url:?}: {e}"))?;
        // The project is the page's last path segment (`{source}{normalized name}/`).
        let project = url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        let text = String::from_utf8_lossy(body);
        let mut index = if text.trim_start().starts_with('{') {
            let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            Self::parse_json(&doc, &page, &project)?
        } else {
            Self::parse_html(&text, &page, &project)
        };
        index.cost = body.len() * 2 + index.files.len() * 256 + 1024;
        Ok(index)
    }

    fn cost(&self) -> usize {
        self.cost
    }

    fn has_version(&self, version: &str) -> bool {
        self.files.values().any(|f| f.version == version)
    }

    /// The version's first upload.
    fn published_ms(&self, version: &str) -> Option<i64> {
        self.files
            .values()
            .filter(|f| f.version == version)
            .filter_map(|f| f.upload_ms)
            .min()
    }

    /// Each file is dated by its own `upload-time` (a wheel added to an old release is new).
    fn file_published_ms(&self, version: &str, file: &str) -> Option<i64> {
        self.files
            .get(file)
            .filter(|f| f.version == version)
            .and_then(|f| f.upload_ms)
    }

    fn file(&self, version: &str, file: &str) -> Option<UpstreamFile> {
        let f = self.files.get(file).filter(|f| f.version == version)?;
        Some(UpstreamFile {
            url: f.url.clone(),
            digests: f.digests(),
            checksum_files: Vec::new(),
            requires_python: f.requires_python.clone(),
        })
    }
}

/// An `<a>` element: its attributes (names lowercase, values decoded) and its text.
#[derive(Debug, Default)]
struct Anchor {
    attrs: Vec<(String, String)>,
    text: String,
}

/// The `<a …>text</a>` elements of an HTML page, read leniently: attributes quoted with `"` or `'`
/// or unquoted, names without a value kept with an empty one, entities decoded.
fn anchors(html: &str) -> Vec<Anchor> {
    let bytes = html.as_bytes();
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find("<a") {
        let start = at + found + 2;
        at = start;
        if !bytes
            .get(start)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>')
        {
            continue; // `<abbr>`, `<area>`…
        }
        let mut anchor = Anchor::default();
        let mut i = start;
        // Attributes, up to `>`.
        loop {
            while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            match bytes.get(i) {
                None => return out,
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(b'/') => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let name_start = i;
            while bytes
                .get(i)
                .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
            {
                i += 1;
            }
            let name = lower[name_start..i].to_string();
            while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            let mut value = String::new();
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(q @ (b'"' | b'\'')) => {
                        let end = html[i + 1..]
                            .find(*q as char)
                            .map_or(html.len(), |e| i + 1 + e);
                        value = decode_entities(&html[i + 1..end]);
                        i = (end + 1).min(html.len());
                    }
                    _ => {
                        let s = i;
                        while bytes
                            .get(i)
                            .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                        {
                            i += 1;
                        }
                        value = decode_entities(&html[s..i]);
                    }
                }
            }
            if !name.is_empty() {
                anchor.attrs.push((name, value));
            } else if i == name_start {
                i += 1; // a stray byte: skip it
            }
        }
        let end = lower[i..].find("</a").map_or(html.len(), |e| i + e);
        anchor.text = decode_entities(&html[i..end]);
        at = end;
        out.push(anchor);
    }
    out
}

/// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;` and numeric references; others stay.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity.strip_prefix('#').and_then(|n| {
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => n.parse().ok(),
                };
                code.and_then(char::from_u32)
            }),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `{top}/PKG-INFO` of a gzip-compressed sdist, bounded (arca-archive's walker: extension
/// headers, entries and unpacked bytes capped); `None` when it cannot be found so.
pub(crate) fn find_pkg_info(r: impl Read) -> Option<Vec<u8>> {
    let limits = arca_archive::Limits {
        max_entries: MAX_SDIST_ENTRIES,
        max_scanned_bytes: MAX_SDIST_SCAN_BYTES,
        ..arca_archive::Limits::default()
    };
    let mut archive = arca_archive::TarWalker::new(arca_archive::gunzip(r), limits);
    while let Some(mut entry) = archive.next_entry().ok()? {
        let path = std::path::PathBuf::from(entry.path().into_owned());
        let parts: Vec<_> = path.components().collect();
        let is_pkg_info = matches!(parts.as_slice(),
            [std::path::Component::Normal(_), std::path::Component::Normal(f)] if *f == "PKG-INFO");
        if is_pkg_info && entry.is_file() {
            return entry.read_to_vec(MAX_METADATA_BYTES).ok();
        }
    }
    None
}

/// The fields of a core metadata file (RFC 822 style), as twine would send them.
fn upload_fields(
    meta: &[u8],
    key: &PackageKey,
    version: &str,
    filename: &str,
) -> (PypiUpload, Option<String>) {
    let text = String::from_utf8_lossy(meta);
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, Some(b)),
        None => (text.as_ref(), None),
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let one = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty() && v != "UNKNOWN")
    };
    let name = one("name");
    let description = body
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_string)
        .or_else(|| one("description"));
    let up = PypiUpload {
        name: name.clone().unwrap_or_else(|| key.name.clone()),
        version: version.to_string(),
        filename: filename.to_string(),
        summary: one("summary"),
        home_page: one("home-page"),
        license: one("license"),
        author: one("author"),
        requires_python: one("requires-python"),
        requires_dist: fields
            .iter()
            .filter(|(k, _)| k == "requires-dist")
            .map(|(_, v)| v.clone())
            .collect(),
        description,
        ..Default::default()
    };
    (up, name)
}

impl Service {
    /// The version a PyPI file fetched from a source becomes: metadata, dependencies and readme
    /// from its core metadata (a wheel's METADATA, an sdist's PKG-INFO) when it has readable one,
    /// which must name the project asked for. The file joins the version if it exists already.
    pub(crate) fn pypi_ingest<'a>(
        &'a self,
        key: &'a PackageKey,
        version: &'a str,
        filename: &'a str,
        read: BlobRead,
    ) -> BoxFuture<'a, ServiceResult<NativeVersion>> {
        Box::pin(async move {
            let meta = if filename.ends_with(".whl") {
                read_blocking(read, "wheel metadata", find_metadata).await?
            } else if filename.ends_with(".tar.gz") {
                read_blocking(read, "sdist PKG-INFO", find_pkg_info).await?
            } else {
                None
            };
            let (up, named) = match &meta {
                Some(m) => upload_fields(m, key, version, filename),
                None => (
                    PypiUpload {
                        name: key.name.clone(),
                        version: version.to_string(),
                        filename: filename.to_string(),
                        ..Default::default()
                    },
                    None,
                ),
            };
            if named.as_deref().is_some_and(|n| normalize(n) != key.name) {
                return Err(ServiceError::Upstream(format!(
                    "the source's file {filename} names another project; nothing was kept"
                )));
            }
            // Public metadata Arca would refuse from twine (a field too long, too many
            // dependencies) is kept without those parts rather than refused.
            let (metadata, details, requires_python) = version_parts(&up).unwrap_or_else(|_| {
                let bare = PypiUpload {
                    name: up.name.clone(),
                    ..Default::default()
                };
                version_parts(&bare).unwrap_or_default()
            });
            Ok(NativeVersion {
                key: key.clone(),
                version: version.to_string(),
                metadata,
                asset_name: filename.to_string(),
                requires_python,
                status: VersionStatus::Published,
                on_existing: OnExisting::AddAsset,
                details,
                dist_tags: Vec::new(),
                origin: None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "https://pypi.test/simple/kit-core/";

    /// A gzip sdist: (path, data) entries, with a GNU long name of `long_name` bytes first.
    fn sdist(long_name: usize, entries: &[(&str, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        if long_name > 0 {
            let mut h = tar::Header::new_gnu();
            h.set_path("././@LongLink").unwrap();
            h.set_size(long_name as u64);
            h.set_entry_type(tar::EntryType::GNULongName);
            h.set_cksum();
            b.append(&h, &vec![b'a'; long_name][..]).unwrap();
        }
        for (path, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_path(path).unwrap();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn pkg_info_is_read_bounded() {
        let ok = sdist(
            0,
            &[
                ("kit-1.0/setup.py", b""),
                ("kit-1.0/PKG-INFO", b"Name: kit\n"),
            ],
        );
        assert_eq!(find_pkg_info(&ok[..]).as_deref(), Some(&b"Name: kit\n"[..]));
        // An oversized GNU long name is refused unread (issue 10, finding 2), not loaded.
        let hostile = sdist(4 << 20, &[("kit-1.0/PKG-INFO", b"Name: kit\n")]);
        assert_eq!(find_pkg_info(&hostile[..]), None);
        let nested = sdist(0, &[("kit-1.0/sub/PKG-INFO", b"x")]);
        assert_eq!(find_pkg_info(&nested[..]), None);
        assert_eq!(find_pkg_info(&b"not gzip"[..]), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever the bytes, the sdist reader answers within its bound or `None`; it never panics.
        #[test]
        fn pkg_info_reader_is_total_and_bounded(
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 0..6),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut bytes = sdist(0, &[("kit-1.0/PKG-INFO", b"Name: kit\n")]);
            for (at, v) in &flips {
                let i = at.index(bytes.len());
                bytes[i] = *v;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Some(found) = find_pkg_info(&bytes[..]) {
                proptest::prop_assert!(found.len() as u64 <= MAX_METADATA_BYTES);
            }
        }
    }

    #[test]
    fn parses_a_pep_691_page() {
        let sha = "a".repeat(64);
        let doc = serde_json::json!({
            "meta": {"api-version": "1.1"},
            "name": "kit-core",
            "files": [
                {"filename": "kit_core-1.0.0-py3-none-any.whl",
                 "url": "https://files.test/ab/kit_core-1.0.0-py3-none-any.whl#sha256=".to_string() + &sha,
                 "hashes": {"sha256": sha.to_uppercase(), "blake2b_256": "00"},
                 "requires-python": ">=3.8", "core-metadata": {"sha256": "b".repeat(64)},
                 "upload-time": "2020-01-01T00:00:00.000000Z", "size": 10, "yanked": false},
                {"filename": "kit_core-1.0.0.tar.gz", "url": "../../files/kit_core-1.0.0.tar.gz",
                 "hashes": {"md5": "c".repeat(32)}, "yanked": "broken", "dist-info-metadata": true},
                {"filename": "kit_core-0.9.exe", "url": "x.exe", "hashes": {}},
                {"filename": "other-1.0.tar.gz", "url": "o.tar.gz", "hashes": {}},
                {"filename": "kit_core-0.8.tar.gz", "url": "javascript:alert(1)", "hashes": {}},
                {"filename": "kit_core-0.7.tar.gz"}
            ]
        });
        let idx = PypiIndex::parse(doc.to_string().as_bytes(), PAGE).unwrap();
        assert_eq!(
            idx.files.keys().collect::<Vec<_>>(),
            ["kit_core-1.0.0-py3-none-any.whl", "kit_core-1.0.0.tar.gz"]
        );
        let w = &idx.files["kit_core-1.0.0-py3-none-any.whl"];
        assert_eq!(w.version, "1.0.0");
        assert_eq!(
            w.url,
            "https://files.test/ab/kit_core-1.0.0-py3-none-any.whl"
        );
        assert_eq!(w.hashes["sha256"], sha);
        assert_eq!(w.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(w.yanked, None);
        assert_eq!(w.core_metadata.as_ref().unwrap()["sha256"], "b".repeat(64));
        assert_eq!(w.upload_ms, Some(1_577_836_800_000));
        assert_eq!(w.size, Some(10));
        let s = &idx.files["kit_core-1.0.0.tar.gz"];
        assert_eq!(s.url, "https://pypi.test/files/kit_core-1.0.0.tar.gz");
        assert_eq!(s.yanked.as_deref(), Some("broken"));
        assert_eq!(s.core_metadata, Some(BTreeMap::new()));
        assert_eq!(s.digests(), [ExpectedDigest::Md5("c".repeat(32))]);
        let f = idx
            .file("1.0.0", "kit_core-1.0.0-py3-none-any.whl")
            .unwrap();
        assert_eq!(f.digests, [ExpectedDigest::Sha256(sha.clone())]);
        assert_eq!(f.requires_python.as_deref(), Some(">=3.8"));
        assert!(idx.file("2.0", "kit_core-1.0.0-py3-none-any.whl").is_none());
        assert_eq!(idx.published_ms("1.0.0"), Some(1_577_836_800_000));
        assert_eq!(
            idx.file_published_ms("1.0.0", "kit_core-1.0.0.tar.gz"),
            None
        );
        assert!(PypiIndex::parse(b"{\"files\": 3}", PAGE).is_err());
        assert!(PypiIndex::parse(b"{", PAGE).is_err());
    }

    #[test]
    fn parses_a_pep_503_page() {
        let sha = "d".repeat(64);
        let html = format!(
            r#"<!DOCTYPE html><html><head><title>Links</title></head><body><abbr>x</abbr>
<A HREF="/packages/kit_core-1.0.0-py3-none-any.whl#sha256={sha}" data-requires-python="&gt;=3.8"
   data-dist-info-metadata="sha256={sha}" data-yanked>kit_core-1.0.0-py3-none-any.whl</A><br/>
<a href='kit_core-1.0.0.tar.gz#md5=00112233445566778899aabbccddeeff' data-core-metadata=true>kit_core-1.0.0.tar.gz</a>
<a href=https://other.test/kit-core-0.9.zip data-yanked="bad &amp; old">kit-core-0.9.zip</a>
<a href="x">not-a-dist</a><a name=anchor></a>
<a href="kit_core-0.1.tar.gz"
"#
        );
        let idx = PypiIndex::parse(html.as_bytes(), PAGE).unwrap();
        assert_eq!(idx.files.len(), 3, "{:?}", idx.files.keys());
        let w = &idx.files["kit_core-1.0.0-py3-none-any.whl"];
        assert_eq!(
            w.url,
            "https://pypi.test/packages/kit_core-1.0.0-py3-none-any.whl"
        );
        assert_eq!(w.hashes["sha256"], sha);
        assert_eq!(w.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(w.yanked.as_deref(), Some(""));
        assert_eq!(w.core_metadata.as_ref().unwrap()["sha256"], sha);
        let s = &idx.files["kit_core-1.0.0.tar.gz"];
        assert_eq!(
            s.url,
            "https://pypi.test/simple/kit-core/kit_core-1.0.0.tar.gz"
        );
        assert_eq!(s.core_metadata, Some(BTreeMap::new()));
        let z = &idx.files["kit-core-0.9.zip"];
        assert_eq!(
            (z.version.as_str(), z.yanked.as_deref()),
            ("0.9", Some("bad & old"))
        );
        assert!(z.digests().is_empty(), "no digest: cannot be kept");
        assert_eq!(decode_entities("a&#60;&#x3E;&bogus;&"), "a<>&bogus;&");
    }

    #[test]
    fn core_metadata_fields() {
        let key = PackageKey {
            format: PackageFormat::Pypi,
            namespace: String::new(),
            name: "kit-core".into(),
        };
        let meta = b"Metadata-Version: 2.1\nName: Kit_Core\nVersion: 1.0\nSummary: A kit\nLicense: MIT\n  and more\nRequires-Dist: requests>=2\nRequires-Dist: tomli; python_version<'3.11'\nRequires-Python: >=3.8\n\nThe readme.\n";
        let (up, name) = upload_fields(meta, &key, "1.0", "kit_core-1.0.tar.gz");
        assert_eq!(name.as_deref(), Some("Kit_Core"));
        assert_eq!(up.summary.as_deref(), Some("A kit"));
        assert_eq!(up.license.as_deref(), Some("MIT\nand more"));
        assert_eq!(up.requires_dist.len(), 2);
        assert_eq!(up.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(up.description.as_deref(), Some("The readme."));
    }
}
