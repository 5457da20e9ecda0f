//! npm through upstreams: a source's packument (parsed once, cached), the merged packument of a
//! repository and its upstreams, and tarballs retained from them.
//!
//! Merging (§A3): versions are the union over the search order, the first repository (or source) in
//! the order that has a version wins it; dist-tags are merged too, and where the same tag exists
//! downstream and upstream the upstream value wins, as on AWS.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arca_blobstore::BlobRead;
use arca_metadata::{PackageFormat, PackageKey, VersionDetails, VersionStatus};
use base64::Engine;
use futures::future::BoxFuture;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use super::manifest::read_publish_files;
use super::{NpmName, NPM_ASSET};
use crate::native::{NativeVersion, OnExisting};
use crate::upstream::{ExpectedDigest, UpstreamFile, UpstreamIndex};
use crate::{now_ms, Service, ServiceError, ServiceResult};

/// A source's packument of one package: its versions (each the source's version object, passed
/// through field-complete), publish times and dist-tags.
#[derive(Debug)]
pub struct NpmIndex {
    pub(crate) versions: BTreeMap<String, Arc<Value>>,
    pub(crate) time: BTreeMap<String, i64>,
    pub(crate) dist_tags: BTreeMap<String, String>,
    cost: usize,
}

fn b64_to_hex(b64: &str) -> Option<String> {
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .map(hex::encode)
}

