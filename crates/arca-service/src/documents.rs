//! What is kept between requests (`Kept`): rendered native documents (npm packuments, PyPI
//! project pages), the encoded answers of the API's hot reads, version lookups, and domains and
//! repositories by name — each derived from the metadata alone (a document that consulted an
//! upstream source's index is not kept: that index has a TTL of its own).
//!
//! A value is kept only while nothing could have changed it:
//! - every entry belongs to the [`ChangeEpoch`] that was current *before* the metadata was read
//!   for it; the epoch moves after every store call that may write on this process (before the call
//!   returns: a replica reads its own writes), and when the backend's change feed says another
//!   replica committed (PostgreSQL's LISTEN/NOTIFY) — an entry of an older epoch is never served;
//! - and no entry is served once it is older than the TTL ([`ServiceConfig::document_ttl`],
//!   default [`DEFAULT_DOCUMENT_TTL`]): the bound that holds if a notification comes late, the feed
//!   is down, or another process writes an SQLite file beside the server.
//!
//! The epoch is global, not per package: any write empties the caches. Simple and impossible to get
//! wrong by missing a dependency; a server taking many writes a second mostly renders afresh (what
//! it did before this cache existed), one serving installs between publishes serves from memory.
//!
//! Who may read a document or an answer is checked on every request before a cache is asked; the
//! keys name the repository (documents) or the operation, its input and the acting account
//! (answers), so nothing is served for anything but what it was made for.
//!
//! [`ServiceConfig::document_ttl`]: crate::ServiceConfig::document_ttl

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::mem::size_of;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arca_metadata::{
    CallObserver, ChangeEpoch, DomainRow, RepositoryRow, VersionLookup, VersionPath,
};
use bytes::Bytes;

pub use crate::digest_cache::Weigh;

/// Default of [`crate::ServiceConfig::document_ttl`].
pub const DEFAULT_DOCUMENT_TTL: Duration = Duration::from_secs(2);

/// Bytes kept at most by one cache; past it the cache starts again empty.
const MAX_BYTES: usize = 64 << 20;

/// A value larger than this is not kept (it would crowd out the rest).
const MAX_ENTRY_BYTES: usize = 8 << 20;

/// A rendered document: the bytes sent and their media type.
#[derive(Debug, Clone)]
pub struct Document {
    pub body: Bytes,
    pub content_type: &'static str,
}

/// Where a document comes from: the repository it is rendered for, what it is (format and
/// variant: `npm`, `npm-abbreviated`, `pypi-html`, …) and the package it is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentKey {
    pub repository_id: i64,
    pub kind: &'static str,
    pub name: String,
}

/// Taken before the metadata is read for a document: the epoch and time it is kept under.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    epoch: u64,
    born: Instant,
}

impl Weigh for Document {
    fn weight(&self) -> usize {
        self.body.len() + size_of::<Self>()
    }
}

impl Weigh for DocumentKey {
    fn weight(&self) -> usize {
        self.name.len() + size_of::<Self>()
    }
}

/// Values derived from the metadata, kept while the epoch holds and for at most the TTL (the
/// rules above); at most `MAX_BYTES` of them, past which it starts again empty.
pub struct EpochCache<K, V> {
    epoch: Arc<ChangeEpoch>,
    ttl: Duration,
    inner: Mutex<Inner<K, V>>,
}

/// The rendered native documents (one per process, shared by every request).
pub type DocumentCache = EpochCache<DocumentKey, Document>;

struct Inner<K, V> {
    /// The epoch every entry belongs to (entries of older epochs are dropped, not kept).
    epoch: u64,
    map: HashMap<K, (V, Instant, usize)>,
    bytes: usize,
}

impl<K, V> Inner<K, V> {
    /// Empties the cache when the epoch moved past its entries'; false when `epoch` is older
    /// than the entries (the caller's reading is out of date).
    fn at(&mut self, epoch: u64) -> bool {
        if epoch > self.epoch {
            self.map.clear();
            self.bytes = 0;
            self.epoch = epoch;
        }
        epoch == self.epoch
    }
}

impl<K: Eq + Hash + Weigh, V: Clone + Weigh> EpochCache<K, V> {
    pub fn new(epoch: Arc<ChangeEpoch>, ttl: Duration) -> Self {
        Self {
            epoch,
            ttl,
            inner: Mutex::new(Inner {
                epoch: 0,
                map: HashMap::new(),
                bytes: 0,
            }),
        }
    }

