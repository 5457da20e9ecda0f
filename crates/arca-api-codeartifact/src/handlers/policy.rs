//! The six permissions-policy operations: Put, Get and Delete of the domain's and a repository's.

use arca_service::{Caller, DomainRef, PolicyTarget, RepoRef, Service};

use super::{json, ApiResult};
use crate::operation::{PolicyInput, PutPolicyInput};
use crate::wire::WirePolicyOutput;
use crate::ApiError;

/// The domain, and the repository when the operation names one.
fn refs(domain: DomainRef, repository: Option<String>) -> (DomainRef, Option<RepoRef>) {
    let repo = repository.map(|repository| RepoRef {
        domain: domain.clone(),
        repository,
    });
    (domain, repo)
}

fn target<'a>(domain: &'a DomainRef, repo: &'a Option<RepoRef>) -> PolicyTarget<'a> {
    match repo {
        Some(r) => PolicyTarget::Repository(r),
        None => PolicyTarget::Domain(domain),
    }
}

pub async fn handle_put_policy(svc: &Service, caller: &Caller, i: PutPolicyInput) -> ApiResult {
    let (domain, repo) = refs(i.domain.domain_ref(), i.repository);
    let p = svc
        .put_permissions_policy(
            caller,
            target(&domain, &repo),
            &i.policy_document,
            i.policy_revision.as_deref(),
        )
        .await?;
    json(&WirePolicyOutput::from(p))
}

pub async fn handle_get_policy(svc: &Service, caller: &Caller, i: PolicyInput) -> ApiResult {
    let (domain, repo) = refs(i.domain.domain_ref(), i.repository);
    let p = svc
        .get_permissions_policy(caller, target(&domain, &repo))
        .await?;
    json(&WirePolicyOutput::from(p))
}

pub async fn handle_delete_policy(svc: &Service, caller: &Caller, i: PolicyInput) -> ApiResult {
    let (domain, repo) = refs(i.domain.domain_ref(), i.repository);
    let p = svc
        .delete_permissions_policy(caller, target(&domain, &repo), i.policy_revision.as_deref())
        .await
        .map_err(ApiError::from)?;
    json(&WirePolicyOutput::from(p))
}
