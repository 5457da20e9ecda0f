//! [`Observed`]: a store that tells an observer about every call of every store method, then
//! passes it on to the store it wraps. The server times calls with it (metrics); tests count them.

use std::sync::Arc;

use async_trait::async_trait;

use crate::*;

/// Told about each store call as it starts; the guard it returns is dropped when the call ends.
pub trait CallObserver: Send + Sync {
    type Guard: Send;
    fn enter(&self, method: &'static str) -> Self::Guard;
}

/// A metadata store wrapped with a [`CallObserver`].
pub struct Observed<O> {
    pub inner: Arc<dyn MetadataStore>,
    pub observer: O,
}

/// Implements `$trait` for [`Observed`]: each method tells the observer, then delegates.
macro_rules! observed {
    ($trait:ident { $(fn $m:ident(&self $(, $a:ident: $t:ty)*) -> $r:ty;)* }) => {
        #[async_trait]
        impl<O: CallObserver> $trait for Observed<O> {
            $(async fn $m(&self $(, $a: $t)*) -> $r {
                let _guard = self.observer.enter(stringify!($m));
                self.inner.$m($($a),*).await
            })*
        }
    };
}

impl<O: CallObserver> ChangeFeed for Observed<O> {
    fn watch_changes(&self, epoch: Arc<ChangeEpoch>) {
        self.inner.watch_changes(epoch)
    }
}

#[rustfmt::skip]
mod impls {
use super::*;
observed!(DomainStore {
    fn create_domain(&self, new: &NewDomain) -> StoreResult<DomainRow>;
    fn get_domain(&self, owner: &str, name: &str) -> StoreResult<Option<DomainRow>>;
    fn domain_stats(&self, domain_id: i64) -> StoreResult<DomainStats>;
    fn list_domains(&self, owner: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<DomainRow>>;
    fn list_all_domains(&self, after: Option<(&str, &str)>, limit: u32) -> StoreResult<Vec<DomainRow>>;
    fn delete_domain(&self, domain_id: i64, arn: &str) -> StoreResult<()>;
});

observed!(RepositoryStore {
    fn create_repository(&self, new: &NewRepository) -> StoreResult<RepositoryRow>;
    fn get_repository(&self, domain_id: i64, name: &str) -> StoreResult<Option<RepositoryRow>>;
    fn update_repository(&self, repository_id: i64, description: Option<&str>, upstreams: Option<&[String]>) -> StoreResult<RepositoryRow>;
    fn set_external_connection(&self, repository_id: i64, change: &ExternalConnectionChange) -> StoreResult<RepositoryRow>;
    fn list_repositories(&self, filter: &RepositoryFilter, limit: u32) -> StoreResult<Vec<RepositoryRow>>;
    fn downstreams_of(&self, domain_id: i64, name: &str) -> StoreResult<Vec<String>>;
    fn delete_repository(&self, repository_id: i64, arn: &str) -> StoreResult<()>;
});

observed!(PackageStore {
    fn get_package(&self, repository_id: i64, key: &PackageKey) -> StoreResult<Option<PackageRow>>;
    fn list_packages(&self, repository_id: i64, filter: &PackageFilter, limit: u32) -> StoreResult<Vec<PackageRow>>;
    fn delete_package(&self, package_id: i64) -> StoreResult<()>;
    fn put_package_origin(&self, repository_id: i64, key: &PackageKey, origin: (OriginRule, OriginRule)) -> StoreResult<PackageRow>;
    fn delete_package_at(&self, package_id: i64, versions: &[VersionRow]) -> StoreResult<()>;
    fn get_version(&self, package_id: i64, version: &str) -> StoreResult<Option<VersionRow>>;
    fn lookup_version(&self, path: &VersionPath<'_>) -> StoreResult<VersionLookup>;
    fn list_versions(&self, package_id: i64, filter: &VersionFilter, order: &VersionOrder, limit: u32) -> StoreResult<Vec<VersionRow>>;
    fn latest_published_version(&self, package_id: i64) -> StoreResult<Option<String>>;
    fn version_assets(&self, version_id: i64) -> StoreResult<Vec<AssetRow>>;
    fn list_assets(&self, version_id: i64, after: Option<&str>, limit: u32) -> StoreResult<Vec<AssetRow>>;
    fn get_asset(&self, version_id: i64, name: &str) -> StoreResult<Option<AssetRow>>;
    fn package_assets(&self, package_id: i64, name: Option<&str>) -> StoreResult<Vec<(i64, AssetRow)>>;
    fn apply_publish(&self, write: &PublishWrite) -> StoreResult<VersionRow>;
    fn apply_version_changes(&self, changes: &[VersionChange]) -> StoreResult<()>;
    fn apply_copy(&self, write: &CopyWrite) -> StoreResult<()>;
});

observed!(TagStore {
    fn list_tags(&self, arn: &str) -> StoreResult<Vec<(String, String)>>;
    fn tag_resource(&self, arn: &str, tags: &[(String, String)], max_tags: usize) -> StoreResult<()>;
    fn untag_resource(&self, arn: &str, keys: &[String]) -> StoreResult<()>;
    fn list_all_tags(&self, after: Option<(&str, &str)>, limit: u32) -> StoreResult<Vec<(String, String, String)>>;
});

observed!(BlobRefStore {
    fn touch_blob(&self, blob: &BlobRef, new_generation: i64, now_ms: Millis) -> StoreResult<BlobLease>;
    fn claim_unreferenced_blobs(&self, touched_before: Millis, stale_before: Millis, now_ms: Millis, limit: u32) -> StoreResult<Vec<BlobRef>>;
    fn claim_orphan_blob(&self, blob: &BlobRef, now_ms: Millis) -> StoreResult<bool>;
    fn forget_blobs(&self, blobs: &[BlobRef]) -> StoreResult<()>;
    fn blob_known(&self, blob: &BlobRef) -> StoreResult<bool>;
    fn referenced_blobs(&self, after: Option<&BlobRef>, limit: u32) -> StoreResult<Vec<ReferencedBlob>>;
});

observed!(AccessStore {
    fn create_principal(&self, principal: &PrincipalRow) -> StoreResult<()>;
    fn principal_by_access_key(&self, access_key_id: &str) -> StoreResult<Option<PrincipalRow>>;
    fn principal_by_arn(&self, arn: &str) -> StoreResult<Option<PrincipalRow>>;
    fn list_principals(&self) -> StoreResult<Vec<PrincipalRow>>;
    fn update_principal(&self, principal: &PrincipalRow) -> StoreResult<()>;
    fn delete_principal(&self, arn: &str) -> StoreResult<()>;
    fn get_resource_policy(&self, resource_arn: &str) -> StoreResult<Option<ResourcePolicyRow>>;
    fn put_resource_policy(&self, policy: &ResourcePolicyRow, expected_revision: Option<&str>) -> StoreResult<()>;
    fn delete_resource_policy(&self, resource_arn: &str, expected_revision: Option<&str>) -> StoreResult<Option<ResourcePolicyRow>>;
});

observed!(AuditStore {
    fn append_audit(&self, records: &[AuditRow]) -> StoreResult<()>;
    fn list_audit(&self, filter: &AuditFilter, limit: u32) -> StoreResult<Vec<(i64, AuditRow)>>;
    fn prune_audit(&self, before_ms: i64) -> StoreResult<u64>;
});

observed!(DetailStore {
    fn list_dist_tags(&self, package_id: i64) -> StoreResult<Vec<(String, String)>>;
    fn set_dist_tag(&self, package_id: i64, tag: &str, version: &str) -> StoreResult<()>;
    fn delete_dist_tag(&self, package_id: i64, tag: &str) -> StoreResult<bool>;
    fn version_details(&self, version_id: i64) -> StoreResult<VersionDetails>;
    fn set_version_details(&self, version_id: i64, details: &VersionDetails) -> StoreResult<()>;
    fn version_readme(&self, version_id: i64) -> StoreResult<Option<String>>;
    fn list_dependencies(&self, version_id: i64, after: Option<i64>, limit: u32) -> StoreResult<Vec<(i64, PackageDependency)>>;
    fn set_deprecations(&self, changes: &[(i64, Option<String>)]) -> StoreResult<()>;
    fn package_deprecations(&self, package_id: i64) -> StoreResult<Vec<(String, String)>>;
    fn stamp_document(&self, repository_id: i64, document: &str, etag: &str, now_ms: Millis) -> StoreResult<Millis>;
});

observed!(PackageGroupStore {
    fn package_groups_revision(&self, domain_id: i64) -> StoreResult<i64>;
    fn create_package_group(&self, new: &NewPackageGroup) -> StoreResult<PackageGroupRow>;
    fn get_package_group(&self, domain_id: i64, pattern: &str) -> StoreResult<Option<PackageGroupRow>>;
    fn list_package_groups(&self, domain_id: i64, prefix: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<PackageGroupRow>>;
    fn update_package_group(&self, group_id: i64, contact_info: Option<&str>, description: Option<&str>) -> StoreResult<PackageGroupRow>;
    fn update_package_group_origin(&self, group_id: i64, change: &PackageGroupOriginChange) -> StoreResult<PackageGroupRow>;
    fn delete_package_group(&self, group_id: i64, arn: &str) -> StoreResult<()>;
    fn list_allowed_repositories(&self, group_id: i64, restriction: GroupRestriction, after: Option<&str>, limit: u32) -> StoreResult<Vec<String>>;
    fn domain_allowed_repositories(&self, domain_id: i64) -> StoreResult<Vec<AllowedRepository>>;
    fn list_domain_packages(&self, domain_id: i64, format: Option<PackageFormat>, after: Option<&DomainPackage>, limit: u32) -> StoreResult<Vec<DomainPackage>>;
});
}
