//! What pip reads (`decisions.md`, lifecycle table): a project page lists the files of Published
//! versions only; files of Unlisted versions are hidden but still download (pinned requirements,
//! lock files); Unfinished, Archived and Disposed versions never download.

use arca_metadata::{
    AssetRow, PackageFilter, PackageFormat, PackageKey, PackageRow, VersionStatus,
};

use super::normalize;
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
                files.push(PypiFile {
                    version: v.version.clone(),
                    published_ms: v.published_ms,
                    asset,
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
        let body = self.open_blob(repo.repo.domain_id, &asset).await?;
        Ok(AssetDownload {
            asset,
            version: v.version,
            revision: v.revision,
            body,
        })
    }

    async fn pypi_package(&self, repo: &NativeRepo, name: &str) -> ServiceResult<PackageRow> {
        self.store
            .get_package(repo.repo.id, &key(name))
            .await?
            .ok_or_else(|| project_not_found(name, repo))
    }
}
