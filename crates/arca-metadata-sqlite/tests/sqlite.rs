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

/// `(version, description, success, checksum)` of each recorded migration.
fn migrations_of(path: &std::path::Path) -> Vec<(i64, String, bool, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut s = conn
        .prepare(
            "SELECT version, description, success, hex(checksum) FROM _sqlx_migrations \
             ORDER BY version",
        )
        .unwrap();
    let rows = s
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// A database written by Arca before the move to rusqlite (sqlx's migrator and driver): made by
/// the release binary of commit e3112c8 (`arca serve`, CreateDomain `dom`, CreateRepository
/// `repo`, one PublishPackageVersion of generic `ns/p` 1.0 with the 3-byte asset `a.txt`, then
/// SIGTERM; its WAL checkpointed into the file by the `sqlite3` module of Python), `_sqlx_migrations`
/// and all. It must open as it is, keep its data and its migration records,
/// and take new writes.
#[tokio::test]
async fn a_database_made_by_the_sqlx_build_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/made-by-sqlx.db"
        ),
        &path,
    )
    .unwrap();
    let before = migrations_of(&path);
    assert_eq!(before.len(), 4, "{before:?}");

    let store = SqliteStore::open(&path).await.unwrap();
    let shared: suite::Store = std::sync::Arc::new(store.clone());
    let domain = store
        .get_domain(suite::OWNER, "dom")
        .await
        .unwrap()
        .unwrap();
    let repo = shared
        .get_repository(domain.id, "repo")
        .await
        .unwrap()
        .unwrap();
    let pkg = suite::key(PackageFormat::Generic, "ns", "p");
    let package = store.get_package(repo.id, &pkg).await.unwrap().unwrap();
    let version = store.get_version(package.id, "1.0").await.unwrap().unwrap();
    let assets = store.version_assets(version.id).await.unwrap();
    assert_eq!(
        assets
            .iter()
            .map(|a| (a.name.as_str(), a.size))
            .collect::<Vec<_>>(),
        [("a.txt", 3)]
    );
    // The later migrations gave the existing domain its root package group (0005).
    let root = shared
        .get_package_group(domain.id, arca_metadata::ROOT_GROUP_PATTERN)
        .await
        .unwrap()
        .expect("the migration adds the root group of existing domains");
    assert_eq!(root.created_ms, domain.created_ms);
    assert_eq!(root.modes, [arca_metadata::GroupMode::Allow; 3]);
    // New writes work on it; what sqlx recorded is kept, the later migrations recorded after it.
    suite::publish(&shared, repo.id, &pkg, "2.0", 5, None).await;
    store.close().await;
    let after = migrations_of(&path);
    assert_eq!(after[..before.len()], before[..]);
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
        .count();
    assert_eq!(
        after.len(),
        files,
        "every migration file applied: {after:?}"
    );
    // And a store made here records exactly the same.
    let fresh = dir.path().join("fresh.db");
    SqliteStore::open(&fresh).await.unwrap().close().await;
    let made_here = migrations_of(&fresh);
    assert_eq!(made_here, after);
}
