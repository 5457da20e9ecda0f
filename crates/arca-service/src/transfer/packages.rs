//! The packages of one repository, their versions and assets, and the assets' bytes.
//!
//! A version is written with `apply_publish` as a publish would write it, but with the source's
//! status, revision, publish time, origin and metadata: the first asset creates it, each further
//! asset is added under `At` the row just written, and a version without assets (Disposed) is
//! created bare; its details (dependencies, readme, deprecation) are written with its creation,
//! and the package's dist-tags after its versions. Each blob is copied once per domain, streamed from the source into the
//! destination's verified upload (SHA-256 checked, then MD5/SHA-1/SHA-512 compared), under a
//! lease taken before the first byte and held until its first reference commits.

use std::collections::HashMap;

use arca_blobstore::{BlobError, Sha256Digest};
use arca_metadata::{
    AssetRow, CopyWrite, PackageFilter, PackageRow, PublishWrite, RepositoryRow, StoreError,
    VersionExpectation, VersionFilter, VersionOrder, VersionRow,
};

use super::{TransferError, TransferReport, TransferResult, PAGE};
use crate::coords::display_name;
use crate::lease::{blob_domain, Lease};
use crate::{Service, CAS_RETRIES};

/// The blobs of the current domain already in the destination: SHA-256 → lease generation.
#[derive(Default)]
pub(super) struct CopiedBlobs(HashMap<String, i64>);

/// Where the versions of one package come from and go to.
struct Target<'a> {
    dst: &'a Service,
    source_domain_id: i64,
    repository: &'a RepositoryRow,
    package: &'a PackageRow,
}

impl Service {
    /// Copies every package of `source` (this service's repository) into `written` (`dst`'s),
    /// telling `progress` the counts after each package.
    pub(super) async fn transfer_packages(
        &self,
        dst: &Service,
        (source, written): (&RepositoryRow, &RepositoryRow),
        blobs: &mut CopiedBlobs,
        report: &mut TransferReport,
        progress: &mut impl FnMut(&TransferReport),
    ) -> TransferResult<()> {
        let mut filter = PackageFilter::default();
        loop {
            let page = self.store.list_packages(source.id, &filter, PAGE).await?;
            for package in &page {
                let target = Target {
                    dst,
                    source_domain_id: source.domain_id,
                    repository: written,
                    package,
                };
                self.transfer_package(&target, blobs, report).await?;
                progress(report);
            }
            if page.len() < PAGE as usize {
                return Ok(());
            }
            filter.after = page.last().map(|p| p.key.clone());
        }
    }

