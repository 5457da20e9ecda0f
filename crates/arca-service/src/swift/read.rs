//! What Swift clients read: the release list (merged over the search order), a release's
//! information (its archive's checksum and signature, its metadata, its neighbours by SemVer
//! precedence), its manifests, its source archive (retained from an upstream on download) and the
//! package identifiers registered for a repository URL.

use arca_metadata::{
    AssetRow, PackageFilter, PackageFormat, PackageKey, RepositoryRow, VersionRow, VersionStatus,
};
use base64::Engine;
use futures::TryStreamExt;
use serde_json::{Map, Value};

use super::archive::{manifest_swift_version, parse_tools_version, MAX_MANIFEST_BYTES};
use super::metadata::{normalize_repository_url, ReleaseMetadata, MAX_METADATA_BYTES};
use super::{archive_name, key, signature_format_of, MANIFEST, METADATA_ASSET};
use crate::groups::Via;
use crate::native::NativeRepo;
use crate::versions::version_not_found;
use crate::{FileDownload, ResourceType, Service, ServiceError, ServiceResult};

/// A release in the list; `gone` says why it cannot be used (a 410 `problem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwiftRelease {
    pub version: String,
    pub gone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SwiftReleaseList {
    /// Highest precedence first.
    pub releases: Vec<SwiftRelease>,
    /// The highest precedence Published release.
    pub latest: Option<String>,
    /// The latest release's `repositoryURLs` (the first is canonical).
    pub repository_urls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwiftSigning {
    pub format: String,
    pub signature_base64: String,
}

#[derive(Debug, Clone)]
pub struct SwiftReleaseInfo {
    /// `scope.Name`.
    pub id: String,
    pub version: String,
    /// SHA-256 of the source archive, hex.
    pub checksum: String,
    pub signing: Option<SwiftSigning>,
    /// The metadata as published (`{}` without one).
    pub metadata: Map<String, Value>,
    pub published_ms: i64,
    pub latest: Option<String>,
    pub successor: Option<String>,
    pub predecessor: Option<String>,
}

/// A version-specific manifest a release has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwiftAlternate {
    pub swift_version: String,
    pub file_name: String,
    pub tools_version: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SwiftManifest {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// For `Package.swift`: every version-specific manifest of the release.
    pub alternates: Vec<SwiftAlternate>,
}

#[derive(Debug)]
pub enum SwiftManifestAnswer {
    Found(SwiftManifest),
    /// The release has no manifest for the requested swift version (a 303 to `Package.swift`).
    NoSuchVariant,
}

pub struct SwiftArchive {
    /// `{Name}-{version}.zip`.
    pub file_name: String,
    pub sha256: String,
    pub signing: Option<SwiftSigning>,
    pub download: FileDownload,
}

impl std::fmt::Debug for SwiftArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwiftArchive")
            .field("file_name", &self.file_name)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

/// A version as found along the search order, with the repository that has it.
struct Found {
    row: VersionRow,
    hop: RepositoryRow,
}

/// Packages listed per store call by the identifier lookup.
const PAGE: u32 = 1000;

fn package_not_found(scope: &str, name: &str, repo: &NativeRepo) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Package,
        format!("{scope}.{name}"),
        format!(
            "package {scope}.{name} not found in repository {}",
            repo.name()
        ),
    )
}

/// Published and Unlisted releases resolve; the list shows Archived and Disposed ones as gone.
fn readable(status: VersionStatus) -> bool {
    matches!(status, VersionStatus::Published | VersionStatus::Unlisted)
}

fn precedence(v: &VersionRow) -> Option<semver::Version> {
    semver::Version::parse(&v.version).ok()
}

fn display(row: &VersionRow, key: &PackageKey) -> String {
    row.metadata
        .display_name
        .clone()
        .unwrap_or_else(|| key.name.clone())
}

impl Service {
    /// Every release of the package along the search order (the first repository with a version
    /// wins it), Unfinished ones left out, highest SemVer precedence first.
    async fn swift_merged(&self, repo: &NativeRepo, key: &PackageKey) -> ServiceResult<Vec<Found>> {
        let order = self.search_order(&repo.repo).await?;
        let mut found: Vec<Found> = Vec::new();
        for (i, hop) in order.iter().enumerate() {
            if i == 1
                && !self
                    .upstream_allowed(&repo.repo, key, Via::Upstream)
                    .await?
            {
                break;
            }
            let Some(package) = self.store.get_package(hop.id, key).await? else {
                continue;
            };
            for row in self.versions_with_status(package.id, None).await? {
                let seen = found.iter().any(|f| f.row.version == row.version);
                if !seen && row.status != VersionStatus::Unfinished && precedence(&row).is_some() {
                    found.push(Found {
                        row,
                        hop: hop.clone(),
                    });
                }
            }
        }
        found.sort_by_key(|f| std::cmp::Reverse(precedence(&f.row)));
        Ok(found)
    }

