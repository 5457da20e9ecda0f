//! Helpers shared by the store modules: error mapping, decoding of stored rows and enumerations,
//! the read statements, version writes and their guard, and running them with rusqlite. They are
//! common to the SQL backends and live in `arca-metadata-sql`; this module re-exports them under
//! the names the store modules use.

use arca_metadata::StoreResult;
pub(crate) use arca_metadata_sql::sqlite::{execute, fetch_all, fetch_classified, fetch_optional};
pub(crate) use arca_metadata_sql::{
    asset_row, backend, creation_failed, domain_row, is_unique_violation, missing_as_not_found,
    package_row, reads, repository_row, unique_as, version_lookup_row, version_row, writes, At,
    Columns, Stmt, VersionFields, DOMAIN_COLUMNS,
};
use rusqlite::{Connection, OptionalExtension, Params};

/// The first column of the first row of `sql`, if any (a plain SQLite statement of this backend).
pub(crate) fn scalar<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> StoreResult<Option<T>> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_row(params, |r| r.get(0)).optional())
        .map_err(backend)
}

/// Runs a plain SQLite statement of this backend; returns the rows it changed.
pub(crate) fn run(conn: &Connection, sql: &str, params: impl Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}
