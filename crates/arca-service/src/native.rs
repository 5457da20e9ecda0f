//! What every native protocol shares: authorizing a token for the repository a URL names, staging
//! an upload whose digest is unknown until it has arrived, and publishing a version with it.
//!
//! The publish rule follows the blob lifecycle (ARCHITECTURE.md): the bytes are hashed in staging,
//! the service leases their SHA-256, only then are they committed under their key, and the metadata
//! write carries the lease and runs under a `VersionExpectation`, retried on `PreconditionFailed`.

use arca_blobstore::{BlobError, BlobInfo, BlobRead, BoxError, Sha256Digest, StagedBlob};
use arca_metadata::{
    AssetRow, AuditRow, OriginRule, OriginType, PackageKey, PackageRow, PublishWrite,
    RepositoryRow, StoreError, VersionAction, VersionChange, VersionDetails, VersionExpectation,
    VersionFilter, VersionMetadata, VersionOrder, VersionOrigin, VersionRow, VersionStatus,
};
use bytes::Bytes;
use futures::Stream;

use crate::coords::display_name;
use crate::fields::{bound_details, bound_metadata, check_asset_name};
use crate::lease::blob_domain;
use crate::repositories::repo_not_found;
use crate::versions::version_not_found;
use crate::{
    now_ms, revision, AssetDownload, Caller, DomainRef, PackageRef, RepoRef, ResourceType, Service,
    ServiceError, ServiceResult, Target, TokenError, CAS_RETRIES,
};

/// A repository a native request may act on, resolved once per request.
#[derive(Debug, Clone)]
pub struct NativeRepo {
    pub(crate) repo: RepositoryRow,
    /// Who sends the request (users' writes are checked per package).
    pub(crate) caller: Caller,
}

impl NativeRepo {
    pub fn name(&self) -> &str {
        &self.repo.name
    }

    /// The repository's id (what documents kept for it are keyed by).
    pub fn id(&self) -> i64 {
        self.repo.id
    }

    /// The account that administers the repository.
    pub fn administrator(&self) -> &str {
        &self.repo.administrator_account
    }
}

/// Bytes of one native upload, hashed and waiting in staging for the publish that commits them.
#[derive(Debug)]
pub struct StagedAsset {
    pub(crate) blob: StagedBlob,
}

impl StagedAsset {
    /// Size and the four digests of the staged bytes.
    pub fn info(&self) -> &BlobInfo {
        self.blob.info()
    }
}

/// Why a native upload could not be staged.
fn staging_error(e: BlobError, max: u64) -> ServiceError {
    match e {
        BlobError::TooLarge { .. } => ServiceError::quota(
            ResourceType::Asset,
            "upload",
            format!("The upload exceeds the maximum asset size of {max} bytes."),
        ),
        BlobError::Body(e) => {
            ServiceError::validation(format!("The upload could not be read completely: {e}"))
        }
        e => e.into(),
    }
}

/// Versions fetched per store call when a native read lists them all.
const PAGE: u32 = 1000;

/// One asset published natively into a version (created with `metadata` and `status`).
pub(crate) struct NativeVersion {
    pub key: PackageKey,
    pub version: String,
    pub metadata: VersionMetadata,
    pub asset_name: String,
    /// PyPI: the uploaded file's `Requires-Python`.
    pub requires_python: Option<String>,
    pub status: VersionStatus,
    pub on_existing: OnExisting,
    /// Stored when this publish creates the version.
    pub details: VersionDetails,
    /// npm dist-tags pointed at the version by this publish.
    pub dist_tags: Vec<String>,
    /// Set when the version is ingested from an external source (the package, if created, gets
    /// the ingested defaults); `None`: published into this repository.
    pub origin: Option<VersionOrigin>,
}

/// What a native publish does when the version already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnExisting {
    /// 409 (npm: a version is immutable).
    Conflict,
    /// Add the asset to a Published or Unlisted version (PyPI: one file per upload).
    AddAsset,
    /// Add the asset to an Unfinished, Published or Unlisted version (Maven: one file per PUT,
    /// extra files allowed after publishing); with `pom`, the version takes `metadata` too.
    AddMavenFile { pom: bool },
    /// Add the asset to an Unfinished version that must exist (Swift: the files of one publish
    /// join the version its source archive created, before it is set Published).
    JoinUnfinished,
}

