//! What every native protocol shares: authorizing a token for the repository a URL names, staging
//! an upload whose digest is unknown until it has arrived, and publishing a version with it.
//!
//! The publish rule follows the blob lifecycle (ARCHITECTURE.md): the bytes are hashed in staging,
//! the service leases their SHA-256, only then are they committed under their key, and the metadata
//! write carries the lease and runs under a `VersionExpectation`, retried on `PreconditionFailed`.

use arca_blobstore::{BlobError, BlobInfo, BoxError, StagedBlob};
use arca_metadata::{
    AssetRow, OriginRule, OriginType, PackageKey, PublishWrite, RepositoryRow, StoreError,
    VersionExpectation, VersionMetadata, VersionOrigin, VersionRow, VersionStatus,
};
use bytes::Bytes;
use futures::Stream;

use crate::coords::display_name;
use crate::lease::blob_domain;
use crate::{
    now_ms, revision, Caller, DomainRef, RepoRef, ResourceType, Service, ServiceError,
    ServiceResult, TokenError, CAS_RETRIES,
};

/// A repository a native request may act on, resolved once per request.
#[derive(Debug, Clone)]
pub struct NativeRepo {
    pub(crate) repo: RepositoryRow,
}

impl NativeRepo {
    pub fn name(&self) -> &str {
        &self.repo.name
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

/// One version created by a native publish, with its one asset.
pub(crate) struct NativeVersion {
    pub key: PackageKey,
    pub version: String,
    pub metadata: VersionMetadata,
    pub asset_name: String,
    pub status: VersionStatus,
}

impl Service {
    /// Checks a native request's token against the domain its URL names; a token of another
    /// domain is refused like a forged one.
    pub fn authorize_native(
        &self,
        token: &str,
        domain: &str,
        owner: &str,
    ) -> Result<Caller, TokenError> {
        let grant = self.verify_authorization_token(token)?;
        if grant.domain != domain || grant.domain_owner != owner {
            return Err(TokenError::OtherDomain);
        }
        Ok(grant.caller())
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
        let (_, repo) = self.resolve_repo(caller, &r).await?;
        Ok(NativeRepo { repo })
    }

    /// Streams an upload into staging for the repository's domain (at most the asset size limit).
    pub async fn stage_asset<S, E>(&self, repo: &NativeRepo, body: S) -> ServiceResult<StagedAsset>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        let max = self.config.limits.max_asset_bytes;
        let domain = blob_domain(repo.repo.domain_id)?;
        let blob = self
            .blobs
            .stage(&domain, body, max)
            .await
            .map_err(|e| staging_error(e, max))?;
        Ok(StagedAsset { blob })
    }

    /// Creates a version with one staged asset. The version must not exist (in any status: AWS
    /// refuses to republish what was archived or disposed until it is deleted).
    pub(crate) async fn publish_native(
        &self,
        repo: &RepositoryRow,
        v: NativeVersion,
        staged: StagedAsset,
    ) -> ServiceResult<VersionRow> {
        // Refuse early, before leasing and committing bytes that would not be referenced.
        self.check_version_absent(repo, &v).await?;
        let info = staged.info().clone();
        let lease = self.lease_blob(repo.domain_id, &info.sha256).await?;
        staged.blob.commit().await?;
        let asset = AssetRow {
            name: v.asset_name.clone(),
            size: info.size as i64,
            md5: info.md5.clone(),
            sha1: info.sha1.clone(),
            sha256: info.sha256.to_hex(),
            sha512: info.sha512.clone(),
        };
        let write = PublishWrite {
            repository_id: repo.id,
            package: v.key.clone(),
            new_package_origin: (OriginRule::Allow, OriginRule::Block),
            version: v.version.clone(),
            expect: VersionExpectation::Absent,
            status: v.status,
            revision: revision::compute(std::slice::from_ref(&asset), &v.metadata),
            published_ms: now_ms(),
            origin: VersionOrigin {
                origin_type: OriginType::Internal,
                repository: Some(repo.name.clone()),
                external_connection: None,
            },
            metadata: v.metadata.clone(),
            asset: Some(asset),
            asset_lease: Some(lease.generation),
        };
        for _ in 0..CAS_RETRIES {
            match self.store.apply_publish(&write).await {
                Ok(row) => return Ok(row),
                // Someone else created the version meanwhile: answer as if it had been there.
                Err(StoreError::PreconditionFailed) => self.check_version_absent(repo, &v).await?,
                Err(StoreError::BlobLeaseLost) => {
                    return Err(ServiceError::Internal(
                        "native publish: the upload outlived its blob lease; nothing was committed"
                            .into(),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal(
            "native publish: too many concurrent updates of the same version".into(),
        ))
    }

    async fn check_version_absent(
        &self,
        repo: &RepositoryRow,
        v: &NativeVersion,
    ) -> ServiceResult<()> {
        let Some(package) = self.store.get_package(repo.id, &v.key).await? else {
            return Ok(());
        };
        match self.store.get_version(package.id, &v.version).await? {
            None => Ok(()),
            Some(existing) => Err(ServiceError::conflict(
                ResourceType::PackageVersion,
                &v.version,
                format!(
                    "{} {} already exists in repository {} (status {}); delete it to publish it again.",
                    display_name(&v.key),
                    v.version,
                    repo.name,
                    existing.status
                ),
            )),
        }
    }
}
