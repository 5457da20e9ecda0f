//! Upstreams and external connections: a native read that misses in a repository looks through its
//! upstream repositories and the external source of the repository that owns one, keeps what it
//! fetched, and merges indexes (`upstreams-formats-permissions.md` §A1–A5).
//!
//! - `connections`: the external connection names, their configured sources, associate/disassociate.
//! - [`Service::search_order`]: which repositories a read consults, in which order.
//! - `fetch`: the HTTP client of external sources; `cache`: their parsed indexes, with TTL,
//!   revalidation, stale-if-error and a negative cache.
//! - [`UpstreamIndex`]: what a format gives the machinery (where its index is, how to parse it,
//!   which versions and files it offers and their digests). Each format implements it once
//!   (`npm::upstream`, `pypi::upstream`, `maven::upstream`, `cargo::upstream`,
//!   `ruby::upstream`, `nuget::upstream`); the rules (order, retention,
//!   verification, origin controls) stay here.

pub(crate) mod cache;
pub mod connections;
pub(crate) mod controls;
pub(crate) mod fetch;
pub mod purge;
pub(crate) mod retain;
pub(crate) mod tee;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use arca_blobstore::BlobInfo;
use arca_metadata::{PackageFormat, PackageKey, RepositoryRow};
use arca_metrics::FetchKind;
use futures::future::BoxFuture;

use cache::{IndexCache, NEGATIVE_TTL};
use connections::ExternalSource;
use fetch::{FetchError, Fetched};

use crate::{Service, ServiceResult};

/// A digest an external source promises for a file, checked against the bytes before they are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpectedDigest {
    /// Hex (compared case-insensitively).
    Md5(String),
    Sha1(String),
    Sha256(String),
    Sha512(String),
}

impl ExpectedDigest {
    fn matches(&self, info: &BlobInfo) -> bool {
        match self {
            Self::Md5(h) => h.eq_ignore_ascii_case(&info.md5),
            Self::Sha1(h) => h.eq_ignore_ascii_case(&info.sha1),
            Self::Sha256(h) => h.eq_ignore_ascii_case(&info.sha256.to_hex()),
            Self::Sha512(h) => h.eq_ignore_ascii_case(&info.sha512),
        }
    }

    /// The digest a hash name of an index (`sha256`, `md5`, …; PEP 503/691 names) stands for, if
    /// Arca can check it and `hex` is well-formed for it.
    pub(crate) fn named(name: &str, hex: &str) -> Option<Self> {
        let (len, make): (usize, fn(String) -> Self) = match name.to_ascii_lowercase().as_str() {
            "md5" => (32, Self::Md5),
            "sha1" => (40, Self::Sha1),
            "sha256" => (64, Self::Sha256),
            "sha512" => (128, Self::Sha512),
            _ => return None,
        };
        let ok = hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| make(hex.to_ascii_lowercase()))
    }
}

/// Why a file whose index entry has no digest is refused.
pub(crate) const NO_DIGEST: &str = "the source's index gives no digest to verify the file against";

/// Whether fetched bytes are what the source's index promised: at least one digest, all matching.
pub(crate) fn verify(expected: &[ExpectedDigest], info: &BlobInfo) -> Result<(), String> {
    if expected.is_empty() {
        return Err(NO_DIGEST.into());
    }
    match expected.iter().find(|d| !d.matches(info)) {
        None => Ok(()),
        Some(d) => Err(format!(
            "the file does not match the {d:?} digest of the source's index"
        )),
    }
}

/// A file of a version as an external source's index offers it.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpstreamFile {
    pub url: String,
    pub digests: Vec<ExpectedDigest>,
    /// Checksum files published beside the file (Maven's `{file}.sha1`), as (hash name, URL):
    /// fetched before the file and added to `digests`; one the source does not have is skipped.
    pub checksum_files: Vec<(&'static str, String)>,
    /// PyPI: the index's `Requires-Python` for the file, kept with it.
    pub requires_python: Option<String>,
}

