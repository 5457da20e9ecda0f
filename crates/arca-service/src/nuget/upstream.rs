//! NuGet through upstreams (`public:nuget-org`, or any NuGet v3 feed): the source's service index
//! names its resources; the flat container's version list of a package is its index (what the
//! merged version list and the dependency-confusion guard read), and its registration carries
//! the catalog entries (merged registrations pass them through, with Arca's URLs) and each
//! version's `packageHash`, which a `.nupkg` fetched from the source is verified against before it
//! is kept. The hash is in the catalog entry: inline in the registration's leaf, or in the catalog
//! document the leaf links to (nuget.org's case), found by [`NugetIndex::locate`].
//!
//! The configured URL is the directory of the service index (`https://api.nuget.org/v3/` serves
//! `index.json`). The flat container gives no publish times, so a connection's `min_release_age`
//! keeps every package of the source out (fail closed).

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use arca_blobstore::BlobRead;
use arca_metadata::{PackageFormat, PackageKey};
use base64::Engine;
use futures::future::BoxFuture;
use serde_json::{Map, Value};

use super::nuspec::{find_nuspec, parse_nuspec};
use super::{asset_name, key, normalize_version};
use crate::native::{read_blocking, NativeVersion};
use crate::upstream::connections::ExternalSource;
use crate::upstream::{ExpectedDigest, SourceIndex, UpstreamFile, UpstreamIndex};
use crate::{Service, ServiceError, ServiceResult};

/// Largest catalog document read for a version's hash.
const MAX_CATALOG_BYTES: usize = 4 * 1024 * 1024;
/// Largest registration document after gunzipping.
const MAX_REGISTRATION_BYTES: u64 = 64 * 1024 * 1024;

/// The `@type`s of a registration resource, the one Arca prefers (SemVer 2.0 versions included)
/// first.
const REGISTRATION_TYPES: [&str; 6] = [
    "RegistrationsBaseUrl/3.6.0",
    "RegistrationsBaseUrl/Versioned",
    "RegistrationsBaseUrl/3.4.0",
    "RegistrationsBaseUrl/3.0.0-rc",
    "RegistrationsBaseUrl/3.0.0-beta",
    "RegistrationsBaseUrl",
];

fn with_slash(url: &str) -> String {
    match url.ends_with('/') {
        true => url.to_string(),
        false => format!("{url}/"),
    }
}

/// A source's service index, as far as Arca reads it.
#[derive(Debug)]
pub struct NugetService {
    /// `PackageBaseAddress/3.0.0`, ending with `/`.
    flat: String,
    /// A `RegistrationsBaseUrl` variant, ending with `/`.
    registrations: Option<String>,
}

/// The service index goes through the index cache (TTL, revalidation, stale-if-error) as the one
/// "package" `index.json` of the source; it offers no versions.
impl UpstreamIndex for NugetService {
    const FORMAT: PackageFormat = PackageFormat::Nuget;
    const DEFAULT_TTL: Duration = NugetIndex::DEFAULT_TTL;
    const ACCEPT: &'static str = "application/json, */*";

    fn index_url(base: &str, _key: &PackageKey) -> String {
        format!("{base}index.json")
    }

    fn parse(body: &[u8], _url: &str) -> Result<Self, String> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| format!("the service index: {e}"))?;
        let resources = v.get("resources").and_then(Value::as_array);
        let resources = resources.ok_or("the service index has no resources")?;
        let of_type = |t: &str| {
            resources.iter().find_map(|r| {
                let matches = match r.get("@type") {
                    Some(Value::String(s)) => s == t,
                    Some(Value::Array(a)) => a.iter().any(|s| s.as_str() == Some(t)),
                    _ => false,
                };
                let id = r.get("@id").and_then(Value::as_str)?;
                let http = id.starts_with("http://") || id.starts_with("https://");
                (matches && http).then(|| with_slash(id))
            })
        };
        Ok(Self {
            flat: of_type("PackageBaseAddress/3.0.0")
                .ok_or("the service index has no PackageBaseAddress/3.0.0")?,
            registrations: REGISTRATION_TYPES.iter().find_map(|t| of_type(t)),
        })
    }

    fn cost(&self) -> usize {
        self.flat.len() + self.registrations.as_ref().map_or(0, String::len) + 64
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

/// The source's service index (through the cache).
async fn service(
    svc: &Service,
    connection: &str,
    source: &ExternalSource,
) -> Result<Arc<NugetService>, String> {
    let cache = &svc.upstream_caches.nuget_service;
    match svc
        .source_index(cache, connection, source, &key("index.json"))
        .await
    {
        SourceIndex::Fresh(s) | SourceIndex::Stale(s, _) => Ok(s),
        SourceIndex::Missing => Err("the source has no service index (index.json)".into()),
        SourceIndex::Unavailable(why) => Err(why),
    }
}

/// The URL the source's service index gives for a resource (`pick`), or why there is none.
fn resource<'a>(
    svc: &'a Service,
    connection: &'a str,
    source: &'a ExternalSource,
    pick: fn(&NugetService) -> Option<&String>,
    missing: &'static str,
) -> BoxFuture<'a, Result<String, String>> {
    Box::pin(async move {
        let s = service(svc, connection, source).await?;
        pick(&s).cloned().ok_or_else(|| missing.to_string())
    })
}

