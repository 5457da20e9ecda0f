//! The compare-and-set writes of versions and their assets (publish, status changes, copy), with
//! the version locks every writer takes in the same order. (Reads are in [`crate::packages`].)

use arca_metadata::{
    AssetRow, CopyWrite, PublishWrite, StoreError, StoreResult, VersionChange, VersionExpectation,
    VersionRow,
};
use arca_metadata_sql::audit;
use sqlx::{PgConnection, Postgres};

use crate::blobs;
use crate::details;
use crate::packages::{ensure_package, PackageTarget};
use crate::sql::{
    backend, execute, fetch_one, fetch_optional, is_unique_violation, reads, unique_as,
    version_row, writes, At, Columns, Stmt, VersionFields,
};
use crate::PostgresStore;

/// Locks (`FOR UPDATE`) the version rows selected by `statement` (`SELECT id FROM
/// package_versions WHERE … ORDER BY id FOR UPDATE`, one parameter), by ascending id: the order
/// every writer locks versions in, so that two of them never wait for each other in a cycle.
async fn lock_versions_by<T>(
    conn: &mut PgConnection,
    statement: &'static str,
    param: T,
) -> StoreResult<()>
where
    T: 'static + for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send,
{
    sqlx::query(statement)
        .bind(param)
        .execute(conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Locks these versions (those that exist).
async fn lock_versions(conn: &mut PgConnection, mut ids: Vec<i64>) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    lock_versions_by(
        conn,
        "SELECT id FROM package_versions WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        ids,
    )
    .await
}

/// Locks every version of a package (its row is locked already).
pub(crate) async fn lock_package_versions(
    conn: &mut PgConnection,
    package_id: i64,
) -> StoreResult<()> {
    lock_versions_by(
        conn,
        "SELECT id FROM package_versions WHERE package_id = $1 ORDER BY id FOR UPDATE",
        package_id,
    )
    .await
}

/// Locks every version of a repository (its row and its packages are locked already).
pub(crate) async fn lock_repository_versions(
    conn: &mut PgConnection,
    repository_id: i64,
) -> StoreResult<()> {
    lock_versions_by(
        conn,
        "SELECT id FROM package_versions \
         WHERE package_id IN (SELECT id FROM packages WHERE repository_id = $1) \
         ORDER BY id FOR UPDATE",
        repository_id,
    )
    .await
}

/// Inserts a new version. A unique violation means it exists (the caller expected it absent); a
/// concurrent creator of the same version makes this insert wait for its outcome first.
async fn insert_version(
    conn: &mut PgConnection,
    package_id: i64,
    version: &str,
    fields: &VersionFields<'_>,
) -> StoreResult<i64> {
    fetch_one(&fields.insert(package_id, version), conn)
        .await
        .map_err(unique_as(StoreError::PreconditionFailed))?
        .int("id")
}

/// Runs a guarded update: exactly one row must match, else the expectation did not hold. Under
/// READ COMMITTED an update that waited for a concurrent writer re-checks its guard against the
/// row that writer committed.
async fn run_guarded(conn: &mut PgConnection, qb: Stmt) -> StoreResult<()> {
    let touched = execute(&qb, conn).await.map_err(backend)?;
    if touched == 1 {
        Ok(())
    } else {
        Err(StoreError::PreconditionFailed)
    }
}

async fn insert_asset(
    conn: &mut PgConnection,
    version_id: i64,
    domain_id: i64,
    asset: &AssetRow,
) -> Result<(), sqlx::Error> {
    execute(&writes::insert_asset(version_id, domain_id, asset), conn).await?;
    Ok(())
}

async fn delete_assets(conn: &mut PgConnection, version_id: i64) -> StoreResult<()> {
    execute(&writes::delete_assets(version_id), conn)
        .await
        .map_err(backend)?;
    Ok(())
}

async fn load_version(conn: &mut PgConnection, version_id: i64) -> StoreResult<VersionRow> {
    fetch_optional(&reads::version_by_id(version_id), conn, version_row)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Fails with `PreconditionFailed` unless version `id` has exactly this status and revision. The
/// caller holds the row lock.
async fn check_expected(conn: &mut PgConnection, change: &VersionChange) -> StoreResult<()> {
    let found = fetch_optional(&writes::expected_version(change), conn, |r| r.int("id")).await?;
    found.map(|_| ()).ok_or(StoreError::PreconditionFailed)
}

/// The ids of the existing versions a batch of expectations refers to.
fn expected_ids<'a>(expectations: impl Iterator<Item = &'a VersionExpectation>) -> Vec<i64> {
    expectations
        .filter_map(|e| match e {
            VersionExpectation::Absent => None,
            VersionExpectation::At { version_id, .. } => Some(*version_id),
        })
        .collect()
}

impl PostgresStore {
    pub(crate) async fn publish_once(&self, write: &PublishWrite) -> StoreResult<VersionRow> {
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
                let fields = VersionFields::from(write);
                let id = insert_version(&mut tx, package_id, &write.version, &fields).await?;
                if let Some(details) = &write.details {
                    details::write_details(&mut tx, id, details).await?;
                }
                id
            }
            Some(at) => {
                // An existing version keeps its origin and details (and its metadata unless
                // replaced).
                let mut qb = writes::publish_update(write);
                at.push_guard(&mut qb);
                run_guarded(&mut tx, qb).await?;
                if write.replace_metadata {
                    if let Some(details) = &write.details {
                        details::write_details(&mut tx, at.version_id, details).await?;
                    }
                }
                at.version_id
            }
        };
        if let Some(asset) = &write.asset {
            if let Some(generation) = write.asset_lease {
                blobs::check_lease(&mut tx, domain_id, &asset.sha256, generation).await?;
            }
            insert_asset(&mut tx, version_id, domain_id, asset)
                .await
                .map_err(unique_as(StoreError::PreconditionFailed))?;
        }
        for tag in &write.dist_tags {
            details::write_dist_tag(&mut tx, package_id, tag, &write.version).await?;
        }
        // The publish's audit record commits with it.
        if let Some(record) = &write.audit {
            execute(&audit::insert_audit(std::slice::from_ref(record)), &mut *tx)
                .await
                .map_err(backend)?;
        }
        let row = load_version(&mut tx, version_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(row)
    }

    pub(crate) async fn change_versions_once(&self, changes: &[VersionChange]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        lock_versions(&mut tx, changes.iter().map(|c| c.version_id).collect()).await?;
        for change in changes {
            // Any failure returns early; dropping the transaction rolls back the earlier changes.
            check_expected(&mut tx, change).await?;
            for statement in writes::version_change(change) {
                execute(&statement, &mut *tx).await.map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)
    }

    pub(crate) async fn copy_once(&self, write: &CopyWrite) -> StoreResult<()> {
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
        lock_versions(
            &mut tx,
            expected_ids(write.versions.iter().map(|v| &v.expect)),
        )
        .await?;
        // Before any write: the source assets may have been deleted since the copy was decided.
        let mut shas: Vec<&str> = write
            .versions
            .iter()
            .flat_map(|v| &v.assets)
            .map(|a| a.sha256.as_str())
            .collect();
        shas.sort_unstable();
        shas.dedup();
        for sha in shas {
            blobs::check_referenced(&mut tx, domain_id, sha).await?;
        }
        for copied in &write.versions {
            let fields = VersionFields::from(copied);
            let version_id = match At::of(&copied.expect, package_id, &copied.version) {
                None => insert_version(&mut tx, package_id, &copied.version, &fields).await?,
                Some(at) => {
                    // Overwrite: the destination version becomes the copied one entirely.
                    let mut qb = fields.overwrite();
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
                            writes::duplicate_copied_asset(&asset.name, &copied.version)
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
