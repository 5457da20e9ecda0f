//! PostgreSQL implementation of the [`arca_metadata`] store traits, for several Arca replicas sharing
//! one database.
//!
//! Open a store with [`PostgresStore::connect`] (a `postgres://` URL) or
//! [`PostgresStore::connect_with`]; either brings the schema up to date first (embedded migrations,
//! `migrations/`, see its README for the expand/contract rules). [`PostgresStore::migrate`] only
//! migrates (`arca migrate`).
//!
//! The semantics are exactly those of the SQLite backend (`arca-metadata-sqlite`, whose crate
//! documentation settles what the traits leave open) and the shared storage suite checks both. What
//! differs is concurrency: SQLite has one writer, PostgreSQL runs transactions side by side, from this
//! process and from other replicas. How every write stays race-free:
//!
//! - **Isolation.** Writes run in `READ COMMITTED` transactions (set explicitly, whatever the server
//!   default) and take row locks on what they depend on, before depending on it. Under `READ
//!   COMMITTED` a statement that waited for a lock sees the other transaction's committed result (an
//!   `UPDATE … WHERE` is re-checked against the new row), which is what makes the compare-and-set
//!   guards below exact. Reads made of several statements run in one `REPEATABLE READ READ ONLY`
//!   transaction (one snapshot, never blocks and never fails for serialization).
//! - **Locks are taken top-down**: repository → package → versions (by ascending id) → assets, and
//!   the per-ARN tag lock last, so that writers wait for each other instead of deadlocking.
//!   Whatever PostgreSQL still aborts — a deadlock (`40P01`) or a serialization failure (`40001`) —
//!   rolled back everything, and the store runs the whole transaction again (a few attempts, with a
//!   short backoff) before reporting a backend error.
//!
//! Per invariant:
//!
//! | invariant | how |
//! |---|---|
//! | domain `(owner, name)`, repository `(domain, name)` unique | unique constraint; `23505` → `AlreadyExists` |
//! | repository created in a live domain | foreign key; a concurrent `delete_domain` holds the domain row `FOR UPDATE`, the insert waits and gets `23503` → `NotFound` |
//! | `delete_domain` only without repositories | domain row `FOR UPDATE` (NotFound if gone), then count: an in-flight repository insert holds `KEY SHARE` on the row, so the count runs after it committed |
//! | `update_repository` / `delete_repository` on a live row | repository row `FOR NO KEY UPDATE` / `FOR UPDATE`, else `NotFound`; a deletion then locks its packages and their versions (by id) before deleting them |
//! | `delete_repository` only when no repository lists it upstream | checked under the row lock of the deleted repository (same guarantee as SQLite: upstream names are not references the store enforces) |
//! | publish/copy into a live repository; deletion does not orphan rows | `apply_publish` / `apply_copy` hold the repository row `FOR KEY SHARE` (`NotFound` if gone); `delete_repository` waits for them with `FOR UPDATE`, and they wait for it |
//! | one package per key, created by concurrent publishes | `INSERT … ON CONFLICT DO NOTHING RETURNING id`, else `SELECT … FOR KEY SHARE` (retried if a concurrent `delete_package` removed it in between): concurrent creators wait for the first and reuse its row — never a unique violation |
//! | `delete_package` (`delete_package_at`: only if the versions are the expected ones) | package row `FOR UPDATE`, then its versions `FOR UPDATE` by id, (then their id, status and revision compared), then delete |
//! | version `Absent` | plain insert; unique `(package_id, version)` makes a concurrent creator wait for the first and then fail with `23505` → `PreconditionFailed` |
//! | version `At` (publish, copy overwrite) | `UPDATE … WHERE id, package, version, status, revision` must touch one row (re-checked after any lock wait), else `PreconditionFailed`; a copy locks all the rows it overwrites first, by id |
//! | `apply_version_changes` all or nothing | every version of the batch `FOR UPDATE` by ascending id, then each expectation checked and applied in order; any miss rolls all back (`PreconditionFailed`) |
//! | asset names unique per version | primary key; `23505` → `PreconditionFailed` (publish) / `Conflict` (copy) |
//! | dist-tags and version details point at a live version | foreign keys to `package_versions` (a tag: `(package_id, version)`) with `ON DELETE CASCADE`; an insert racing a version delete waits on the row's key lock and gets `23503` → `NotFound`; the deleting transaction (of this release or the previous one) removes them with the version |
//! | tag limit per resource | all tag writes of an ARN serialize on a transaction advisory lock (`pg_advisory_xact_lock(class, hashtext(arn))`), then upsert + count in the same transaction |
//!
//! Foreign keys, the `Deleted` check and byte order (`COLLATE "C"`) are in the schema. Prefix
//! filters are byte-order range comparisons (`arca_metadata_sql::push_prefix_filter`), never `LIKE`.
//!
//! ## Other replicas' commits (the change feed)
//!
//! What a replica derives from the metadata (rendered packuments and project pages, version
//! lookups; `arca-service`'s `DocumentCache`) is kept while its [`ChangeEpoch`] holds and for at most
//! `document_ttl_ms`. The replica's own writes move the epoch before they return (read-your-writes);
//! other replicas' commits reach it through LISTEN/NOTIFY ([`arca_metadata::ChangeFeed`], module
//! `feed`):
//!
//! - Migration 0009 puts a statement-level trigger on every table a document or a looked-up row is
//!   made of; each change sends `NOTIFY arca_changes, '<schema>'`. PostgreSQL delivers it when the
//!   transaction commits (never for a rollback), once per transaction however many statements sent
//!   it, and to each listener in commit order. Bookkeeping that no document shows (`blobs`,
//!   `document_stamps`, `audit_records`) has no trigger; the test
//!   `every_table_is_watched_or_known_bookkeeping` makes a new table choose.
//! - [`PostgresStore::watch_changes`](arca_metadata::ChangeFeed::watch_changes) starts a task with
//!   a connection of its own (not one of the pool's) that LISTENs and bumps the epoch on every
//!   notification of the store's schema (`current_schema()`; installations may share a database).
//!   It bumps once more when LISTEN is in place (commits before were not heard) and when the
//!   connection is lost, then reconnects after a pause growing from 0.2 s to 5 s, with one warning
//!   per outage. It ends when the store is closed or its last clone dropped.
//! - Staleness on another replica is thus the notification's delay (milliseconds) while the feed is
//!   up, and never more than `document_ttl_ms` (default 2 s) after the commit, whatever the feed
//!   does: a connection that hangs without failing is covered by the TTL only.
//!
//! Adding a table and its store trait means: a migration here and its SQLite twin (see
//! `migrations/README.md`), a module with the trait `impl` whose writes are
//! `self.retrying(|| self.<write>_once(…))`, each `*_once` one `write_tx()` transaction that locks
//! what it depends on, in the order above, a line in the table above, and a notify trigger (a new
//! migration) unless no document shows the table.

