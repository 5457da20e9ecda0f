//! Group commit: publishes that arrive while another batch is committing share the next write
//! transaction, and so one WAL fsync. With `synchronous = FULL` the fsync (about a millisecond on
//! a virtual disk) is what bounds one writer's commits per second; batching lets concurrent
//! publishers pay it once per batch instead of once each.
//!
//! Each job runs inside its own `SAVEPOINT`: a job that fails (a compare-and-set that does not
//! hold, a lost blob lease) is rolled back alone and gets its own error, as if it had run in its
//! own transaction; the jobs of a batch run one after another, so each sees the ones before it,
//! exactly as if they had been serialized. Nobody is answered before the batch's `COMMIT`
//! returns, and if it fails every job of the batch fails: an acknowledged publish is durable, and
//! an unacknowledged one may or may not be (as with any commit whose answer is lost).
//!
//! The batches run in a spawned task, so a caller that goes away (its client disconnected) never
//! cancels the other jobs of its batch half-way; its own job still runs, like a commit whose answer
//! was never read.

use std::sync::{Arc, Mutex};

use arca_metadata::{StoreError, StoreResult, VersionRow};
use futures::future::BoxFuture;
use sqlx::SqliteConnection;
use tokio::sync::oneshot;

use crate::SqliteStore;

/// Jobs taken into one transaction at most, so a long queue still commits regularly.
const MAX_BATCH: usize = 64;

/// One write, run on the writer connection inside the batch's transaction.
pub(crate) type Job = Box<
    dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<VersionRow>> + Send,
>;

type Reply = oneshot::Sender<StoreResult<VersionRow>>;

/// The queue of jobs waiting for the next batch.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    state: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<(Job, Reply)>,
    /// Whether a task is running batches (it takes every job queued before it stops).
    leading: bool,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("jobs", &self.jobs.len())
            .field("leading", &self.leading)
            .finish()
    }
}

/// Owned by the batch task from before it is spawned. Unless disarmed by a normal exit (which
/// clears `leading` itself, under the same lock that found the queue empty), dropping it — a job
/// panicked, or the runtime dropped the task, maybe before it ever ran — clears `leading` and
/// fails every queued job, so that no caller waits forever and the next job starts a new task.
struct LeadGuard {
    group: Arc<GroupCommit>,
    armed: bool,
}

impl Drop for LeadGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let orphans = {
            let mut q = self.group.state.lock().unwrap_or_else(|e| e.into_inner());
            q.leading = false;
            std::mem::take(&mut q.jobs)
        };
        // Dropping each reply sender answers its caller with an error.
        drop(orphans);
    }
}

/// A failure of the whole batch, given to each of its jobs (the store error itself is not `Clone`).
fn batch_failure(stage: &str, e: &StoreError) -> StoreError {
    StoreError::backend(std::io::Error::other(format!(
        "group commit failed at {stage}: {e}"
    )))
}

impl SqliteStore {
    /// Runs `job` in the next group-committed write transaction and returns its result once that
    /// transaction has committed.
    pub(crate) async fn grouped_write(&self, job: Job) -> StoreResult<VersionRow> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut q = self.group.state.lock().unwrap_or_else(|e| e.into_inner());
            q.jobs.push((job, reply));
            !std::mem::replace(&mut q.leading, true)
        };
        if start {
            let guard = LeadGuard {
                group: self.group.clone(),
                armed: true,
            };
            let store = self.clone();
            tokio::spawn(async move { store.run_batches(guard).await });
        }
        answer.await.map_err(|_| {
            StoreError::backend(std::io::Error::other(
                "group commit task ended without an answer",
            ))
        })?
    }

    async fn run_batches(&self, mut guard: LeadGuard) {
        loop {
            let batch: Vec<(Job, Reply)> = {
                let mut q = self.group.state.lock().unwrap_or_else(|e| e.into_inner());
                if q.jobs.is_empty() {
                    q.leading = false;
                    guard.armed = false;
                    return;
                }
                let n = q.jobs.len().min(MAX_BATCH);
                q.jobs.drain(..n).collect()
            };
            self.run_batch(batch).await;
        }
    }

    async fn run_batch(&self, batch: Vec<(Job, Reply)>) {
        let mut tx = match self.write_tx().await {
            Ok(tx) => tx,
            Err(e) => {
                for (_, reply) in batch {
                    let _ = reply.send(Err(batch_failure("BEGIN", &e)));
                }
                return;
            }
        };
        let mut results = Vec::with_capacity(batch.len());
        let mut jobs = batch.into_iter();
        while let Some((job, reply)) = jobs.next() {
            match run_job(&mut tx, job).await {
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
                    return;
                }
            }
        }
        match tx.commit().await {
            Ok(()) => {
                for (outcome, reply) in results {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                let e = StoreError::backend(e);
                for (_, reply) in results {
                    let _ = reply.send(Err(batch_failure("COMMIT", &e)));
                }
            }
        }
    }
}

/// Runs one job inside a savepoint. `Ok(outcome)` is the job's own result (its changes kept on
/// success, undone on failure); `Err` means the savepoint itself failed.
async fn run_job(conn: &mut SqliteConnection, job: Job) -> StoreResult<StoreResult<VersionRow>> {
    exec(conn, "SAVEPOINT job").await?;
    let outcome = job(conn).await;
    if outcome.is_err() {
        exec(conn, "ROLLBACK TO job").await?;
    }
    exec(conn, "RELEASE job").await?;
    Ok(outcome)
}

async fn exec(conn: &mut SqliteConnection, sql: &str) -> StoreResult<()> {
    sqlx::query(sql)
        .execute(conn)
        .await
        .map(drop)
        .map_err(StoreError::backend)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn store() -> (SqliteStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
        (store, dir)
    }

    /// A job that runs a statement and answers `NotFound`, i.e. proves it ran.
    fn probe() -> Job {
        Box::new(|conn| {
            Box::pin(async move {
                exec(conn, "SELECT 1").await?;
                Err(StoreError::NotFound)
            })
        })
    }

    async fn answered(store: &SqliteStore, job: Job) -> StoreResult<VersionRow> {
        tokio::time::timeout(Duration::from_secs(5), store.grouped_write(job))
            .await
            .expect("a grouped write must always be answered")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_fails_the_queued_ones_and_the_next_job_runs() {
        let (store, _dir) = store().await;
        let panicking: Job = Box::new(|_| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                panic!("a job that panics (expected by this test)")
            })
        });
        let first = tokio::spawn({
            let store = store.clone();
            async move { answered(&store, panicking).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Queued while the panicking batch runs: answered with an error, not left waiting.
        let queued = answered(&store, probe()).await;
        assert!(matches!(queued, Err(StoreError::Backend(_))), "{queued:?}");
        assert!(first.await.unwrap().is_err());
        // The next job starts a new batch task and really runs.
        assert!(matches!(
            answered(&store, probe()).await,
            Err(StoreError::NotFound)
        ));
    }

    #[test]
    fn a_batch_task_dropped_before_it_ran_does_not_block_later_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let first = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = first.block_on(SqliteStore::open(&path)).unwrap();
        first.block_on(async {
            let mut write = std::pin::pin!(store.grouped_write(probe()));
            // One poll queues the job and spawns the batch task, which never gets to run.
            assert!(futures::poll!(write.as_mut()).is_pending());
        });
        drop(first);
        let second = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let later = second.block_on(answered(&store, probe()));
        assert!(matches!(later, Err(StoreError::NotFound)), "{later:?}");
    }
}
