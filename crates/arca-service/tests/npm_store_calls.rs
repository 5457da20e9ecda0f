//! What npm's document writes cost in store calls: a document naming many versions must not cost a
//! database round trip per version it names (issue 10: `npm deprecate` of a document listing 220k
//! versions made one lookup per version and took 12 s of CPU).
//!
//! The service runs on a real SQLite store wrapped in [`CountingStore`], which counts every call
//! of every store method.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use arca_blobstore::BlobStore;
use arca_metadata::*;
use arca_metadata_sqlite::SqliteStore;
use arca_service::{Caller, NativeRepo, Pager, Service, ServiceConfig};
use async_trait::async_trait;

/// Counts the calls of each store method, then passes them on.
struct CountingStore {
    inner: SqliteStore,
    calls: Mutex<HashMap<&'static str, usize>>,
}

impl CountingStore {
    fn hit(&self, method: &'static str) {
        *self.calls.lock().unwrap().entry(method).or_default() += 1;
    }
}

/// Calls since the last `take`, by method.
fn take(store: &CountingStore) -> HashMap<&'static str, usize> {
    std::mem::take(&mut *store.calls.lock().unwrap())
}

/// Implements `$trait` for [`CountingStore`]: each method counts itself and delegates.
macro_rules! counting {
    ($trait:ident { $(fn $m:ident(&self $(, $a:ident: $t:ty)*) -> $r:ty;)* }) => {
        #[async_trait]
        impl $trait for CountingStore {
            $(async fn $m(&self $(, $a: $t)*) -> $r {
                self.hit(stringify!($m));
                self.inner.$m($($a),*).await
            })*
        }
    };
}

