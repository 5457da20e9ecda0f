//! DescribePackageVersion and the batch operations on versions.

use arca_service::{Caller, CopyRequest, PackageRef, RepoRef, Service, VersionSelection};
use serde_json::json;

use super::{json, json_bytes, ApiResult};
use crate::operation::{
    CopyInput, DeleteVersionsInput, DisposeInput, ListDependenciesInput, UpdateStatusInput,
    VersionInput,
};
use crate::wire::{WireBatch, WireDependency, WireDescribeVersionAnswer, WireVersionDescription};

pub async fn handle_describe_package_version(
    svc: &Service,
    caller: &Caller,
    i: VersionInput,
) -> ApiResult {
    let v = svc
        .describe_package_version(caller, &i.version_ref())
        .await?;
    let answer = WireDescribeVersionAnswer {
        package_version: WireVersionDescription::from(&v),
    };
    json_bytes(answer.to_json())
}

pub async fn handle_list_package_version_dependencies(
    svc: &Service,
    caller: &Caller,
    i: ListDependenciesInput,
) -> ApiResult {
    let l = svc
        .list_package_version_dependencies(
            caller,
            &i.version.version_ref(),
            i.next_token.as_deref(),
        )
        .await?;
    let dependencies: Vec<_> = l.dependencies.iter().map(WireDependency::from).collect();
    json(&json!({
        "format": l.format.as_str(),
        "namespace": l.namespace,
        "package": l.package,
        "version": l.version,
        "versionRevision": l.version_revision,
        "nextToken": l.next_token,
        "dependencies": dependencies,
    }))
}

pub async fn handle_get_package_version_readme(
    svc: &Service,
    caller: &Caller,
    i: VersionInput,
) -> ApiResult {
    let r = svc
        .get_package_version_readme(caller, &i.version_ref())
        .await?;
    json(&json!({
        "format": r.format.as_str(),
        "namespace": r.namespace,
        "package": r.package,
        "version": r.version,
        "versionRevision": r.version_revision,
        "readme": r.readme,
    }))
}

pub async fn handle_update_package_versions_status(
    svc: &Service,
    caller: &Caller,
    i: UpdateStatusInput,
) -> ApiResult {
    let sel = VersionSelection {
        versions: i.versions,
        version_revisions: i.version_revisions,
        expected_status: i.expected_status,
    };
    let out = svc
        .update_package_versions_status(caller, &i.package.package_ref(), sel, i.target_status)
        .await?;
    json(&WireBatch::from(&out))
}

pub async fn handle_dispose_package_versions(
    svc: &Service,
    caller: &Caller,
    i: DisposeInput,
) -> ApiResult {
    let sel = VersionSelection {
        versions: i.versions,
        version_revisions: i.version_revisions,
        expected_status: i.expected_status,
    };
    let out = svc
        .dispose_package_versions(caller, &i.package.package_ref(), sel)
        .await?;
    json(&WireBatch::from(&out))
}

pub async fn handle_delete_package_versions(
    svc: &Service,
    caller: &Caller,
    i: DeleteVersionsInput,
) -> ApiResult {
    let sel = VersionSelection {
        versions: i.versions,
        version_revisions: None,
        expected_status: i.expected_status,
    };
    let out = svc
        .delete_package_versions(caller, &i.package.package_ref(), sel)
        .await?;
    json(&WireBatch::from(&out))
}

pub async fn handle_copy_package_versions(
    svc: &Service,
    caller: &Caller,
    i: CopyInput,
) -> ApiResult {
    let source = PackageRef {
        repo: RepoRef {
            domain: arca_service::DomainRef {
                name: i.domain,
                owner: i.domain_owner,
            },
            repository: i.source_repository,
        },
        format: i.format,
        namespace: i.namespace,
        package: i.package,
    };
    let req = CopyRequest {
        source,
        destination_repository: i.destination_repository,
        versions: i.versions,
        version_revisions: i.version_revisions,
        allow_overwrite: i.allow_overwrite.unwrap_or(false),
        include_from_upstream: i.include_from_upstream.unwrap_or(false),
    };
    let out = svc.copy_package_versions(caller, req).await?;
    json(&WireBatch::from(&out))
}
