//! The audit log (issue 18 item 5): one record per write and per refusal, with who, what action,
//! on which resource, the result, the request id and the client's address.
//!
//! **Durability.** A write's record never commits after the write it describes: a publish's
//! record rides in the publish's own transaction (`PublishWrite::audit`, so on SQLite it shares
//! the group commit's fsync and costs no commit of its own); every other write appends its record
//! durably before it acts ([`Service::audited`]). A write that then fails leaves an `allowed`
//! record for a request that changed nothing, never a change without its record. A refusal is
//! appended before the caller is answered. Successful reads are not recorded.

use arca_metadata::{AuditFilter, AuditRow};

use crate::{now_ms, Caller, Service, ServiceResult, Target};

/// The actions that change something; an allowed one is recorded (§C3's write operations, and
/// the native writes of §C4, which use the same names). Sorted (binary search; a test checks).
const WRITE_ACTIONS: &[&str] = &[
    "codeartifact:AssociateExternalConnection",
    "codeartifact:CopyPackageVersions",
    "codeartifact:CreateDomain",
    "codeartifact:CreatePackageGroup",
    "codeartifact:CreateRepository",
    "codeartifact:DeleteDomain",
    "codeartifact:DeleteDomainPermissionsPolicy",
    "codeartifact:DeletePackage",
    "codeartifact:DeletePackageGroup",
    "codeartifact:DeletePackageVersions",
    "codeartifact:DeleteRepository",
    "codeartifact:DeleteRepositoryPermissionsPolicy",
    "codeartifact:DisassociateExternalConnection",
    "codeartifact:DisposePackageVersions",
    PUBLISH,
    "codeartifact:PutDomainPermissionsPolicy",
    "codeartifact:PutPackageMetadata",
    "codeartifact:PutPackageOriginConfiguration",
    "codeartifact:PutRepositoryPermissionsPolicy",
    "codeartifact:TagResource",
    "codeartifact:UntagResource",
    "codeartifact:UpdatePackageGroup",
    "codeartifact:UpdatePackageGroupOriginConfiguration",
    "codeartifact:UpdatePackageVersionsStatus",
    "codeartifact:UpdateRepository",
];

/// The one write whose record is committed with it rather than before it.
const PUBLISH: &str = "codeartifact:PublishPackageVersion";

pub(crate) const ALLOWED: &str = "allowed";
pub(crate) const DENIED: &str = "denied";

/// Which records `arca audit` lists.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// At or after (epoch milliseconds).
    pub since_ms: Option<i64>,
    pub principal_arn: Option<String>,
    pub action: Option<String>,
}

impl Service {
    fn audit_row(&self, caller: &Caller, action: &str, resource: &str, result: &str) -> AuditRow {
        let facts = caller.facts();
        AuditRow {
            time_ms: now_ms(),
            principal_arn: caller.arn(),
            action: action.to_string(),
            resource_arn: resource.to_string(),
            result: result.to_string(),
            request_id: facts.request_id.clone(),
            source_ip: facts.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        }
    }

    /// Records a refusal of `action` on `resource` (before the caller hears of it). The service
    /// records its own refusals; the wire calls this only for what it refuses itself (operator
    /// requests by a user).
    pub async fn record_denial(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
    ) -> ServiceResult<()> {
        let row = self.audit_row(caller, action, resource, DENIED);
        Ok(self.store.append_audit(&[row]).await?)
    }

    /// Called once an operation's permissions are all granted, with its own action and target:
    /// a write is recorded — now, before it acts, or, for a publish, on the returned caller, whose
    /// publish commits the record in its transaction. A read records nothing.
    pub async fn audited(
        &self,
        caller: Caller,
        action: &str,
        target: &Target,
    ) -> ServiceResult<Caller> {
        if WRITE_ACTIONS.binary_search(&action).is_err() {
            return Ok(caller);
        }
        let resource = self.resolve_target(&caller, target).resource;
        let row = self.audit_row(&caller, action, &resource, ALLOWED);
        if action == PUBLISH {
            return Ok(Caller {
                publish_audit: Some(std::sync::Arc::new(row)),
                ..caller
            });
        }
        self.store.append_audit(&[row]).await?;
        Ok(caller)
    }

    /// The record a publish by `caller` commits with it, if [`Self::audited`] gave it one.
    pub(crate) fn publish_audit(caller: &Caller) -> Option<AuditRow> {
        caller.publish_audit.as_deref().cloned()
    }

    /// Records matching `query`, oldest first, after the record `after` (a previous page's last
    /// id), at most `limit`.
    pub async fn audit_records(
        &self,
        query: &AuditQuery,
        after: Option<i64>,
        limit: u32,
    ) -> ServiceResult<Vec<(i64, AuditRow)>> {
        let filter = AuditFilter {
            since_ms: query.since_ms,
            principal_arn: query.principal_arn.clone(),
            action: query.action.clone(),
            after_id: after,
        };
        Ok(self.store.list_audit(&filter, limit).await?)
    }

    /// Deletes the records older than `retention`; returns how many.
    pub async fn prune_audit(&self, retention: std::time::Duration) -> ServiceResult<u64> {
        let cut = now_ms().saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
        Ok(self.store.prune_audit(cut).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_actions_are_sorted_codeartifact_names() {
        let mut sorted = WRITE_ACTIONS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, WRITE_ACTIONS);
        assert!(WRITE_ACTIONS.iter().all(|a| a.starts_with("codeartifact:")));
        for read in [
            "codeartifact:ReadFromRepository",
            "codeartifact:GetAuthorizationToken",
            "codeartifact:AssociateWithDownstreamRepository",
            "codeartifact:DescribePackageVersion",
        ] {
            assert!(WRITE_ACTIONS.binary_search(&read).is_err(), "{read}");
        }
    }
}
