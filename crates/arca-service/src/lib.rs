//! Arca's service layer: every rule about domains, repositories, packages, versions and assets lives
//! here, once, for the CodeArtifact API and every native protocol (npm, PyPI, Maven, cargo, Swift).
//!
//! Architecture invariants:
//! - No HTTP, SQL or object-store types cross this crate's API: callers pass domain values and get
//!   domain values or a [`ServiceError`] back.
//! - Reads decide, writes compare-and-set: an operation reads the state, applies the rules, and asks the
//!   store to write only if the state is still what it read; on `PreconditionFailed` it re-reads and
//!   decides again (bounded retries). Concurrent publishers and replicas therefore see one winner and
//!   the documented answer for the others.
//! - A publish stores bytes first (verified, content-addressed, per domain) and commits metadata last,
//!   so a version is either fully there or absent.

mod access;
pub mod arn;
pub mod cargo;
pub mod coords;
mod copy;
mod details;
mod digest_cache;
pub mod documents;
mod domains;
mod endpoints;
mod error;
mod fields;
mod gc;
pub mod groups;
mod lease;
mod lifecycle;
pub mod maven;
mod native;
pub mod npm;
pub mod nuget;
mod packages;
mod paging;
pub mod policy;
mod publish;
pub mod pypi;
mod ready;
mod repositories;
pub mod revision;
pub mod ruby;
pub mod swift;
mod tags;
#[cfg(test)]
mod test_zip;
mod tokens;
mod transfer;
mod types;
pub mod upstream;
mod versions;

use std::sync::Arc;

use arca_blobstore::BlobStore;
use arca_metadata::MetadataStore;

pub use access::{
    AuditQuery, PolicyTarget, PrincipalInfo, PrincipalKey, PrincipalSpec, ResourcePolicy, Target,
};
pub use arca_metadata::{
    GroupMode, GroupRestriction, OriginRule, OriginType, PackageFormat, VersionStatus,
};
pub use arca_metrics as metrics;
pub use copy::CopyRequest;
pub use details::{DependencyList, VersionReadme, MAX_README_BYTES};
use digest_cache::DigestCache;
pub use endpoints::endpoint_path;
pub use error::{ResourceType, ServiceError, ServiceResult};
pub use fields::{
    check_asset_name, MAX_ASSET_NAME_CHARS, MAX_DISPLAY_NAME_CHARS, MAX_FIELD_CHARS, MAX_LICENSES,
};
pub use gc::{CheckReport, GcReport};
pub use groups::{
    AllowedRepositoryUpdate, AssociatedPackage, AssociationType, GroupReference,
    PackageGroupDescription, RestrictionDescription,
};
pub use lifecycle::VersionSelection;
pub use native::{NativeRepo, StagedAsset};
pub use packages::{PackageListing, VersionListing};
pub use paging::{Page, Pager};
pub use publish::PublishRequest;
pub use ready::NotReady;
pub use repositories::RepositoryListing;
pub use tokens::{
    AuthorizationToken, TokenError, TokenGrant, DEFAULT_TOKEN_SECONDS, MIN_TOKEN_SECONDS,
};
pub use transfer::{TransferError, TransferReport, TransferResult};
pub use types::*;

/// Limits from `decisions.md` (all configurable).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_asset_bytes: u64,
    pub max_assets_per_version: usize,
    pub max_upstreams: usize,
    /// Repositories a native read consults at most (the requested one and its upstreams).
    pub max_searched_repositories: usize,
    pub max_tags: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_asset_bytes: 5 * 1024 * 1024 * 1024,
            max_assets_per_version: 350,
            max_upstreams: 10,
            max_searched_repositories: 25,
            max_tags: 200,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Region written into ARNs.
    pub region: String,
    pub limits: Limits,
    /// How long unreferenced bytes are kept before the collector may free them. A writer's lease is
    /// refreshed every quarter of it, so any upload, however slow, is safe.
    pub blob_grace: std::time::Duration,
    /// Base URL of native endpoints (`public_url`); `None`: `http://` and the bound address.
    pub public_url: Option<String>,
    /// The source of each external connection name the operator configured.
    pub external_connections:
        std::collections::BTreeMap<String, upstream::connections::ExternalSource>,
    /// The `[[principals]]` of the configuration (the store holds the others).
    pub principals: Vec<PrincipalSpec>,
    /// How long a rendered native document may be served without reading the metadata again,
    /// at most ([`documents`]; default [`documents::DEFAULT_DOCUMENT_TTL`]): the staleness bound
    /// across replicas when a change notification is late or lost.
    pub document_ttl: std::time::Duration,
}

