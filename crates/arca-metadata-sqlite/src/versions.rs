//! Package versions and their assets: reads, and the compare-and-set writes (publish, status
//! changes, copy).

use arca_metadata::{
    AssetRow, CopyWrite, PublishWrite, StoreError, StoreResult, VersionChange, VersionFilter,
    VersionOrder, VersionRow,
};
use arca_metadata_sql::audit;
use rusqlite::Connection;

use crate::blobs;
use crate::details;
use crate::packages::{ensure_package, PackageTarget};
use crate::sql::{
    asset_row, backend, execute, fetch_all, fetch_classified, fetch_optional, is_unique_violation,
    reads, unique_as, version_row, writes, At, Stmt, VersionFields,
};
use crate::SqliteStore;

/// Inserts a new version; a unique violation means it already exists (the caller expected it
/// absent).
fn insert_version(
    conn: &Connection,
    package_id: i64,
    version: &str,
    fields: &VersionFields<'_>,
) -> StoreResult<i64> {
    fetch_classified(
        conn,
        &fields.insert(package_id, version),
        unique_as(StoreError::PreconditionFailed),
        |r| r.int("id"),
    )?
    .ok_or(StoreError::NotFound)
}

/// Runs a guarded update: exactly one row must match, else the expectation did not hold.
fn run_guarded(conn: &Connection, qb: &Stmt) -> StoreResult<()> {
    if execute(conn, qb).map_err(backend)? == 1 {
        Ok(())
    } else {
        Err(StoreError::PreconditionFailed)
    }
}

fn insert_asset(
    conn: &Connection,
    version_id: i64,
    domain_id: i64,
    asset: &AssetRow,
) -> rusqlite::Result<()> {
    execute(conn, &writes::insert_asset(version_id, domain_id, asset)).map(drop)
}

fn load_version(conn: &Connection, version_id: i64) -> StoreResult<VersionRow> {
    fetch_optional(conn, &reads::version_by_id(version_id), version_row)?
        .ok_or(StoreError::NotFound)
}

/// Fails with `PreconditionFailed` unless version `id` has exactly this status and revision.
fn check_expected(conn: &Connection, change: &VersionChange) -> StoreResult<()> {
    let found = fetch_optional(conn, &writes::expected_version(change), |r| r.int("id"))?;
    found.map(|_| ()).ok_or(StoreError::PreconditionFailed)
}

/// The writes of one publish, on a connection already inside a write transaction (or savepoint):
/// any error leaves partial writes for the caller to roll back.
fn publish_in(conn: &Connection, write: &PublishWrite) -> StoreResult<VersionRow> {
    let PackageTarget {
        package_id,
        domain_id,
    } = ensure_package(
        conn,
        write.repository_id,
        &write.package,
        write.new_package_origin,
    )?;
    let version_id = match At::of(&write.expect, package_id, &write.version) {
        None => {
            let id = insert_version(conn, package_id, &write.version, &write.into())?;
            if let Some(details) = &write.details {
                details::write_details(conn, id, details)?;
            }
            id
        }
        Some(at) => {
            // An existing version keeps its origin and details (and its metadata unless replaced).
            let mut qb = writes::publish_update(write);
            at.push_guard(&mut qb);
            run_guarded(conn, &qb)?;
            if write.replace_metadata {
                if let Some(details) = &write.details {
                    details::write_details(conn, at.version_id, details)?;
                }
            }
            at.version_id
        }
    };
    if let Some(asset) = &write.asset {
        if let Some(generation) = write.asset_lease {
            blobs::check_lease(conn, domain_id, &asset.sha256, generation)?;
        }
        insert_asset(conn, version_id, domain_id, asset)
            .map_err(unique_as(StoreError::PreconditionFailed))?;
    }
    for tag in &write.dist_tags {
        details::write_dist_tag(conn, package_id, tag, &write.version)?;
    }
    // The publish's audit record commits with it (in the group commit: no fsync of its own).
    if let Some(record) = &write.audit {
        execute(conn, &audit::insert_audit(std::slice::from_ref(record))).map_err(backend)?;
    }
    load_version(conn, version_id)
}