    /// The value, if one is kept for `key` and still holds.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let now = self.epoch.current();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !inner.at(now) {
            return None;
        }
        match inner.map.get(key) {
            Some((value, born, _)) if born.elapsed() < self.ttl => Some(value.clone()),
            _ => None,
        }
    }

    /// To be taken before reading what a value is derived from.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            epoch: self.epoch.current(),
            born: Instant::now(),
        }
    }

    /// Keeps `value` for `key`, unless the metadata may have changed since `ticket` was taken.
    pub fn put(&self, ticket: Ticket, key: K, value: V) {
        let size = key.weight() + value.weight();
        if size > MAX_ENTRY_BYTES || ticket.epoch != self.epoch.current() {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !inner.at(ticket.epoch) {
            return;
        }
        if inner.bytes + size > MAX_BYTES {
            inner.map.clear();
            inner.bytes = 0;
        }
        if let Some((_, _, old)) = inner.map.insert(key, (value, ticket.born, size)) {
            inner.bytes -= old;
        }
        inner.bytes += size;
    }

    /// The kept value for `key`, else what `load` reads (kept unless a write came first).
    pub(crate) async fn get_or_load<E, F, Fut>(&self, key: K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let ticket = self.ticket();
        let v = load().await?;
        self.put(ticket, key, v.clone());
        Ok(v)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().unwrap().map.len()
    }
}

/// A version's full path (what [`arca_metadata::PackageStore::lookup_version`] is asked), as one
/// string: its parts joined by NUL, which no name contains.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LookupKey(String);

impl LookupKey {
    pub(crate) fn of(p: &VersionPath<'_>) -> Self {
        let parts = [
            p.domain_owner,
            p.domain,
            p.repository,
            p.package.format.as_str(),
            &p.package.namespace,
            &p.package.name,
            p.version,
        ];
        let mut s = String::with_capacity(parts.iter().map(|x| x.len() + 1).sum());
        for part in parts {
            s.push_str(part);
            s.push('\0');
        }
        Self(s)
    }
}

impl Weigh for LookupKey {
    fn weight(&self) -> usize {
        self.0.capacity() + size_of::<Self>()
    }
}

impl Weigh for Arc<VersionLookup> {
    /// An estimate: the rows' fixed parts and their longest texts.
    fn weight(&self) -> usize {
        let repo = self.repository.as_ref();
        let m = self.version.as_ref().map(|v| &v.metadata);
        let text = |t: Option<&Option<String>>| t.and_then(|t| t.as_ref()).map_or(0, String::len);
        size_of::<VersionLookup>()
            + 512
            + text(repo.map(|r| &r.description))
            + text(m.map(|m| &m.summary))
            + text(m.map(|m| &m.licenses_json))
    }
}

impl Weigh for String {
    fn weight(&self) -> usize {
        self.capacity() + size_of::<Self>()
    }
}

impl Weigh for Bytes {
    fn weight(&self) -> usize {
        self.len() + size_of::<Self>()
    }
}

/// Encoded answers of read operations, by the operation and its validated input (the API's
/// `kept.rs` says which operations, and builds the key).
pub type AnswerCache = EpochCache<String, Bytes>;

/// Version lookups of the core operations (Describe, ListPackageVersionAssets, GetAsset, …).
pub type LookupCache = EpochCache<LookupKey, Arc<VersionLookup>>;

impl Weigh for DomainRow {
    fn weight(&self) -> usize {
        self.owner.len() + self.name.len() + 64
    }
}

impl Weigh for RepositoryRow {
    /// An estimate: the row's fixed part, its texts and its upstreams.
    fn weight(&self) -> usize {
        256 + self.description.as_ref().map_or(0, String::len)
            + self.upstreams.iter().map(|u| u.len() + 32).sum::<usize>()
    }
}

/// Everything kept between requests, each cache under the same epoch and TTL.
pub(crate) struct Kept {
    pub(crate) documents: DocumentCache,
    pub(crate) answers: AnswerCache,
    /// The core operations' version lookups.
    pub(crate) lookups: LookupCache,
    /// Domains by owner and name (`resolve_domain`; absent ones too).
    pub(crate) domains: EpochCache<String, Option<DomainRow>>,
    /// Repositories by domain id and name (`find_repo`; absent ones too).
    pub(crate) repositories: EpochCache<String, Option<RepositoryRow>>,
}

impl Kept {
    pub(crate) fn new(epoch: Arc<ChangeEpoch>, ttl: Duration) -> Self {
        Self {
            documents: EpochCache::new(epoch.clone(), ttl),
            answers: EpochCache::new(epoch.clone(), ttl),
            lookups: EpochCache::new(epoch.clone(), ttl),
            domains: EpochCache::new(epoch.clone(), ttl),
            repositories: EpochCache::new(epoch, ttl),
        }
    }
}

