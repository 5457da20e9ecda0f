//! The storage test suite against SQLite (a fresh temporary database file per test), plus the
//! SQLite-specific behaviour of opening a store.

mod suite;

use arca_metadata::{DomainStore, PackageFormat, PackageStore};
use arca_metadata_sqlite::SqliteStore;

async fn sqlite_fixture() -> suite::Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("metadata.db"))
        .await
        .unwrap();
    suite::Fixture::new(store, dir)
}

suite::metadata_store_suite!(sqlite_fixture);

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reopened.db");
    let version = {
        let store = SqliteStore::open(&path).await.unwrap();
        let shared: suite::Store = std::sync::Arc::new(store.clone());
        let domain = suite::create_domain(&shared, suite::OWNER, "d").await;
        let repo = suite::create_repository(&shared, &domain, "r", &[]).await;
        let pkg = suite::key(PackageFormat::Generic, "ns", "p");
        let version = suite::publish(
            &shared,
            repo.id,
            &pkg,
            "1",
            5,
            Some(suite::asset("a", "x", 3)),
        )
        .await;
        store.close().await;
        version
    };
    assert!(path.exists());

    let store = SqliteStore::open(&path).await.unwrap();
    let domain = store.get_domain(suite::OWNER, "d").await.unwrap().unwrap();
    assert_eq!(
        store
            .domain_stats(domain.id)
            .await
            .unwrap()
            .asset_size_bytes,
        3
    );
    assert_eq!(
        store
            .get_version(version.package_id, "1")
            .await
            .unwrap()
            .as_ref(),
        Some(&version)
    );
}

#[tokio::test]
async fn open_url_in_memory() {
    let store = SqliteStore::open_url("sqlite::memory:").await.unwrap();
    let shared: suite::Store = std::sync::Arc::new(store);
    let domain = suite::create_domain(&shared, suite::OWNER, "d").await;
    assert_eq!(
        shared.get_domain(suite::OWNER, "d").await.unwrap(),
        Some(domain)
    );
    // Two in-memory stores are distinct databases.
    let other = SqliteStore::open_url("sqlite::memory:").await.unwrap();
    assert!(other.get_domain(suite::OWNER, "d").await.unwrap().is_none());
}

#[tokio::test]
async fn open_url_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("via-url.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = SqliteStore::open_url(&url).await.unwrap();
    let shared: suite::Store = std::sync::Arc::new(store);
    suite::create_domain(&shared, suite::OWNER, "d").await;
    assert!(path.exists());
    // Without mode=rwc a missing file is an error, not silently created.
    let missing = dir.path().join("missing.db");
    assert!(
        SqliteStore::open_url(&format!("sqlite://{}", missing.display()))
            .await
            .is_err()
    );
}
