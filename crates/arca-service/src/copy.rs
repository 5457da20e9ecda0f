//! CopyPackageVersions: copies versions (assets by reference — blobs are per domain, so no bytes move)
//! from one repository to another of the same domain, keeping each version's origin.

use std::collections::BTreeMap;

use arca_metadata::{
    CopiedVersion, CopyWrite, GroupRestriction, OriginRule, StoreError, VersionExpectation,
    VersionStatus,
};

use crate::coords::package_key;
use crate::fields::check_asset_name;
use crate::lifecycle::{check_expectations, failure, selected_names, skip_rest, VersionSelection};
use crate::{
    BatchOutcome, Caller, PackageRef, RepoRef, ResourceType, Service, ServiceError, ServiceResult,
    VersionErrorCode, VersionSuccess, CAS_RETRIES,
};

#[derive(Debug, Clone)]
pub struct CopyRequest {
    /// The package in the source repository.
    pub source: PackageRef,
    pub destination_repository: String,
    pub versions: Option<Vec<String>>,
    pub version_revisions: Option<BTreeMap<String, String>>,
    pub allow_overwrite: bool,
    /// Versions the source repository lacks are taken from its upstream repositories (the first
    /// in its search order that has each), keeping their origin. External sources are not fetched.
    pub include_from_upstream: bool,
}

