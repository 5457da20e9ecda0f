//! Running a built statement and decoding its rows, on any backend and executor (pool, connection,
//! transaction). The builder is borrowed for as long as its arguments (`&'q mut QueryBuilder<'q,
//! _>`): some backends' arguments only convert for exactly their own lifetime.

use arca_metadata::StoreResult;
use sqlx::{Database, Executor, IntoArguments, QueryBuilder};

use crate::errors::backend;

/// Runs `qb` and decodes its row, if any.
pub async fn fetch_optional<'q, 'c, DB, E, T>(
    qb: &'q mut QueryBuilder<'q, DB>,
    executor: E,
    decode: impl Fn(&DB::Row) -> StoreResult<T>,
) -> StoreResult<Option<T>>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    E: Executor<'c, Database = DB>,
{
    qb.build()
        .fetch_optional(executor)
        .await
        .map_err(backend)?
        .as_ref()
        .map(decode)
        .transpose()
}

/// Runs `qb` and decodes every row.
pub async fn fetch_all<'q, 'c, DB, E, T>(
    qb: &'q mut QueryBuilder<'q, DB>,
    executor: E,
    decode: impl Fn(&DB::Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    E: Executor<'c, Database = DB>,
{
    let rows = qb.build().fetch_all(executor).await.map_err(backend)?;
    rows.iter().map(decode).collect()
}
