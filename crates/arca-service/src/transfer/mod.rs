//! `arca transfer`: copies a whole installation (metadata and blob bytes) from one pair of stores
//! into another, empty one — SQLite + files into PostgreSQL + S3, or any other pair.
//!
//! Order: domains (owner, name, created time, encryption key), then each domain's repositories in
//! an order that creates every upstream before its downstreams, then their packages, versions and
//! assets ([`packages`]), then the domain's package groups with their allowed-repository lists
//! ([`groups`]), the domain's and repositories' permission policies, the principals with their
//! secrets sealed again under the destination's server secret ([`access`]), the tags, verbatim under their stored ARNs (creating a resource
//! replaces the tags under its ARN), and the audit log last, verbatim and in its order. Ids are the destination's own; nothing outside the stores
//! exposes them. The source is only read.

mod access;
mod groups;
mod packages;

use std::collections::{HashMap, HashSet};

use arca_metadata::{
    DomainRow, ExternalConnectionChange, NewDomain, NewRepository, RepositoryFilter, RepositoryRow,
};
use futures::TryStreamExt;

use crate::{arn, Service, ServiceError};

/// Rows fetched per page from the source.
const PAGE: u32 = 500;

/// What a transfer copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferReport {
    pub domains: u64,
    pub repositories: u64,
    pub packages: u64,
    pub versions: u64,
    pub assets: u64,
    /// Distinct blobs (per domain) whose bytes were copied, and their size.
    pub blobs: u64,
    pub bytes: u64,
    /// Tags (key/value pairs), over all resources.
    pub tags: u64,
    /// Package groups (the root groups included), with their allowed-repository lists.
    pub package_groups: u64,
    /// Domain and repository permission policies.
    pub policies: u64,
    /// Principals of the metadata store (the configuration's are the destination's own).
    pub principals: u64,
    /// Audit records, verbatim and in order.
    pub audit_records: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("the destination is not empty (it holds {0}); arca transfer only writes into an empty installation, and wrote nothing")]
    DestinationNotEmpty(String),
    /// The source does not hold what its metadata says (missing or altered bytes).
    #[error("source: {0}")]
    Source(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<arca_metadata::StoreError> for TransferError {
    fn from(e: arca_metadata::StoreError) -> Self {
        TransferError::Service(e.into())
    }
}

impl From<arca_blobstore::BlobError> for TransferError {
    fn from(e: arca_blobstore::BlobError) -> Self {
        TransferError::Service(e.into())
    }
}

pub type TransferResult<T> = Result<T, TransferError>;

impl Service {
    /// What this installation already holds, if anything: `None` when it is empty (no domain, no
    /// tag, no blob object), so a transfer may write into it.
    pub async fn transfer_destination_contents(&self) -> TransferResult<Option<String>> {
        if let Some(d) = self.store.list_all_domains(None, 1).await?.first() {
            return Ok(Some(format!("domain '{}' of {}", d.name, d.owner)));
        }
        if let Some(p) = self.store.list_principals().await?.first() {
            return Ok(Some(format!("principal {}", p.arn)));
        }
        let any = arca_metadata::AuditFilter::default();
        if let Some((_, r)) = self.store.list_audit(&any, 1).await?.first() {
            return Ok(Some(format!(
                "audit record {} {}",
                r.action, r.resource_arn
            )));
        }
        if let Some((arn, key, _)) = self.store.list_all_tags(None, 1).await?.first() {
            return Ok(Some(format!("tag '{key}' of {arn}")));
        }
        if let Some(meta) = self.blobs.list(None).try_next().await? {
            return Ok(Some(format!(
                "blob object {}/{}",
                meta.key.domain().as_str(),
                meta.key.sha256().to_hex()
            )));
        }
        Ok(None)
    }

    /// Copies everything this installation holds into `dst`, which must be empty (checked first;
    /// nothing is written otherwise). `progress` is called after each repository.
    pub async fn transfer_into(
        &self,
        dst: &Service,
        mut progress: impl FnMut(&TransferReport),
    ) -> TransferResult<TransferReport> {
        if let Some(what) = dst.transfer_destination_contents().await? {
            return Err(TransferError::DestinationNotEmpty(what));
        }
        let mut report = TransferReport::default();
        let mut after: Option<(String, String)> = None;
        loop {
            let cursor = after.as_ref().map(|(o, n)| (o.as_str(), n.as_str()));
            let domains = self.store.list_all_domains(cursor, PAGE).await?;
            for domain in &domains {
                self.transfer_domain(dst, domain, &mut report, &mut progress)
                    .await?;
            }
            match domains.last() {
                Some(d) if domains.len() == PAGE as usize => {
                    after = Some((d.owner.clone(), d.name.clone()))
                }
                _ => break,
            }
        }
        self.transfer_principals(dst, &mut report).await?;
        self.transfer_tags(dst, &mut report).await?;
        self.transfer_audit(dst, &mut report).await?;
        Ok(report)
    }

    async fn transfer_domain(
        &self,
        dst: &Service,
        domain: &DomainRow,
        report: &mut TransferReport,
        progress: &mut impl FnMut(&TransferReport),
    ) -> TransferResult<()> {
        let created = dst
            .store
            .create_domain(&NewDomain {
                owner: domain.owner.clone(),
                name: domain.name.clone(),
                created_ms: domain.created_ms,
                encryption_key: domain.encryption_key.clone(),
                // Tags are copied last, verbatim; none are given here.
                arn: arn::domain(&dst.config.region, &domain.owner, &domain.name),
                tags: Vec::new(),
            })
            .await?;
        report.domains += 1;
        // Bytes are stored per domain: each blob is copied once per domain, then referenced.
        let mut blobs = packages::CopiedBlobs::default();
        let mut pending_upstreams = Vec::new();
        for ordered in upstreams_first(self.domain_repositories(domain.id).await?) {
            let (source, with_upstreams) = match ordered {
                Ordered::Ready(repo) => (repo, true),
                Ordered::InCycle(repo) => (repo, false),
            };
            let written = dst
                .create_repository_like(&created, &source, with_upstreams)
                .await?;
            if !with_upstreams && !source.upstreams.is_empty() {
                pending_upstreams.push((written.id, source.upstreams.clone()));
            }
            report.repositories += 1;
            self.transfer_policy(
                dst,
                (domain, Some(&source)),
                (&created, Some(&written)),
                report,
            )
            .await?;
            let repos = (&source, &written);
            self.transfer_packages(dst, repos, &mut blobs, report, progress)
                .await?;
            progress(report);
        }
        // Repositories of an upstream cycle were created without upstreams; now all exist.
        for (id, upstreams) in pending_upstreams {
            dst.store
                .update_repository(id, None, Some(&upstreams))
                .await?;
        }
        self.transfer_policy(dst, (domain, None), (&created, None), report)
            .await?;
        // Package groups name repositories in their allowed lists: after all of them.
        self.transfer_groups(dst, domain, &created, report).await
    }

    /// Every repository of a domain, with its upstreams.
    async fn domain_repositories(&self, domain_id: i64) -> TransferResult<Vec<RepositoryRow>> {
        let mut all = Vec::new();
        let mut filter = RepositoryFilter {
            domain_id: Some(domain_id),
            ..Default::default()
        };
        loop {
            let page = self.store.list_repositories(&filter, PAGE).await?;
            let more = page.len() == PAGE as usize;
            filter.after = page.last().map(|r| (r.name.clone(), r.domain_name.clone()));
            all.extend(page);
            if !more {
                return Ok(all);
            }
        }
    }

    /// Creates `repo`'s copy in `domain` (this service being the destination), with its upstreams
    /// when `with_upstreams`.
    async fn create_repository_like(
        &self,
        domain: &DomainRow,
        repo: &RepositoryRow,
        with_upstreams: bool,
    ) -> TransferResult<RepositoryRow> {
        let created = self
            .store
            .create_repository(&NewRepository {
                domain_id: domain.id,
                name: repo.name.clone(),
                administrator_account: repo.administrator_account.clone(),
                description: repo.description.clone(),
                created_ms: repo.created_ms,
                upstreams: if with_upstreams {
                    repo.upstreams.clone()
                } else {
                    Vec::new()
                },
                arn: arn::repository(&self.config.region, &domain.owner, &domain.name, &repo.name),
                tags: Vec::new(),
            })
            .await?;
        let Some(connection) = &repo.external_connection else {
            return Ok(created);
        };
        let change = ExternalConnectionChange {
            expect: None,
            set: Some(connection.clone()),
        };
        Ok(self
            .store
            .set_external_connection(created.id, &change)
            .await?)
    }

    /// Every tag, under the ARN it is stored under (whatever region or account the ARN names).
    async fn transfer_tags(
        &self,
        dst: &Service,
        report: &mut TransferReport,
    ) -> TransferResult<()> {
        let mut after: Option<(String, String)> = None;
        loop {
            let cursor = after.as_ref().map(|(a, k)| (a.as_str(), k.as_str()));
            let page = self.store.list_all_tags(cursor, PAGE).await?;
            let mut by_arn: Vec<(&str, Vec<(String, String)>)> = Vec::new();
            for (arn, key, value) in &page {
                match by_arn.last_mut() {
                    Some((a, tags)) if a == arn => tags.push((key.clone(), value.clone())),
                    _ => by_arn.push((arn, vec![(key.clone(), value.clone())])),
                }
            }
            for (arn, tags) in &by_arn {
                // The source already enforced its limit; copy what is there.
                dst.store.tag_resource(arn, tags, usize::MAX).await?;
                report.tags += tags.len() as u64;
            }
            match page.last() {
                Some((arn, key, _)) if page.len() == PAGE as usize => {
                    after = Some((arn.clone(), key.clone()))
                }
                _ => return Ok(()),
            }
        }
    }
}

/// A repository in creation order.
enum Ordered {
    /// Its upstreams come earlier in the order.
    Ready(RepositoryRow),
    /// Part of (or behind) an upstream cycle: create it without upstreams, set them at the end.
    InCycle(RepositoryRow),
}

/// Orders repositories so that each comes after its upstreams (Kahn's algorithm; among the
/// ready ones, by name). Upstreams naming no repository of the domain are ignored.
fn upstreams_first(repos: Vec<RepositoryRow>) -> Vec<Ordered> {
    let names: HashSet<String> = repos.iter().map(|r| r.name.clone()).collect();
    let mut waiting: HashMap<String, RepositoryRow> =
        repos.into_iter().map(|r| (r.name.clone(), r)).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut order = Vec::new();
    loop {
        let mut ready: Vec<String> = waiting
            .values()
            .filter(|r| {
                r.upstreams
                    .iter()
                    .all(|u| done.contains(u) || !names.contains(u))
            })
            .map(|r| r.name.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        ready.sort();
        for name in ready {
            let repo = waiting
                .remove(&name)
                .expect("ready repositories are waiting");
            done.insert(name);
            order.push(Ordered::Ready(repo));
        }
    }
    let mut rest: Vec<RepositoryRow> = waiting.into_values().collect();
    rest.sort_by(|a, b| a.name.cmp(&b.name));
    order.extend(rest.into_iter().map(Ordered::InCycle));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str, upstreams: &[&str]) -> RepositoryRow {
        RepositoryRow {
            id: 0,
            domain_id: 0,
            domain_name: "d".into(),
            domain_owner: "o".into(),
            name: name.into(),
            administrator_account: "o".into(),
            description: None,
            created_ms: 0,
            upstreams: upstreams.iter().map(|u| u.to_string()).collect(),
            external_connection: None,
        }
    }

    fn names(order: &[Ordered]) -> Vec<String> {
        order
            .iter()
            .map(|o| match o {
                Ordered::Ready(r) => r.name.clone(),
                Ordered::InCycle(r) => format!("cycle:{}", r.name),
            })
            .collect()
    }

    #[test]
    fn upstreams_come_first_and_cycles_last() {
        let order = upstreams_first(vec![
            repo("a", &["c", "b"]),
            repo("b", &["c"]),
            repo("c", &[]),
            repo("d", &["gone"]),
            repo("x", &["y"]),
            repo("y", &["x"]),
            repo("z", &["x"]),
        ]);
        assert_eq!(
            names(&order),
            ["c", "d", "b", "a", "cycle:x", "cycle:y", "cycle:z"]
        );
    }
}