counting!(DomainStore {
    fn create_domain(&self, new: &NewDomain) -> StoreResult<DomainRow>;
    fn get_domain(&self, owner: &str, name: &str) -> StoreResult<Option<DomainRow>>;
    fn domain_stats(&self, domain_id: i64) -> StoreResult<DomainStats>;
    fn list_domains(&self, owner: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<DomainRow>>;
    fn list_all_domains(&self, after: Option<(&str, &str)>, limit: u32) -> StoreResult<Vec<DomainRow>>;
    fn delete_domain(&self, domain_id: i64, arn: &str) -> StoreResult<()>;
});

counting!(RepositoryStore {
    fn create_repository(&self, new: &NewRepository) -> StoreResult<RepositoryRow>;
    fn get_repository(&self, domain_id: i64, name: &str) -> StoreResult<Option<RepositoryRow>>;
    fn update_repository(&self, repository_id: i64, description: Option<&str>, upstreams: Option<&[String]>) -> StoreResult<RepositoryRow>;
    fn set_external_connection(&self, repository_id: i64, change: &ExternalConnectionChange) -> StoreResult<RepositoryRow>;
    fn list_repositories(&self, filter: &RepositoryFilter, limit: u32) -> StoreResult<Vec<RepositoryRow>>;
    fn downstreams_of(&self, domain_id: i64, name: &str) -> StoreResult<Vec<String>>;
    fn delete_repository(&self, repository_id: i64, arn: &str) -> StoreResult<()>;
});

counting!(PackageStore {
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
    fn package_assets(&self, package_id: i64, name: &str) -> StoreResult<Vec<(i64, AssetRow)>>;
    fn apply_publish(&self, write: &PublishWrite) -> StoreResult<VersionRow>;
    fn apply_version_changes(&self, changes: &[VersionChange]) -> StoreResult<()>;
    fn apply_copy(&self, write: &CopyWrite) -> StoreResult<()>;
});

counting!(TagStore {
    fn list_tags(&self, arn: &str) -> StoreResult<Vec<(String, String)>>;
    fn tag_resource(&self, arn: &str, tags: &[(String, String)], max_tags: usize) -> StoreResult<()>;
    fn untag_resource(&self, arn: &str, keys: &[String]) -> StoreResult<()>;
    fn list_all_tags(&self, after: Option<(&str, &str)>, limit: u32) -> StoreResult<Vec<(String, String, String)>>;
});

counting!(BlobRefStore {
    fn touch_blob(&self, blob: &BlobRef, new_generation: i64, now_ms: Millis) -> StoreResult<BlobLease>;
    fn claim_unreferenced_blobs(&self, touched_before: Millis, stale_before: Millis, now_ms: Millis, limit: u32) -> StoreResult<Vec<BlobRef>>;
    fn claim_orphan_blob(&self, blob: &BlobRef, now_ms: Millis) -> StoreResult<bool>;
    fn forget_blobs(&self, blobs: &[BlobRef]) -> StoreResult<()>;
    fn blob_known(&self, blob: &BlobRef) -> StoreResult<bool>;
    fn referenced_blobs(&self, after: Option<&BlobRef>, limit: u32) -> StoreResult<Vec<ReferencedBlob>>;
});

counting!(DetailStore {
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

counting!(PackageGroupStore {
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

const OWNER: &str = "111122223333";

struct Fixture {
    service: Service,
    store: Arc<CountingStore>,
    repo: NativeRepo,
    caller: Caller,
    repository_id: i64,
    package: PackageKey,
    _dir: tempfile::TempDir,
}

/// A service over a counting SQLite store, with npm package `kit` holding `versions` Published
/// versions `1.0.0` … (written in one copy).
async fn fixture(versions: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("meta.db"))
        .await
        .unwrap();
    let store = Arc::new(CountingStore {
        inner: sqlite,
        calls: Mutex::default(),
    });
    let blobs = BlobStore::local(&dir.path().join("blobs")).unwrap();
    let service = Service::new(
        store.clone(),
        blobs,
        Pager::new(b"0123456789abcdef0123456789abcdef"),
        ServiceConfig {
            region: "us-east-1".into(),
            limits: Default::default(),
            blob_grace: arca_service::DEFAULT_BLOB_GRACE,
            public_url: Some("http://arca.test".into()),
            external_connections: Default::default(),
        },
    );
    let domain = store
        .create_domain(&NewDomain {
            owner: OWNER.into(),
            name: "acme".into(),
            created_ms: 0,
            encryption_key: None,
            arn: "arn:d".into(),
            tags: Vec::new(),
        })
        .await
        .unwrap();
    let repository = store
        .create_repository(&NewRepository {
            domain_id: domain.id,
            name: "releases".into(),
            administrator_account: OWNER.into(),
            description: None,
            created_ms: 0,
            upstreams: Vec::new(),
            arn: "arn:r".into(),
            tags: Vec::new(),
        })
        .await
        .unwrap();
    let package = PackageKey {
        format: PackageFormat::Npm,
        namespace: String::new(),
        name: "kit".into(),
    };
    let copied = (0..versions)
        .map(|i| CopiedVersion {
            version: format!("1.0.{i}"),
            expect: VersionExpectation::Absent,
            status: VersionStatus::Published,
            revision: "r".into(),
            published_ms: i as i64,
            origin: VersionOrigin {
                origin_type: OriginType::Internal,
                repository: None,
                external_connection: None,
            },
            metadata: VersionMetadata::default(),
            assets: Vec::new(),
            details: VersionDetails::default(),
        })
        .collect();
    store
        .apply_copy(&CopyWrite {
            repository_id: repository.id,
            package: package.clone(),
            new_package_origin: (OriginRule::Allow, OriginRule::Block),
            versions: copied,
            dist_tags: Vec::new(),
        })
        .await
        .unwrap();
    let caller = Caller {
        account: OWNER.into(),
    };
    let repo = service
        .native_repository(&caller, "acme", OWNER, "releases")
        .await
        .unwrap();
    Fixture {
        service,
        store,
        repo,
        caller,
        repository_id: repository.id,
        package,
        _dir: dir,
    }
}

/// The revision npm reads (the packument's `_rev`; these versions have no tarballs, so the
/// packument lists none of them, but its revision covers them all).
async fn current_rev(f: &Fixture) -> String {
    f.service.npm_packument(&f.repo, "kit").await.unwrap().rev
}

#[tokio::test]
async fn deprecate_of_a_huge_document_reads_the_package_once_and_writes_once() {
    let f = fixture(5).await;
    // A document naming 20 000 versions, of which the 5 real ones.
    let messages: BTreeMap<String, Option<String>> = (0..20_000)
        .map(|i| (format!("1.0.{i}"), Some("use 2.x".to_string())))
        .collect();
    let rev = current_rev(&f).await;
    take(&f.store);
    let changed = f
        .service
        .npm_deprecate(&f.caller, &f.repo, "kit", Some(&rev), &messages)
        .await
        .unwrap();
    assert_eq!(changed, 5);
    let calls = take(&f.store);
    assert_eq!(calls.get("get_version"), None, "{calls:?}");
    assert_eq!(calls.get("set_deprecations"), Some(&1), "{calls:?}");
    let total: usize = calls.values().sum();
    assert!(total <= 8, "{total} store calls: {calls:?}");
    let package = f
        .store
        .inner
        .get_package(f.repository_id, &f.package)
        .await
        .unwrap()
        .unwrap();
    let stored = f
        .store
        .inner
        .package_deprecations(package.id)
        .await
        .unwrap();
    assert_eq!(stored.len(), 5);
}

#[tokio::test]
async fn deprecating_thousands_of_versions_is_one_write() {
    let f = fixture(3_000).await;
    let messages: BTreeMap<String, Option<String>> = (0..3_000)
        .map(|i| (format!("1.0.{i}"), Some("old".to_string())))
        .collect();
    let rev = current_rev(&f).await;
    take(&f.store);
    let changed = f
        .service
        .npm_deprecate(&f.caller, &f.repo, "kit", Some(&rev), &messages)
        .await
        .unwrap();
    assert_eq!(changed, 3_000);
    let calls = take(&f.store);
    assert_eq!(calls.get("get_version"), None, "{calls:?}");
    assert_eq!(calls.get("set_deprecations"), Some(&1), "{calls:?}");
    // The versions are read in pages (1000 per call), not one by one.
    assert!(
        calls.get("list_versions").copied().unwrap_or(0) <= 4,
        "{calls:?}"
    );
}

#[tokio::test]
async fn unpublish_of_many_versions_reads_once_and_deletes_in_one_write() {
    let f = fixture(2_000).await;
    let rev = current_rev(&f).await;
    let remaining: BTreeSet<String> = (0..10).map(|i| format!("1.0.{i}")).collect();
    take(&f.store);
    let gone = f
        .service
        .npm_unpublish_missing(&f.caller, &f.repo, "kit", Some(&rev), &remaining)
        .await
        .unwrap();
    assert_eq!(gone.len(), 1_990);
    let calls = take(&f.store);
    assert_eq!(calls.get("get_version"), None, "{calls:?}");
    assert_eq!(calls.get("apply_version_changes"), Some(&1), "{calls:?}");
    let total: usize = calls.values().sum();
    assert!(total <= 8, "{total} store calls: {calls:?}");
}

#[tokio::test]
async fn a_packument_reads_the_tarball_rows_at_once() {
    let f = fixture(3_000).await;
    take(&f.store);
    f.service.npm_packument(&f.repo, "kit").await.unwrap();
    let calls = take(&f.store);
    assert_eq!(calls.get("get_asset"), None, "{calls:?}");
    assert_eq!(calls.get("package_assets"), Some(&1), "{calls:?}");
    let total: usize = calls.values().sum();
    assert!(total <= 10, "{total} store calls: {calls:?}");
}
