//! CreateRepository, DescribeRepository, UpdateRepository, ListRepositories, ListRepositoriesInDomain,
//! DeleteRepository. Upstream lists are validated and stored; native reads resolve them (`upstream`).

use std::collections::HashSet;

use arca_metadata::{DomainRow, NewRepository, RepositoryFilter, RepositoryRow, StoreError};
use serde::{Deserialize, Serialize};

use crate::{
    arn, now_ms, page_size, split_page, Caller, DomainRef, Page, RepoRef, RepositoryDescription,
    ResourceType, Service, ServiceError, ServiceResult,
};

#[derive(Serialize, Deserialize)]
struct RepoCursor {
    name: String,
    domain: String,
}

/// Filters of the two repository listings.
#[derive(Debug, Clone, Default)]
pub struct RepositoryListing {
    pub administrator_account: Option<String>,
    pub prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

pub(crate) fn repo_not_found(name: &str, domain: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Repository,
        name,
        format!("Repository not found: {name} in domain {domain}"),
    )
}

impl Service {
    pub(crate) async fn resolve_repo(
        &self,
        caller: &Caller,
        r: &RepoRef,
    ) -> ServiceResult<(DomainRow, RepositoryRow)> {
        let domain = self.resolve_domain(caller, &r.domain).await?;
        let repo = self.find_repo(&domain, &r.repository).await?;
        Ok((domain, repo))
    }

    async fn find_repo(&self, domain: &DomainRow, name: &str) -> ServiceResult<RepositoryRow> {
        crate::coords::check_text("repository name", name)?;
        let key = format!("{}\0{name}", domain.id);
        self.kept
            .repositories
            .get_or_load(key, || async {
                Ok::<_, ServiceError>(self.store.get_repository(domain.id, name).await?)
            })
            .await?
            .ok_or_else(|| repo_not_found(name, &domain.name))
    }

    pub(crate) fn repo_arn(&self, r: &RepositoryRow) -> String {
        arn::repository(
            &self.config.region,
            &r.domain_owner,
            &r.domain_name,
            &r.name,
        )
    }

    pub(crate) fn describe_repo(&self, r: &RepositoryRow) -> RepositoryDescription {
        RepositoryDescription {
            name: r.name.clone(),
            administrator_account: r.administrator_account.clone(),
            domain_name: r.domain_name.clone(),
            domain_owner: r.domain_owner.clone(),
            arn: self.repo_arn(r),
            description: r.description.clone(),
            upstreams: r.upstreams.clone(),
            external_connection: r.external_connection.as_ref().map(|name| {
                let format = crate::upstream::connections::connection_format(name)
                    .unwrap_or(arca_metadata::PackageFormat::Generic);
                (name.clone(), format)
            }),
            created_ms: r.created_ms,
        }
    }

    /// Upstreams must be distinct existing repositories of the domain, not the repository itself, and
    /// at most `max_upstreams` of them.
    async fn check_upstreams(
        &self,
        domain: &DomainRow,
        repo_name: &str,
        upstreams: &[String],
    ) -> ServiceResult<()> {
        let max = self.config.limits.max_upstreams;
        if upstreams.len() > max {
            return Err(ServiceError::quota(
                ResourceType::Repository,
                repo_name,
                format!(
                    "A repository can have at most {max} upstream repositories; {} were given.",
                    upstreams.len()
                ),
            ));
        }
        let mut seen = HashSet::new();
        for u in upstreams {
            if u == repo_name {
                return Err(ServiceError::validation(format!(
                    "Repository {repo_name} cannot be an upstream of itself."
                )));
            }
            if !seen.insert(u) {
                return Err(ServiceError::validation(format!(
                    "Upstream repository {u} is listed more than once."
                )));
            }
            self.find_repo(domain, u).await?;
        }
        Ok(())
    }

