//! The three core operations: DescribePackageVersion, ListPackageVersionAssets, GetPackageVersionAsset.
//! Their answers by status are the table in `decisions.md` ("Lifecycle, as the three core operations
//! see it").

use arca_blobstore::{DomainId, Sha256Digest};
use std::sync::Arc;

use arca_metadata::{
    PackageKey, RepositoryRow, VersionLookup, VersionPath, VersionRow, VersionStatus,
};
use serde::{Deserialize, Serialize};

use crate::coords::{display_name, package_key, version_key};
use crate::documents::LookupKey;
use crate::domains::domain_not_found;
use crate::packages::{ns_opt, package_not_found};
use crate::repositories::repo_not_found;
use crate::{
    page_size, split_page, AssetDownload, AssetList, Caller, License, ResourceType, Service,
    ServiceError, ServiceResult, VersionDescription, VersionRef,
};

#[derive(Serialize, Deserialize)]
struct AssetCursor {
    after: String,
}

pub(crate) struct ResolvedVersion {
    /// Without its upstreams (not loaded on this path).
    pub repo: RepositoryRow,
    pub key: PackageKey,
    pub version: VersionRow,
}

pub(crate) fn version_not_found(key: &PackageKey, version: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::PackageVersion,
        version,
        format!(
            "Package version not found: {} {} of package {}",
            key.format,
            version,
            display_name(key)
        ),
    )
}

impl Service {
    /// Resolves a version from its full path in one store lookup (this is the read path of the core
    /// operations), with the same validation and not-found errors as resolving level by level.
    pub(crate) async fn resolve_version(
        &self,
        caller: &Caller,
        v: &VersionRef,
    ) -> ServiceResult<ResolvedVersion> {
        let p = &v.package;
        let key = package_key(p.format, p.namespace.as_deref(), &p.package)?;
        let domain = &p.repo.domain;
        let owner = domain.owner.as_deref().unwrap_or(&caller.account);
        if owner != caller.account {
            return Err(domain_not_found(&domain.name, owner));
        }
        let version_str = version_key(key.format, &v.version)?;
        let found = self
            .lookup_kept(&VersionPath {
                domain_owner: owner,
                domain: &domain.name,
                repository: &p.repo.repository,
                package: &key,
                version: &version_str,
            })
            .await?;
        if found.domain.is_none() {
            return Err(domain_not_found(&domain.name, owner));
        }
        let repo = found
            .repository
            .clone()
            .ok_or_else(|| repo_not_found(&p.repo.repository, &domain.name))?;
        if found.package.is_none() {
            return Err(package_not_found(&repo.name, &key));
        }
        let version = found
            .version
            .clone()
            .ok_or_else(|| version_not_found(&key, &version_str))?;
        Ok(ResolvedVersion { repo, key, version })
    }

    /// The store's [`lookup_version`](arca_metadata::PackageStore::lookup_version), kept while
    /// the metadata's change epoch holds (the rules of [`crate::documents`]): on a replica that
    /// serves the same versions again and again, no store round trip.
    async fn lookup_kept(&self, path: &VersionPath<'_>) -> ServiceResult<Arc<VersionLookup>> {
        self.kept
            .lookups
            .get_or_load(LookupKey::of(path), || async {
                Ok(Arc::new(self.store.lookup_version(path).await?))
            })
            .await
    }

    pub async fn describe_package_version(
        &self,
        caller: &Caller,
        v: &VersionRef,
    ) -> ServiceResult<VersionDescription> {
        let r = self.resolve_version(caller, v).await?;
        // Bounded again on the way out: rows stored before the limits answer within them too.
        let m = &crate::fields::bound_metadata(r.version.metadata.clone());
        let licenses = m
            .licenses_json
            .as_deref()
            .and_then(|j| serde_json::from_str::<Vec<StoredLicense>>(j).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|l| License {
                name: l.name,
                url: l.url,
            })
            .collect();
        Ok(VersionDescription {
            format: r.key.format,
            namespace: ns_opt(&r.key.namespace),
            package_name: r.key.name.clone(),
            display_name: m.display_name.clone().unwrap_or_else(|| r.key.name.clone()),
            version: r.version.version.clone(),
            summary: m.summary.clone(),
            home_page: m.home_page.clone(),
            source_code_repository: m.source_code_repository.clone(),
            published_ms: r.version.published_ms,
            licenses,
            revision: r.version.revision.clone(),
            status: r.version.status,
            origin: r.version.origin.clone(),
        })
    }