enum NativeWrite {
    /// Nothing to write: the same file is already there.
    Done(Box<VersionRow>),
    Write(Box<PublishWrite>),
}

impl Service {
    /// Checks a native request's token against the domain its URL names; a token of another
    /// domain is refused like a forged one.
    pub async fn authorize_native(
        &self,
        token: &str,
        domain: &str,
        owner: &str,
    ) -> ServiceResult<Result<Caller, TokenError>> {
        let grant = match self.verify_authorization_token(token) {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        if grant.domain != domain || grant.domain_owner != owner {
            return Ok(Err(TokenError::OtherDomain));
        }
        // A user's token is evaluated as the user is now: removed, it stops working at once.
        match &grant.user {
            None => Ok(Ok(grant.caller())),
            Some(arn) => Ok(self.user_by_arn(arn).await?.ok_or(TokenError::Invalid)),
        }
    }

    /// The repository a native request names, as the authorized caller sees it.
    pub async fn native_repository(
        &self,
        caller: &Caller,
        domain: &str,
        owner: &str,
        repository: &str,
    ) -> ServiceResult<NativeRepo> {
        let r = RepoRef {
            domain: DomainRef {
                name: domain.to_string(),
                owner: Some(owner.to_string()),
            },
            repository: repository.to_string(),
        };
        // Every native request reads the repository (§C4): a user needs ReadFromRepository.
        let caller = self
            .authorize(
                caller,
                "codeartifact:ReadFromRepository",
                &Target::Repository(r.clone()),
            )
            .await?;
        let (_, repo) = self.resolve_repo(&caller, &r).await?;
        Ok(NativeRepo { repo, caller })
    }

    /// A native write of `key` in `repo` by the request's caller: `action` (§C4) on the package,
    /// recorded in the audit log before it acts.
    pub(crate) async fn authorize_native_write(
        &self,
        repo: &NativeRepo,
        key: &PackageKey,
        action: &str,
    ) -> ServiceResult<()> {
        self.native_writer(repo, key, action).await.map(drop)
    }

    /// The caller of a native write, authorized and audited ([`Self::audited`]): for a publish,
    /// carrying the record its transaction commits.
    async fn native_writer(
        &self,
        repo: &NativeRepo,
        key: &PackageKey,
        action: &str,
    ) -> ServiceResult<Caller> {
        let target = Target::Package(PackageRef {
            repo: RepoRef {
                domain: DomainRef {
                    name: repo.repo.domain_name.clone(),
                    owner: Some(repo.repo.domain_owner.clone()),
                },
                repository: repo.repo.name.clone(),
            },
            format: key.format,
            namespace: (!key.namespace.is_empty()).then(|| key.namespace.clone()),
            package: key.name.clone(),
        });
        let caller = if repo.caller.is_root() && repo.caller.account == repo.repo.domain_owner {
            repo.caller.clone()
        } else {
            self.authorize(&repo.caller, action, &target).await?
        };
        self.audited(caller, action, &target).await
    }

    /// A native publish: `PublishPackageVersion` on the package (§C4), then [`Self::publish_native`]
    /// with its audit record.
    pub(crate) async fn publish_as(
        &self,
        repo: &NativeRepo,
        v: NativeVersion,
        staged: StagedAsset,
    ) -> ServiceResult<VersionRow> {
        let caller = self
            .native_writer(repo, &v.key, "codeartifact:PublishPackageVersion")
            .await?;
        let audit = Service::publish_audit(&caller);
        self.publish_native(&repo.repo, v, staged, audit).await
    }

    /// Streams an upload into staging for the repository's domain (at most the asset size limit).
    pub async fn stage_asset<S, E>(&self, repo: &NativeRepo, body: S) -> ServiceResult<StagedAsset>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        self.stage_for(&repo.repo, body).await
    }

