//! `gem push`: the raw `.gem`, already staged and hashed. Its specification (`metadata.gz`, read
//! bounded) names the gem, version and platform, which must be valid; the same name, version and
//! platform again is a 409. Then one asset `{name}-{version}[-{platform}].gem` through the shared
//! native publish (origin controls, package groups and the upstream 409 apply there): a new
//! version (Published), or a new platform of a Published or Unlisted one.

use std::sync::Arc;

use arca_metadata::{PackageDependency, VersionDetails, VersionMetadata, VersionStatus};
use serde_json::json;

use super::gemspec::{read_gem, GemSpec};
use super::index::{asset_name, check_name, check_platform, check_version, requirement_text};
use super::key;
use crate::coords::display_name;
use crate::details::check_dependency_count;
use crate::native::{read_blocking, NativeRepo, NativeVersion, OnExisting, StagedAsset};
use crate::{ResourceType, Service, ServiceError, ServiceResult};

#[derive(Debug, Clone)]
pub struct RubyPushed {
    pub name: String,
    pub version: String,
    pub platform: String,
}

impl Service {
    /// Publishes a pushed `.gem`.
    pub async fn ruby_push(
        &self,
        repo: &NativeRepo,
        file: StagedAsset,
    ) -> ServiceResult<RubyPushed> {
        let read = file.blob.read().await?;
        let spec = read_blocking(read, "a .gem", read_gem)
            .await?
            .map_err(|e| {
                ServiceError::validation(format!("The pushed file is not a valid gem: {e}."))
            })?;
        check_name(&spec.name).map_err(ServiceError::validation)?;
        check_version(&spec.version).map_err(ServiceError::validation)?;
        check_platform(&spec.platform).map_err(ServiceError::validation)?;
        let asset = asset_name(&spec.name, &spec.version, &spec.platform);
        let key = key(&spec.name);
        if let Some(package) = self.store.get_package(repo.repo.id, &key).await? {
            if let Some(v) = self.store.get_version(package.id, &spec.version).await? {
                let assets = self.store.version_assets(v.id).await?;
                if assets.iter().any(|a| a.name == asset) {
                    return Err(ServiceError::conflict(
                        ResourceType::Asset,
                        &asset,
                        format!(
                            "Repushing of gem versions is not allowed: {} {} ({}) already exists in repository {} (status {}).",
                            display_name(&key),
                            spec.version,
                            spec.platform,
                            repo.name(),
                            v.status
                        ),
                    ));
                }
            }
        }
        let dependencies = dependencies(&spec);
        check_dependency_count(dependencies.len())?;
        self.cache_spec(repo.repo.domain_id, &file.info().sha256.to_hex(), &spec);
        let pushed = RubyPushed {
            name: spec.name.clone(),
            version: spec.version.clone(),
            platform: spec.platform.clone(),
        };
        self.publish_as(
            repo,
            NativeVersion {
                key,
                version: spec.version.clone(),
                metadata: metadata(&spec),
                asset_name: asset,
                requires_python: None,
                status: VersionStatus::Published,
                on_existing: OnExisting::AddAsset,
                details: VersionDetails {
                    dependencies,
                    ..VersionDetails::default()
                },
                dist_tags: Vec::new(),
                origin: None,
            },
            file,
        )
        .await?;
        Ok(pushed)
    }

    /// Keeps a specification just read, under its gem's digest.
    fn cache_spec(&self, domain_id: i64, sha256: &str, spec: &GemSpec) {
        self.ruby_specs
            .put(domain_id, sha256, Some(Arc::new(spec.clone())));
    }
}

/// DescribePackageVersion's metadata of a gem: its name, summary, homepage, `source_code_uri` and
/// licenses.
pub(super) fn metadata(spec: &GemSpec) -> VersionMetadata {
    let source = spec
        .metadata
        .iter()
        .find(|(k, _)| k == "source_code_uri")
        .map(|(_, v)| v.clone());
    let licenses: Vec<_> = spec.licenses.iter().map(|l| json!({ "name": l })).collect();
    VersionMetadata {
        display_name: Some(spec.name.clone()),
        summary: spec.summary.clone().or(spec.description.clone()),
        home_page: spec.homepage.clone(),
        source_code_repository: source,
        licenses_json: (!licenses.is_empty()).then(|| json!(licenses).to_string()),
    }
}

/// ListPackageVersionDependencies of a gem: every dependency, `runtime` or `development`, with its
/// requirement as RubyGems writes it (`~> 1.0, >= 1.0.1`).
pub(super) fn dependencies(spec: &GemSpec) -> Vec<PackageDependency> {
    spec.dependencies
        .iter()
        .map(|d| PackageDependency {
            namespace: String::new(),
            package: d.name.clone(),
            dependency_type: Some(d.kind.clone()),
            version_requirement: Some(requirement_text(&d.requirement, ", ")),
        })
        .collect()
}
