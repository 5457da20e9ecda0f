//! Retention (`upstreams-formats-permissions.md` §A2, §A5): a file a native read does not find in the
//! requested repository is looked for along the search order. A version found in an upstream
//! repository is copied (by reference) into the requested one, keeping its origin; one found at an
//! external source is fetched, verified against the source's digests, published into the repository
//! that owns the connection (origin `EXTERNAL`) and copied into the requested one. Repositories in
//! between keep nothing. `upstream=BLOCK` on a package stops both. All of it happens before the
//! answer, so the API sees the retained version at once.
//!
//! Formats whose versions have several files (PyPI, Maven) retain one file per request: a file of
//! a version already retained is added to it, in the owner's repository and the requested one, as
//! long as it comes from where the version came from (the same upstream repository, or the same
//! external connection). Files published on the source later are so added on their first request.

use arca_metadata::{
    CopiedVersion, CopyWrite, OriginRule, OriginType, PackageKey, RepositoryRow, StoreError,
    VersionExpectation, VersionOrigin, VersionRow, VersionStatus,
};
use arca_metrics::FetchKind;
use futures::future::BoxFuture;

use super::cache::IndexCache;
use super::fetch::FetchError;
use super::tee::Tee;
use super::{verify, ExpectedDigest, SourceIndex, UpstreamIndex, NO_DIGEST};
use crate::coords::display_name;
use crate::groups::Via;
use crate::native::NativeVersion;
use crate::{now_ms, revision, ResourceType, Service, ServiceError, ServiceResult, CAS_RETRIES};
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

/// Largest checksum file read from a source (`{file}.sha1`: a digest, perhaps a file name).
const MAX_CHECKSUM_FILE_BYTES: usize = 1024;

/// Whether a version's files may be downloaded (and so retained): Published or Unlisted.
pub(crate) fn downloadable(status: VersionStatus) -> bool {
    matches!(status, VersionStatus::Published | VersionStatus::Unlisted)
}

/// Whether `v` was ingested through `connection` (only that source may add files to it).
fn ingested_from(v: &VersionRow, connection: &str) -> bool {
    v.origin.origin_type == OriginType::External
        && v.origin.external_connection.as_deref() == Some(connection)
}

fn unavailable(key: &PackageKey, why: &str) -> ServiceError {
    ServiceError::Upstream(format!(
        "{} is not in this repository and its upstream source is unavailable ({why}); try again later.",
        display_name(key)
    ))
}

impl Service {
    /// Whether versions of `key` may enter `repo` `via` its external connection or its upstream
    /// repositories: the package's `upstream` origin control in `repo` (§A5) and its package
    /// group's EXTERNAL_UPSTREAM or INTERNAL_UPSTREAM restriction (§A8.3) must both allow it.
    pub(crate) async fn upstream_allowed(
        &self,
        repo: &RepositoryRow,
        key: &PackageKey,
        via: Via,
    ) -> ServiceResult<bool> {
        if let Some(p) = self.store.get_package(repo.id, key).await? {
            if p.origin_upstream != OriginRule::Allow {
                return Ok(false);
            }
        }
        match self.group_refusal(repo, key, via.restriction()).await? {
            None => Ok(true),
            Some(why) => {
                tracing::debug!(repository = repo.name, reason = why, "upstream refused");
                Ok(false)
            }
        }
    }

