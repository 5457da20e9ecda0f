//! PublishPackageVersion (generic format): stream the asset into the blob store (verified against the
//! announced SHA-256), then commit the metadata with a compare-and-set write.
//!
//! Rules (`decisions.md`, "Generic publish"): adding an asset to a version that is not Unfinished → 409;
//! re-sending an existing asset with identical bytes is idempotent (and finishes an Unfinished version
//! when `unfinished` is not set); different bytes under an existing name → 409; digest mismatch → 400
//! with nothing stored.

use arca_blobstore::{BlobError, BlobInfo, BoxError, Sha256Digest};
use arca_metadata::{
    AssetRow, OriginRule, OriginType, PackageFormat, PackageKey, PublishWrite, StoreError,
    VersionExpectation, VersionMetadata, VersionOrigin, VersionRow, VersionStatus,
};
use bytes::Bytes;
use futures::Stream;

use crate::coords::{check_generic_asset_name, check_text, display_name, package_key};
use crate::lease::blob_domain;
use crate::native::publish_write_error;
use crate::packages::ns_opt;
use crate::{
    now_ms, revision, Caller, PublishOutcome, ResourceType, Service, ServiceError, ServiceResult,
    VersionRef, CAS_RETRIES,
};

/// A generic publish request, minus its body.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub version: VersionRef,
    pub asset_name: String,
    /// Lowercase hex SHA-256 announced by the client (`x-amz-content-sha256`).
    pub asset_sha256: String,
    pub unfinished: bool,
    /// `Content-Length`, when the client sent one: lets an oversized upload fail before any byte.
    pub content_length: Option<u64>,
}

/// What to write, decided from the current state.
enum Decision {
    Done(Box<PublishOutcome>),
    Write(Box<PublishWrite>),
}

impl Service {
    pub async fn publish_package_version<S, E>(
        &self,
        caller: &Caller,
        req: PublishRequest,
        body: S,
    ) -> ServiceResult<PublishOutcome>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        let p = &req.version.package;
        if p.format != PackageFormat::Generic {
            return Err(ServiceError::validation(format!(
                "PublishPackageVersion supports only the generic format; '{}' packages are published with their native tools.",
                p.format
            )));
        }
        let key = package_key(p.format, p.namespace.as_deref(), &p.package)?;
        check_text("version", &req.version.version)?;
        check_generic_asset_name(&req.asset_name)?;
        let sha = Sha256Digest::parse(&req.asset_sha256).map_err(|_| {
            ServiceError::validation(format!(
                "assetSHA256 must be 64 lowercase hexadecimal characters, got '{}'",
                req.asset_sha256
            ))
        })?;
        let max = self.config.limits.max_asset_bytes;
        if req.content_length.is_some_and(|n| n > max) {
            return Err(self.too_large(&req.asset_name));
        }
        let (_, repo) = self.resolve_repo(caller, &p.repo).await?;

        // Refuse early what would be refused anyway, before receiving a possibly huge body.
        let announced = BlobInfo {
            size: 0,
            md5: String::new(),
            sha1: String::new(),
            sha256: sha,
            sha512: String::new(),
        };
        self.decide(&repo, &key, &req, &announced, true).await?;

        let domain = blob_domain(repo.domain_id)?;
        // Held until the metadata commits: the collector may not free these bytes before then.
        let lease = self.lease_blob(repo.domain_id, &sha).await?;
        let info = self
            .blobs
            .put_stream(&domain, body, Some(&sha), max)
            .await
            .map_err(|e| match e {
                BlobError::DigestMismatch { expected, actual } => ServiceError::validation(format!(
                    "The SHA-256 of the uploaded content is {}, which does not match assetSHA256 {}. Nothing was stored.",
                    actual.to_hex(),
                    expected.to_hex()
                )),
                BlobError::TooLarge { .. } => self.too_large(&req.asset_name),
                BlobError::Body(e) => ServiceError::validation(format!(
                    "The asset content could not be read completely: {e}"
                )),
                e => e.into(),
            })?;

