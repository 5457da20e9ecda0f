//! The store traits, split by aggregate. [`MetadataStore`] is everything at once, for wiring.
//!
//! Rules every backend follows (the shared storage suite checks them):
//! - A write whose parent row is missing (domain, repository, package) fails with `NotFound`.
//! - `VersionExpectation::At` matches the version id, package, version string, status and revision.
//! - `SetStatus` keeps the revision; `Deleted` is never stored.
//! - Tags given at creation replace whatever was stored under that ARN.
//! - Text compares in byte order (SQLite BINARY; PostgreSQL needs `COLLATE "C"`); prefix filters are
//!   range comparisons, never `LIKE`.

use async_trait::async_trait;

use crate::{
    AllowedRepository, AssetRow, BlobLease, BlobRef, CopyWrite, DomainPackage, DomainRow,
    DomainStats, ExternalConnectionChange, GroupRestriction, Millis, NewDomain, NewPackageGroup,
    NewRepository, OriginRule, PackageDependency, PackageFilter, PackageFormat,
    PackageGroupOriginChange, PackageGroupRow, PackageKey, PackageRow, PublishWrite,
    ReferencedBlob, RepositoryFilter, RepositoryRow, StoreResult, VersionChange, VersionDetails,
    VersionFilter, VersionLookup, VersionOrder, VersionPath, VersionRow,
};

