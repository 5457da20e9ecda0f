//! The ten package-group operations: CreatePackageGroup, DescribePackageGroup, UpdatePackageGroup,
//! DeletePackageGroup, UpdatePackageGroupOriginConfiguration, ListPackageGroups,
//! ListSubPackageGroups, ListAllowedRepositoriesForGroup, ListAssociatedPackages,
//! GetAssociatedPackageGroup.

use arca_service::{Caller, PackageGroupDescription, Page, Service};
use serde_json::json;

use super::{json, ApiResult};
use crate::operation::{
    tag_pairs, CreatePackageGroupInput, GetAssociatedPackageGroupInput,
    ListAllowedRepositoriesInput, ListAssociatedPackagesInput, ListPackageGroupsInput,
    ListSubPackageGroupsInput, PackageGroupInput, UpdatePackageGroupInput,
    UpdatePackageGroupOriginInput,
};
use crate::wire::{allowed_repository_updates, WireAssociatedPackage, WirePackageGroup};

fn one(g: &PackageGroupDescription) -> ApiResult {
    json(&json!({ "packageGroup": WirePackageGroup::from(g) }))
}

fn page(p: &Page<PackageGroupDescription>) -> ApiResult {
    let groups: Vec<_> = p.items.iter().map(WirePackageGroup::from).collect();
    json(&json!({ "packageGroups": groups, "nextToken": p.next_token }))
}

pub async fn handle_create_package_group(
    svc: &Service,
    caller: &Caller,
    i: CreatePackageGroupInput,
) -> ApiResult {
    let d = i.domain.domain_ref();
    let g = svc
        .create_package_group(
            caller,
            &d,
            &i.package_group,
            i.contact_info,
            i.description,
            tag_pairs(i.tags),
        )
        .await?;
    one(&g)
}

pub async fn handle_describe_package_group(
    svc: &Service,
    caller: &Caller,
    i: PackageGroupInput,
) -> ApiResult {
    let g = svc
        .describe_package_group(caller, &i.domain.domain_ref(), &i.package_group)
        .await?;
    one(&g)
}

pub async fn handle_update_package_group(
    svc: &Service,
    caller: &Caller,
    i: UpdatePackageGroupInput,
) -> ApiResult {
    let g = svc
        .update_package_group(
            caller,
            &i.domain.domain_ref(),
            &i.package_group,
            i.contact_info.as_deref(),
            i.description.as_deref(),
        )
        .await?;
    one(&g)
}

pub async fn handle_delete_package_group(
    svc: &Service,
    caller: &Caller,
    i: PackageGroupInput,
) -> ApiResult {
    let g = svc
        .delete_package_group(caller, &i.domain.domain_ref(), &i.package_group)
        .await?;
    one(&g)
}

pub async fn handle_update_package_group_origin_configuration(
    svc: &Service,
    caller: &Caller,
    mut i: UpdatePackageGroupOriginInput,
) -> ApiResult {
    let (restrictions, add, remove) = (i.restrictions()?, i.add(), i.remove());
    let (g, updates) = svc
        .update_package_group_origin_configuration(
            caller,
            &i.domain.domain_ref(),
            &i.package_group,
            &restrictions,
            &add,
            &remove,
        )
        .await?;
    json(&json!({
        "packageGroup": WirePackageGroup::from(&g),
        "allowedRepositoryUpdates": allowed_repository_updates(&updates),
    }))
}

pub async fn handle_list_package_groups(
    svc: &Service,
    caller: &Caller,
    i: ListPackageGroupsInput,
) -> ApiResult {
    let p = svc
        .list_package_groups(
            caller,
            &i.domain.domain_ref(),
            i.prefix.as_deref(),
            i.max_results,
            i.next_token.as_deref(),
        )
        .await?;
    page(&p)
}

pub async fn handle_list_sub_package_groups(
    svc: &Service,
    caller: &Caller,
    i: ListSubPackageGroupsInput,
) -> ApiResult {
    let p = svc
        .list_sub_package_groups(
            caller,
            &i.domain.domain_ref(),
            &i.package_group,
            i.max_results,
            i.next_token.as_deref(),
        )
        .await?;
    page(&p)
}

pub async fn handle_list_allowed_repositories_for_group(
    svc: &Service,
    caller: &Caller,
    i: ListAllowedRepositoriesInput,
) -> ApiResult {
    let p = svc
        .list_allowed_repositories_for_group(
            caller,
            &i.domain.domain_ref(),
            &i.package_group,
            i.origin_restriction_type,
            i.max_results,
            i.next_token.as_deref(),
        )
        .await?;
    json(&json!({ "allowedRepositories": p.items, "nextToken": p.next_token }))
}

pub async fn handle_list_associated_packages(
    svc: &Service,
    caller: &Caller,
    i: ListAssociatedPackagesInput,
) -> ApiResult {
    let p = svc
        .list_associated_packages(
            caller,
            &i.domain.domain_ref(),
            &i.package_group,
            i.preview.unwrap_or(false),
            i.max_results,
            i.next_token.as_deref(),
        )
        .await?;
    let packages: Vec<_> = p.items.iter().map(WireAssociatedPackage::from).collect();
    json(&json!({ "packages": packages, "nextToken": p.next_token }))
}

pub async fn handle_get_associated_package_group(
    svc: &Service,
    caller: &Caller,
    i: GetAssociatedPackageGroupInput,
) -> ApiResult {
    let (g, association) = svc
        .get_associated_package_group(
            caller,
            &i.domain.domain_ref(),
            i.format,
            i.namespace.as_deref(),
            &i.package,
        )
        .await?;
    json(&json!({
        "packageGroup": WirePackageGroup::from(&g),
        "associationType": association.as_str(),
    }))
}