mod access;
mod audit;
mod blobs;
mod details;
mod domains;
mod feed;
mod groups;
mod packages;
mod repositories;
mod sql;
mod tags;
mod versions;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use arca_metadata::{ChangeEpoch, StoreError, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Postgres, Transaction};
use tokio::sync::watch;

use crate::sql::{backend, is_transient};

/// Connections of the pool made by [`PostgresStore::connect`].
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;
/// How long a query waits for a pooled connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts of a write transaction that PostgreSQL aborted for a deadlock or a serialization failure.
const WRITE_ATTEMPTS: u32 = 5;

/// A metadata store in a PostgreSQL database (the schema is the first of the connection's
/// `search_path`).
///
/// Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// `true` once the store is closed; dropped with the last clone. Change feeds stop on either.
    closed: Arc<watch::Sender<bool>>,
}

/// Other replicas' commits, through LISTEN/NOTIFY (see the crate documentation): each call starts a
/// task with a connection of its own, which ends when the store is closed or dropped.
impl arca_metadata::ChangeFeed for PostgresStore {
    fn watch_changes(&self, epoch: Arc<ChangeEpoch>) {
        feed::watch(
            PgConnectOptions::clone(&self.pool.connect_options()),
            epoch,
            self.closed.subscribe(),
        );
    }
}