/// Default of [`ServiceConfig::blob_grace`].
pub const DEFAULT_BLOB_GRACE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What the wire knows about a request besides who sends it, for the audit log and the
/// `aws:SourceIp` and `aws:SecureTransport` conditions. Nothing HTTP-shaped: the server decides
/// the client's address and whether it came over TLS (trusted proxies), the wire names the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The id the answer carries (`x-amzn-RequestId` on the API).
    pub request_id: String,
    /// The client's address; `None` when unknown (a request that did not come over a socket).
    pub source_ip: Option<std::net::IpAddr>,
    /// Whether the client's connection was TLS (to Arca, or to a trusted proxy in front of it).
    pub secure_transport: bool,
}

/// The authenticated principal of a request: an account's root, or one of its users.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    /// `None` for the account's root.
    user: Option<Arc<access::User>>,
    /// Set by [`Service::authorize`] when a policy let the caller act on another account's
    /// resource; only then does an operation resolve another account's domain.
    cross_account: bool,
    /// The request this caller sends.
    facts: Arc<RequestFacts>,
    /// The audit record of the publish this request was allowed to make, committed in the
    /// publish's own transaction (set by [`Service::audited`]).
    publish_audit: Option<Arc<arca_metadata::AuditRow>>,
}

impl PartialEq for Caller {
    fn eq(&self, other: &Self) -> bool {
        self.account == other.account && self.arn() == other.arn()
    }
}

impl Caller {
    /// The root of `account`: allowed everything in its own account.
    pub fn root(account: impl Into<String>) -> Self {
        Self {
            account: account.into(),
            user: None,
            cross_account: false,
            facts: Arc::default(),
            publish_audit: None,
        }
    }

    pub(crate) fn user(user: Arc<access::User>) -> Self {
        Self {
            account: user.identity.account.clone(),
            user: Some(user),
            cross_account: false,
            facts: Arc::default(),
            publish_audit: None,
        }
    }

    /// The same caller, sending the request `facts` describes.
    pub fn with_facts(self, facts: RequestFacts) -> Self {
        Self {
            facts: Arc::new(facts),
            ..self
        }
    }

    pub fn facts(&self) -> &RequestFacts {
        &self.facts
    }

    fn for_other_account(&self) -> Self {
        Self {
            cross_account: true,
            ..self.clone()
        }
    }

    /// `arn:aws:iam::{account}:root` or the user's ARN.
    pub fn arn(&self) -> String {
        match &self.user {
            Some(u) => u.identity.arn.clone(),
            None => format!("arn:aws:iam::{}:root", self.account),
        }
    }

    pub fn is_root(&self) -> bool {
        self.user.is_none()
    }

    pub(crate) fn identity(&self) -> policy::Identity {
        match &self.user {
            Some(u) => u.identity.clone(),
            None => policy::Identity::root(&self.account),
        }
    }
}

/// The service: cheap to clone (one reference count: axum clones its state for every request),
/// shared by every request.
#[derive(Clone)]
pub struct Service(Arc<ServiceInner>);

impl std::ops::Deref for Service {
    type Target = ServiceInner;
    fn deref(&self) -> &ServiceInner {
        &self.0
    }
}

