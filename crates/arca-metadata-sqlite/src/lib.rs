//! SQLite implementation of the [`arca_metadata`] store traits.
//!
//! Open a store with [`SqliteStore::open`] (a file path, created if missing) or
//! [`SqliteStore::open_url`] (an sqlx SQLite URL). Either runs the embedded migrations
//! (`migrations/`) before returning.
//!
//! Invariants:
//! - **One writer.** Every write runs in a `BEGIN IMMEDIATE` transaction on a pool of exactly one
//!   connection. Writers queue in the pool instead of racing for SQLite's write lock, so a
//!   transaction that reads before it writes never fails with a lock-upgrade `SQLITE_BUSY`, and the
//!   immediate lock also orders us against other processes opening the same file (they wait up to
//!   the 5 s busy timeout). Reads a write depends on (compare-and-set checks, existence checks) are
//!   made inside that write transaction.
//! - **Readers see snapshots.** Plain reads use a separate pool of a few `query_only` connections.
//!   In WAL mode they never block the writer nor each other; a read made of several statements runs
//!   in one read transaction, so it sees one snapshot.
//! - **Durability.** `journal_mode=WAL` with `synchronous=FULL`: the WAL is fsynced at every commit,
//!   so a write acknowledged to a client survives a crash or power loss. (`NORMAL` would only
//!   guarantee consistency: the last commits could roll back after a power cut, i.e. a publish the
//!   client was told succeeded could vanish.) The one exception is a blob lease
//!   (`touch_blob`), committed at `NORMAL`: it only matters to the publish commit after it, whose
//!   fsync makes it durable too (the WAL is appended in order). Publishes are group-committed
//!   (`group_commit`): concurrent ones share one transaction and one fsync, each in its own
//!   savepoint, and none is answered before that commit. Foreign keys are enforced.
//! - **Byte order.** Names are compared with SQLite's default `BINARY` collation, which is memcmp
//!   over UTF-8, i.e. byte order (= Unicode code point order). All orderings, keyset cursors and
//!   unique keys rely on it; prefix filters are range comparisons in that same order, never `LIKE`.
//! - **Compare-and-set.** A write that carries a [`arca_metadata::VersionExpectation`] (or a
//!   [`arca_metadata::VersionChange`]) is applied with `UPDATE … WHERE id = ? AND status = ? AND
//!   revision = ?` (or an insert guarded by the unique key); if the expectation does not hold the
//!   whole transaction rolls back and the call fails with
//!   [`arca_metadata::StoreError::PreconditionFailed`], having written nothing.
//!   Any early return drops the transaction, which rolls it back before the writer connection
//!   serves the next write.
//! - **Portable SQL.** Statements are runtime-checked (`sqlx::query` with binds) and stick to
//!   standard forms (`INSERT … ON CONFLICT`, `RETURNING`, row-value comparisons) so the PostgreSQL
//!   backend can share them: lookups, listings and the version write statements are built once, in
//!   `arca-metadata-sql`; what stays here is transactions and SQLite-specific statements.
//!
//! Where the trait documentation is silent, this backend (and the shared test suite) settles:
//! - a write whose parent row is gone (`update_repository`, the `delete_*` methods,
//!   `create_repository` in a missing domain, `apply_publish` / `apply_copy` into a missing
//!   repository) fails with `NotFound`; `domain_stats` of a missing domain is all zeros;
//! - a `VersionExpectation::At` only holds for the row of that very version of that package
//!   (`version_id`, package and version string all match), besides status and revision;
//! - `VersionAction::SetStatus` keeps the revision; storing status `Deleted` is refused (a CHECK
//!   constraint, reported as a backend error): deleting is `VersionAction::Delete`;
//! - a created domain or repository has exactly the tags it was created with (tags left under the
//!   same ARN are replaced); a tag key given twice keeps its last value;
//! - packages are ordered by the stored text of their format (`PackageFormat::as_str`), then
//!   namespace and name, all byte-wise.