/// A source's flat container `index.json` of one package.
#[derive(Debug)]
pub struct NugetIndex {
    /// The flat container's base URL.
    base: String,
    lower_id: String,
    /// Normalized, as the source lists them.
    pub(crate) versions: Vec<String>,
}

impl UpstreamIndex for NugetIndex {
    const FORMAT: PackageFormat = PackageFormat::Nuget;
    const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
    const ACCEPT: &'static str = "application/json, */*";

    fn index_url(base: &str, key: &PackageKey) -> String {
        format!("{base}{}/index.json", key.name)
    }

    fn index_base<'a>(
        svc: &'a Service,
        connection: &'a str,
        source: &'a ExternalSource,
    ) -> BoxFuture<'a, Result<String, String>> {
        resource(svc, connection, source, |s| Some(&s.flat), "")
    }

    fn parse(body: &[u8], url: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("index.json: {e}"))?;
        let listed = v.get("versions").and_then(Value::as_array);
        let listed = listed.ok_or("the flat container's index.json has no versions")?;
        let mut versions: Vec<String> = Vec::new();
        for n in listed
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|s| normalize_version(s).ok())
        {
            if !versions.contains(&n) {
                versions.push(n);
            }
        }
        let dir = url
            .strip_suffix("/index.json")
            .ok_or("not an index.json URL")?;
        let (base, lower_id) = dir.rsplit_once('/').ok_or("not a flat container URL")?;
        Ok(Self {
            base: format!("{base}/"),
            lower_id: lower_id.to_string(),
            versions,
        })
    }

    fn cost(&self) -> usize {
        self.versions.iter().map(|v| v.len() + 32).sum::<usize>() + self.base.len() + 128
    }

    fn has_version(&self, version: &str) -> bool {
        let normal = normalize_version(version).unwrap_or_else(|_| version.to_string());
        self.versions.contains(&normal)
    }

    fn published_ms(&self, _version: &str) -> Option<i64> {
        None
    }

    fn file(&self, version: &str, file: &str) -> Option<UpstreamFile> {
        if !self.has_version(version) || asset_name(&self.lower_id, version) != file {
            return None;
        }
        let id = &self.lower_id;
        Some(UpstreamFile {
            url: format!("{}{id}/{version}/{id}.{version}.nupkg", self.base),
            // Set by `locate`, from the registration.
            digests: Vec::new(),
            ..Default::default()
        })
    }

    /// The version's `packageHash`, from its catalog entry in the source's registration (inline,
    /// or the catalog document it links to). A registration that does not give one leaves the
    /// file without a digest (refused).
    fn locate<'a>(
        &'a self,
        svc: &'a Service,
        connection: &'a str,
        source: &'a ExternalSource,
        version: &'a str,
        mut file: UpstreamFile,
    ) -> BoxFuture<'a, Result<UpstreamFile, String>> {
        Box::pin(async move {
            let Some(leaves) = svc
                .nuget_source_leaves(connection, source, &key(&self.lower_id))
                .await?
            else {
                return Ok(file);
            };
            let Some(leaf) = leaves.leaves.iter().find(|l| l.version == version) else {
                return Ok(file);
            };
            let mut hash = leaf.entry.as_ref().and_then(package_hash);
            if hash.is_none() {
                if let Some(url) = &leaf.entry_url {
                    let body = svc
                        .fetcher
                        .small(source, url, MAX_CATALOG_BYTES)
                        .await
                        .map_err(|e| format!("the catalog entry of {version}: {e}"))?;
                    let doc: Value = serde_json::from_slice(&body)
                        .map_err(|e| format!("the catalog entry of {version}: {e}"))?;
                    hash = doc.as_object().and_then(package_hash);
                }
            }
            file.digests.extend(hash);
            Ok(file)
        })
    }
}