        for _ in 0..CAS_RETRIES {
            match self.decide(&repo, &key, &req, &info, false).await? {
                Decision::Done(outcome) => return Ok(*outcome),
                Decision::Write(mut write) => {
                    if write.asset.is_some() {
                        write.asset_lease = Some(lease.generation);
                    }
                    write.audit = Service::publish_audit(caller);
                    match self.store.apply_publish(&write).await {
                        Ok(row) => {
                            self.metrics.publish(key.format.as_str(), false);
                            let asset = write
                                .asset
                                .clone()
                                .unwrap_or_else(|| asset_row(&req.asset_name, &info));
                            return Ok(outcome(&key, &row, asset));
                        }
                        Err(StoreError::PreconditionFailed) => continue,
                        Err(e) => return Err(publish_write_error(e, &repo)),
                    }
                }
            }
        }
        Err(ServiceError::Internal(
            "publish: too many concurrent updates of the same version".into(),
        ))
    }

    fn too_large(&self, asset: &str) -> ServiceError {
        ServiceError::quota(
            ResourceType::Asset,
            asset,
            format!(
                "Asset {asset} exceeds the maximum asset size of {} bytes.",
                self.config.limits.max_asset_bytes
            ),
        )
    }

    /// Reads the version's current state and applies the publish rules; `first`: the check before
    /// the upload, which also looks for the version upstream (the retries after it do not).
    async fn decide(
        &self,
        repo: &arca_metadata::RepositoryRow,
        key: &PackageKey,
        req: &PublishRequest,
        info: &BlobInfo,
        first: bool,
    ) -> ServiceResult<Decision> {
        let new_asset = asset_row(&req.asset_name, info);
        let target = if req.unfinished {
            VersionStatus::Unfinished
        } else {
            VersionStatus::Published
        };
        let version_name = &req.version.version;
        let package = self.store.get_package(repo.id, key).await?;
        let existing = match &package {
            Some(p) => self.store.get_version(p.id, version_name).await?,
            None => None,
        };
        self.check_publish_origin(
            repo,
            key,
            package.as_ref(),
            version_name,
            first && existing.is_none(),
        )
        .await?;
        let base = PublishWrite {
            repository_id: repo.id,
            package: key.clone(),
            new_package_origin: (OriginRule::Allow, OriginRule::Block),
            version: version_name.clone(),
            expect: VersionExpectation::Absent,
            status: target,
            revision: String::new(),
            published_ms: now_ms(),
            origin: VersionOrigin {
                origin_type: OriginType::Internal,
                repository: Some(repo.name.clone()),
                external_connection: None,
            },
            metadata: VersionMetadata::default(),
            asset: Some(new_asset.clone()),
            // Generic packages have no dependencies nor readme (generic-packages-overview).
            details: None,
            dist_tags: Vec::new(),
            asset_lease: None,
            replace_metadata: false,
            audit: None,
        };
        let Some(v) = existing else {
            let revision = revision::compute(std::slice::from_ref(&new_asset), &base.metadata);
            return Ok(Decision::Write(Box::new(PublishWrite { revision, ..base })));
        };
        let assets = self.store.version_assets(v.id).await?;
        let expect = VersionExpectation::At {
            version_id: v.id,
            status: v.status,
            revision: v.revision.clone(),
        };
        let same_name = assets.iter().find(|a| a.name == req.asset_name);
        match (v.status, same_name) {
            (status, Some(a)) if a.sha256 == new_asset.sha256 => {
                if status == VersionStatus::Unfinished && target == VersionStatus::Published {
                    Ok(Decision::Write(Box::new(PublishWrite {
                        expect,
                        revision: v.revision.clone(),
                        asset: None,
                        ..base
                    })))
                } else {
                    Ok(Decision::Done(Box::new(outcome(key, &v, a.clone()))))
                }
            }
            (_, Some(_)) => Err(ServiceError::conflict(
                ResourceType::Asset,
                &req.asset_name,
                format!(
                    "Asset {} already exists in {} {} with different content. Delete the version to replace it.",
                    req.asset_name,
                    display_name(key),
                    v.version
                ),
            )),
            (VersionStatus::Unfinished, None) => {
                self.check_room_for_asset(&v.version, assets.len())?;
                let mut all = assets;
                all.push(new_asset);
                let revision = revision::compute(&all, &v.metadata);
                Ok(Decision::Write(Box::new(PublishWrite {
                    expect,
                    revision,
                    metadata: v.metadata.clone(),
                    ..base
                })))
            }
            (status, None) => Err(ServiceError::conflict(
                ResourceType::PackageVersion,
                &v.version,
                format!(
                    "Package version {} of {} is {status}; assets can only be added to an Unfinished version.",
                    v.version,
                    display_name(key)
                ),
            )),
        }
    }
}

fn asset_row(name: &str, info: &BlobInfo) -> AssetRow {
    AssetRow {
        name: name.to_string(),
        size: info.size as i64,
        md5: info.md5.clone(),
        sha1: info.sha1.clone(),
        sha256: info.sha256.to_hex(),
        sha512: info.sha512.clone(),
        requires_python: None,
    }
}

fn outcome(key: &PackageKey, v: &VersionRow, asset: AssetRow) -> PublishOutcome {
    PublishOutcome {
        format: key.format,
        namespace: ns_opt(&key.namespace),
        package: key.name.clone(),
        version: v.version.clone(),
        version_revision: v.revision.clone(),
        status: v.status,
        asset,
    }
}

impl Service {
    /// A version holding `count` assets may take one more (at most `max_assets_per_version`).
    pub(crate) fn check_room_for_asset(&self, version: &str, count: usize) -> ServiceResult<()> {
        let max = self.config.limits.max_assets_per_version;
        if count >= max {
            return Err(ServiceError::quota(
                ResourceType::PackageVersion,
                version,
                format!("A package version can have at most {max} assets."),
            ));
        }
        Ok(())
    }
}
