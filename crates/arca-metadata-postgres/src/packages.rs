//! Packages, and the [`PackageStore`] implementation with its reads (the version writes live in
//! [`crate::versions`]).

use arca_metadata::{
    AssetRow, CopyWrite, OriginRule, PackageFilter, PackageKey, PackageRow, PackageStore,
    PublishWrite, StoreError, StoreResult, VersionChange, VersionFilter, VersionLookup,
    VersionOrder, VersionPath, VersionRow,
};
use async_trait::async_trait;
use sqlx::PgConnection;

use crate::sql::{
    asset_row, backend, fetch_all, fetch_optional, package_row, reads, version_lookup_row,
    version_row, writes,
};
use crate::{versions, PostgresStore};

/// How many times [`ensure_package`] looks for a package that concurrent deletions keep removing.
const ENSURE_PACKAGE_ATTEMPTS: usize = 3;

/// Where a write into a package lands.
pub(crate) struct PackageTarget {
    pub(crate) package_id: i64,
    /// The repository's domain, recorded on assets.
    pub(crate) domain_id: i64,
}

/// Returns the package `key` of the repository, creating it with `origin` (publish, upstream) if it
/// does not exist; `NotFound` when the repository does not exist.
///
/// Holds the repository row and the package row `FOR KEY SHARE` until the end of the transaction:
/// writers into the repository or the package run side by side, while `delete_repository` /
/// `delete_package` (`FOR UPDATE`) wait for them, or they for it.
pub(crate) async fn ensure_package(
    conn: &mut PgConnection,
    repository_id: i64,
    key: &PackageKey,
    origin: (OriginRule, OriginRule),
) -> StoreResult<PackageTarget> {
    let domain_id: Option<i64> =
        sqlx::query_scalar("SELECT domain_id FROM repositories WHERE id = $1 FOR KEY SHARE")
            .bind(repository_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    let domain_id = domain_id.ok_or(StoreError::NotFound)?;
    for _ in 0..ENSURE_PACKAGE_ATTEMPTS {
        // A concurrent creator of the same key makes this insert wait for its outcome: if it
        // commits, nothing is inserted and the select below finds its row; if it rolls back, this
        // insert goes ahead. Either way no unique violation escapes.
        let created: Option<i64> = sqlx::query_scalar(
            "INSERT INTO packages \
             (repository_id, format, namespace, name, origin_publish, origin_upstream) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (repository_id, format, namespace, name) DO NOTHING RETURNING id",
        )
        .bind(repository_id)
        .bind(key.format.as_str())
        .bind(&key.namespace)
        .bind(&key.name)
        .bind(origin.0.as_str())
        .bind(origin.1.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
        let package_id = match created {
            Some(id) => Some(id),
            None => sqlx::query_scalar(
                "SELECT id FROM packages \
                 WHERE repository_id = $1 AND format = $2 AND namespace = $3 AND name = $4 \
                 FOR KEY SHARE",
            )
            .bind(repository_id)
            .bind(key.format.as_str())
            .bind(&key.namespace)
            .bind(&key.name)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?,
        };
        if let Some(package_id) = package_id {
            return Ok(PackageTarget {
                package_id,
                domain_id,
            });
        }
        // Deleted between the two statements: create it again.
    }
    Err(StoreError::PreconditionFailed)
}

impl PostgresStore {
    /// Deletes the package, if given only while its versions are exactly `expected`: they are
    /// compared after the package row (which publishes hold `FOR KEY SHARE`) and every version
    /// row are locked, so nothing changes between the comparison and the deletion.
    async fn delete_package_once(
        &self,
        package_id: i64,
        expected: Option<&[VersionRow]>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let locked: Option<i64> =
            sqlx::query_scalar("SELECT id FROM packages WHERE id = $1 FOR UPDATE")
                .bind(package_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if locked.is_none() {
            return Err(StoreError::NotFound);
        }
        versions::lock_package_versions(&mut tx, package_id).await?;
        if let Some(expected) = expected {
            let stored = fetch_all(
                &writes::version_states(package_id),
                &mut *tx,
                writes::version_state_row,
            )
            .await?;
            if !writes::same_versions(&stored, expected) {
                return Err(StoreError::PreconditionFailed);
            }
        }
        for statement in [
            "DELETE FROM assets WHERE version_id IN \
             (SELECT id FROM package_versions WHERE package_id = $1)",
            "DELETE FROM package_versions WHERE package_id = $1",
            "DELETE FROM packages WHERE id = $1",
        ] {
            sqlx::query(statement)
                .bind(package_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl PackageStore for PostgresStore {
    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn get_package(
        &self,
        repository_id: i64,
        key: &PackageKey,
    ) -> StoreResult<Option<PackageRow>> {
        fetch_optional(&reads::package(repository_id, key), &self.pool, package_row).await
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn list_packages(
        &self,
        repository_id: i64,
        filter: &PackageFilter,
        limit: u32,
    ) -> StoreResult<Vec<PackageRow>> {
        let query = reads::packages_page(repository_id, filter, limit);
        fetch_all(&query, &self.pool, package_row).await
    }

    #[tracing::instrument(skip_all)]
    async fn put_package_origin(
        &self,
        repository_id: i64,
        key: &PackageKey,
        origin: (OriginRule, OriginRule),
    ) -> StoreResult<PackageRow> {
        let mut tx = self.write_tx().await?;
        // Held against deletion like a publish.
        crate::repositories::lock_repository(&mut tx, repository_id, "FOR KEY SHARE").await?;
        let query = writes::put_package_origin(repository_id, key, origin);
        let row = fetch_optional(&query, &mut *tx, package_row)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(row)
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn delete_package(&self, package_id: i64) -> StoreResult<()> {
        self.retrying(|| self.delete_package_once(package_id, None))
            .await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn delete_package_at(&self, package_id: i64, versions: &[VersionRow]) -> StoreResult<()> {
        self.retrying(|| self.delete_package_once(package_id, Some(versions)))
            .await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn get_version(&self, package_id: i64, version: &str) -> StoreResult<Option<VersionRow>> {
        fetch_optional(
            &reads::version(package_id, version),
            &self.pool,
            version_row,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn lookup_version(&self, path: &VersionPath<'_>) -> StoreResult<VersionLookup> {
        let found =
            fetch_optional(&reads::version_lookup(path), &self.pool, version_lookup_row).await?;
        Ok(found.unwrap_or_default())
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn list_versions(
        &self,
        package_id: i64,
        filter: &VersionFilter,
        order: &VersionOrder,
        limit: u32,
    ) -> StoreResult<Vec<VersionRow>> {
        let query = reads::versions_page(package_id, filter, order, limit);
        fetch_all(&query, &self.pool, version_row).await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn latest_published_version(&self, package_id: i64) -> StoreResult<Option<String>> {
        fetch_optional(&reads::latest_published(package_id), &self.pool, |r| {
            r.text("version")
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn version_assets(&self, version_id: i64) -> StoreResult<Vec<AssetRow>> {
        fetch_all(
            &reads::assets_page(version_id, None, None),
            &self.pool,
            asset_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn list_assets(
        &self,
        version_id: i64,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AssetRow>> {
        let query = reads::assets_page(version_id, after, Some(limit));
        fetch_all(&query, &self.pool, asset_row).await
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn get_asset(&self, version_id: i64, name: &str) -> StoreResult<Option<AssetRow>> {
        fetch_optional(&reads::asset(version_id, name), &self.pool, asset_row).await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn package_assets(
        &self,
        package_id: i64,
        name: Option<&str>,
    ) -> StoreResult<Vec<(i64, AssetRow)>> {
        fetch_all(
            &reads::package_assets(package_id, name),
            &self.pool,
            reads::package_asset_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(repository_id = write.repository_id))]
    async fn apply_publish(&self, write: &PublishWrite) -> StoreResult<VersionRow> {
        write.check_text()?;
        self.retrying(|| self.publish_once(write)).await
    }

    #[tracing::instrument(skip_all, fields(changes = changes.len()))]
    async fn apply_version_changes(&self, changes: &[VersionChange]) -> StoreResult<()> {
        self.retrying(|| self.change_versions_once(changes)).await
    }

    #[tracing::instrument(skip_all, fields(repository_id = write.repository_id))]
    async fn apply_copy(&self, write: &CopyWrite) -> StoreResult<()> {
        write.check_text()?;
        self.retrying(|| self.copy_once(write)).await
    }
}
