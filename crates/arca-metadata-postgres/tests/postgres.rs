//! The storage test suite against PostgreSQL, each test in a schema of its own, plus what only a
//! shared database has to prove: migrations across reconnects and concurrent starts, replicas seeing
//! each other's writes, and concurrent writers through separate pools getting exactly the documented
//! answers (never a backend error).
//!
//! The server is `ARCA_TEST_POSTGRES_URL` (default `postgres://root@127.0.0.1:5432/test`). When it
//! cannot be reached, every test prints `SKIPPED: …` on stderr and passes, unless
//! `ARCA_REQUIRE_POSTGRES=1` (CI), where every test fails instead.

#[path = "../../arca-metadata-sqlite/tests/suite/mod.rs"]
mod suite;

use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arca_metadata::{
    AuditRow, ChangeEpoch, ChangeFeed, DomainStore, NewDomain, PackageFilter, PackageFormat,
    PackageStore, PublishWrite, RepositoryStore, StoreError, VersionAction, VersionChange,
    VersionStatus,
};
use arca_metadata_postgres::PostgresStore;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const DEFAULT_URL: &str = "postgres://root@127.0.0.1:5432/test";
/// Prefix of the schemas made by these tests; leftovers older than [`STALE_AFTER`] are dropped.
const SCHEMA_PREFIX: &str = "arca_test_";
const STALE_AFTER: Duration = Duration::from_secs(3600);
/// Connections per store of a suite test (tests run in parallel, all on one server).
const SUITE_CONNECTIONS: u32 = 4;
/// Tests holding a schema at once, whatever the harness's thread count: with at most 16
/// connections each, they stay well under PostgreSQL's default `max_connections` (100).
const CONCURRENT_TESTS: usize = 4;

fn server_url() -> String {
    std::env::var("ARCA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A schema of its own for one test, dropped with everything in it when the guard is dropped.
struct Schema {
    name: String,
    server: PgConnectOptions,
    _turn: OwnedSemaphorePermit,
}

impl Schema {
    /// A fresh, empty schema; `None` (after saying so) when the server is unreachable and not
    /// required.
    async fn create() -> Option<Schema> {
        static TURNS: OnceLock<Arc<Semaphore>> = OnceLock::new();
        let turn = TURNS
            .get_or_init(|| Arc::new(Semaphore::new(CONCURRENT_TESTS)))
            .clone()
            .acquire_owned()
            .await
            .unwrap();
        let url = server_url();
        let server = PgConnectOptions::from_str(&url).expect("ARCA_TEST_POSTGRES_URL is a URL");
        let mut conn = match server.connect().await {
            Ok(conn) => conn,
            Err(e) if std::env::var("ARCA_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
                panic!("PostgreSQL not reachable at {url} and ARCA_REQUIRE_POSTGRES=1: {e}")
            }
            Err(e) => {
                // Straight to the stderr handle, not `eprintln!`: the test harness captures the
                // latter for passing tests, and a skip must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: PostgreSQL not reachable at {url} ({e}); \
                     set ARCA_TEST_POSTGRES_URL, or ARCA_REQUIRE_POSTGRES=1 to fail instead"
                );
                return None;
            }
        };
        drop_stale_schemas(&mut conn).await;
        let name = format!(
            "{SCHEMA_PREFIX}{}_{:016x}",
            now_secs(),
            rand::random::<u64>()
        );
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Some(Schema {
            name,
            server,
            _turn: turn,
        })
    }

    /// Connection options whose tables are this schema's.
    fn options(&self) -> PgConnectOptions {
        self.server
            .clone()
            .options([("search_path", self.name.as_str())])
    }

    /// The database URL of this schema, as a user would write it.
    fn url(&self) -> String {
        let url = server_url();
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}options=-c%20search_path%3D{}", self.name)
    }

    async fn store(&self, connections: u32) -> PostgresStore {
        PostgresStore::connect_with(
            self.options(),
            PgPoolOptions::new().max_connections(connections),
        )
        .await
        .unwrap()
    }

    async fn pool(&self, connections: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(connections)
            .connect_with(self.options())
            .await
            .unwrap()
    }

    async fn connection(&self) -> PgConnection {
        self.options().connect().await.unwrap()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        // Drop may run inside the test's runtime: do the async work on a thread of its own.
        let (name, server) = (self.name.clone(), self.server.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut conn = server.connect().await?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}: {dropped:?}", self.name);
        }
    }
}

