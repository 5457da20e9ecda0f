//! Domains: creation with tags, statistics, listing, deletion.

use arca_metadata::{DomainRow, DomainStats, DomainStore, NewDomain, StoreError, StoreResult};
use async_trait::async_trait;

use crate::sql::{
    backend, domain_row, execute, fetch_all, fetch_optional, is_foreign_key_violation, reads,
    unique_as, DOMAIN_COLUMNS,
};
use crate::{tags, PostgresStore};

impl PostgresStore {
    async fn create_domain_once(&self, new: &NewDomain) -> StoreResult<DomainRow> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO domains (owner, name, created_ms, encryption_key) VALUES ($1, $2, $3, $4) \
             RETURNING {DOMAIN_COLUMNS}"
        ))
        .bind(&new.owner)
        .bind(&new.name)
        .bind(new.created_ms)
        .bind(&new.encryption_key)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_as(StoreError::AlreadyExists))?;
        let domain = domain_row(&row)?;
        execute(
            &arca_metadata_sql::groups::insert_root(domain.id, domain.created_ms),
            &mut *tx,
        )
        .await
        .map_err(backend)?;
        tags::replace_all(&mut tx, &new.arn, &new.tags).await?;
        tx.commit().await.map_err(backend)?;
        Ok(domain)
    }

    async fn delete_domain_once(&self, domain_id: i64, arn: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        // The row lock orders us after any repository insert in flight (it holds KEY SHARE on the
        // domain row through its foreign key) and before any later one (it waits for us, then
        // fails its foreign key check).
        let locked: Option<i64> =
            sqlx::query_scalar("SELECT id FROM domains WHERE id = $1 FOR UPDATE")
                .bind(domain_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if locked.is_none() {
            return Err(StoreError::NotFound);
        }
        let repositories: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM repositories WHERE domain_id = $1")
                .bind(domain_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        if repositories > 0 {
            return Err(StoreError::Conflict(format!(
                "the domain still has {repositories} repositories"
            )));
        }
        sqlx::query("DELETE FROM domains WHERE id = $1")
            .bind(domain_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_foreign_key_violation(&e) {
                    StoreError::Conflict("the domain is still referenced".into())
                } else {
                    backend(e)
                }
            })?;
        tags::delete_all(&mut tx, arn).await?;
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl DomainStore for PostgresStore {
    #[tracing::instrument(skip_all)]
    async fn create_domain(&self, new: &NewDomain) -> StoreResult<DomainRow> {
        new.check_text()?;
        self.retrying(|| self.create_domain_once(new)).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_domain(&self, owner: &str, name: &str) -> StoreResult<Option<DomainRow>> {
        fetch_optional(&reads::domain(owner, name), &self.pool, domain_row).await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn domain_stats(&self, domain_id: i64) -> StoreResult<DomainStats> {
        let mut tx = self.read_tx().await?;
        let repository_count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM repositories WHERE domain_id = $1")
                .bind(domain_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        // Each distinct digest of the domain once (blobs are stored per domain and SHA-256).
        // SUM(bigint) is numeric in PostgreSQL: cast back.
        let asset_size_bytes: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(size), 0)::BIGINT FROM \
             (SELECT sha256, MAX(size) AS size FROM assets WHERE domain_id = $1 GROUP BY sha256) AS blobs",
        )
        .bind(domain_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(DomainStats {
            repository_count,
            asset_size_bytes,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn list_domains(
        &self,
        owner: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DomainRow>> {
        fetch_all(
            &reads::domains_page(owner, after, limit),
            &self.pool,
            domain_row,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_domains(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<DomainRow>> {
        fetch_all(
            &reads::all_domains_page(after, limit),
            &self.pool,
            domain_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn delete_domain(&self, domain_id: i64, arn: &str) -> StoreResult<()> {
        self.retrying(|| self.delete_domain_once(domain_id, arn))
            .await
    }
}
