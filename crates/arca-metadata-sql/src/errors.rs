//! Classification of sqlx errors into [`StoreError`]s, and decoding of stored enumerations.

use arca_metadata::{StoreError, StoreResult};
use sqlx::error::ErrorKind;

/// Any sqlx error as a backend failure, except text the database cannot keep: PostgreSQL refuses
/// U+0000 in a bound parameter (`22021`, also on reads), which is the client's
/// [`StoreError::InvalidText`] like the checks every write makes first.
pub fn backend(e: sqlx::Error) -> StoreError {
    if is_invalid_text(&e) {
        return StoreError::InvalidText("text");
    }
    StoreError::backend(e)
}

/// PostgreSQL `22021` (`character_not_in_repertoire`): a NUL byte in a text parameter.
pub fn is_invalid_text(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "22021")
}

fn kind(e: &sqlx::Error) -> Option<ErrorKind> {
    e.as_database_error().map(|d| d.kind())
}

/// A UNIQUE or PRIMARY KEY constraint failed (SQLite `SQLITE_CONSTRAINT_UNIQUE` / `_PRIMARYKEY`,
/// PostgreSQL `23505`).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    kind(e) == Some(ErrorKind::UniqueViolation)
}

/// A FOREIGN KEY constraint failed (SQLite `SQLITE_CONSTRAINT_FOREIGNKEY`, PostgreSQL `23503`).
pub fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    kind(e) == Some(ErrorKind::ForeignKeyViolation)
}

/// Maps a unique violation to `on_unique`, anything else to a backend error.
pub fn unique_as(on_unique: StoreError) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            on_unique
        } else {
            backend(e)
        }
    }
}

/// A stored value this version of the code cannot interpret.
#[derive(Debug, thiserror::Error)]
#[error("unexpected value {value:?} in column {column}")]
pub struct CorruptValue {
    column: &'static str,
    value: String,
}

/// Parses a stored enumeration, failing as a backend error when the text is unknown.
pub fn decode_enum<T>(
    column: &'static str,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> StoreResult<T> {
    parse(value).ok_or_else(|| {
        StoreError::backend(CorruptValue {
            column,
            value: value.to_owned(),
        })
    })
}
