//! What NuGet restores from: the flat container's version list, `.nupkg` and `.nuspec`
//! (Published and Unlisted versions; module doc), merged over the search order and retained from
//! upstream repositories and external sources.

use arca_metadata::{AssetRow, PackageFormat, PackageRow, VersionRow, VersionStatus};

use super::nuspec::find_nuspec;
use super::version::compare_versions;
use super::{asset_name, key, normalize_version};
use crate::groups::Via;
use crate::native::{read_blocking, NativeRepo};
use crate::upstream::connections::ExternalSource;
use crate::{FileDownload, ResourceType, Service, ServiceError, ServiceResult};

/// Whether NuGet sees the version: Published (listed) and Unlisted.
pub(super) fn restorable(v: &VersionRow) -> bool {
    matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted)
}

pub(super) fn package_not_found(id: &str, repo: &NativeRepo) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Package,
        id,
        format!(
            "NuGet package '{id}' not found in repository {}.",
            repo.name()
        ),
    )
}

fn version_missing(id: &str, version: &str, repo: &NativeRepo) -> ServiceError {
    ServiceError::not_found(
        ResourceType::PackageVersion,
        version,
        format!(
            "NuGet package '{id}' {version} not found in repository {}.",
            repo.name()
        ),
    )
}

/// A version stored in a repository of the search order.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub row: VersionRow,
}

/// A version only an external source has, and the connection it has it through.
#[derive(Debug, Clone)]
pub(super) struct Sourced {
    /// Normalized.
    pub version: String,
    pub connection: String,
    pub source: ExternalSource,
}

/// The versions of a package along a repository's search order.
#[derive(Debug, Default)]
pub(super) struct Merged {
    /// Stored in a repository of the order.
    pub found: Vec<Found>,
    /// Only at an external source.
    pub sourced: Vec<Sourced>,
    /// Set when part of it is a stale copy of a source's index (or a source failed): why.
    pub stale: Option<String>,
}

/// The flat container's version list.
#[derive(Debug, Clone)]
pub struct NugetVersions {
    /// Normalized, ascending.
    pub versions: Vec<String>,
    /// Set when part of the list comes from a stale copy of a source's index: why, for a
    /// `Warning` header.
    pub stale: Option<String>,
}

impl Service {
    pub(super) async fn nuget_package(
        &self,
        repo: &NativeRepo,
        id: &str,
    ) -> ServiceResult<PackageRow> {
        self.store
            .get_package(repo.repo.id, &key(id))
            .await?
            .ok_or_else(|| package_not_found(id, repo))
    }

    /// The restorable versions of `id` along the repository's search order, each from the first
    /// repository (or external source) that has it; the upstreams only unless the package's
    /// `upstream` origin control is BLOCK here, a source only when its repository's control and
    /// package group let the package in, and not when the connection has a `min_release_age`
    /// (the flat container gives no publish times: fail closed). 404 when no one has a version.
    pub(super) async fn nuget_merged(&self, repo: &NativeRepo, id: &str) -> ServiceResult<Merged> {
        let key = key(id);
        let order = self.search_order(&repo.repo).await?;
        let mut m = Merged::default();
        let mut unavailable = None;
        let known = |m: &Merged, v: &str| {
            m.found.iter().any(|f| f.row.version == v) || m.sourced.iter().any(|s| s.version == v)
        };
        for (i, hop) in order.iter().enumerate() {
            if i == 1
                && !self
                    .upstream_allowed(&repo.repo, &key, Via::Upstream)
                    .await?
            {
                break;
            }
            if let Some(package) = self.store.get_package(hop.id, &key).await? {
                for row in self.versions_with_status(package.id, None).await? {
                    if restorable(&row) && !known(&m, &row.version) {
                        m.found.push(Found { row });
                    }
                }
            }
            let Some((connection, source)) =
                self.open_source(hop, PackageFormat::Nuget, &key).await?
            else {
                continue;
            };
            if source.min_release_age.is_some() {
                continue;
            }
            let cache = &self.upstream_caches.nuget;
            let found = self.source_index(cache, &connection, source, &key).await;
            let Some(index) = found.for_merge(&mut m.stale, &mut unavailable) else {
                continue;
            };
            for v in &index.versions {
                if !known(&m, v) {
                    m.sourced.push(Sourced {
                        version: v.clone(),
                        connection: connection.clone(),
                        source: source.clone(),
                    });
                }
            }
        }
        if m.found.is_empty() && m.sourced.is_empty() {
            return Err(match unavailable {
                Some(why) => ServiceError::Upstream(format!(
                    "NuGet package '{id}' is not in repository {} and its upstream source is unavailable ({why}); try again later.",
                    repo.name()
                )),
                None => package_not_found(id, repo),
            });
        }
        m.found
            .sort_by(|a, b| compare_versions(&a.row.version, &b.row.version));
        m.stale = m.stale.or(unavailable);
        Ok(m)
    }

