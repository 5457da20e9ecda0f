//! `npm unpublish`: npm removes a version by sending the packument back without it (then deleting
//! its tarball), and a whole package by deleting the package document. Each names the document
//! revision it read (`-rev/{rev}`), which must be the current one (`state.rs`): a stale document
//! is a 409, so only versions its sender saw are ever deleted. The deletions are compare-and-set
//! writes of the versions as read (a change between the read and the write is a 409 too). As with
//! DeletePackageVersions / DeletePackage, a deleted version may be published again.

use std::collections::BTreeSet;

use arca_metadata::{StoreError, VersionAction, VersionChange, VersionRow, VersionStatus};

use super::read::file_version;
use super::NpmName;
use crate::native::NativeRepo;
use crate::{Caller, ResourceType, Service, ServiceError, ServiceResult};

fn changed_meanwhile(name: &NpmName) -> ServiceError {
    ServiceError::conflict(
        ResourceType::Package,
        name.to_string(),
        format!("Document update conflict: {name} changed during this write. Read the package again and retry."),
    )
}

impl Service {
    /// The packument PUT of `npm unpublish name@version` under revision `rev`: every Published
    /// version that `remaining` no longer lists is deleted (npm only ever saw the Published ones).
    /// Returns the deleted ones.
    pub async fn npm_unpublish_missing(
        &self,
        _caller: &Caller,
        repo: &NativeRepo,
        name: &str,
        rev: Option<&str>,
        remaining: &BTreeSet<String>,
    ) -> ServiceResult<Vec<String>> {
        let name = NpmName::parse(name)?;
        self.authorize_native_write(repo, &name.key(), "codeartifact:DeletePackageVersions")
            .await?;
        let state = self.npm_state(repo, &name).await?;
        state.check_rev(&name, rev)?;
        let gone: Vec<&VersionRow> = state
            .published()
            .filter(|v| !remaining.contains(&v.version))
            .collect();
        self.npm_delete_versions(&name, &gone).await?;
        Ok(gone.into_iter().map(|v| v.version.clone()).collect())
    }

    /// The tarball DELETE that follows (under the revision read after the PUT): deletes the
    /// version if it is still there (it normally went with the PUT, and then there is nothing to
    /// do whatever the revision).
    pub async fn npm_unpublish_tarball(
        &self,
        _caller: &Caller,
        repo: &NativeRepo,
        name: &str,
        file: &str,
        rev: Option<&str>,
    ) -> ServiceResult<()> {
        let name = NpmName::parse(name)?;
        self.authorize_native_write(repo, &name.key(), "codeartifact:DeletePackageVersions")
            .await?;
        let Some(version) = file_version(&name, file) else {
            return Ok(());
        };
        let state = match self.npm_state(repo, &name).await {
            Ok(state) => state,
            Err(ServiceError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        // Only what npm can download is npm's to delete.
        let Some(v) = state.versions.iter().find(|v| {
            v.version == version
                && matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted)
        }) else {
            return Ok(());
        };
        state.check_rev(&name, rev)?;
        self.npm_delete_versions(&name, &[v]).await
    }

    /// `npm unpublish name --force` (or of its last version) under revision `rev`: the whole
    /// package goes, provided its versions are still the ones the revision stands for.
    pub async fn npm_unpublish_package(
        &self,
        _caller: &Caller,
        repo: &NativeRepo,
        name: &str,
        rev: Option<&str>,
    ) -> ServiceResult<()> {
        let name = NpmName::parse(name)?;
        self.authorize_native_write(repo, &name.key(), "codeartifact:DeletePackageVersions")
            .await?;
        let state = self.npm_state(repo, &name).await?;
        state.check_rev(&name, rev)?;
        match self
            .store
            .delete_package_at(state.package.id, &state.versions)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::PreconditionFailed | StoreError::NotFound) => {
                Err(changed_meanwhile(&name))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes these versions, as read, in one compare-and-set write.
    async fn npm_delete_versions(&self, name: &NpmName, rows: &[&VersionRow]) -> ServiceResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let changes: Vec<VersionChange> = rows
            .iter()
            .map(|v| VersionChange {
                version_id: v.id,
                expect_status: v.status,
                expect_revision: v.revision.clone(),
                action: VersionAction::Delete,
            })
            .collect();
        match self.store.apply_version_changes(&changes).await {
            Ok(()) => Ok(()),
            Err(StoreError::PreconditionFailed) => Err(changed_meanwhile(name)),
            Err(e) => Err(e.into()),
        }
    }
}
