//! UpdatePackageVersionsStatus, DisposePackageVersions, DeletePackageVersions.
//!
//! Batch semantics (`codeartifact-behavior.md` §3.9): each version is checked; if any fails, nothing
//! is applied and every other version is reported `SKIPPED`. Otherwise all changes are applied in one
//! compare-and-set transaction (re-evaluated if a concurrent write got there first).

use std::collections::BTreeMap;

use arca_metadata::{
    PackageRow, StoreError, VersionAction, VersionChange, VersionRow, VersionStatus,
};

use crate::coords::version_key;
use crate::{
    now_ms, revision, BatchOutcome, Caller, PackageRef, Service, ServiceError, ServiceResult,
    VersionErrorCode, VersionFailure, VersionSuccess, CAS_RETRIES,
};

/// Which versions a batch names, with optional expected revisions.
#[derive(Debug, Clone, Default)]
pub struct VersionSelection {
    pub versions: Vec<String>,
    pub version_revisions: Option<BTreeMap<String, String>>,
    pub expected_status: Option<VersionStatus>,
}

#[derive(Debug, Clone, Copy)]
enum BatchKind {
    SetStatus(VersionStatus),
    Dispose,
    Delete,
}

pub(crate) fn failure(code: VersionErrorCode, message: String) -> VersionFailure {
    VersionFailure { code, message }
}

/// Records the failures, reports every other version as skipped, and returns the outcome.
pub(crate) fn skip_rest(
    names: &[String],
    failed: BTreeMap<String, VersionFailure>,
    skipped_message: impl Fn(&str) -> String,
) -> BatchOutcome {
    let mut out = BatchOutcome {
        failed,
        ..Default::default()
    };
    for v in names {
        if !out.failed.contains_key(v) {
            out.failed.insert(
                v.clone(),
                failure(VersionErrorCode::Skipped, skipped_message(v)),
            );
        }
    }
    out
}

