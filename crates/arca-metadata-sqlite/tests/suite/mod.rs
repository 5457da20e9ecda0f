//! The behavioural test suite of [`arca_metadata::MetadataStore`], independent of any backend.
//!
//! Every test is a `pub async fn(Store)` working only through the traits, so the same suite runs
//! against every backend. A backend's integration test crate includes this module and instantiates
//! the suite with a factory of fresh, empty stores:
//!
//! ```ignore
//! mod suite;
//!
//! async fn fresh_store() -> suite::Fixture {
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = MyStore::open(dir.path()).await.unwrap();
//!     suite::Fixture::new(store, dir) // the guard (here the temp dir) lives as long as the test
//! }
//!
//! suite::metadata_store_suite!(fresh_store);
//! ```
//!
//! That expands to one `#[tokio::test]` per test below. A new test is a `pub async fn` in one of the
//! submodules plus its name in the list of [`metadata_store_suite!`]; forgetting the latter is a
//! dead-code warning (an error under `-D warnings`).

mod access;
mod audit;
mod blobs;
mod concurrent;
mod details;
mod domains;
mod groups;
mod packages;
mod refusals;
mod repositories;
mod tags;
mod versions;
mod writes;

use std::any::Any;
use std::sync::Arc;

use arca_metadata::{
    AssetRow, DomainRow, MetadataStore, NewDomain, NewRepository, OriginRule, OriginType,
    PackageFormat, PackageKey, PublishWrite, RepositoryRow, VersionExpectation, VersionMetadata,
    VersionOrigin, VersionRow, VersionStatus,
};

pub use access::*;
pub use audit::*;
pub use blobs::*;
pub use concurrent::*;
pub use details::*;
pub use domains::*;
pub use groups::*;
pub use packages::*;
pub use refusals::*;
pub use repositories::*;
pub use tags::*;
pub use versions::*;
pub use writes::*;

/// The store under test, shareable with spawned tasks.
pub type Store = Arc<dyn MetadataStore>;

/// A fresh, empty store and whatever must outlive it (a temporary directory, a throw-away
/// database…). Dropped at the end of the test, store first.
pub struct Fixture {
    pub store: Store,
    _guard: Box<dyn Any + Send>,
}

impl Fixture {
    pub fn new(store: impl MetadataStore + 'static, guard: impl Any + Send) -> Self {
        Fixture {
            store: Arc::new(store),
            _guard: Box::new(guard),
        }
    }
}

/// What a fixture factory returns: a [`Fixture`], or `None` when the backend is unavailable and the
/// test is skipped (the factory says so on stderr).
pub trait IntoFixture {
    fn into_fixture(self) -> Option<Fixture>;
}

impl IntoFixture for Fixture {
    fn into_fixture(self) -> Option<Fixture> {
        Some(self)
    }
}

impl IntoFixture for Option<Fixture> {
    fn into_fixture(self) -> Option<Fixture> {
        self
    }
}

/// Instantiates every test of the suite against stores made by `$fixture`, an `async fn() ->
/// Fixture` (or `Option<Fixture>`, see [`IntoFixture`]), at the place of the invocation.
macro_rules! metadata_store_suite {
    ($fixture:path) => {
        $crate::suite::metadata_store_suite!(@tests $fixture;
            // domains
            domain_create_get_and_tags,
            domain_create_duplicate_is_already_exists,
            domain_list_byte_order_and_cursor,
            domain_list_all_by_owner_then_name,
            domain_delete_conflicts_while_repositories_exist,
            domain_stats_count_distinct_blobs_across_repositories,
            // repositories
            repository_create_get_with_ordered_upstreams_and_tags,
            repository_create_duplicate_is_already_exists,
            repository_create_in_missing_domain_is_not_found,
            repository_update_fields_independently,
            repository_external_connection_compare_and_set,
            repository_list_order_cursor_and_filters,
            repository_list_prefix_is_literal,
            repository_downstreams,
            repository_delete_conflicts_while_an_upstream,
            repository_delete_removes_everything_it_owns,
            // packages
            package_list_order_cursor_and_filters,
            package_list_prefixes_are_literal,
            package_get_and_delete,
            package_origin_put_creates_or_updates,
            package_delete_at_expected_versions,
            // versions and assets
            version_list_by_version_with_cursor,
            version_list_by_published_time_with_cursor,
            version_list_filters,
            version_latest_published,
            asset_reads,
            package_assets_of_every_version,
            version_lookup_by_path,
            // writes
            publish_creates_package_and_version,
            publish_absent_twice_fails,
            publish_at_updates_status_and_adds_asset,
            publish_at_may_replace_metadata,
            publish_with_stale_expectation_writes_nothing,
            publish_duplicate_asset_writes_nothing,
            publish_into_missing_repository_is_not_found,
            publish_concurrently_only_one_creates,
            publish_many_concurrently_each_all_or_nothing,
            version_changes_apply_together,
            version_changes_roll_back_on_any_mismatch,
            copy_creates_versions_and_package,
            copy_overwrites_and_is_atomic,
            // blobs
            blob_touch_creates_then_keeps_generation,
            blob_claim_skips_referenced_recent_and_claimed,
            blob_deleted_or_disposed_versions_release_their_blobs,
            blob_publish_checks_its_lease,
            blob_orphans_are_claimed_only_without_a_row,
            blob_references_are_distinct_and_paged,
            copy_requires_its_blobs_still_referenced,
            // dist-tags and version details
            details_written_by_publish_read_and_paged,
            dist_tags_follow_their_versions,
            deprecations_set_clear_and_list,
            deprecations_in_bulk_are_all_or_nothing,
            copy_carries_details_and_dist_tags,
            requires_python_is_kept_per_asset,
            document_stamps_move_only_with_their_etag,
            // package groups
            groups_root_comes_with_the_domain,
            groups_create_get_list_update_delete,
            groups_origin_changes_and_allowed_repositories,
            groups_domain_packages_are_distinct_across_repositories,
            groups_concurrent_creations_have_one_winner,
            // principals and permission policies
            principals_create_find_rotate_delete,
            resource_policies_lock_on_their_revision,
            resource_policies_go_with_their_resource,
            // audit log
            audit_append_list_filter_page_prune,
            audit_record_commits_with_its_publish,
            // tags
            tags_upsert_list_untag,
            tags_limit_is_all_or_nothing,
            tags_list_all_by_arn_then_key,
            // refusals
            writes_whose_parent_disappeared_are_not_found,
            text_with_nul_is_refused_everywhere,
        );
    };
    (@tests $fixture:path; $($test:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                let Some(fixture) = $crate::suite::IntoFixture::into_fixture($fixture().await) else {
                    return;
                };
                $crate::suite::$test(fixture.store.clone()).await;
            }
        )*
    };
}
pub(crate) use metadata_store_suite;