    async fn swift_found(
        &self,
        repo: &NativeRepo,
        scope: &str,
        name: &str,
    ) -> ServiceResult<(PackageKey, Vec<Found>)> {
        let key = key(scope, name);
        let found = self.swift_merged(repo, &key).await?;
        if found.is_empty() {
            return Err(package_not_found(scope, name, repo));
        }
        Ok((key, found))
    }

    /// The release `version` (Published or Unlisted) and the list it is in.
    async fn swift_release_of(
        &self,
        repo: &NativeRepo,
        scope: &str,
        name: &str,
        version: &str,
    ) -> ServiceResult<(PackageKey, Vec<Found>, usize)> {
        let (key, found) = self.swift_found(repo, scope, name).await?;
        let at = found
            .iter()
            .position(|f| f.row.version == version && readable(f.row.status))
            .ok_or_else(|| version_not_found(&key, version))?;
        Ok((key, found, at))
    }

    /// A small stored file, whole (at most `max` bytes).
    async fn swift_small_file(
        &self,
        domain_id: i64,
        asset: &AssetRow,
        max: u64,
    ) -> ServiceResult<Vec<u8>> {
        if asset.size as u64 > max {
            return Err(ServiceError::Internal(format!(
                "stored {} is larger than {max} bytes",
                asset.name
            )));
        }
        let read = self.open_blob(domain_id, asset).await?;
        let chunks: Vec<bytes::Bytes> = read.stream.try_collect().await.map_err(|e| {
            ServiceError::Internal(format!("blob {} unreadable: {e}", asset.sha256))
        })?;
        Ok(chunks.concat())
    }

    /// The signature of `part` among a release's assets.
    async fn swift_signing(
        &self,
        domain_id: i64,
        assets: &[AssetRow],
        part: &str,
    ) -> ServiceResult<Option<SwiftSigning>> {
        let Some((asset, format)) = assets
            .iter()
            .find_map(|a| signature_format_of(part, &a.name).map(|f| (a, f.to_string())))
        else {
            return Ok(None);
        };
        let bytes = self.swift_small_file(domain_id, asset, 1 << 20).await?;
        Ok(Some(SwiftSigning {
            format,
            signature_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        }))
    }

    /// The metadata a release was published with (`None` without one).
    async fn swift_metadata(
        &self,
        domain_id: i64,
        assets: &[AssetRow],
    ) -> ServiceResult<Option<ReleaseMetadata>> {
        let Some(asset) = assets.iter().find(|a| a.name == METADATA_ASSET) else {
            return Ok(None);
        };
        let bytes = self
            .swift_small_file(domain_id, asset, MAX_METADATA_BYTES as u64)
            .await?;
        ReleaseMetadata::parse(&bytes)
            .map(Some)
            .map_err(|e| ServiceError::Internal(format!("stored Swift metadata: {e}")))
    }

    /// Endpoint 1: the releases of `scope.name`.
    pub async fn swift_releases(
        &self,
        repo: &NativeRepo,
        scope: &str,
        name: &str,
    ) -> ServiceResult<SwiftReleaseList> {
        let (_, found) = self.swift_found(repo, scope, name).await?;
        let releases: Vec<SwiftRelease> = found
            .iter()
            .filter(|f| f.row.status != VersionStatus::Unlisted)
            .map(|f| SwiftRelease {
                version: f.row.version.clone(),
                gone: (!readable(f.row.status))
                    .then(|| format!("this release is {} in the registry", f.row.status)),
            })
            .collect();
        let latest = found
            .iter()
            .find(|f| f.row.status == VersionStatus::Published);
        let repository_urls = match latest {
            Some(l) => {
                let assets = self.store.version_assets(l.row.id).await?;
                self.swift_metadata(l.hop.domain_id, &assets)
                    .await?
                    .map(|m| m.repository_urls())
                    .unwrap_or_default()
            }
            None => Vec::new(),
        };
        Ok(SwiftReleaseList {
            releases,
            latest: latest.map(|l| l.row.version.clone()),
            repository_urls,
        })
    }

    /// Endpoint 2: a release's information.
    pub async fn swift_release(
        &self,
        repo: &NativeRepo,
        scope: &str,
        name: &str,
        version: &str,
    ) -> ServiceResult<SwiftReleaseInfo> {
        let (key, found, at) = self.swift_release_of(repo, scope, name, version).await?;
        let f = &found[at];
        let domain = f.hop.domain_id;
        let assets = self.store.version_assets(f.row.id).await?;
        let archive = assets
            .iter()
            .find(|a| a.name.ends_with(".zip"))
            .ok_or_else(|| version_not_found(&key, version))?;
        let published = |f: &&Found| f.row.status == VersionStatus::Published;
        let metadata = self.swift_metadata(domain, &assets).await?;
        Ok(SwiftReleaseInfo {
            id: format!("{}.{}", key.namespace, display(&f.row, &key)),
            version: f.row.version.clone(),
            checksum: archive.sha256.clone(),
            signing: self
                .swift_signing(domain, &assets, "source-archive")
                .await?,
            metadata: metadata.map(|m| m.object).unwrap_or_default(),
            published_ms: f.row.published_ms,
            latest: found.iter().find(published).map(|l| l.row.version.clone()),
            successor: found[..at]
                .iter()
                .rev()
                .find(published)
                .map(|l| l.row.version.clone()),
            predecessor: found[at + 1..]
                .iter()
                .find(published)
                .map(|l| l.row.version.clone()),
        })
    }

