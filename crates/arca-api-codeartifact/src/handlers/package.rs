//! ListPackages, DescribePackage, DeletePackage, PutPackageOriginConfiguration,
//! ListPackageVersions.

use arca_service::{Caller, PackageListing, Service, VersionListing};
use serde_json::json;

use super::{json, json_bytes, ApiResult};
use crate::operation::{
    ListPackageVersionsInput, ListPackagesInput, PackageInput, PutPackageOriginInput, RepoInput,
};
use crate::wire::{WirePackage, WireVersionSummary, WireVersionsAnswer};

pub async fn handle_list_packages(
    svc: &Service,
    caller: &Caller,
    i: ListPackagesInput,
) -> ApiResult {
    let repo = RepoInput {
        domain: i.domain,
        domain_owner: i.domain_owner,
        repository: i.repository,
    };
    let listing = PackageListing {
        format: i.format,
        namespace: i.namespace,
        package_prefix: i.package_prefix,
        publish: i.publish,
        upstream: i.upstream,
        max_results: i.max_results,
        next_token: i.next_token,
    };
    let page = svc.list_packages(caller, &repo.repo_ref(), listing).await?;
    let packages: Vec<_> = page.items.iter().map(WirePackage::summary).collect();
    json(&json!({ "packages": packages, "nextToken": page.next_token }))
}

pub async fn handle_describe_package(svc: &Service, caller: &Caller, i: PackageInput) -> ApiResult {
    let p = svc.describe_package(caller, &i.package_ref()).await?;
    json(&json!({ "package": WirePackage::description(&p) }))
}

pub async fn handle_delete_package(svc: &Service, caller: &Caller, i: PackageInput) -> ApiResult {
    let p = svc.delete_package(caller, &i.package_ref()).await?;
    json(&json!({ "deletedPackage": WirePackage::summary(&p) }))
}

pub async fn handle_put_package_origin_configuration(
    svc: &Service,
    caller: &Caller,
    i: PutPackageOriginInput,
) -> ApiResult {
    let r = &i.restrictions;
    let p = svc
        .put_package_origin_configuration(caller, &i.package.package_ref(), r.publish, r.upstream)
        .await?;
    let wire = WirePackage::description(&p);
    json(&json!({ "originConfiguration": wire.origin_configuration }))
}

pub async fn handle_list_package_versions(
    svc: &Service,
    caller: &Caller,
    i: ListPackageVersionsInput,
) -> ApiResult {
    let listing = VersionListing {
        status: i.status,
        origin_type: i.origin_type(),
        sort_by_published_time: i.sort_by.as_deref() == Some("PUBLISHED_TIME"),
        max_results: i.max_results,
        next_token: i.next_token.clone(),
    };
    let l = svc
        .list_package_versions(caller, &i.package.package_ref(), listing)
        .await?;
    let answer = WireVersionsAnswer {
        default_display_version: l.default_display_version,
        format: l.format.as_str(),
        namespace: l.namespace,
        package: l.package,
        versions: l.versions.iter().map(WireVersionSummary::from).collect(),
        next_token: l.next_token,
    };
    json_bytes(answer.to_json())
}
