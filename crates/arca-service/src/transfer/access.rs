//! Principals and permission policies. A principal's secret is opened with the source's server
//! secret and sealed again with the destination's (the two may differ); a policy keeps its
//! revision and document under the destination's ARN of its domain or repository.

use arca_metadata::{DomainRow, PrincipalRow, RepositoryRow, ResourcePolicyRow};

use super::{TransferError, TransferReport, TransferResult};
use crate::{arn, Service};

impl Service {
    pub(super) async fn transfer_principals(
        &self,
        dst: &Service,
        report: &mut TransferReport,
    ) -> TransferResult<()> {
        for p in self.store.list_principals().await? {
            let secret = self.sealer.open(&p.sealed_secret).ok_or_else(|| {
                TransferError::Source(format!(
                    "the secret of principal {} does not open under the source's server secret",
                    p.arn
                ))
            })?;
            dst.store
                .create_principal(&PrincipalRow {
                    sealed_secret: dst.sealer.seal(&secret),
                    ..p
                })
                .await?;
            report.principals += 1;
        }
        Ok(())
    }

    /// The policy of `from` (a domain, or one of its repositories) onto `to`.
    pub(super) async fn transfer_policy(
        &self,
        dst: &Service,
        from: (&DomainRow, Option<&RepositoryRow>),
        to: (&DomainRow, Option<&RepositoryRow>),
        report: &mut TransferReport,
    ) -> TransferResult<()> {
        let arn_of = |svc: &Service, (d, r): (&DomainRow, Option<&RepositoryRow>)| match r {
            Some(r) => arn::repository(&svc.config.region, &d.owner, &d.name, &r.name),
            None => arn::domain(&svc.config.region, &d.owner, &d.name),
        };
        let Some(row) = self.store.get_resource_policy(&arn_of(self, from)).await? else {
            return Ok(());
        };
        dst.store
            .put_resource_policy(
                &ResourcePolicyRow {
                    resource_arn: arn_of(dst, to),
                    domain_id: to.0.id,
                    repository_id: to.1.map(|r| r.id),
                    ..row
                },
                None,
            )
            .await?;
        report.policies += 1;
        Ok(())
    }
}

impl Service {
    /// The audit log, verbatim (its ARNs name resources as they were, like tags) and in its order.
    pub(super) async fn transfer_audit(
        &self,
        dst: &Service,
        report: &mut TransferReport,
    ) -> TransferResult<()> {
        let mut filter = arca_metadata::AuditFilter::default();
        loop {
            let page = self.store.list_audit(&filter, super::PAGE).await?;
            let records: Vec<_> = page.iter().map(|(_, r)| r.clone()).collect();
            dst.store.append_audit(&records).await?;
            report.audit_records += records.len() as u64;
            match page.last() {
                Some((id, _)) if page.len() == super::PAGE as usize => filter.after_id = Some(*id),
                _ => return Ok(()),
            }
        }
    }
}
