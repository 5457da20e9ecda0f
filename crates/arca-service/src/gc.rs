//! Freeing the bytes no version references any more, and checking that every referenced byte is
//! there (`arca gc`, `arca check`, and the collector `arca serve` runs periodically).
//!
//! Safety rests on the blob table (`arca_metadata::BlobRefStore`): bytes are deleted only after
//! their row was claimed `deleting` in a transaction that saw no reference and no recent lease, and
//! a `deleting` row blocks new writers of the same bytes until the row is forgotten.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use arca_blobstore::{BlobError, MultiHasher, Sha256Digest};
use arca_metadata::BlobRef;
use futures::{StreamExt, TryStreamExt};

use crate::lease::blob_domain;
use crate::{now_ms, Service, ServiceError, ServiceResult};

/// Blobs claimed per transaction.
const CLAIM_BATCH: u32 = 500;
/// A `deleting` row older than this belongs to a collector that died mid-way: resume its work.
const STALE_CLAIM: Duration = Duration::from_secs(10 * 60);

/// What one collection freed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Blobs whose last reference was removed (deleted or disposed versions, failed publishes).
    pub freed: u64,
    /// Objects found in the blob store with no row at all (e.g. written before the blob table).
    pub orphans_freed: u64,
}

/// What a storage check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Distinct blobs referenced by committed assets.
    pub referenced: u64,
    /// `domain/sha256` of referenced blobs whose object is missing.
    pub missing: Vec<String>,
    /// Referenced blobs whose size (or, when hashing, SHA-256) differs from the assets' record.
    pub corrupt: Vec<String>,
    /// Objects no asset references (collectable by `arca gc` after the grace period).
    pub unreferenced: u64,
    pub unreferenced_bytes: u64,
    /// Temporaries of interrupted uploads still stored (older than the grace period).
    pub temporaries: u64,
}

