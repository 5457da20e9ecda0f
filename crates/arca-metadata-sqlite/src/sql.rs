//! Helpers shared by the store modules: error mapping, decoding of stored rows and enumerations,
//! the read statements, version writes and their guard. They are common to the SQL backends and
//! live in `arca-metadata-sql`; this module re-exports them under the names the store modules use.

pub(crate) use arca_metadata_sql::{
    asset_row, backend, domain_row, fetch_all, fetch_optional, is_foreign_key_violation,
    is_unique_violation, package_row, reads, repository_row, unique_as, version_lookup_row,
    version_row, writes, At, VersionFields, DOMAIN_COLUMNS,
};