    /// Looks for the file `file` of `version` of `key` along the search order of `requested`
    /// (which does not have that file) and retains it there. `ingest` turns a file fetched from an
    /// external source, verified, into the version to keep (its `on_existing` says whether the file
    /// may join a version the repository already has).
    ///
    /// A version has one origin, and its files all come from there (§A3: no version mixes files
    /// from two places): the first repository in the order that has the version decides. If it
    /// has the file, the version (with every file it has) is copied, or the missing files added
    /// to the requested repository's copy; if not, only the external source the version was
    /// ingested from can add the file, through the repository that owns the connection. A version
    /// the requested repository already has only gains files from the same origin.
    ///
    /// A file fetched from an external source also goes to `tee` as it arrives, and its end only
    /// once the file was verified and kept.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn retain_from_upstreams<T: UpstreamIndex>(
        &self,
        cache: &IndexCache<T>,
        requested: &RepositoryRow,
        key: &PackageKey,
        version: &str,
        file: &str,
        ingest: Ingest<'_>,
        tee: &Tee,
    ) -> ServiceResult<Retained> {
        // Retention from the upstream repositories (and through them from their connections).
        let from_upstreams = self.upstream_allowed(requested, key, Via::Upstream).await?;
        let local = self.version_in(requested, key, version).await?;
        if local.as_ref().is_some_and(|l| !downloadable(l.status)) {
            return Ok(Retained::No);
        }
        let order = self.search_order(requested).await?;
        for (i, hop) in order.iter().enumerate() {
            if i > 0 && !from_upstreams {
                return Ok(Retained::No);
            }
            let found = match i {
                0 => local.clone(),
                _ => self.version_in(hop, key, version).await?,
            };
            // Past a repository that has the version, nothing further down the order may supply it.
            macro_rules! next_hop {
                () => {
                    if found.is_some() && i > 0 {
                        return Ok(Retained::No);
                    }
                    continue
                };
            }
            if let (true, Some(f)) = (i > 0, &found) {
                // §A3: Archived or Disposed upstream is a 404 downstream; another origin than the
                // requested repository's copy would mix files.
                if !downloadable(f.status) || local.as_ref().is_some_and(|l| l.origin != f.origin) {
                    return Ok(Retained::No);
                }
                if self
                    .store
                    .get_asset(f.id, T::asset_name(file))
                    .await?
                    .is_some()
                {
                    self.copy_retained(hop, f, requested, key).await?;
                    return Ok(Retained::Yes);
                }
            }
            let Some((connection, source)) = self.source_of(hop, T::FORMAT) else {
                next_hop!();
            };
            let connection = connection.as_str();
            if found
                .as_ref()
                .is_some_and(|f| !ingested_from(f, connection))
            {
                // Published (or copied) here: the source cannot add files to it.
                return Ok(Retained::No);
            }
            if !self
                .upstream_allowed(hop, key, Via::ExternalConnection)
                .await?
            {
                next_hop!();
            }
            let index = match self.source_index(cache, connection, source, key).await {
                SourceIndex::Fresh(i) | SourceIndex::Stale(i, _) => i,
                SourceIndex::Missing => {
                    next_hop!();
                }
                SourceIndex::Unavailable(why) => return Err(unavailable(key, &why)),
            };
            let Some(upstream_file) = index.file(version, file) else {
                next_hop!();
            };
            if let Some(min_age) = source.min_release_age {
                // Quarantine: too recent, or no publish time to tell (fail closed).
                let old_enough = index
                    .file_published_ms(version, file)
                    .is_some_and(|t| now_ms().saturating_sub(t) >= min_age.as_millis() as i64);
                if !old_enough {
                    next_hop!();
                }
            }
            let mut upstream_file = index
                .locate(self, connection, source, version, upstream_file)
                .await
                .map_err(|why| unavailable(key, &why))?;
            for (name, url) in std::mem::take(&mut upstream_file.checksum_files) {
                let fetched = self
                    .fetcher
                    .small(source, &url, MAX_CHECKSUM_FILE_BYTES)
                    .await;
                self.count_fetch(connection, FetchKind::Metadata, &fetched);
                match fetched {
                    Ok(body) => {
                        let text = String::from_utf8_lossy(&body);
                        let word = text.split_whitespace().next().unwrap_or("");
                        // A malformed one verifies nothing; `verify` needs at least one digest.
                        upstream_file
                            .digests
                            .extend(ExpectedDigest::named(name, word));
                    }
                    Err(FetchError::NotFound) => {}
                    Err(FetchError::Unavailable(why)) => return Err(unavailable(key, &why)),
                }
            }
            let refused = |why: String| {
                tracing::warn!(connection, url = upstream_file.url, error = %why, "upstream file refused");
                ServiceError::Upstream(format!(
                    "{} {version} ({file}) from {connection} was refused: {why}. Nothing was kept.",
                    display_name(key)
                ))
            };
            let fetched = self.fetcher.file(source, &upstream_file.url).await;
            self.count_fetch(connection, FetchKind::File, &fetched);
            let (len, body) = match fetched {
                Ok(fetched) => fetched,
                Err(FetchError::NotFound) => {
                    next_hop!();
                }
                Err(FetchError::Unavailable(why)) => return Err(unavailable(key, &why)),
            };
            if upstream_file.digests.is_empty() {
                // Known before the body: a 502 rather than a body cut off at its end.
                return Err(refused(NO_DIGEST.into()));
            }
            let staged = self.stage_for(hop, tee.start(len, body).await).await?;
            verify(&upstream_file.digests, staged.info()).map_err(refused)?;
            let mut v = ingest(staged.blob.read().await?).await?;
            if v.requires_python.is_none() {
                v.requires_python = upstream_file.requires_python.clone();
            }
            v.origin = Some(VersionOrigin {
                origin_type: OriginType::External,
                repository: None,
                external_connection: Some(connection.to_string()),
            });
            let kept = match self.publish_native(hop, v, staged, None).await {
                Ok(row) => row,
                // Someone kept it meanwhile (or kept other bytes under its name: theirs stay).
                Err(ServiceError::Conflict { .. }) => self
                    .version_in(hop, key, version)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("retained version vanished".into()))?,
                Err(e) => return Err(e),
            };
            if i > 0 {
                self.copy_retained(hop, &kept, requested, key).await?;
            }
            tee.kept().await;
            return Ok(Retained::Yes);
        }
        Ok(Retained::No)
    }

    pub(crate) async fn version_in(
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

    /// Copies a version (assets by reference, details, origin) from `from` into `to`; when `to`
    /// has the version already (same origin), the files it lacks are added to it instead. A
    /// concurrent retention is fine: the write is decided again on what is there now.
    pub(crate) async fn copy_retained(
        &self,
        from: &RepositoryRow,
        found: &VersionRow,
        to: &RepositoryRow,
        key: &PackageKey,
    ) -> ServiceResult<()> {
        let assets = self.store.version_assets(found.id).await?;
        let details = self.store.version_details(found.id).await?;
        for _ in 0..CAS_RETRIES {
            let existing = self.version_in(to, key, &found.version).await?;
            let copied = match &existing {
                None => CopiedVersion {
                    version: found.version.clone(),
                    expect: VersionExpectation::Absent,
                    status: found.status,
                    revision: found.revision.clone(),
                    published_ms: found.published_ms,
                    origin: found.origin.clone(),
                    metadata: found.metadata.clone(),
                    assets: assets.clone(),
                    details: details.clone(),
                },
                Some(e) => {
                    let mut have = self.store.version_assets(e.id).await?;
                    let before = have.len();
                    for a in &assets {
                        if !have.iter().any(|h| h.name == a.name) {
                            have.push(a.clone());
                        }
                    }
                    if have.len() == before {
                        return Ok(());
                    }
                    // The upstream copy's metadata: it has at least the files this one has.
                    let revision = if have.len() == assets.len() {
                        found.revision.clone()
                    } else {
                        revision::compute(&have, &found.metadata)
                    };
                    CopiedVersion {
                        version: found.version.clone(),
                        expect: VersionExpectation::At {
                            version_id: e.id,
                            status: e.status,
                            revision: e.revision.clone(),
                        },
                        status: e.status,
                        revision,
                        published_ms: e.published_ms,
                        origin: e.origin.clone(),
                        metadata: found.metadata.clone(),
                        assets: have,
                        details: details.clone(),
                    }
                }
            };
            let write = CopyWrite {
                repository_id: to.id,
                package: key.clone(),
                new_package_origin: INGESTED_PACKAGE,
                versions: vec![copied],
                dist_tags: Vec::new(),
            };
            match self.store.apply_copy(&write).await {
                Ok(()) => return Ok(()),
                Err(StoreError::PreconditionFailed) => {
                    if existing.is_none()
                        && self.version_in(to, key, &found.version).await?.is_none()
                    {
                        return Err(ServiceError::Internal(format!(
                            "retaining {} {} from {} into {}: its blob went away",
                            display_name(key),
                            found.version,
                            from.name,
                            to.name
                        )));
                    }
                }
                Err(StoreError::NotFound) => {
                    return Err(ServiceError::not_found(
                        ResourceType::Repository,
                        &to.name,
                        format!("Repository not found: {}", to.name),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal(format!(
            "retaining {} {} into {}: too many concurrent updates",
            display_name(key),
            found.version,
            to.name
        )))
    }
}