/// The `time` of a packument: RFC 3339 strings to epoch milliseconds.
fn parse_time(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The digests a version object's `dist` promises for its tarball.
pub(crate) fn dist_digests(manifest: &Value) -> Vec<ExpectedDigest> {
    let dist = manifest.get("dist");
    let mut out = Vec::new();
    let integrity = dist
        .and_then(|d| d.get("integrity"))
        .and_then(Value::as_str)
        .unwrap_or("");
    for entry in integrity.split_whitespace() {
        let (alg, digest) = entry.split_once('-').unwrap_or((entry, ""));
        let digest = digest.split('?').next().unwrap_or("");
        match (alg, b64_to_hex(digest)) {
            ("sha512", Some(h)) => out.push(ExpectedDigest::Sha512(h)),
            ("sha1", Some(h)) => out.push(ExpectedDigest::Sha1(h)),
            _ => {}
        }
    }
    if let Some(s) = dist.and_then(|d| d.get("shasum")).and_then(Value::as_str) {
        out.push(ExpectedDigest::Sha1(s.to_ascii_lowercase()));
    }
    out
}

impl UpstreamIndex for NpmIndex {
    const FORMAT: PackageFormat = PackageFormat::Npm;
    const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
    // The full document: the abbreviated one has no `time` (minimum release age) nor the fields
    // `npm view` shows.
    const ACCEPT: &'static str = "application/json";

    fn index_url(source_url: &str, key: &PackageKey) -> String {
        if key.namespace.is_empty() {
            format!("{source_url}{}", key.name)
        } else {
            format!("{source_url}@{}%2f{}", key.namespace, key.name)
        }
    }

    fn parse(body: &[u8], _url: &str) -> Result<Self, String> {
        let doc: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let versions: BTreeMap<String, Arc<Value>> = doc
            .get("versions")
            .and_then(Value::as_object)
            .ok_or("the packument has no versions object")?
            .iter()
            .filter(|(v, m)| m.is_object() && super::is_semver(v))
            .map(|(v, m)| (v.clone(), Arc::new(m.clone())))
            .collect();
        let time = doc
            .get("time")
            .and_then(Value::as_object)
            .map(|t| {
                t.iter()
                    .filter_map(|(v, s)| Some((v.clone(), parse_time(s.as_str()?)?)))
                    .collect()
            })
            .unwrap_or_default();
        let dist_tags = doc
            .get("dist-tags")
            .and_then(Value::as_object)
            .map(|t| {
                t.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            versions,
            time,
            dist_tags,
            // serde_json's values take a few times their text in memory.
            cost: body.len() * 4 + 1024,
        })
    }

    fn cost(&self) -> usize {
        self.cost
    }

    fn has_version(&self, version: &str) -> bool {
        self.versions.contains_key(version)
    }

    fn published_ms(&self, version: &str) -> Option<i64> {
        self.time.get(version).copied()
    }

    fn asset_name(_file: &str) -> &str {
        NPM_ASSET
    }

    fn file(&self, version: &str, _file: &str) -> Option<UpstreamFile> {
        let manifest = self.versions.get(version)?;
        let url = manifest.get("dist")?.get("tarball")?.as_str()?.to_string();
        Some(UpstreamFile {
            url,
            digests: dist_digests(manifest),
            ..Default::default()
        })
    }
}

impl NpmIndex {
    /// Versions old enough for `min_age` (all without one); with one, a version the source gives
    /// no time for is left out (fail closed).
    pub(crate) fn visible(
        &self,
        min_age: Option<Duration>,
    ) -> impl Iterator<Item = (&String, &Arc<Value>)> {
        let now = now_ms();
        self.versions.iter().filter(move |(v, _)| match min_age {
            None => true,
            Some(age) => self
                .time
                .get(*v)
                .is_some_and(|t| now.saturating_sub(*t) >= age.as_millis() as i64),
        })
    }
}

impl Service {
    /// The version an npm tarball fetched from a source becomes: its own `package.json` must name
    /// the package and version asked for; metadata and details come from it as for a publish.
    pub(crate) fn npm_ingest<'a>(
        &'a self,
        name: &'a NpmName,
        version: &'a str,
        read: BlobRead,
    ) -> BoxFuture<'a, ServiceResult<NativeVersion>> {
        Box::pin(async move {
            let (packed, readme) = read_publish_files(read).await.map_err(|e| {
                ServiceError::Upstream(format!(
                    "the source's tarball of {name}@{version} is unusable: {e}"
                ))
            })?;
            if packed.get("name").and_then(Value::as_str) != Some(&name.to_string())
                || packed.get("version").and_then(Value::as_str) != Some(version)
            {
                return Err(ServiceError::Upstream(format!(
                    "the source's tarball for {name}@{version} names another package or version; nothing was kept"
                )));
            }
            let dependencies = super::publish::dependencies(&packed);
            let deprecated = packed
                .get("deprecated")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
                .map(str::to_string);
            Ok(NativeVersion {
                key: name.key(),
                version: version.to_string(),
                metadata: super::publish::metadata(name, &packed),
                asset_name: NPM_ASSET.to_string(),
                requires_python: None,
                status: VersionStatus::Published,
                on_existing: OnExisting::Conflict,
                details: VersionDetails {
                    dependencies,
                    readme,
                    deprecated,
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
    fn parses_a_registry_packument() {
        let doc = serde_json::json!({
            "name": "left-pad",
            "dist-tags": {"latest": "1.1.0", "next": "2.0.0-rc.1"},
            "versions": {
                "1.0.0": {"name": "left-pad", "version": "1.0.0",
                          "dist": {"tarball": "https://r.example/left-pad/-/left-pad-1.0.0.tgz",
                                   "shasum": "AABB", "integrity": "sha512-AP8Q"}},
                "1.1.0": {"name": "left-pad", "version": "1.1.0", "dist": {}},
                "not-semver": {"name": "left-pad"}
            },
            "time": {"1.0.0": "2020-01-01T00:00:00.000Z", "modified": "x"}
        });
        let idx = NpmIndex::parse(doc.to_string().as_bytes(), "u").unwrap();
        assert_eq!(idx.versions.keys().collect::<Vec<_>>(), ["1.0.0", "1.1.0"]);
        assert_eq!(idx.published_ms("1.0.0"), Some(1_577_836_800_000));
        assert_eq!(idx.dist_tags["next"], "2.0.0-rc.1");
        let f = idx.file("1.0.0", "left-pad-1.0.0.tgz").unwrap();
        assert_eq!(f.url, "https://r.example/left-pad/-/left-pad-1.0.0.tgz");
        assert_eq!(
            f.digests,
            [
                ExpectedDigest::Sha512("00ff10".into()),
                ExpectedDigest::Sha1("aabb".into())
            ]
        );
        assert!(idx.file("1.1.0", "x").is_none(), "no tarball URL");
        // Minimum release age: 1.1.0 has no time, so it is left out; 1.0.0 is old enough.
        let old: Vec<_> = idx
            .visible(Some(Duration::from_secs(86400)))
            .map(|(v, _)| v.clone())
            .collect();
        assert_eq!(old, ["1.0.0"]);
        assert!(NpmIndex::parse(b"[]", "u").is_err());
        assert_eq!(
            NpmIndex::index_url(
                "http://h/",
                &PackageKey {
                    format: PackageFormat::Npm,
                    namespace: "acme".into(),
                    name: "kit".into()
                }
            ),
            "http://h/@acme%2fkit"
        );
    }
}