    async fn transfer_package(
        &self,
        t: &Target<'_>,
        blobs: &mut CopiedBlobs,
        report: &mut TransferReport,
    ) -> TransferResult<()> {
        // The package first, with its origin configuration: it may have no version left.
        t.dst
            .store
            .apply_copy(&CopyWrite {
                repository_id: t.repository.id,
                package: t.package.key.clone(),
                new_package_origin: (t.package.origin_publish, t.package.origin_upstream),
                versions: Vec::new(),
                dist_tags: Vec::new(),
            })
            .await?;
        report.packages += 1;
        let mut after: Option<String> = None;
        loop {
            let order = VersionOrder::Version {
                after: after.clone(),
            };
            let page = self
                .store
                .list_versions(t.package.id, &VersionFilter::default(), &order, PAGE)
                .await?;
            for listed in &page {
                if let Some((version, assets)) = self.consistent_version(t, listed).await? {
                    self.transfer_version(t, &version, &assets, blobs, report)
                        .await?;
                }
            }
            if page.len() < PAGE as usize {
                break;
            }
            after = page.last().map(|v| v.version.clone());
        }
        // Dist-tags name versions, so they follow them. A tag whose version a live source deleted
        // meanwhile is gone there too.
        let tags = self.store.list_dist_tags(t.package.id).await?;
        if !tags.is_empty() {
            let package = t
                .dst
                .store
                .get_package(t.repository.id, &t.package.key)
                .await?
                .ok_or_else(|| {
                    TransferError::Source(format!(
                        "package {} vanished from the destination",
                        display_name(&t.package.key)
                    ))
                })?;
            for (tag, version) in tags {
                match t.dst.store.set_dist_tag(package.id, &tag, &version).await {
                    Ok(()) | Err(StoreError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }

    /// The version's row and assets as one state of a possibly live source: the row is read again
    /// after the assets and must not have changed (every asset change changes the revision).
    /// `None` when the version was deleted meanwhile.
    async fn consistent_version(
        &self,
        t: &Target<'_>,
        listed: &VersionRow,
    ) -> TransferResult<Option<(VersionRow, Vec<AssetRow>)>> {
        let mut row = listed.clone();
        for _ in 0..CAS_RETRIES {
            let assets = self.store.version_assets(row.id).await?;
            match self.store.get_version(t.package.id, &row.version).await? {
                None => return Ok(None),
                Some(again) if again == row => return Ok(Some((row, assets))),
                Some(again) => row = again,
            }
        }
        Err(TransferError::Source(format!(
            "version {} of {} kept changing while it was read",
            listed.version,
            display_name(&t.package.key)
        )))
    }

    /// Writes one version and its assets into the destination, exactly as the source holds it.
    async fn transfer_version(
        &self,
        t: &Target<'_>,
        version: &VersionRow,
        assets: &[AssetRow],
        blobs: &mut CopiedBlobs,
        report: &mut TransferReport,
    ) -> TransferResult<()> {
        let base = PublishWrite {
            repository_id: t.repository.id,
            package: t.package.key.clone(),
            new_package_origin: (t.package.origin_publish, t.package.origin_upstream),
            version: version.version.clone(),
            expect: VersionExpectation::Absent,
            status: version.status,
            revision: version.revision.clone(),
            published_ms: version.published_ms,
            origin: version.origin.clone(),
            metadata: version.metadata.clone(),
            asset: None,
            asset_lease: None,
            // Written with the version's creation (the first write below).
            details: Some(self.store.version_details(version.id).await?),
            dist_tags: Vec::new(),
            replace_metadata: false,
            audit: None,
        };
        let mut written = None;
        for asset in assets {
            // Held until this write commits (the bytes' first reference).
            let (generation, _lease) = self.transfer_blob(t, asset, blobs, report).await?;
            let expect = match &written {
                None => VersionExpectation::Absent,
                Some(row) => at(row),
            };
            written = Some(
                t.dst
                    .store
                    .apply_publish(&PublishWrite {
                        expect,
                        asset: Some(asset.clone()),
                        asset_lease: Some(generation),
                        ..base.clone()
                    })
                    .await?,
            );
            report.assets += 1;
        }
        if written.is_none() {
            // No assets (Disposed): the bare row.
            t.dst.store.apply_publish(&base).await?;
        }
        report.versions += 1;
        Ok(())
    }

    /// Makes `asset`'s bytes present in the destination domain: streamed from the source and
    /// verified the first time, known afterwards. Returns the lease generation to commit with,
    /// and the lease itself while the bytes are not referenced yet.
    async fn transfer_blob(
        &self,
        t: &Target<'_>,
        asset: &AssetRow,
        blobs: &mut CopiedBlobs,
        report: &mut TransferReport,
    ) -> TransferResult<(i64, Option<Lease>)> {
        if let Some(&generation) = blobs.0.get(&asset.sha256) {
            return Ok((generation, None));
        }
        let what = || {
            format!(
                "asset {} of {} in {} (SHA-256 {})",
                asset.name,
                display_name(&t.package.key),
                t.repository.name,
                asset.sha256
            )
        };
        let sha = Sha256Digest::parse(&asset.sha256)
            .map_err(|_| TransferError::Source(format!("{} has an invalid digest", what())))?;
        let read = match self
            .blobs
            .get(&blob_domain(t.source_domain_id)?, &sha)
            .await
        {
            Ok(read) => read,
            Err(BlobError::NotFound) => {
                return Err(TransferError::Source(format!(
                    "the bytes of {} are missing (run `arca check` on the source)",
                    what()
                )))
            }
            Err(e) => return Err(e.into()),
        };
        if read.size != asset.size as u64 {
            return Err(TransferError::Source(format!(
                "the bytes of {} are {} long, the asset records {}",
                what(),
                read.size,
                asset.size
            )));
        }
        let domain_id = t.repository.domain_id;
        let lease = t.dst.lease_blob(domain_id, &sha).await?;
        let info = t
            .dst
            .blobs
            .put_stream(&blob_domain(domain_id)?, read.stream, Some(&sha), read.size)
            .await
            .map_err(|e| match e {
                BlobError::DigestMismatch { actual, .. } => TransferError::Source(format!(
                    "the bytes of {} hash to {}; nothing was committed",
                    what(),
                    actual.to_hex()
                )),
                e => e.into(),
            })?;
        if (&info.md5, &info.sha1, &info.sha512) != (&asset.md5, &asset.sha1, &asset.sha512) {
            return Err(TransferError::Source(format!(
                "the MD5, SHA-1 or SHA-512 of the bytes of {} differ from the recorded ones",
                what()
            )));
        }
        report.blobs += 1;
        report.bytes += info.size;
        blobs.0.insert(asset.sha256.clone(), lease.generation);
        Ok((lease.generation, Some(lease)))
    }
}

fn at(row: &VersionRow) -> VersionExpectation {
    VersionExpectation::At {
        version_id: row.id,
        status: row.status,
        revision: row.revision.clone(),
    }
}
