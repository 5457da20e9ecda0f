//! SQLite implementation of the [`arca_metadata`] store traits.
//!
//! Open a store with [`SqliteStore::open`] (a file path, created if missing) or
//! [`SqliteStore::open_url`] (a `sqlite:` URL). Either runs the embedded migrations
//! (`migrations/`, see `migrate`) before returning.
//!
//! The driver is rusqlite (synchronous, SQLite compiled in): a whole read or write transaction
//! runs as one closure on one connection, so a request costs at most one thread hand-off instead
//! of one per statement.
//!
//! Invariants:
//! - **One writer.** Every write runs in a `BEGIN IMMEDIATE` transaction on the one writer
//!   connection, owned by a thread of its own (`writer`); a write is a closure sent to that thread,
//!   answered through a oneshot channel. Writers queue there instead of racing for SQLite's write
//!   lock, so a transaction that reads before it writes never fails with a lock-upgrade
//!   `SQLITE_BUSY`, and the immediate lock also orders us against other processes opening the same
//!   file (they wait up to the 5 s busy timeout). Reads a write depends on (compare-and-set checks,
//!   existence checks) are made inside that write transaction. A write whose caller went away
//!   still runs to its end (like a commit whose answer was never read).
//! - **Readers see snapshots.** Plain reads run inline on the calling task's thread, on a
//!   `query_only` connection taken from a small idle list (opened when none is idle): point reads
//!   from the page cache take microseconds, less than any hand-off to another thread would (the
//!   bench measured both, see bench/README.md). In WAL mode they never block the writer nor each
//!   other; a read made of several statements runs in one read transaction, so it sees one
//!   snapshot. An in-memory database has no separate readers: reads take the writer's connection
//!   under its lock.
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
//!   serves the next write; a connection still inside a transaction after a job (a failed
//!   rollback, e.g. after `SQLITE_FULL`) is rolled back or replaced before the next one.
//! - **Portable SQL.** Statements stick to standard forms (`INSERT … ON CONFLICT`, `RETURNING`,
//!   row-value comparisons) so the PostgreSQL backend can share them: lookups, listings and the
//!   version write statements are built once, in `arca-metadata-sql`, as driver-neutral `Stmt`s
//!   (prepared once per connection and cached here); what stays here is transactions and
//!   SQLite-specific statements.
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

mod access;
mod audit;
mod blobs;
mod details;
mod domains;
mod groups;
mod migrate;
mod packages;
mod repositories;
mod sql;
mod tags;
mod versions;
mod writer;

pub use writer::GroupCommitObserver;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use arca_metadata::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::sql::backend;

/// How long a connection waits for a lock held by another connection (or process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle reader connections kept open (more are opened while more reads run at once).
const IDLE_READERS: usize = 8;
/// Prepared statements cached per connection.
const STATEMENT_CACHE: usize = 128;

/// Where the database lives.
#[derive(Debug, Clone)]
enum Target {
    File { path: PathBuf, create: bool },
    Memory,
}

/// A metadata store in one SQLite database file.
///
/// Cheap to clone: clones share the same connections and writer thread.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

/// One process writes an SQLite database (it is not shared by replicas): the service's own store
/// wrapper sees every change. Another process writing the file (an `arca` command run beside the
/// server) is seen only through the derived caches' TTL.
impl arca_metadata::ChangeFeed for SqliteStore {}

#[derive(Debug)]
struct Inner {
    writer: writer::Writer,
    /// Where reads run: idle `query_only` connections of a file, or the writer's connection of an
    /// in-memory database.
    readers: Readers,
}

#[derive(Debug)]
enum Readers {
    File {
        path: PathBuf,
        idle: Mutex<Vec<Connection>>,
    },
    Shared(Arc<Mutex<Connection>>),
}

/// Sets what every connection has: foreign keys, full synchronous commits, the busy timeout and the
/// statement cache (WAL is a property of the file, set once by the writer).
fn configure(conn: &Connection) -> StoreResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
        .map_err(backend)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

fn open_writer(target: &Target) -> StoreResult<Connection> {
    let conn = match target {
        Target::Memory => Connection::open_in_memory(),
        Target::File { path, create } => {
            let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI;
            if *create {
                flags |= OpenFlags::SQLITE_OPEN_CREATE;
            }
            Connection::open_with_flags(path, flags)
        }
    }
    .map_err(backend)?;
    configure(&conn)?;
    if matches!(target, Target::File { .. }) {
        // Persistent: set once, kept by the file.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(backend)?;
    }
    Ok(conn)
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(backend)?;
    configure(&conn)?;
    conn.execute_batch("PRAGMA query_only = ON")
        .map_err(backend)?;
    Ok(conn)
}

