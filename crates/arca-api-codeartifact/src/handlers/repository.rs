//! CreateRepository, DescribeRepository, UpdateRepository, ListRepositories,
//! ListRepositoriesInDomain, DeleteRepository, AssociateExternalConnection,
//! DisassociateExternalConnection.

use arca_service::{Caller, RepositoryListing, Service};
use serde_json::json;

use super::{json, ApiResult};
use crate::operation::{
    tag_pairs, CreateRepositoryInput, ExternalConnectionInput, ListRepositoriesInDomainInput,
    ListRepositoriesInput, RepoInput, UpdateRepositoryInput, UpstreamInput,
};
use crate::wire::WireRepository;

fn names(u: Option<Vec<UpstreamInput>>) -> Option<Vec<String>> {
    u.map(|v| v.into_iter().map(|u| u.repository_name).collect())
}

pub async fn handle_create_repository(
    svc: &Service,
    caller: &Caller,
    i: CreateRepositoryInput,
) -> ApiResult {
    let r = svc
        .create_repository(
            caller,
            &i.repo.repo_ref(),
            i.description,
            names(i.upstreams).unwrap_or_default(),
            tag_pairs(i.tags),
        )
        .await?;
    json(&json!({ "repository": WireRepository::description(&r) }))
}

pub async fn handle_describe_repository(svc: &Service, caller: &Caller, i: RepoInput) -> ApiResult {
    let r = svc.describe_repository(caller, &i.repo_ref()).await?;
    json(&json!({ "repository": WireRepository::description(&r) }))
}

pub async fn handle_update_repository(
    svc: &Service,
    caller: &Caller,
    i: UpdateRepositoryInput,
) -> ApiResult {
    let r = svc
        .update_repository(
            caller,
            &i.repo.repo_ref(),
            i.description,
            names(i.upstreams),
        )
        .await?;
    json(&json!({ "repository": WireRepository::description(&r) }))
}

pub async fn handle_associate_external_connection(
    svc: &Service,
    caller: &Caller,
    i: ExternalConnectionInput,
) -> ApiResult {
    let r = svc
        .associate_external_connection(caller, &i.repo.repo_ref(), &i.external_connection)
        .await?;
    json(&json!({ "repository": WireRepository::description(&r) }))
}

pub async fn handle_disassociate_external_connection(
    svc: &Service,
    caller: &Caller,
    i: ExternalConnectionInput,
) -> ApiResult {
    let r = svc
        .disassociate_external_connection(caller, &i.repo.repo_ref(), &i.external_connection)
        .await?;
    json(&json!({ "repository": WireRepository::description(&r) }))
}

pub async fn handle_list_repositories(
    svc: &Service,
    caller: &Caller,
    i: ListRepositoriesInput,
) -> ApiResult {
    let listing = RepositoryListing {
        administrator_account: None,
        prefix: i.repository_prefix,
        max_results: i.max_results,
        next_token: i.next_token,
    };
    let page = svc.list_repositories(caller, None, listing).await?;
    let repos: Vec<_> = page.items.iter().map(WireRepository::summary).collect();
    json(&json!({ "repositories": repos, "nextToken": page.next_token }))
}

pub async fn handle_list_repositories_in_domain(
    svc: &Service,
    caller: &Caller,
    i: ListRepositoriesInDomainInput,
) -> ApiResult {
    let listing = RepositoryListing {
        administrator_account: i.administrator_account,
        prefix: i.repository_prefix,
        max_results: i.max_results,
        next_token: i.next_token,
    };
    let page = svc
        .list_repositories(caller, Some(&i.domain.domain_ref()), listing)
        .await?;
    let repos: Vec<_> = page.items.iter().map(WireRepository::summary).collect();
    json(&json!({ "repositories": repos, "nextToken": page.next_token }))
}

pub async fn handle_delete_repository(svc: &Service, caller: &Caller, i: RepoInput) -> ApiResult {
    let r = svc.delete_repository(caller, &i.repo_ref()).await?;
    json(&json!({ "repository": WireRepository::description(&r) }))
}
