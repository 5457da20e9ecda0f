//! The writer thread: it owns the one writer connection and runs every write sent to it, one after
//! another, each as a closure (a whole transaction), answering through a oneshot channel.
//!
//! **Group commit.** Publishes that arrive while another batch is committing share the next write
//! transaction, and so one WAL fsync. With `synchronous = FULL` the fsync (about a millisecond on
//! a virtual disk) is what bounds one writer's commits per second; batching lets concurrent
//! publishers pay it once per batch instead of once each. A batch is every grouped job queued when
//! the thread becomes free (at most [`MAX_BATCH`], and only up to the next non-grouped write, which
//! runs after it).
//!
//! Each job runs inside its own `SAVEPOINT`: a job that fails (a compare-and-set that does not
//! hold, a lost blob lease) is rolled back alone and gets its own error, as if it had run in its
//! own transaction; the jobs of a batch run one after another, so each sees the ones before it,
//! exactly as if they had been serialized. Nobody is answered before the batch's `COMMIT`
//! returns, and if it fails every job of the batch fails: an acknowledged publish is durable, and
//! an unacknowledged one may or may not be (as with any commit whose answer is lost).
//!
//! A caller that goes away (its client disconnected) never cancels a write half-way: the thread
//! runs it to its end, like a commit whose answer was never read. A job that panics fails its
//! batch (every caller in it gets an error, nothing of it commits) and the thread goes on with a
//! fresh connection; a connection left inside a transaction (a rollback that failed, e.g. after
//! `SQLITE_FULL`) is rolled back, or replaced, before the next write.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use arca_metadata::{StoreError, StoreResult, VersionRow};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use crate::lock;
use crate::sql::backend;

/// Jobs taken into one transaction at most, so a long queue still commits regularly.
const MAX_BATCH: usize = 64;

/// One publish, run on the writer connection inside the batch's transaction.
pub(crate) type Job = Box<dyn FnOnce(&Connection) -> StoreResult<VersionRow> + Send>;

type Reply = oneshot::Sender<StoreResult<VersionRow>>;

enum Message {
    /// A write of its own (it begins and commits its transaction itself).
    Run(Box<dyn FnOnce(&mut Connection) + Send>),
    /// A publish for the next group commit.
    Grouped(Job, Reply),
    /// Stop once everything sent before has run.
    Close(oneshot::Sender<()>),
}

type Reopen = Box<dyn Fn() -> StoreResult<Connection> + Send>;

/// Told the number of publishes of each group commit that committed (for metrics).
pub type GroupCommitObserver = Arc<dyn Fn(usize) + Send + Sync>;

/// Where the writer thread finds the observer, once one is set.
pub(crate) type ObserverSlot = Arc<std::sync::OnceLock<GroupCommitObserver>>;

/// The handle of the writer thread; dropping the last one stops the thread.
pub(crate) struct Writer {
    queue: mpsc::Sender<Message>,
    pub(crate) observer: ObserverSlot,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

fn gone() -> StoreError {
    StoreError::backend(std::io::Error::other(
        "the SQLite writer ended without an answer",
    ))
}

/// A failure of the whole batch, given to each of its jobs (the store error itself is not `Clone`).
fn batch_failure(stage: &str, e: &StoreError) -> StoreError {
    StoreError::backend(std::io::Error::other(format!(
        "group commit failed at {stage}: {e}"
    )))
}

impl Writer {
    /// Starts the thread on `conn`; `reopen` replaces the connection after a panic or a transaction
    /// that could not be rolled back.
    pub(crate) fn start(
        conn: Arc<Mutex<Connection>>,
        reopen: impl Fn() -> StoreResult<Connection> + Send + 'static,
    ) -> StoreResult<Self> {
        let (queue, jobs) = mpsc::channel();
        let reopen: Reopen = Box::new(reopen);
        let observer = ObserverSlot::default();
        let seen = observer.clone();
        std::thread::Builder::new()
            .name("arca-sqlite-writer".into())
            .spawn(move || run_thread(&conn, &jobs, &reopen, &seen))
            .map_err(StoreError::backend)?;
        Ok(Writer { queue, observer })
    }

