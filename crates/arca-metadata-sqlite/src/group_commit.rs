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

/// Clears `leading` however the batch task ends (a panicking job included), so the next job
/// starts a new one instead of waiting forever.
struct LeadGuard(Arc<GroupCommit>);

impl Drop for LeadGuard {
    fn drop(&mut self) {
        let mut q = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
        q.leading = false;
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
            let store = self.clone();
            tokio::spawn(async move { store.run_batches().await });
        }
        answer.await.map_err(|_| {
            StoreError::backend(std::io::Error::other(
                "group commit task ended without an answer",
            ))
        })?
    }

    async fn run_batches(&self) {
        let guard = LeadGuard(self.group.clone());
        loop {
            let batch: Vec<(Job, Reply)> = {
                let mut q = self.group.state.lock().unwrap_or_else(|e| e.into_inner());
                if q.jobs.is_empty() {
                    q.leading = false;
                    std::mem::forget(guard);
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
        for (job, reply) in batch {
            let result = run_job(&mut tx, job).await;
            match result {
                Ok(outcome) => results.push((outcome, reply)),
                Err(e) => {
                    // The savepoint could not be set or undone: the transaction is in an unknown
                    // state, so nothing of it may commit.
                    drop(tx);
                    let _ = reply.send(Err(batch_failure("SAVEPOINT", &e)));
                    for (_, reply) in results {
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
