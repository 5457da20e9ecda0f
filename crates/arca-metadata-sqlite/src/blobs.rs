//! The blob table (`migrations/0002_blobs.sql`): leases taken by writers, claims made by the
//! garbage collector. Every state change runs on the single writer, so a claim and a publish's lease
//! check are totally ordered (see `arca_metadata::BlobRefStore`).

use arca_metadata::StoreResult;
use arca_metadata::{BlobLease, BlobRef, BlobRefStore, Millis, ReferencedBlob, StoreError};
use async_trait::async_trait;
use rusqlite::Connection;

use crate::sql::{backend, fetch_all, run, scalar, Columns, Stmt};
use crate::SqliteStore;
use arca_metadata_sql::sql_limit;

const LIVE: &str = "live";
const DELETING: &str = "deleting";

/// Inside a publish transaction: the blob's row must be live with `generation`.
pub(crate) fn check_lease(
    conn: &Connection,
    domain_id: i64,
    sha256: &str,
    generation: i64,
) -> StoreResult<()> {
    let held: Option<i64> = scalar(
        conn,
        "SELECT 1 FROM blobs WHERE domain_id = ? AND sha256 = ? AND generation = ? AND state = ?",
        (domain_id, sha256, generation, LIVE),
    )?;
    held.map(|_| ()).ok_or(StoreError::BlobLeaseLost)
}

/// Inside a copy transaction: some committed asset of the domain must still reference the blob (so
/// it is live and its bytes exist); otherwise the copy's source changed under it.
pub(crate) fn check_referenced(conn: &Connection, domain_id: i64, sha256: &str) -> StoreResult<()> {
    let found: Option<i64> = scalar(
        conn,
        "SELECT 1 FROM assets WHERE domain_id = ? AND sha256 = ? LIMIT 1",
        (domain_id, sha256),
    )?;
    found.map(|_| ()).ok_or(StoreError::PreconditionFailed)
}

fn blob_ref(row: &dyn Columns) -> StoreResult<BlobRef> {
    Ok(BlobRef {
        domain_id: row.int("domain_id")?,
        sha256: row.text("sha256")?,
    })
}

#[async_trait]
impl BlobRefStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(domain_id = blob.domain_id))]
    async fn touch_blob(
        &self,
        blob: &BlobRef,
        new_generation: i64,
        now_ms: Millis,
    ) -> StoreResult<BlobLease> {
        // Not fsynced: a lease only matters to the publish commit that follows it, which is.
        let (domain_id, sha256) = (blob.domain_id, blob.sha256.clone());
        let generation: Option<i64> = self
            .relaxed_write(move |tx| {
                scalar(
                    tx,
                    "INSERT INTO blobs (domain_id, sha256, generation, state, touched_ms) \
                     VALUES (?, ?, ?, 'live', ?) \
                     ON CONFLICT (domain_id, sha256) DO UPDATE SET touched_ms = excluded.touched_ms \
                     WHERE blobs.state = 'live' \
                     RETURNING generation",
                    (domain_id, sha256, new_generation, now_ms),
                )
            })
            .await?;
        // No row returned: the conflict update's WHERE excluded a deleting row.
        Ok(match generation {
            Some(generation) => BlobLease::Live { generation },
            None => BlobLease::Deleting,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn claim_unreferenced_blobs(
        &self,
        touched_before: Millis,
        stale_before: Millis,
        now_ms: Millis,
        limit: u32,
    ) -> StoreResult<Vec<BlobRef>> {
        let mut claim = Stmt::new("UPDATE blobs SET state = 'deleting', touched_ms = ");
        claim
            .push_bind(now_ms)
            .push(
                " WHERE rowid IN ( \
                   SELECT b.rowid FROM blobs b \
                   WHERE (b.state = 'live' AND b.touched_ms < ",
            )
            .push_bind(touched_before)
            .push(
                " AND NOT EXISTS ( \
                   SELECT 1 FROM assets a WHERE a.domain_id = b.domain_id AND a.sha256 = b.sha256)) \
                   OR (b.state = 'deleting' AND b.touched_ms < ",
            )
            .push_bind(stale_before)
            .push(") LIMIT ")
            .push_bind(sql_limit(limit))
            .push(") RETURNING domain_id, sha256");
        self.write(move |tx| fetch_all(tx, &claim, blob_ref)).await
    }

    #[tracing::instrument(skip_all, fields(domain_id = blob.domain_id))]
    async fn claim_orphan_blob(&self, blob: &BlobRef, now_ms: Millis) -> StoreResult<bool> {
        let blob = blob.clone();
        self.write(move |tx| {
            let inserted = run(
                tx,
                "INSERT INTO blobs (domain_id, sha256, generation, state, touched_ms) \
                 SELECT ?1, ?2, 0, 'deleting', ?3 WHERE NOT EXISTS \
                   (SELECT 1 FROM assets WHERE domain_id = ?1 AND sha256 = ?2) \
                 ON CONFLICT (domain_id, sha256) DO NOTHING",
                (blob.domain_id, &blob.sha256, now_ms),
            )
            .map_err(backend)?;
            Ok(inserted == 1)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(blobs = blobs.len()))]
    async fn forget_blobs(&self, blobs: &[BlobRef]) -> StoreResult<()> {
        if blobs.is_empty() {
            return Ok(());
        }
        let blobs = blobs.to_vec();
        self.write(move |tx| {
            for blob in &blobs {
                run(
                    tx,
                    "DELETE FROM blobs WHERE domain_id = ? AND sha256 = ? AND state = ?",
                    (blob.domain_id, &blob.sha256, DELETING),
                )
                .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn blob_known(&self, blob: &BlobRef) -> StoreResult<bool> {
        let found: Option<i64> = self.read(|c| {
            scalar(
                c,
                "SELECT 1 FROM blobs WHERE domain_id = ? AND sha256 = ?",
                (blob.domain_id, &blob.sha256),
            )
        })?;
        Ok(found.is_some())
    }

    async fn referenced_blobs(
        &self,
        after: Option<&BlobRef>,
        limit: u32,
    ) -> StoreResult<Vec<ReferencedBlob>> {
        let mut qb = Stmt::new("SELECT domain_id, sha256, MAX(size) AS size FROM assets");
        if let Some(after) = after {
            qb.push(" WHERE (domain_id, sha256) > (")
                .push_bind(after.domain_id)
                .push(", ")
                .push_bind(&after.sha256)
                .push(")");
        }
        qb.push(" GROUP BY domain_id, sha256 ORDER BY domain_id, sha256 LIMIT ")
            .push_bind(sql_limit(limit));
        self.read(|c| {
            fetch_all(c, &qb, |row| {
                Ok(ReferencedBlob {
                    blob: blob_ref(row)?,
                    size: row.int("size")?,
                })
            })
        })
    }
}
