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
                // Failures are left to the commit's lease check.
                if let Err(e) = store.touch_blob(&blob, generation, now_ms()).await {
                    tracing::warn!(error = %e, "refreshing a blob lease failed");
                }
            }
        });
        Ok(Lease {
            generation,
            heartbeat,
        })
    }
}

/// The blob store's name for a metadata domain id.
pub(crate) fn blob_domain(domain_id: i64) -> ServiceResult<DomainId> {
    DomainId::new(domain_id.to_string())
        .map_err(|_| ServiceError::Internal("invalid domain id".into()))
}
