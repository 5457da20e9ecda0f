//! What npm's document writes cost in store calls: a document naming many versions must not cost a
//! database round trip per version it names (issue 10: `npm deprecate` of a document listing 220k
//! versions made one lookup per version and took 12 s of CPU). Reads too: a packument or a PyPI
//! project page reads its file rows at once (issue 12).
//!
//! The service runs on a real SQLite store wrapped in [`CountingStore`] (`common`), which counts
//! every call of every store method.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arca_metadata::*;
use arca_service::{Caller, NativeRepo, Service};
use common::*;

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
    fixture_of(PackageFormat::Npm, versions, |_| Vec::new()).await
}

/// The same with a package `kit` of `format`, each version `1.0.{i}` holding `assets(i)`.
async fn fixture_of(
    format: PackageFormat,
    versions: usize,
    assets: impl Fn(usize) -> Vec<AssetRow>,
) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (service, store) = counting_service(dir.path(), Vec::new()).await;
    let repository = acme_repository(&store, "releases", Vec::new()).await;
    let package = PackageKey {
        format,
        namespace: String::new(),
        name: "kit".into(),
    };
    // A copy's blobs must already be referenced in the domain: one seed version per blob.
    let blobs: BTreeMap<String, AssetRow> = (0..versions)
        .flat_map(&assets)
        .map(|a| (a.sha256.clone(), a))
        .collect();
    for (i, asset) in blobs.into_values().enumerate() {
        store
            .apply_publish(&PublishWrite {
                repository_id: repository.id,
                package: PackageKey {
                    format: PackageFormat::Generic,
                    namespace: "seed".into(),
                    name: "seed".into(),
                },
                new_package_origin: (OriginRule::Allow, OriginRule::Block),
                version: format!("{i}"),
                expect: VersionExpectation::Absent,
                status: VersionStatus::Published,
                revision: "r".into(),
                published_ms: 0,
                origin: VersionOrigin {
                    origin_type: OriginType::Internal,
                    repository: None,
                    external_connection: None,
                },
                metadata: VersionMetadata::default(),
                asset: Some(asset),
                details: None,
                dist_tags: Vec::new(),
                asset_lease: None,
                replace_metadata: false,
                audit: None,
            })
            .await
            .unwrap();
    }
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
            assets: assets(i),
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
    let caller = Caller::root(OWNER);
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

#[tokio::test]
async fn a_pypi_project_page_reads_the_file_rows_at_once() {
    let f = fixture_of(PackageFormat::Pypi, 500, |i| {
        ["tar.gz", "zip"]
            .iter()
            .map(|ext| AssetRow {
                name: format!("kit-1.0.{i}.{ext}"),
                size: 1,
                md5: "m".into(),
                sha1: "s".into(),
                sha256: "0".repeat(64),
                sha512: "x".into(),
                requires_python: None,
            })
            .collect()
    })
    .await;
    take(&f.store);
    let page = f.service.pypi_project(&f.repo, "kit").await.unwrap();
    assert_eq!(page.files.len(), 1_000);
    let calls = take(&f.store);
    assert_eq!(calls.get("version_assets"), None, "{calls:?}");
    assert_eq!(calls.get("package_assets"), Some(&1), "{calls:?}");
    let total: usize = calls.values().sum();
    assert!(total <= 10, "{total} store calls: {calls:?}");
}