/// What the upstream machinery needs from a format's index of one package at an external source.
pub(crate) trait UpstreamIndex: Send + Sync + Sized + 'static {
    const FORMAT: PackageFormat;
    /// How long a fetched index is fresh unless the connection sets `metadata_ttl`.
    const DEFAULT_TTL: Duration;
    /// The `Accept` header of index requests.
    const ACCEPT: &'static str;
    /// The index URL of `key` below `base` (the source's URL, or what [`Self::index_base`] found;
    /// it ends with `/`).
    fn index_url(base: &str, key: &PackageKey) -> String;
    /// Where the source keeps this kind of index: its configured URL, unless the format finds the
    /// place in another document of the source (NuGet's service index names its resources),
    /// fetched and cached through the same machinery; the reason when it cannot be had.
    fn index_base<'a>(
        _svc: &'a Service,
        _connection: &'a str,
        source: &'a ExternalSource,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(std::future::ready(Ok(source.url.clone())))
    }
    /// Parses a fetched index; `url` is where it came from (for relative links).
    fn parse(body: &[u8], url: &str) -> Result<Self, String>;
    /// An estimate of the parsed index's size in memory, for the cache's bound.
    fn cost(&self) -> usize;
    /// Whether the source lists `version` (whatever its age).
    fn has_version(&self, version: &str) -> bool;
    /// When the source published `version` (ms since the epoch), if it says.
    fn published_ms(&self, version: &str) -> Option<i64>;
    /// When the source published `file` of `version` (the minimum release age applies to it):
    /// the version's time unless the format dates files one by one (PyPI's `upload-time`).
    fn file_published_ms(&self, version: &str, _file: &str) -> Option<i64> {
        self.published_ms(version)
    }
    /// The asset a requested file is stored as (the file's own name, except for npm, which keeps
    /// every tarball as `package.tgz`).
    fn asset_name(file: &str) -> &str {
        file
    }
    /// The file `file` of `version`, where to fetch it and the digests it must have.
    fn file(&self, version: &str, file: &str) -> Option<UpstreamFile>;
    /// Completes `file` of `version` from other documents of the source, fetched and cached through
    /// the same machinery (cargo builds its URL from the source's `config.json`); the reason when
    /// they cannot be had.
    fn locate<'a>(
        &'a self,
        _svc: &'a Service,
        _connection: &'a str,
        _source: &'a ExternalSource,
        _version: &'a str,
        file: UpstreamFile,
    ) -> BoxFuture<'a, Result<UpstreamFile, String>> {
        Box::pin(std::future::ready(Ok(file)))
    }
}

/// What an external source has for a package, as far as Arca can tell now.
#[derive(Debug)]
pub(crate) enum SourceIndex<T> {
    /// Fetched or revalidated within its TTL.
    Fresh(Arc<T>),
    /// The source failed; this is the last copy it gave (the reason is kept for the `Warning`).
    Stale(Arc<T>, String),
    /// The source says it has no such package.
    Missing,
    /// The source failed and nothing is cached.
    Unavailable(String),
}

impl<T> SourceIndex<T> {
    /// The index a merged read takes from the source, if any: a stale copy's reason goes to
    /// `stale` (for the `Warning`), an outage's to `unavailable` (for the error when nothing
    /// else has the package).
    pub(crate) fn for_merge(
        self,
        stale: &mut Option<String>,
        unavailable: &mut Option<String>,
    ) -> Option<Arc<T>> {
        match self {
            SourceIndex::Fresh(index) => Some(index),
            SourceIndex::Stale(index, why) => {
                *stale = Some(why);
                Some(index)
            }
            SourceIndex::Missing => None,
            SourceIndex::Unavailable(why) => {
                *unavailable = Some(why);
                None
            }
        }
    }
}

/// The `Warning` sent with an answer built from a stale index.
pub const STALE_WARNING: &str =
    "110 arca \"Response is Stale: the upstream source is unavailable\"";

