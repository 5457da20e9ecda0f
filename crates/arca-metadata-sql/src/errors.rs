//! Classification of driver errors into [`StoreError`]s, and decoding of stored enumerations.

use arca_metadata::{StoreError, StoreResult};

/// What the shared code needs to know about a driver's error (implemented for sqlx's errors with
/// the `postgres` feature and rusqlite's with the `sqlite` feature).
pub trait DbError: std::error::Error + Send + Sync + 'static {
    /// A UNIQUE or PRIMARY KEY constraint failed (SQLite `SQLITE_CONSTRAINT_UNIQUE` /
    /// `_PRIMARYKEY`, PostgreSQL `23505`).
    fn is_unique_violation(&self) -> bool;
    /// A FOREIGN KEY constraint failed (SQLite `SQLITE_CONSTRAINT_FOREIGNKEY`, PostgreSQL
    /// `23503`).
    fn is_foreign_key_violation(&self) -> bool;
    /// Text the database cannot keep: PostgreSQL refuses U+0000 in a bound parameter (`22021`,
    /// also on reads). SQLite keeps any text.
    fn is_invalid_text(&self) -> bool {
        false
    }
}

/// Any driver error as a backend failure, except text the database cannot keep, which is the
/// client's [`StoreError::InvalidText`] like the checks every write makes first.
pub fn backend<E: DbError>(e: E) -> StoreError {
    if e.is_invalid_text() {
        return StoreError::InvalidText("text");
    }
    StoreError::backend(e)
}

pub fn is_unique_violation(e: &impl DbError) -> bool {
    e.is_unique_violation()
}

pub fn is_foreign_key_violation(e: &impl DbError) -> bool {
    e.is_foreign_key_violation()
}

/// Maps a unique violation to `on_unique`, anything else to a backend error.
pub fn unique_as<E: DbError>(on_unique: StoreError) -> impl FnOnce(E) -> StoreError {
    move |e| {
        if e.is_unique_violation() {
            on_unique
        } else {
            backend(e)
        }
    }
}

/// A foreign-key violation as `NotFound` (the referenced row does not exist), anything else as a
/// backend error.
pub fn missing_as_not_found<E: DbError>(e: E) -> StoreError {
    if e.is_foreign_key_violation() {
        StoreError::NotFound
    } else {
        backend(e)
    }
}

/// The failure of an insert that creates a child row: a unique violation means it exists
/// (`AlreadyExists`), a foreign-key violation that its parent is gone (`NotFound`).
pub fn creation_failed<E: DbError>(e: E) -> StoreError {
    if e.is_unique_violation() {
        StoreError::AlreadyExists
    } else {
        missing_as_not_found(e)
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