/// The database a `sqlite:` URL names: `sqlite::memory:` (or `mode=memory`), else a file path after
/// `sqlite://` or `sqlite:`, created only with `mode=rwc` (the query string is otherwise ignored).
fn parse_url(url: &str) -> StoreResult<Target> {
    let rest = url
        .strip_prefix("sqlite:")
        .ok_or_else(|| StoreError::backend(std::io::Error::other("not a sqlite: URL")))?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let params: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    let mode = params.iter().find(|(k, _)| *k == "mode").map(|(_, v)| *v);
    if path == ":memory:" || mode == Some("memory") {
        return Ok(Target::Memory);
    }
    if path.is_empty() {
        return Err(StoreError::backend(std::io::Error::other(
            "a sqlite: URL needs a file path",
        )));
    }
    Ok(Target::File {
        path: PathBuf::from(path),
        create: mode == Some("rwc"),
    })
}

/// Runs `write` in a `BEGIN IMMEDIATE` transaction, committed when it returns `Ok`.
fn in_write_transaction<T>(
    conn: &mut Connection,
    write: impl FnOnce(&Transaction<'_>) -> StoreResult<T>,
) -> StoreResult<T> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let value = write(&tx)?;
    tx.commit().map_err(backend)?;
    Ok(value)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        Self::open_target(Target::File {
            path: path.to_owned(),
            create: true,
        })
        .await
    }

    /// Opens the database named by a SQLite URL (e.g. `sqlite:///var/lib/arca/meta.db?mode=rwc`,
    /// or `sqlite::memory:` for tests) and brings its schema up to date.
    ///
    /// The URL decides whether a missing file is created (`mode=rwc`). An in-memory database lives
    /// as long as the store and is served by the single writer connection alone (there is no WAL
    /// nor snapshot isolation to gain from separate readers).
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        Self::open_target(parse_url(url)?).await
    }

    async fn open_target(target: Target) -> StoreResult<Self> {
        // The writer connection is opened first, off the async threads (it may wait for another
        // process's lock): it creates the file, switches it to WAL and runs the migrations before
        // any reader exists.
        let opening = target.clone();
        let conn = tokio::task::spawn_blocking(move || -> StoreResult<Connection> {
            let mut conn = open_writer(&opening)?;
            migrate::run(&mut conn)?;
            Ok(conn)
        })
        .await
        .map_err(StoreError::backend)??;
        let conn = Arc::new(Mutex::new(conn));
        let readers = match &target {
            Target::File { path, .. } => Readers::File {
                path: path.clone(),
                idle: Mutex::new(Vec::new()),
            },
            Target::Memory => Readers::Shared(conn.clone()),
        };
        let writer = writer::Writer::start(conn, move || match &target {
            Target::File { .. } => open_writer(&target),
            // A new connection would be a new, empty database.
            Target::Memory => Err(StoreError::backend(std::io::Error::other(
                "an in-memory database cannot be reopened",
            ))),
        })?;
        Ok(Self {
            inner: Arc::new(Inner { writer, readers }),
        })
    }

    /// Calls `observe` with the number of publishes of every group commit that commits (the
    /// first observer set stays).
    pub fn observe_group_commits(&self, observe: GroupCommitObserver) {
        let _ = self.inner.writer.observer.set(observe);
    }

    /// Stops the writer thread once the writes queued before have run, and closes every
    /// connection this store holds (clones in use reopen readers as needed, but can no longer
    /// write).
    pub async fn close(&self) {
        self.inner.writer.close().await;
        if let Readers::File { idle, .. } = &self.inner.readers {
            lock(idle).clear();
        }
    }

    /// Runs `read` on a reader connection, inline on this thread (see the crate documentation).
    fn read<T>(&self, read: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        match &self.inner.readers {
            Readers::Shared(conn) => read(&lock(conn)),
            Readers::File { path, idle } => {
                let taken = lock(idle).pop();
                let conn = match taken {
                    Some(conn) => conn,
                    None => open_reader(path)?,
                };
                let result = read(&conn);
                let mut idle = lock(idle);
                if idle.len() < IDLE_READERS && conn.is_autocommit() {
                    idle.push(conn);
                }
                result
            }
        }
    }

    /// Runs `read` in one read transaction (one snapshot) on a reader connection.
    fn read_tx<T>(&self, read: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        self.read(|conn| {
            conn.execute_batch("BEGIN").map_err(backend)?;
            let result = read(conn);
            // A read transaction has nothing to keep: end it the cheapest way either way.
            conn.execute_batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })
                .map_err(backend)?;
            result
        })
    }

    /// Runs `write` in its own `BEGIN IMMEDIATE` transaction on the writer thread, committed
    /// (fsynced) when it returns `Ok`, rolled back otherwise.
    async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.inner
            .writer
            .run(move |conn| in_write_transaction(conn, write))
            .await
    }

    /// Runs `write` in a write transaction whose commit is not fsynced (`synchronous = NORMAL`):
    /// it becomes durable with the next fsynced commit (the WAL is appended in order), and is lost
    /// only with a power failure before that. For writes whose only purpose is to let a later,
    /// fully durable commit happen (a blob lease before its publish commits). The writer is back
    /// at `FULL` before anything else runs on it, whatever `write` did.
    pub(crate) async fn relaxed_write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.inner
            .writer
            .run(move |conn| {
                conn.execute_batch("PRAGMA synchronous = NORMAL")
                    .map_err(backend)?;
                let result = in_write_transaction(conn, write);
                conn.execute_batch("PRAGMA synchronous = FULL")
                    .map_err(backend)?;
                result
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| {
            let v: rusqlite::types::Value = r.get(0)?;
            Ok(match v {
                rusqlite::types::Value::Text(t) => t,
                rusqlite::types::Value::Integer(i) => i.to_string(),
                other => format!("{other:?}"),
            })
        })
        .unwrap()
    }

    async fn on_writer(store: &SqliteStore, name: &'static str) -> String {
        store
            .inner
            .writer
            .run(move |conn| Ok(pragma(conn, name)))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn connections_are_configured_as_documented() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
        for name in [
            "journal_mode",
            "synchronous",
            "foreign_keys",
            "busy_timeout",
        ] {
            let reader = store.read(|c| Ok(pragma(c, name))).unwrap();
            assert_eq!(reader, on_writer(&store, name).await, "{name}");
        }
        assert_eq!(on_writer(&store, "journal_mode").await, "wal");
        // 2 = FULL
        assert_eq!(on_writer(&store, "synchronous").await, "2");
        assert_eq!(on_writer(&store, "foreign_keys").await, "1");
        assert_eq!(on_writer(&store, "busy_timeout").await, "5000");
        assert_eq!(on_writer(&store, "query_only").await, "0");
        assert_eq!(store.read(|c| Ok(pragma(c, "query_only"))).unwrap(), "1");
        // Readers really cannot write.
        assert!(store
            .read(|c| c.execute("DELETE FROM tags", []).map_err(backend))
            .is_err());
    }

    #[tokio::test]
    async fn relaxed_writes_leave_the_writer_fully_synchronous() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
        // Inside the relaxed write the commit is not fsynced ...
        let inside = store
            .relaxed_write(|tx| Ok(pragma(tx, "synchronous")))
            .await
            .unwrap();
        assert_eq!(inside, "1", "NORMAL");
        // ... and every later write is, also after a relaxed write that failed half-way.
        assert_eq!(on_writer(&store, "synchronous").await, "2");
        let failed: StoreResult<()> = store.relaxed_write(|_| Err(StoreError::NotFound)).await;
        assert!(failed.is_err());
        assert_eq!(on_writer(&store, "synchronous").await, "2");
    }

    #[test]
    fn urls_name_files_or_memory() {
        assert!(matches!(parse_url("sqlite::memory:"), Ok(Target::Memory)));
        assert!(matches!(
            parse_url("sqlite://x.db?mode=memory"),
            Ok(Target::Memory)
        ));
        let Ok(Target::File { path, create }) = parse_url("sqlite:///var/a.db?mode=rwc") else {
            panic!()
        };
        assert_eq!((path.to_str().unwrap(), create), ("/var/a.db", true));
        let Ok(Target::File { path, create }) = parse_url("sqlite:rel.db") else {
            panic!()
        };
        assert_eq!((path.to_str().unwrap(), create), ("rel.db", false));
        assert!(parse_url("sqlite://").is_err());
    }
}