/// The per-format caches of external indexes.
#[derive(Debug, Default)]
pub(crate) struct UpstreamCaches {
    pub npm: IndexCache<crate::npm::upstream::NpmIndex>,
    pub pypi: IndexCache<crate::pypi::upstream::PypiIndex>,
    pub maven: IndexCache<crate::maven::upstream::MavenIndex>,
    pub cargo: IndexCache<crate::cargo::upstream::CargoIndex>,
    pub ruby: IndexCache<crate::ruby::upstream::RubyIndex>,
    /// Sources' `versions`, one per connection.
    pub ruby_versions: IndexCache<crate::ruby::upstream::RubyVersions>,
    /// Sources' `config.json`, one per connection.
    pub cargo_config: IndexCache<crate::cargo::upstream::CargoConfig>,
    /// Flat container version lists.
    pub nuget: IndexCache<crate::nuget::upstream::NugetIndex>,
    /// Sources' service indexes, one per connection.
    pub nuget_service: IndexCache<crate::nuget::upstream::NugetService>,
    /// Registration indexes and the pages they do not inline.
    pub nuget_registration: IndexCache<crate::nuget::upstream::NugetRegistrationDoc>,
}

impl UpstreamCaches {
    /// Removes the entries whose key (`cache_key`) `select` picks, in every format's cache.
    pub(crate) fn purge(&self, select: &dyn Fn(&str) -> bool) -> usize {
        // Destructured so that a format added to the caches cannot be forgotten here.
        let Self {
            npm,
            pypi,
            maven,
            cargo,
            ruby,
            ruby_versions,
            cargo_config,
            nuget,
            nuget_service,
            nuget_registration,
        } = self;
        npm.purge(select)
            + pypi.purge(select)
            + maven.purge(select)
            + cargo.purge(select)
            + ruby.purge(select)
            + ruby_versions.purge(select)
            + cargo_config.purge(select)
            + nuget.purge(select)
            + nuget_service.purge(select)
            + nuget_registration.purge(select)
    }
}

fn cache_key(connection: &str, key: &PackageKey) -> String {
    format!("{connection}\n{}/{}", key.namespace, key.name)
}

impl Service {
    /// Counts a request to `connection`'s source; only `Unavailable` is an error (a 404 is an
    /// answer).
    pub(crate) fn count_fetch<T>(
        &self,
        connection: &str,
        kind: FetchKind,
        outcome: &Result<T, FetchError>,
    ) {
        let ok = !matches!(outcome, Err(FetchError::Unavailable(_)));
        self.metrics.upstream_fetch(connection, kind, ok);
    }

    /// The external source of `repo` for `format`, if it has a connection of that format with a
    /// configured URL.
    pub(crate) fn source_of(
        &self,
        repo: &RepositoryRow,
        format: PackageFormat,
    ) -> Option<(String, &ExternalSource)> {
        let name = repo.external_connection.as_deref()?;
        if connections::connection_format(name) != Some(format) {
            return None;
        }
        Some((name.to_string(), self.external_source(name)?))
    }

    /// The external source of `hop` for `format` through which versions of `key` may come in (its
    /// connection configured, and the package's `upstream` control and group allowing it there).
    pub(crate) async fn open_source(
        &self,
        hop: &RepositoryRow,
        format: PackageFormat,
        key: &PackageKey,
    ) -> ServiceResult<Option<(String, &ExternalSource)>> {
        let Some(found) = self.source_of(hop, format) else {
            return Ok(None);
        };
        let via = crate::groups::Via::ExternalConnection;
        Ok(self.upstream_allowed(hop, key, via).await?.then_some(found))
    }

