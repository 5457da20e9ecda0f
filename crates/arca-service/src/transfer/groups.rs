//! The package groups of a domain, with their allowed-repository lists (after the domain's
//! repositories exist). The destination's domain already has its root group: it takes the
//! source root's modes and fields. Tags under group ARNs come with the other tags, last.

use arca_metadata::{
    DomainRow, NewPackageGroup, PackageGroupOriginChange, PackageGroupRow, ROOT_GROUP_PATTERN,
};

use super::{TransferReport, TransferResult, PAGE};
use crate::{Service, ServiceError};

impl Service {
    pub(super) async fn transfer_groups(
        &self,
        dst: &Service,
        from: &DomainRow,
        to: &DomainRow,
        report: &mut TransferReport,
    ) -> TransferResult<()> {
        let allowed = self.store.domain_allowed_repositories(from.id).await?;
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .list_package_groups(from.id, "", after.as_deref(), PAGE)
                .await?;
            for group in &page {
                let written = dst.write_group_like(to, group).await?;
                let mut change = PackageGroupOriginChange {
                    modes: group.modes.map(Some),
                    ..Default::default()
                };
                for a in allowed.iter().filter(|a| a.group_id == group.id) {
                    let repo = dst
                        .store
                        .get_repository(to.id, &a.repository_name)
                        .await?
                        .ok_or_else(|| {
                            ServiceError::Internal(format!(
                                "repository {} of an allowed list was not transferred",
                                a.repository_name
                            ))
                        })?;
                    change.add.push((a.restriction, repo.id));
                }
                dst.store
                    .update_package_group_origin(written.id, &change)
                    .await?;
                report.package_groups += 1;
            }
            match page.last() {
                Some(g) if page.len() == PAGE as usize => after = Some(g.pattern.clone()),
                _ => return Ok(()),
            }
        }
    }

    /// The group `group` in `domain` (this service being the destination): the root, which the
    /// domain has, updated; any other created with its creation time.
    async fn write_group_like(
        &self,
        domain: &DomainRow,
        group: &PackageGroupRow,
    ) -> TransferResult<PackageGroupRow> {
        if group.pattern == ROOT_GROUP_PATTERN {
            let root = self
                .store
                .get_package_group(domain.id, ROOT_GROUP_PATTERN)
                .await?
                .ok_or_else(|| ServiceError::Internal("destination domain without /*".into()))?;
            return Ok(self
                .store
                .update_package_group(
                    root.id,
                    group.contact_info.as_deref(),
                    group.description.as_deref(),
                )
                .await?);
        }
        Ok(self
            .store
            .create_package_group(&NewPackageGroup {
                domain_id: domain.id,
                pattern: group.pattern.clone(),
                created_ms: group.created_ms,
                contact_info: group.contact_info.clone(),
                description: group.description.clone(),
                modes: group.modes,
                // Tags are copied last, verbatim; none are given here.
                arn: self.group_arn(domain, &group.pattern),
                tags: Vec::new(),
            })
            .await?)
    }
}
