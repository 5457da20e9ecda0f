//! Helpers shared by the store modules: error mapping, decoding of stored rows and enumerations,
//! keyset limits and byte-order prefix ranges. They are common to the SQL backends and live in
//! `arca-metadata-sql`; this module re-exports them under the names the store modules use.

pub(crate) use arca_metadata_sql::{
    asset_row, backend, domain_row, is_foreign_key_violation, is_unique_violation, package_row,
    push_prefix_filter, repository_row, sql_limit, unique_as, version_row, At, VersionFields,
    ASSET_COLUMNS, DOMAIN_COLUMNS, PACKAGE_COLUMNS, REPOSITORY_SELECT, VERSION_COLUMNS,
};
