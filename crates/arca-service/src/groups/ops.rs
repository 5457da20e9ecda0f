//! The ten package-group operations (`upstreams-formats-permissions.md` §A8.4).

use std::collections::BTreeMap;
use std::sync::Arc;

use arca_metadata::{
    DomainPackage, DomainRow, GroupMode, GroupRestriction, NewPackageGroup, PackageFormat,
    PackageGroupOriginChange, StoreError,
};
use serde::{Deserialize, Serialize};

use super::index::{AssociationType, GroupIndex};
use super::pattern::Pattern;
use crate::{
    coords, now_ms, page_size, Caller, DomainRef, Page, ResourceType, Service, ServiceError,
    ServiceResult,
};

/// `PackageGroupReference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupReference {
    pub arn: String,
    pub pattern: String,
}

/// `PackageGroupOriginRestriction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestrictionDescription {
    pub mode: GroupMode,
    /// Never INHERIT.
    pub effective_mode: GroupMode,
    /// The group that supplied `effective_mode`, when `mode` is INHERIT.
    pub inherited_from: Option<GroupReference>,
    /// Repositories in this group's own list for the type.
    pub repositories_count: i64,
}

/// `PackageGroupDescription` (and `PackageGroupSummary`, which has the same members).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageGroupDescription {
    pub arn: String,
    pub pattern: String,
    pub domain_name: String,
    pub domain_owner: String,
    pub created_ms: i64,
    pub contact_info: Option<String>,
    pub description: Option<String>,
    pub restrictions: Vec<(GroupRestriction, RestrictionDescription)>,
    pub parent: Option<GroupReference>,
}

/// The repositories an UpdatePackageGroupOriginConfiguration added to and removed from one
/// type's list (`allowedRepositoryUpdates`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedRepositoryUpdate {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// `AssociatedPackage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociatedPackage {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
    pub association_type: AssociationType,
}

#[derive(Serialize, Deserialize)]
struct PatternCursor {
    after: String,
}

#[derive(Serialize, Deserialize)]
struct PackageCursor {
    format: String,
    namespace: String,
    name: String,
}

/// Packages read per store call while looking for a group's associated packages, and at most
/// how many one page looks through before answering (with a token to go on).
const SCAN_CHUNK: u32 = 500;
const SCAN_PER_PAGE: usize = 20_000;

fn group_not_found(pattern: &str, domain: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::PackageGroup,
        pattern,
        format!("Package group not found: {pattern} (domain {domain})"),
    )
}

/// A group gone meanwhile is the group's 404.
fn group_write_error(e: StoreError, pattern: &str, domain: &str) -> ServiceError {
    match e {
        StoreError::NotFound => group_not_found(pattern, domain),
        e => e.into(),
    }
}

impl Service {
    fn group_reference(&self, domain: &DomainRow, ix: &GroupIndex, g: usize) -> GroupReference {
        let pattern = ix.groups[g].row.pattern.clone();
        GroupReference {
            arn: self.group_arn(domain, &pattern),
            pattern,
        }
    }

    fn describe_group(
        &self,
        domain: &DomainRow,
        ix: &GroupIndex,
        g: usize,
    ) -> PackageGroupDescription {
        let row = &ix.groups[g].row;
        let restrictions = super::RESTRICTIONS
            .iter()
            .map(|&t| {
                let e = ix.effective(g, t);
                let mode = row.mode(t);
                (
                    t,
                    RestrictionDescription {
                        mode,
                        effective_mode: e.mode,
                        inherited_from: (mode == GroupMode::Inherit)
                            .then(|| self.group_reference(domain, ix, e.from)),
                        repositories_count: ix.allowed_count(g, t) as i64,
                    },
                )
            })
            .collect();
        PackageGroupDescription {
            arn: self.group_arn(domain, &row.pattern),
            pattern: row.pattern.clone(),
            domain_name: domain.name.clone(),
            domain_owner: domain.owner.clone(),
            created_ms: row.created_ms,
            contact_info: row.contact_info.clone(),
            description: row.description.clone(),
            restrictions,
            parent: ix.groups[g]
                .parent
                .map(|p| self.group_reference(domain, ix, p)),
        }
    }

    /// The domain, its index and the group named by `pattern` (parsed: a malformed one is a
    /// ValidationException, an unknown one NotFound).
    async fn find_group(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
    ) -> ServiceResult<(DomainRow, Arc<GroupIndex>, usize)> {
        let domain = self.resolve_domain(caller, d).await?;
        let parsed = Pattern::parse(pattern)?;
        let ix = self.group_index(&domain).await?;
        match ix.get(&parsed) {
            Some(g) => Ok((domain, ix, g)),
            None => Err(group_not_found(&parsed.to_string(), &domain.name)),
        }
    }

