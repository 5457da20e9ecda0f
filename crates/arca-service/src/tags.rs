//! TagResource, UntagResource, ListTagsForResource on domain, repository and package-group ARNs.

use arca_metadata::StoreError;

use crate::arn::{self, ArnResource};
use crate::groups::pattern::Pattern;
use crate::{Caller, DomainRef, RepoRef, ResourceType, Service, ServiceError, ServiceResult};

impl Service {
    pub(crate) fn check_tag_count(&self, tags: &[(String, String)], id: &str) -> ServiceResult<()> {
        let max = self.config.limits.max_tags;
        let distinct: std::collections::HashSet<&str> =
            tags.iter().map(|(k, _)| k.as_str()).collect();
        if distinct.len() > max {
            return Err(ServiceError::quota(
                ResourceType::Domain,
                id,
                format!("A resource can have at most {max} tags."),
            ));
        }
        Ok(())
    }

    /// Checks that the ARN names an existing domain or repository the caller can see; returns the
    /// canonical ARN under which its tags are stored.
    async fn resolve_arn(&self, caller: &Caller, resource_arn: &str) -> ServiceResult<String> {
        let not_found = || {
            ServiceError::not_found(
                ResourceType::Repository,
                resource_arn,
                format!("Resource not found: {resource_arn}"),
            )
        };
        let parsed = arn::parse(resource_arn)
            .ok_or_else(|| ServiceError::validation(format!("Invalid ARN: '{resource_arn}'")))?;
        if parsed.region != self.config.region || parsed.account != caller.account {
            return Err(not_found());
        }
        let owner = Some(parsed.account.clone());
        match parsed.resource {
            ArnResource::Domain { name } => {
                let row = self
                    .resolve_domain(caller, &DomainRef { name, owner })
                    .await
                    .map_err(|_| not_found())?;
                Ok(self.domain_arn(&row))
            }
            ArnResource::Repository { domain, name } => {
                let r = RepoRef {
                    domain: DomainRef {
                        name: domain,
                        owner,
                    },
                    repository: name,
                };
                let (_, repo) = self
                    .resolve_repo(caller, &r)
                    .await
                    .map_err(|_| not_found())?;
                Ok(self.repo_arn(&repo))
            }
            ArnResource::PackageGroup { domain, pattern } => {
                let domain = self
                    .resolve_domain(
                        caller,
                        &DomainRef {
                            name: domain,
                            owner,
                        },
                    )
                    .await
                    .map_err(|_| not_found())?;
                let pattern = Pattern::parse(&pattern).map_err(|_| not_found())?;
                let ix = self.group_index(&domain).await?;
                let g = ix.get(&pattern).ok_or_else(not_found)?;
                Ok(self.group_arn(&domain, &ix.groups[g].row.pattern))
            }
            ArnResource::Other => Err(not_found()),
        }
    }

    /// Removes every tag stored under these ARNs (resources that are gone).
    pub(crate) async fn forget_tags(&self, arns: &[String]) -> ServiceResult<()> {
        for arn in arns {
            let keys: Vec<String> = self
                .store
                .list_tags(arn)
                .await?
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            if !keys.is_empty() {
                self.store.untag_resource(arn, &keys).await?;
            }
        }
        Ok(())
    }

    pub async fn list_tags(
        &self,
        caller: &Caller,
        resource_arn: &str,
    ) -> ServiceResult<Vec<(String, String)>> {
        let arn = self.resolve_arn(caller, resource_arn).await?;
        Ok(self.store.list_tags(&arn).await?)
    }

    pub async fn tag_resource(
        &self,
        caller: &Caller,
        resource_arn: &str,
        tags: Vec<(String, String)>,
    ) -> ServiceResult<()> {
        let arn = self.resolve_arn(caller, resource_arn).await?;
        let max = self.config.limits.max_tags;
        match self.store.tag_resource(&arn, &tags, max).await {
            Ok(()) => Ok(()),
            Err(StoreError::LimitExceeded(_)) => Err(ServiceError::quota(
                ResourceType::Repository,
                resource_arn,
                format!("A resource can have at most {max} tags."),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn untag_resource(
        &self,
        caller: &Caller,
        resource_arn: &str,
        keys: Vec<String>,
    ) -> ServiceResult<()> {
        let arn = self.resolve_arn(caller, resource_arn).await?;
        Ok(self.store.untag_resource(&arn, &keys).await?)
    }
}
