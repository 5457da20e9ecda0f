//! Rows and value types exchanged with a metadata store. Plain data: no behaviour beyond parsing the
//! enumerations stored as text.

use std::fmt;

/// A package format, as stored and as named by the API (lowercase). Not `Ord`: stores order formats
/// by their text (`cargo` < `generic` < …), which a derived order would contradict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageFormat {
    Npm,
    Pypi,
    Maven,
    Nuget,
    Generic,
    Ruby,
    Swift,
    Cargo,
}

impl PackageFormat {
    pub const ALL: [PackageFormat; 8] = [
        Self::Npm,
        Self::Pypi,
        Self::Maven,
        Self::Nuget,
        Self::Generic,
        Self::Ruby,
        Self::Swift,
        Self::Cargo,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Pypi => "pypi",
            Self::Maven => "maven",
            Self::Nuget => "nuget",
            Self::Generic => "generic",
            Self::Ruby => "ruby",
            Self::Swift => "swift",
            Self::Cargo => "cargo",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl fmt::Display for PackageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A package version status as stored. `Deleted` is never stored: a deleted version has no row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionStatus {
    Published,
    Unfinished,
    Unlisted,
    Archived,
    Disposed,
    Deleted,
}

impl VersionStatus {
    pub const ALL: [VersionStatus; 6] = [
        Self::Published,
        Self::Unfinished,
        Self::Unlisted,
        Self::Archived,
        Self::Disposed,
        Self::Deleted,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "Published",
            Self::Unfinished => "Unfinished",
            Self::Unlisted => "Unlisted",
            Self::Archived => "Archived",
            Self::Disposed => "Disposed",
            Self::Deleted => "Deleted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for VersionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a package version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OriginType {
    Internal,
    External,
    Unknown,
}

impl OriginType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "INTERNAL",
            Self::External => "EXTERNAL",
            Self::Unknown => "UNKNOWN",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Internal, Self::External, Self::Unknown]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Package origin control (`ALLOW` / `BLOCK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OriginRule {
    Allow,
    Block,
}

impl OriginRule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::Block => "BLOCK",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ALLOW" => Some(Self::Allow),
            "BLOCK" => Some(Self::Block),
            _ => None,
        }
    }
}

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

#[derive(Debug, Clone, PartialEq)]
pub struct DomainRow {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub created_ms: Millis,
    pub encryption_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewDomain {
    pub owner: String,
    pub name: String,
    pub created_ms: Millis,
    pub encryption_key: Option<String>,
    /// The domain's ARN, under which `tags` are stored.
    pub arn: String,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DomainStats {
    pub repository_count: i64,
    /// Bytes of distinct blobs referenced by the domain's assets.
    pub asset_size_bytes: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryRow {
    pub id: i64,
    pub domain_id: i64,
    pub domain_name: String,
    pub domain_owner: String,
    pub name: String,
    pub administrator_account: String,
    pub description: Option<String>,
    pub created_ms: Millis,
    /// Upstream repository names, in priority order.
    pub upstreams: Vec<String>,
    /// The external connection (`public:npmjs`, …) attached to the repository, at most one.
    pub external_connection: Option<String>,
}

/// A compare-and-set change of a repository's external connection
/// ([`crate::RepositoryStore::set_external_connection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalConnectionChange {
    /// What the repository must have now (`None`: no connection).
    pub expect: Option<String>,
    /// What it gets (`None`: the connection is removed).
    pub set: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewRepository {
    pub domain_id: i64,
    pub name: String,
    pub administrator_account: String,
    pub description: Option<String>,
    pub created_ms: Millis,
    pub upstreams: Vec<String>,
    pub arn: String,
    pub tags: Vec<(String, String)>,
}

/// Which repositories to list, and where the previous page ended.
#[derive(Debug, Clone, Default)]
pub struct RepositoryFilter {
    /// Only this domain (ListRepositoriesInDomain); `None` lists every domain of `domain_owner`.
    pub domain_id: Option<i64>,
    /// Only domains owned by this account.
    pub domain_owner: Option<String>,
    pub administrator_account: Option<String>,
    pub name_prefix: Option<String>,
    /// Keyset cursor: (repository name, domain name) of the last row of the previous page.
    pub after: Option<(String, String)>,
}

/// A package's identity inside a repository. `namespace` is `""` when the package has none (the API's
/// minimum namespace length is 1, so the empty string is unambiguous).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageKey {
    pub format: PackageFormat,
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackageRow {
    pub id: i64,
    pub repository_id: i64,
    pub key: PackageKey,
    pub origin_publish: OriginRule,
    pub origin_upstream: OriginRule,
}

#[derive(Debug, Clone, Default)]
pub struct PackageFilter {
    pub format: Option<PackageFormat>,
    pub namespace_prefix: Option<String>,
    pub name_prefix: Option<String>,
    pub publish: Option<OriginRule>,
    pub upstream: Option<OriginRule>,
    pub after: Option<PackageKey>,
}

/// Metadata of a version that comes from its manifest (empty for generic packages).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionMetadata {
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub home_page: Option<String>,
    pub source_code_repository: Option<String>,
    /// JSON array of `{"name":…,"url":…}`, stored verbatim.
    pub licenses_json: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionOrigin {
    pub origin_type: OriginType,
    /// `domainEntryPoint.repositoryName`.
    pub repository: Option<String>,
    /// `domainEntryPoint.externalConnectionName`.
    pub external_connection: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    pub id: i64,
    pub package_id: i64,
    pub version: String,
    pub status: VersionStatus,
    pub revision: String,
    pub published_ms: Millis,
    pub origin: VersionOrigin,
    pub metadata: VersionMetadata,
}

/// The full path of a version, resolved level by level in one lookup
/// ([`crate::PackageStore::lookup_version`]).
#[derive(Debug, Clone, Copy)]
pub struct VersionPath<'a> {
    pub domain_owner: &'a str,
    pub domain: &'a str,
    pub repository: &'a str,
    pub package: &'a PackageKey,
    pub version: &'a str,
}

/// What [`crate::PackageStore::lookup_version`] found: each level is `None` when absent, and every
/// level below an absent one is `None` too. The repository's `upstreams` are not loaded (empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionLookup {
    pub domain: Option<DomainRow>,
    pub repository: Option<RepositoryRow>,
    pub package: Option<PackageRow>,
    pub version: Option<VersionRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRow {
    pub name: String,
    pub size: i64,
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
    pub sha512: String,
    /// PyPI: the file's `Requires-Python` as uploaded (PEP 503 `data-requires-python`).
    pub requires_python: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct VersionFilter {
    pub status: Option<VersionStatus>,
    pub origin_type: Option<OriginType>,
}

/// Orderings of ListPackageVersions, each with its keyset cursor.
#[derive(Debug, Clone)]
pub enum VersionOrder {
    /// By version string, byte order; cursor = last version seen.
    Version { after: Option<String> },
    /// Newest first; cursor = (published_ms, version) of the last row seen.
    PublishedTimeDesc { after: Option<(Millis, String)> },
}

/// What a compare-and-set write expects to find.
#[derive(Debug, Clone, PartialEq)]
pub enum VersionExpectation {
    /// The version must not exist yet.
    Absent,
    /// The version must exist with exactly this status and revision.
    At {
        version_id: i64,
        status: VersionStatus,
        revision: String,
    },
}

/// One asset added to a version by a publish (generic API, or later a native protocol).
#[derive(Debug, Clone)]
pub struct PublishWrite {
    pub repository_id: i64,
    pub package: PackageKey,
    /// Origin controls given to the package if this write creates it.
    pub new_package_origin: (OriginRule, OriginRule),
    pub version: String,
    pub expect: VersionExpectation,
    pub status: VersionStatus,
    pub revision: String,
    pub published_ms: Millis,
    /// Only used when the version is created.
    pub origin: VersionOrigin,
    pub metadata: VersionMetadata,
    /// `None` when the asset is already there (an idempotent re-send that only changes status).
    pub asset: Option<AssetRow>,
    /// Dependencies and readme, written only when the version is created.
    pub details: Option<VersionDetails>,
    /// npm dist-tags pointed at this version in the same transaction.
    pub dist_tags: Vec<String>,
    /// The generation returned by [`crate::BlobRefStore::touch_blob`] before the asset's bytes were
    /// written. When given, the write fails with [`crate::StoreError::BlobLeaseLost`] unless the
    /// blob's row still has this generation and is live (it was not garbage-collected meanwhile).
    pub asset_lease: Option<i64>,
    /// An existing version takes `metadata` and `details` too (Maven: the POM may arrive after
    /// the jar); otherwise it keeps its own.
    pub replace_metadata: bool,
    /// The audit record of this publish, committed in its transaction (none for what the
    /// server does on its own: retention, transfer).
    pub audit: Option<crate::AuditRow>,
}

/// A change to one existing version, applied by [`crate::PackageStore::apply_version_changes`].
#[derive(Debug, Clone)]
pub struct VersionChange {
    pub version_id: i64,
    pub expect_status: VersionStatus,
    pub expect_revision: String,
    pub action: VersionAction,
}

#[derive(Debug, Clone)]
pub enum VersionAction {
    /// Set status (and possibly the publish time when leaving Unfinished).
    SetStatus {
        status: VersionStatus,
        published_ms: Millis,
    },
    /// Remove every asset and set status Disposed with the new revision.
    Dispose { revision: String },
    /// Remove the version and its assets.
    Delete,
}

/// One version written into a destination repository by CopyPackageVersions.
#[derive(Debug, Clone)]
pub struct CopiedVersion {
    pub version: String,
    /// `Absent`, or the destination version being overwritten (`allowOverwrite`).
    pub expect: VersionExpectation,
    pub status: VersionStatus,
    pub revision: String,
    pub published_ms: Millis,
    pub origin: VersionOrigin,
    pub metadata: VersionMetadata,
    pub assets: Vec<AssetRow>,
    /// Replaces whatever the destination version had.
    pub details: VersionDetails,
}

#[derive(Debug, Clone)]
pub struct CopyWrite {
    pub repository_id: i64,
    pub package: PackageKey,
    pub new_package_origin: (OriginRule, OriginRule),
    pub versions: Vec<CopiedVersion>,
    /// npm dist-tags (tag, version) set in the destination, replacing tags of the same name; each
    /// version is one of `versions` or already in the destination.
    pub dist_tags: Vec<(String, String)>,
}

/// A blob as the metadata store knows it: bytes stored once per domain under their SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobRef {
    pub domain_id: i64,
    /// Lowercase hex.
    pub sha256: String,
}

/// What [`crate::BlobRefStore::touch_blob`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobLease {
    /// The row is live (created now, or already there) with this generation; the caller may write
    /// the bytes and reference them in a publish carrying this generation.
    Live { generation: i64 },
    /// A garbage collector is deleting these bytes: wait until the row is gone, then touch again.
    Deleting,
}

/// A blob some asset references, with the size that asset recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencedBlob {
    pub blob: BlobRef,
    pub size: i64,
}

/// One dependency a version declares (`PackageDependency` in the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDependency {
    /// `""` when the dependency has none (as [`PackageKey::namespace`]).
    pub namespace: String,
    pub package: String,
    pub dependency_type: Option<String>,
    pub version_requirement: Option<String>,
}