    /// The description of the group `pattern` as stored now.
    async fn describe_fresh(
        &self,
        domain: &DomainRow,
        pattern: &str,
    ) -> ServiceResult<PackageGroupDescription> {
        let ix = self.group_index(domain).await?;
        let parsed = Pattern::parse(pattern)?;
        let g = ix
            .get(&parsed)
            .ok_or_else(|| group_not_found(pattern, &domain.name))?;
        Ok(self.describe_group(domain, &ix, g))
    }

    pub async fn create_package_group(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
        contact_info: Option<String>,
        description: Option<String>,
        tags: Vec<(String, String)>,
    ) -> ServiceResult<PackageGroupDescription> {
        let domain = self.resolve_domain(caller, d).await?;
        let canonical = Pattern::parse(pattern)?.to_string();
        self.check_tag_count(&tags, &canonical)?;
        let new = NewPackageGroup {
            domain_id: domain.id,
            pattern: canonical.clone(),
            created_ms: now_ms(),
            contact_info,
            description,
            modes: [GroupMode::Inherit; 3],
            arn: self.group_arn(&domain, &canonical),
            tags,
        };
        match self.store.create_package_group(&new).await {
            Ok(_) => {}
            Err(StoreError::AlreadyExists) => {
                return Err(ServiceError::conflict(
                    ResourceType::PackageGroup,
                    &canonical,
                    format!(
                        "Package group {canonical} already exists in domain {}.",
                        domain.name
                    ),
                ))
            }
            Err(StoreError::NotFound) => {
                return Err(crate::domains::domain_not_found(
                    &domain.name,
                    &domain.owner,
                ))
            }
            Err(e) => return Err(e.into()),
        }
        self.describe_fresh(&domain, &canonical).await
    }

    pub async fn describe_package_group(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
    ) -> ServiceResult<PackageGroupDescription> {
        let (domain, ix, g) = self.find_group(caller, d, pattern).await?;
        Ok(self.describe_group(&domain, &ix, g))
    }

    /// Contact info and description; `None` leaves a field as it is.
    pub async fn update_package_group(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
        contact_info: Option<&str>,
        description: Option<&str>,
    ) -> ServiceResult<PackageGroupDescription> {
        let (domain, ix, g) = self.find_group(caller, d, pattern).await?;
        let row = &ix.groups[g].row;
        self.store
            .update_package_group(row.id, contact_info, description)
            .await
            .map_err(|e| group_write_error(e, &row.pattern, &domain.name))?;
        self.describe_fresh(&domain, &row.pattern).await
    }

    /// Deletes the group (not the root); its children take its parent. Answers the group as it
    /// was.
    pub async fn delete_package_group(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
    ) -> ServiceResult<PackageGroupDescription> {
        let (domain, ix, g) = self.find_group(caller, d, pattern).await?;
        if ix.groups[g].pattern == Pattern::All {
            return Err(ServiceError::validation(
                "The root package group /* cannot be deleted; it can only be updated.",
            ));
        }
        let described = self.describe_group(&domain, &ix, g);
        self.store
            .delete_package_group(ix.groups[g].row.id, &described.arn)
            .await
            .map_err(|e| group_write_error(e, &described.pattern, &domain.name))?;
        Ok(described)
    }