impl CheckReport {
    /// Whether the store is consistent: every referenced byte present and intact, no temporaries.
    pub fn is_healthy(&self) -> bool {
        self.missing.is_empty() && self.corrupt.is_empty() && self.temporaries == 0
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn digest(blob: &BlobRef) -> ServiceResult<Sha256Digest> {
    Sha256Digest::parse(&blob.sha256).map_err(|_| {
        ServiceError::Internal(format!(
            "stored digest {:?} is not SHA-256 hex",
            blob.sha256
        ))
    })
}

impl Service {
    /// Frees unreferenced blobs untouched for `grace`; with `sweep_orphans`, then lists the whole
    /// blob store for objects that have no row at all and are older than `grace` (rare: the
    /// periodic collection leaves that to `arca gc`).
    pub async fn collect_garbage(
        &self,
        grace: Duration,
        sweep_orphans: bool,
    ) -> ServiceResult<GcReport> {
        self.collect_garbage_with_progress(grace, sweep_orphans, &mut |_| {})
            .await
    }

    /// [`Service::collect_garbage`], telling `progress` the counts so far after every batch.
    pub async fn collect_garbage_with_progress(
        &self,
        grace: Duration,
        sweep_orphans: bool,
        progress: &mut (dyn FnMut(&GcReport) + Send),
    ) -> ServiceResult<GcReport> {
        let mut report = GcReport::default();
        let timer = std::time::Instant::now();
        let start = now_ms();
        let touched_before = start.saturating_sub(millis(grace));
        loop {
            let now = now_ms();
            let stale_before = now.saturating_sub(millis(STALE_CLAIM));
            let claimed = self
                .store
                .claim_unreferenced_blobs(touched_before, stale_before, now, CLAIM_BATCH)
                .await?;
            for blob in &claimed {
                // A failure leaves the row `deleting`; a later run resumes it once stale.
                self.blobs
                    .delete(&blob_domain(blob.domain_id)?, &digest(blob)?)
                    .await?;
            }
            self.store.forget_blobs(&claimed).await?;
            report.freed += claimed.len() as u64;
            progress(&report);
            if claimed.len() < CLAIM_BATCH as usize {
                break;
            }
        }
        if sweep_orphans {
            report.orphans_freed = self.sweep_orphans(grace).await?;
            progress(&report);
        }
        self.metrics
            .gc(report.freed, report.orphans_freed, timer.elapsed());
        if report != GcReport::default() {
            tracing::info!(
                freed = report.freed,
                orphans = report.orphans_freed,
                "garbage collected"
            );
        }
        Ok(report)
    }

    /// Deletes objects older than `grace` that have no row in the blob table, adopting each one
    /// (a `deleting` row) first so that a writer of the same bytes waits instead of racing.
    async fn sweep_orphans(&self, grace: Duration) -> ServiceResult<u64> {
        let cutoff = SystemTime::now() - grace;
        let mut candidates = Vec::new();
        let mut objects = self.blobs.list(None);
        while let Some(meta) = objects.try_next().await? {
            let Ok(domain_id) = meta.key.domain().as_str().parse::<i64>() else {
                continue;
            };
            let blob = BlobRef {
                domain_id,
                sha256: meta.key.sha256().to_hex(),
            };
            if meta.last_modified < cutoff && !self.store.blob_known(&blob).await? {
                candidates.push(blob);
            }
        }
        let mut freed = 0;
        for blob in candidates {
            if self.store.claim_orphan_blob(&blob, now_ms()).await? {
                self.blobs
                    .delete(&blob_domain(blob.domain_id)?, &digest(&blob)?)
                    .await?;
                self.store.forget_blobs(std::slice::from_ref(&blob)).await?;
                freed += 1;
            }
        }
        Ok(freed)
    }

    /// Checks that every blob a committed asset references exists with the recorded size (and,
    /// with `verify_hashes`, the recorded SHA-256), and reports unreferenced objects and the
    /// temporaries older than `grace` (younger ones may be uploads in flight).
    pub async fn check_storage(
        &self,
        verify_hashes: bool,
        grace: Duration,
    ) -> ServiceResult<CheckReport> {
        self.check_storage_with_progress(verify_hashes, grace, &mut |_| {})
            .await
    }

    /// [`Service::check_storage`], telling `progress` the findings so far after every blob
    /// checked and every object listed.
    pub async fn check_storage_with_progress(
        &self,
        verify_hashes: bool,
        grace: Duration,
        progress: &mut (dyn FnMut(&CheckReport) + Send),
    ) -> ServiceResult<CheckReport> {
        let mut report = CheckReport::default();
        let mut referenced = HashSet::new();
        let mut after: Option<BlobRef> = None;
        loop {
            let page = self.store.referenced_blobs(after.as_ref(), 1000).await?;
            for r in &page {
                let name = format!("{}/{}", r.blob.domain_id, r.blob.sha256);
                let sha = digest(&r.blob)?;
                let domain = blob_domain(r.blob.domain_id)?;
                report.referenced += 1;
                progress(&report);
                referenced.insert((r.blob.domain_id, sha));
                let read = match self.blobs.get(&domain, &sha).await {
                    Ok(read) => read,
                    Err(BlobError::NotFound) => {
                        report.missing.push(name);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                if read.size != r.size as u64 {
                    report.corrupt.push(name);
                    continue;
                }
                if verify_hashes {
                    let mut hasher = MultiHasher::new();
                    let mut stream = read.stream;
                    while let Some(chunk) = stream.next().await {
                        hasher.update(&chunk?);
                    }
                    if hasher.finalize().sha256 != sha {
                        report.corrupt.push(name);
                    }
                }
            }
            match page.last() {
                Some(last) if page.len() == 1000 => after = Some(last.blob.clone()),
                _ => break,
            }
        }
        let mut objects = self.blobs.list(None);
        while let Some(meta) = objects.try_next().await? {
            let domain_id = meta.key.domain().as_str().parse::<i64>().unwrap_or(-1);
            if !referenced.contains(&(domain_id, *meta.key.sha256())) {
                report.unreferenced += 1;
                report.unreferenced_bytes += meta.size;
                progress(&report);
            }
        }
        report.temporaries = self
            .blobs
            .count_temporaries(SystemTime::now() - grace)
            .await? as u64;
        Ok(report)
    }
}
