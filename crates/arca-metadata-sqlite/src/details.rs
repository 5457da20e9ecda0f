//! [`DetailStore`]: npm dist-tags and version details (dependencies, readme, deprecation), with
//! the helpers publish and copy use inside their transactions.

use arca_metadata::{DetailStore, PackageDependency, StoreError, StoreResult, VersionDetails};
use async_trait::async_trait;
use sqlx::{Sqlite, SqliteConnection};

use crate::sql::{backend, fetch_all, fetch_optional, is_foreign_key_violation};
use crate::SqliteStore;
use arca_metadata_sql::details as sql;

/// A foreign-key violation means the referenced version does not exist.
fn missing_version(e: sqlx::Error) -> StoreError {
    if is_foreign_key_violation(&e) {
        StoreError::NotFound
    } else {
        backend(e)
    }
}

/// Replaces the details of `version_id` (inside the caller's transaction).
pub(crate) async fn write_details(
    conn: &mut SqliteConnection,
    version_id: i64,
    details: &VersionDetails,
) -> StoreResult<()> {
    for mut statement in sql::replace_details::<Sqlite>(version_id, details) {
        statement
            .build()
            .execute(&mut *conn)
            .await
            .map_err(missing_version)?;
    }
    Ok(())
}

/// Points `tag` at `version` (inside the caller's transaction).
pub(crate) async fn write_dist_tag(
    conn: &mut SqliteConnection,
    package_id: i64,
    tag: &str,
    version: &str,
) -> StoreResult<()> {
    sql::upsert_dist_tag::<Sqlite>(package_id, tag, version)
        .build()
        .execute(conn)
        .await
        .map_err(missing_version)?;
    Ok(())
}

#[async_trait]
impl DetailStore for SqliteStore {
    async fn list_dist_tags(&self, package_id: i64) -> StoreResult<Vec<(String, String)>> {
        fetch_all(
            &mut sql::dist_tags::<Sqlite>(package_id),
            &self.reader,
            sql::dist_tag_row,
        )
        .await
    }

    async fn set_dist_tag(&self, package_id: i64, tag: &str, version: &str) -> StoreResult<()> {
        arca_metadata::check_text("dist-tag", tag)?;
        arca_metadata::check_text("version", version)?;
        let mut tx = self.write_tx().await?;
        write_dist_tag(&mut tx, package_id, tag, version).await?;
        tx.commit().await.map_err(backend)
    }

    async fn delete_dist_tag(&self, package_id: i64, tag: &str) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let deleted = sql::delete_dist_tag::<Sqlite>(package_id, tag)
            .build()
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        tx.commit().await.map_err(backend)?;
        Ok(deleted > 0)
    }

    async fn version_details(&self, version_id: i64) -> StoreResult<VersionDetails> {
        // One snapshot, so the row and the dependencies agree.
        let mut tx = self.read_tx().await?;
        let (deprecated, readme) = fetch_optional(
            &mut sql::details::<Sqlite>(version_id),
            &mut *tx,
            sql::details_row,
        )
        .await?
        .unwrap_or_default();
        let dependencies = fetch_all(
            &mut sql::dependencies_page::<Sqlite>(version_id, None, u32::MAX),
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
        let mut tx = self.write_tx().await?;
        write_details(&mut tx, version_id, details).await?;
        tx.commit().await.map_err(backend)
    }

    async fn version_readme(&self, version_id: i64) -> StoreResult<Option<String>> {
        let readme = fetch_optional(&mut sql::readme::<Sqlite>(version_id), &self.reader, |r| {
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
            &mut sql::dependencies_page::<Sqlite>(version_id, after, limit),
            &self.reader,
            sql::dependency_row,
        )
        .await
    }

    async fn set_deprecations(&self, changes: &[(i64, Option<String>)]) -> StoreResult<()> {
        for (_, message) in changes {
            arca_metadata::check_text("deprecation message", message.as_deref().unwrap_or(""))?;
        }
        let mut tx = self.write_tx().await?;
        for mut statement in sql::upsert_deprecations::<Sqlite>(changes) {
            statement
                .build()
                .execute(&mut *tx)
                .await
                .map_err(missing_version)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn package_deprecations(&self, package_id: i64) -> StoreResult<Vec<(String, String)>> {
        fetch_all(
            &mut sql::package_deprecations::<Sqlite>(package_id),
            &self.reader,
            sql::deprecation_row,
        )
        .await
    }
}
