//! Running a [`Stmt`] with sqlx on PostgreSQL (`$n` placeholders), on any executor (pool,
//! connection, transaction), and reading its rows through [`Columns`].

use arca_metadata::StoreResult;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{Executor, Postgres, Row};

use crate::errors::{backend, DbError};
use crate::rows::Columns;
use crate::stmt::{Stmt, Value};

impl DbError for sqlx::Error {
    fn is_unique_violation(&self) -> bool {
        self.as_database_error()
            .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::UniqueViolation)
    }
    fn is_foreign_key_violation(&self) -> bool {
        self.as_database_error()
            .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
    }
    /// `22021` (`character_not_in_repertoire`): a NUL byte in a text parameter.
    fn is_invalid_text(&self) -> bool {
        self.as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c == "22021")
    }
}

impl Columns for PgRow {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.try_get(column).map_err(backend)
    }
    fn text_opt(&self, column: &str) -> StoreResult<Option<String>> {
        self.try_get(column).map_err(backend)
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.try_get(column).map_err(backend)
    }
    fn int_opt(&self, column: &str) -> StoreResult<Option<i64>> {
        self.try_get(column).map_err(backend)
    }
    fn text_at(&self, index: usize) -> StoreResult<String> {
        self.try_get(index).map_err(backend)
    }
    fn text_opt_at(&self, index: usize) -> StoreResult<Option<String>> {
        self.try_get(index).map_err(backend)
    }
    fn int_at(&self, index: usize) -> StoreResult<i64> {
        self.try_get(index).map_err(backend)
    }
    fn int_opt_at(&self, index: usize) -> StoreResult<Option<i64>> {
        self.try_get(index).map_err(backend)
    }
    fn str_at(&self, index: usize) -> StoreResult<&str> {
        self.try_get(index).map_err(backend)
    }
    fn name_at(&self, index: usize) -> Option<&str> {
        self.columns().get(index).map(sqlx::Column::name)
    }
}

/// The sqlx query of `stmt`, whose SQL rendered with numbered placeholders is `sql`.
pub fn query<'q>(sql: &'q str, stmt: &'q Stmt) -> Query<'q, Postgres, PgArguments> {
    stmt.binds()
        .iter()
        .fold(sqlx::query(sql), |q, value| match value {
            Value::Null => q.bind(None::<&str>),
            Value::Int(v) => q.bind(*v),
            Value::Text(v) => q.bind(v.as_str()),
            Value::Bytes(v) => q.bind(v.as_slice()),
        })
}

/// Runs `stmt` and decodes its row, if any.
pub async fn fetch_optional<'c, T>(
    stmt: &Stmt,
    executor: impl Executor<'c, Database = Postgres>,
    decode: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let sql = stmt.numbered_sql();
    query(&sql, stmt)
        .fetch_optional(executor)
        .await
        .map_err(backend)?
        .as_ref()
        .map(|row| decode(row))
        .transpose()
}

/// Runs `stmt` and decodes every row.
pub async fn fetch_all<'c, T>(
    stmt: &Stmt,
    executor: impl Executor<'c, Database = Postgres>,
    decode: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let sql = stmt.numbered_sql();
    let rows = query(&sql, stmt)
        .fetch_all(executor)
        .await
        .map_err(backend)?;
    rows.iter().map(|row| decode(row)).collect()
}

/// Runs `stmt` and returns its one row (the driver's error is kept for the caller to classify).
pub async fn fetch_one<'c>(
    stmt: &Stmt,
    executor: impl Executor<'c, Database = Postgres>,
) -> Result<PgRow, sqlx::Error> {
    let sql = stmt.numbered_sql();
    query(&sql, stmt).fetch_one(executor).await
}

/// Runs `stmt` and returns how many rows it changed (the driver's error is kept for the caller
/// to classify).
pub async fn execute<'c>(
    stmt: &Stmt,
    executor: impl Executor<'c, Database = Postgres>,
) -> Result<u64, sqlx::Error> {
    let sql = stmt.numbered_sql();
    Ok(query(&sql, stmt).execute(executor).await?.rows_affected())
}
