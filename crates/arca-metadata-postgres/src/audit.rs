//! The audit log (statements shared in `arca_metadata_sql::audit`). A publish's record is written
//! in the publish's own transaction (`versions.rs`); these are the others, one statement each.

use arca_metadata::{AuditFilter, AuditRow, AuditStore, StoreResult};
use arca_metadata_sql::audit;
use async_trait::async_trait;

use crate::sql::{backend, execute, fetch_all};
use crate::PostgresStore;

#[async_trait]
impl AuditStore for PostgresStore {
    #[tracing::instrument(skip_all, fields(records = records.len()))]
    async fn append_audit(&self, records: &[AuditRow]) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        for r in records {
            r.check_text()?;
        }
        execute(&audit::insert_audit(records), &self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AuditRow)>> {
        fetch_all(
            &audit::list_audit(filter, limit),
            &self.pool,
            audit::audit_row,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn prune_audit(&self, before_ms: i64) -> StoreResult<u64> {
        execute(&audit::prune_audit(before_ms), &self.pool)
            .await
            .map_err(backend)
    }
}
