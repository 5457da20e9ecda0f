//! What pip reads (`decisions.md`, lifecycle table): a project page lists the files of Published
//! versions only; files of Unlisted versions are hidden but still download (pinned requirements,
//! lock files); Unfinished, Archived and Disposed versions never download.

use std::sync::Arc;

use arca_metadata::{
    AssetRow, PackageFilter, PackageFormat, PackageKey, PackageRow, VersionRow, VersionStatus,
};

use super::{normalize, CoreMetadata};
use crate::native::NativeRepo;
use crate::{AssetDownload, ResourceType, Service, ServiceError, ServiceResult};

/// Packages fetched per store call while listing projects.
const PAGE: u32 = 1000;

/// A project page: its normalized name and the files of its Published versions.
#[derive(Debug, Clone)]
pub struct PypiProject {
    pub name: String,
    /// Published versions, by version string.
    pub versions: Vec<String>,
    pub files: Vec<PypiFile>,
}

#[derive(Debug, Clone)]
pub struct PypiFile {
    pub version: String,
    pub published_ms: i64,
    pub asset: AssetRow,
    /// A wheel's METADATA (PEP 658), when it could be read.
    pub core_metadata: Option<Arc<CoreMetadata>>,
    /// `Requires-Python`: as uploaded with the file, else from a wheel's METADATA.
    pub requires_python: Option<String>,
}

fn key(name: &str) -> PackageKey {
    PackageKey {
        format: PackageFormat::Pypi,
        namespace: String::new(),
        name: normalize(name),
    }
}

fn project_not_found(name: &str, repo: &NativeRepo) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Package,
        name,
        format!("Project {name} not found in repository {}.", repo.name()),
    )
}

impl Service {
    /// Normalized names of the repository's PyPI projects.
    pub async fn pypi_projects(&self, repo: &NativeRepo) -> ServiceResult<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        let mut after = None;
        loop {
            let filter = PackageFilter {
                format: Some(PackageFormat::Pypi),
                after: after.take(),
                ..Default::default()
            };
            let page = self
                .store
                .list_packages(repo.repo.id, &filter, PAGE)
                .await?;
            let done = page.len() < PAGE as usize;
            after = page.last().map(|p| p.key.clone());
            names.extend(page.into_iter().map(|p| p.key.name));
            if done {
                return Ok(names);
            }
        }
    }

    /// The project page of `name` (any spelling; it is normalized).
    pub async fn pypi_project(&self, repo: &NativeRepo, name: &str) -> ServiceResult<PypiProject> {
        let package = self.pypi_package(repo, name).await?;
        let rows = self.published_versions(package.id).await?;
        if rows.is_empty() {
            return Err(project_not_found(name, repo));
        }
        let mut files = Vec::new();
        for v in &rows {
            for asset in self.store.version_assets(v.id).await? {
                let core_metadata = self.pypi_core_metadata(repo.repo.domain_id, &asset).await?;
                let requires_python = asset.requires_python.clone().or_else(|| {
                    core_metadata
                        .as_ref()
                        .and_then(|m| m.requires_python.clone())
                });
                files.push(PypiFile {
                    requires_python,
                    version: v.version.clone(),
                    published_ms: v.published_ms,
                    asset,
                    core_metadata,
                });
            }
        }
        Ok(PypiProject {
            name: package.key.name,
            versions: rows.into_iter().map(|v| v.version).collect(),
            files,
        })
    }

    /// The distribution file `filename` of `name` `version`.
    pub async fn pypi_file(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
        filename: &str,
    ) -> ServiceResult<AssetDownload> {
        let (v, asset) = self.pypi_asset(repo, name, version, filename).await?;
        self.download(repo.repo.domain_id, v, asset).await
    }

    /// The core metadata of the wheel `filename` (PEP 658: `{filename}.metadata`).
    pub async fn pypi_file_metadata(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
        filename: &str,
    ) -> ServiceResult<Arc<CoreMetadata>> {
        let (_, asset) = self.pypi_asset(repo, name, version, filename).await?;
        self.pypi_core_metadata(repo.repo.domain_id, &asset)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found(
                    ResourceType::Asset,
                    format!("{filename}.metadata"),
                    format!(
                        "{filename} has no core metadata to serve; pip reads it from the file."
                    ),
                )
            })
    }

    /// A file of a version that may be downloaded (Published or Unlisted).
    async fn pypi_asset(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
        filename: &str,
    ) -> ServiceResult<(VersionRow, AssetRow)> {
        let not_found = || {
            ServiceError::not_found(
                ResourceType::Asset,
                filename,
                format!(
                    "File {filename} of {name} {version} not found in repository {}.",
                    repo.name()
                ),
            )
        };
        let package = self.pypi_package(repo, name).await?;
        let v = self
            .store
            .get_version(package.id, version)
            .await?
            .ok_or_else(not_found)?;
        if !matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted) {
            return Err(ServiceError::not_found(
                ResourceType::PackageVersion,
                version,
                format!("{name} {version} is {}; it cannot be downloaded.", v.status),
            ));
        }
        let asset = self
            .store
            .get_asset(v.id, filename)
            .await?
            .ok_or_else(not_found)?;
        Ok((v, asset))
    }

    async fn pypi_package(&self, repo: &NativeRepo, name: &str) -> ServiceResult<PackageRow> {
        self.store
            .get_package(repo.repo.id, &key(name))
            .await?
            .ok_or_else(|| project_not_found(name, repo))
    }
}