#[async_trait]
pub trait DomainStore: Send + Sync {
    /// Fails with `AlreadyExists` when `(owner, name)` is taken. Creates the domain's root package
    /// group (`/*`, every restriction ALLOW) in the same transaction.
    async fn create_domain(&self, new: &NewDomain) -> StoreResult<DomainRow>;
    async fn get_domain(&self, owner: &str, name: &str) -> StoreResult<Option<DomainRow>>;
    async fn domain_stats(&self, domain_id: i64) -> StoreResult<DomainStats>;
    /// Domains of `owner` by name, after `after`, at most `limit`.
    async fn list_domains(
        &self,
        owner: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DomainRow>>;
    /// Every domain, whoever owns it, by (owner, name), after `after`, at most `limit` (for copying
    /// a whole installation).
    async fn list_all_domains(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<DomainRow>>;
    /// Fails with `Conflict` while the domain has repositories. Removes the tags stored under `arn`.
    async fn delete_domain(&self, domain_id: i64, arn: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait RepositoryStore: Send + Sync {
    /// Fails with `AlreadyExists` when the name is taken in the domain.
    async fn create_repository(&self, new: &NewRepository) -> StoreResult<RepositoryRow>;
    async fn get_repository(
        &self,
        domain_id: i64,
        name: &str,
    ) -> StoreResult<Option<RepositoryRow>>;
    /// `None` leaves a field unchanged.
    async fn update_repository(
        &self,
        repository_id: i64,
        description: Option<&str>,
        upstreams: Option<&[String]>,
    ) -> StoreResult<RepositoryRow>;
    /// Sets or clears the repository's external connection if it is `change.expect` now; fails with
    /// `PreconditionFailed` (changing nothing) when it is not, `NotFound` when the repository is gone.
    async fn set_external_connection(
        &self,
        repository_id: i64,
        change: &ExternalConnectionChange,
    ) -> StoreResult<RepositoryRow>;
    /// Ordered by (repository name, domain name).
    async fn list_repositories(
        &self,
        filter: &RepositoryFilter,
        limit: u32,
    ) -> StoreResult<Vec<RepositoryRow>>;
    /// Names of repositories in the domain that list `name` as an upstream.
    async fn downstreams_of(&self, domain_id: i64, name: &str) -> StoreResult<Vec<String>>;
    /// Removes the repository with its packages, versions, assets and the tags under `arn`. Fails with
    /// `Conflict` when another repository still lists it as an upstream.
    async fn delete_repository(&self, repository_id: i64, arn: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait PackageStore: Send + Sync {
    async fn get_package(
        &self,
        repository_id: i64,
        key: &PackageKey,
    ) -> StoreResult<Option<PackageRow>>;
    /// Ordered by (format, namespace, name).
    async fn list_packages(
        &self,
        repository_id: i64,
        filter: &PackageFilter,
        limit: u32,
    ) -> StoreResult<Vec<PackageRow>>;
    /// Removes the package with all its versions and assets.
    async fn delete_package(&self, package_id: i64) -> StoreResult<()>;
    /// Sets the package's origin controls (publish, upstream), creating the package without
    /// versions if it does not exist. `NotFound` when the repository is gone.
    async fn put_package_origin(
        &self,
        repository_id: i64,
        key: &PackageKey,
        origin: (OriginRule, OriginRule),
    ) -> StoreResult<PackageRow>;
    /// [`delete_package`](Self::delete_package), in one transaction with the check that the
    /// package's versions are exactly `versions` (each by id, status and revision): else
    /// `PreconditionFailed`, changing nothing (`NotFound` when the package is gone). A version
    /// created, deleted or changed since the caller read them is never deleted unseen.
    async fn delete_package_at(&self, package_id: i64, versions: &[VersionRow]) -> StoreResult<()>;

    async fn get_version(&self, package_id: i64, version: &str) -> StoreResult<Option<VersionRow>>;
    /// Domain, repository, package and version of `path` in one round trip: the read path of the core
    /// version operations.
    async fn lookup_version(&self, path: &VersionPath<'_>) -> StoreResult<VersionLookup>;
    async fn list_versions(
        &self,
        package_id: i64,
        filter: &VersionFilter,
        order: &VersionOrder,
        limit: u32,
    ) -> StoreResult<Vec<VersionRow>>;
    /// The Published version with the latest publish time, if any.
    async fn latest_published_version(&self, package_id: i64) -> StoreResult<Option<String>>;

    /// All assets of a version, by name (byte order).
    async fn version_assets(&self, version_id: i64) -> StoreResult<Vec<AssetRow>>;
    /// One page of assets by name (byte order) after `after`.
    async fn list_assets(
        &self,
        version_id: i64,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AssetRow>>;
    async fn get_asset(&self, version_id: i64, name: &str) -> StoreResult<Option<AssetRow>>;
    /// The assets of every version of the package (only those named `name` when given), as
    /// (version id, asset), by version id then name: one read for what would otherwise be a
    /// `get_asset` or `version_assets` per version.
    async fn package_assets(
        &self,
        package_id: i64,
        name: Option<&str>,
    ) -> StoreResult<Vec<(i64, AssetRow)>>;

    /// Creates the package if needed, then creates or updates the version under `write.expect`, adding
    /// the asset. All in one transaction; `PreconditionFailed` when the expectation does not hold.
    async fn apply_publish(&self, write: &PublishWrite) -> StoreResult<VersionRow>;
    /// Applies every change in one transaction, or none (`PreconditionFailed`).
    async fn apply_version_changes(&self, changes: &[VersionChange]) -> StoreResult<()>;
    /// Writes copied versions into the destination in one transaction, or none.
    async fn apply_copy(&self, write: &CopyWrite) -> StoreResult<()>;
}

#[async_trait]
pub trait TagStore: Send + Sync {
    /// Tags by key.
    async fn list_tags(&self, arn: &str) -> StoreResult<Vec<(String, String)>>;
    /// Adds or replaces tags; fails with `LimitExceeded` (changing nothing) when the resource would
    /// end up with more than `max_tags`.
    async fn tag_resource(
        &self,
        arn: &str,
        tags: &[(String, String)],
        max_tags: usize,
    ) -> StoreResult<()>;
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> StoreResult<()>;
    /// Every stored tag as `(arn, key, value)`, by (ARN, key) in byte order, after `after` (an
    /// `(arn, key)`), at most `limit` (for copying a whole installation).
    async fn list_all_tags(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<(String, String, String)>>;
}

/// The blob table: which content-addressed blobs exist, so that garbage collection never frees
/// bytes a committed version references, nor bytes a publish is about to reference.
///
/// Protocol (the service follows it; ARCHITECTURE.md, "Blob lifecycle"):
/// - A writer calls [`touch_blob`](Self::touch_blob) *before* any byte reaches the blob's final
///   key, keeps touching it while the upload runs, and commits its asset with the generation it got
///   (`PublishWrite::asset_lease`). The commit fails with `BlobLeaseLost` if the row changed.
/// - The collector [`claim_unreferenced_blobs`](Self::claim_unreferenced_blobs) (rows no asset
///   references, untouched for the grace period, become `deleting` in one transaction), deletes
///   their objects, then [`forget_blobs`](Self::forget_blobs). A `deleting` row is never revived:
///   writers wait for it to disappear.
/// - An object with no row at all is adopted with [`claim_orphan_blob`](Self::claim_orphan_blob)
///   before it is deleted, so a writer arriving meanwhile waits instead of racing the deletion.
/// - Copies reference existing bytes: `apply_copy` fails with `PreconditionFailed` unless every
///   copied blob is still referenced by some asset of the domain when it commits.
#[async_trait]
pub trait BlobRefStore: Send + Sync {
    /// Creates the blob's row (live, with `new_generation`) or refreshes a live row's touch time
    /// (keeping its generation); reports `Deleting` without changing anything for a row being
    /// collected.
    async fn touch_blob(
        &self,
        blob: &BlobRef,
        new_generation: i64,
        now_ms: Millis,
    ) -> StoreResult<BlobLease>;
    /// In one transaction, marks `deleting` (stamped `now_ms`) at most `limit` live rows that no
    /// asset references and that were last touched before `touched_before`, plus rows left
    /// `deleting` since before `stale_before` by an interrupted collector; returns all of them.
    async fn claim_unreferenced_blobs(
        &self,
        touched_before: Millis,
        stale_before: Millis,
        now_ms: Millis,
        limit: u32,
    ) -> StoreResult<Vec<BlobRef>>;
    /// Inserts a `deleting` row for a blob that has no row and that no asset references; `false`
    /// (changing nothing) otherwise.
    async fn claim_orphan_blob(&self, blob: &BlobRef, now_ms: Millis) -> StoreResult<bool>;
    /// Deletes these rows if they are (still) `deleting`.
    async fn forget_blobs(&self, blobs: &[BlobRef]) -> StoreResult<()>;
    /// Whether a row exists for the blob, in any state.
    async fn blob_known(&self, blob: &BlobRef) -> StoreResult<bool>;
    /// Distinct blobs referenced by assets, ordered by (domain id, SHA-256), after `after`.
    async fn referenced_blobs(
        &self,
        after: Option<&BlobRef>,
        limit: u32,
    ) -> StoreResult<Vec<ReferencedBlob>>;
}

/// Data beside packages and versions: npm dist-tags (per package) and version details
/// (dependencies, readme, deprecation). Rows go with their version or package: deleting a version
/// removes its details and the dist-tags that point at it.
#[async_trait]
pub trait DetailStore: Send + Sync {
    /// The package's dist-tags as stored, (tag, version) by tag.
    async fn list_dist_tags(&self, package_id: i64) -> StoreResult<Vec<(String, String)>>;
    /// Points `tag` at `version`; `NotFound` when the package has no such version.
    async fn set_dist_tag(&self, package_id: i64, tag: &str, version: &str) -> StoreResult<()>;
    /// Whether the tag existed.
    async fn delete_dist_tag(&self, package_id: i64, tag: &str) -> StoreResult<bool>;

    /// Everything stored for the version (empty when nothing is).
    async fn version_details(&self, version_id: i64) -> StoreResult<VersionDetails>;
    /// Replaces the version's details; `NotFound` when the version does not exist.
    async fn set_version_details(
        &self,
        version_id: i64,
        details: &VersionDetails,
    ) -> StoreResult<()>;
    /// The readme alone (without reading the dependencies).
    async fn version_readme(&self, version_id: i64) -> StoreResult<Option<String>>;
    /// One page of dependencies in manifest order, after position `after` (0-based), at most
    /// `limit`, with their positions.
    async fn list_dependencies(
        &self,
        version_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(i64, PackageDependency)>>;
    /// Sets (or with `None` clears) the deprecation message of each version, in one transaction
    /// of a few batched statements (never one per version; a repeated version takes its last
    /// message); `NotFound` (changing nothing) when one does not exist.
    async fn set_deprecations(&self, changes: &[(i64, Option<String>)]) -> StoreResult<()>;
    /// (version, message) of the package's deprecated versions, by version.
    async fn package_deprecations(&self, package_id: i64) -> StoreResult<Vec<(String, String)>>;

    /// When the content of a rendered document of the repository (`document` names it, e.g.
    /// `cargo/index/serde`) last changed, for `Last-Modified`: the stored time when `etag` is the
    /// stored ETag; else `etag` is stored with `now_ms`, and that is answered, but always at least
    /// a whole second after the time it replaces (HTTP dates have seconds), so that a client's
    /// `If-Modified-Since` never matches content it has not seen. Concurrent callers agree (one
    /// atomic upsert); `NotFound` when the repository does not exist.
    async fn stamp_document(
        &self,
        repository_id: i64,
        document: &str,
        etag: &str,
        now_ms: Millis,
    ) -> StoreResult<Millis>;
}

/// Package groups of a domain (`upstreams-formats-permissions.md` §A8) and their allowed-repository
/// lists. Every write bumps the domain's package-group revision in its transaction, so a reader
/// (on any replica) that cached the groups knows from [`package_groups_revision`] whether they
/// changed. Groups go with their domain; allowed-repository entries go with their repository.
///
/// [`package_groups_revision`]: PackageGroupStore::package_groups_revision
#[async_trait]
pub trait PackageGroupStore: Send + Sync {
    /// Changes with every group write of the domain; `NotFound` when the domain is gone.
    async fn package_groups_revision(&self, domain_id: i64) -> StoreResult<i64>;
    /// Fails with `AlreadyExists` when the pattern is taken in the domain, `NotFound` when the
    /// domain is gone. Replaces the tags stored under `new.arn`.
    async fn create_package_group(&self, new: &NewPackageGroup) -> StoreResult<PackageGroupRow>;
    async fn get_package_group(
        &self,
        domain_id: i64,
        pattern: &str,
    ) -> StoreResult<Option<PackageGroupRow>>;
    /// Groups of the domain whose pattern starts with `prefix`, by pattern (byte order), after
    /// `after`, at most `limit`.
    async fn list_package_groups(
        &self,
        domain_id: i64,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<PackageGroupRow>>;
    /// Sets contact info and description (`None`: unchanged). `NotFound` when the group is gone.
    async fn update_package_group(
        &self,
        group_id: i64,
        contact_info: Option<&str>,
        description: Option<&str>,
    ) -> StoreResult<PackageGroupRow>;
    /// Applies the change in one transaction: modes, then removals, then additions (adding an
    /// entry that exists or removing one that does not changes nothing). `NotFound` when the group
    /// or one of the added repositories is gone (changing nothing).
    async fn update_package_group_origin(
        &self,
        group_id: i64,
        change: &PackageGroupOriginChange,
    ) -> StoreResult<PackageGroupRow>;
    /// Removes the group, its allowed-repository lists and the tags under `arn`. `NotFound` when
    /// it is gone.
    async fn delete_package_group(&self, group_id: i64, arn: &str) -> StoreResult<()>;
    /// Names of the repositories in the group's list for `restriction`, by name (byte order),
    /// after `after`, at most `limit`.
    async fn list_allowed_repositories(
        &self,
        group_id: i64,
        restriction: GroupRestriction,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<String>>;
    /// Every allowed-repository entry of every group of the domain (by group, type, name).
    async fn domain_allowed_repositories(
        &self,
        domain_id: i64,
    ) -> StoreResult<Vec<AllowedRepository>>;
    /// Distinct package coordinates in any repository of the domain, optionally of one format, by
    /// (format, namespace, name) in byte order, after `after`, at most `limit`.
    async fn list_domain_packages(
        &self,
        domain_id: i64,
        format: Option<PackageFormat>,
        after: Option<&DomainPackage>,
        limit: u32,
    ) -> StoreResult<Vec<DomainPackage>>;
}

/// Everything a metadata backend provides.
pub trait MetadataStore:
    DomainStore
    + RepositoryStore
    + PackageStore
    + TagStore
    + BlobRefStore
    + DetailStore
    + PackageGroupStore
    + crate::AccessStore
    + crate::AuditStore
    + crate::ChangeFeed
{
}
impl<
        T: DomainStore
            + RepositoryStore
            + PackageStore
            + TagStore
            + BlobRefStore
            + DetailStore
            + PackageGroupStore
            + crate::AccessStore
            + crate::AuditStore
            + crate::ChangeFeed,
    > MetadataStore for T
{
}