/// Drops the schemas of test runs that ended without cleaning up (once per process; schemas of
/// runs in progress are younger than [`STALE_AFTER`]).
async fn drop_stale_schemas(conn: &mut PgConnection) {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return;
    }
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::TEXT FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(SCHEMA_PREFIX)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let stale_before = now_secs().saturating_sub(STALE_AFTER.as_secs());
    for name in names {
        let created = name
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|secs| secs < stale_before) {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .execute(&mut *conn)
                .await;
        }
    }
}

async fn pg_fixture() -> Option<suite::Fixture> {
    let schema = Schema::create().await?;
    let store = schema.store(SUITE_CONNECTIONS).await;
    Some(suite::Fixture::new(store, schema))
}

suite::metadata_store_suite!(pg_fixture);

// ---- PostgreSQL only ----

fn shared(store: &PostgresStore) -> suite::Store {
    Arc::new(store.clone())
}

async fn applied_migrations(schema: &Schema) -> Vec<(i64, bool)> {
    let mut conn = schema.connection().await;
    sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_are_idempotent_and_data_survives_reconnect() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let store = schema.store(2).await;
    let first = shared(&store);
    let domain = suite::create_domain(&first, suite::OWNER, "d").await;
    let repo = suite::create_repository(&first, &domain, "r", &["up"]).await;
    let pkg = suite::key(PackageFormat::Generic, "ns", "p");
    let version = suite::publish(
        &first,
        repo.id,
        &pkg,
        "1",
        5,
        Some(suite::asset("a", "x", 3)),
    )
    .await;
    store.close().await;
    let migrations = applied_migrations(&schema).await;
    assert!(!migrations.is_empty());

    // `arca migrate` with the URL form of the same schema, twice: nothing left to do.
    PostgresStore::migrate(&schema.url()).await.unwrap();
    PostgresStore::migrate(&schema.url()).await.unwrap();
    assert_eq!(applied_migrations(&schema).await, migrations);
    assert!(migrations.iter().all(|(_, success)| *success));

    let again = PostgresStore::connect(&schema.url()).await.unwrap();
    assert_eq!(applied_migrations(&schema).await, migrations);
    assert_eq!(
        again.get_domain(suite::OWNER, "d").await.unwrap(),
        Some(domain)
    );
    assert_eq!(
        again.get_repository(repo.domain_id, "r").await.unwrap(),
        Some(repo)
    );
    assert_eq!(
        again.get_version(version.package_id, "1").await.unwrap(),
        Some(version)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_migrate_once() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let mut starts = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let options = schema.options();
        starts.spawn(async move {
            PostgresStore::connect_with(options, PgPoolOptions::new().max_connections(1)).await
        });
    }
    let mut stores = Vec::new();
    while let Some(started) = starts.join_next().await {
        stores.push(started.unwrap().expect("every replica starts"));
    }
    let migrations = applied_migrations(&schema).await;
    let mut versions: Vec<i64> = migrations.iter().map(|(v, _)| *v).collect();
    versions.dedup();
    assert_eq!(versions.len(), migrations.len(), "{migrations:?}");
    // Every replica works on the one schema.
    let first = shared(&stores[0]);
    suite::create_domain(&first, suite::OWNER, "d").await;
    for store in &stores {
        assert!(store.get_domain(suite::OWNER, "d").await.unwrap().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_see_each_others_writes() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let (a, b) = (
        shared(&schema.store(2).await),
        shared(&schema.store(2).await),
    );
    let domain = suite::create_domain(&a, suite::OWNER, "d").await;
    assert_eq!(
        b.get_domain(suite::OWNER, "d").await.unwrap(),
        Some(domain.clone())
    );
    let repo = suite::create_repository(&b, &domain, "r", &[]).await;
    let pkg = suite::key(PackageFormat::Npm, "scope", "p");
    let v1 = suite::publish(
        &a,
        repo.id,
        &pkg,
        "1.0.0",
        1,
        Some(suite::asset("a", "x", 7)),
    )
    .await;
    assert_eq!(
        b.get_version(v1.package_id, "1.0.0").await.unwrap(),
        Some(v1.clone())
    );
    // A compare-and-set write through one replica, on what the other read.
    b.apply_version_changes(&[VersionChange {
        version_id: v1.id,
        expect_status: v1.status,
        expect_revision: v1.revision.clone(),
        action: VersionAction::SetStatus {
            status: VersionStatus::Archived,
            published_ms: 1,
        },
    }])
    .await
    .unwrap();
    let stale = a
        .apply_publish(&PublishWrite {
            expect: suite::at(&v1),
            ..suite::new_version(repo.id, &pkg, "1.0.0", 2, None)
        })
        .await;
    assert!(
        matches!(stale, Err(StoreError::PreconditionFailed)),
        "{stale:?}"
    );
    let arn = suite::repository_arn(&domain, "r");
    a.tag_resource(&arn, &[("k".into(), "v".into())], 50)
        .await
        .unwrap();
    assert_eq!(
        b.list_tags(&arn).await.unwrap(),
        vec![("k".into(), "v".into())]
    );
    assert_eq!(b.domain_stats(domain.id).await.unwrap().asset_size_bytes, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creation_through_two_pools_has_one_winner() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let stores = [
        shared(&schema.store(8).await),
        shared(&schema.store(8).await),
    ];
    let domain = suite::create_domain(&stores[0], suite::OWNER, "d").await;
    let repo = suite::create_repository(&stores[0], &domain, "r", &[]).await;
    // Several rounds, each racing 16 creations of a new package and version.
    for round in 0..5 {
        let pkg = suite::key(PackageFormat::Generic, "ns", &format!("raced-{round}"));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..16 {
            let store = stores[i % 2].clone();
            let write = PublishWrite {
                revision: format!("rev-{i}"),
                ..suite::new_version(
                    repo.id,
                    &pkg,
                    "1.0",
                    i as i64,
                    Some(suite::asset(&format!("asset-{i}"), &format!("blob-{i}"), 1)),
                )
            };
            tasks.spawn(async move { store.apply_publish(&write).await });
        }
        let (mut winners, mut lost) = (Vec::new(), 0);
        while let Some(joined) = tasks.join_next().await {
            match joined.unwrap() {
                Ok(row) => winners.push(row),
                Err(StoreError::PreconditionFailed) => lost += 1,
                Err(other) => panic!("round {round}: unexpected error: {other:?}"),
            }
        }
        assert_eq!((winners.len(), lost), (1, 15), "round {round}: {winners:?}");
        let winner = &winners[0];
        let package = stores[1].get_package(repo.id, &pkg).await.unwrap().unwrap();
        assert_eq!(winner.package_id, package.id);
        assert_eq!(
            stores[1]
                .get_version(package.id, "1.0")
                .await
                .unwrap()
                .as_ref(),
            Some(winner)
        );
        let assets = stores[0].version_assets(winner.id).await.unwrap();
        assert_eq!(assets.len(), 1);
        assert_eq!(assets[0].name, format!("asset-{}", winner.published_ms));
    }
    let packages = stores[0]
        .list_packages(repo.id, &PackageFilter::default(), 100)
        .await
        .unwrap();
    assert_eq!(packages.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crossed_version_batches_do_not_deadlock() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let stores = [
        shared(&schema.store(4).await),
        shared(&schema.store(4).await),
    ];
    let domain = suite::create_domain(&stores[0], suite::OWNER, "d").await;
    let repo = suite::create_repository(&stores[0], &domain, "r", &[]).await;
    let pkg = suite::key(PackageFormat::Generic, "ns", "p");
    let mut versions = Vec::new();
    for v in 0..6 {
        let asset = suite::asset(&format!("a{v}"), &format!("x{v}"), 1);
        versions
            .push(suite::publish(&stores[0], repo.id, &pkg, &v.to_string(), 1, Some(asset)).await);
    }
    // Batches over the same versions in opposite orders, all expecting the initial state: exactly
    // one batch can apply, the others see the changed status.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let mut order = versions.clone();
        if i % 2 == 1 {
            order.reverse();
        }
        let batch: Vec<VersionChange> = order
            .iter()
            .map(|v| VersionChange {
                version_id: v.id,
                expect_status: v.status,
                expect_revision: v.revision.clone(),
                action: VersionAction::Dispose {
                    revision: format!("disposed-{i}"),
                },
            })
            .collect();
        let store = stores[i % 2].clone();
        tasks.spawn(async move { store.apply_version_changes(&batch).await });
    }
    let mut applied = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(()) => applied += 1,
            Err(StoreError::PreconditionFailed) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(applied, 1);
    let revisions: Vec<String> = stores[1]
        .list_versions(
            versions[0].package_id,
            &Default::default(),
            &arca_metadata::VersionOrder::Version { after: None },
            10,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.revision)
        .collect();
    assert_eq!(revisions.len(), 6);
    assert!(
        revisions.iter().all(|r| r == &revisions[0]),
        "{revisions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_repository_while_publishing_leaves_nothing_behind() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let stores = [
        shared(&schema.store(6).await),
        shared(&schema.store(6).await),
    ];
    let domain = suite::create_domain(&stores[0], suite::OWNER, "d").await;
    let repo = suite::create_repository(&stores[0], &domain, "r", &[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let store = stores[i % 2].clone();
        let pkg = suite::key(PackageFormat::Generic, "ns", &format!("p{}", i % 3));
        let write = suite::new_version(
            repo.id,
            &pkg,
            &i.to_string(),
            1,
            Some(suite::asset("a", &format!("blob-{i}"), 1)),
        );
        tasks.spawn(async move { store.apply_publish(&write).await.map(|_| ()) });
        if i == 6 {
            let (store, arn) = (stores[1].clone(), suite::repository_arn(&domain, "r"));
            tasks.spawn(async move { store.delete_repository(repo.id, &arn).await });
        }
    }
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert!(stores[0]
        .get_repository(domain.id, "r")
        .await
        .unwrap()
        .is_none());
    assert!(stores[0]
        .list_packages(repo.id, &PackageFilter::default(), 100)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        stores[1]
            .domain_stats(domain.id)
            .await
            .unwrap()
            .asset_size_bytes,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tagging_respects_the_limit() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let stores = [
        shared(&schema.store(6).await),
        shared(&schema.store(6).await),
    ];
    let domain = stores[0]
        .create_domain(&NewDomain {
            tags: vec![("initial".into(), "0".into())],
            ..suite_domain()
        })
        .await
        .unwrap();
    let arn = suite::domain_arn(&domain.owner, &domain.name);
    // 12 writers each add one new key to a resource that has 1 and may have 5.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (store, arn) = (stores[i % 2].clone(), arn.clone());
        tasks.spawn(async move {
            store
                .tag_resource(&arn, &[(format!("k{i}"), "v".into())], 5)
                .await
        });
    }
    let mut added = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(()) => added += 1,
            Err(StoreError::LimitExceeded(_)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(added, 4);
    assert_eq!(stores[1].list_tags(&arn).await.unwrap().len(), 5);
}

fn suite_domain() -> NewDomain {
    NewDomain {
        owner: suite::OWNER.into(),
        name: "d".into(),
        created_ms: 1,
        encryption_key: None,
        arn: suite::domain_arn(suite::OWNER, "d"),
        tags: vec![],
    }
}

/// Byte order must not depend on the database's default collation: every text column that is
/// ordered, range-compared or part of a unique key is `COLLATE "C"`, and only those.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn key_text_columns_compare_bytewise() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let _store = schema.store(1).await;
    let mut conn = schema.connection().await;
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns \
         WHERE table_schema = current_schema() AND collation_name = 'C' \
         AND table_name <> '_sqlx_migrations' ORDER BY table_name, column_name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let expected = [
        ("assets", "name"),
        ("assets", "sha256"),
        ("blobs", "sha256"),
        ("dist_tags", "tag"),
        ("dist_tags", "version"),
        ("document_stamps", "document"),
        ("domains", "name"),
        ("domains", "owner"),
        ("package_group_repositories", "restriction"),
        ("package_groups", "pattern"),
        ("package_versions", "version"),
        ("packages", "format"),
        ("packages", "name"),
        ("packages", "namespace"),
        ("principals", "access_key_id"),
        ("principals", "account"),
        ("principals", "arn"),
        ("repositories", "administrator_account"),
        ("repositories", "name"),
        ("repository_upstreams", "upstream_name"),
        ("resource_policies", "resource_arn"),
        ("tags", "key"),
        ("tags", "resource_arn"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .collect();
    assert_eq!(columns, expected);
}

/// Migration 0003 is expand-only: the statements of the previous release (which knows neither
/// `requires_python` nor the detail tables) still run against the new schema, and its deletes take
/// the new rows with them instead of failing on their foreign keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn previous_release_statements_still_work_after_0003() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let store = schema.store(2).await;
    let s = shared(&store);
    let domain = suite::create_domain(&s, suite::OWNER, "d").await;
    let repo = suite::create_repository(&s, &domain, "r", &[]).await;
    let pkg = suite::key(PackageFormat::Npm, "", "kit");
    let v = s
        .apply_publish(&PublishWrite {
            details: Some(arca_metadata::VersionDetails {
                dependencies: vec![arca_metadata::PackageDependency {
                    namespace: String::new(),
                    package: "widget".into(),
                    dependency_type: Some("regular".into()),
                    version_requirement: Some("^1".into()),
                }],
                readme: Some("r".into()),
                deprecated: Some("old".into()),
            }),
            dist_tags: vec!["latest".into()],
            ..suite::new_version(repo.id, &pkg, "1.0.0", 1, None)
        })
        .await
        .unwrap();
    let mut conn = schema.connection().await;
    // The previous release's asset insert names no requires_python.
    sqlx::query(
        "INSERT INTO assets (version_id, name, domain_id, size, md5, sha1, sha256, sha512) \
         VALUES ($1, 'package.tgz', $2, 1, 'm', 's1', 's256', 's512')",
    )
    .bind(v.id)
    .bind(domain.id)
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        s.get_asset(v.id, "package.tgz")
            .await
            .unwrap()
            .unwrap()
            .requires_python,
        None
    );
    // Its package delete: assets, versions, package — the details and tags go by cascade.
    for statement in [
        "DELETE FROM assets WHERE version_id IN (SELECT id FROM package_versions WHERE package_id = $1)",
        "DELETE FROM package_versions WHERE package_id = $1",
        "DELETE FROM packages WHERE id = $1",
    ] {
        sqlx::query(statement)
            .bind(v.package_id)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    for table in ["version_details", "version_dependencies", "dist_tags"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
}

/// Requests aborted at every point of their read transaction, BEGIN included (as when clients
/// disconnect), never leave a pooled connection inside a transaction once the pool is idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aborted_requests_leave_no_transaction_open() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let app = schema.name.clone();
    let pg = PostgresStore::connect_with(
        schema.options().application_name(&app),
        PgPoolOptions::new().max_connections(4),
    )
    .await
    .unwrap();
    let store = shared(&pg);
    let domain = suite::create_domain(&store, suite::OWNER, "d").await;
    let mut observer = schema.connection().await;
    let mut leaked_rounds = 0;
    for round in 0..150u64 {
        // 8 requests aborted together after 0, 10, 20, … µs of real time (tokio's timers are too
        // coarse for this), as a load generator's are when it stops.
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, id) = (store.clone(), domain.id);
                tokio::spawn(async move { store.domain_stats(id).await })
            })
            .collect();
        let until = std::time::Instant::now() + Duration::from_micros(round % 50 * 10);
        while std::time::Instant::now() < until {
            std::hint::spin_loop();
        }
        tasks.iter().for_each(|t| t.abort());
        for task in tasks {
            let _ = task.await;
        }
        // A connection on its way back to the pool may still be ending its transaction: only one
        // still idle in a transaction after a quiet half second counts.
        let mut leaked = true;
        for wait_ms in [20, 500] {
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
            let idle_in_transaction: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
            )
            .bind(&app)
            .fetch_one(&mut observer)
            .await
            .unwrap();
            leaked &= idle_in_transaction > 0;
            if !leaked {
                break;
            }
        }
        leaked_rounds += usize::from(leaked);
    }
    pg.close().await;
    assert_eq!(
        leaked_rounds, 0,
        "rounds after which a connection stayed in a transaction"
    );
}

// ---- the change feed (LISTEN/NOTIFY) ----

/// How long a notification may take to move another store's epoch before a test gives up.
const FEED_DEADLINE: Duration = Duration::from_secs(10);

/// Waits (up to [`FEED_DEADLINE`]) until `epoch` is past `value`, and returns its value then.
async fn epoch_past(epoch: &ChangeEpoch, value: u64, what: &str) -> u64 {
    let deadline = tokio::time::Instant::now() + FEED_DEADLINE;
    loop {
        let now = epoch.current();
        if now > value {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the epoch did not move past {value} within {FEED_DEADLINE:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A store of `schema` whose connections (its feed's too) are named `app` in `pg_stat_activity`,
/// watching a new epoch, once its feed listens (the epoch moved once).
async fn watching_store(schema: &Schema, app: &str) -> (PostgresStore, Arc<ChangeEpoch>) {
    let store = PostgresStore::connect_with(
        schema.options().application_name(app),
        PgPoolOptions::new().max_connections(2),
    )
    .await
    .unwrap();
    let epoch = Arc::new(ChangeEpoch::default());
    store.watch_changes(epoch.clone());
    epoch_past(&epoch, 0, "a feed bumps once it listens").await;
    (store, epoch)
}

/// The backends of the feeds of the stores named `app` (the connections whose last statement was
/// their LISTEN).
async fn feed_backends(conn: &mut PgConnection, app: &str) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
    )
    .bind(app)
    .fetch_all(conn)
    .await
    .unwrap()
}

/// Waits (up to [`FEED_DEADLINE`]) until the feed backends of `app` are as `expected` says, and
/// returns them.
async fn feed_backends_until(
    conn: &mut PgConnection,
    app: &str,
    expected: &str,
    done: impl Fn(&[i32]) -> bool,
) -> Vec<i32> {
    let deadline = tokio::time::Instant::now() + FEED_DEADLINE;
    loop {
        let pids = feed_backends(conn, app).await;
        if done(&pids) {
            return pids;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "feed connections of {app}: {pids:?}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of `epoch` once a notification on its way has had time to arrive (a pause, so that a
/// bump too many is seen; none is needed for the test to pass).
async fn settled(epoch: &ChangeEpoch) -> u64 {
    tokio::time::sleep(Duration::from_millis(300)).await;
    epoch.current()
}

async fn notify(conn: &mut PgConnection, payload: &str) {
    sqlx::query("SELECT pg_notify('arca_changes', $1)")
        .bind(payload)
        .execute(conn)
        .await
        .unwrap();
}

/// Replica B hears replica A's commits, not A's audit records, not another schema's commits; it
/// reconnects (moving its epoch) when its connection is killed; closing or dropping a store ends
/// its feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_change_feed_hears_other_replicas_commits() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    let Some(elsewhere) = Schema::create().await else {
        return;
    };
    let (app_b, app_c) = (
        format!("{}_b", schema.name),
        format!("{}_c", elsewhere.name),
    );
    let a = shared(&schema.store(2).await);
    let (b, epoch_b) = watching_store(&schema, &app_b).await;
    let (c, epoch_c) = watching_store(&elsewhere, &app_c).await;
    let c_before = epoch_c.current();

    let before = epoch_b.current();
    let domain = suite::create_domain(&a, suite::OWNER, "d").await;
    epoch_past(&epoch_b, before, "a domain created through A").await;

    // An audit record sends no notification, a repository one. Counted on a listener of the
    // test's own: every listener gets the notifications in commit order, so those of the two
    // writes are the ones before a marker sent after them.
    let mut listener = PgListener::connect_with(&schema.pool(1).await)
        .await
        .unwrap();
    listener.listen("arca_changes").await.unwrap();
    let before = epoch_b.current();
    a.append_audit(&[AuditRow {
        time_ms: 1,
        principal_arn: "arn:aws:iam::111122223333:root".into(),
        action: "codeartifact:CreateDomain".into(),
        resource_arn: "*".into(),
        result: "allowed".into(),
        request_id: "r".into(),
        source_ip: String::new(),
    }])
    .await
    .unwrap();
    suite::create_repository(&a, &domain, "r", &[]).await;
    let mut observer = schema.connection().await;
    notify(&mut observer, "marker").await;
    let mut sent = 0;
    loop {
        let notification = listener.recv().await.unwrap();
        if notification.payload() == "marker" {
            break;
        }
        sent += usize::from(notification.payload() == schema.name);
    }
    assert_eq!(sent, 1, "notifications of an audit record and a repository");
    // B bumped for it (and for nothing else, such as the marker).
    epoch_past(&epoch_b, before, "a repository created through A").await;
    assert_eq!(settled(&epoch_b).await, before + 1);
    // C heard none of them: a notification of its own schema, after them, moves it once.
    notify(&mut observer, &elsewhere.name).await;
    epoch_past(&epoch_c, c_before, "a notification of C's schema").await;
    assert_eq!(
        settled(&epoch_c).await,
        c_before + 1,
        "notifications of another schema moved the epoch"
    );

    // A lost connection: the epoch moves, the feed listens again and hears the next commit.
    let [killed] = feed_backends_until(&mut observer, &app_b, "one", |p| p.len() == 1).await[..]
    else {
        unreachable!()
    };
    let before = epoch_b.current();
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(killed)
        .fetch_one(&mut observer)
        .await
        .unwrap();
    assert!(terminated);
    epoch_past(&epoch_b, before, "the feed's connection was lost").await;
    feed_backends_until(&mut observer, &app_b, "a new one", |p| {
        p.len() == 1 && p[0] != killed
    })
    .await;
    // Listening again moved the epoch once more; a commit after that is heard.
    let before = epoch_past(&epoch_b, before + 1, "the feed listens again").await;
    suite::create_domain(&a, suite::OWNER, "d2").await;
    epoch_past(&epoch_b, before, "a domain created after the reconnection").await;

    // Closing B, dropping C: their feeds end.
    b.close().await;
    feed_backends_until(&mut observer, &app_b, "none", <[_]>::is_empty).await;
    drop(c);
    let mut observer = elsewhere.connection().await;
    feed_backends_until(&mut observer, &app_c, "none", <[_]>::is_empty).await;
}

/// Every table either notifies (migration 0009) or is bookkeeping no document shows, as listed
/// there: a new table must be classified.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_table_is_watched_or_known_bookkeeping() {
    let Some(schema) = Schema::create().await else {
        return;
    };
    schema.store(1).await.close().await;
    let mut conn = schema.connection().await;
    let unwatched: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::TEXT FROM pg_class c \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' \
           AND NOT EXISTS (SELECT 1 FROM pg_trigger t \
                           WHERE t.tgrelid = c.oid AND t.tgname = 'arca_notify_change') \
         ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        unwatched,
        [
            "_sqlx_migrations",
            "audit_records",
            "blobs",
            "document_stamps"
        ]
    );
}
