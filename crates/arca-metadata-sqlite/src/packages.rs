//! Packages, and the [`PackageStore`] implementation (versions and assets live in
//! [`crate::versions`]).

use arca_metadata::{
    AssetRow, CopyWrite, OriginRule, PackageFilter, PackageKey, PackageRow, PackageStore,
    PublishWrite, StoreError, StoreResult, VersionChange, VersionFilter, VersionLookup,
    VersionOrder, VersionPath, VersionRow,
};
use async_trait::async_trait;
use sqlx::{Sqlite, SqliteConnection};

use crate::sql::{
    backend, fetch_all, fetch_optional, package_row, reads, version_lookup_row, writes,
};
use crate::SqliteStore;

/// Where a write into a package lands.
pub(crate) struct PackageTarget {
    pub(crate) package_id: i64,
    /// The repository's domain, recorded on assets.
    pub(crate) domain_id: i64,
}

/// Returns the package `key` of the repository, creating it with `origin` (publish, upstream) if it
/// does not exist. `NotFound` when the repository does not exist.
pub(crate) async fn ensure_package(
    conn: &mut SqliteConnection,
    repository_id: i64,
    key: &PackageKey,
    origin: (OriginRule, OriginRule),
) -> StoreResult<PackageTarget> {
    let domain_id: Option<i64> =
        sqlx::query_scalar("SELECT domain_id FROM repositories WHERE id = ?")
            .bind(repository_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    let domain_id = domain_id.ok_or(StoreError::NotFound)?;
    sqlx::query(
        "INSERT INTO packages \
         (repository_id, format, namespace, name, origin_publish, origin_upstream) \
         VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (repository_id, format, namespace, name) DO NOTHING",
    )
    .bind(repository_id)
    .bind(key.format.as_str())
    .bind(&key.namespace)
    .bind(&key.name)
    .bind(origin.0.as_str())
    .bind(origin.1.as_str())
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    let package_id: i64 = sqlx::query_scalar(
        "SELECT id FROM packages \
         WHERE repository_id = ? AND format = ? AND namespace = ? AND name = ?",
    )
    .bind(repository_id)
    .bind(key.format.as_str())
    .bind(&key.namespace)
    .bind(&key.name)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(PackageTarget {
        package_id,
        domain_id,
    })
}

impl SqliteStore {
    /// Deletes the package, if given only while its versions are exactly `expected`.
    async fn delete_package_if(
        &self,
        package_id: i64,
        expected: Option<&[VersionRow]>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        if let Some(expected) = expected {
            let stored = fetch_all(
                &mut writes::version_states::<Sqlite>(package_id),
                &mut *tx,
                writes::version_state_row,
            )
            .await?;
            if !writes::same_versions(&stored, expected) {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM packages WHERE id = ?")
                        .bind(package_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                return Err(match exists {
                    Some(_) => StoreError::PreconditionFailed,
                    None => StoreError::NotFound,
                });
            }
        }
        for statement in [
            "DELETE FROM assets WHERE version_id IN \
             (SELECT id FROM package_versions WHERE package_id = ?)",
            "DELETE FROM package_versions WHERE package_id = ?",
        ] {
            sqlx::query(statement)
                .bind(package_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        let deleted = sqlx::query("DELETE FROM packages WHERE id = ?")
            .bind(package_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl PackageStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn get_package(
        &self,
        repository_id: i64,
        key: &PackageKey,
    ) -> StoreResult<Option<PackageRow>> {
        fetch_optional(
            &mut reads::package::<Sqlite>(repository_id, key),
            &self.reader,
            package_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn list_packages(
        &self,
        repository_id: i64,
        filter: &PackageFilter,
        limit: u32,
    ) -> StoreResult<Vec<PackageRow>> {
        let mut query = reads::packages_page::<Sqlite>(repository_id, filter, limit);
        fetch_all(&mut query, &self.reader, package_row).await
    }

    #[tracing::instrument(skip_all)]
    async fn put_package_origin(
        &self,
        repository_id: i64,
        key: &PackageKey,
        origin: (OriginRule, OriginRule),
    ) -> StoreResult<PackageRow> {
        let mut tx = self.write_tx().await?;
        crate::repositories::require_repository(&mut tx, repository_id).await?;
        let mut query = writes::put_package_origin::<Sqlite>(repository_id, key, origin);
        let row = fetch_optional(&mut query, &mut *tx, package_row)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(row)
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn delete_package(&self, package_id: i64) -> StoreResult<()> {
        self.delete_package_if(package_id, None).await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn delete_package_at(&self, package_id: i64, versions: &[VersionRow]) -> StoreResult<()> {
        self.delete_package_if(package_id, Some(versions)).await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn get_version(&self, package_id: i64, version: &str) -> StoreResult<Option<VersionRow>> {
        self.version(package_id, version).await
    }

    #[tracing::instrument(skip_all)]
    async fn lookup_version(&self, path: &VersionPath<'_>) -> StoreResult<VersionLookup> {
        let found = fetch_optional(
            &mut reads::version_lookup::<Sqlite>(path),
            &self.reader,
            version_lookup_row,
        )
        .await?;
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
        self.versions(package_id, filter, order, limit).await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn latest_published_version(&self, package_id: i64) -> StoreResult<Option<String>> {
        self.latest_published(package_id).await
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn version_assets(&self, version_id: i64) -> StoreResult<Vec<AssetRow>> {
        self.assets(version_id, None, None).await
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn list_assets(
        &self,
        version_id: i64,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AssetRow>> {
        self.assets(version_id, after, Some(limit)).await
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn get_asset(&self, version_id: i64, name: &str) -> StoreResult<Option<AssetRow>> {
        self.asset(version_id, name).await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn package_assets(
        &self,
        package_id: i64,
        name: &str,
    ) -> StoreResult<Vec<(i64, AssetRow)>> {
        fetch_all(
            &mut reads::package_assets::<Sqlite>(package_id, name),
            &self.reader,
            reads::package_asset_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(repository_id = write.repository_id))]
    async fn apply_publish(&self, write: &PublishWrite) -> StoreResult<VersionRow> {
        write.check_text()?;
        self.publish(write).await
    }

    #[tracing::instrument(skip_all, fields(changes = changes.len()))]
    async fn apply_version_changes(&self, changes: &[VersionChange]) -> StoreResult<()> {
        self.change_versions(changes).await
    }

    #[tracing::instrument(skip_all, fields(repository_id = write.repository_id))]
    async fn apply_copy(&self, write: &CopyWrite) -> StoreResult<()> {
        write.check_text()?;
        self.copy(write).await
    }
}
