//! What pip reads (`decisions.md`, lifecycle table): a project page lists the files of Published
//! versions only; files of Unlisted versions are hidden but still download (pinned requirements,
//! lock files); Unfinished, Archived and Disposed versions never download. A file the repository
//! does not hold is retained from its upstreams first (`upstream::retain`).

use std::collections::BTreeMap;
use std::sync::Arc;

use arca_metadata::{
    AssetRow, PackageFilter, PackageFormat, PackageKey, VersionRow, VersionStatus,
};

use super::{file_version, normalize, CoreMetadata};
use crate::native::NativeRepo;
use crate::{FileDownload, ResourceType, Service, ServiceError, ServiceResult};

/// Packages fetched per store call while listing projects.
const PAGE: u32 = 1000;

/// A project page: its normalized name and its files, merged over the repository, its upstreams
/// and their external sources (see `merge.rs`).
#[derive(Debug, Clone)]
pub struct PypiProject {
    pub name: String,
    /// The versions of the files, by version string.
    pub versions: Vec<String>,
    pub files: Vec<PypiFile>,
    /// Set when part of the page comes from a stale copy of a source's index (the source failed):
    /// why, for a `Warning` header.
    pub stale: Option<String>,
    /// An external source's index was consulted: the page depends on that index's own cache and
    /// TTL, so it is not kept as a document (`crate::documents`).
    pub sourced: bool,
}

/// One file of a project page: one Arca holds (in this repository or an upstream), or one only
/// an external source has so far, passed through field-complete.
#[derive(Debug, Clone)]
pub struct PypiFile {
    pub version: String,
    pub filename: String,
    /// Hash name → lowercase hex; `sha256` for every file Arca holds.
    pub hashes: BTreeMap<String, String>,
    pub size: Option<i64>,
    /// Upload time (ms since the epoch), if known.
    pub upload_ms: Option<i64>,
    /// PEP 658/714: the core metadata file's hashes (empty: it exists, unhashed); `None`: no such
    /// file is served.
    pub core_metadata: Option<BTreeMap<String, String>>,
    /// `Requires-Python`: as uploaded with the file, else from a wheel's METADATA, else the
    /// source's index.
    pub requires_python: Option<String>,
    /// PEP 592: the reason (perhaps empty) when the file is yanked.
    pub yanked: Option<String>,
}

impl PypiFile {
    /// A file Arca holds, in a Published version.
    pub(crate) fn held(
        v: &VersionRow,
        asset: &AssetRow,
        core_metadata: Option<Arc<CoreMetadata>>,
    ) -> Self {
        let requires_python = asset.requires_python.clone().or_else(|| {
            core_metadata
                .as_ref()
                .and_then(|m| m.requires_python.clone())
        });
        Self {
            version: v.version.clone(),
            filename: asset.name.clone(),
            hashes: BTreeMap::from([("sha256".to_string(), asset.sha256.clone())]),
            size: Some(asset.size),
            upload_ms: Some(v.published_ms),
            core_metadata: core_metadata
                .map(|m| BTreeMap::from([("sha256".to_string(), m.sha256.clone())])),
            requires_python,
            yanked: None,
        }
    }
}

pub(super) fn key(name: &str) -> PackageKey {
    PackageKey {
        format: PackageFormat::Pypi,
        namespace: String::new(),
        name: normalize(name),
    }
}

fn file_not_found(repo: &NativeRepo, name: &str, version: &str, filename: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Asset,
        filename,
        format!(
            "File {filename} of {name} {version} not found in repository {}.",
            repo.name()
        ),
    )
}

pub(super) fn project_not_found(name: &str, repo: &NativeRepo) -> ServiceError {
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

    /// The distribution file `filename` of `name` `version`: from the repository, else retained
    /// from its upstreams or their external sources first (one fetch however many ask at once; a
    /// file fetched from a source streams to the client as it is kept).
    pub async fn pypi_file(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
        filename: &str,
    ) -> ServiceResult<FileDownload> {
        if let Some((v, asset)) = self.pypi_local_file(repo, name, version, filename).await? {
            return Ok(self.download(repo.repo.domain_id, v, asset).await?.into());
        }
        let key = key(name);
        let not_found = || file_not_found(repo, name, version, filename);
        if file_version(filename, &key.name).as_deref() != Some(version) {
            return Err(not_found());
        }
        let flight = format!("{}\n{}\n{version}\n{filename}", repo.repo.id, key.name);
        let local = || async {
            match self.pypi_local_file(repo, name, version, filename).await? {
                Some((v, asset)) => Ok(Some(
                    self.download(repo.repo.domain_id, v, asset).await?.into(),
                )),
                None => Ok(None),
            }
        };
        let (svc, requested, owned_key) = (self.clone(), repo.repo.clone(), key.clone());
        let (version_owned, file_owned) = (version.to_string(), filename.to_string());
        self.fetch_through(flight, local, |tee| async move {
            let (key, version, file) = (&owned_key, version_owned.as_str(), file_owned.as_str());
            let ingest = |read| svc.pypi_ingest(key, version, file, read);
            let cache = &svc.upstream_caches.pypi;
            svc.retain_from_upstreams(cache, &requested, key, version, file, &ingest, &tee)
                .await
        })
        .await?
        .ok_or_else(not_found)
    }

    /// The core metadata of the wheel `filename` (PEP 658: `{filename}.metadata`): the stored
    /// wheel's, else (a file the merged page lists but this repository does not hold) that of the
    /// first upstream in the order that has the file.
    pub async fn pypi_file_metadata(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
        filename: &str,
    ) -> ServiceResult<Arc<CoreMetadata>> {
        let none = || {
            ServiceError::not_found(
                ResourceType::Asset,
                format!("{filename}.metadata"),
                format!("{filename} has no core metadata to serve; pip reads it from the file."),
            )
        };
        match self.pypi_local_file(repo, name, version, filename).await? {
            Some((_, asset)) => self
                .pypi_core_metadata(repo.repo.domain_id, &asset)
                .await?
                .ok_or_else(none),
            None => self
                .pypi_upstream_metadata(repo, &key(name), version, filename)
                .await?
                .ok_or_else(|| file_not_found(repo, name, version, filename)),
        }
    }

    /// A file the repository holds (`None` if it does not); a version it has in a status that
    /// cannot be downloaded (Unfinished, Archived, Disposed) is a 404.
    async fn pypi_local_file(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
        filename: &str,
    ) -> ServiceResult<Option<(VersionRow, AssetRow)>> {
        let Some(package) = self.store.get_package(repo.repo.id, &key(name)).await? else {
            return Ok(None);
        };
        let Some(v) = self.store.get_version(package.id, version).await? else {
            return Ok(None);
        };
        if !matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted) {
            return Err(ServiceError::not_found(
                ResourceType::PackageVersion,
                version,
                format!("{name} {version} is {}; it cannot be downloaded.", v.status),
            ));
        }
        Ok(self
            .store
            .get_asset(v.id, filename)
            .await?
            .map(|asset| (v, asset)))
    }
}
