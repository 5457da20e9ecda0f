//! CreateDomain, DescribeDomain, ListDomains, DeleteDomain.

use arca_service::{Caller, Service};
use serde_json::json;

use super::{json, ApiResult};
use crate::operation::{tag_pairs, CreateDomainInput, DomainInput, ListDomainsInput};
use crate::wire::WireDomainDescription;

pub async fn handle_create_domain(
    svc: &Service,
    caller: &Caller,
    i: CreateDomainInput,
) -> ApiResult {
    let d = svc
        .create_domain(
            caller,
            &i.domain.domain,
            i.encryption_key,
            tag_pairs(i.tags),
        )
        .await?;
    json(&json!({ "domain": WireDomainDescription::from(&d) }))
}

pub async fn handle_describe_domain(svc: &Service, caller: &Caller, i: DomainInput) -> ApiResult {
    let d = svc.describe_domain(caller, &i.domain_ref()).await?;
    json(&json!({ "domain": WireDomainDescription::from(&d) }))
}

pub async fn handle_list_domains(svc: &Service, caller: &Caller, i: ListDomainsInput) -> ApiResult {
    let page = svc
        .list_domains(caller, i.max_results, i.next_token.as_deref())
        .await?;
    let domains: Vec<_> = page.items.iter().map(WireDomainDescription::from).collect();
    json(&json!({ "domains": domains, "nextToken": page.next_token }))
}

pub async fn handle_delete_domain(svc: &Service, caller: &Caller, i: DomainInput) -> ApiResult {
    let d = svc.delete_domain(caller, &i.domain_ref()).await?;
    json(&json!({ "domain": WireDomainDescription::from(&d) }))
}
