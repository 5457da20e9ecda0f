//! The audit log (statements shared in `arca_metadata_sql::audit`). A publish's record is written
//! in the publish's own group-committed transaction (`versions.rs`); these are the others.

use arca_metadata::{AuditFilter, AuditRow, AuditStore, StoreResult};
use arca_metadata_sql::audit;
use async_trait::async_trait;

use crate::sql::{backend, execute, fetch_all};
use crate::SqliteStore;

#[async_trait]
impl AuditStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(records = records.len()))]
    async fn append_audit(&self, records: &[AuditRow]) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        for r in records {
            r.check_text()?;
        }
        let stmt = audit::insert_audit(records);
        self.write(move |tx| execute(tx, &stmt).map(drop).map_err(backend))
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AuditRow)>> {
        let stmt = audit::list_audit(filter, limit);
        self.read(|c| fetch_all(c, &stmt, audit::audit_row))
    }

    #[tracing::instrument(skip_all)]
    async fn prune_audit(&self, before_ms: i64) -> StoreResult<u64> {
        let stmt = audit::prune_audit(before_ms);
        self.write(move |tx| execute(tx, &stmt).map(|n| n as u64).map_err(backend))
            .await
    }
}
