//! Domains: creation with tags, statistics, listing, deletion.

use arca_metadata::{DomainRow, DomainStats, DomainStore, NewDomain, StoreError, StoreResult};
use async_trait::async_trait;

use arca_metadata_sql::groups;

use crate::sql::{
    backend, domain_row, execute, fetch_all, fetch_classified, fetch_optional, reads, run, scalar,
    unique_as,
};
use crate::sql::{Stmt, DOMAIN_COLUMNS};
use crate::{tags, SqliteStore};

const REPOSITORY_COUNT: &str = "SELECT COUNT(*) FROM repositories WHERE domain_id = ?";

#[async_trait]
impl DomainStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn create_domain(&self, new: &NewDomain) -> StoreResult<DomainRow> {
        new.check_text()?;
        let new = new.clone();
        self.write(move |tx| {
            let mut insert =
                Stmt::new("INSERT INTO domains (owner, name, created_ms, encryption_key) VALUES (");
            insert
                .separated(", ")
                .push_bind(&new.owner)
                .push_bind(&new.name)
                .push_bind(new.created_ms)
                .push_bind(new.encryption_key.as_deref());
            insert.push(format_args!(") RETURNING {DOMAIN_COLUMNS}"));
            let domain = fetch_classified(
                tx,
                &insert,
                unique_as(StoreError::AlreadyExists),
                domain_row,
            )?
            .ok_or(StoreError::NotFound)?;
            execute(tx, &groups::insert_root(domain.id, domain.created_ms)).map_err(backend)?;
            tags::replace_all(tx, &new.arn, &new.tags)?;
            Ok(domain)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn get_domain(&self, owner: &str, name: &str) -> StoreResult<Option<DomainRow>> {
        self.read(|c| fetch_optional(c, &reads::domain(owner, name), domain_row))
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn domain_stats(&self, domain_id: i64) -> StoreResult<DomainStats> {
        self.read_tx(|c| {
            let repository_count = scalar(c, REPOSITORY_COUNT, [domain_id])?.unwrap_or(0);
            // Blobs are stored once per domain and SHA-256: count each distinct digest once,
            // however many assets (in however many repositories) reference it. Index-only on
            // assets_by_domain_blob.
            let asset_size_bytes = scalar(
                c,
                "SELECT COALESCE(SUM(size), 0) FROM \
                 (SELECT sha256, MAX(size) AS size FROM assets WHERE domain_id = ? GROUP BY sha256) AS blobs",
                [domain_id],
            )?
            .unwrap_or(0);
            Ok(DomainStats {
                repository_count,
                asset_size_bytes,
            })
        })
    }

    #[tracing::instrument(skip_all)]
    async fn list_domains(
        &self,
        owner: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DomainRow>> {
        self.read(|c| fetch_all(c, &reads::domains_page(owner, after, limit), domain_row))
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_domains(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<DomainRow>> {
        self.read(|c| fetch_all(c, &reads::all_domains_page(after, limit), domain_row))
    }

    #[tracing::instrument(skip_all, fields(domain_id = domain_id))]
    async fn delete_domain(&self, domain_id: i64, arn: &str) -> StoreResult<()> {
        let arn = arn.to_owned();
        self.write(move |tx| {
            let repositories: i64 = scalar(tx, REPOSITORY_COUNT, [domain_id])?.unwrap_or(0);
            if repositories > 0 {
                return Err(StoreError::Conflict(format!(
                    "the domain still has {repositories} repositories"
                )));
            }
            let deleted =
                run(tx, "DELETE FROM domains WHERE id = ?", [domain_id]).map_err(backend)?;
            if deleted == 0 {
                return Err(StoreError::NotFound);
            }
            tags::delete_all(tx, &arn)
        })
        .await
    }
}