    /// [`Self::stage_asset`] for a repository row.
    pub(crate) async fn stage_for<S, E>(
        &self,
        repo: &RepositoryRow,
        body: S,
    ) -> ServiceResult<StagedAsset>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        let max = self.config.limits.max_asset_bytes;
        let domain = blob_domain(repo.domain_id)?;
        let blob = self
            .blobs
            .stage(&domain, body, max)
            .await
            .map_err(|e| staging_error(e, max))?;
        Ok(StagedAsset { blob })
    }

    /// Publishes one staged asset: creates the version, or (with [`OnExisting::AddAsset`]) adds the
    /// asset to a Published or Unlisted version. Without it the version must not exist in any status
    /// (AWS refuses to republish what was archived or disposed until it is deleted).
    pub(crate) async fn publish_native(
        &self,
        repo: &RepositoryRow,
        v: NativeVersion,
        staged: StagedAsset,
        audit: Option<AuditRow>,
    ) -> ServiceResult<VersionRow> {
        // The rules every format's publish follows, before anything is stored.
        check_asset_name(&v.asset_name)?;
        let v = NativeVersion {
            metadata: bound_metadata(v.metadata),
            details: bound_details(v.details),
            ..v
        };
        let info = staged.info().clone();
        let asset = AssetRow {
            name: v.asset_name.clone(),
            size: info.size as i64,
            md5: info.md5.clone(),
            sha1: info.sha1.clone(),
            sha256: info.sha256.to_hex(),
            sha512: info.sha512.clone(),
            requires_python: v.requires_python.clone(),
        };
        // Refuse early, before leasing and committing bytes that would not be referenced.
        if let NativeWrite::Done(row) = self.native_write(repo, &v, &asset, None).await? {
            return Ok(*row);
        }
        let lease = self.lease_blob(repo.domain_id, &info.sha256).await?;
        staged.blob.commit().await?;
        for _ in 0..CAS_RETRIES {
            let write = match self
                .native_write(repo, &v, &asset, Some(lease.generation))
                .await?
            {
                NativeWrite::Done(row) => return Ok(*row),
                NativeWrite::Write(w) => PublishWrite {
                    audit: audit.clone(),
                    ..*w
                },
            };
            match self.store.apply_publish(&write).await {
                Ok(row) => {
                    let external = v
                        .origin
                        .as_ref()
                        .is_some_and(|o| o.origin_type == OriginType::External);
                    self.metrics.publish(v.key.format.as_str(), external);
                    return Ok(row);
                }
                // Someone else changed the version meanwhile: decide again on what is there now.
                Err(StoreError::PreconditionFailed) => continue,
                Err(e) => return Err(publish_write_error(e, repo)),
            }
        }
        Err(ServiceError::Internal(
            "native publish: too many concurrent updates of the same version".into(),
        ))
    }

    /// What publishing `asset` into `v` means given the stored version (read now).
    async fn native_write(
        &self,
        repo: &RepositoryRow,
        v: &NativeVersion,
        asset: &AssetRow,
        lease: Option<i64>,
    ) -> ServiceResult<NativeWrite> {
        let package = self.store.get_package(repo.id, &v.key).await?;
        let existing = match &package {
            Some(p) => self.store.get_version(p.id, &v.version).await?,
            None => None,
        };
        // Origin controls bind publishes, not what retention ingests; the upstream walk runs on the
        // first call (before the bytes are committed, `lease` unset), not on every retry.
        if v.origin.is_none() {
            let look_upstream = existing.is_none() && lease.is_none();
            self.check_publish_origin(repo, &v.key, package.as_ref(), &v.version, look_upstream)
                .await?;
        }
        let mut write = PublishWrite {
            repository_id: repo.id,
            package: v.key.clone(),
            new_package_origin: match v.origin {
                Some(_) => crate::upstream::retain::INGESTED_PACKAGE,
                None => (OriginRule::Allow, OriginRule::Block),
            },
            version: v.version.clone(),
            expect: VersionExpectation::Absent,
            status: v.status,
            revision: revision::compute(std::slice::from_ref(asset), &v.metadata),
            published_ms: now_ms(),
            origin: v.origin.clone().unwrap_or_else(|| VersionOrigin {
                origin_type: OriginType::Internal,
                repository: Some(repo.name.clone()),
                external_connection: None,
            }),
            metadata: v.metadata.clone(),
            asset: Some(asset.clone()),
            details: Some(v.details.clone()),
            dist_tags: v.dist_tags.clone(),
            asset_lease: lease,
            replace_metadata: false,
            audit: None,
        };
        let Some(e) = existing else {
            if v.on_existing == OnExisting::JoinUnfinished {
                return Err(ServiceError::conflict(
                    ResourceType::PackageVersion,
                    &v.version,
                    format!(
                        "{} {} was removed from repository {} while it was being published.",
                        display_name(&v.key),
                        v.version,
                        repo.name
                    ),
                ));
            }
            return Ok(NativeWrite::Write(Box::new(write)));
        };
        let exists = |why: String| {
            ServiceError::conflict(
                ResourceType::PackageVersion,
                &v.version,
                format!(
                    "{} {} already exists in repository {} (status {}){why}.",
                    display_name(&v.key),
                    v.version,
                    repo.name,
                    e.status
                ),
            )
        };
        if v.on_existing == OnExisting::Conflict {
            return Err(exists("; delete it to publish it again".into()));
        }
        let (open, which) = match v.on_existing {
            OnExisting::JoinUnfinished => (e.status == VersionStatus::Unfinished, "an Unfinished"),
            OnExisting::AddMavenFile { .. } => (
                matches!(
                    e.status,
                    VersionStatus::Unfinished | VersionStatus::Published | VersionStatus::Unlisted
                ),
                "an Unfinished, Published or Unlisted",
            ),
            _ => (
                matches!(e.status, VersionStatus::Published | VersionStatus::Unlisted),
                "a Published or Unlisted",
            ),
        };
        if !open {
            return Err(exists(format!(
                "; files can only be added to {which} version"
            )));
        }
        let mut assets = self.store.version_assets(e.id).await?;
        if let Some(same) = assets.iter().find(|a| a.name == asset.name) {
            if same.sha256 == asset.sha256 {
                return Ok(NativeWrite::Done(Box::new(e)));
            }
            return Err(ServiceError::conflict(
                ResourceType::Asset,
                &asset.name,
                format!(
                    "File {} already exists in {} {} with different content.",
                    asset.name,
                    display_name(&v.key),
                    v.version
                ),
            ));
        }
        self.check_room_for_asset(&v.version, assets.len())?;
        assets.push(asset.clone());
        write.expect = VersionExpectation::At {
            version_id: e.id,
            status: e.status,
            revision: e.revision.clone(),
        };
        write.status = e.status;
        write.published_ms = e.published_ms;
        write.origin = e.origin.clone();
        if v.on_existing == (OnExisting::AddMavenFile { pom: true }) {
            write.replace_metadata = true;
        } else {
            write.metadata = e.metadata.clone();
        }
        write.revision = revision::compute(&assets, &write.metadata);
        Ok(NativeWrite::Write(Box::new(write)))
    }

    /// Every Published version of a package, by version string.
    pub(crate) async fn published_versions(
        &self,
        package_id: i64,
    ) -> ServiceResult<Vec<VersionRow>> {
        self.versions_with_status(package_id, Some(VersionStatus::Published))
            .await
    }

    /// Every version of a package in `status` (any status: `None`), by version string.
    pub(crate) async fn versions_with_status(
        &self,
        package_id: i64,
        status: Option<VersionStatus>,
    ) -> ServiceResult<Vec<VersionRow>> {
        let filter = VersionFilter {
            status,
            origin_type: None,
        };
        let mut rows: Vec<VersionRow> = Vec::new();
        loop {
            let order = VersionOrder::Version {
                after: rows.last().map(|v| v.version.clone()),
            };
            let page = self
                .store
                .list_versions(package_id, &filter, &order, PAGE)
                .await?;
            let done = page.len() < PAGE as usize;
            rows.extend(page);
            if done {
                return Ok(rows);
            }
        }
    }

    /// Sets a Published version Unlisted (`unlisted`) or an Unlisted one Published again — a cargo
    /// or gem yank (cargo's unyank too), a NuGet delete (unlist) or relist; the same status again is a no-op. Other statuses are
    /// refused with `refusal(status)` (400).
    pub(crate) async fn set_unlisted(
        &self,
        package: &PackageRow,
        version: &str,
        unlisted: bool,
        refusal: impl Fn(VersionStatus) -> String,
    ) -> ServiceResult<()> {
        let target = if unlisted {
            VersionStatus::Unlisted
        } else {
            VersionStatus::Published
        };
        for _ in 0..CAS_RETRIES {
            let v = self
                .store
                .get_version(package.id, version)
                .await?
                .ok_or_else(|| version_not_found(&package.key, version))?;
            if v.status == target {
                return Ok(());
            }
            if !matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted) {
                return Err(ServiceError::validation(refusal(v.status)));
            }
            let change = VersionChange {
                version_id: v.id,
                expect_status: v.status,
                expect_revision: v.revision.clone(),
                action: VersionAction::SetStatus {
                    status: target,
                    published_ms: v.published_ms,
                },
            };
            match self.store.apply_version_changes(&[change]).await {
                Ok(()) => return Ok(()),
                Err(StoreError::PreconditionFailed) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal(
            "unlist: too many concurrent updates of the same version".into(),
        ))
    }

    /// A stored asset of version `v`, ready to stream.
    pub(crate) async fn download(
        &self,
        domain_id: i64,
        v: VersionRow,
        asset: AssetRow,
    ) -> ServiceResult<AssetDownload> {
        let body = self.open_blob(domain_id, &asset).await?;
        Ok(AssetDownload {
            asset,
            version: v.version,
            revision: v.revision,
            body,
        })
    }

    /// The bytes of a stored asset.
    pub(crate) async fn open_blob(
        &self,
        domain_id: i64,
        asset: &AssetRow,
    ) -> ServiceResult<BlobRead> {
        let sha = Sha256Digest::parse(&asset.sha256).map_err(|_| {
            ServiceError::Internal(format!("stored digest is invalid: {}", asset.sha256))
        })?;
        self.blobs
            .get(&blob_domain(domain_id)?, &sha)
            .await
            .map_err(|e| ServiceError::Internal(format!("blob {} unreadable: {e}", asset.sha256)))
    }
}

