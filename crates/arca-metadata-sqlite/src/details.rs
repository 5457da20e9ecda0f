//! [`DetailStore`]: npm dist-tags and version details (dependencies, readme, deprecation), with
//! the helpers publish and copy use inside their transactions.

use arca_metadata::{
    DetailStore, Millis, PackageDependency, StoreError, StoreResult, VersionDetails,
};
use async_trait::async_trait;
use rusqlite::Connection;

use crate::sql::{
    backend, execute, fetch_all, fetch_classified, fetch_optional, missing_as_not_found,
};
use crate::SqliteStore;
use arca_metadata_sql::details as sql;

/// Replaces the details of `version_id` (inside the caller's transaction); a missing version is
/// `NotFound`.
pub(crate) fn write_details(
    conn: &Connection,
    version_id: i64,
    details: &VersionDetails,
) -> StoreResult<()> {
    for statement in sql::replace_details(version_id, details) {
        execute(conn, &statement).map_err(missing_as_not_found)?;
    }
    Ok(())
}

/// Points `tag` at `version` (inside the caller's transaction).
pub(crate) fn write_dist_tag(
    conn: &Connection,
    package_id: i64,
    tag: &str,
    version: &str,
) -> StoreResult<()> {
    execute(conn, &sql::upsert_dist_tag(package_id, tag, version)).map_err(missing_as_not_found)?;
    Ok(())
}

#[async_trait]
impl DetailStore for SqliteStore {
    async fn list_dist_tags(&self, package_id: i64) -> StoreResult<Vec<(String, String)>> {
        self.read(|c| fetch_all(c, &sql::dist_tags(package_id), sql::dist_tag_row))
    }

    async fn set_dist_tag(&self, package_id: i64, tag: &str, version: &str) -> StoreResult<()> {
        arca_metadata::check_text("dist-tag", tag)?;
        arca_metadata::check_text("version", version)?;
        let (tag, version) = (tag.to_owned(), version.to_owned());
        self.write(move |tx| write_dist_tag(tx, package_id, &tag, &version))
            .await
    }

    async fn delete_dist_tag(&self, package_id: i64, tag: &str) -> StoreResult<bool> {
        let statement = sql::delete_dist_tag(package_id, tag);
        self.write(move |tx| Ok(execute(tx, &statement).map_err(backend)? > 0))
            .await
    }

    async fn version_details(&self, version_id: i64) -> StoreResult<VersionDetails> {
        // One snapshot, so the row and the dependencies agree.
        self.read_tx(|c| {
            let (deprecated, readme) =
                fetch_optional(c, &sql::details(version_id), sql::details_row)?.unwrap_or_default();
            let dependencies = fetch_all(
                c,
                &sql::dependencies_page(version_id, None, u32::MAX),
                sql::dependency_row,
            )?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
            Ok(VersionDetails {
                dependencies,
                readme,
                deprecated,
            })
        })
    }

    async fn set_version_details(
        &self,
        version_id: i64,
        details: &VersionDetails,
    ) -> StoreResult<()> {
        details.check_text()?;
        let statements = sql::replace_details(version_id, details);
        self.write(move |tx| {
            for statement in &statements {
                execute(tx, statement).map_err(missing_as_not_found)?;
            }
            Ok(())
        })
        .await
    }

    async fn version_readme(&self, version_id: i64) -> StoreResult<Option<String>> {
        let readme =
            self.read(|c| fetch_optional(c, &sql::readme(version_id), |r| r.text_opt("readme")))?;
        Ok(readme.flatten())
    }

    async fn list_dependencies(
        &self,
        version_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(i64, PackageDependency)>> {
        self.read(|c| {
            fetch_all(
                c,
                &sql::dependencies_page(version_id, after, limit),
                sql::dependency_row,
            )
        })
    }

    async fn set_deprecations(&self, changes: &[(i64, Option<String>)]) -> StoreResult<()> {
        for (_, message) in changes {
            arca_metadata::check_text("deprecation message", message.as_deref().unwrap_or(""))?;
        }
        let statements = sql::upsert_deprecations(changes);
        self.write(move |tx| {
            for statement in &statements {
                execute(tx, statement).map_err(missing_as_not_found)?;
            }
            Ok(())
        })
        .await
    }

    async fn package_deprecations(&self, package_id: i64) -> StoreResult<Vec<(String, String)>> {
        self.read(|c| {
            fetch_all(
                c,
                &sql::package_deprecations(package_id),
                sql::deprecation_row,
            )
        })
    }

    async fn stamp_document(
        &self,
        repository_id: i64,
        document: &str,
        etag: &str,
        now_ms: Millis,
    ) -> StoreResult<Millis> {
        let stamp = sql::DocumentStamp::new(repository_id, document, etag, now_ms)?;
        let stored = self.read(|c| fetch_optional(c, &stamp.read, sql::document_stamp_row))?;
        if let Some(since) = stamp.unchanged(stored) {
            return Ok(since);
        }
        self.write(move |tx| {
            fetch_classified(tx, &stamp.upsert, missing_as_not_found, sql::since_row)?
                .ok_or(StoreError::NotFound)
        })
        .await
    }
}
