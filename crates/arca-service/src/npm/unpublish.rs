//! `npm unpublish`: npm removes a version by sending the packument back without it (then deleting
//! its tarball), and a whole package by deleting the package document. Both become
//! DeletePackageVersions / DeletePackage, so the API and npm agree on what is gone (and a deleted
//! version may be published again, as on AWS).

use std::collections::BTreeSet;

use arca_metadata::VersionStatus;

use super::read::file_version;
use super::NpmName;
use crate::native::NativeRepo;
use crate::{
    Caller, DomainRef, PackageRef, RepoRef, ResourceType, Service, ServiceError, ServiceResult,
    VersionSelection,
};

impl Service {
    /// The packument PUT of `npm unpublish name@version`: every Published version that `remaining`
    /// no longer lists is deleted (npm only ever saw the Published ones). Returns the deleted ones.
    pub async fn npm_unpublish_missing(
        &self,
        caller: &Caller,
        repo: &NativeRepo,
        name: &str,
        remaining: &BTreeSet<String>,
    ) -> ServiceResult<Vec<String>> {
        let name = NpmName::parse(name)?;
        let package = self.npm_package(repo, &name).await?;
        let gone: Vec<String> = self
            .published_versions(package.id)
            .await?
            .into_iter()
            .map(|v| v.version)
            .filter(|v| !remaining.contains(v))
            .collect();
        if !gone.is_empty() {
            self.npm_delete_versions(caller, repo, &name, gone.clone())
                .await?;
        }
        Ok(gone)
    }

    /// The tarball DELETE that follows: deletes the version if it is still there (it normally went
    /// with the packument PUT).
    pub async fn npm_unpublish_tarball(
        &self,
        caller: &Caller,
        repo: &NativeRepo,
        name: &str,
        file: &str,
    ) -> ServiceResult<()> {
        let name = NpmName::parse(name)?;
        let Some(version) = file_version(&name, file) else {
            return Ok(());
        };
        let package = match self.npm_package(repo, &name).await {
            Ok(p) => p,
            Err(ServiceError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        match self.store.get_version(package.id, version).await? {
            // Only what npm can download is npm's to delete.
            Some(v) if matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted) => {
                self.npm_delete_versions(caller, repo, &name, vec![v.version])
                    .await
            }
            _ => Ok(()),
        }
    }

    /// `npm unpublish name --force` (or of its last version): the whole package goes.
    pub async fn npm_unpublish_package(
        &self,
        caller: &Caller,
        repo: &NativeRepo,
        name: &str,
    ) -> ServiceResult<()> {
        let name = NpmName::parse(name)?;
        self.delete_package(caller, &package_ref(repo, &name))
            .await?;
        Ok(())
    }

    async fn npm_delete_versions(
        &self,
        caller: &Caller,
        repo: &NativeRepo,
        name: &NpmName,
        versions: Vec<String>,
    ) -> ServiceResult<()> {
        let selection = VersionSelection {
            versions,
            ..Default::default()
        };
        let out = self
            .delete_package_versions(caller, &package_ref(repo, name), selection)
            .await?;
        match out.failed.into_iter().next() {
            None => Ok(()),
            Some((version, f)) => Err(ServiceError::conflict(
                ResourceType::PackageVersion,
                version,
                f.message,
            )),
        }
    }
}

fn package_ref(repo: &NativeRepo, name: &NpmName) -> PackageRef {
    let key = name.key();
    PackageRef {
        repo: RepoRef {
            domain: DomainRef {
                name: repo.repo.domain_name.clone(),
                owner: Some(repo.repo.domain_owner.clone()),
            },
            repository: repo.repo.name.clone(),
        },
        format: key.format,
        namespace: name.scope.clone(),
        package: key.name,
    }
}
