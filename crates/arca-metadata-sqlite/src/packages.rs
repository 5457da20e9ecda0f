//! Packages, and the [`PackageStore`] implementation (versions and assets live in
//! [`crate::versions`]).

use arca_metadata::{
    AssetRow, CopyWrite, OriginRule, PackageFilter, PackageKey, PackageRow, PackageStore,
    PublishWrite, StoreError, StoreResult, VersionChange, VersionFilter, VersionLookup,
    VersionOrder, VersionPath, VersionRow,
};
use async_trait::async_trait;
use rusqlite::Connection;

use crate::sql::{
    backend, fetch_all, fetch_optional, package_row, reads, run, scalar, version_lookup_row, writes,
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
pub(crate) fn ensure_package(
    conn: &Connection,
    repository_id: i64,
    key: &PackageKey,
    origin: (OriginRule, OriginRule),
) -> StoreResult<PackageTarget> {
    let domain_id: Option<i64> = scalar(
        conn,
        "SELECT domain_id FROM repositories WHERE id = ?",
        [repository_id],
    )?;
    let domain_id = domain_id.ok_or(StoreError::NotFound)?;
    let identity = (
        repository_id,
        key.format.as_str(),
        key.namespace.as_str(),
        key.name.as_str(),
    );
    run(
        conn,
        "INSERT INTO packages \
         (repository_id, format, namespace, name, origin_publish, origin_upstream) \
         VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (repository_id, format, namespace, name) DO NOTHING",
        (
            identity.0,
            identity.1,
            identity.2,
            identity.3,
            origin.0.as_str(),
            origin.1.as_str(),
        ),
    )
    .map_err(backend)?;
    let package_id: i64 = scalar(
        conn,
        "SELECT id FROM packages \
         WHERE repository_id = ? AND format = ? AND namespace = ? AND name = ?",
        identity,
    )?
    .ok_or(StoreError::NotFound)?;
    Ok(PackageTarget {
        package_id,
        domain_id,
    })
}

/// Deletes the package, if given only while its versions are exactly `expected`.
fn delete_package_if(
    tx: &Connection,
    package_id: i64,
    expected: Option<&[VersionRow]>,
) -> StoreResult<()> {
    if let Some(expected) = expected {
        let stored = fetch_all(
            tx,
            &writes::version_states(package_id),
            writes::version_state_row,
        )?;
        if !writes::same_versions(&stored, expected) {
            let exists: Option<i64> =
                scalar(tx, "SELECT id FROM packages WHERE id = ?", [package_id])?;
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
        run(tx, statement, [package_id]).map_err(backend)?;
    }
    let deleted = run(tx, "DELETE FROM packages WHERE id = ?", [package_id]).map_err(backend)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[async_trait]
impl PackageStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn get_package(
        &self,
        repository_id: i64,
        key: &PackageKey,
    ) -> StoreResult<Option<PackageRow>> {
        self.read(|c| fetch_optional(c, &reads::package(repository_id, key), package_row))
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn list_packages(
        &self,
        repository_id: i64,
        filter: &PackageFilter,
        limit: u32,
    ) -> StoreResult<Vec<PackageRow>> {
        let query = reads::packages_page(repository_id, filter, limit);
        self.read(|c| fetch_all(c, &query, package_row))
    }

    #[tracing::instrument(skip_all)]
    async fn put_package_origin(
        &self,
        repository_id: i64,
        key: &PackageKey,
        origin: (OriginRule, OriginRule),
    ) -> StoreResult<PackageRow> {
        let query = writes::put_package_origin(repository_id, key, origin);
        self.write(move |tx| {
            crate::repositories::require_repository(tx, repository_id)?;
            fetch_optional(tx, &query, package_row)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn delete_package(&self, package_id: i64) -> StoreResult<()> {
        self.write(move |tx| delete_package_if(tx, package_id, None))
            .await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn delete_package_at(&self, package_id: i64, versions: &[VersionRow]) -> StoreResult<()> {
        let versions = versions.to_vec();
        self.write(move |tx| delete_package_if(tx, package_id, Some(&versions)))
            .await
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn get_version(&self, package_id: i64, version: &str) -> StoreResult<Option<VersionRow>> {
        self.version(package_id, version)
    }

    #[tracing::instrument(skip_all)]
    async fn lookup_version(&self, path: &VersionPath<'_>) -> StoreResult<VersionLookup> {
        let found =
            self.read(|c| fetch_optional(c, &reads::version_lookup(path), version_lookup_row))?;
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
        self.versions(package_id, filter, order, limit)
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn latest_published_version(&self, package_id: i64) -> StoreResult<Option<String>> {
        self.latest_published(package_id)
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn version_assets(&self, version_id: i64) -> StoreResult<Vec<AssetRow>> {
        self.assets(version_id, None, None)
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn list_assets(
        &self,
        version_id: i64,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AssetRow>> {
        self.assets(version_id, after, Some(limit))
    }

    #[tracing::instrument(skip_all, fields(version_id = version_id))]
    async fn get_asset(&self, version_id: i64, name: &str) -> StoreResult<Option<AssetRow>> {
        self.asset(version_id, name)
    }

    #[tracing::instrument(skip_all, fields(package_id = package_id))]
    async fn package_assets(
        &self,
        package_id: i64,
        name: Option<&str>,
    ) -> StoreResult<Vec<(i64, AssetRow)>> {
        let query = reads::package_assets(package_id, name);
        self.read(|c| fetch_all(c, &query, reads::package_asset_row))
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
