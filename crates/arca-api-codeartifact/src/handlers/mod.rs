//! One `handle_<operation>` per operation, grouped by resource. Each is parse-free (the input is
//! already typed and validated): call the service, encode the answer.

mod asset;
mod domain;
mod login;
mod package;
mod package_group;
mod package_version;
mod policy;
mod repository;
mod tags;

use arca_service::{Caller, Service};
use axum::body::Body;
use axum::http::{header, HeaderValue, Response};
use serde::Serialize;

use crate::operation::Operation;
use crate::ApiError;

pub type ApiResult = Result<Response<Body>, ApiError>;

/// A 200 with a JSON body. Absent optional members are omitted, never `null`.
pub(crate) fn json<T: Serialize>(value: &T) -> ApiResult {
    let encode_err = |e: serde_json::Error| ApiError::Internal(format!("encode: {e}"));
    let mut value = serde_json::to_value(value).map_err(encode_err)?;
    if let serde_json::Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    let body = serde_json::to_vec(&value).map_err(encode_err)?;
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

/// A 200 with a JSON body already written: the answers of the hot reads (DescribePackageVersion,
/// ListPackageVersions, ListPackageVersionAssets) write themselves (`to_json` in [`crate::wire`]),
/// byte for byte as serde_json writes their structs; [`json`]'s round trip through a
/// `serde_json::Value` cost a Describe about a tenth of its instructions.
pub(crate) fn json_bytes(body: Vec<u8>) -> ApiResult {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

/// Executes a typed operation. `body` is the request body, still streaming, for the one operation
/// that takes a payload (PublishPackageVersion).
pub async fn dispatch(
    svc: &Service,
    caller: &Caller,
    op: Operation,
    body: Body,
    content_length: Option<u64>,
) -> ApiResult {
    use Operation::*;
    // Every arm boxed: the futures of the operations differ in size by tens of KiB (a publish's
    // state), and unboxed, every request's future would be as large as the largest and copied
    // whole at each move.
    match op {
        CreateDomain(i) => Box::pin(domain::handle_create_domain(svc, caller, i)).await,
        DescribeDomain(i) => Box::pin(domain::handle_describe_domain(svc, caller, i)).await,
        ListDomains(i) => Box::pin(domain::handle_list_domains(svc, caller, i)).await,
        DeleteDomain(i) => Box::pin(domain::handle_delete_domain(svc, caller, i)).await,
        CreateRepository(i) => Box::pin(repository::handle_create_repository(svc, caller, i)).await,
        DescribeRepository(i) => {
            Box::pin(repository::handle_describe_repository(svc, caller, i)).await
        }
        UpdateRepository(i) => Box::pin(repository::handle_update_repository(svc, caller, i)).await,
        AssociateExternalConnection(i) => {
            Box::pin(repository::handle_associate_external_connection(
                svc, caller, i,
            ))
            .await
        }
        DisassociateExternalConnection(i) => {
            Box::pin(repository::handle_disassociate_external_connection(
                svc, caller, i,
            ))
            .await
        }
        ListRepositories(i) => Box::pin(repository::handle_list_repositories(svc, caller, i)).await,
        ListRepositoriesInDomain(i) => {
            Box::pin(repository::handle_list_repositories_in_domain(
                svc, caller, i,
            ))
            .await
        }
        DeleteRepository(i) => Box::pin(repository::handle_delete_repository(svc, caller, i)).await,
        PublishPackageVersion(i) => {
            Box::pin(asset::handle_publish_package_version(
                svc,
                caller,
                i,
                body,
                content_length,
            ))
            .await
        }
        ListPackages(i) => Box::pin(package::handle_list_packages(svc, caller, i)).await,
        DescribePackage(i) => Box::pin(package::handle_describe_package(svc, caller, i)).await,
        DeletePackage(i) => Box::pin(package::handle_delete_package(svc, caller, i)).await,
        PutPackageOriginConfiguration(i) => {
            Box::pin(package::handle_put_package_origin_configuration(
                svc, caller, i,
            ))
            .await
        }
        ListPackageVersions(i) => {
            Box::pin(package::handle_list_package_versions(svc, caller, i)).await
        }
        DescribePackageVersion(i) => {
            Box::pin(package_version::handle_describe_package_version(
                svc, caller, i,
            ))
            .await
        }
        ListPackageVersionAssets(i) => {
            Box::pin(asset::handle_list_package_version_assets(svc, caller, i)).await
        }
        GetPackageVersionAsset(i) => {
            Box::pin(asset::handle_get_package_version_asset(svc, caller, i)).await
        }
        ListPackageVersionDependencies(i) => {
            Box::pin(package_version::handle_list_package_version_dependencies(
                svc, caller, i,
            ))
            .await
        }
        GetPackageVersionReadme(i) => {
            Box::pin(package_version::handle_get_package_version_readme(
                svc, caller, i,
            ))
            .await
        }
        UpdatePackageVersionsStatus(i) => {
            Box::pin(package_version::handle_update_package_versions_status(
                svc, caller, i,
            ))
            .await
        }
        DisposePackageVersions(i) => {
            Box::pin(package_version::handle_dispose_package_versions(
                svc, caller, i,
            ))
            .await
        }
        DeletePackageVersions(i) => {
            Box::pin(package_version::handle_delete_package_versions(
                svc, caller, i,
            ))
            .await
        }
        CopyPackageVersions(i) => {
            Box::pin(package_version::handle_copy_package_versions(
                svc, caller, i,
            ))
            .await
        }
        TagResource(i) => Box::pin(tags::handle_tag_resource(svc, caller, i)).await,
        UntagResource(i) => Box::pin(tags::handle_untag_resource(svc, caller, i)).await,
        ListTagsForResource(i) => {
            Box::pin(tags::handle_list_tags_for_resource(svc, caller, i)).await
        }
        GetAuthorizationToken(i) => {
            Box::pin(login::handle_get_authorization_token(svc, caller, i)).await
        }
        GetRepositoryEndpoint(i) => {
            Box::pin(login::handle_get_repository_endpoint(svc, caller, i)).await
        }
        CreatePackageGroup(i) => {
            Box::pin(package_group::handle_create_package_group(svc, caller, i)).await
        }
        DescribePackageGroup(i) => {
            Box::pin(package_group::handle_describe_package_group(svc, caller, i)).await
        }
        UpdatePackageGroup(i) => {
            Box::pin(package_group::handle_update_package_group(svc, caller, i)).await
        }
        DeletePackageGroup(i) => {
            Box::pin(package_group::handle_delete_package_group(svc, caller, i)).await
        }
        UpdatePackageGroupOriginConfiguration(i) => {
            Box::pin(
                package_group::handle_update_package_group_origin_configuration(svc, caller, i),
            )
            .await
        }
        ListPackageGroups(i) => {
            Box::pin(package_group::handle_list_package_groups(svc, caller, i)).await
        }
        ListSubPackageGroups(i) => {
            Box::pin(package_group::handle_list_sub_package_groups(
                svc, caller, i,
            ))
            .await
        }
        ListAllowedRepositoriesForGroup(i) => {
            Box::pin(package_group::handle_list_allowed_repositories_for_group(
                svc, caller, i,
            ))
            .await
        }
        ListAssociatedPackages(i) => {
            Box::pin(package_group::handle_list_associated_packages(
                svc, caller, i,
            ))
            .await
        }
        GetAssociatedPackageGroup(i) => {
            Box::pin(package_group::handle_get_associated_package_group(
                svc, caller, i,
            ))
            .await
        }
        PutDomainPermissionsPolicy(i) | PutRepositoryPermissionsPolicy(i) => {
            Box::pin(policy::handle_put_policy(svc, caller, i)).await
        }
        GetDomainPermissionsPolicy(i) | GetRepositoryPermissionsPolicy(i) => {
            Box::pin(policy::handle_get_policy(svc, caller, i)).await
        }
        DeleteDomainPermissionsPolicy(i) | DeleteRepositoryPermissionsPolicy(i) => {
            Box::pin(policy::handle_delete_policy(svc, caller, i)).await
        }
    }
}