/// Normalizes and de-duplicates the version names; checks that `versionRevisions` names the same
/// versions as `versions` when both are given.
pub(crate) fn selected_names(
    format: arca_metadata::PackageFormat,
    sel: &VersionSelection,
) -> ServiceResult<(Vec<String>, BTreeMap<String, String>)> {
    let mut names = Vec::new();
    for v in &sel.versions {
        let n = version_key(format, v)?;
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let mut revisions = BTreeMap::new();
    if let Some(map) = &sel.version_revisions {
        for (v, r) in map {
            let n = version_key(format, v)?;
            if !names.contains(&n) {
                return Err(ServiceError::validation(format!(
                    "versionRevisions names version {v}, which is not in versions; both must name the same versions."
                )));
            }
            revisions.insert(n, r.clone());
        }
        if revisions.len() != names.len() {
            return Err(ServiceError::validation(
                "versions and versionRevisions must name the same versions.",
            ));
        }
    }
    Ok((names, revisions))
}

/// Checks the optional expected status and revision of one version.
pub(crate) fn check_expectations(
    v: &VersionRow,
    expected_status: Option<VersionStatus>,
    expected_revision: Option<&String>,
) -> Result<(), VersionFailure> {
    if let Some(exp) = expected_status {
        if v.status != exp {
            return Err(failure(
                VersionErrorCode::MismatchedStatus,
                format!("current status: {}, expected status: {exp}", v.status),
            ));
        }
    }
    if let Some(exp) = expected_revision {
        if &v.revision != exp {
            return Err(failure(
                VersionErrorCode::MismatchedRevision,
                format!("current revision: {}, expected revision: {exp}", v.revision),
            ));
        }
    }
    Ok(())
}

impl Service {
    pub async fn update_package_versions_status(
        &self,
        caller: &Caller,
        p: &PackageRef,
        sel: VersionSelection,
        target: VersionStatus,
    ) -> ServiceResult<BatchOutcome> {
        if !matches!(
            target,
            VersionStatus::Published | VersionStatus::Unlisted | VersionStatus::Archived
        ) {
            return Err(ServiceError::validation(format!(
                "targetStatus {target} is not allowed: use Published, Unlisted or Archived (Disposed through DisposePackageVersions, Deleted through DeletePackageVersions)."
            )));
        }
        self.run_batch(caller, p, sel, BatchKind::SetStatus(target))
            .await
    }

    pub async fn dispose_package_versions(
        &self,
        caller: &Caller,
        p: &PackageRef,
        sel: VersionSelection,
    ) -> ServiceResult<BatchOutcome> {
        self.run_batch(caller, p, sel, BatchKind::Dispose).await
    }

    pub async fn delete_package_versions(
        &self,
        caller: &Caller,
        p: &PackageRef,
        sel: VersionSelection,
    ) -> ServiceResult<BatchOutcome> {
        self.run_batch(caller, p, sel, BatchKind::Delete).await
    }

    async fn run_batch(
        &self,
        caller: &Caller,
        p: &PackageRef,
        sel: VersionSelection,
        kind: BatchKind,
    ) -> ServiceResult<BatchOutcome> {
        let (_, _, package) = self.resolve_package(caller, p).await?;
        let (names, revisions) = selected_names(p.format, &sel)?;
        for _ in 0..CAS_RETRIES {
            let (changes, outcome) = self
                .plan_batch(&package, &names, &revisions, sel.expected_status, kind)
                .await?;
            if !outcome.failed.is_empty() || changes.is_empty() {
                return Ok(outcome);
            }
            match self.store.apply_version_changes(&changes).await {
                Ok(()) => return Ok(outcome),
                Err(StoreError::PreconditionFailed) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal(
            "batch: too many concurrent updates of the same versions".into(),
        ))
    }

    async fn plan_batch(
        &self,
        package: &PackageRow,
        names: &[String],
        revisions: &BTreeMap<String, String>,
        expected_status: Option<VersionStatus>,
        kind: BatchKind,
    ) -> ServiceResult<(Vec<VersionChange>, BatchOutcome)> {
        let mut changes = Vec::new();
        let mut outcome = BatchOutcome::default();
        for name in names {
            let Some(v) = self.store.get_version(package.id, name).await? else {
                outcome.failed.insert(
                    name.clone(),
                    failure(
                        VersionErrorCode::NotFound,
                        format!("Could not find version {name}"),
                    ),
                );
                continue;
            };
            if let Err(f) = check_expectations(&v, expected_status, revisions.get(name)) {
                outcome.failed.insert(name.clone(), f);
                continue;
            }
            let planned = match kind {
                BatchKind::SetStatus(target) => self.plan_set_status(&v, target),
                BatchKind::Dispose => self.plan_dispose(&v).await?,
                BatchKind::Delete => Ok((
                    Some(VersionAction::Delete),
                    VersionSuccess {
                        revision: v.revision.clone(),
                        status: VersionStatus::Deleted,
                    },
                )),
            };
            match planned {
                Ok((action, success)) => {
                    if let Some(action) = action {
                        changes.push(VersionChange {
                            version_id: v.id,
                            expect_status: v.status,
                            expect_revision: v.revision.clone(),
                            action,
                        });
                    }
                    outcome.successful.insert(name.clone(), success);
                }
                Err(f) => {
                    outcome.failed.insert(name.clone(), f);
                }
            }
        }
        if !outcome.failed.is_empty() {
            let failed = std::mem::take(&mut outcome.failed);
            return Ok((
                Vec::new(),
                skip_rest(names, failed, |v| format!("version {v} is skipped")),
            ));
        }
        Ok((changes, outcome))
    }

    fn plan_set_status(
        &self,
        v: &VersionRow,
        target: VersionStatus,
    ) -> Result<(Option<VersionAction>, VersionSuccess), VersionFailure> {
        if v.status == VersionStatus::Disposed {
            return Err(failure(
                VersionErrorCode::NotAllowed,
                format!(
                    "Version {} is Disposed; a disposed version can only be deleted.",
                    v.version
                ),
            ));
        }
        let success = VersionSuccess {
            revision: v.revision.clone(),
            status: target,
        };
        if v.status == target {
            return Ok((None, success));
        }
        let published_ms = if v.status == VersionStatus::Unfinished {
            now_ms()
        } else {
            v.published_ms
        };
        Ok((
            Some(VersionAction::SetStatus {
                status: target,
                published_ms,
            }),
            success,
        ))
    }

    async fn plan_dispose(
        &self,
        v: &VersionRow,
    ) -> ServiceResult<Result<(Option<VersionAction>, VersionSuccess), VersionFailure>> {
        if v.status == VersionStatus::Disposed {
            return Ok(Ok((
                None,
                VersionSuccess {
                    revision: v.revision.clone(),
                    status: VersionStatus::Disposed,
                },
            )));
        }
        // Disposing deletes the assets, so the revision (a digest of assets and metadata) changes.
        let revision = revision::compute(&[], &v.metadata);
        Ok(Ok((
            Some(VersionAction::Dispose {
                revision: revision.clone(),
            }),
            VersionSuccess {
                revision,
                status: VersionStatus::Disposed,
            },
        )))
    }
}
