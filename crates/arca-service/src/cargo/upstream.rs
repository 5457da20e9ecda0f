//! cargo through upstreams: a source's sparse index file of one crate (`public:crates-io`, or any
//! sparse registry), whose lines pass through byte for byte into the merged index, and `.crate`
//! files retained from it, verified against the line's `cksum`.
//!
//! A source's crates are downloaded from the URL its `config.json` `dl` gives, built as cargo
//! builds it ([`download_url`]); the `config.json` is cached per connection like an index.

use std::time::Duration;

use arca_blobstore::BlobRead;
use arca_metadata::{PackageFormat, PackageKey, VersionDetails, VersionStatus};
use futures::future::BoxFuture;
use serde_json::Value;

use super::index::{index_path, prefix};
use super::manifest::{find_manifest, parse_manifest};
use super::{asset_name, key};
use crate::native::{read_blocking, NativeVersion, OnExisting};
use crate::upstream::connections::ExternalSource;
use crate::upstream::{ExpectedDigest, SourceIndex, UpstreamFile, UpstreamIndex};
use crate::{Service, ServiceError, ServiceResult};

/// One line of a source's index file.
#[derive(Debug)]
pub(crate) struct SourceLine {
    pub name: String,
    pub vers: String,
    /// The line as the source wrote it.
    pub raw: String,
    cksum: Option<String>,
    pubtime_ms: Option<i64>,
}

/// A source's index file of one crate.
#[derive(Debug)]
pub struct CargoIndex {
    pub(crate) lines: Vec<SourceLine>,
    cost: usize,
}

fn parse_pubtime(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

impl UpstreamIndex for CargoIndex {
    const FORMAT: PackageFormat = PackageFormat::Cargo;
    const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
    const ACCEPT: &'static str = "text/plain, */*";

    fn index_url(source_url: &str, key: &PackageKey) -> String {
        format!("{source_url}{}", index_path(&key.name))
    }

    fn parse(body: &[u8], _url: &str) -> Result<Self, String> {
        let text = std::str::from_utf8(body).map_err(|_| "the index file is not UTF-8")?;
        let mut lines = Vec::new();
        for raw in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(v) = serde_json::from_str::<Value>(raw) else {
                continue;
            };
            let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let (Some(name), Some(vers)) = (field("name"), field("vers")) else {
                continue;
            };
            lines.push(SourceLine {
                name,
                vers,
                raw: raw.to_string(),
                cksum: field("cksum"),
                pubtime_ms: field("pubtime").as_deref().and_then(parse_pubtime),
            });
        }
        Ok(Self {
            lines,
            cost: body.len() * 2 + 256,
        })
    }

    fn cost(&self) -> usize {
        self.cost
    }

    fn has_version(&self, version: &str) -> bool {
        self.lines.iter().any(|l| l.vers == version)
    }

    fn published_ms(&self, version: &str) -> Option<i64> {
        self.lines
            .iter()
            .find(|l| l.vers == version)
            .and_then(|l| l.pubtime_ms)
    }

    fn file(&self, version: &str, _file: &str) -> Option<UpstreamFile> {
        let line = self.lines.iter().find(|l| l.vers == version)?;
        Some(UpstreamFile {
            // Set by `locate`, from the source's `config.json`.
            url: String::new(),
            digests: line
                .cksum
                .as_deref()
                .and_then(|c| ExpectedDigest::named("sha256", c))
                .into_iter()
                .collect(),
            ..Default::default()
        })
    }

    fn locate<'a>(
        &'a self,
        svc: &'a Service,
        connection: &'a str,
        source: &'a ExternalSource,
        version: &'a str,
        file: UpstreamFile,
    ) -> BoxFuture<'a, Result<UpstreamFile, String>> {
        Box::pin(async move {
            let cache = &svc.upstream_caches.cargo_config;
            let config = match svc
                .source_index(cache, connection, source, &key(CONFIG))
                .await
            {
                SourceIndex::Fresh(c) | SourceIndex::Stale(c, _) => c,
                SourceIndex::Missing => return Err("the source has no config.json".into()),
                SourceIndex::Unavailable(why) => return Err(why),
            };
            let line = self
                .lines
                .iter()
                .find(|l| l.vers == version)
                .ok_or("the source's index does not list the version")?;
            Ok(UpstreamFile {
                url: download_url(&config.dl, &line.name, &line.vers, line.cksum.as_deref()),
                ..file
            })
        })
    }
}

/// The source's `config.json`, as far as Arca reads it.
#[derive(Debug)]
pub struct CargoConfig {
    /// Where the source's `.crate` files are: a URL, with or without markers.
    dl: String,
}

const CONFIG: &str = "config.json";

/// `config.json` goes through the index cache (TTL, revalidation, stale-if-error) as the one
/// "package" `config.json` of the source; it offers no versions.
impl UpstreamIndex for CargoConfig {
    const FORMAT: PackageFormat = PackageFormat::Cargo;
    const DEFAULT_TTL: Duration = CargoIndex::DEFAULT_TTL;
    const ACCEPT: &'static str = "application/json, */*";

    fn index_url(source_url: &str, _key: &PackageKey) -> String {
        format!("{source_url}{CONFIG}")
    }