    /// Endpoint 3: `Package.swift`, or the manifest for `swift_version`.
    pub async fn swift_manifest(
        &self,
        repo: &NativeRepo,
        scope: &str,
        name: &str,
        version: &str,
        swift_version: Option<&str>,
    ) -> ServiceResult<SwiftManifestAnswer> {
        let (key, found, at) = self.swift_release_of(repo, scope, name, version).await?;
        let f = &found[at];
        let domain = f.hop.domain_id;
        let assets = self.store.version_assets(f.row.id).await?;
        let file_name = match swift_version {
            Some(v) => format!("Package@swift-{v}.swift"),
            None => MANIFEST.to_string(),
        };
        let Some(asset) = assets.iter().find(|a| a.name == file_name) else {
            if swift_version.is_some() {
                return Ok(SwiftManifestAnswer::NoSuchVariant);
            }
            return Err(version_not_found(&key, version));
        };
        let bytes = self
            .swift_small_file(domain, asset, MAX_MANIFEST_BYTES)
            .await?;
        let mut alternates = Vec::new();
        if swift_version.is_none() {
            for a in &assets {
                let Some(Some(v)) = manifest_swift_version(&a.name) else {
                    continue;
                };
                let text = self.swift_small_file(domain, a, MAX_MANIFEST_BYTES).await?;
                alternates.push(SwiftAlternate {
                    swift_version: v,
                    file_name: a.name.clone(),
                    tools_version: parse_tools_version(&text),
                });
            }
        }
        Ok(SwiftManifestAnswer::Found(SwiftManifest {
            file_name,
            bytes,
            alternates,
        }))
    }

    /// Endpoint 4: the source archive. A release only an upstream has is retained here first.
    pub async fn swift_archive(
        &self,
        repo: &NativeRepo,
        scope: &str,
        name: &str,
        version: &str,
    ) -> ServiceResult<SwiftArchive> {
        let (key, found, at) = self.swift_release_of(repo, scope, name, version).await?;
        let f = &found[at];
        if f.hop.id != repo.repo.id {
            self.copy_retained(&f.hop, &f.row, &repo.repo, &key).await?;
        }
        let assets = self.store.version_assets(f.row.id).await?;
        let archive = assets
            .iter()
            .find(|a| a.name.ends_with(".zip"))
            .ok_or_else(|| version_not_found(&key, version))?
            .clone();
        let signing = self
            .swift_signing(f.hop.domain_id, &assets, "source-archive")
            .await?;
        let file_name = archive_name(&display(&f.row, &key), &f.row.version);
        let sha256 = archive.sha256.clone();
        let download = self
            .download(f.hop.domain_id, f.row.clone(), archive)
            .await?;
        Ok(SwiftArchive {
            file_name,
            sha256,
            signing,
            download: download.into(),
        })
    }

    /// Endpoint 5: the identifiers (`scope.Name`) of packages whose newest release with metadata
    /// claims `url` among its `repositoryURLs` (compared as [`normalize_repository_url`] does),
    /// along the search order.
    pub async fn swift_identifiers(
        &self,
        repo: &NativeRepo,
        url: &str,
    ) -> ServiceResult<Vec<String>> {
        let wanted = normalize_repository_url(url);
        let mut ids: Vec<String> = Vec::new();
        for (i, hop) in self.search_order(&repo.repo).await?.iter().enumerate() {
            let mut after = None;
            loop {
                let filter = PackageFilter {
                    format: Some(PackageFormat::Swift),
                    after: after.clone(),
                    ..PackageFilter::default()
                };
                let page = self.store.list_packages(hop.id, &filter, PAGE).await?;
                for package in &page {
                    // As in the release list: upstream=BLOCK here hides the upstreams' releases.
                    if i > 0
                        && !self
                            .upstream_allowed(&repo.repo, &package.key, Via::Upstream)
                            .await?
                    {
                        continue;
                    }
                    let mut versions: Vec<VersionRow> = self
                        .versions_with_status(package.id, None)
                        .await?
                        .into_iter()
                        .filter(|v| readable(v.status))
                        .collect();
                    versions.sort_by_key(|v| std::cmp::Reverse((v.published_ms, v.id)));
                    for v in versions {
                        let assets = self.store.version_assets(v.id).await?;
                        let Some(meta) = self.swift_metadata(hop.domain_id, &assets).await? else {
                            continue;
                        };
                        let claims = meta
                            .repository_urls()
                            .iter()
                            .any(|u| normalize_repository_url(u) == wanted);
                        let id = format!("{}.{}", package.key.namespace, display(&v, &package.key));
                        if claims && !ids.iter().any(|i| i.eq_ignore_ascii_case(&id)) {
                            ids.push(id);
                        }
                        break;
                    }
                }
                if page.len() < PAGE as usize {
                    break;
                }
                after = page.last().map(|p| p.key.clone());
            }
        }
        Ok(ids)
    }
}
