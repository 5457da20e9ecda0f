//! Package groups (`upstreams-formats-permissions.md` §A8): the ten operations, association, and
//! the restrictions every publish and upstream path checks (`enforce.rs`).
//!
//! `pattern.rs` parses and matches patterns (pure); `index.rs` is one domain's groups in memory
//! (association, parents, effective modes). Each use reads the domain's group revision from the
//! store (one point read) and rebuilds the cached index when it moved, so a change made through
//! any replica applies at once everywhere.

mod enforce;
mod index;
mod ops;
pub mod pattern;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arca_metadata::{
    DomainRow, GroupMode, GroupRestriction, NewPackageGroup, StoreError, ROOT_GROUP_PATTERN,
};

pub(crate) use enforce::refusal;
pub use enforce::Via;
pub use index::AssociationType;
use index::GroupIndex;
pub use ops::{
    AllowedRepositoryUpdate, AssociatedPackage, GroupReference, PackageGroupDescription,
    RestrictionDescription,
};

use crate::{arn, Service, ServiceResult};

/// Groups read per page when an index is built.
const LOAD_PAGE: u32 = 1000;

/// The cached indexes, by domain id.
#[derive(Debug, Default)]
pub(crate) struct GroupCache {
    by_domain: Mutex<HashMap<i64, Arc<GroupIndex>>>,
}

impl Service {
    /// The domain's groups as of now.
    pub(crate) async fn group_index(&self, domain: &DomainRow) -> ServiceResult<Arc<GroupIndex>> {
        self.group_index_of(domain.id, &domain.owner, &domain.name)
            .await
    }

    /// The groups of the domain `domain_id` (`owner`/`name`) as of now: the cached index if the
    /// store's revision has not moved, else a fresh one (the root group is added first if the
    /// domain lacks it: a domain created by a release without groups).
    pub(crate) async fn group_index_of(
        &self,
        domain_id: i64,
        owner: &str,
        name: &str,
    ) -> ServiceResult<Arc<GroupIndex>> {
        let revision = self.store.package_groups_revision(domain_id).await?;
        if let Some(ix) = self.group_cache.by_domain.lock().unwrap().get(&domain_id) {
            if ix.revision == revision {
                return Ok(ix.clone());
            }
        }
        let (revision, rows) = self.load_groups(domain_id, owner, name, revision).await?;
        let allowed = self.store.domain_allowed_repositories(domain_id).await?;
        let ix = Arc::new(GroupIndex::build(revision, rows, &allowed));
        let mut cache = self.group_cache.by_domain.lock().unwrap();
        // Keep the newest of racing builds.
        if cache.get(&domain_id).is_none_or(|c| c.revision <= revision) {
            cache.insert(domain_id, ix.clone());
        }
        Ok(ix)
    }

    async fn load_groups(
        &self,
        domain_id: i64,
        owner: &str,
        name: &str,
        mut revision: i64,
    ) -> ServiceResult<(i64, Vec<arca_metadata::PackageGroupRow>)> {
        for _ in 0..2 {
            let mut rows = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = self
                    .store
                    .list_package_groups(domain_id, "", after.as_deref(), LOAD_PAGE)
                    .await?;
                let full = page.len() == LOAD_PAGE as usize;
                after = page.last().map(|g| g.pattern.clone());
                rows.extend(page);
                if !full {
                    break;
                }
            }
            // A group written after the revision was read only makes the next use rebuild.
            if rows.iter().any(|g| g.pattern == ROOT_GROUP_PATTERN) {
                return Ok((revision, rows));
            }
            if let Some(domain) = self.store.get_domain(owner, name).await? {
                self.create_root_group(&domain).await?;
            }
            revision = self.store.package_groups_revision(domain_id).await?;
        }
        Err(crate::ServiceError::Internal(
            "the root package group could not be created".into(),
        ))
    }

    /// The root group of a domain created without one.
    async fn create_root_group(&self, domain: &DomainRow) -> ServiceResult<()> {
        let new = NewPackageGroup {
            domain_id: domain.id,
            pattern: ROOT_GROUP_PATTERN.into(),
            created_ms: domain.created_ms,
            contact_info: None,
            description: None,
            modes: [GroupMode::Allow; 3],
            arn: self.group_arn(domain, ROOT_GROUP_PATTERN),
            tags: Vec::new(),
        };
        match self.store.create_package_group(&new).await {
            Ok(_) | Err(StoreError::AlreadyExists) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn group_arn(&self, domain: &DomainRow, pattern: &str) -> String {
        arn::package_group(&self.config.region, &domain.owner, &domain.name, pattern)
    }
}

/// The restriction types in wire order.
pub(crate) const RESTRICTIONS: [GroupRestriction; 3] = GroupRestriction::ALL;