impl PostgresStore {
    /// Connects to the database named by a `postgres://` (or `postgresql://`) URL, with a pool of
    /// [`DEFAULT_MAX_CONNECTIONS`], and brings its schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(
            Self::options(url)?,
            PgPoolOptions::new().max_connections(DEFAULT_MAX_CONNECTIONS),
        )
        .await
    }

    /// Brings the schema up to date, then opens a pool configured by `pool` on `options`.
    pub async fn connect_with(options: PgConnectOptions, pool: PgPoolOptions) -> StoreResult<Self> {
        run_migrations(&options).await?;
        let pool = pool
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Ok(Self {
            pool,
            closed: Arc::new(watch::Sender::new(false)),
        })
    }

    /// Only brings the schema of the database named by `url` up to date (`arca migrate`).
    pub async fn migrate(url: &str) -> StoreResult<()> {
        run_migrations(&Self::options(url)?).await
    }

    fn options(url: &str) -> StoreResult<PgConnectOptions> {
        PgConnectOptions::from_str(url).map_err(backend)
    }

    /// Closes the pool, waiting for connections in use to be returned, and stops the change feeds.
    pub async fn close(&self) {
        self.closed.send_replace(true);
        self.pool.close().await;
    }

    /// Starts a write transaction. `READ COMMITTED` is the isolation every write is designed for
    /// (see the crate documentation), so it is set explicitly rather than taken from the server.
    pub(crate) async fn write_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.begin("BEGIN ISOLATION LEVEL READ COMMITTED").await
    }

    /// Starts a read transaction: one snapshot for several statements.
    pub(crate) async fn read_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
    }

    /// `Pool::begin_with` in a task of its own. sqlx 0.8's begin is not cancel-safe on PostgreSQL
    /// (launchbadge/sqlx#4393): dropped during the BEGIN round trip (a client that disconnects), it
    /// returns the connection to the pool inside a transaction nothing ends, and every later user
    /// of that connection fails. The task always finishes the BEGIN; a transaction nobody awaits
    /// any more is then dropped, which rolls it back.
    async fn begin(&self, statement: &'static str) -> StoreResult<Transaction<'static, Postgres>> {
        let pool = self.pool.clone();
        tokio::spawn(async move { pool.begin_with(statement).await })
            .await
            .map_err(StoreError::backend)?
            .map_err(backend)
    }

    /// Runs `attempt` (one whole write transaction) again when PostgreSQL aborted it for a
    /// deadlock or a serialization failure, which rolled everything back. Any other outcome is
    /// returned as is.
    pub(crate) async fn retrying<T, F, Fut>(&self, mut attempt: F) -> StoreResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let mut attempts = 1;
        loop {
            match attempt().await {
                Err(e) if attempts < WRITE_ATTEMPTS && is_transient(&e) => {
                    tracing::debug!(attempts, error = %e, "retrying an aborted write transaction");
                    tokio::time::sleep(Duration::from_millis(5 << attempts)).await;
                    attempts += 1;
                }
                result => return result,
            }
        }
    }
}

/// Applies the embedded migrations on a dedicated connection, closed afterwards.
///
/// sqlx holds a session advisory lock (keyed by the database name) for the whole run, so replicas
/// starting together migrate one at a time. On its own connection that lock cannot outlive the run,
/// even when a migration fails (on a pooled connection it would stay held until the connection
/// closes). Migrations applied by a newer release are tolerated (`ignore_missing`): during a
/// rolling upgrade, replicas of the previous release keep starting.
async fn run_migrations(options: &PgConnectOptions) -> StoreResult<()> {
    let mut migrator: Migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    // Without the NOTICEs of `CREATE … IF NOT EXISTS` (sqlx logs them), at every start.
    let mut conn = options
        .clone()
        .options([("client_min_messages", "warning")])
        .connect()
        .await
        .map_err(backend)?;
    // `run_direct` rather than `run`: the latter's `Acquire` bound makes the future not `Send`
    // ("implementation of `Acquire` is not general enough"), so a store could not be opened from a
    // spawned task. Same migration, same locking.
    let result = migrator.run_direct(&mut conn).await;
    let closed = conn.close().await;
    result.map_err(StoreError::backend)?;
    closed.map_err(backend)
}