    pub async fn create_repository(
        &self,
        caller: &Caller,
        r: &RepoRef,
        description: Option<String>,
        upstreams: Vec<String>,
        tags: Vec<(String, String)>,
    ) -> ServiceResult<RepositoryDescription> {
        let domain = self.resolve_domain(caller, &r.domain).await?;
        self.check_tag_count(&tags, &r.repository)?;
        self.check_upstreams(&domain, &r.repository, &upstreams)
            .await?;
        let new = NewRepository {
            domain_id: domain.id,
            name: r.repository.clone(),
            administrator_account: caller.account.clone(),
            description,
            created_ms: now_ms(),
            upstreams,
            arn: arn::repository(
                &self.config.region,
                &domain.owner,
                &domain.name,
                &r.repository,
            ),
            tags,
        };
        match self.store.create_repository(&new).await {
            Ok(row) => Ok(self.describe_repo(&row)),
            Err(StoreError::AlreadyExists) => Err(ServiceError::conflict(
                ResourceType::Repository,
                &r.repository,
                format!(
                    "Repository already exists: {} in domain {}",
                    r.repository, domain.name
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn describe_repository(
        &self,
        caller: &Caller,
        r: &RepoRef,
    ) -> ServiceResult<RepositoryDescription> {
        let (_, repo) = self.resolve_repo(caller, r).await?;
        Ok(self.describe_repo(&repo))
    }

    pub async fn update_repository(
        &self,
        caller: &Caller,
        r: &RepoRef,
        description: Option<String>,
        upstreams: Option<Vec<String>>,
    ) -> ServiceResult<RepositoryDescription> {
        let (domain, repo) = self.resolve_repo(caller, r).await?;
        if let Some(u) = &upstreams {
            self.check_upstreams(&domain, &repo.name, u).await?;
        }
        let row = self
            .store
            .update_repository(repo.id, description.as_deref(), upstreams.as_deref())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::not_found(
                    ResourceType::Repository,
                    &repo.name,
                    format!("Repository not found: {}", repo.name),
                ),
                e => e.into(),
            })?;
        Ok(self.describe_repo(&row))
    }

    pub async fn list_repositories(
        &self,
        caller: &Caller,
        domain: Option<&DomainRef>,
        listing: RepositoryListing,
    ) -> ServiceResult<Page<RepositoryDescription>> {
        let (op, scope, domain_id) = match domain {
            Some(d) => {
                let row = self.resolve_domain(caller, d).await?;
                (
                    "ListRepositoriesInDomain",
                    format!("{}", row.id),
                    Some(row.id),
                )
            }
            None => ("ListRepositories", caller.account.clone(), None),
        };
        let limit = page_size(listing.max_results, 50);
        let after = match &listing.next_token {
            Some(t) => {
                let c: RepoCursor = self.pager.decode(op, &scope, t)?;
                Some((c.name, c.domain))
            }
            None => None,
        };
        let filter = RepositoryFilter {
            domain_id,
            domain_owner: Some(caller.account.clone()),
            administrator_account: match domain {
                Some(_) => listing.administrator_account.clone(),
                None => Some(caller.account.clone()),
            },
            name_prefix: listing.prefix.clone(),
            after,
        };
        let rows = self.store.list_repositories(&filter, limit + 1).await?;
        let (rows, more) = split_page(rows, limit);
        let next_token = match (more, rows.last()) {
            (true, Some(last)) => Some(self.pager.encode(
                op,
                &scope,
                &RepoCursor {
                    name: last.name.clone(),
                    domain: last.domain_name.clone(),
                },
            )),
            _ => None,
        };
        Ok(Page {
            items: rows.iter().map(|r| self.describe_repo(r)).collect(),
            next_token,
        })
    }

    pub async fn delete_repository(
        &self,
        caller: &Caller,
        r: &RepoRef,
    ) -> ServiceResult<RepositoryDescription> {
        let (_, repo) = self.resolve_repo(caller, r).await?;
        let desc = self.describe_repo(&repo);
        match self.store.delete_repository(repo.id, &desc.arn).await {
            Ok(()) => Ok(desc),
            Err(StoreError::Conflict(_)) => {
                let users = self
                    .store
                    .downstreams_of(repo.domain_id, &repo.name)
                    .await
                    .unwrap_or_default();
                Err(ServiceError::conflict(
                    ResourceType::Repository,
                    &repo.name,
                    format!(
                        "Repository {} is an upstream of {}; remove it from their upstreams first.",
                        repo.name,
                        users.join(", ")
                    ),
                ))
            }
            Err(StoreError::NotFound) => Err(ServiceError::not_found(
                ResourceType::Repository,
                &repo.name,
                format!("Repository not found: {}", repo.name),
            )),
            Err(e) => Err(e.into()),
        }
    }
}
