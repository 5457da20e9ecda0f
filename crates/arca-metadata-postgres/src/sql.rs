//! Helpers of the store modules: the ones every SQL backend shares (re-exported from
//! `arca-metadata-sql`), and the classification of PostgreSQL's transient failures.

use arca_metadata::StoreError;
pub(crate) use arca_metadata_sql::postgres::{execute, fetch_all, fetch_one, fetch_optional};
pub(crate) use arca_metadata_sql::{
    asset_row, backend, creation_failed, domain_row, is_foreign_key_violation, is_unique_violation,
    missing_as_not_found, package_row, reads, repository_row, unique_as, version_lookup_row,
    version_row, writes, At, Columns, Stmt, VersionFields, DOMAIN_COLUMNS,
};

/// `serialization_failure`: the transaction was rolled back; running it again may succeed.
const SERIALIZATION_FAILURE: &str = "40001";
/// `deadlock_detected`: this transaction was chosen as the victim and rolled back.
const DEADLOCK_DETECTED: &str = "40P01";

/// Whether `e` is a PostgreSQL failure after which the whole transaction can simply run again.
pub(crate) fn is_transient(e: &StoreError) -> bool {
    let StoreError::Backend(source) = e else {
        return false;
    };
    source
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|d| d.code())
        .is_some_and(|code| code == SERIALIZATION_FAILURE || code == DEADLOCK_DETECTED)
}