    fn send(&self, message: Message) -> StoreResult<()> {
        self.queue.send(message).map_err(|_| gone())
    }

    /// Runs `write` on the writer connection (after every write sent before it).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        self.send(Message::Run(Box::new(move |conn| {
            let _ = reply.send(write(conn));
        })))?;
        answer.await.map_err(|_| gone())?
    }

    /// Runs `job` in the next group-committed write transaction and returns its result once that
    /// transaction has committed.
    pub(crate) async fn grouped(&self, job: Job) -> StoreResult<VersionRow> {
        let (reply, answer) = oneshot::channel();
        self.send(Message::Grouped(job, reply))?;
        answer.await.map_err(|_| gone())?
    }

    /// Stops the thread after the writes sent before, closing its connection.
    pub(crate) async fn close(&self) {
        let (reply, done) = oneshot::channel();
        if self.send(Message::Close(reply)).is_ok() {
            let _ = done.await;
        }
    }
}

fn run_thread(
    conn: &Mutex<Connection>,
    jobs: &mpsc::Receiver<Message>,
    reopen: &Reopen,
    observer: &ObserverSlot,
) {
    let mut next: Option<Message> = None;
    loop {
        let message = match next.take() {
            Some(m) => m,
            None => match jobs.recv() {
                Ok(m) => m,
                Err(_) => return,
            },
        };
        let mut conn = lock(conn);
        let ran = catch_unwind(AssertUnwindSafe(|| match message {
            Message::Run(write) => write(&mut conn),
            Message::Grouped(job, reply) => {
                let mut batch = vec![(job, reply)];
                while batch.len() < MAX_BATCH {
                    match jobs.try_recv() {
                        Ok(Message::Grouped(job, reply)) => batch.push((job, reply)),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let size = batch.len();
                if run_batch(&mut conn, batch) {
                    if let Some(observe) = observer.get() {
                        observe(size);
                    }
                }
            }
            Message::Close(done) => {
                next = Some(Message::Close(done));
            }
        }));
        if let Some(Message::Close(done)) = next.take_if(|m| matches!(m, Message::Close(_))) {
            // Close the connection of a file database (an in-memory one lives on in its readers).
            if conn.path().is_some_and(|p| !p.is_empty()) {
                if let Ok(fresh) = Connection::open_in_memory() {
                    drop(std::mem::replace(&mut *conn, fresh));
                }
            }
            let _ = done.send(());
            return;
        }
        if ran.is_err() {
            tracing::error!("a SQLite write panicked; its batch failed, reopening the writer");
            replace(&mut conn, reopen);
        } else if !conn.is_autocommit() {
            let rolled_back = conn.execute_batch("ROLLBACK").is_ok() && conn.is_autocommit();
            if !rolled_back {
                tracing::warn!("replacing a writer connection stuck in a failed transaction");
                replace(&mut conn, reopen);
            }
        }
    }
}

fn replace(conn: &mut Connection, reopen: &Reopen) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    match reopen() {
        Ok(fresh) => *conn = fresh,
        Err(e) => tracing::error!("could not reopen the SQLite writer: {e}"),
    }
}

/// Runs and commits one batch; true when its transaction committed.
fn run_batch(conn: &mut Connection, batch: Vec<(Job, Reply)>) -> bool {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let e = backend(e);
            for (_, reply) in batch {
                let _ = reply.send(Err(batch_failure("BEGIN", &e)));
            }
            return false;
        }
    };
    let mut results = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    while let Some((job, reply)) = jobs.next() {
        match run_job(&tx, job) {
            Ok(outcome) => results.push((outcome, reply)),
            Err(e) => {
                // The savepoint could not be set or undone: the transaction is in an unknown
                // state, so nothing of it may commit, and the jobs not run yet fail with it.
                drop(tx);
                let replies = results
                    .into_iter()
                    .map(|(_, r)| r)
                    .chain([reply])
                    .chain(jobs.map(|(_, r)| r));
                for reply in replies {
                    let _ = reply.send(Err(batch_failure("SAVEPOINT", &e)));
                }
                return false;
            }
        }
    }
    match tx.commit() {
        Ok(()) => {
            for (outcome, reply) in results {
                let _ = reply.send(outcome);
            }
            true
        }
        Err(e) => {
            let e = backend(e);
            for (_, reply) in results {
                let _ = reply.send(Err(batch_failure("COMMIT", &e)));
            }
            false
        }
    }
}

