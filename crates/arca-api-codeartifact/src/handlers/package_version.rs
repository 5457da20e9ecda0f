//! DescribePackageVersion and the batch operations on versions.

use arca_service::{Caller, CopyRequest, PackageRef, RepoRef, Service, VersionSelection};
use serde_json::json;

use super::{json, ApiResult};
use crate::operation::{
    CopyInput, DeleteVersionsInput, DisposeInput, UpdateStatusInput, VersionInput,
};
use crate::wire::{WireBatch, WireVersionDescription};

pub async fn handle_describe_package_version(
    svc: &Service,
    caller: &Caller,
    i: VersionInput,
) -> ApiResult {
    let v = svc
        .describe_package_version(caller, &i.version_ref())
        .await?;
    json(&json!({ "packageVersion": WireVersionDescription::from(&v) }))
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
    };
    let out = svc.copy_package_versions(caller, req).await?;
    json(&WireBatch::from(&out))
}
