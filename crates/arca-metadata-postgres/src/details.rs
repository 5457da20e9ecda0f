//! [`DetailStore`]: npm dist-tags and version details (dependencies, readme, deprecation), with
//! the helpers publish and copy use inside their transactions.

use arca_metadata::{DetailStore, Millis, PackageDependency, StoreResult, VersionDetails};
use async_trait::async_trait;
use sqlx::PgConnection;

use crate::sql::{backend, execute, fetch_all, fetch_one, fetch_optional, missing_as_not_found};
use crate::PostgresStore;
use arca_metadata_sql::details as sql;

/// Replaces the details of `version_id` (inside the caller's transaction).
pub(crate) async fn write_details(
    conn: &mut PgConnection,
    version_id: i64,
    details: &VersionDetails,
) -> StoreResult<()> {
    for statement in sql::replace_details(version_id, details) {
        execute(&statement, &mut *conn)
            .await
            .map_err(missing_as_not_found)?;
    }
    Ok(())
}

/// Points `tag` at `version` (inside the caller's transaction).
pub(crate) async fn write_dist_tag(
    conn: &mut PgConnection,
    package_id: i64,
    tag: &str,
    version: &str,
) -> StoreResult<()> {
    execute(&sql::upsert_dist_tag(package_id, tag, version), conn)
        .await
        .map_err(missing_as_not_found)?;
    Ok(())
}

#[async_trait]
impl DetailStore for PostgresStore {
    async fn list_dist_tags(&self, package_id: i64) -> StoreResult<Vec<(String, String)>> {
        fetch_all(&sql::dist_tags(package_id), &self.pool, sql::dist_tag_row).await
    }

    async fn set_dist_tag(&self, package_id: i64, tag: &str, version: &str) -> StoreResult<()> {
        arca_metadata::check_text("dist-tag", tag)?;
        arca_metadata::check_text("version", version)?;
        self.retrying(|| async {
            let mut tx = self.write_tx().await?;
            write_dist_tag(&mut tx, package_id, tag, version).await?;
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn delete_dist_tag(&self, package_id: i64, tag: &str) -> StoreResult<bool> {
        let deleted = execute(&sql::delete_dist_tag(package_id, tag), &self.pool)
            .await
            .map_err(backend)?;
        Ok(deleted > 0)
    }

    async fn version_details(&self, version_id: i64) -> StoreResult<VersionDetails> {
        // One snapshot, so the row and the dependencies agree.
        let mut tx = self.read_tx().await?;
        let (deprecated, readme) =
            fetch_optional(&sql::details(version_id), &mut *tx, sql::details_row)
                .await?
                .unwrap_or_default();
        let dependencies = fetch_all(
            &sql::dependencies_page(version_id, None, u32::MAX),
            &mut *tx,
            sql::dependency_row,
        )
        .await?
        .into_iter()
        .map(|(_, d)| d)
        .collect();
        Ok(VersionDetails {
            dependencies,
            readme,
            deprecated,
        })
    }

    async fn set_version_details(
        &self,
        version_id: i64,
        details: &VersionDetails,
    ) -> StoreResult<()> {
        details.check_text()?;
        self.retrying(|| async {
            let mut tx = self.write_tx().await?;
            write_details(&mut tx, version_id, details).await?;
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn version_readme(&self, version_id: i64) -> StoreResult<Option<String>> {
        let readme = fetch_optional(&sql::readme(version_id), &self.pool, |r| {
            arca_metadata_sql::Columns::text_opt(r, "readme")
        })
        .await?;
        Ok(readme.flatten())
    }

    async fn list_dependencies(
        &self,
        version_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(i64, PackageDependency)>> {
        fetch_all(
            &sql::dependencies_page(version_id, after, limit),
            &self.pool,
            sql::dependency_row,
        )
        .await
    }

    async fn set_deprecations(&self, changes: &[(i64, Option<String>)]) -> StoreResult<()> {
        for (_, message) in changes {
            arca_metadata::check_text("deprecation message", message.as_deref().unwrap_or(""))?;
        }
        self.retrying(|| async {
            let mut tx = self.write_tx().await?;
            for statement in sql::upsert_deprecations(changes) {
                execute(&statement, &mut *tx)
                    .await
                    .map_err(missing_as_not_found)?;
            }
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn package_deprecations(&self, package_id: i64) -> StoreResult<Vec<(String, String)>> {
        fetch_all(
            &sql::package_deprecations(package_id),
            &self.pool,
            sql::deprecation_row,
        )
        .await
    }

    async fn stamp_document(
        &self,
        repository_id: i64,
        document: &str,
        etag: &str,
        now_ms: Millis,
    ) -> StoreResult<Millis> {
        let stamp = sql::DocumentStamp::new(repository_id, document, etag, now_ms)?;
        let stored = fetch_optional(&stamp.read, &self.pool, sql::document_stamp_row).await?;
        if let Some(since) = stamp.unchanged(stored) {
            return Ok(since);
        }
        // One statement, atomic on its own: concurrent stampers serialize on the row.
        let row = fetch_one(&stamp.upsert, &self.pool)
            .await
            .map_err(missing_as_not_found)?;
        sql::since_row(&row)
    }
}
