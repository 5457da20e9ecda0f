//! What the SQL metadata backends (`arca-metadata-sqlite`, `arca-metadata-postgres`) share: the
//! column lists and decoding of rows, the read statements ([`reads`]: lookups and keyset-paginated
//! listings in their documented orders), error classification, byte-order prefix ranges, and the
//! statements and compare-and-set guard of version writes.
//!
//! Everything here is free of any driver: statements are [`Stmt`]s (SQL text with `?`
//! placeholders and their [`Value`]s, rendered as `$n` for PostgreSQL), rows are read through
//! [`Columns`], errors classified through [`DbError`]. The feature `sqlite` implements these for
//! rusqlite and adds its runners ([`sqlite`]); the feature `postgres` does the same for sqlx
//! ([`postgres`]). They work for any backend whose schema follows the shared conventions (see the
//! backends' `migrations/`): the same table and column names, ids and timestamps as 64-bit
//! integers, enumerations as their `as_str()` text. Transactions and locking stay in each
//! backend, where they differ.

pub mod access;
pub mod audit;
pub mod details;
mod errors;
pub mod groups;
#[cfg(feature = "postgres")]
pub mod postgres;
mod ranges;
pub mod reads;
mod rows;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod stmt;
pub mod writes;

pub use errors::{
    backend, creation_failed, decode_enum, is_foreign_key_violation, is_unique_violation,
    missing_as_not_found, unique_as, CorruptValue, DbError,
};
pub use ranges::{prefix_upper_bound, push_prefix_filter, sql_limit};
pub use rows::{
    asset_at, asset_row, domain_row, package_row, qualified, repository_row, version_lookup_row,
    version_row, Columns, Cursor, ASSET_COLUMNS, DOMAIN_COLUMNS, PACKAGE_COLUMNS,
    REPOSITORY_COLUMNS, REPOSITORY_SELECT, VERSION_COLUMNS,
};
pub use stmt::{Separated, Stmt, Value};
pub use writes::{At, VersionFields};