    /// UpdatePackageGroupOriginConfiguration: modes, then the allowed-repository lists.
    pub async fn update_package_group_origin_configuration(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
        restrictions: &[(GroupRestriction, GroupMode)],
        add: &[(String, GroupRestriction)],
        remove: &[(String, GroupRestriction)],
    ) -> ServiceResult<(
        PackageGroupDescription,
        BTreeMap<GroupRestriction, AllowedRepositoryUpdate>,
    )> {
        let (domain, ix, g) = self.find_group(caller, d, pattern).await?;
        let row = &ix.groups[g].row;
        let mut change = PackageGroupOriginChange::default();
        for &(t, mode) in restrictions {
            if mode == GroupMode::Inherit && ix.groups[g].parent.is_none() {
                return Err(ServiceError::validation(format!(
                    "The root package group /* has no parent to inherit {} from: its mode must \
                     be ALLOW, BLOCK or ALLOW_SPECIFIC_REPOSITORIES.",
                    t.as_str()
                )));
            }
            change.modes[t.index()] = Some(mode);
        }
        let mut updates: BTreeMap<GroupRestriction, AllowedRepositoryUpdate> = BTreeMap::new();
        for (list, adding) in [(remove, false), (add, true)] {
            for (name, t) in list {
                let repo = self
                    .store
                    .get_repository(domain.id, name)
                    .await?
                    .ok_or_else(|| crate::repositories::repo_not_found(name, &domain.name))?;
                let update = updates.entry(*t).or_default();
                let (names, entries) = match adding {
                    true => (&mut update.added, &mut change.add),
                    false => (&mut update.removed, &mut change.remove),
                };
                if !names.contains(name) {
                    names.push(name.clone());
                }
                entries.push((*t, repo.id));
            }
        }
        match self
            .store
            .update_package_group_origin(row.id, &change)
            .await
        {
            Ok(_) => {}
            // The group, or a repository, went away meanwhile.
            Err(StoreError::NotFound) => {
                return Err(ServiceError::not_found(
                    ResourceType::PackageGroup,
                    &row.pattern,
                    format!(
                        "Package group {} or one of the repositories named was not found.",
                        row.pattern
                    ),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        let described = self.describe_fresh(&domain, &row.pattern).await?;
        Ok((described, updates))
    }

    /// Groups by pattern (byte order) whose pattern starts with `prefix`.
    pub async fn list_package_groups(
        &self,
        caller: &Caller,
        d: &DomainRef,
        prefix: Option<&str>,
        max_results: Option<u32>,
        next_token: Option<&str>,
    ) -> ServiceResult<Page<PackageGroupDescription>> {
        const OP: &str = "ListPackageGroups";
        let domain = self.resolve_domain(caller, d).await?;
        let ix = self.group_index(&domain).await?;
        let prefix = prefix.unwrap_or("");
        let groups = (0..ix.groups.len()).filter(|&g| ix.groups[g].row.pattern.starts_with(prefix));
        self.group_page(OP, &domain, &ix, groups, max_results, next_token)
    }

    /// The direct children of a group, by pattern.
    pub async fn list_sub_package_groups(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
        max_results: Option<u32>,
        next_token: Option<&str>,
    ) -> ServiceResult<Page<PackageGroupDescription>> {
        const OP: &str = "ListSubPackageGroups";
        let (domain, ix, g) = self.find_group(caller, d, pattern).await?;
        let children: Vec<usize> = ix.children(g).collect();
        self.group_page(
            OP,
            &domain,
            &ix,
            children.into_iter(),
            max_results,
            next_token,
        )
    }

    fn group_page(
        &self,
        op: &str,
        domain: &DomainRow,
        ix: &GroupIndex,
        groups: impl Iterator<Item = usize>,
        max_results: Option<u32>,
        next_token: Option<&str>,
    ) -> ServiceResult<Page<PackageGroupDescription>> {
        let scope = format!("{}/{}", domain.owner, domain.name);
        let limit = page_size(max_results, 100) as usize;
        let after = next_token
            .map(|t| self.pager.decode::<PatternCursor>(op, &scope, t))
            .transpose()?
            .map(|c| c.after);
        // Index groups are sorted by pattern.
        let mut page: Vec<usize> = groups
            .filter(|&g| {
                after
                    .as_deref()
                    .is_none_or(|a| ix.groups[g].row.pattern.as_str() > a)
            })
            .take(limit + 1)
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        let next_token = match (more, page.last()) {
            (true, Some(&last)) => Some(self.pager.encode(
                op,
                &scope,
                &PatternCursor {
                    after: ix.groups[last].row.pattern.clone(),
                },
            )),
            _ => None,
        };
        Ok(Page {
            items: page
                .into_iter()
                .map(|g| self.describe_group(domain, ix, g))
                .collect(),
            next_token,
        })
    }

    pub async fn list_allowed_repositories_for_group(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
        restriction: GroupRestriction,
        max_results: Option<u32>,
        next_token: Option<&str>,
    ) -> ServiceResult<Page<String>> {
        const OP: &str = "ListAllowedRepositoriesForGroup";
        let (domain, ix, g) = self.find_group(caller, d, pattern).await?;
        let row = &ix.groups[g].row;
        let scope = format!(
            "{}/{}/{}/{}",
            domain.owner,
            domain.name,
            row.id,
            restriction.as_str()
        );
        let limit = page_size(max_results, 100);
        let after = next_token
            .map(|t| self.pager.decode::<PatternCursor>(OP, &scope, t))
            .transpose()?
            .map(|c| c.after);
        let names = self
            .store
            .list_allowed_repositories(row.id, restriction, after.as_deref(), limit + 1)
            .await?;
        let (names, more) = crate::split_page(names, limit);
        let next_token = match (more, names.last()) {
            (true, Some(last)) => Some(self.pager.encode(
                OP,
                &scope,
                &PatternCursor {
                    after: last.clone(),
                },
            )),
            _ => None,
        };
        Ok(Page {
            items: names,
            next_token,
        })
    }

    /// The group a package belongs to (it need not exist), and how.
    pub async fn get_associated_package_group(
        &self,
        caller: &Caller,
        d: &DomainRef,
        format: PackageFormat,
        namespace: Option<&str>,
        package: &str,
    ) -> ServiceResult<(PackageGroupDescription, AssociationType)> {
        let domain = self.resolve_domain(caller, d).await?;
        let key = coords::package_key(format, namespace, package)?;
        let ix = self.group_index(&domain).await?;
        let (g, t) = ix
            .associate(&key)
            .ok_or_else(|| ServiceError::Internal("domain without a root package group".into()))?;
        Ok((self.describe_group(&domain, &ix, g), t))
    }

    /// The packages of the domain (in any repository) associated with the group; with
    /// `preview`, those that would be if the group were created (it need not exist).
    pub async fn list_associated_packages(
        &self,
        caller: &Caller,
        d: &DomainRef,
        pattern: &str,
        preview: bool,
        max_results: Option<u32>,
        next_token: Option<&str>,
    ) -> ServiceResult<Page<AssociatedPackage>> {
        const OP: &str = "ListAssociatedPackages";
        let domain = self.resolve_domain(caller, d).await?;
        let parsed = Pattern::parse(pattern)?;
        let canonical = parsed.to_string();
        let mut ix = self.group_index(&domain).await?;
        let target = match ix.get(&parsed) {
            Some(g) => g,
            None if preview => {
                // The index as it would be with the group.
                let mut rows: Vec<_> = ix.groups.iter().map(|g| g.row.clone()).collect();
                rows.push(arca_metadata::PackageGroupRow {
                    id: -1,
                    domain_id: domain.id,
                    pattern: canonical.clone(),
                    created_ms: 0,
                    contact_info: None,
                    description: None,
                    modes: [GroupMode::Inherit; 3],
                });
                ix = Arc::new(GroupIndex::build(ix.revision, rows, &[]));
                ix.get(&parsed)
                    .ok_or_else(|| ServiceError::Internal("previewed group not indexed".into()))?
            }
            None => return Err(group_not_found(&canonical, &domain.name)),
        };
        let scope = format!("{}/{}/{canonical}/{preview}", domain.owner, domain.name);
        let limit = page_size(max_results, 100) as usize;
        let mut after: Option<DomainPackage> = match next_token {
            Some(t) => {
                let c = self.pager.decode::<PackageCursor>(OP, &scope, t)?;
                let format = PackageFormat::parse(&c.format)
                    .ok_or_else(|| ServiceError::validation("Invalid next token."))?;
                Some(DomainPackage {
                    format,
                    namespace: c.namespace,
                    name: c.name,
                })
            }
            None => None,
        };
        let mut items = Vec::new();
        let mut scanned = 0;
        let mut exhausted = false;
        while items.len() < limit && scanned < SCAN_PER_PAGE {
            let chunk = self
                .store
                .list_domain_packages(domain.id, parsed.format(), after.as_ref(), SCAN_CHUNK)
                .await?;
            let full = chunk.len() == SCAN_CHUNK as usize;
            for p in chunk {
                scanned += 1;
                let key = arca_metadata::PackageKey {
                    format: p.format,
                    namespace: p.namespace.clone(),
                    name: p.name.clone(),
                };
                if let Some((g, t)) = ix.associate(&key) {
                    if g == target {
                        items.push(AssociatedPackage {
                            format: p.format,
                            namespace: (!p.namespace.is_empty()).then(|| p.namespace.clone()),
                            package: p.name.clone(),
                            association_type: t,
                        });
                    }
                }
                after = Some(p);
                if items.len() == limit {
                    break;
                }
            }
            if !full && items.len() < limit {
                exhausted = true;
                break;
            }
        }
        let next_token = match (exhausted, after) {
            (false, Some(a)) => Some(self.pager.encode(
                OP,
                &scope,
                &PackageCursor {
                    format: a.format.as_str().to_string(),
                    namespace: a.namespace,
                    name: a.name,
                },
            )),
            _ => None,
        };
        Ok(Page { items, next_token })
    }
}