/// `packageHash` (base64) with `packageHashAlgorithm` (SHA512 when absent) as a digest Arca checks.
fn package_hash(entry: &Map<String, Value>) -> Option<ExpectedDigest> {
    let hash = entry.get("packageHash")?.as_str()?;
    let algorithm = entry
        .get("packageHashAlgorithm")
        .and_then(Value::as_str)
        .unwrap_or("SHA512");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(hash)
        .ok()?;
    ExpectedDigest::named(&algorithm.replace('-', ""), &hex::encode(bytes))
}

/// One version of a source's registration.
#[derive(Debug, Clone)]
pub(crate) struct SourceLeaf {
    /// Normalized.
    pub version: String,
    /// The catalog entry when the registration inlines it.
    pub entry: Option<Map<String, Value>>,
    /// Where the full catalog entry is (its `@id`, or the leaf's link).
    pub entry_url: Option<String>,
}

/// A page of a registration that is not inlined.
#[derive(Debug, Clone)]
struct RemotePage(String);

/// A source's registration index, or one of its pages: the leaves it inlines and the pages to
/// fetch.
#[derive(Debug)]
pub struct NugetRegistrationDoc {
    leaves: Vec<SourceLeaf>,
    pages: Vec<RemotePage>,
    cost: usize,
}

/// The leaves of a registration page's `items`.
fn leaves_of(items: &[Value], out: &mut Vec<SourceLeaf>) {
    for leaf in items {
        let Some(entry) = leaf.get("catalogEntry") else {
            continue;
        };
        let (entry, entry_url) = match entry {
            Value::Object(o) => (
                Some(o.clone()),
                o.get("@id").and_then(Value::as_str).map(str::to_string),
            ),
            Value::String(url) => (None, Some(url.clone())),
            _ => continue,
        };
        let version = entry
            .as_ref()
            .and_then(|e| e.get("version")?.as_str())
            .and_then(|v| normalize_version(v).ok());
        if let Some(version) = version {
            out.push(SourceLeaf {
                version,
                entry,
                entry_url,
            });
        }
    }
}

/// A registration document, gunzipped if the source sent it gzipped whatever was asked (nuget.org's
/// gzip registrations do).
fn gunzipped(body: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(body.into());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_REGISTRATION_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("the registration does not gunzip: {e}"))?;
    if out.len() as u64 > MAX_REGISTRATION_BYTES {
        return Err(format!(
            "the registration is over {MAX_REGISTRATION_BYTES} bytes"
        ));
    }
    Ok(out.into())
}

/// A registration index (`{base}{lower_id}/index.json`) or, when the key's name is
/// `{lower_id}\n{url}`, a page the index links to: cached under its package, so that purging the
/// package drops its pages too. Through the index cache like every index.
impl UpstreamIndex for NugetRegistrationDoc {
    const FORMAT: PackageFormat = PackageFormat::Nuget;
    const DEFAULT_TTL: Duration = NugetIndex::DEFAULT_TTL;
    const ACCEPT: &'static str = "application/json, */*";

    fn index_url(base: &str, key: &PackageKey) -> String {
        if let Some((_, page)) = key.name.split_once('\n') {
            page.to_string()
        } else {
            format!("{base}{}/index.json", key.name)
        }
    }

