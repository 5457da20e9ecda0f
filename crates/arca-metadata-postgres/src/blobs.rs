//! The blob table on PostgreSQL: leases, collector claims, and the lease and reference checks of
//! publish and copy.
//!
//! Concurrency (READ COMMITTED): a publish or copy takes `FOR SHARE` on the blob row before it
//! commits a reference; a claim takes `FOR UPDATE SKIP LOCKED` on its candidates and only then,
//! in a new statement (so a new snapshot), re-checks that no asset references them. A reference
//! committed before the claim's lock is therefore seen, and one attempted after it waits for the
//! claim and then finds the row `deleting`.

use arca_metadata::{
    BlobLease, BlobRef, BlobRefStore, Millis, ReferencedBlob, StoreError, StoreResult,
};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::sql::backend;
use crate::PostgresStore;

/// Inside a publish transaction: the blob's row must be live with `generation`; it stays
/// share-locked until the commit, so no claim can slip in between.
pub(crate) async fn check_lease(
    conn: &mut PgConnection,
    domain_id: i64,
    sha256: &str,
    generation: i64,
) -> StoreResult<()> {
    let held: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM blobs WHERE domain_id = $1 AND sha256 = $2 AND generation = $3 \
         AND state = 'live' FOR SHARE",
    )
    .bind(domain_id)
    .bind(sha256)
    .bind(generation)
    .fetch_optional(conn)
    .await
    .map_err(backend)?;
    held.map(|_| ()).ok_or(StoreError::BlobLeaseLost)
}

/// Inside a copy transaction: the blob must not be being collected (its row, if any, is
/// share-locked and live) and some committed asset of the domain must still reference it.
pub(crate) async fn check_referenced(
    conn: &mut PgConnection,
    domain_id: i64,
    sha256: &str,
) -> StoreResult<()> {
    let state: Option<String> = sqlx::query_scalar(
        "SELECT state FROM blobs WHERE domain_id = $1 AND sha256 = $2 FOR SHARE",
    )
    .bind(domain_id)
    .bind(sha256)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    if state.as_deref().is_some_and(|s| s != "live") {
        return Err(StoreError::PreconditionFailed);
    }
    let found: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM assets WHERE domain_id = $1 AND sha256 = $2 LIMIT 1")
            .bind(domain_id)
            .bind(sha256)
            .fetch_optional(conn)
            .await
            .map_err(backend)?;
    found.map(|_| ()).ok_or(StoreError::PreconditionFailed)
}

fn blob_ref(row: &PgRow) -> StoreResult<BlobRef> {
    Ok(BlobRef {
        domain_id: row.try_get("domain_id").map_err(backend)?,
        sha256: row.try_get("sha256").map_err(backend)?,
    })
}

/// `(domain_id, sha256) IN ((…), …)` for `blobs`.
fn push_in_list(qb: &mut QueryBuilder<'_, Postgres>, blobs: &[BlobRef]) {
    qb.push("(domain_id, sha256) IN (");
    let mut list = qb.separated(", ");
    for b in blobs {
        list.push("(")
            .push_bind_unseparated(b.domain_id)
            .push_unseparated(", ")
            .push_bind_unseparated(b.sha256.clone())
            .push_unseparated(")");
    }
    qb.push(")");
}