mod blobs;
mod details;
mod domains;
mod group_commit;
mod packages;
mod repositories;
mod sql;
mod tags;
mod versions;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arca_metadata::{StoreError, StoreResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

/// How long a connection waits for a lock held by another connection (or process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write waits for the single writer connection before failing.
const WRITER_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections of the reader pool.
const READER_CONNECTIONS: u32 = 4;

/// A metadata store in one SQLite database file.
///
/// Cheap to clone: clones share the same pools.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection; every write transaction runs here.
    writer: SqlitePool,
    /// Set while the writer may be left at `synchronous = NORMAL` (see [`SqliteStore::relaxed_write`]);
    /// the next acquire puts it back to `FULL`.
    relaxed: Arc<AtomicBool>,
    /// A few `query_only` connections for reads (the writer pool itself for in-memory databases).
    reader: SqlitePool,
    /// Publishes waiting to share the next write transaction.
    group: Arc<group_commit::GroupCommit>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::open_with(options, false).await
    }

    /// Opens the database named by an sqlx SQLite URL (e.g. `sqlite:///var/lib/arca/meta.db?mode=rwc`,
    /// or `sqlite::memory:` for tests) and brings its schema up to date.
    ///
    /// The URL decides whether a missing file is created (`mode=rwc`). An in-memory database lives
    /// as long as the store and is served by the single writer connection alone (there is no WAL
    /// nor snapshot isolation to gain from separate readers).
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url).map_err(StoreError::backend)?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        Self::open_with(options, in_memory).await
    }

    async fn open_with(options: SqliteConnectOptions, in_memory: bool) -> StoreResult<Self> {
        let options = options
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let options = if in_memory {
            options
        } else {
            options.journal_mode(SqliteJournalMode::Wal)
        };

        // The writer connection is opened first: it creates the file, switches it to WAL (a
        // persistent setting) and runs the migrations before any reader exists. It is kept open for
        // the life of the store (no idle timeout, no max lifetime), which also keeps an in-memory
        // database alive.
        let relaxed = Arc::new(AtomicBool::new(false));
        let relaxed_on_acquire = relaxed.clone();
        let writer = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            // A COMMIT that fails with SQLITE_FULL is rolled back by SQLite itself; sqlx's ROLLBACK
            // then fails too and the connection keeps believing it is inside a transaction, so
            // every later BEGIN would fail. The ping of test_before_acquire settles any queued
            // rollback first; a connection still "in a transaction" after it is replaced.
            .test_before_acquire(true)
            .before_acquire(move |conn, _| {
                let relaxed = relaxed_on_acquire.clone();
                Box::pin(async move {
                    use sqlx::Connection;
                    if conn.is_in_transaction() {
                        tracing::warn!(
                            "replacing a writer connection stuck in a failed transaction"
                        );
                        return Ok(false);
                    }
                    if relaxed.swap(false, Ordering::SeqCst) {
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(true)
                })
            })
            .acquire_timeout(WRITER_ACQUIRE_TIMEOUT)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(StoreError::backend)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(StoreError::backend)?;

        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READER_CONNECTIONS)
                .connect_with(options.pragma("query_only", "ON"))
                .await
                .map_err(StoreError::backend)?
        };
        Ok(Self {
            writer,
            relaxed,
            reader,
            group: Arc::default(),
        })
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Starts a write transaction on the single writer connection, taking SQLite's write lock now
    /// (`BEGIN IMMEDIATE`) rather than at the first write.
    async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::backend)
    }

    /// Runs `write` in a write transaction whose commit is not fsynced (`synchronous = NORMAL`):
    /// it becomes durable with the next fsynced commit (the WAL is appended in order), and is lost
    /// only with a power failure before that. For writes whose only purpose is to let a later,
    /// fully durable commit happen (a blob lease before its publish commits).
    pub(crate) async fn relaxed_write<T>(
        &self,
        write: impl for<'t> FnOnce(
            &'t mut sqlx::SqliteConnection,
        ) -> futures::future::BoxFuture<'t, StoreResult<T>>,
    ) -> StoreResult<T> {
        use sqlx::Connection;
        let mut conn = self.writer.acquire().await.map_err(StoreError::backend)?;
        self.relaxed.store(true, Ordering::SeqCst);
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await
            .map_err(StoreError::backend)?;
        let mut tx = conn
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::backend)?;
        let value = write(&mut tx).await?;
        tx.commit().await.map_err(StoreError::backend)?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await
            .map_err(StoreError::backend)?;
        self.relaxed.store(false, Ordering::SeqCst);
        Ok(value)
    }

    /// Starts a read transaction (one snapshot) on a reader connection.
    async fn read_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.reader.begin().await.map_err(StoreError::backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pragma(pool: &SqlitePool, name: &str) -> String {
        let value: sqlx::sqlite::SqliteRow = sqlx::query(&format!("PRAGMA {name}"))
            .fetch_one(pool)
            .await
            .unwrap();
        use sqlx::{Row, ValueRef};
        let raw = value.try_get_raw(0).unwrap();
        if raw.type_info().to_string() == "TEXT" {
            value.get::<String, _>(0)
        } else {
            value.get::<i64, _>(0).to_string()
        }
    }

    #[tokio::test]
    async fn connections_are_configured_as_documented() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
        assert_eq!(store.writer.options().get_max_connections(), 1);
        assert!(store.reader.options().get_max_connections() > 1);
        for pool in [&store.writer, &store.reader] {
            assert_eq!(pragma(pool, "journal_mode").await, "wal");
            // 2 = FULL
            assert_eq!(pragma(pool, "synchronous").await, "2");
            assert_eq!(pragma(pool, "foreign_keys").await, "1");
            assert_eq!(pragma(pool, "busy_timeout").await, "5000");
        }
        assert_eq!(pragma(&store.writer, "query_only").await, "0");
        assert_eq!(pragma(&store.reader, "query_only").await, "1");
        // Readers really cannot write.
        assert!(sqlx::query("DELETE FROM tags")
            .execute(&store.reader)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn relaxed_writes_leave_the_writer_fully_synchronous() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
        // Inside the relaxed write the commit is not fsynced ...
        let inside = store
            .relaxed_write(|conn| {
                Box::pin(async move {
                    let v: i64 = sqlx::query_scalar("PRAGMA synchronous")
                        .fetch_one(conn)
                        .await
                        .unwrap();
                    Ok(v)
                })
            })
            .await
            .unwrap();
        assert_eq!(inside, 1, "NORMAL");
        // ... and every later write is, also after a relaxed write that failed half-way.
        assert_eq!(pragma(&store.writer, "synchronous").await, "2");
        let failed: StoreResult<()> = store
            .relaxed_write(|_| Box::pin(async { Err(StoreError::NotFound) }))
            .await;
        assert!(failed.is_err());
        assert_eq!(pragma(&store.writer, "synchronous").await, "2");
    }
}