/// Per-version data kept beside the version row, out of its hot read path: what the manifest
/// declares (dependencies, readme) and an npm deprecation message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionDetails {
    /// In the order the manifest lists them.
    pub dependencies: Vec<PackageDependency>,
    pub readme: Option<String>,
    /// `npm deprecate`'s message; `None` when not deprecated.
    pub deprecated: Option<String>,
}

/// A package group's origin restriction type (`upstreams-formats-permissions.md` §A8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupRestriction {
    Publish,
    ExternalUpstream,
    InternalUpstream,
}

impl GroupRestriction {
    /// In the order of [`PackageGroupRow::modes`].
    pub const ALL: [GroupRestriction; 3] = [
        Self::Publish,
        Self::ExternalUpstream,
        Self::InternalUpstream,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "PUBLISH",
            Self::ExternalUpstream => "EXTERNAL_UPSTREAM",
            Self::InternalUpstream => "INTERNAL_UPSTREAM",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    /// Position in [`PackageGroupRow::modes`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A package group's mode for one restriction type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupMode {
    Allow,
    Block,
    AllowSpecificRepositories,
    Inherit,
}

impl GroupMode {
    pub const ALL: [GroupMode; 4] = [
        Self::Allow,
        Self::Block,
        Self::AllowSpecificRepositories,
        Self::Inherit,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::Block => "BLOCK",
            Self::AllowSpecificRepositories => "ALLOW_SPECIFIC_REPOSITORIES",
            Self::Inherit => "INHERIT",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The pattern of the root group every domain has.
pub const ROOT_GROUP_PATTERN: &str = "/*";

/// A package group as stored. `pattern` is canonical (the service parses and renders it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageGroupRow {
    pub id: i64,
    pub domain_id: i64,
    pub pattern: String,
    pub created_ms: Millis,
    pub contact_info: Option<String>,
    pub description: Option<String>,
    /// By [`GroupRestriction::index`].
    pub modes: [GroupMode; 3],
}

impl PackageGroupRow {
    pub fn mode(&self, restriction: GroupRestriction) -> GroupMode {
        self.modes[restriction.index()]
    }
}

#[derive(Debug, Clone)]
pub struct NewPackageGroup {
    pub domain_id: i64,
    pub pattern: String,
    pub created_ms: Millis,
    pub contact_info: Option<String>,
    pub description: Option<String>,
    pub modes: [GroupMode; 3],
    /// The group's ARN, under which `tags` are stored.
    pub arn: String,
    pub tags: Vec<(String, String)>,
}

/// What `update_package_group_origin` changes: modes (`None`: unchanged) and allowed repositories
/// (by repository id) added to or removed from a restriction type's list.
#[derive(Debug, Clone, Default)]
pub struct PackageGroupOriginChange {
    pub modes: [Option<GroupMode>; 3],
    pub add: Vec<(GroupRestriction, i64)>,
    pub remove: Vec<(GroupRestriction, i64)>,
}

/// One entry of a group's allowed-repository lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedRepository {
    pub group_id: i64,
    pub restriction: GroupRestriction,
    pub repository_id: i64,
    pub repository_name: String,
}

/// A package coordinate of the domain (in any of its repositories), for ListAssociatedPackages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainPackage {
    pub format: PackageFormat,
    pub namespace: String,
    pub name: String,
}