    /// The source's index of `key`: from the cache while fresh, else fetched (revalidated when a
    /// copy is cached); the cached copy when the source fails.
    pub(crate) async fn source_index<T: UpstreamIndex>(
        &self,
        cache: &IndexCache<T>,
        connection: &str,
        source: &ExternalSource,
        key: &PackageKey,
    ) -> SourceIndex<T> {
        let ckey = cache_key(connection, key);
        let cached = cache.get(&ckey);
        let ttl = source.metadata_ttl.unwrap_or(T::DEFAULT_TTL);
        if let Some(e) = &cached {
            let age = e.checked.elapsed();
            match &e.index {
                Some(i) if age < ttl => {
                    self.metrics.upstream_cache(connection, true);
                    return SourceIndex::Fresh(i.clone());
                }
                None if age < NEGATIVE_TTL.min(ttl) => {
                    self.metrics.upstream_cache(connection, true);
                    return SourceIndex::Missing;
                }
                _ => {}
            }
        }
        self.metrics.upstream_cache(connection, false);
        let last = cached.as_ref().and_then(|e| e.index.clone());
        let failed = |why: String, url: &str| {
            tracing::warn!(connection, url, error = %why, "upstream index unavailable");
            match last.clone() {
                Some(i) => {
                    self.metrics.upstream_stale(connection);
                    SourceIndex::Stale(i, why)
                }
                None => SourceIndex::Unavailable(why),
            }
        };
        let url = match T::index_base(self, connection, source).await {
            Ok(base) => T::index_url(&base, key),
            Err(why) => return failed(why, &source.url),
        };
        let failed = |why: String| failed(why, &url);
        let validators = cached
            .as_ref()
            .filter(|e| e.index.is_some())
            .map(|e| e.validators.clone());
        let outcome = self
            .fetcher
            .document(source, &url, T::ACCEPT, validators.as_ref())
            .await;
        self.count_fetch(connection, FetchKind::Index, &outcome);
        match outcome {
            Ok(Fetched::NotModified) => match last.clone() {
                Some(i) => {
                    cache.touch(&ckey);
                    SourceIndex::Fresh(i)
                }
                None => failed("the source answered 304 to an unconditional request".into()),
            },
            Ok(Fetched::Document { body, validators }) => {
                let parsed = {
                    let url = url.clone();
                    tokio::task::spawn_blocking(move || T::parse(&body, &url)).await
                };
                match parsed {
                    Ok(Ok(index)) => {
                        let index = Arc::new(index);
                        cache.put(&ckey, Some(index.clone()), validators, index.cost());
                        SourceIndex::Fresh(index)
                    }
                    Ok(Err(e)) => failed(format!("the source's index does not parse: {e}")),
                    Err(e) => failed(format!("parsing the source's index: {e}")),
                }
            }
            Err(FetchError::NotFound) => {
                cache.put(&ckey, None, Default::default(), 64);
                SourceIndex::Missing
            }
            Err(FetchError::Unavailable(why)) => failed(why),
        }
    }

    /// The repositories a native read of `start` consults, in order: `start`, then its upstreams
    /// depth-first in list order (a whole upstream subtree before the next sibling), each repository
    /// once (cycles and diamonds are safe), at most `max_searched_repositories` in all. The external
    /// connection of a repository is consulted where that repository stands in the order.
    pub(crate) async fn search_order(
        &self,
        start: &RepositoryRow,
    ) -> ServiceResult<Vec<RepositoryRow>> {
        let max = self.config.limits.max_searched_repositories.max(1);
        let mut order: Vec<RepositoryRow> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        // Names still to visit, the next one last; `start` is already loaded.
        let mut stack: Vec<String> = Vec::new();
        let mut next = Some(start.clone());
        loop {
            if let Some(repo) = next.take() {
                if seen.insert(repo.name.clone()) {
                    stack.extend(repo.upstreams.iter().rev().cloned());
                    order.push(repo);
                    if order.len() >= max {
                        break;
                    }
                }
            }
            let Some(name) = stack.pop() else {
                break;
            };
            if seen.contains(&name) {
                continue;
            }
            // An upstream cannot be deleted while listed, but a concurrent change may race: skip it.
            next = self.store.get_repository(start.domain_id, &name).await?;
        }
        Ok(order)
    }
}

/// Keys (a repository and a file) being fetched from an upstream now: later requests for the same
/// key wait for the first, then find what it kept.
#[derive(Debug, Default)]
pub(crate) struct SingleFlight {
    keys: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The right to fetch one key: held by the one fetch of it (which may move it into a task of its
/// own); the next waiter gets it when it is dropped.
pub(crate) struct FlightGuard {
    flights: Arc<SingleFlight>,
    key: String,
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl SingleFlight {
    /// Waits until no one else holds `key`, and holds it.
    pub async fn enter(self: Arc<Self>, key: String) -> FlightGuard {
        let lock = {
            let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            keys.entry(key.clone()).or_default().clone()
        };
        let held = Some(lock.lock_owned().await);
        FlightGuard {
            flights: self,
            key,
            held,
        }
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        let mut keys = self.flights.keys.lock().unwrap_or_else(|e| e.into_inner());
        drop(self.held.take());
        // The last one out removes the key: only the map refers to its lock, nobody waits on it.
        if keys
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            keys.remove(&self.key);
        }
    }
}