    fn index_base<'a>(
        svc: &'a Service,
        connection: &'a str,
        source: &'a ExternalSource,
    ) -> BoxFuture<'a, Result<String, String>> {
        let missing = "the source's service index has no RegistrationsBaseUrl";
        resource(
            svc,
            connection,
            source,
            |s| s.registrations.as_ref(),
            missing,
        )
    }

    fn parse(body: &[u8], _url: &str) -> Result<Self, String> {
        let body = gunzipped(body)?;
        let v: Value = serde_json::from_slice(&body).map_err(|e| format!("registration: {e}"))?;
        let items = v.get("items").and_then(Value::as_array);
        let items = items.ok_or("the registration has no items")?;
        let (mut leaves, mut pages) = (Vec::new(), Vec::new());
        if items.iter().any(|i| i.get("catalogEntry").is_some()) {
            // A page.
            leaves_of(items, &mut leaves);
        } else {
            for page in items {
                match page.get("items").and_then(Value::as_array) {
                    Some(inline) => leaves_of(inline, &mut leaves),
                    None => pages.extend(
                        page.get("@id")
                            .and_then(Value::as_str)
                            .map(|u| RemotePage(u.to_string())),
                    ),
                }
            }
        }
        Ok(Self {
            leaves,
            pages,
            cost: body.len() * 2 + 256,
        })
    }

    fn cost(&self) -> usize {
        self.cost
    }

    fn has_version(&self, version: &str) -> bool {
        self.leaves.iter().any(|l| l.version == version)
    }

    fn published_ms(&self, _version: &str) -> Option<i64> {
        None
    }

    fn file(&self, _version: &str, _file: &str) -> Option<UpstreamFile> {
        None
    }
}

/// Every leaf of a source's registration, and why part of it is a stale copy.
#[derive(Debug, Default)]
pub(crate) struct SourceLeaves {
    pub leaves: Vec<SourceLeaf>,
    pub stale: Option<String>,
}

impl Service {
    /// The leaves of `key`'s registration at a source, its pages fetched (cached) when not
    /// inlined; `None` when the source has no registration of it.
    pub(crate) async fn nuget_source_leaves(
        &self,
        connection: &str,
        source: &ExternalSource,
        key: &PackageKey,
    ) -> Result<Option<SourceLeaves>, String> {
        let cache = &self.upstream_caches.nuget_registration;
        let mut out = SourceLeaves::default();
        let get = |k: PackageKey| async move {
            match self.source_index(cache, connection, source, &k).await {
                SourceIndex::Fresh(d) => Ok(Some((d, None))),
                SourceIndex::Stale(d, why) => Ok(Some((d, Some(why)))),
                SourceIndex::Missing => Ok(None),
                SourceIndex::Unavailable(why) => Err(why),
            }
        };
        let Some((index, stale)) = get(key.clone()).await? else {
            return Ok(None);
        };
        out.stale = stale;
        out.leaves.extend(index.leaves.iter().cloned());
        for RemotePage(url) in &index.pages {
            let page = PackageKey {
                name: format!("{}\n{url}", key.name),
                ..key.clone()
            };
            if let Some((page, stale)) = get(page).await? {
                out.stale = out.stale.or(stale);
                out.leaves.extend(page.leaves.iter().cloned());
            }
        }
        Ok(Some(out))
    }