    /// The flat container's `index.json`: every restorable version, normalized and ascending.
    pub async fn nuget_flat_versions(
        &self,
        repo: &NativeRepo,
        id: &str,
    ) -> ServiceResult<NugetVersions> {
        let m = self.nuget_merged(repo, id).await?;
        let mut versions: Vec<String> = m.found.into_iter().map(|f| f.row.version).collect();
        versions.extend(m.sourced.into_iter().map(|s| s.version));
        versions.sort_by(|a, b| compare_versions(a, b));
        Ok(NugetVersions {
            versions,
            stale: m.stale,
        })
    }

    /// The requested repository's restorable version and its `.nupkg` (`None`: it does not have
    /// the version; one it has in a status that cannot be restored is a 404).
    async fn nuget_local(
        &self,
        repo: &NativeRepo,
        id: &str,
        normal: &str,
    ) -> ServiceResult<Option<(VersionRow, AssetRow)>> {
        let Some(v) = self.version_in(&repo.repo, &key(id), normal).await? else {
            return Ok(None);
        };
        let missing = || version_missing(id, normal, repo);
        if !restorable(&v) {
            return Err(missing());
        }
        let asset = self
            .store
            .version_assets(v.id)
            .await?
            .into_iter()
            .find(|a| a.name.ends_with(".nupkg"))
            .ok_or_else(missing)?;
        Ok(Some((v, asset)))
    }

    /// `GET {base}{id}/{version}/{id}.{version}.nupkg`: a restorable version, retained from the
    /// upstreams first when the repository does not have it (a package fetched from a source
    /// streams to the client as it is kept).
    pub async fn nuget_download(
        &self,
        repo: &NativeRepo,
        id: &str,
        version: &str,
    ) -> ServiceResult<FileDownload> {
        let missing = || version_missing(id, version, repo);
        let normal = normalize_version(version).map_err(|_| missing())?;
        let local = || async {
            Ok::<_, ServiceError>(match self.nuget_local(repo, id, &normal).await? {
                Some((v, a)) => Some(FileDownload::from(
                    self.download(repo.repo.domain_id, v, a).await?,
                )),
                None => None,
            })
        };
        if let Some(d) = local().await? {
            return Ok(d);
        }
        let flight = format!("{}\nnuget\n{}\n{normal}", repo.repo.id, id.to_lowercase());
        let (svc, requested) = (self.clone(), repo.repo.clone());
        let (id_owned, version_owned) = (id.to_lowercase(), normal.clone());
        self.fetch_through(flight, local, |tee| async move {
            let (id, version) = (id_owned.as_str(), version_owned.as_str());
            let ingest = |read| svc.nuget_ingest(id, version, read);
            let (file, cache) = (asset_name(id, version), &svc.upstream_caches.nuget);
            svc.retain_from_upstreams(cache, &requested, &key(id), version, &file, &ingest, &tee)
                .await
        })
        .await?
        .ok_or_else(missing)
    }

    /// `GET {base}{id}/{version}/{id}.nuspec`: the manifest as packed in the `.nupkg` (retained
    /// from the upstreams first when the repository does not have it).
    pub async fn nuget_nuspec(
        &self,
        repo: &NativeRepo,
        id: &str,
        version: &str,
    ) -> ServiceResult<Vec<u8>> {
        use futures::TryStreamExt;
        let missing = || version_missing(id, version, repo);
        let normal = normalize_version(version).map_err(|_| missing())?;
        let asset = match self.nuget_local(repo, id, &normal).await? {
            Some((_, asset)) => asset,
            None => {
                // Retained as a download would; the bytes are kept, not sent anywhere.
                let d = self.nuget_download(repo, id, version).await?;
                d.stream
                    .try_for_each(|_| std::future::ready(Ok(())))
                    .await
                    .map_err(|e| ServiceError::Upstream(format!("retaining {id} {normal}: {e}")))?;
                let (_, asset) = self
                    .nuget_local(repo, id, &normal)
                    .await?
                    .ok_or_else(missing)?;
                asset
            }
        };
        let read = self.open_blob(repo.repo.domain_id, &asset).await?;
        read_blocking(read, "a .nupkg", find_nuspec)
            .await?
            .map_err(|why| ServiceError::Internal(format!("stored .nupkg {}: {why}", asset.name)))
    }

    /// `nuget delete` (`unlisted`: the version becomes Unlisted, the gallery's convention) and
    /// relist (Published again).
    pub async fn nuget_set_unlisted(
        &self,
        repo: &NativeRepo,
        id: &str,
        version: &str,
        unlisted: bool,
    ) -> ServiceResult<()> {
        let package = self.nuget_package(repo, id).await?;
        let normal = normalize_version(version).map_err(|_| version_missing(id, version, repo))?;
        self.authorize_native_write(repo, &package.key, "codeartifact:PutPackageMetadata")
            .await?;
        self.set_unlisted(&package, &normal, unlisted, |status| {
            format!(
                "NuGet package '{id}' {normal} is {status}; only Published and Unlisted versions can be deleted (unlisted) or relisted."
            )
        })
        .await
    }
}
