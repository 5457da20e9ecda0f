//! What NuGet restores from: the flat container's version list, `.nupkg` and `.nuspec`
//! (Published and Unlisted versions; module doc).

use arca_metadata::{AssetRow, PackageRow, VersionRow, VersionStatus};

use super::nuspec::find_nuspec;
use super::version::compare_versions;
use super::{key, normalize_version};
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

    /// The restorable versions of a package, in NuGet's version order.
    pub(super) async fn nuget_versions_of(
        &self,
        package: &PackageRow,
    ) -> ServiceResult<Vec<VersionRow>> {
        let mut versions: Vec<VersionRow> = self
            .versions_with_status(package.id, None)
            .await?
            .into_iter()
            .filter(restorable)
            .collect();
        versions.sort_by(|a, b| compare_versions(&a.version, &b.version));
        Ok(versions)
    }

    /// The flat container's `index.json`: every restorable version, normalized and ascending.
    pub async fn nuget_flat_versions(
        &self,
        repo: &NativeRepo,
        id: &str,
    ) -> ServiceResult<Vec<String>> {
        let package = self.nuget_package(repo, id).await?;
        let versions = self.nuget_versions_of(&package).await?;
        if versions.is_empty() {
            return Err(package_not_found(id, repo));
        }
        Ok(versions.into_iter().map(|v| v.version).collect())
    }

    /// A restorable version and its `.nupkg` asset.
    async fn nuget_version_asset(
        &self,
        repo: &NativeRepo,
        id: &str,
        version: &str,
    ) -> ServiceResult<(VersionRow, AssetRow)> {
        let missing = || version_missing(id, version, repo);
        let normal = normalize_version(version).map_err(|_| missing())?;
        let package = self.nuget_package(repo, id).await?;
        let v = self
            .store
            .get_version(package.id, &normal)
            .await?
            .filter(restorable)
            .ok_or_else(missing)?;
        let asset = self
            .store
            .version_assets(v.id)
            .await?
            .into_iter()
            .find(|a| a.name.ends_with(".nupkg"))
            .ok_or_else(missing)?;
        Ok((v, asset))
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
        self.set_unlisted(&package, &normal, unlisted, |status| {
            format!(
                "NuGet package '{id}' {normal} is {status}; only Published and Unlisted versions can be deleted (unlisted) or relisted."
            )
        })
        .await
    }
}
