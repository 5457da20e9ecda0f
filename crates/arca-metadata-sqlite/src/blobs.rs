//! The blob table (`migrations/0002_blobs.sql`): leases taken by writers, claims made by the
//! garbage collector. Every state change runs on the single writer, so a claim and a publish's lease
//! check are totally ordered (see `arca_metadata::BlobRefStore`).

use arca_metadata::StoreResult;
use arca_metadata::{BlobLease, BlobRef, BlobRefStore, Millis, ReferencedBlob, StoreError};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::sql::backend;
use crate::SqliteStore;
use arca_metadata_sql::sql_limit;

const LIVE: &str = "live";
const DELETING: &str = "deleting";

/// Inside a publish transaction: the blob's row must be live with `generation`.
pub(crate) async fn check_lease(
    conn: &mut SqliteConnection,
    domain_id: i64,
    sha256: &str,
    generation: i64,
) -> StoreResult<()> {
    let held: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM blobs WHERE domain_id = ? AND sha256 = ? AND generation = ? AND state = ?",
    )
    .bind(domain_id)
    .bind(sha256)
    .bind(generation)
    .bind(LIVE)
    .fetch_optional(conn)
    .await
    .map_err(backend)?;
    held.map(|_| ()).ok_or(StoreError::BlobLeaseLost)
}

/// Inside a copy transaction: some committed asset of the domain must still reference the blob (so
/// it is live and its bytes exist); otherwise the copy's source changed under it.
pub(crate) async fn check_referenced(
    conn: &mut SqliteConnection,
    domain_id: i64,
    sha256: &str,
) -> StoreResult<()> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM assets WHERE domain_id = ? AND sha256 = ? LIMIT 1")
            .bind(domain_id)
            .bind(sha256)
            .fetch_optional(conn)
            .await
            .map_err(backend)?;
    found.map(|_| ()).ok_or(StoreError::PreconditionFailed)
}

fn blob_ref(row: &sqlx::sqlite::SqliteRow) -> StoreResult<BlobRef> {
    Ok(BlobRef {
        domain_id: row.try_get("domain_id").map_err(backend)?,
        sha256: row.try_get("sha256").map_err(backend)?,
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
        let row = self
            .relaxed_write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO blobs (domain_id, sha256, generation, state, touched_ms) \
                         VALUES (?, ?, ?, 'live', ?) \
                         ON CONFLICT (domain_id, sha256) DO UPDATE SET touched_ms = excluded.touched_ms \
                         WHERE blobs.state = 'live' \
                         RETURNING generation",
                    )
                    .bind(domain_id)
                    .bind(sha256)
                    .bind(new_generation)
                    .bind(now_ms)
                    .fetch_optional(conn)
                    .await
                    .map_err(backend)
                })
            })
            .await?;
        // No row returned: the conflict update's WHERE excluded a deleting row.
        Ok(match row {
            Some(row) => BlobLease::Live {
                generation: row.try_get(0).map_err(backend)?,
            },
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
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query(
            "UPDATE blobs SET state = 'deleting', touched_ms = ? \
             WHERE rowid IN ( \
               SELECT b.rowid FROM blobs b \
               WHERE (b.state = 'live' AND b.touched_ms < ? AND NOT EXISTS ( \
                        SELECT 1 FROM assets a WHERE a.domain_id = b.domain_id AND a.sha256 = b.sha256)) \
                  OR (b.state = 'deleting' AND b.touched_ms < ?) \
               LIMIT ?) \
             RETURNING domain_id, sha256",
        )
        .bind(now_ms)
        .bind(touched_before)
        .bind(stale_before)
        .bind(sql_limit(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        rows.iter().map(blob_ref).collect()
    }

    #[tracing::instrument(skip_all, fields(domain_id = blob.domain_id))]
    async fn claim_orphan_blob(&self, blob: &BlobRef, now_ms: Millis) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(
            "INSERT INTO blobs (domain_id, sha256, generation, state, touched_ms) \
             SELECT ?1, ?2, 0, 'deleting', ?3 WHERE NOT EXISTS \
               (SELECT 1 FROM assets WHERE domain_id = ?1 AND sha256 = ?2) \
             ON CONFLICT (domain_id, sha256) DO NOTHING",
        )
        .bind(blob.domain_id)
        .bind(&blob.sha256)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        tx.commit().await.map_err(backend)?;
        Ok(inserted == 1)
    }

    #[tracing::instrument(skip_all, fields(blobs = blobs.len()))]
    async fn forget_blobs(&self, blobs: &[BlobRef]) -> StoreResult<()> {
        if blobs.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for blob in blobs {
            sqlx::query("DELETE FROM blobs WHERE domain_id = ? AND sha256 = ? AND state = ?")
                .bind(blob.domain_id)
                .bind(&blob.sha256)
                .bind(DELETING)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn blob_known(&self, blob: &BlobRef) -> StoreResult<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM blobs WHERE domain_id = ? AND sha256 = ?")
                .bind(blob.domain_id)
                .bind(&blob.sha256)
                .fetch_optional(&self.reader)
                .await
                .map_err(backend)?;
        Ok(found.is_some())
    }

    async fn referenced_blobs(
        &self,
        after: Option<&BlobRef>,
        limit: u32,
    ) -> StoreResult<Vec<ReferencedBlob>> {
        let mut qb =
            QueryBuilder::<Sqlite>::new("SELECT domain_id, sha256, MAX(size) AS size FROM assets");
        if let Some(after) = after {
            qb.push(" WHERE (domain_id, sha256) > (")
                .push_bind(after.domain_id)
                .push(", ")
                .push_bind(after.sha256.clone())
                .push(")");
        }
        qb.push(" GROUP BY domain_id, sha256 ORDER BY domain_id, sha256 LIMIT ")
            .push_bind(sql_limit(limit));
        let rows = qb.build().fetch_all(&self.reader).await.map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(ReferencedBlob {
                    blob: blob_ref(row)?,
                    size: row.try_get("size").map_err(backend)?,
                })
            })
            .collect()
    }
}