/// What a [`Service`] holds (its fields are the service's own).
#[doc(hidden)]
pub struct ServiceInner {
    store: Arc<dyn MetadataStore>,
    blobs: BlobStore,
    pager: Pager,
    token_key: tokens::TokenKey,
    /// Seals principals' secrets at rest.
    sealer: access::SecretSealer,
    /// Parsed resource policies, by ARN and revision.
    policy_cache: Arc<access::PolicyCache>,
    public_url: endpoints::PublicUrl,
    npm_manifests: Arc<DigestCache<Arc<serde_json::Value>>>,
    pypi_metadata: Arc<DigestCache<Option<Arc<pypi::CoreMetadata>>>>,
    cargo_manifests: Arc<DigestCache<Option<Arc<cargo::manifest::CrateManifest>>>>,
    ruby_specs: Arc<DigestCache<Option<Arc<ruby::gemspec::GemSpec>>>>,
    fetcher: upstream::fetch::Fetcher,
    upstream_caches: Arc<upstream::UpstreamCaches>,
    /// One fetch per missing upstream file, however many requests want it at once.
    flights: Arc<upstream::SingleFlight>,
    /// Each domain's package groups, indexed (checked against the store's revision on each use).
    group_cache: Arc<groups::GroupCache>,
    config: Arc<ServiceConfig>,
    /// What this server counts (requests, publishes, upstreams, store calls, GC).
    metrics: Arc<arca_metrics::Metrics>,
    /// What is kept between requests while the metadata's change epoch holds ([`documents`]).
    kept: Arc<documents::Kept>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Bound of the npm manifest cache, in estimated bytes of parsed manifests.
const NPM_MANIFEST_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Bound of the wheel core-metadata cache, in bytes.
const PYPI_METADATA_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Bound of the crate manifest cache (index lines are rendered from it), in estimated bytes.
const CARGO_MANIFEST_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Bound of the gem specification cache (RubyGems indexes are rendered from it), in estimated bytes.
const RUBY_SPEC_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// How many times a compare-and-set write is retried before giving up with a 500.
const CAS_RETRIES: usize = 16;

impl Service {
    pub fn new(
        store: Arc<dyn MetadataStore>,
        blobs: BlobStore,
        pager: Pager,
        config: ServiceConfig,
    ) -> Self {
        // Every store call of this process goes through the epoch's observer (a write moves it
        // before it returns); the backend's feed moves it for other processes' writes.
        let epoch = Arc::new(arca_metadata::ChangeEpoch::default());
        store.watch_changes(epoch.clone());
        let store: Arc<dyn MetadataStore> = Arc::new(arca_metadata::Observed {
            inner: store,
            observer: documents::EpochObserver(epoch.clone()),
        });
        Self(Arc::new(ServiceInner {
            kept: Arc::new(documents::Kept::new(epoch, config.document_ttl)),
            store,
            blobs,
            token_key: tokens::TokenKey::derive(pager.secret()),
            sealer: access::SecretSealer::derive(pager.secret()),
            policy_cache: Arc::default(),
            pager,
            public_url: endpoints::PublicUrl::new(config.public_url.clone()),
            npm_manifests: Arc::new(DigestCache::new(NPM_MANIFEST_CACHE_BYTES)),
            pypi_metadata: Arc::new(DigestCache::new(PYPI_METADATA_CACHE_BYTES)),
            cargo_manifests: Arc::new(DigestCache::new(CARGO_MANIFEST_CACHE_BYTES)),
            ruby_specs: Arc::new(DigestCache::new(RUBY_SPEC_CACHE_BYTES)),
            fetcher: upstream::fetch::Fetcher::new(),
            upstream_caches: Arc::default(),
            flights: Arc::default(),
            group_cache: Arc::default(),
            config: Arc::new(config),
            metrics: Arc::default(),
        }))
    }

    /// The same service, counting into `metrics` (shared with the store wrapper and the wire).
    /// Called once, before the service is shared.
    pub fn with_metrics(mut self, metrics: Arc<arca_metrics::Metrics>) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("metrics are set before the service is shared")
            .metrics = metrics;
        self
    }

    pub fn metrics(&self) -> &Arc<arca_metrics::Metrics> {
        &self.metrics
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Rendered native documents kept between requests (see [`documents`]).
    pub fn documents(&self) -> &documents::DocumentCache {
        &self.kept.documents
    }

    /// Encoded answers of the API's read operations kept between requests (see [`documents`]).
    pub fn answers(&self) -> &documents::AnswerCache {
        &self.kept.answers
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    d.as_millis() as i64
}

/// Page size: the given one or the operation's default.
pub(crate) fn page_size(max_results: Option<u32>, default: u32) -> u32 {
    max_results.unwrap_or(default).clamp(1, 1000)
}

/// Splits `limit + 1` fetched rows into a page and whether more exist.
pub(crate) fn split_page<T>(mut rows: Vec<T>, limit: u32) -> (Vec<T>, bool) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    (rows, more)
}