    fn parse(body: &[u8], _url: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("config.json: {e}"))?;
        let dl = v.get("dl").and_then(Value::as_str);
        let dl = dl.ok_or("config.json has no `dl`")?;
        Ok(Self { dl: dl.to_string() })
    }

    fn cost(&self) -> usize {
        self.dl.len() + 64
    }

    fn has_version(&self, _version: &str) -> bool {
        false
    }

    fn published_ms(&self, _version: &str) -> Option<i64> {
        None
    }

    fn file(&self, _version: &str, _file: &str) -> Option<UpstreamFile> {
        None
    }
}

/// The markers of a `dl` template (the sparse-registry docs).
const MARKERS: [&str; 5] = [
    "{crate}",
    "{version}",
    "{prefix}",
    "{lowerprefix}",
    "{sha256-checksum}",
];

/// The URL of a `.crate` as cargo builds it from `dl`: `{dl}/{crate}/{version}/download` when `dl`
/// has none of the markers, else `dl` with them substituted.
pub(crate) fn download_url(dl: &str, name: &str, version: &str, cksum: Option<&str>) -> String {
    let version = percent_encode(version);
    if !MARKERS.iter().any(|m| dl.contains(m)) {
        return format!("{dl}/{name}/{version}/download");
    }
    let prefix = prefix(name);
    dl.replace("{crate}", name)
        .replace("{version}", &version)
        .replace("{prefix}", &prefix)
        .replace("{lowerprefix}", &prefix.to_ascii_lowercase())
        .replace("{sha256-checksum}", cksum.unwrap_or(""))
}

/// A version in a URL path (`+` of build metadata encoded).
fn percent_encode(s: &str) -> String {
    s.replace('+', "%2B")
}

impl Service {
    /// The version a `.crate` fetched from a source becomes: its own `Cargo.toml` must name the
    /// crate and version asked for; metadata and dependencies come from it.
    pub(crate) fn cargo_ingest<'a>(
        &'a self,
        name: &'a str,
        version: &'a str,
        read: BlobRead,
    ) -> BoxFuture<'a, ServiceResult<NativeVersion>> {
        Box::pin(async move {
            let (n, v) = (name.to_string(), version.to_string());
            let manifest = read_blocking(read, "a .crate", move |r| {
                find_manifest(r, &n, &v).map(|m| parse_manifest(&m))
            })
            .await?
            .and_then(Result::ok)
            .filter(|m| m.entry.name == name && m.entry.vers == version)
            .ok_or_else(|| {
                ServiceError::Upstream(format!(
                    "the source's crate {name}@{version} has no readable Cargo.toml naming it; nothing was kept"
                ))
            })?;
            let dependencies = manifest.entry.dependencies();
            Ok(NativeVersion {
                key: key(name),
                version: version.to_string(),
                metadata: super::publish::metadata(
                    name,
                    &manifest.description,
                    &manifest.homepage,
                    &manifest.repository,
                    &manifest.license,
                ),
                asset_name: asset_name(name, version),
                requires_python: None,
                status: VersionStatus::Published,
                on_existing: OnExisting::Conflict,
                details: VersionDetails {
                    dependencies,
                    readme: None,
                    deprecated: None,
                },
                dist_tags: Vec::new(),
                origin: None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_source_index_file() {
        let body = concat!(
            r#"{"name":"Serde","vers":"1.0.0","deps":[],"cksum":"aa","features":{},"yanked":false,"pubtime":"2020-01-01T00:00:00Z"}"#,
            "\n\nnot json\n",
            r#"{"name":"Serde","vers":"1.0.1+b","deps":[],"cksum":"zz","features":{},"yanked":true}"#,
            "\n"
        );
        let idx = CargoIndex::parse(body.as_bytes(), "http://h/idx/se/rd/serde").unwrap();
        assert_eq!(idx.lines.len(), 2);
        assert!(idx.lines[1]
            .raw
            .starts_with(r#"{"name":"Serde","vers":"1.0.1+b""#));
        assert_eq!(idx.published_ms("1.0.0"), Some(1_577_836_800_000));
        let cksum = "a".repeat(64);
        let body = format!(r#"{{"name":"ab","vers":"0.1.0","cksum":"{cksum}"}}"#);
        let idx = CargoIndex::parse(body.as_bytes(), "http://h/idx/2/ab").unwrap();
        let f = idx.file("0.1.0", "ab-0.1.0.crate").unwrap();
        assert_eq!(f.digests, [ExpectedDigest::Sha256(cksum)]);
        assert!(idx.file("9.9.9", "x").is_none());
    }

    #[test]
    fn download_urls_are_built_as_cargo_builds_them() {
        let url = |dl, name| download_url(dl, name, "1.0.0+b", Some("ff"));
        assert_eq!(
            url("https://static.crates.io/crates", "Serde"),
            "https://static.crates.io/crates/Serde/1.0.0%2Bb/download"
        );
        let dl = "http://h/f/{prefix}/{lowerprefix}/{crate}-{version}.crate?c={sha256-checksum}";
        assert_eq!(
            url(dl, "Serde"),
            "http://h/f/Se/rd/se/rd/Serde-1.0.0%2Bb.crate?c=ff"
        );
        assert_eq!(url("http://h/{prefix}", "abc"), "http://h/3/a");
        assert_eq!(url("http://h/{prefix}", "ab"), "http://h/2");
        assert_eq!(url("http://h/{prefix}", "a"), "http://h/1");
        assert_eq!(url("http://h/{prefix}", "äbcd"), "http://h/äb/cd");
    }
}
