//! Running a [`Stmt`] with rusqlite on SQLite (`?` placeholders, cached prepared statements) on
//! a connection or transaction, and reading its rows through [`Columns`].

use arca_metadata::{StoreError, StoreResult};
use rusqlite::types::{FromSqlError, ToSqlOutput, ValueRef};
use rusqlite::{ffi, Connection, Row, ToSql};

use crate::errors::{backend, DbError};
use crate::rows::Columns;
use crate::stmt::{Stmt, Value};

fn extended_code(e: &rusqlite::Error) -> Option<std::ffi::c_int> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code),
        _ => None,
    }
}

impl DbError for rusqlite::Error {
    fn is_unique_violation(&self) -> bool {
        matches!(
            extended_code(self),
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
        )
    }
    fn is_foreign_key_violation(&self) -> bool {
        extended_code(self) == Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
    }
}

impl Columns for Row<'_> {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.get(column).map_err(backend)
    }
    fn text_opt(&self, column: &str) -> StoreResult<Option<String>> {
        self.get(column).map_err(backend)
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.get(column).map_err(backend)
    }
    fn int_opt(&self, column: &str) -> StoreResult<Option<i64>> {
        self.get(column).map_err(backend)
    }
    fn text_at(&self, index: usize) -> StoreResult<String> {
        self.get(index).map_err(backend)
    }
    fn text_opt_at(&self, index: usize) -> StoreResult<Option<String>> {
        self.get(index).map_err(backend)
    }
    fn int_at(&self, index: usize) -> StoreResult<i64> {
        self.get(index).map_err(backend)
    }
    fn int_opt_at(&self, index: usize) -> StoreResult<Option<i64>> {
        self.get(index).map_err(backend)
    }
    fn str_at(&self, index: usize) -> StoreResult<&str> {
        // The errors of `get::<String>`.
        let value = self.get_ref(index).map_err(backend)?;
        value.as_str().map_err(|e| {
            backend(match e {
                FromSqlError::InvalidType => rusqlite::Error::InvalidColumnType(
                    index,
                    self.as_ref().column_name(index).unwrap_or("?").to_owned(),
                    value.data_type(),
                ),
                other => rusqlite::Error::FromSqlConversionFailure(
                    index,
                    value.data_type(),
                    Box::new(other),
                ),
            })
        })
    }
    fn name_at(&self, index: usize) -> Option<&str> {
        self.as_ref().column_name(index).ok()
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Bytes(v) => ValueRef::Blob(v),
        }))
    }
}

/// Runs `stmt` (prepared once per connection and cached) and decodes its first row, if any. Rows
/// are decoded as `&dyn Columns`, like PostgreSQL's: the shared `*_row` decoders serve both.
pub fn fetch_optional<T>(
    conn: &Connection,
    stmt: &Stmt,
    decode: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    fetch_classified(conn, stmt, backend, decode)
}

/// [`fetch_optional`] with the driver's errors mapped by `classify` (a write whose constraint
/// failure means something to the caller, e.g. an `INSERT … RETURNING` of an existing key).
pub fn fetch_classified<T>(
    conn: &Connection,
    stmt: &Stmt,
    classify: impl FnOnce(rusqlite::Error) -> StoreError,
    decode: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let row = conn.prepare_cached(stmt.sql()).and_then(|mut prepared| {
        let mut rows = prepared.query(rusqlite::params_from_iter(stmt.binds()))?;
        Ok(rows.next()?.map(|row| decode(row)))
    });
    row.map_err(classify)?.transpose()
}

/// Runs `stmt` and decodes every row.
pub fn fetch_all<T>(
    conn: &Connection,
    stmt: &Stmt,
    decode: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut prepared = conn.prepare_cached(stmt.sql()).map_err(backend)?;
    let mut rows = prepared
        .query(rusqlite::params_from_iter(stmt.binds()))
        .map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// Runs `stmt` and returns how many rows it changed (the driver's error is kept for the caller
/// to classify).
pub fn execute(conn: &Connection, stmt: &Stmt) -> rusqlite::Result<usize> {
    conn.prepare_cached(stmt.sql())?
        .execute(rusqlite::params_from_iter(stmt.binds()))
}