impl Service {
    pub async fn copy_package_versions(
        &self,
        caller: &Caller,
        req: CopyRequest,
    ) -> ServiceResult<BatchOutcome> {
        let sel = match (req.versions, req.version_revisions) {
            (Some(v), None) => VersionSelection {
                versions: v,
                ..Default::default()
            },
            (None, Some(m)) => VersionSelection {
                versions: m.keys().cloned().collect(),
                version_revisions: Some(m),
                expected_status: None,
            },
            _ => {
                return Err(ServiceError::validation(
                    "Specify exactly one of versions and versionRevisions.",
                ))
            }
        };
        if req.destination_repository == req.source.repo.repository {
            return Err(ServiceError::validation(
                "The source and destination repositories must be different.",
            ));
        }
        let key = package_key(
            req.source.format,
            req.source.namespace.as_deref(),
            &req.source.package,
        )?;
        let dest_ref = RepoRef {
            domain: req.source.repo.domain.clone(),
            repository: req.destination_repository.clone(),
        };
        let (_, dest_repo) = self.resolve_repo(caller, &dest_ref).await?;
        let (src_repo, src_pkg) = match self.resolve_package(caller, &req.source).await {
            Ok((repo, _, pkg)) => (repo, Some(pkg)),
            // Only upstream: with includeFromUpstream, that is where the versions come from.
            Err(ServiceError::NotFound {
                resource_type: ResourceType::Package,
                ..
            }) if req.include_from_upstream => {
                (self.resolve_repo(caller, &req.source.repo).await?.1, None)
            }
            Err(e) => return Err(e),
        };
        let upstreams = match req.include_from_upstream {
            true => self.search_order(&src_repo).await?.split_off(1),
            false => Vec::new(),
        };
        let (names, revisions) = selected_names(req.source.format, &sel)?;

        // The package group's PUBLISH restriction (§A8.3): a copy is a publish too.
        let group_refusal = self
            .group_refusal(&dest_repo, &key, GroupRestriction::Publish)
            .await?;
        'retry: for _ in 0..CAS_RETRIES {
            let dest_pkg = self.store.get_package(dest_repo.id, &key).await?;
            // Origin controls (§A5): a copy is a publish into the destination.
            let refusal = match &group_refusal {
                Some(why) => Some(why.clone()),
                None => dest_pkg
                    .as_ref()
                    .is_some_and(|p| p.origin_publish == OriginRule::Block)
                    .then(|| {
                        format!(
                            "publishing into repository {} is blocked by the package's origin \
                             configuration (publish: BLOCK)",
                            dest_repo.name
                        )
                    }),
            };
            if let Some(refusal) = refusal {
                let failed = names
                    .iter()
                    .map(|n| {
                        let why = format!("Version {n} cannot be copied: {refusal}");
                        (n.clone(), failure(VersionErrorCode::NotAllowed, why))
                    })
                    .collect();
                return Ok(skip_rest(&names, failed, |v| {
                    format!("Version {v} was skipped")
                }));
            }
            let mut outcome = BatchOutcome::default();
            let mut writes = Vec::new();
            let mut identical = Vec::new();
            for name in &names {
                let mut src = match &src_pkg {
                    Some(p) => self.store.get_version(p.id, name).await?,
                    None => None,
                };
                for hop in &upstreams {
                    if src.is_some() {
                        break;
                    }
                    src = self.version_in(hop, &key, name).await?;
                }
                let Some(src) = src else {
                    outcome.failed.insert(
                        name.clone(),
                        failure(
                            VersionErrorCode::NotFound,
                            format!("Could not find version {name}"),
                        ),
                    );
                    continue;
                };
                if let Err(f) = check_expectations(&src, None, revisions.get(name)) {
                    outcome.failed.insert(name.clone(), f);
                    continue;
                }
                if matches!(
                    src.status,
                    VersionStatus::Disposed | VersionStatus::Unfinished
                ) {
                    outcome.failed.insert(
                        name.clone(),
                        failure(
                            VersionErrorCode::NotAllowed,
                            format!("Version {name} is {} and cannot be copied", src.status),
                        ),
                    );
                    continue;
                }
                let dest = match &dest_pkg {
                    Some(p) => self.store.get_version(p.id, name).await?,
                    None => None,
                };
                let expect = match &dest {
                    // Same assets and metadata: already copied; success, reported in neither map.
                    Some(d) if d.revision == src.revision => {
                        identical.push(name.clone());
                        continue;
                    }
                    Some(_) if !req.allow_overwrite => {
                        outcome.failed.insert(
                            name.clone(),
                            failure(
                                VersionErrorCode::AlreadyExists,
                                format!("Version {name} already exists"),
                            ),
                        );
                        continue;
                    }
                    Some(d) => VersionExpectation::At {
                        version_id: d.id,
                        status: d.status,
                        revision: d.revision.clone(),
                    },
                    None => VersionExpectation::Absent,
                };
                let assets = self.store.version_assets(src.id).await?;
                // An asset stored before the asset-name rule is not copied on (the API could not
                // serve it in the destination either).
                if let Some(a) = assets.iter().find(|a| check_asset_name(&a.name).is_err()) {
                    outcome.failed.insert(
                        name.clone(),
                        failure(
                            VersionErrorCode::NotAllowed,
                            format!(
                                "Version {name} has an asset whose name the API cannot serve: {}",
                                a.name.escape_default()
                            ),
                        ),
                    );
                    continue;
                }
                let details = self.store.version_details(src.id).await?;
                outcome.successful.insert(
                    name.clone(),
                    VersionSuccess {
                        revision: src.revision.clone(),
                        status: src.status,
                    },
                );
                writes.push(CopiedVersion {
                    version: src.version.clone(),
                    expect,
                    status: src.status,
                    revision: src.revision.clone(),
                    published_ms: src.published_ms,
                    origin: src.origin.clone(),
                    metadata: src.metadata.clone(),
                    assets,
                    details,
                });
            }
            if !outcome.failed.is_empty() {
                let failed = std::mem::take(&mut outcome.failed);
                let rest: Vec<String> = names
                    .iter()
                    .filter(|n| !identical.contains(n))
                    .cloned()
                    .collect();
                return Ok(skip_rest(&rest, failed, |v| {
                    format!("Version {v} was skipped")
                }));
            }
            if writes.is_empty() {
                return Ok(outcome);
            }
            // npm dist-tags of the copied versions come along, replacing tags of the same name.
            let stored_tags = match &src_pkg {
                Some(p) => self.store.list_dist_tags(p.id).await?,
                None => Vec::new(),
            };
            let dist_tags = stored_tags
                .into_iter()
                .filter(|(_, v)| {
                    identical.contains(v) || writes.iter().any(|w: &CopiedVersion| &w.version == v)
                })
                .collect();
            let write = CopyWrite {
                repository_id: dest_repo.id,
                package: key.clone(),
                new_package_origin: (OriginRule::Allow, OriginRule::Block),
                versions: writes,
                dist_tags,
            };
            match self.store.apply_copy(&write).await {
                Ok(()) => return Ok(outcome),
                Err(StoreError::PreconditionFailed) => continue 'retry,
                Err(StoreError::NotFound) => {
                    return Err(ServiceError::not_found(
                        ResourceType::Repository,
                        &dest_repo.name,
                        format!("Repository not found: {}", dest_repo.name),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal(
            "copy: too many concurrent updates of the destination".into(),
        ))
    }
}
