//! Repositories with their ordered upstream lists.

use std::collections::HashMap;

use arca_metadata::{
    ExternalConnectionChange, NewRepository, RepositoryFilter, RepositoryRow, RepositoryStore,
    StoreError, StoreResult,
};
use async_trait::async_trait;
use sqlx::PgConnection;

use crate::sql::{
    backend, creation_failed, execute, fetch_all, fetch_optional, reads, repository_row, writes,
};
use crate::{tags, versions, PostgresStore};

async fn upstreams_of(conn: &mut PgConnection, repository_id: i64) -> StoreResult<Vec<String>> {
    fetch_all(&reads::upstreams(repository_id), conn, |r| {
        r.text("upstream_name")
    })
    .await
}

/// Fills the upstream lists of a page of repositories with one query.
async fn fill_upstreams(conn: &mut PgConnection, repos: &mut [RepositoryRow]) -> StoreResult<()> {
    if repos.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = repos.iter().map(|r| r.id).collect();
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT repository_id, upstream_name FROM repository_upstreams \
         WHERE repository_id = ANY($1) ORDER BY repository_id, position",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await
    .map_err(backend)?;
    let mut by_id: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, name) in rows {
        by_id.entry(id).or_default().push(name);
    }
    for repo in repos {
        repo.upstreams = by_id.remove(&repo.id).unwrap_or_default();
    }
    Ok(())
}

