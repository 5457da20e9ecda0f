//! Every request becomes a typed [`Operation`] before anything is executed: the model binds and
//! validates the members (see [`crate::model`]), then serde turns the validated members into the
//! operation's input struct (the hot reads take theirs member by member, see `Members`). Operations Arca does not implement yet are [`Operation::NotImplemented`].

use std::collections::BTreeMap;

use arca_service::{
    DomainRef, GroupMode, GroupRestriction, OriginRule, OriginType, PackageFormat, PackageRef,
    RepoRef, VersionRef, VersionStatus,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::ApiError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainInput {
    pub domain: String,
    pub domain_owner: Option<String>,
}

impl DomainInput {
    pub fn domain_ref(&self) -> DomainRef {
        DomainRef {
            name: self.domain.clone(),
            owner: self.domain_owner.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAuthorizationTokenInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub duration_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetRepositoryEndpointInput {
    #[serde(flatten)]
    pub repo: RepoInput,
    #[serde(deserialize_with = "de_format")]
    pub format: PackageFormat,
    /// `ipv4` or `dualstack`: Arca has one address, so both get the same URL.
    pub endpoint_type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WireRestrictionsInput {
    #[serde(deserialize_with = "de_rule")]
    pub publish: OriginRule,
    #[serde(deserialize_with = "de_rule")]
    pub upstream: OriginRule,
}

#[derive(Debug, Deserialize)]
pub struct PutPackageOriginInput {
    #[serde(flatten)]
    pub package: PackageInput,
    pub restrictions: WireRestrictionsInput,
}

fn de_rule<'de, D: serde::Deserializer<'de>>(d: D) -> Result<OriginRule, D::Error> {
    let s = String::deserialize(d)?;
    OriginRule::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("origin rule {s}")))
}

/// AssociateExternalConnection and DisassociateExternalConnection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalConnectionInput {
    #[serde(flatten)]
    pub repo: RepoInput,
    pub external_connection: String,
}

#[derive(Debug, Deserialize)]
pub struct WireTagInput {
    pub key: String,
    pub value: String,
}

pub fn tag_pairs(tags: Option<Vec<WireTagInput>>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDomainInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub encryption_key: Option<String>,
    pub tags: Option<Vec<WireTagInput>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDomainsInput {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoInput {
    pub domain: String,
    pub domain_owner: Option<String>,
    pub repository: String,
}

impl RepoInput {
    pub fn repo_ref(&self) -> RepoRef {
        RepoRef {
            domain: DomainRef {
                name: self.domain.clone(),
                owner: self.domain_owner.clone(),
            },
            repository: self.repository.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamInput {
    pub repository_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRepositoryInput {
    #[serde(flatten)]
    pub repo: RepoInput,
    pub description: Option<String>,
    pub upstreams: Option<Vec<UpstreamInput>>,
    pub tags: Option<Vec<WireTagInput>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRepositoryInput {
    #[serde(flatten)]
    pub repo: RepoInput,
    pub description: Option<String>,
    pub upstreams: Option<Vec<UpstreamInput>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRepositoriesInput {
    pub repository_prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRepositoriesInDomainInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub administrator_account: Option<String>,
    pub repository_prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

/// Coordinates shared by every package-level operation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageInput {
    pub domain: String,
    pub domain_owner: Option<String>,
    pub repository: String,
    #[serde(deserialize_with = "de_format")]
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
}

impl PackageInput {
    pub fn package_ref(&self) -> PackageRef {
        PackageRef {
            repo: RepoRef {
                domain: DomainRef {
                    name: self.domain.clone(),
                    owner: self.domain_owner.clone(),
                },
                repository: self.repository.clone(),
            },
            format: self.format,
            namespace: self.namespace.clone(),
            package: self.package.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInput {
    #[serde(flatten)]
    pub package: PackageInput,
    pub package_version: String,
}

impl VersionInput {
    pub fn version_ref(&self) -> VersionRef {
        VersionRef {
            package: self.package.package_ref(),
            version: self.package_version.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPackagesInput {
    pub domain: String,
    pub domain_owner: Option<String>,
    pub repository: String,
    #[serde(default, deserialize_with = "de_opt_format")]
    pub format: Option<PackageFormat>,
    pub namespace: Option<String>,
    pub package_prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
    #[serde(default, deserialize_with = "de_opt_rule")]
    pub publish: Option<OriginRule>,
    #[serde(default, deserialize_with = "de_opt_rule")]
    pub upstream: Option<OriginRule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPackageVersionsInput {
    #[serde(flatten)]
    pub package: PackageInput,
    #[serde(default, deserialize_with = "de_opt_status")]
    pub status: Option<VersionStatus>,
    pub sort_by: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
    pub origin_type: Option<String>,
}

impl ListPackageVersionsInput {
    pub fn origin_type(&self) -> Option<OriginType> {
        self.origin_type.as_deref().and_then(OriginType::parse)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAssetsInput {
    #[serde(flatten)]
    pub version: VersionInput,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

/// ListPackageVersionDependencies: a `next-token` but no `max-results` in the model.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDependenciesInput {
    #[serde(flatten)]
    pub version: VersionInput,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAssetInput {
    #[serde(flatten)]
    pub version: VersionInput,
    pub asset: String,
    pub package_version_revision: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishInput {
    #[serde(flatten)]
    pub version: VersionInput,
    pub asset_name: String,
    #[serde(rename = "assetSHA256")]
    pub asset_sha256: String,
    pub unfinished: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStatusInput {
    #[serde(flatten)]
    pub package: PackageInput,
    pub versions: Vec<String>,
    pub version_revisions: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "de_opt_status")]
    pub expected_status: Option<VersionStatus>,
    #[serde(deserialize_with = "de_status")]
    pub target_status: VersionStatus,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisposeInput {
    #[serde(flatten)]
    pub package: PackageInput,
    pub versions: Vec<String>,
    pub version_revisions: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "de_opt_status")]
    pub expected_status: Option<VersionStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteVersionsInput {
    #[serde(flatten)]
    pub package: PackageInput,
    pub versions: Vec<String>,
    #[serde(default, deserialize_with = "de_opt_status")]
    pub expected_status: Option<VersionStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyInput {
    pub domain: String,
    pub domain_owner: Option<String>,
    pub source_repository: String,
    pub destination_repository: String,
    #[serde(deserialize_with = "de_format")]
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
    pub versions: Option<Vec<String>>,
    pub version_revisions: Option<BTreeMap<String, String>>,
    pub allow_overwrite: Option<bool>,
    pub include_from_upstream: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceArnInput {
    pub resource_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceInput {
    pub resource_arn: String,
    pub tags: Vec<WireTagInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceInput {
    pub resource_arn: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePackageGroupInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub package_group: String,
    pub contact_info: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<WireTagInput>>,
}

/// UpdatePackageGroup (the group is named in the body).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePackageGroupInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub package_group: String,
    pub contact_info: Option<String>,
    pub description: Option<String>,
}

/// DescribePackageGroup, DeletePackageGroup.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageGroupInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub package_group: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAllowedRepositoryInput {
    pub repository_name: String,
    #[serde(deserialize_with = "de_restriction")]
    pub origin_restriction_type: GroupRestriction,
}

fn pairs(list: Option<Vec<WireAllowedRepositoryInput>>) -> Vec<(String, GroupRestriction)> {
    list.unwrap_or_default()
        .into_iter()
        .map(|r| (r.repository_name, r.origin_restriction_type))
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePackageGroupOriginInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub package_group: String,
    pub restrictions: Option<BTreeMap<String, String>>,
    pub add_allowed_repositories: Option<Vec<WireAllowedRepositoryInput>>,
    pub remove_allowed_repositories: Option<Vec<WireAllowedRepositoryInput>>,
}

impl UpdatePackageGroupOriginInput {
    /// The model has checked both enums.
    pub fn restrictions(&self) -> Result<Vec<(GroupRestriction, GroupMode)>, ApiError> {
        self.restrictions
            .iter()
            .flatten()
            .map(
                |(t, m)| match (GroupRestriction::parse(t), GroupMode::parse(m)) {
                    (Some(t), Some(m)) => Ok((t, m)),
                    _ => Err(ApiError::Internal(format!("restriction {t}: {m}"))),
                },
            )
            .collect()
    }
    pub fn add(&mut self) -> Vec<(String, GroupRestriction)> {
        pairs(self.add_allowed_repositories.take())
    }
    pub fn remove(&mut self) -> Vec<(String, GroupRestriction)> {
        pairs(self.remove_allowed_repositories.take())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPackageGroupsInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSubPackageGroupsInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub package_group: String,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAllowedRepositoriesInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub package_group: String,
    #[serde(deserialize_with = "de_restriction")]
    pub origin_restriction_type: GroupRestriction,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAssociatedPackagesInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub package_group: String,
    pub preview: Option<bool>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAssociatedPackageGroupInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    #[serde(deserialize_with = "de_format")]
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
}

fn de_restriction<'de, D: serde::Deserializer<'de>>(d: D) -> Result<GroupRestriction, D::Error> {
    let s = String::deserialize(d)?;
    GroupRestriction::parse(&s)
        .ok_or_else(|| serde::de::Error::custom(format!("restriction type {s}")))
}

/// Put{Domain,Repository}PermissionsPolicy (the repository is absent for the domain's).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutPolicyInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub repository: Option<String>,
    pub policy_revision: Option<String>,
    pub policy_document: String,
}

/// Get and Delete of {Domain,Repository}PermissionsPolicy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInput {
    #[serde(flatten)]
    pub domain: DomainInput,
    pub repository: Option<String>,
    pub policy_revision: Option<String>,
}

/// A request, parsed and validated, ready to execute.
#[derive(Debug)]
pub enum Operation {
    CreateDomain(CreateDomainInput),
    DescribeDomain(DomainInput),
    ListDomains(ListDomainsInput),
    DeleteDomain(DomainInput),
    CreateRepository(CreateRepositoryInput),
    DescribeRepository(RepoInput),
    UpdateRepository(UpdateRepositoryInput),
    ListRepositories(ListRepositoriesInput),
    ListRepositoriesInDomain(ListRepositoriesInDomainInput),
    DeleteRepository(RepoInput),
    AssociateExternalConnection(ExternalConnectionInput),
    DisassociateExternalConnection(ExternalConnectionInput),
    PublishPackageVersion(PublishInput),
    ListPackages(ListPackagesInput),
    DescribePackage(PackageInput),
    DeletePackage(PackageInput),
    PutPackageOriginConfiguration(PutPackageOriginInput),
    ListPackageVersions(ListPackageVersionsInput),
    DescribePackageVersion(VersionInput),
    ListPackageVersionAssets(ListAssetsInput),
    GetPackageVersionAsset(GetAssetInput),
    ListPackageVersionDependencies(ListDependenciesInput),
    GetPackageVersionReadme(VersionInput),
    UpdatePackageVersionsStatus(UpdateStatusInput),
    DisposePackageVersions(DisposeInput),
    DeletePackageVersions(DeleteVersionsInput),
    CopyPackageVersions(CopyInput),
    TagResource(TagResourceInput),
    UntagResource(UntagResourceInput),
    ListTagsForResource(ResourceArnInput),
    GetAuthorizationToken(GetAuthorizationTokenInput),
    GetRepositoryEndpoint(GetRepositoryEndpointInput),
    CreatePackageGroup(CreatePackageGroupInput),
    DescribePackageGroup(PackageGroupInput),
    UpdatePackageGroup(UpdatePackageGroupInput),
    DeletePackageGroup(PackageGroupInput),
    UpdatePackageGroupOriginConfiguration(UpdatePackageGroupOriginInput),
    ListPackageGroups(ListPackageGroupsInput),
    ListSubPackageGroups(ListSubPackageGroupsInput),
    ListAllowedRepositoriesForGroup(ListAllowedRepositoriesInput),
    ListAssociatedPackages(ListAssociatedPackagesInput),
    GetAssociatedPackageGroup(GetAssociatedPackageGroupInput),
    PutDomainPermissionsPolicy(PutPolicyInput),
    GetDomainPermissionsPolicy(PolicyInput),
    DeleteDomainPermissionsPolicy(PolicyInput),
    PutRepositoryPermissionsPolicy(PutPolicyInput),
    GetRepositoryPermissionsPolicy(PolicyInput),
    DeleteRepositoryPermissionsPolicy(PolicyInput),
}

/// Names of the operations Arca implements; every other model operation answers 501.
pub const IMPLEMENTED: [&str; 48] = [
    "CreateDomain",
    "DescribeDomain",
    "ListDomains",
    "DeleteDomain",
    "CreateRepository",
    "DescribeRepository",
    "UpdateRepository",
    "ListRepositories",
    "ListRepositoriesInDomain",
    "DeleteRepository",
    "AssociateExternalConnection",
    "DisassociateExternalConnection",
    "PublishPackageVersion",
    "ListPackages",
    "DescribePackage",
    "DeletePackage",
    "PutPackageOriginConfiguration",
    "ListPackageVersions",
    "DescribePackageVersion",
    "ListPackageVersionAssets",
    "GetPackageVersionAsset",
    "ListPackageVersionDependencies",
    "GetPackageVersionReadme",
    "UpdatePackageVersionsStatus",
    "DisposePackageVersions",
    "DeletePackageVersions",
    "CopyPackageVersions",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "GetAuthorizationToken",
    "GetRepositoryEndpoint",
    "CreatePackageGroup",
    "DescribePackageGroup",
    "UpdatePackageGroup",
    "DeletePackageGroup",
    "UpdatePackageGroupOriginConfiguration",
    "ListPackageGroups",
    "ListSubPackageGroups",
    "ListAllowedRepositoriesForGroup",
    "ListAssociatedPackages",
    "GetAssociatedPackageGroup",
    "PutDomainPermissionsPolicy",
    "GetDomainPermissionsPolicy",
    "DeleteDomainPermissionsPolicy",
    "PutRepositoryPermissionsPolicy",
    "GetRepositoryPermissionsPolicy",
    "DeleteRepositoryPermissionsPolicy",
];

pub fn is_implemented(name: &str) -> bool {
    IMPLEMENTED.contains(&name)
}

impl Operation {
    /// Builds the typed operation from the model-validated members. `name` must be implemented.
    pub fn from_members(
        name: &str,
        members: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, ApiError> {
        // The hot reads take their members directly (see `Members`).
        match name {
            "DescribePackageVersion" => {
                return Ok(Self::DescribePackageVersion(VersionInput::take(
                    &mut Members(members),
                )?))
            }
            "ListPackageVersionAssets" => {
                return Ok(Self::ListPackageVersionAssets(ListAssetsInput::take(
                    &mut Members(members),
                )?))
            }
            "ListPackageVersions" => {
                return Ok(Self::ListPackageVersions(ListPackageVersionsInput::take(
                    &mut Members(members),
                )?))
            }
            _ => {}
        }
        let v = serde_json::Value::Object(members);
        Ok(match name {
            "CreateDomain" => Self::CreateDomain(input(v)?),
            "DescribeDomain" => Self::DescribeDomain(input(v)?),
            "ListDomains" => Self::ListDomains(input(v)?),
            "DeleteDomain" => Self::DeleteDomain(input(v)?),
            "CreateRepository" => Self::CreateRepository(input(v)?),
            "DescribeRepository" => Self::DescribeRepository(input(v)?),
            "UpdateRepository" => Self::UpdateRepository(input(v)?),
            "ListRepositories" => Self::ListRepositories(input(v)?),
            "ListRepositoriesInDomain" => Self::ListRepositoriesInDomain(input(v)?),
            "DeleteRepository" => Self::DeleteRepository(input(v)?),
            "AssociateExternalConnection" => Self::AssociateExternalConnection(input(v)?),
            "DisassociateExternalConnection" => Self::DisassociateExternalConnection(input(v)?),
            "PublishPackageVersion" => Self::PublishPackageVersion(input(v)?),
            "ListPackages" => Self::ListPackages(input(v)?),
            "DescribePackage" => Self::DescribePackage(input(v)?),
            "DeletePackage" => Self::DeletePackage(input(v)?),
            "PutPackageOriginConfiguration" => Self::PutPackageOriginConfiguration(input(v)?),
            "ListPackageVersions" => Self::ListPackageVersions(input(v)?),
            "DescribePackageVersion" => Self::DescribePackageVersion(input(v)?),
            "ListPackageVersionAssets" => Self::ListPackageVersionAssets(input(v)?),
            "GetPackageVersionAsset" => Self::GetPackageVersionAsset(input(v)?),
            "ListPackageVersionDependencies" => Self::ListPackageVersionDependencies(input(v)?),
            "GetPackageVersionReadme" => Self::GetPackageVersionReadme(input(v)?),
            "UpdatePackageVersionsStatus" => Self::UpdatePackageVersionsStatus(input(v)?),
            "DisposePackageVersions" => Self::DisposePackageVersions(input(v)?),
            "DeletePackageVersions" => Self::DeletePackageVersions(input(v)?),
            "CopyPackageVersions" => Self::CopyPackageVersions(input(v)?),
            "TagResource" => Self::TagResource(input(v)?),
            "UntagResource" => Self::UntagResource(input(v)?),
            "ListTagsForResource" => Self::ListTagsForResource(input(v)?),
            "GetAuthorizationToken" => Self::GetAuthorizationToken(input(v)?),
            "GetRepositoryEndpoint" => Self::GetRepositoryEndpoint(input(v)?),
            "CreatePackageGroup" => Self::CreatePackageGroup(input(v)?),
            "DescribePackageGroup" => Self::DescribePackageGroup(input(v)?),
            "UpdatePackageGroup" => Self::UpdatePackageGroup(input(v)?),
            "DeletePackageGroup" => Self::DeletePackageGroup(input(v)?),
            "UpdatePackageGroupOriginConfiguration" => {
                Self::UpdatePackageGroupOriginConfiguration(input(v)?)
            }
            "ListPackageGroups" => Self::ListPackageGroups(input(v)?),
            "ListSubPackageGroups" => Self::ListSubPackageGroups(input(v)?),
            "ListAllowedRepositoriesForGroup" => Self::ListAllowedRepositoriesForGroup(input(v)?),
            "ListAssociatedPackages" => Self::ListAssociatedPackages(input(v)?),
            "GetAssociatedPackageGroup" => Self::GetAssociatedPackageGroup(input(v)?),
            "PutDomainPermissionsPolicy" => Self::PutDomainPermissionsPolicy(input(v)?),
            "GetDomainPermissionsPolicy" => Self::GetDomainPermissionsPolicy(input(v)?),
            "DeleteDomainPermissionsPolicy" => Self::DeleteDomainPermissionsPolicy(input(v)?),
            "PutRepositoryPermissionsPolicy" => Self::PutRepositoryPermissionsPolicy(input(v)?),
            "GetRepositoryPermissionsPolicy" => Self::GetRepositoryPermissionsPolicy(input(v)?),
            "DeleteRepositoryPermissionsPolicy" => {
                Self::DeleteRepositoryPermissionsPolicy(input(v)?)
            }
            other => return Err(ApiError::NotImplemented(other.to_string())),
        })
    }
}

/// Validated members, taken one by one into the hot reads' inputs: serde's `flatten` buffers every
/// member once per level of nesting, which cost ListPackageVersionAssets (three levels) about a
/// fifteenth of its instructions. Gives what [`input`] gives (a test compares them); a failure is a
/// bug in Arca, as there.
struct Members(serde_json::Map<String, serde_json::Value>);

impl Members {
    fn failed(name: &str, v: &serde_json::Value) -> ApiError {
        ApiError::Internal(format!("typed input binding: member {name} is {v}"))
    }

    fn opt_string(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        match self.0.remove(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(Self::failed(name, &other)),
        }
    }

    fn required<T>(name: &str, value: Option<T>) -> Result<T, ApiError> {
        value.ok_or_else(|| {
            ApiError::Internal(format!("typed input binding: missing field `{name}`"))
        })
    }

    fn string(&mut self, name: &str) -> Result<String, ApiError> {
        Self::required(name, self.opt_string(name)?)
    }

    fn opt_u32(&mut self, name: &str) -> Result<Option<u32>, ApiError> {
        match self.0.remove(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => Ok(Some(n)),
                None => Err(Self::failed(name, &v)),
            },
        }
    }

    fn opt_parsed<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        match self.opt_string(name)? {
            None => Ok(None),
            Some(s) => match parse(&s) {
                Some(t) => Ok(Some(t)),
                None => Err(Self::failed(name, &serde_json::Value::String(s))),
            },
        }
    }
}

impl PackageInput {
    fn take(m: &mut Members) -> Result<Self, ApiError> {
        Ok(Self {
            domain: m.string("domain")?,
            domain_owner: m.opt_string("domainOwner")?,
            repository: m.string("repository")?,
            format: Members::required("format", m.opt_parsed("format", PackageFormat::parse)?)?,
            namespace: m.opt_string("namespace")?,
            package: m.string("package")?,
        })
    }
}

impl VersionInput {
    fn take(m: &mut Members) -> Result<Self, ApiError> {
        Ok(Self {
            package: PackageInput::take(m)?,
            package_version: m.string("packageVersion")?,
        })
    }
}

impl ListAssetsInput {
    fn take(m: &mut Members) -> Result<Self, ApiError> {
        Ok(Self {
            version: VersionInput::take(m)?,
            max_results: m.opt_u32("maxResults")?,
            next_token: m.opt_string("nextToken")?,
        })
    }
}

impl ListPackageVersionsInput {
    fn take(m: &mut Members) -> Result<Self, ApiError> {
        Ok(Self {
            package: PackageInput::take(m)?,
            status: m.opt_parsed("status", VersionStatus::parse)?,
            sort_by: m.opt_string("sortBy")?,
            max_results: m.opt_u32("maxResults")?,
            next_token: m.opt_string("nextToken")?,
            origin_type: m.opt_string("originType")?,
        })
    }
}

/// The model has validated shapes and constraints, so a failure here is a bug in Arca, not the client.
fn input<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::Internal(format!("typed input binding: {e}")))
}

fn de_format<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PackageFormat, D::Error> {
    let s = String::deserialize(d)?;
    PackageFormat::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("format {s}")))
}

fn de_opt_format<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<PackageFormat>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| {
            PackageFormat::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("format {s}")))
        })
        .transpose()
}

fn de_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<VersionStatus, D::Error> {
    let s = String::deserialize(d)?;
    VersionStatus::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("status {s}")))
}

fn de_opt_status<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<VersionStatus>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| {
            VersionStatus::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("status {s}")))
        })
        .transpose()
}

fn de_opt_rule<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<OriginRule>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| OriginRule::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("rule {s}"))))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn members(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    /// The hot reads' inputs taken from the members are what serde makes of them.
    #[test]
    fn taken_inputs_are_what_serde_makes() {
        let minimal = json!({
            "domain": "d", "repository": "r", "format": "npm", "package": "p",
            "packageVersion": "1.0.0",
        });
        let full = json!({
            "domain": "d", "domainOwner": "111122223333", "repository": "r", "format": "pypi",
            "namespace": "ns", "package": "p", "packageVersion": "1.0.0", "maxResults": 7,
            "nextToken": "t", "status": "Unlisted", "sortBy": "PUBLISHED_TIME",
            "originType": "EXTERNAL", "unrelated": "x",
        });
        for v in [minimal, full] {
            let take =
                |name: &str| format!("{:?}", Operation::from_members(name, members(v.clone())));
            assert_eq!(
                take("DescribePackageVersion"),
                format!(
                    "{:?}",
                    input::<VersionInput>(v.clone()).map(Operation::DescribePackageVersion)
                )
            );
            assert_eq!(
                take("ListPackageVersionAssets"),
                format!(
                    "{:?}",
                    input::<ListAssetsInput>(v.clone()).map(Operation::ListPackageVersionAssets)
                )
            );
            assert_eq!(
                take("ListPackageVersions"),
                format!(
                    "{:?}",
                    input::<ListPackageVersionsInput>(v.clone())
                        .map(Operation::ListPackageVersions)
                )
            );
        }
    }

    #[test]
    fn taken_inputs_refuse_what_serde_refuses() {
        for bad in [
            json!({ "domain": "d", "repository": "r", "format": "npm", "package": "p" }),
            json!({ "domain": "d", "repository": "r", "format": "no", "package": "p", "packageVersion": "1" }),
            json!({ "domain": 1, "repository": "r", "format": "npm", "package": "p", "packageVersion": "1" }),
            json!({ "domain": "d", "repository": "r", "format": "npm", "package": "p", "packageVersion": "1", "maxResults": -1 }),
            json!({ "domain": "d", "repository": "r", "format": "npm", "package": "p", "status": "Nope" }),
        ] {
            let taken = |name: &str| Operation::from_members(name, members(bad.clone())).is_err();
            assert_eq!(
                taken("DescribePackageVersion"),
                input::<VersionInput>(bad.clone()).is_err(),
                "{bad}"
            );
            assert_eq!(
                taken("ListPackageVersionAssets"),
                input::<ListAssetsInput>(bad.clone()).is_err(),
                "{bad}"
            );
            assert_eq!(
                taken("ListPackageVersions"),
                input::<ListPackageVersionsInput>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
