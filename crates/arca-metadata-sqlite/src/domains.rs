//! Domains: creation with tags, statistics, listing, deletion.

use arca_metadata::{DomainRow, DomainStats, DomainStore, NewDomain, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::Sqlite;

use crate::sql::{
    backend, domain_row, fetch_all, fetch_optional, reads, unique_as, DOMAIN_COLUMNS,
};
use crate::{tags, SqliteStore};

#[async_trait]
impl DomainStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn create_domain(&self, new: &NewDomain) -> StoreResult<DomainRow> {
        new.check_text()?;
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO domains (owner, name, created_ms, encryption_key) VALUES (?, ?, ?, ?) \
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
        tags::replace_all(&mut tx, &new.arn, &new.tags).await?;
        tx.commit().await.map_err(backend)?;
        Ok(domain)
    }

    #[tracing::instrument(skip_all)]
    async fn get_domain(&self, owner: &str, name: &str) -> StoreResult<Option<DomainRow>> {
        fetch_optional(
            &mut reads::domain::<Sqlite>(owner, name),
            &self.reader,
            domain_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn domain_stats(&self, domain_id: i64) -> StoreResult<DomainStats> {
        let mut tx = self.read_tx().await?;
        let repository_count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM repositories WHERE domain_id = ?")
                .bind(domain_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        // Blobs are stored once per domain and SHA-256: count each distinct digest once, however
        // many assets (in however many repositories) reference it. Index-only on
        // assets_by_domain_blob.
        let asset_size_bytes: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(size), 0) FROM \
             (SELECT sha256, MAX(size) AS size FROM assets WHERE domain_id = ? GROUP BY sha256) AS blobs",
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
            &mut reads::domains_page::<Sqlite>(owner, after, limit),
            &self.reader,
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
            &mut reads::all_domains_page::<Sqlite>(after, limit),
            &self.reader,
            domain_row,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn delete_domain(&self, domain_id: i64, arn: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let repositories: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM repositories WHERE domain_id = ?")
                .bind(domain_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        if repositories > 0 {
            return Err(StoreError::Conflict(format!(
                "the domain still has {repositories} repositories"
            )));
        }
        let deleted = sqlx::query("DELETE FROM domains WHERE id = ?")
            .bind(domain_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        tags::delete_all(&mut tx, arn).await?;
        tx.commit().await.map_err(backend)
    }
}
