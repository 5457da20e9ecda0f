//! What the SQL metadata backends (`arca-metadata-sqlite`, `arca-metadata-postgres`) share: the
//! column lists and decoding of rows, the read statements ([`reads`]: lookups and keyset-paginated
//! listings in their documented orders), error classification, byte-order prefix ranges, and the
//! statements and compare-and-set guard of version writes.
//!
//! Everything here is generic over sqlx's [`sqlx::Database`] / [`sqlx::Row`] and works for any
//! backend whose schema follows the shared conventions (see the backends' `migrations/`): the same
//! table and column names, ids and timestamps as 64-bit integers, enumerations as their `as_str()`
//! text. Statements, transactions and locking stay in each backend, where they differ.

pub mod details;
mod errors;
mod fetch;
mod ranges;
pub mod reads;
mod rows;
pub mod writes;

pub use errors::{
    backend, decode_enum, is_foreign_key_violation, is_invalid_text, is_unique_violation,
    unique_as, CorruptValue,
};
pub use fetch::{fetch_all, fetch_optional};
pub use ranges::{prefix_upper_bound, push_prefix_filter, sql_limit};
pub use rows::{
    aliased, asset_row, domain_row, package_row, repository_row, version_lookup_row, version_row,
    Columns, Prefixed, ASSET_COLUMNS, DOMAIN_COLUMNS, PACKAGE_COLUMNS, REPOSITORY_SELECT,
    VERSION_COLUMNS,
};
pub use writes::{At, VersionFields};
