//! GetAuthorizationToken and GetRepositoryEndpoint: the two calls `aws codeartifact login` makes
//! before it configures a package manager.

use arca_service::{Caller, Service};

use super::{json, ApiResult};
use crate::operation::{GetAuthorizationTokenInput, GetRepositoryEndpointInput};
use crate::wire::{WireAuthorizationToken, WireRepositoryEndpoint};

pub async fn handle_get_authorization_token(
    svc: &Service,
    caller: &Caller,
    i: GetAuthorizationTokenInput,
) -> ApiResult {
    let t = svc
        .get_authorization_token(caller, &i.domain.domain_ref(), i.duration_seconds)
        .await?;
    json(&WireAuthorizationToken::from(&t))
}

pub async fn handle_get_repository_endpoint(
    svc: &Service,
    caller: &Caller,
    i: GetRepositoryEndpointInput,
) -> ApiResult {
    let url = svc
        .get_repository_endpoint(caller, &i.repo.repo_ref(), i.format)
        .await?;
    json(&WireRepositoryEndpoint {
        repository_endpoint: url,
    })
}