/// Runs one job inside a savepoint. `Ok(outcome)` is the job's own result (its changes kept on
/// success, undone on failure); `Err` means the savepoint itself failed.
fn run_job(conn: &Connection, job: Job) -> StoreResult<StoreResult<VersionRow>> {
    exec(conn, "SAVEPOINT job")?;
    let outcome = job(conn);
    if outcome.is_err() {
        exec(conn, "ROLLBACK TO job")?;
    }
    exec(conn, "RELEASE job")?;
    Ok(outcome)
}

fn exec(conn: &Connection, sql: &str) -> StoreResult<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(drop)
        .map_err(backend)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::SqliteStore;

    async fn store() -> (SqliteStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
        (store, dir)
    }

    /// A job that runs a statement and answers `NotFound`, i.e. proves it ran.
    fn probe() -> Job {
        Box::new(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(backend)?;
            Err(StoreError::NotFound)
        })
    }

    fn row(id: i64) -> VersionRow {
        use arca_metadata::{OriginType, VersionMetadata, VersionOrigin, VersionStatus};
        VersionRow {
            id,
            package_id: 0,
            version: String::new(),
            status: VersionStatus::Published,
            revision: String::new(),
            published_ms: 0,
            origin: VersionOrigin {
                origin_type: OriginType::Internal,
                repository: None,
                external_connection: None,
            },
            metadata: VersionMetadata::default(),
        }
    }

    async fn answered(store: &SqliteStore, job: Job) -> StoreResult<VersionRow> {
        tokio::time::timeout(Duration::from_secs(5), store.inner.writer.grouped(job))
            .await
            .expect("a grouped write must always be answered")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_fails_its_batch_and_the_next_job_runs() {
        let (store, _dir) = store().await;
        let panicking: Job = Box::new(|_| panic!("a job that panics (expected by this test)"));
        assert!(answered(&store, panicking).await.is_err());
        // The next job runs on a fresh connection.
        let next = answered(&store, probe()).await;
        assert!(matches!(next, Err(StoreError::NotFound)), "{next:?}");
        assert!(store
            .inner
            .writer
            .run(|c| Ok(c.is_autocommit()))
            .await
            .unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_job_is_undone_alone_and_its_batch_commits() {
        let (store, _dir) = store().await;
        store
            .inner
            .writer
            .run(|c| {
                c.execute_batch("CREATE TABLE t (x INTEGER)")
                    .map_err(backend)
            })
            .await
            .unwrap();
        // Hold the writer so the three jobs below queue up and form one batch.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let held = store.inner.writer.run(move |_| {
            hold.recv().ok();
            Ok(())
        });
        let insert = |x: i64, fail: bool| -> Job {
            Box::new(move |c| {
                c.execute("INSERT INTO t VALUES (?1)", [x])
                    .map_err(backend)?;
                if fail {
                    return Err(StoreError::PreconditionFailed);
                }
                Ok(row(x))
            })
        };
        let jobs = futures::future::join4(
            held,
            store.inner.writer.grouped(insert(1, false)),
            store.inner.writer.grouped(insert(2, true)),
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                release.send(()).unwrap();
                store.inner.writer.grouped(insert(3, false)).await
            },
        );
        let (_, a, b, c) = jobs.await;
        assert_eq!(a.unwrap().id, 1);
        assert!(matches!(b, Err(StoreError::PreconditionFailed)));
        assert_eq!(c.unwrap().id, 3);
        let kept: Vec<i64> = store
            .read(|c| {
                let mut s = c.prepare("SELECT x FROM t ORDER BY x").map_err(backend)?;
                let rows = s.query_map([], |r| r.get(0)).map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)
            })
            .unwrap();
        assert_eq!(kept, [1, 3]);
    }
}
