//! Repositories with their ordered upstream lists.

use std::collections::HashMap;

use arca_metadata::{
    ExternalConnectionChange, NewRepository, RepositoryFilter, RepositoryRow, RepositoryStore,
    StoreError, StoreResult,
};
use async_trait::async_trait;
use rusqlite::Connection;

use crate::sql::{
    backend, creation_failed, execute, fetch_all, fetch_classified, fetch_optional, reads,
    repository_row, run, scalar, writes, Stmt,
};
use crate::{tags, SqliteStore};

fn upstreams_of(conn: &Connection, repository_id: i64) -> StoreResult<Vec<String>> {
    fetch_all(conn, &reads::upstreams(repository_id), |r| {
        r.text("upstream_name")
    })
}

/// Fills the upstream lists of a page of repositories with one query.
fn fill_upstreams(conn: &Connection, repos: &mut [RepositoryRow]) -> StoreResult<()> {
    if repos.is_empty() {
        return Ok(());
    }
    let mut qb = Stmt::new(
        "SELECT repository_id, upstream_name FROM repository_upstreams WHERE repository_id IN (",
    );
    let mut ids = qb.separated(", ");
    for repo in repos.iter() {
        ids.push_bind(repo.id);
    }
    qb.push(") ORDER BY repository_id, position");
    let rows = fetch_all(conn, &qb, |r| {
        Ok((r.int("repository_id")?, r.text("upstream_name")?))
    })?;
    let mut by_id: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, name) in rows {
        by_id.entry(id).or_default().push(name);
    }
    for repo in repos {
        repo.upstreams = by_id.remove(&repo.id).unwrap_or_default();
    }
    Ok(())
}

/// Fails with `NotFound` unless the repository exists (writes are serialized by the one writer
/// connection, so no row lock is needed).
pub(crate) fn require_repository(conn: &Connection, repository_id: i64) -> StoreResult<()> {
    let found: Option<i64> = scalar(
        conn,
        "SELECT id FROM repositories WHERE id = ?",
        [repository_id],
    )?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// The repository with its upstreams, as seen on `conn`.
fn load(conn: &Connection, repository_id: i64) -> StoreResult<Option<RepositoryRow>> {
    let query = reads::repository_by_id(repository_id);
    let Some(mut repo) = fetch_optional(conn, &query, repository_row)? else {
        return Ok(None);
    };
    repo.upstreams = upstreams_of(conn, repository_id)?;
    Ok(Some(repo))
}

/// Replaces the upstream list of a repository, keeping the given order.
fn write_upstreams(conn: &Connection, repository_id: i64, upstreams: &[String]) -> StoreResult<()> {
    run(
        conn,
        "DELETE FROM repository_upstreams WHERE repository_id = ?",
        [repository_id],
    )
    .map_err(backend)?;
    for (position, name) in (0_i64..).zip(upstreams) {
        run(
            conn,
            "INSERT INTO repository_upstreams (repository_id, position, upstream_name) \
             VALUES (?, ?, ?)",
            (repository_id, position, name),
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// Names of the repositories of `domain_id`, other than `except`, listing `name` as an upstream.
fn downstreams(
    conn: &Connection,
    domain_id: i64,
    name: &str,
    except: Option<i64>,
) -> StoreResult<Vec<String>> {
    fetch_all(conn, &reads::downstreams(domain_id, name, except), |r| {
        r.text("name")
    })
}

#[async_trait]
impl RepositoryStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn create_repository(&self, new: &NewRepository) -> StoreResult<RepositoryRow> {
        new.check_text()?;
        let new = new.clone();
        self.write(move |tx| {
            let mut insert = Stmt::new(
                "INSERT INTO repositories \
                 (domain_id, name, administrator_account, description, created_ms) VALUES (",
            );
            insert
                .separated(", ")
                .push_bind(new.domain_id)
                .push_bind(&new.name)
                .push_bind(&new.administrator_account)
                .push_bind(new.description.as_deref())
                .push_bind(new.created_ms);
            insert.push(") RETURNING id");
            // NotFound: the domain is gone.
            let id = fetch_classified(tx, &insert, creation_failed, |r| r.int("id"))?
                .ok_or(StoreError::NotFound)?;
            write_upstreams(tx, id, &new.upstreams)?;
            tags::replace_all(tx, &new.arn, &new.tags)?;
            load(tx, id)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn get_repository(
        &self,
        domain_id: i64,
        name: &str,
    ) -> StoreResult<Option<RepositoryRow>> {
        self.read_tx(|c| {
            let query = reads::repository(domain_id, name);
            let Some(mut repo) = fetch_optional(c, &query, repository_row)? else {
                return Ok(None);
            };
            repo.upstreams = upstreams_of(c, repo.id)?;
            Ok(Some(repo))
        })
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn update_repository(
        &self,
        repository_id: i64,
        description: Option<&str>,
        upstreams: Option<&[String]>,
    ) -> StoreResult<RepositoryRow> {
        arca_metadata::check_repository_update(description, upstreams)?;
        let description = description.map(str::to_owned);
        let upstreams = upstreams.map(<[String]>::to_vec);
        self.write(move |tx| {
            require_repository(tx, repository_id)?;
            if let Some(description) = &description {
                run(
                    tx,
                    "UPDATE repositories SET description = ? WHERE id = ?",
                    (description, repository_id),
                )
                .map_err(backend)?;
            }
            if let Some(upstreams) = &upstreams {
                write_upstreams(tx, repository_id, upstreams)?;
            }
            load(tx, repository_id)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn set_external_connection(
        &self,
        repository_id: i64,
        change: &ExternalConnectionChange,
    ) -> StoreResult<RepositoryRow> {
        let change = change.clone();
        self.write(move |tx| {
            require_repository(tx, repository_id)?;
            let changed = execute(tx, &writes::set_external_connection(repository_id, &change))
                .map_err(backend)?;
            if changed == 0 {
                return Err(StoreError::PreconditionFailed);
            }
            load(tx, repository_id)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn list_repositories(
        &self,
        filter: &RepositoryFilter,
        limit: u32,
    ) -> StoreResult<Vec<RepositoryRow>> {
        self.read_tx(|c| {
            let query = reads::repositories_page(filter, limit);
            let mut repos = fetch_all(c, &query, repository_row)?;
            fill_upstreams(c, &mut repos)?;
            Ok(repos)
        })
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn downstreams_of(&self, domain_id: i64, name: &str) -> StoreResult<Vec<String>> {
        self.read(|c| downstreams(c, domain_id, name, None))
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn delete_repository(&self, repository_id: i64, arn: &str) -> StoreResult<()> {
        let arn = arn.to_owned();
        self.write(move |tx| {
            let repo = tx
                .prepare_cached("SELECT domain_id, name FROM repositories WHERE id = ?")
                .and_then(|mut s| {
                    rusqlite::OptionalExtension::optional(
                        s.query_row([repository_id], |r| Ok((r.get(0)?, r.get(1)?))),
                    )
                })
                .map_err(backend)?;
            let Some((domain_id, name)): Option<(i64, String)> = repo else {
                return Err(StoreError::NotFound);
            };
            let users = downstreams(tx, domain_id, &name, Some(repository_id))?;
            if !users.is_empty() {
                return Err(StoreError::Conflict(format!(
                    "the repository is an upstream of: {}",
                    users.join(", ")
                )));
            }
            for statement in writes::delete_repository(repository_id) {
                execute(tx, &statement).map_err(backend)?;
            }
            tags::delete_all(tx, &arn)
        })
        .await
    }
}