impl PostgresStore {
    async fn claim_once(
        &self,
        touched_before: Millis,
        stale_before: Millis,
        now_ms: Millis,
        limit: u32,
    ) -> StoreResult<Vec<BlobRef>> {
        let mut tx = self.write_tx().await?;
        let candidates = sqlx::query(
            "SELECT domain_id, sha256 FROM blobs \
             WHERE (state = 'live' AND touched_ms < $1) OR (state = 'deleting' AND touched_ms < $2) \
             ORDER BY touched_ms LIMIT $3 FOR UPDATE SKIP LOCKED",
        )
        .bind(touched_before)
        .bind(stale_before)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let candidates: Vec<BlobRef> = candidates.iter().map(blob_ref).collect::<Result<_, _>>()?;
        if candidates.is_empty() {
            return Ok(vec![]);
        }
        // A new statement, so a new snapshot: every reference committed before the locks above
        // were granted is visible here.
        let mut qb =
            QueryBuilder::<Postgres>::new("UPDATE blobs b SET state = 'deleting', touched_ms = ");
        qb.push_bind(now_ms).push(" WHERE ");
        push_in_list(&mut qb, &candidates);
        qb.push(
            " AND (b.state = 'deleting' OR NOT EXISTS (SELECT 1 FROM assets a \
               WHERE a.domain_id = b.domain_id AND a.sha256 = b.sha256)) \
             RETURNING domain_id, sha256",
        );
        let claimed = qb.build().fetch_all(&mut *tx).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        claimed.iter().map(blob_ref).collect()
    }
}

#[async_trait]
impl BlobRefStore for PostgresStore {
    #[tracing::instrument(skip_all, fields(domain_id = blob.domain_id))]
    async fn touch_blob(
        &self,
        blob: &BlobRef,
        new_generation: i64,
        now_ms: Millis,
    ) -> StoreResult<BlobLease> {
        // ON CONFLICT DO UPDATE locks the row: a concurrent claim is waited for, then its
        // `deleting` state is seen and the update's WHERE leaves the row alone.
        let row: Option<i64> = sqlx::query_scalar(
            "INSERT INTO blobs (domain_id, sha256, generation, state, touched_ms) \
             VALUES ($1, $2, $3, 'live', $4) \
             ON CONFLICT (domain_id, sha256) DO UPDATE SET touched_ms = EXCLUDED.touched_ms \
             WHERE blobs.state = 'live' \
             RETURNING generation",
        )
        .bind(blob.domain_id)
        .bind(&blob.sha256)
        .bind(new_generation)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(match row {
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
        self.retrying(|| self.claim_once(touched_before, stale_before, now_ms, limit))
            .await
    }

    #[tracing::instrument(skip_all, fields(domain_id = blob.domain_id))]
    async fn claim_orphan_blob(&self, blob: &BlobRef, now_ms: Millis) -> StoreResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO blobs (domain_id, sha256, generation, state, touched_ms) \
             SELECT $1, $2, 0, 'deleting', $3 WHERE NOT EXISTS \
               (SELECT 1 FROM assets WHERE domain_id = $1 AND sha256 = $2) \
             ON CONFLICT (domain_id, sha256) DO NOTHING",
        )
        .bind(blob.domain_id)
        .bind(&blob.sha256)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(inserted == 1)
    }

    #[tracing::instrument(skip_all, fields(blobs = blobs.len()))]
    async fn forget_blobs(&self, blobs: &[BlobRef]) -> StoreResult<()> {
        if blobs.is_empty() {
            return Ok(());
        }
        let mut qb =
            QueryBuilder::<Postgres>::new("DELETE FROM blobs WHERE state = 'deleting' AND ");
        push_in_list(&mut qb, blobs);
        qb.build().execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    async fn blob_known(&self, blob: &BlobRef) -> StoreResult<bool> {
        let found: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM blobs WHERE domain_id = $1 AND sha256 = $2")
                .bind(blob.domain_id)
                .bind(&blob.sha256)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(found.is_some())
    }

    async fn referenced_blobs(
        &self,
        after: Option<&BlobRef>,
        limit: u32,
    ) -> StoreResult<Vec<ReferencedBlob>> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT domain_id, sha256, MAX(size) AS size FROM assets",
        );
        if let Some(after) = after {
            qb.push(" WHERE (domain_id, sha256) > (")
                .push_bind(after.domain_id)
                .push(", ")
                .push_bind(after.sha256.clone())
                .push(")");
        }
        qb.push(" GROUP BY domain_id, sha256 ORDER BY domain_id, sha256 LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.pool).await.map_err(backend)?;
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
