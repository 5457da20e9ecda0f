//! The audit log: one record per write and per refusal (issue 18 item 5). A write's record is
//! committed with the write it describes (a publish: in the publish's own transaction, through
//! [`crate::PublishWrite::audit`]) or before it ([`AuditStore::append_audit`]), never after.

use async_trait::async_trait;

use crate::text::check_text;
use crate::StoreResult;

/// One audited request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// `arn:aws:iam::{account}:root` or a user's ARN.
    pub principal_arn: String,
    /// `codeartifact:PublishPackageVersion`, …
    pub action: String,
    /// The resource's ARN, or `*`.
    pub resource_arn: String,
    /// `allowed` or `denied`.
    pub result: String,
    pub request_id: String,
    /// The client's address (IPv4 or IPv6, without port); empty when unknown.
    pub source_ip: String,
}

impl AuditRow {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("principal ARN", &self.principal_arn)?;
        check_text("action", &self.action)?;
        check_text("resource ARN", &self.resource_arn)?;
        check_text("result", &self.result)?;
        check_text("request id", &self.request_id)?;
        check_text("source address", &self.source_ip)
    }
}

/// Which records [`AuditStore::list_audit`] returns, oldest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Records at or after this time (epoch milliseconds).
    pub since_ms: Option<i64>,
    pub principal_arn: Option<String>,
    pub action: Option<String>,
    /// Records after this id (the previous page's last).
    pub after_id: Option<i64>,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends records, durably, before it returns (one transaction).
    async fn append_audit(&self, records: &[AuditRow]) -> StoreResult<()>;
    /// Matching records with their ids, in the order they were written (ascending id), at most
    /// `limit`.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AuditRow)>>;
    /// Deletes the records older than `before_ms`; returns how many.
    async fn prune_audit(&self, before_ms: i64) -> StoreResult<u64>;
}