    /// The version a `.nupkg` fetched from a source becomes: its own `.nuspec` must name the
    /// package and version asked for; metadata and dependencies come from it, as for a push.
    pub(crate) fn nuget_ingest<'a>(
        &'a self,
        id: &'a str,
        version: &'a str,
        read: BlobRead,
    ) -> BoxFuture<'a, ServiceResult<NativeVersion>> {
        Box::pin(async move {
            let nuspec = read_blocking(read, "a .nupkg", |r| {
                find_nuspec(r).and_then(|b| parse_nuspec(&b))
            })
            .await?
            .ok()
            .filter(|n| {
                n.id.eq_ignore_ascii_case(id)
                    && normalize_version(&n.version).is_ok_and(|v| v == version)
            })
            .ok_or_else(|| {
                ServiceError::Upstream(format!(
                    "the source's package {id} {version} has no readable .nuspec naming it; nothing was kept"
                ))
            })?;
            Ok(super::publish::native_version(&nuspec, version))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_the_service_index_and_the_flat_container() {
        let doc = serde_json::json!({"version": "3.0.0", "resources": [
            {"@id": "https://h/v3/registration5-semver1/", "@type": "RegistrationsBaseUrl"},
            {"@id": "https://h/v3/registration5-gz-semver2", "@type": "RegistrationsBaseUrl/3.6.0"},
            {"@id": "https://h/v3-flatcontainer/", "@type": ["PackageBaseAddress/3.0.0"]},
        ]});
        let s = NugetService::parse(doc.to_string().as_bytes(), "https://h/v3/index.json").unwrap();
        assert_eq!(s.flat, "https://h/v3-flatcontainer/");
        assert_eq!(
            s.registrations.as_deref(),
            Some("https://h/v3/registration5-gz-semver2/")
        );
        let none = serde_json::json!({"resources": [{"@id": "/rel/", "@type": "PackageBaseAddress/3.0.0"}]});
        assert!(NugetService::parse(none.to_string().as_bytes(), "x").is_err());

        let body = br#"{"versions":["1.0.0","1.01.0","2.0.0-Beta","bad!"]}"#;
        let url = "https://h/v3-flatcontainer/kit.core/index.json";
        let idx = NugetIndex::parse(body, url).unwrap();
        assert_eq!(idx.versions, ["1.0.0", "1.1.0", "2.0.0-beta"]);
        assert!(idx.has_version("1.0.0.0") && !idx.has_version("3.0.0"));
        let f = idx.file("2.0.0-beta", "kit.core.2.0.0-beta.nupkg").unwrap();
        assert_eq!(
            f.url,
            "https://h/v3-flatcontainer/kit.core/2.0.0-beta/kit.core.2.0.0-beta.nupkg"
        );
        assert!(f.digests.is_empty());
        assert!(idx.file("2.0.0-beta", "other.2.0.0-beta.nupkg").is_none());
        assert!(idx.file("9.0.0", "kit.core.9.0.0.nupkg").is_none());
    }

    #[test]
    fn reads_registrations_inline_paged_and_gzipped() {
        let hash = base64::engine::general_purpose::STANDARD.encode([0xabu8; 64]);
        let index = serde_json::json!({"count": 2, "items": [
            {"@id": "https://h/reg/kit/page/1.0.0/1.0.0.json", "lower": "1.0.0", "upper": "1.0.0", "items": [
                {"@id": "https://h/reg/kit/1.0.0.json", "catalogEntry": {
                    "@id": "https://h/catalog/kit.1.0.0.json", "id": "Kit", "version": "1.0.0+b",
                    "packageHash": hash, "packageHashAlgorithm": "SHA512"}}
            ]},
            {"@id": "https://h/reg/kit/page/2.0.0/3.0.0.json", "lower": "2.0.0", "upper": "3.0.0"}
        ]});
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(index.to_string().as_bytes()).unwrap();
        let doc = NugetRegistrationDoc::parse(&gz.finish().unwrap(), "u").unwrap();
        assert_eq!(doc.leaves.len(), 1);
        assert_eq!(doc.leaves[0].version, "1.0.0");
        assert_eq!(
            package_hash(doc.leaves[0].entry.as_ref().unwrap()),
            Some(ExpectedDigest::Sha512("ab".repeat(64)))
        );
        assert_eq!(
            doc.leaves[0].entry_url.as_deref(),
            Some("https://h/catalog/kit.1.0.0.json")
        );
        assert_eq!(doc.pages.len(), 1);
        assert_eq!(doc.pages[0].0, "https://h/reg/kit/page/2.0.0/3.0.0.json");
        let page = serde_json::json!({"items": [
            {"catalogEntry": {"id": "Kit", "version": "2.0.0"}},
            {"catalogEntry": "https://h/catalog/kit.3.0.0.json"}
        ]});
        let doc = NugetRegistrationDoc::parse(page.to_string().as_bytes(), "u").unwrap();
        assert_eq!(
            doc.leaves.len(),
            1,
            "a leaf without an inline entry has no version"
        );
        assert!(package_hash(doc.leaves[0].entry.as_ref().unwrap()).is_none());
        let key = |n: &str| PackageKey {
            format: PackageFormat::Nuget,
            namespace: String::new(),
            name: n.into(),
        };
        assert_eq!(
            NugetRegistrationDoc::index_url("https://h/reg/", &key("kit")),
            "https://h/reg/kit/index.json"
        );
        assert_eq!(
            NugetRegistrationDoc::index_url("https://h/reg/", &key("kit\nhttps://h/p.json")),
            "https://h/p.json"
        );
    }
}
