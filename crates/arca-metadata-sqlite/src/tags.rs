//! Tags, keyed by resource ARN. Also used inside the create/delete transactions of domains and
//! repositories.

use arca_metadata::{StoreError, StoreResult, TagStore};
use async_trait::async_trait;
use rusqlite::Connection;

use crate::sql::{backend, fetch_all, reads, run, scalar};
use crate::SqliteStore;

/// Inserts or replaces each tag (a key given twice keeps its last value).
fn upsert(conn: &Connection, arn: &str, tags: &[(String, String)]) -> StoreResult<()> {
    for (key, value) in tags {
        run(
            conn,
            "INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?) \
             ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
            (arn, key, value),
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// Removes every tag stored under `arn`.
pub(crate) fn delete_all(conn: &Connection, arn: &str) -> StoreResult<()> {
    run(conn, "DELETE FROM tags WHERE resource_arn = ?", [arn]).map_err(backend)?;
    Ok(())
}

/// Makes `tags` the exact tag set of a resource being created: a new resource starts with exactly
/// the tags it was created with, even if stale tags were left under its ARN.
pub(crate) fn replace_all(
    conn: &Connection,
    arn: &str,
    tags: &[(String, String)],
) -> StoreResult<()> {
    delete_all(conn, arn)?;
    upsert(conn, arn, tags)
}

#[async_trait]
impl TagStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn list_tags(&self, arn: &str) -> StoreResult<Vec<(String, String)>> {
        self.read(|c| fetch_all(c, &reads::tags(arn), reads::tag_row))
    }

    #[tracing::instrument(skip_all)]
    async fn tag_resource(
        &self,
        arn: &str,
        tags: &[(String, String)],
        max_tags: usize,
    ) -> StoreResult<()> {
        arca_metadata::check_tags(tags)?;
        let (arn, tags) = (arn.to_owned(), tags.to_vec());
        self.write(move |tx| {
            upsert(tx, &arn, &tags)?;
            let count: i64 = scalar(
                tx,
                "SELECT COUNT(*) FROM tags WHERE resource_arn = ?",
                [&arn],
            )?
            .unwrap_or(0);
            if usize::try_from(count).map_or(true, |count| count > max_tags) {
                // Returning an error rolls the upserts back.
                return Err(StoreError::LimitExceeded(format!(
                    "a resource can have at most {max_tags} tags"
                )));
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> StoreResult<()> {
        let (arn, keys) = (arn.to_owned(), keys.to_vec());
        self.write(move |tx| {
            for key in &keys {
                run(
                    tx,
                    "DELETE FROM tags WHERE resource_arn = ? AND key = ?",
                    (&arn, key),
                )
                .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_tags(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<(String, String, String)>> {
        self.read(|c| fetch_all(c, &reads::all_tags_page(after, limit), reads::arn_tag_row))
    }
}
