//! Tags, keyed by resource ARN. Also used inside the create/delete transactions of domains and
//! repositories.

use arca_metadata::{StoreError, StoreResult, TagStore};
use async_trait::async_trait;
use sqlx::{Sqlite, SqliteConnection};

use crate::sql::{backend, reads};
use crate::SqliteStore;

/// Inserts or replaces each tag (a key given twice keeps its last value).
async fn upsert(
    conn: &mut SqliteConnection,
    arn: &str,
    tags: &[(String, String)],
) -> StoreResult<()> {
    for (key, value) in tags {
        sqlx::query(
            "INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?) \
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

/// Removes every tag stored under `arn`.
pub(crate) async fn delete_all(conn: &mut SqliteConnection, arn: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM tags WHERE resource_arn = ?")
        .bind(arn)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Makes `tags` the exact tag set of a resource being created: a new resource starts with exactly
/// the tags it was created with, even if stale tags were left under its ARN.
pub(crate) async fn replace_all(
    conn: &mut SqliteConnection,
    arn: &str,
    tags: &[(String, String)],
) -> StoreResult<()> {
    delete_all(conn, arn).await?;
    upsert(conn, arn, tags).await
}

#[async_trait]
impl TagStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn list_tags(&self, arn: &str) -> StoreResult<Vec<(String, String)>> {
        reads::tags::<Sqlite>(arn)
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(backend)
    }

    #[tracing::instrument(skip_all)]
    async fn tag_resource(
        &self,
        arn: &str,
        tags: &[(String, String)],
        max_tags: usize,
    ) -> StoreResult<()> {
        arca_metadata::check_tags(tags)?;
        let mut tx = self.write_tx().await?;
        upsert(&mut tx, arn, tags).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tags WHERE resource_arn = ?")
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

    #[tracing::instrument(skip_all)]
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for key in keys {
            sqlx::query("DELETE FROM tags WHERE resource_arn = ? AND key = ?")
                .bind(arn)
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_tags(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<(String, String, String)>> {
        reads::all_tags_page::<Sqlite>(after, limit)
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(backend)
    }
}
