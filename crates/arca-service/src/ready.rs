//! Readiness (`GET /ready`): whether this server can answer now — its metadata store and its blob
//! store both respond. Liveness (`/health`) asks nothing of them.

use crate::Service;

/// Which dependency is not ready, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReady {
    pub component: &'static str,
    pub reason: String,
}

impl Service {
    /// Asks the metadata store for one domain and the blob store for a key's metadata.
    pub async fn readiness(&self) -> Result<(), NotReady> {
        self.store
            .list_all_domains(None, 1)
            .await
            .map_err(|e| NotReady {
                component: "metadata store",
                reason: e.to_string(),
            })?;
        self.blobs.probe().await.map_err(|e| NotReady {
            component: "blob store",
            reason: e.to_string(),
        })
    }
}