// ---- helpers shared by the tests ----

pub const OWNER: &str = "111122223333";
pub const OTHER_OWNER: &str = "444455556666";

pub fn domain_arn(owner: &str, name: &str) -> String {
    format!("arn:aws:codeartifact:us-east-1:{owner}:domain/{name}")
}

pub fn repository_arn(domain: &DomainRow, name: &str) -> String {
    format!(
        "arn:aws:codeartifact:us-east-1:{}:repository/{}/{name}",
        domain.owner, domain.name
    )
}

pub async fn create_domain(store: &Store, owner: &str, name: &str) -> DomainRow {
    store
        .create_domain(&NewDomain {
            owner: owner.into(),
            name: name.into(),
            created_ms: 1_000,
            encryption_key: None,
            arn: domain_arn(owner, name),
            tags: vec![],
        })
        .await
        .unwrap()
}

pub async fn create_repository(
    store: &Store,
    domain: &DomainRow,
    name: &str,
    upstreams: &[&str],
) -> RepositoryRow {
    store
        .create_repository(&NewRepository {
            domain_id: domain.id,
            name: name.into(),
            administrator_account: domain.owner.clone(),
            description: None,
            created_ms: 2_000,
            upstreams: upstreams.iter().map(|s| s.to_string()).collect(),
            arn: repository_arn(domain, name),
            tags: vec![],
        })
        .await
        .unwrap()
}

pub fn key(format: PackageFormat, namespace: &str, name: &str) -> PackageKey {
    PackageKey {
        format,
        namespace: namespace.into(),
        name: name.into(),
    }
}

/// An asset whose digests are derived from `blob` (same blob → same SHA-256).
pub fn asset(name: &str, blob: &str, size: i64) -> AssetRow {
    AssetRow {
        name: name.into(),
        size,
        md5: format!("md5-{blob}"),
        sha1: format!("sha1-{blob}"),
        sha256: format!("sha256-{blob}"),
        sha512: format!("sha512-{blob}"),
        requires_python: None,
    }
}

pub fn internal() -> VersionOrigin {
    VersionOrigin {
        origin_type: OriginType::Internal,
        repository: Some("origin-repo".into()),
        external_connection: None,
    }
}

/// A publish of `version` expected absent, Published at `published_ms`, revision `"r1"`.
pub fn new_version(
    repository_id: i64,
    package: &PackageKey,
    version: &str,
    published_ms: i64,
    asset: Option<AssetRow>,
) -> PublishWrite {
    PublishWrite {
        repository_id,
        package: package.clone(),
        new_package_origin: (OriginRule::Allow, OriginRule::Allow),
        version: version.into(),
        expect: VersionExpectation::Absent,
        status: VersionStatus::Published,
        revision: "r1".into(),
        published_ms,
        origin: internal(),
        metadata: VersionMetadata::default(),
        asset,
        details: None,
        dist_tags: Vec::new(),
        asset_lease: None,
        replace_metadata: false,
        audit: None,
    }
}

/// Publishes each asset as a version of a package in a fresh repository `seed` of `domain`, so that
/// a copy of those blobs finds them referenced, as a real copy's source would be.
pub async fn seed_blobs(store: &Store, domain: &DomainRow, assets: &[AssetRow]) {
    let repo = create_repository(store, domain, "seed", &[]).await;
    let pkg = key(PackageFormat::Generic, "seed", "seed");
    for (i, a) in assets.iter().enumerate() {
        publish(store, repo.id, &pkg, &i.to_string(), 0, Some(a.clone())).await;
    }
}

/// Publishes `version` (absent → Published, revision "r1") with the given asset.
pub async fn publish(
    store: &Store,
    repository_id: i64,
    package: &PackageKey,
    version: &str,
    published_ms: i64,
    asset: Option<AssetRow>,
) -> VersionRow {
    store
        .apply_publish(&new_version(
            repository_id,
            package,
            version,
            published_ms,
            asset,
        ))
        .await
        .unwrap()
}

/// The expectation that `row` is still as read.
pub fn at(row: &VersionRow) -> VersionExpectation {
    VersionExpectation::At {
        version_id: row.id,
        status: row.status,
        revision: row.revision.clone(),
    }
}

/// Bound on the pages of a paging loop, so that a cursor that does not advance fails the test
/// instead of hanging it.
pub const MAX_PAGES: usize = 1_000;

/// Names that sort differently by bytes than case-insensitively, with `LIKE` wildcards and
/// non-ASCII.
pub const TRICKY_NAMES: [&str; 12] = [
    "a", "B", "b", "A", "Z", "_", "%", "é", "e", "中", "ab", "a_b",
];

/// `names`, sorted by bytes.
pub fn byte_sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    v
}
