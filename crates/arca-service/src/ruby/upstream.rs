//! RubyGems through upstreams: a source's compact index file `info/NAME` (`public:ruby-gems-org`, or
//! any compact index server), whose lines pass through byte for byte into the merged `info/NAME`,
//! and `.gem` files retained from the source's `gems/`, verified against the line's `checksum:`.
//! The compact index has no publish times, so a connection's `min_release_age` keeps every gem out
//! (fail closed, as for any source that does not date its files).

use std::time::Duration;

use arca_blobstore::BlobRead;
use arca_metadata::{PackageFormat, PackageKey, VersionDetails, VersionStatus};
use futures::future::BoxFuture;

use super::gemspec::read_gem;
use super::index::{asset_name, full_name, parse_info_line, InfoLine};
use super::key;
use crate::native::{read_blocking, NativeVersion, OnExisting};
use crate::upstream::{ExpectedDigest, UpstreamFile, UpstreamIndex};
use crate::{Service, ServiceError, ServiceResult};

/// One line of a source's `info/NAME`.
#[derive(Debug)]
pub(crate) struct SourceLine {
    pub line: InfoLine,
    /// The line as the source wrote it.
    pub raw: String,
}

/// A source's `info/NAME` of one gem.
#[derive(Debug)]
pub struct RubyIndex {
    /// The source's base URL (where `info/` and `gems/` are).
    base: String,
    name: String,
    pub(crate) lines: Vec<SourceLine>,
    cost: usize,
}

impl UpstreamIndex for RubyIndex {
    const FORMAT: PackageFormat = PackageFormat::Ruby;
    const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
    const ACCEPT: &'static str = "text/plain, */*";

    fn index_url(source_url: &str, key: &PackageKey) -> String {
        format!("{source_url}info/{}", key.name)
    }

    fn parse(body: &[u8], url: &str) -> Result<Self, String> {
        let text = std::str::from_utf8(body).map_err(|_| "info is not UTF-8")?;
        let (base, name) = url.rsplit_once("info/").ok_or("not an info/ URL")?;
        let body = text.split_once("---\n").map_or(text, |(_, b)| b);
        let lines = body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|raw| {
                let line = parse_info_line(raw)?;
                let raw = raw.to_string();
                Some(SourceLine { line, raw })
            })
            .collect();
        Ok(Self {
            base: base.to_string(),
            name: name.to_string(),
            lines,
            cost: body.len() * 2 + 256,
        })
    }

    fn cost(&self) -> usize {
        self.cost
    }

    fn has_version(&self, version: &str) -> bool {
        self.lines.iter().any(|l| l.line.version == version)
    }

    fn published_ms(&self, _version: &str) -> Option<i64> {
        None
    }

    fn file(&self, version: &str, file: &str) -> Option<UpstreamFile> {
        let line = self.lines.iter().map(|l| &l.line).find(|l| {
            l.version == version && asset_name(&self.name, version, &l.platform) == file
        })?;
        Some(UpstreamFile {
            url: format!(
                "{}gems/{}.gem",
                self.base,
                full_name(&self.name, version, &line.platform)
            ),
            digests: line
                .checksum
                .as_deref()
                .and_then(|c| ExpectedDigest::named("sha256", c))
                .into_iter()
                .collect(),
            ..Default::default()
        })
    }
}

/// A source's `versions` file, as far as a merged `versions` needs it: its lines (after `---`)
/// with the gem each names, byte for byte.
#[derive(Debug)]
pub struct RubyVersions {
    pub(crate) lines: Vec<(String, String)>,
    cost: usize,
}

/// The source's `versions` goes through the index cache (TTL, revalidation, stale-if-error) as the
/// one "package" `versions` of the source; it offers no files.
impl UpstreamIndex for RubyVersions {
    const FORMAT: PackageFormat = PackageFormat::Ruby;
    const DEFAULT_TTL: Duration = RubyIndex::DEFAULT_TTL;
    const ACCEPT: &'static str = "text/plain, */*";

    fn index_url(source_url: &str, _key: &PackageKey) -> String {
        format!("{source_url}versions")
    }

    fn parse(body: &[u8], _url: &str) -> Result<Self, String> {
        let text = std::str::from_utf8(body).map_err(|_| "versions is not UTF-8")?;
        let body = text.split_once("---\n").map_or(text, |(_, b)| b);
        let lines = body
            .lines()
            .filter_map(|l| Some((l.split_once(' ')?.0.to_string(), l.to_string())))
            .collect();
        Ok(Self {
            lines,
            cost: body.len() * 2 + 256,
        })
    }

    fn cost(&self) -> usize {
        self.cost
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

impl Service {
    /// The version a `.gem` fetched from a source becomes: its own specification must name the
    /// gem, version and platform asked for; metadata and dependencies come from it.
    pub(crate) fn ruby_ingest<'a>(
        &'a self,
        name: &'a str,
        version: &'a str,
        platform: &'a str,
        read: BlobRead,
    ) -> BoxFuture<'a, ServiceResult<NativeVersion>> {
        Box::pin(async move {
            let spec = read_blocking(read, "a .gem", read_gem)
                .await?
                .ok()
                .filter(|s| s.name == name && s.version == version && s.platform == platform)
                .ok_or_else(|| {
                    ServiceError::Upstream(format!(
                        "the source's gem {} is not a gem naming it; nothing was kept",
                        full_name(name, version, platform)
                    ))
                })?;
            Ok(NativeVersion {
                key: key(name),
                version: version.to_string(),
                metadata: super::publish::metadata(&spec),
                asset_name: asset_name(name, version, platform),
                requires_python: None,
                status: VersionStatus::Published,
                on_existing: OnExisting::AddAsset,
                details: VersionDetails {
                    dependencies: super::publish::dependencies(&spec),
                    ..VersionDetails::default()
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
    fn parses_a_source_info_file() {
        let sha = "a".repeat(64);
        let body = format!(
            "---\n1.0.0 |checksum:{sha}\n1.0.0-x86_64-linux dep:>= 1&< 3|checksum:{sha},ruby:>= 2.7\n\n2.0 |nothing\n"
        );
        let idx = RubyIndex::parse(body.as_bytes(), "http://h/src/info/kit").unwrap();
        assert_eq!(idx.lines.len(), 3);
        assert!(idx.has_version("2.0") && !idx.has_version("3.0"));
        let f = idx.file("1.0.0", "kit-1.0.0-x86_64-linux.gem").unwrap();
        assert_eq!(f.url, "http://h/src/gems/kit-1.0.0-x86_64-linux.gem");
        assert_eq!(f.digests, [ExpectedDigest::Sha256(sha)]);
        assert!(idx.file("2.0", "kit-2.0.gem").unwrap().digests.is_empty());
        assert!(idx.file("1.0.0", "kit-1.0.0-java.gem").is_none());
        assert_eq!(
            idx.lines[1].raw,
            format!(
                "1.0.0-x86_64-linux dep:>= 1&< 3|checksum:{},ruby:>= 2.7",
                "a".repeat(64)
            )
        );
    }
}
