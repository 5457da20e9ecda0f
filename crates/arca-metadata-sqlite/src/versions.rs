//! Package versions and their assets: reads, and the compare-and-set writes (publish, status
//! changes, copy).

use arca_metadata::{
    AssetRow, CopyWrite, PublishWrite, StoreError, StoreResult, VersionChange, VersionFilter,
    VersionOrder, VersionRow,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::blobs;
use crate::details;
use crate::packages::{ensure_package, PackageTarget};
use crate::sql::{
    asset_row, backend, fetch_all, fetch_optional, is_unique_violation, reads, unique_as,
    version_row, writes, At, VersionFields,
};
use crate::SqliteStore;

/// Inserts a new version; a unique violation means it already exists (the caller expected it
/// absent).
async fn insert_version(
    conn: &mut SqliteConnection,
    package_id: i64,
    version: &str,
    fields: &VersionFields<'_>,
) -> StoreResult<i64> {
    fields
        .insert::<Sqlite>(package_id, version)
        .build_query_scalar()
        .fetch_one(conn)
        .await
        .map_err(unique_as(StoreError::PreconditionFailed))
}

/// Runs a guarded update: exactly one row must match, else the expectation did not hold.
async fn run_guarded(
    conn: &mut SqliteConnection,
    mut qb: QueryBuilder<'_, Sqlite>,
) -> StoreResult<()> {
    let touched = qb
        .build()
        .execute(conn)
        .await
        .map_err(backend)?
        .rows_affected();
    if touched == 1 {
        Ok(())
    } else {
        Err(StoreError::PreconditionFailed)
    }
}

async fn insert_asset(
    conn: &mut SqliteConnection,
    version_id: i64,
    domain_id: i64,
    asset: &AssetRow,
) -> Result<(), sqlx::Error> {
    writes::insert_asset::<Sqlite>(version_id, domain_id, asset)
        .build()
        .execute(conn)
        .await?;
    Ok(())
}

async fn delete_assets(conn: &mut SqliteConnection, version_id: i64) -> StoreResult<()> {
    writes::delete_assets::<Sqlite>(version_id)
        .build()
        .execute(conn)
        .await
        .map_err(backend)?;
    Ok(())
}

async fn load_version(conn: &mut SqliteConnection, version_id: i64) -> StoreResult<VersionRow> {
    fetch_optional(
        &mut reads::version_by_id::<Sqlite>(version_id),
        conn,
        version_row,
    )
    .await?
    .ok_or(StoreError::NotFound)
}

/// Fails with `PreconditionFailed` unless version `id` has exactly this status and revision.
async fn check_expected(conn: &mut SqliteConnection, change: &VersionChange) -> StoreResult<()> {
    let found: Option<i64> = writes::expected_version::<Sqlite>(change)
        .build_query_scalar()
        .fetch_optional(conn)
        .await
        .map_err(backend)?;
    found.map(|_| ()).ok_or(StoreError::PreconditionFailed)
}

/// The writes of one publish, on a connection already inside a write transaction (or savepoint):
/// any error leaves partial writes for the caller to roll back.
async fn publish_in(conn: &mut SqliteConnection, write: &PublishWrite) -> StoreResult<VersionRow> {
    let PackageTarget {
        package_id,
        domain_id,
    } = ensure_package(
        &mut *conn,
        write.repository_id,
        &write.package,
        write.new_package_origin,
    )
    .await?;
    let version_id = match At::of(&write.expect, package_id, &write.version) {
        None => {
            let fields = VersionFields {
                status: write.status,
                revision: &write.revision,
                published_ms: write.published_ms,
                origin: &write.origin,
                metadata: &write.metadata,
            };
            let id = insert_version(&mut *conn, package_id, &write.version, &fields).await?;
            if let Some(details) = &write.details {
                details::write_details(&mut *conn, id, details).await?;
            }
            id
        }
        Some(at) => {
            // An existing version keeps its origin and details (and its metadata unless replaced).
            let mut qb = writes::publish_update::<Sqlite>(write);
            at.push_guard(&mut qb);
            run_guarded(&mut *conn, qb).await?;
            if write.replace_metadata {
                if let Some(details) = &write.details {
                    details::write_details(&mut *conn, at.version_id, details).await?;
                }
            }
            at.version_id
        }
    };
    if let Some(asset) = &write.asset {
        if let Some(generation) = write.asset_lease {
            blobs::check_lease(&mut *conn, domain_id, &asset.sha256, generation).await?;
        }
        insert_asset(&mut *conn, version_id, domain_id, asset)
            .await
            .map_err(unique_as(StoreError::PreconditionFailed))?;
    }
    for tag in &write.dist_tags {
        details::write_dist_tag(&mut *conn, package_id, tag, &write.version).await?;
    }
    load_version(conn, version_id).await
}

impl SqliteStore {
    pub(crate) async fn version(
        &self,
        package_id: i64,
        version: &str,
    ) -> StoreResult<Option<VersionRow>> {
        fetch_optional(
            &mut reads::version::<Sqlite>(package_id, version),
            &self.reader,
            version_row,
        )
        .await
    }

    pub(crate) async fn versions(
        &self,
        package_id: i64,
        filter: &VersionFilter,
        order: &VersionOrder,
        limit: u32,
    ) -> StoreResult<Vec<VersionRow>> {
        let mut query = reads::versions_page::<Sqlite>(package_id, filter, order, limit);
        fetch_all(&mut query, &self.reader, version_row).await
    }

    pub(crate) async fn latest_published(&self, package_id: i64) -> StoreResult<Option<String>> {
        reads::latest_published::<Sqlite>(package_id)
            .build_query_scalar()
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)
    }

    /// Assets of a version by name, after `after`, at most `limit` (all when `None`).
    pub(crate) async fn assets(
        &self,
        version_id: i64,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<AssetRow>> {
        fetch_all(
            &mut reads::assets_page::<Sqlite>(version_id, after, limit),
            &self.reader,
            asset_row,
        )
        .await
    }

    pub(crate) async fn asset(&self, version_id: i64, name: &str) -> StoreResult<Option<AssetRow>> {
        fetch_optional(
            &mut reads::asset::<Sqlite>(version_id, name),
            &self.reader,
            asset_row,
        )
        .await
    }

    /// Publishes through the group commit ([`crate::group_commit`]): this write shares its
    /// transaction and fsync with the publishes that arrive while the previous batch commits.
    pub(crate) async fn publish(&self, write: &PublishWrite) -> StoreResult<VersionRow> {
        let write = write.clone();
        self.grouped_write(Box::new(move |conn| {
            Box::pin(async move { publish_in(conn, &write).await })
        }))
        .await
    }

    pub(crate) async fn change_versions(&self, changes: &[VersionChange]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for change in changes {
            // Any failure returns early; dropping the transaction rolls back the earlier changes.
            check_expected(&mut tx, change).await?;
            for mut statement in writes::version_change::<Sqlite>(change) {
                statement.build().execute(&mut *tx).await.map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)
    }

    pub(crate) async fn copy(&self, write: &CopyWrite) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let PackageTarget {
            package_id,
            domain_id,
        } = ensure_package(
            &mut tx,
            write.repository_id,
            &write.package,
            write.new_package_origin,
        )
        .await?;
        // Before any write: the source assets may have been deleted since the copy was decided.
        for asset in write.versions.iter().flat_map(|v| &v.assets) {
            blobs::check_referenced(&mut tx, domain_id, &asset.sha256).await?;
        }
        for copied in &write.versions {
            let fields = VersionFields::from(copied);
            let version_id = match At::of(&copied.expect, package_id, &copied.version) {
                None => insert_version(&mut tx, package_id, &copied.version, &fields).await?,
                Some(at) => {
                    // Overwrite: the destination version becomes the copied one entirely.
                    let mut qb = fields.overwrite::<Sqlite>();
                    at.push_guard(&mut qb);
                    run_guarded(&mut tx, qb).await?;
                    delete_assets(&mut tx, at.version_id).await?;
                    at.version_id
                }
            };
            for asset in &copied.assets {
                insert_asset(&mut tx, version_id, domain_id, asset)
                    .await
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            StoreError::Conflict(format!(
                                "asset {:?} appears twice in copied version {:?}",
                                asset.name, copied.version
                            ))
                        } else {
                            backend(e)
                        }
                    })?;
            }
            details::write_details(&mut tx, version_id, &copied.details).await?;
        }
        for (tag, version) in &write.dist_tags {
            details::write_dist_tag(&mut tx, package_id, tag, version).await?;
        }
        tx.commit().await.map_err(backend)
    }
}