/// What a publish write's failure (other than `PreconditionFailed`, which is retried) answers.
/// `NotFound` is the write's parent gone since the publish read it — the repository deleted while
/// the upload was in flight — and answers that repository's 404; nothing was written, and the
/// dropped lease lets the collector free the bytes. A lost lease is Arca's failure (500).
pub(crate) fn publish_write_error(e: StoreError, repo: &RepositoryRow) -> ServiceError {
    match e {
        StoreError::NotFound => repo_not_found(&repo.name, &repo.domain_name),
        StoreError::BlobLeaseLost => ServiceError::Internal(
            "publish: the upload outlived its blob lease; nothing was committed".into(),
        ),
        e => e.into(),
    }
}

/// `yyyy-mm-ddThh:mm:ssZ` (index files' times).
pub(crate) fn iso8601(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(f).unwrap_or_default()
}

/// Runs `parse` on a stored file's bytes as a blocking reader (archive formats read synchronously).
pub(crate) async fn read_blocking<T, F>(read: BlobRead, what: &str, parse: F) -> ServiceResult<T>
where
    T: Send + 'static,
    F: FnOnce(Box<dyn std::io::Read + Send>) -> T + Send + 'static,
{
    use futures::TryStreamExt;
    let stream = read
        .stream
        .map_err(|e: BlobError| std::io::Error::other(e.to_string()));
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    tokio::task::spawn_blocking(move || parse(Box::new(reader)))
        .await
        .map_err(|e| ServiceError::Internal(format!("reading {what}: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn index_times_are_seconds_in_utc() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso8601(1_767_225_600_999), "2026-01-01T00:00:00Z");
    }
}