    pub async fn list_package_version_assets(
        &self,
        caller: &Caller,
        v: &VersionRef,
        max_results: Option<u32>,
        next_token: Option<&str>,
    ) -> ServiceResult<AssetList> {
        const OP: &str = "ListPackageVersionAssets";
        let r = self.resolve_version(caller, v).await?;
        let scope = r.version.id.to_string();
        let after = match next_token {
            Some(t) => Some(self.pager.decode::<AssetCursor>(OP, &scope, t)?.after),
            None => None,
        };
        let limit = page_size(max_results, 50);
        let rows = self
            .store
            .list_assets(r.version.id, after.as_deref(), limit + 1)
            .await?;
        let (assets, more) = split_page(rows, limit);
        let next_token = match (more, assets.last()) {
            (true, Some(last)) => Some(self.pager.encode(
                OP,
                &scope,
                &AssetCursor {
                    after: last.name.clone(),
                },
            )),
            _ => None,
        };
        Ok(AssetList {
            format: r.key.format,
            namespace: ns_opt(&r.key.namespace),
            package: r.key.name.clone(),
            version: r.version.version.clone(),
            version_revision: r.version.revision.clone(),
            assets,
            next_token,
        })
    }

    pub async fn get_package_version_asset(
        &self,
        caller: &Caller,
        v: &VersionRef,
        asset: &str,
        revision: Option<&str>,
    ) -> ServiceResult<AssetDownload> {
        let r = self.resolve_version(caller, v).await?;
        let version = &r.version;
        if let Some(rev) = revision {
            if rev != version.revision {
                return Err(ServiceError::not_found(
                    ResourceType::PackageVersion,
                    &version.version,
                    format!(
                        "Package version {} has no revision {rev}; its current revision is {}",
                        version.version, version.revision
                    ),
                ));
            }
        }
        match version.status {
            VersionStatus::Archived => {
                return Err(ServiceError::conflict(
                    ResourceType::PackageVersion,
                    &version.version,
                    format!(
                        "Package version {} is Archived; its assets cannot be downloaded.",
                        version.version
                    ),
                ))
            }
            VersionStatus::Disposed => {
                return Err(ServiceError::not_found(
                    ResourceType::Asset,
                    asset,
                    format!(
                        "Asset {asset} not found: package version {} is Disposed and its assets were deleted.",
                        version.version
                    ),
                ))
            }
            _ => {}
        }
        let row = self
            .store
            .get_asset(version.id, asset)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found(
                    ResourceType::Asset,
                    asset,
                    format!(
                        "Asset not found: {asset} in package version {} of {} in repository {}",
                        version.version,
                        display_name(&r.key),
                        r.repo.name
                    ),
                )
            })?;
        let domain = DomainId::new(r.repo.domain_id.to_string())
            .map_err(|_| ServiceError::Internal("invalid domain id".into()))?;
        let sha = Sha256Digest::parse(&row.sha256).map_err(|_| {
            ServiceError::Internal(format!("stored digest is invalid: {}", row.sha256))
        })?;
        let body = self.blobs.get(&domain, &sha).await.map_err(|e| {
            ServiceError::Internal(format!(
                "blob for asset {asset} ({}) unreadable: {e}",
                row.sha256
            ))
        })?;
        Ok(AssetDownload {
            asset: row,
            version: version.version.clone(),
            revision: version.revision.clone(),
            body,
        })
    }
}

#[derive(Deserialize)]
struct StoredLicense {
    name: Option<String>,
    url: Option<String>,
}
