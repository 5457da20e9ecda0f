//! What npm reads: the versions a packument lists and the tarballs it downloads
//! (`decisions.md`, lifecycle table): only Published versions are listed; Unlisted ones are hidden
//! but their tarballs still download (lockfiles); Unfinished, Archived and Disposed never download.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arca_metadata::{AssetRow, PackageRow, VersionRow, VersionStatus};
use serde_json::Value;

use super::manifest::read_package_json;
use super::tags::visible_tags;
use super::{NpmName, NPM_ASSET};
use crate::native::NativeRepo;
use crate::{AssetDownload, ResourceType, Service, ServiceError, ServiceResult};

#[derive(Debug, Clone)]
pub struct NpmPackument {
    pub name: NpmName,
    /// The document revision (`_rev`) npm's writes must send back (see `state.rs`).
    pub rev: String,
    /// Published versions, by version string.
    pub versions: Vec<NpmVersion>,
    /// The `latest` dist-tag (see `tags::visible_tags`).
    pub latest: Option<String>,
    /// Every visible dist-tag, `latest` included.
    pub dist_tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct NpmVersion {
    pub version: String,
    pub published_ms: i64,
    /// The tarball's `package.json`.
    pub manifest: Arc<Value>,
    pub tarball: AssetRow,
    /// `npm deprecate`'s message.
    pub deprecated: Option<String>,
}

fn package_not_found(name: &NpmName, repo: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Package,
        name.to_string(),
        format!("Package {name} not found in repository {repo}."),
    )
}

/// The version a tarball file name (`name-1.0.0.tgz`) stands for.
pub(super) fn file_version<'a>(name: &NpmName, file: &'a str) -> Option<&'a str> {
    file.strip_prefix(&format!("{}-", name.name))?
        .strip_suffix(".tgz")
}

fn file_not_found(repo: &NativeRepo, name: &NpmName, file: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Asset,
        file,
        format!(
            "Tarball {file} of {name} not found in repository {}.",
            repo.name()
        ),
    )
}

impl Service {
    pub async fn npm_packument(
        &self,
        repo: &NativeRepo,
        name: &str,
    ) -> ServiceResult<NpmPackument> {
        let name = NpmName::parse(name)?;
        let state = self.npm_state(repo, &name).await?;
        let published: Vec<&VersionRow> = state.published().collect();
        if published.is_empty() {
            return Err(package_not_found(&name, repo.name()));
        }
        let dist_tags = visible_tags(&state.tags, &published);
        let latest = dist_tags.get("latest").cloned();
        let mut deprecations: BTreeMap<&str, &str> = state
            .deprecations
            .iter()
            .map(|(v, m)| (v.as_str(), m.as_str()))
            .collect();
        // Every tarball row in one read, not one per version.
        let mut tarballs: HashMap<i64, AssetRow> = self
            .store
            .package_assets(state.package.id, NPM_ASSET)
            .await?
            .into_iter()
            .collect();
        let mut versions = Vec::with_capacity(published.len());
        for v in published {
            let Some(tarball) = tarballs.remove(&v.id) else {
                tracing::warn!(package = %name, version = v.version, "npm version without package.tgz; not listed");
                continue;
            };
            let Some(manifest) = self.npm_manifest(repo.repo.domain_id, &tarball).await? else {
                continue;
            };
            versions.push(NpmVersion {
                deprecated: deprecations.remove(v.version.as_str()).map(str::to_string),
                version: v.version.clone(),
                published_ms: v.published_ms,
                manifest,
                tarball,
            });
        }
        Ok(NpmPackument {
            rev: state.rev(),
            name,
            versions,
            latest,
            dist_tags,
        })
    }

    /// The tarball `file` (`name-1.0.0.tgz`) of package `name`.
    pub async fn npm_tarball(
        &self,
        repo: &NativeRepo,
        name: &str,
        file: &str,
    ) -> ServiceResult<AssetDownload> {
        let name = NpmName::parse(name)?;
        let version = file_version(&name, file).ok_or_else(|| file_not_found(repo, &name, file))?;
        let package = self.npm_package(repo, &name).await?;
        let v = self
            .store
            .get_version(package.id, version)
            .await?
            .ok_or_else(|| file_not_found(repo, &name, file))?;
        if !matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted) {
            return Err(ServiceError::not_found(
                ResourceType::PackageVersion,
                version,
                format!("{name} {version} is {}; it cannot be downloaded.", v.status),
            ));
        }
        let asset = self
            .store
            .get_asset(v.id, NPM_ASSET)
            .await?
            .ok_or_else(|| file_not_found(repo, &name, file))?;
        self.download(repo.repo.domain_id, v, asset).await
    }

    pub(super) async fn npm_package(
        &self,
        repo: &NativeRepo,
        name: &NpmName,
    ) -> ServiceResult<PackageRow> {
        self.store
            .get_package(repo.repo.id, &name.key())
            .await?
            .ok_or_else(|| package_not_found(name, repo.name()))
    }

    /// The tarball's `package.json`; `None` (the version is not listed) when the stored tarball
    /// fails today's checks (one stored before them, e.g. with a second manifest npm would
    /// install instead of the one Arca would list).
    async fn npm_manifest(
        &self,
        domain_id: i64,
        tarball: &AssetRow,
    ) -> ServiceResult<Option<Arc<Value>>> {
        if let Some(m) = self.npm_manifests.get(domain_id, &tarball.sha256) {
            return Ok(Some(m));
        }
        let read = self.open_blob(domain_id, tarball).await?;
        let manifest = match read_package_json(read).await {
            Ok(m) => Arc::new(m),
            Err(ServiceError::Validation(why)) => {
                tracing::warn!(
                    sha256 = tarball.sha256,
                    why,
                    "stored npm tarball refused; its version is not listed"
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        self.npm_manifests
            .put(domain_id, &tarball.sha256, manifest.clone());
        Ok(Some(manifest))
    }
}
