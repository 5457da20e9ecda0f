//! What NuGet restores from: the flat container's version list, `.nupkg` and `.nuspec`
//! (Published and Unlisted versions; module doc).

use arca_metadata::{AssetRow, PackageRow, RepositoryRow, VersionRow, VersionStatus};

use super::nuspec::find_nuspec;
use super::version::compare_versions;
use super::{key, normalize_version};
use crate::groups::Via;
use crate::native::{read_blocking, NativeRepo};
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

/// A version found along a repository's search order, and the repository that has it.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub row: VersionRow,
    pub hop: RepositoryRow,
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

    /// The restorable versions of `id` along the repository's search order (the first repository
    /// with a version wins it; the upstreams only unless the package's `upstream` origin control
    /// is BLOCK here), in NuGet's version order; 404 when there is none.
    pub(super) async fn nuget_merged(
        &self,
        repo: &NativeRepo,
        id: &str,
    ) -> ServiceResult<Vec<Found>> {
        let key = key(id);
        let order = self.search_order(&repo.repo).await?;
        let mut found: Vec<Found> = Vec::new();
        for (i, hop) in order.iter().enumerate() {
            if i == 1
                && !self
                    .upstream_allowed(&repo.repo, &key, Via::Upstream)
                    .await?
            {
                break;
            }
            let Some(package) = self.store.get_package(hop.id, &key).await? else {
                continue;
            };
            for row in self.versions_with_status(package.id, None).await? {
                if restorable(&row) && !found.iter().any(|f| f.row.version == row.version) {
                    found.push(Found {
                        row,
                        hop: hop.clone(),
                    });
                }
            }
        }
        if found.is_empty() {
            return Err(package_not_found(id, repo));
        }
        found.sort_by(|a, b| compare_versions(&a.row.version, &b.row.version));
        Ok(found)
    }

    /// The flat container's `index.json`: every restorable version, normalized and ascending.
    pub async fn nuget_flat_versions(
        &self,
        repo: &NativeRepo,
        id: &str,
    ) -> ServiceResult<Vec<String>> {
        let found = self.nuget_merged(repo, id).await?;
        Ok(found.into_iter().map(|f| f.row.version).collect())
    }

    /// A restorable version and its `.nupkg` asset; a version only an upstream repository has is
    /// retained in the requested one first (copied by reference).
    async fn nuget_version_asset(
        &self,
        repo: &NativeRepo,
        id: &str,
        version: &str,
    ) -> ServiceResult<(VersionRow, AssetRow)> {
        let missing = || version_missing(id, version, repo);
        let normal = normalize_version(version).map_err(|_| missing())?;
        let f = self
            .nuget_merged(repo, id)
            .await?
            .into_iter()
            .find(|f| f.row.version == normal)
            .ok_or_else(missing)?;
        if f.hop.id != repo.repo.id {
            self.copy_retained(&f.hop, &f.row, &repo.repo, &key(id))
                .await?;
        }
        let asset = self
            .store
            .version_assets(f.row.id)
            .await?
            .into_iter()
            .find(|a| a.name.ends_with(".nupkg"))
            .ok_or_else(missing)?;
        Ok((f.row, asset))
    }

    /// `GET {base}{id}/{version}/{id}.{version}.nupkg`.
    pub async fn nuget_download(
        &self,
        repo: &NativeRepo,
        id: &str,
        version: &str,
    ) -> ServiceResult<FileDownload> {
        let (v, asset) = self.nuget_version_asset(repo, id, version).await?;
        Ok(self.download(repo.repo.domain_id, v, asset).await?.into())
    }

    /// `GET {base}{id}/{version}/{id}.nuspec`: the manifest as packed in the `.nupkg`.
    pub async fn nuget_nuspec(
        &self,
        repo: &NativeRepo,
        id: &str,
        version: &str,
    ) -> ServiceResult<Vec<u8>> {
        let (_, asset) = self.nuget_version_asset(repo, id, version).await?;
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