/// Store calls that never change what a document is rendered from: reads, and the writes of
/// bookkeeping no document shows (audit records, blob leases and collection, cargo's
/// `Last-Modified` stamps). Every other call moves the epoch when it ends — a call missing here
/// only costs a needless bump, never a stale document.
const KEEPS_EPOCH: &[&str] = &[
    "get_domain",
    "domain_stats",
    "list_domains",
    "list_all_domains",
    "get_repository",
    "list_repositories",
    "downstreams_of",
    "get_package",
    "list_packages",
    "get_version",
    "lookup_version",
    "list_versions",
    "latest_published_version",
    "version_assets",
    "list_assets",
    "get_asset",
    "package_assets",
    "list_tags",
    "list_all_tags",
    "touch_blob",
    "claim_unreferenced_blobs",
    "claim_orphan_blob",
    "forget_blobs",
    "blob_known",
    "referenced_blobs",
    "principal_by_access_key",
    "principal_by_arn",
    "list_principals",
    "get_resource_policy",
    "append_audit",
    "list_audit",
    "prune_audit",
    "list_dist_tags",
    "version_details",
    "version_readme",
    "list_dependencies",
    "package_deprecations",
    "stamp_document",
    "package_groups_revision",
    "get_package_group",
    "list_package_groups",
    "list_allowed_repositories",
    "domain_allowed_repositories",
    "list_domain_packages",
];

/// Moves the epoch after every store call that may change a document (the service wraps its
/// store with it, so no write of this process can miss it).
pub(crate) struct EpochObserver(pub(crate) Arc<ChangeEpoch>);

/// Bumps the epoch when dropped, i.e. when the call ends (however it ends: a failed write may
/// still have committed part of what it did elsewhere, and a needless bump costs little).
pub(crate) struct Bump(Option<Arc<ChangeEpoch>>);

impl CallObserver for EpochObserver {
    type Guard = Bump;
    fn enter(&self, method: &'static str) -> Bump {
        Bump((!KEEPS_EPOCH.contains(&method)).then(|| self.0.clone()))
    }
}

impl Drop for Bump {
    fn drop(&mut self) {
        if let Some(epoch) = &self.0 {
            epoch.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> DocumentKey {
        DocumentKey {
            repository_id: 1,
            kind: "npm",
            name: name.into(),
        }
    }

    fn doc(body: &'static str) -> Document {
        Document {
            body: Bytes::from_static(body.as_bytes()),
            content_type: "application/json",
        }
    }

    #[test]
    fn a_document_holds_until_the_epoch_moves() {
        let epoch = Arc::new(ChangeEpoch::default());
        let cache = DocumentCache::new(epoch.clone(), Duration::from_secs(60));
        let t = cache.ticket();
        cache.put(t, key("a"), doc("one"));
        assert_eq!(cache.get(&key("a")).unwrap().body, "one");
        assert!(cache.get(&key("b")).is_none());
        epoch.bump();
        assert!(cache.get(&key("a")).is_none());
        assert_eq!(cache.len(), 0, "a moved epoch empties the cache");
    }

    #[test]
    fn a_document_read_before_a_write_is_not_kept() {
        let epoch = Arc::new(ChangeEpoch::default());
        let cache = DocumentCache::new(epoch.clone(), Duration::from_secs(60));
        let t = cache.ticket();
        epoch.bump(); // a write committed while the document was being rendered
        cache.put(t, key("a"), doc("old"));
        assert!(cache.get(&key("a")).is_none());
        // Nor when another request already filled the cache at the newer epoch.
        let newer = cache.ticket();
        cache.put(newer, key("b"), doc("new"));
        cache.put(t, key("a"), doc("old"));
        assert!(cache.get(&key("a")).is_none());
        assert_eq!(cache.get(&key("b")).unwrap().body, "new");
    }

    #[test]
    fn no_document_outlives_the_ttl() {
        let epoch = Arc::new(ChangeEpoch::default());
        let cache = DocumentCache::new(epoch, Duration::ZERO);
        cache.put(cache.ticket(), key("a"), doc("one"));
        assert!(cache.get(&key("a")).is_none());
    }

    #[test]
    fn writes_move_the_epoch_and_reads_do_not() {
        let epoch = Arc::new(ChangeEpoch::default());
        let observer = EpochObserver(epoch.clone());
        drop(observer.enter("lookup_version"));
        drop(observer.enter("append_audit"));
        assert_eq!(epoch.current(), 0);
        let during = observer.enter("apply_publish");
        assert_eq!(epoch.current(), 0, "not before the write ends");
        drop(during);
        assert_eq!(epoch.current(), 1);
        drop(observer.enter("a_method_added_later"));
        assert_eq!(epoch.current(), 2, "an unknown call moves it");
    }
}