/// Locks the repository row (`lock`: `FOR NO KEY UPDATE` to change the row itself, which
/// serializes with other updates and with deletion but not with publishes; `FOR KEY SHARE` to write
/// below it, as a publish does), or fails with `NotFound`.
pub(crate) async fn lock_repository(
    conn: &mut PgConnection,
    repository_id: i64,
    lock: &'static str,
) -> StoreResult<()> {
    let found: Option<i64> =
        sqlx::query_scalar(&format!("SELECT id FROM repositories WHERE id = $1 {lock}"))
            .bind(repository_id)
            .fetch_optional(conn)
            .await
            .map_err(backend)?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// The repository with its upstreams, as seen on `conn`.
async fn load(conn: &mut PgConnection, repository_id: i64) -> StoreResult<Option<RepositoryRow>> {
    let query = reads::repository_by_id(repository_id);
    let Some(mut repo) = fetch_optional(&query, &mut *conn, repository_row).await? else {
        return Ok(None);
    };
    repo.upstreams = upstreams_of(conn, repository_id).await?;
    Ok(Some(repo))
}

/// Replaces the upstream list of a repository, keeping the given order. The caller holds the
/// repository row (or created it).
async fn write_upstreams(
    conn: &mut PgConnection,
    repository_id: i64,
    upstreams: &[String],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM repository_upstreams WHERE repository_id = $1")
        .bind(repository_id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    if upstreams.is_empty() {
        return Ok(());
    }
    // One statement; WITH ORDINALITY numbers the names in the given order (from 1).
    sqlx::query(
        "INSERT INTO repository_upstreams (repository_id, position, upstream_name) \
         SELECT $1, (n - 1)::INTEGER, name FROM UNNEST($2::TEXT[]) WITH ORDINALITY AS u (name, n)",
    )
    .bind(repository_id)
    .bind(upstreams)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Names of the repositories of `domain_id`, other than `except`, listing `name` as an upstream.
async fn downstreams(
    conn: &mut PgConnection,
    domain_id: i64,
    name: &str,
    except: Option<i64>,
) -> StoreResult<Vec<String>> {
    fetch_all(&reads::downstreams(domain_id, name, except), conn, |r| {
        r.text("name")
    })
    .await
}

impl PostgresStore {
    async fn create_repository_once(&self, new: &NewRepository) -> StoreResult<RepositoryRow> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO repositories \
             (domain_id, name, administrator_account, description, created_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.domain_id)
        .bind(&new.name)
        .bind(&new.administrator_account)
        .bind(&new.description)
        .bind(new.created_ms)
        .fetch_one(&mut *tx)
        .await
        // NotFound: the domain is gone (or is being deleted: the check waited for that commit).
        .map_err(creation_failed)?;
        write_upstreams(&mut tx, id, &new.upstreams).await?;
        tags::replace_all(&mut tx, &new.arn, &new.tags).await?;
        let repo = load(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(repo)
    }

    async fn update_repository_once(
        &self,
        repository_id: i64,
        description: Option<&str>,
        upstreams: Option<&[String]>,
    ) -> StoreResult<RepositoryRow> {
        let mut tx = self.write_tx().await?;
        // NO KEY UPDATE: serializes with other updates and with deletion, but not with publishes
        // into the repository (they hold KEY SHARE).
        lock_repository(&mut tx, repository_id, "FOR NO KEY UPDATE").await?;
        if let Some(description) = description {
            sqlx::query("UPDATE repositories SET description = $1 WHERE id = $2")
                .bind(description)
                .bind(repository_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        if let Some(upstreams) = upstreams {
            write_upstreams(&mut tx, repository_id, upstreams).await?;
        }
        let repo = load(&mut tx, repository_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(repo)
    }

    async fn delete_repository_once(&self, repository_id: i64, arn: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        // Waits for publishes and copies in flight (KEY SHARE) and makes later ones wait for us.
        let repo: Option<(i64, String)> =
            sqlx::query_as("SELECT domain_id, name FROM repositories WHERE id = $1 FOR UPDATE")
                .bind(repository_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let Some((domain_id, name)) = repo else {
            return Err(StoreError::NotFound);
        };
        let users = downstreams(&mut tx, domain_id, &name, Some(repository_id)).await?;
        if !users.is_empty() {
            return Err(StoreError::Conflict(format!(
                "the repository is an upstream of: {}",
                users.join(", ")
            )));
        }
        // Top-down like every writer: its packages, then their versions, each by ascending id.
        sqlx::query("SELECT id FROM packages WHERE repository_id = $1 ORDER BY id FOR UPDATE")
            .bind(repository_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        versions::lock_repository_versions(&mut tx, repository_id).await?;
        for statement in writes::delete_repository(repository_id) {
            execute(&statement, &mut *tx).await.map_err(backend)?;
        }
        tags::delete_all(&mut tx, arn).await?;
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl RepositoryStore for PostgresStore {
    #[tracing::instrument(skip_all)]
    async fn create_repository(&self, new: &NewRepository) -> StoreResult<RepositoryRow> {
        new.check_text()?;
        self.retrying(|| self.create_repository_once(new)).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_repository(
        &self,
        domain_id: i64,
        name: &str,
    ) -> StoreResult<Option<RepositoryRow>> {
        let mut tx = self.read_tx().await?;
        let query = reads::repository(domain_id, name);
        let Some(mut repo) = fetch_optional(&query, &mut *tx, repository_row).await? else {
            return Ok(None);
        };
        repo.upstreams = upstreams_of(&mut tx, repo.id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(repo))
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn update_repository(
        &self,
        repository_id: i64,
        description: Option<&str>,
        upstreams: Option<&[String]>,
    ) -> StoreResult<RepositoryRow> {
        arca_metadata::check_repository_update(description, upstreams)?;
        self.retrying(|| self.update_repository_once(repository_id, description, upstreams))
            .await
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn set_external_connection(
        &self,
        repository_id: i64,
        change: &ExternalConnectionChange,
    ) -> StoreResult<RepositoryRow> {
        let mut tx = self.write_tx().await?;
        lock_repository(&mut tx, repository_id, "FOR NO KEY UPDATE").await?;
        let changed = execute(
            &writes::set_external_connection(repository_id, change),
            &mut *tx,
        )
        .await
        .map_err(backend)?;
        if changed == 0 {
            return Err(StoreError::PreconditionFailed);
        }
        let repo = load(&mut tx, repository_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(repo)
    }

    #[tracing::instrument(skip_all)]
    async fn list_repositories(
        &self,
        filter: &RepositoryFilter,
        limit: u32,
    ) -> StoreResult<Vec<RepositoryRow>> {
        let mut tx = self.read_tx().await?;
        let query = reads::repositories_page(filter, limit);
        let mut repos = fetch_all(&query, &mut *tx, repository_row).await?;
        fill_upstreams(&mut tx, &mut repos).await?;
        tx.commit().await.map_err(backend)?;
        Ok(repos)
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn downstreams_of(&self, domain_id: i64, name: &str) -> StoreResult<Vec<String>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        downstreams(&mut conn, domain_id, name, None).await
    }

    #[tracing::instrument(skip_all, fields(repository_id = repository_id))]
    async fn delete_repository(&self, repository_id: i64, arn: &str) -> StoreResult<()> {
        self.retrying(|| self.delete_repository_once(repository_id, arn))
            .await
    }
}
