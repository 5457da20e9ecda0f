//! Blob leases: how a writer keeps the garbage collector away from bytes it is about to reference
//! (`arca_metadata::BlobRefStore` has the protocol).

use std::time::Duration;

use arca_blobstore::{DomainId, Sha256Digest};
use arca_metadata::{BlobLease, BlobRef};
use rand::Rng;

use crate::{now_ms, Service, ServiceError, ServiceResult};

/// How long a writer waits for a collector to finish deleting the same bytes before giving up.
const DELETING_WAIT: Duration = Duration::from_secs(10);
const DELETING_POLL: Duration = Duration::from_millis(50);

/// A lease on a blob: its generation, and a task that refreshes the lease until dropped, so that an
/// upload slower than the collector's grace period is not collected under the writer's feet.
pub(crate) struct Lease {
    pub generation: i64,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl Service {
    /// Takes a lease on `sha256` in `domain_id` before any byte is written to its key. Waits while a
    /// collector is deleting the same bytes.
    pub(crate) async fn lease_blob(
        &self,
        domain_id: i64,
        sha256: &Sha256Digest,
    ) -> ServiceResult<Lease> {
        let blob = BlobRef {
            domain_id,
            sha256: sha256.to_hex(),
        };
        let deadline = tokio::time::Instant::now() + DELETING_WAIT;
        let generation = loop {
            let proposed = rand::thread_rng().gen_range(1..i64::MAX);
            match self.store.touch_blob(&blob, proposed, now_ms()).await? {
                BlobLease::Live { generation } => break generation,
                BlobLease::Deleting if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(DELETING_POLL).await;
                }
                BlobLease::Deleting => {
                    return Err(ServiceError::Internal(format!(
                        "blob {} of domain {domain_id} is still being garbage-collected",
                        blob.sha256
                    )))
                }
            }
        };
        let store = self.store.clone();
        let period = (self.config.blob_grace / 4).max(Duration::from_millis(10));
        let heartbeat = tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                match refresh(store.as_ref(), &blob, generation).await {
                    Ok(true) => {}
                    // Lost: the commit's lease check refuses the publish; nothing to refresh.
                    Ok(false) => break,
                    // Left to the commit's lease check too.
                    Err(e) => tracing::warn!(error = %e, "refreshing a blob lease failed"),
                }
            }
        });
        Ok(Lease {
            generation,
            heartbeat,
        })
    }
}

/// Refreshes the lease `generation` on `blob`; `false` when it is lost (a collector claimed the
/// row, or freed the bytes and removed it).
///
/// A refresh proposes a fresh generation: if the row is gone, the one it creates is not the
/// lease's, so the publish's commit check still fails. Proposing the lease's own generation would
/// revive a lease whose bytes the collector has already deleted, and the publish would commit a
/// reference to missing bytes (seen on PostgreSQL under load, when a heartbeat ran late).
async fn refresh(
    store: &dyn arca_metadata::MetadataStore,
    blob: &BlobRef,
    generation: i64,
) -> arca_metadata::StoreResult<bool> {
    let proposed = rand::thread_rng().gen_range(1..i64::MAX);
    Ok(match store.touch_blob(blob, proposed, now_ms()).await? {
        BlobLease::Live { generation: now } => now == generation,
        BlobLease::Deleting => false,
    })
}

/// The blob store's name for a metadata domain id.
pub(crate) fn blob_domain(domain_id: i64) -> ServiceResult<DomainId> {
    DomainId::new(domain_id.to_string())
        .map_err(|_| ServiceError::Internal("invalid domain id".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arca_metadata::BlobRefStore;
    use arca_metadata_sqlite::SqliteStore;

    #[tokio::test]
    async fn a_lease_lost_to_the_collector_is_not_revived_by_its_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("meta.db"))
            .await
            .unwrap();
        let blob = BlobRef {
            domain_id: 1,
            sha256: "ab".repeat(32),
        };
        let BlobLease::Live { generation } = store.touch_blob(&blob, 42, 1_000).await.unwrap()
        else {
            panic!("a new blob's lease is live");
        };
        assert_eq!(generation, 42);
        assert!(refresh(&store, &blob, generation).await.unwrap(), "held");

        // A collector claims the unreferenced row, deletes the bytes and forgets the row, while the
        // writer's heartbeat is late.
        let later = now_ms() + 60_000;
        let claimed = store
            .claim_unreferenced_blobs(later, 0, later, 10)
            .await
            .unwrap();
        assert_eq!(claimed, vec![blob.clone()]);
        assert!(
            !refresh(&store, &blob, generation).await.unwrap(),
            "claimed"
        );
        store.forget_blobs(&claimed).await.unwrap();

        assert!(!refresh(&store, &blob, generation).await.unwrap(), "freed");
        // The row the refresh left behind is not the lease's: the publish's lease check fails.
        match store.touch_blob(&blob, 7, now_ms()).await.unwrap() {
            BlobLease::Live { generation: now } => assert_ne!(now, generation),
            BlobLease::Deleting => panic!("nothing is collecting the blob now"),
        }
    }
}
