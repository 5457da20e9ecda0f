//! Tags, keyed by resource ARN. Also used inside the create/delete transactions of domains and
//! repositories.
//!
//! Every tag write of an ARN first takes a transaction-scoped advisory lock derived from the ARN,
//! so that writes to one resource's tags run one after the other: `tag_resource`'s count then sees
//! every tag committed before it, and two writers cannot both stay under the limit while together
//! exceeding it. (Distinct ARNs whose hashes collide merely wait for each other.) The tag lock is
//! always the last lock a transaction takes.

use arca_metadata::{StoreError, StoreResult, TagStore};
use async_trait::async_trait;
use sqlx::PgConnection;

use crate::sql::{backend, fetch_all, reads};
use crate::PostgresStore;

/// First key of the tag locks (`pg_advisory_xact_lock(int, int)`), the second being the ARN's hash.
/// The two-key space is distinct from the one-key space of sqlx's migration lock.
const TAG_LOCK_CLASS: i32 = 0x4152_4341; // "ARCA"

/// Waits for, then holds until the end of the transaction, the tag lock of `arn`.
async fn lock_tags(conn: &mut PgConnection, arn: &str) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(TAG_LOCK_CLASS)
        .bind(arn)
        .execute(conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Inserts or replaces each tag (a key given twice keeps its last value).
async fn upsert(conn: &mut PgConnection, arn: &str, tags: &[(String, String)]) -> StoreResult<()> {
    for (key, value) in tags {
        sqlx::query(
            "INSERT INTO tags (resource_arn, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
        )
        .bind(arn)
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

async fn delete_unlocked(conn: &mut PgConnection, arn: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM tags WHERE resource_arn = $1")
        .bind(arn)
        .execute(conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Removes every tag stored under `arn`.
pub(crate) async fn delete_all(conn: &mut PgConnection, arn: &str) -> StoreResult<()> {
    lock_tags(conn, arn).await?;
    delete_unlocked(conn, arn).await
}

/// Makes `tags` the exact tag set of a resource being created: a new resource starts with exactly
/// the tags it was created with, even if stale tags were left under its ARN.
pub(crate) async fn replace_all(
    conn: &mut PgConnection,
    arn: &str,
    tags: &[(String, String)],
) -> StoreResult<()> {
    lock_tags(conn, arn).await?;
    delete_unlocked(conn, arn).await?;
    upsert(conn, arn, tags).await
}

impl PostgresStore {
    async fn tag_resource_once(
        &self,
        arn: &str,
        tags: &[(String, String)],
        max_tags: usize,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        lock_tags(&mut tx, arn).await?;
        upsert(&mut tx, arn, tags).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tags WHERE resource_arn = $1")
            .bind(arn)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        if usize::try_from(count).map_or(true, |count| count > max_tags) {
            // Dropping the transaction rolls the upserts back.
            return Err(StoreError::LimitExceeded(format!(
                "a resource can have at most {max_tags} tags"
            )));
        }
        tx.commit().await.map_err(backend)
    }

    async fn untag_resource_once(&self, arn: &str, keys: &[String]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        lock_tags(&mut tx, arn).await?;
        sqlx::query("DELETE FROM tags WHERE resource_arn = $1 AND key = ANY($2)")
            .bind(arn)
            .bind(keys)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl TagStore for PostgresStore {
    #[tracing::instrument(skip_all)]
    async fn list_tags(&self, arn: &str) -> StoreResult<Vec<(String, String)>> {
        fetch_all(&reads::tags(arn), &self.pool, reads::tag_row).await
    }

    #[tracing::instrument(skip_all)]
    async fn tag_resource(
        &self,
        arn: &str,
        tags: &[(String, String)],
        max_tags: usize,
    ) -> StoreResult<()> {
        arca_metadata::check_tags(tags)?;
        self.retrying(|| self.tag_resource_once(arn, tags, max_tags))
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> StoreResult<()> {
        self.retrying(|| self.untag_resource_once(arn, keys)).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_tags(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<(String, String, String)>> {
        fetch_all(
            &reads::all_tags_page(after, limit),
            &self.pool,
            reads::arn_tag_row,
        )
        .await
    }
}