/// The writes of one copy, inside its write transaction.
fn copy_in(tx: &Connection, write: &CopyWrite) -> StoreResult<()> {
    let PackageTarget {
        package_id,
        domain_id,
    } = ensure_package(
        tx,
        write.repository_id,
        &write.package,
        write.new_package_origin,
    )?;
    // Before any write: the source assets may have been deleted since the copy was decided.
    for asset in write.versions.iter().flat_map(|v| &v.assets) {
        blobs::check_referenced(tx, domain_id, &asset.sha256)?;
    }
    for copied in &write.versions {
        let fields = VersionFields::from(copied);
        let version_id = match At::of(&copied.expect, package_id, &copied.version) {
            None => insert_version(tx, package_id, &copied.version, &fields)?,
            Some(at) => {
                // Overwrite: the destination version becomes the copied one entirely.
                let mut qb = fields.overwrite();
                at.push_guard(&mut qb);
                run_guarded(tx, &qb)?;
                execute(tx, &writes::delete_assets(at.version_id)).map_err(backend)?;
                at.version_id
            }
        };
        for asset in &copied.assets {
            insert_asset(tx, version_id, domain_id, asset).map_err(|e| {
                if is_unique_violation(&e) {
                    writes::duplicate_copied_asset(&asset.name, &copied.version)
                } else {
                    backend(e)
                }
            })?;
        }
        details::write_details(tx, version_id, &copied.details)?;
    }
    for (tag, version) in &write.dist_tags {
        details::write_dist_tag(tx, package_id, tag, version)?;
    }
    Ok(())
}

impl SqliteStore {
    pub(crate) fn version(
        &self,
        package_id: i64,
        version: &str,
    ) -> StoreResult<Option<VersionRow>> {
        self.read(|c| fetch_optional(c, &reads::version(package_id, version), version_row))
    }

    pub(crate) fn versions(
        &self,
        package_id: i64,
        filter: &VersionFilter,
        order: &VersionOrder,
        limit: u32,
    ) -> StoreResult<Vec<VersionRow>> {
        let query = reads::versions_page(package_id, filter, order, limit);
        self.read(|c| fetch_all(c, &query, version_row))
    }

    pub(crate) fn latest_published(&self, package_id: i64) -> StoreResult<Option<String>> {
        self.read(|c| {
            fetch_optional(c, &reads::latest_published(package_id), |r| {
                r.text("version")
            })
        })
    }

    /// Assets of a version by name, after `after`, at most `limit` (all when `None`).
    pub(crate) fn assets(
        &self,
        version_id: i64,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<AssetRow>> {
        let query = reads::assets_page(version_id, after, limit);
        self.read(|c| fetch_all(c, &query, asset_row))
    }

    pub(crate) fn asset(&self, version_id: i64, name: &str) -> StoreResult<Option<AssetRow>> {
        self.read(|c| fetch_optional(c, &reads::asset(version_id, name), asset_row))
    }

    /// Publishes through the group commit ([`crate::writer`]): this write shares its transaction
    /// and fsync with the publishes that arrive while the previous batch commits.
    pub(crate) async fn publish(&self, write: &PublishWrite) -> StoreResult<VersionRow> {
        let write = write.clone();
        self.inner
            .writer
            .grouped(Box::new(move |conn| publish_in(conn, &write)))
            .await
    }

    pub(crate) async fn change_versions(&self, changes: &[VersionChange]) -> StoreResult<()> {
        let changes = changes.to_vec();
        self.write(move |tx| {
            for change in &changes {
                // Any failure returns early; the transaction rolls back the earlier changes.
                check_expected(tx, change)?;
                for statement in writes::version_change(change) {
                    execute(tx, &statement).map_err(backend)?;
                }
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn copy(&self, write: &CopyWrite) -> StoreResult<()> {
        let write = write.clone();
        self.write(move |tx| copy_in(tx, &write)).await
    }
}
