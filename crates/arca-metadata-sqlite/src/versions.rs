//! Package versions and their assets: reads, and the compare-and-set writes (publish, status
//! changes, copy).

use arca_metadata::{
    AssetRow, CopyWrite, PublishWrite, StoreError, StoreResult, VersionAction, VersionChange,
    VersionFilter, VersionOrder, VersionRow, VersionStatus,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::packages::{ensure_package, PackageTarget};
use crate::sql::{
    asset_row, backend, is_unique_violation, sql_limit, unique_as, version_row, At, VersionFields,
    ASSET_COLUMNS, VERSION_COLUMNS,
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
    sqlx::query(
        "INSERT INTO assets (version_id, name, domain_id, size, md5, sha1, sha256, sha512) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(version_id)
    .bind(&asset.name)
    .bind(domain_id)
    .bind(asset.size)
    .bind(&asset.md5)
    .bind(&asset.sha1)
    .bind(&asset.sha256)
    .bind(&asset.sha512)
    .execute(conn)
    .await?;
    Ok(())
}

async fn delete_assets(conn: &mut SqliteConnection, version_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM assets WHERE version_id = ?")
        .bind(version_id)
        .execute(conn)
        .await
        .map_err(backend)?;
    Ok(())
}

async fn load_version(conn: &mut SqliteConnection, version_id: i64) -> StoreResult<VersionRow> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM package_versions WHERE id = ?"
    ))
    .bind(version_id)
    .fetch_one(conn)
    .await
    .map_err(backend)?;
    version_row(&row)
}

/// Fails with `PreconditionFailed` unless version `id` has exactly this status and revision.
async fn check_expected(conn: &mut SqliteConnection, change: &VersionChange) -> StoreResult<()> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM package_versions WHERE id = ? AND status = ? AND revision = ?",
    )
    .bind(change.version_id)
    .bind(change.expect_status.as_str())
    .bind(&change.expect_revision)
    .fetch_optional(conn)
    .await
    .map_err(backend)?;
    found.map(|_| ()).ok_or(StoreError::PreconditionFailed)
}

impl SqliteStore {
    pub(crate) async fn version(
        &self,
        package_id: i64,
        version: &str,
    ) -> StoreResult<Option<VersionRow>> {
        sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM package_versions WHERE package_id = ? AND version = ?"
        ))
        .bind(package_id)
        .bind(version)
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)?
        .as_ref()
        .map(version_row)
        .transpose()
    }

    pub(crate) async fn versions(
        &self,
        package_id: i64,
        filter: &VersionFilter,
        order: &VersionOrder,
        limit: u32,
    ) -> StoreResult<Vec<VersionRow>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {VERSION_COLUMNS} FROM package_versions WHERE package_id = "
        ));
        qb.push_bind(package_id);
        if let Some(status) = filter.status {
            qb.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(origin_type) = filter.origin_type {
            qb.push(" AND origin_type = ")
                .push_bind(origin_type.as_str());
        }
        match order {
            VersionOrder::Version { after } => {
                if let Some(after) = after {
                    qb.push(" AND version > ").push_bind(after.clone());
                }
                qb.push(" ORDER BY version");
            }
            VersionOrder::PublishedTimeDesc { after } => {
                // Newest first; equal times by version ascending. The cursor continues strictly
                // after (published_ms, version) in that order. No row-value comparison here: the
                // two columns go in opposite directions.
                if let Some((ms, version)) = after {
                    qb.push(" AND (published_ms < ")
                        .push_bind(*ms)
                        .push(" OR (published_ms = ")
                        .push_bind(*ms)
                        .push(" AND version > ")
                        .push_bind(version.clone())
                        .push("))");
                }
                qb.push(" ORDER BY published_ms DESC, version");
            }
        }
        qb.push(" LIMIT ").push_bind(sql_limit(limit));
        let rows = qb.build().fetch_all(&self.reader).await.map_err(backend)?;
        rows.iter().map(version_row).collect()
    }

    pub(crate) async fn latest_published(&self, package_id: i64) -> StoreResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT version FROM package_versions WHERE package_id = ? AND status = ? \
             ORDER BY published_ms DESC, version DESC LIMIT 1",
        )
        .bind(package_id)
        .bind(VersionStatus::Published.as_str())
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
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE version_id = "
        ));
        qb.push_bind(version_id);
        if let Some(after) = after {
            qb.push(" AND name > ").push_bind(after);
        }
        qb.push(" ORDER BY name");
        if let Some(limit) = limit {
            qb.push(" LIMIT ").push_bind(sql_limit(limit));
        }
        let rows = qb.build().fetch_all(&self.reader).await.map_err(backend)?;
        rows.iter().map(asset_row).collect()
    }

    pub(crate) async fn asset(&self, version_id: i64, name: &str) -> StoreResult<Option<AssetRow>> {
        sqlx::query(&format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE version_id = ? AND name = ?"
        ))
        .bind(version_id)
        .bind(name)
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)?
        .as_ref()
        .map(asset_row)
        .transpose()
    }

    pub(crate) async fn publish(&self, write: &PublishWrite) -> StoreResult<VersionRow> {
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
        let version_id = match At::of(&write.expect, package_id, &write.version) {
            None => {
                let fields = VersionFields {
                    status: write.status,
                    revision: &write.revision,
                    published_ms: write.published_ms,
                    origin: &write.origin,
                    metadata: &write.metadata,
                };
                insert_version(&mut tx, package_id, &write.version, &fields).await?
            }
            Some(at) => {
                // An existing version keeps its origin and manifest metadata.
                let mut qb = QueryBuilder::<Sqlite>::new("UPDATE package_versions SET status = ");
                qb.push_bind(write.status.as_str())
                    .push(", revision = ")
                    .push_bind(write.revision.as_str())
                    .push(", published_ms = ")
                    .push_bind(write.published_ms);
                at.push_guard(&mut qb);
                run_guarded(&mut tx, qb).await?;
                at.version_id
            }
        };
        if let Some(asset) = &write.asset {
            insert_asset(&mut tx, version_id, domain_id, asset)
                .await
                .map_err(unique_as(StoreError::PreconditionFailed))?;
        }
        let row = load_version(&mut tx, version_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(row)
    }

    pub(crate) async fn change_versions(&self, changes: &[VersionChange]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for change in changes {
            // Any failure returns early; dropping the transaction rolls back the earlier changes.
            check_expected(&mut tx, change).await?;
            match &change.action {
                VersionAction::SetStatus {
                    status,
                    published_ms,
                } => {
                    sqlx::query(
                        "UPDATE package_versions SET status = ?, published_ms = ? WHERE id = ?",
                    )
                    .bind(status.as_str())
                    .bind(*published_ms)
                    .bind(change.version_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                VersionAction::Dispose { revision } => {
                    delete_assets(&mut tx, change.version_id).await?;
                    sqlx::query(
                        "UPDATE package_versions SET status = ?, revision = ? WHERE id = ?",
                    )
                    .bind(VersionStatus::Disposed.as_str())
                    .bind(revision)
                    .bind(change.version_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                VersionAction::Delete => {
                    delete_assets(&mut tx, change.version_id).await?;
                    sqlx::query("DELETE FROM package_versions WHERE id = ?")
                        .bind(change.version_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
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
        }
        tx.commit().await.map_err(backend)
    }
}
