//! Retention (`upstreams-formats-permissions.md` §A2, §A5): a file a native read does not find in the
//! requested repository is looked for along the search order. A version found in an upstream
//! repository is copied (by reference) into the requested one, keeping its origin; one found at an
//! external source is fetched, verified against the source's digests, published into the repository
//! that owns the connection (origin `EXTERNAL`) and copied into the requested one. Repositories in
//! between keep nothing. `upstream=BLOCK` on a package stops both. All of it happens before the
//! answer, so the API sees the retained version at once.

use arca_metadata::{
    CopiedVersion, CopyWrite, OriginRule, OriginType, PackageKey, RepositoryRow, StoreError,
    VersionExpectation, VersionOrigin, VersionRow, VersionStatus,
};
use futures::future::BoxFuture;

use super::cache::IndexCache;
use super::{verify, SourceIndex, UpstreamIndex};
use crate::coords::display_name;
use crate::native::NativeVersion;
use crate::{now_ms, ResourceType, Service, ServiceError, ServiceResult};
use arca_blobstore::BlobRead;

/// Builds the version an ingested file becomes from its bytes (format rules: what its manifest
/// says).
pub(crate) type Ingest<'a> =
    &'a (dyn Fn(BlobRead) -> BoxFuture<'a, ServiceResult<NativeVersion>> + Send + Sync);

/// What looking along the search order found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Retained {
    /// The version is now in the requested repository.
    Yes,
    /// No repository or source in the order has it (or a control blocks it).
    No,
}

/// The defaults of a package whose first version was ingested (§A5): publish BLOCK, upstream ALLOW.
pub(crate) const INGESTED_PACKAGE: (OriginRule, OriginRule) =
    (OriginRule::Block, OriginRule::Allow);

fn unavailable(key: &PackageKey, why: &str) -> ServiceError {
    ServiceError::Upstream(format!(
        "{} is not in this repository and its upstream source is unavailable ({why}); try again later.",
        display_name(key)
    ))
}

impl Service {
    /// Whether the package's `upstream` origin control in `repo` lets versions in.
    pub(crate) async fn upstream_allowed(
        &self,
        repo: &RepositoryRow,
        key: &PackageKey,
    ) -> ServiceResult<bool> {
        Ok(match self.store.get_package(repo.id, key).await? {
            Some(p) => p.origin_upstream == OriginRule::Allow,
            None => true,
        })
    }

    /// Looks for `version` of `key` along the search order of `requested` (which does not have it)
    /// and retains it there. `file` is the file the client asked for (the external index says where
    /// to fetch it); `ingest` turns the fetched, verified file into the version to keep.
    pub(crate) async fn retain_from_upstreams<T: UpstreamIndex>(
        &self,
        cache: &IndexCache<T>,
        requested: &RepositoryRow,
        key: &PackageKey,
        version: &str,
        file: &str,
        ingest: Ingest<'_>,
    ) -> ServiceResult<Retained> {
        if !self.upstream_allowed(requested, key).await? {
            return Ok(Retained::No);
        }
        let order = self.search_order(requested).await?;
        for (i, hop) in order.iter().enumerate() {
            if i > 0 {
                if let Some(found) = self.version_in(hop, key, version).await? {
                    if !matches!(
                        found.status,
                        VersionStatus::Published | VersionStatus::Unlisted
                    ) {
                        // The first repository that has the version decides (§A3: Archived or
                        // Disposed upstream is a 404 downstream).
                        return Ok(Retained::No);
                    }
                    self.copy_retained(hop, &found, requested, key).await?;
                    return Ok(Retained::Yes);
                }
            }
            let Some((connection, source)) = self.source_of(hop, T::FORMAT) else {
                continue;
            };
            let connection = connection.as_str();
            if i > 0 && !self.upstream_allowed(hop, key).await? {
                continue;
            }
            let index = match self.source_index(cache, connection, source, key).await {
                SourceIndex::Fresh(i) | SourceIndex::Stale(i, _) => i,
                SourceIndex::Missing => continue,
                SourceIndex::Unavailable(why) => return Err(unavailable(key, &why)),
            };
            let Some(upstream_file) = index.file(version, file) else {
                continue;
            };
            if let Some(min_age) = source.min_release_age {
                // Quarantine: too recent, or no publish time to tell (fail closed).
                let old_enough = index
                    .published_ms(version)
                    .is_some_and(|t| now_ms().saturating_sub(t) >= min_age.as_millis() as i64);
                if !old_enough {
                    continue;
                }
            }
            let body = self
                .fetcher
                .file(source, &upstream_file.url)
                .await
                .map_err(|e| unavailable(key, &e.to_string()))?;
            let staged = self.stage_for(hop, body).await?;
            verify(&upstream_file.digests, staged.info()).map_err(|why| {
                tracing::warn!(connection, url = upstream_file.url, error = %why, "upstream file refused");
                ServiceError::Upstream(format!(
                    "{} {version} from {connection} was refused: {why}. Nothing was kept.",
                    display_name(key)
                ))
            })?;
            let mut v = ingest(staged.blob.read().await?).await?;
            v.origin = Some(VersionOrigin {
                origin_type: OriginType::External,
                repository: None,
                external_connection: Some(connection.to_string()),
            });
            let kept = match self.publish_native(hop, v, staged).await {
                Ok(row) => row,
                // Someone kept it meanwhile.
                Err(ServiceError::Conflict { .. }) => self
                    .version_in(hop, key, version)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("retained version vanished".into()))?,
                Err(e) => return Err(e),
            };
            if i > 0 {
                self.copy_retained(hop, &kept, requested, key).await?;
            }
            return Ok(Retained::Yes);
        }
        Ok(Retained::No)
    }

    async fn version_in(
        &self,
        repo: &RepositoryRow,
        key: &PackageKey,
        version: &str,
    ) -> ServiceResult<Option<VersionRow>> {
        Ok(match self.store.get_package(repo.id, key).await? {
            Some(p) => self.store.get_version(p.id, version).await?,
            None => None,
        })
    }

    /// Copies a version (assets by reference, details, origin) from `from` into `to`; a version
    /// already there (a concurrent retention) is fine.
    async fn copy_retained(
        &self,
        from: &RepositoryRow,
        found: &VersionRow,
        to: &RepositoryRow,
        key: &PackageKey,
    ) -> ServiceResult<()> {
        let assets = self.store.version_assets(found.id).await?;
        let details = self.store.version_details(found.id).await?;
        let write = CopyWrite {
            repository_id: to.id,
            package: key.clone(),
            new_package_origin: INGESTED_PACKAGE,
            versions: vec![CopiedVersion {
                version: found.version.clone(),
                expect: VersionExpectation::Absent,
                status: found.status,
                revision: found.revision.clone(),
                published_ms: found.published_ms,
                origin: found.origin.clone(),
                metadata: found.metadata.clone(),
                assets,
                details,
            }],
            dist_tags: Vec::new(),
        };
        match self.store.apply_copy(&write).await {
            Ok(()) => Ok(()),
            Err(StoreError::PreconditionFailed) => {
                match self.version_in(to, key, &found.version).await? {
                    Some(_) => Ok(()),
                    None => Err(ServiceError::Internal(format!(
                        "retaining {} {} from {} into {}: its blob went away",
                        display_name(key),
                        found.version,
                        from.name,
                        to.name
                    ))),
                }
            }
            Err(StoreError::NotFound) => Err(ServiceError::not_found(
                ResourceType::Repository,
                &to.name,
                format!("Repository not found: {}", to.name),
            )),
            Err(e) => Err(e.into()),
        }
    }
}
