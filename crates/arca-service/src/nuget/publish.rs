//! `nuget push`: the `.nupkg`, already staged and hashed. Its top-level `.nuspec` is read bounded;
//! the id and version must be valid (the version is stored normalized), then one version with one
//! asset, `{lower_id}.{normalized_version}.nupkg`, Published through the shared native publish
//! (origin controls and package groups apply). An existing version is a 409; an invalid package
//! a 400 with nothing stored.

use arca_metadata::{PackageDependency, VersionDetails, VersionMetadata, VersionStatus};
use serde_json::json;

use super::nuspec::{find_nuspec, parse_nuspec, Nuspec};
use super::{asset_name, check_id, key, normalize_version};
use crate::details::check_dependency_count;
use crate::native::{read_blocking, NativeRepo, NativeVersion, OnExisting, StagedAsset};
use crate::{Service, ServiceError, ServiceResult};

#[derive(Debug, Clone)]
pub struct NugetPushed {
    /// The id as the `.nuspec` spells it.
    pub id: String,
    /// The normalized version.
    pub version: String,
}

impl Service {
    /// Publishes a pushed `.nupkg`.
    pub async fn nuget_push(
        &self,
        repo: &NativeRepo,
        file: StagedAsset,
    ) -> ServiceResult<NugetPushed> {
        let read = file.blob.read().await?;
        let nuspec = read_blocking(read, "a .nupkg", |r| {
            find_nuspec(r).and_then(|b| parse_nuspec(&b))
        })
        .await?
        .map_err(|why| ServiceError::validation(format!("The package is invalid: {why}.")))?;
        check_id(&nuspec.id).map_err(ServiceError::validation)?;
        let version = normalize_version(&nuspec.version).map_err(ServiceError::validation)?;
        check_dependency_count(dependencies(&nuspec).len())?;
        let row = self
            .publish_as(repo, native_version(&nuspec, &version), file)
            .await?;
        Ok(NugetPushed {
            id: nuspec.id,
            version: row.version,
        })
    }
}

/// The version a package becomes (pushed, or fetched from a source), `version` normalized: one
/// asset `{lower_id}.{version}.nupkg`, an existing version a 409.
pub(super) fn native_version(nuspec: &Nuspec, version: &str) -> NativeVersion {
    NativeVersion {
        key: key(&nuspec.id),
        version: version.to_string(),
        metadata: metadata(nuspec),
        asset_name: asset_name(&nuspec.id, version),
        requires_python: None,
        status: VersionStatus::Published,
        on_existing: OnExisting::Conflict,
        details: VersionDetails {
            dependencies: dependencies(nuspec),
            readme: None,
            deprecated: None,
        },
        dist_tags: Vec::new(),
        origin: None,
    }
}

/// DescribePackageVersion's metadata of a package: the id as pushed, its description (else
/// summary), project URL and license (an SPDX expression, else the license URL).
fn metadata(n: &Nuspec) -> VersionMetadata {
    let license = match (&n.license_expression, &n.license_url) {
        (Some(e), _) => Some(json!([{ "name": e }])),
        (None, Some(u)) => Some(json!([{ "name": u, "url": u }])),
        (None, None) => None,
    };
    VersionMetadata {
        display_name: Some(n.id.clone()),
        summary: n.description.clone().or(n.summary.clone()),
        home_page: n.project_url.clone(),
        source_code_repository: None,
        licenses_json: license.map(|l| l.to_string()),
    }
}

/// ListPackageVersionDependencies' view: every dependency of every group, the group's target
/// framework as the dependency type.
fn dependencies(n: &Nuspec) -> Vec<PackageDependency> {
    n.groups
        .iter()
        .flat_map(|g| {
            g.dependencies.iter().map(|d| PackageDependency {
                namespace: String::new(),
                package: d.id.to_lowercase(),
                dependency_type: g.target_framework.clone(),
                version_requirement: d.range.clone(),
            })
        })
        .collect()
}
