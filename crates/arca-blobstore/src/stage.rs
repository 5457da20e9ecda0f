//! Staged uploads: bytes whose digest is unknown until they have all arrived (native package
//! managers announce no SHA-256). They are streamed to `tmp/{uuid}` and hashed; the caller then
//! takes whatever lease it needs on the digest (garbage collection) and only then
//! [`StagedBlob::commit`]s them to their content-addressed key. Dropping an uncommitted
//! [`StagedBlob`] deletes the temporary object.

use bytes::Bytes;
use futures::Stream;
use object_store::path::Path;

use crate::error::{BlobError, BoxError};
use crate::hash::BlobInfo;
use crate::key::{new_tmp_location, BlobKey, DomainId};
use crate::store::{BlobRead, BlobStore};

/// Hashed bytes waiting in `tmp/` to be committed under their digest.
pub struct StagedBlob {
    store: BlobStore,
    domain: DomainId,
    /// `None` once committed (or handed to the drop cleanup).
    tmp: Option<Path>,
    info: BlobInfo,
}

impl std::fmt::Debug for StagedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedBlob")
            .field("domain", &self.domain)
            .field("tmp", &self.tmp)
            .field("info", &self.info)
            .finish()
    }
}

impl BlobStore {
    /// Streams `body` to a temporary object, computing its four digests. Nothing is visible under
    /// a blob key until [`StagedBlob::commit`]. More than `max_size` bytes yields
    /// [`BlobError::TooLarge`], a failing body [`BlobError::Body`]; on error nothing is left.
    pub async fn stage<S, E>(
        &self,
        domain: &DomainId,
        body: S,
        max_size: u64,
    ) -> Result<StagedBlob, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        let tmp = new_tmp_location();
        // Armed before the upload: a cancelled request (client gone) must not leave the object.
        let mut staged = StagedBlob {
            store: self.clone(),
            domain: domain.clone(),
            tmp: Some(tmp.clone()),
            info: crate::hash::MultiHasher::new().finalize(),
        };
        match self.upload_to(&tmp, body, None, max_size).await {
            Ok(info) => {
                staged.info = info;
                Ok(staged)
            }
            Err(e) => {
                // `upload_to` aborted the upload: nothing exists at `tmp`.
                staged.tmp = None;
                Err(e)
            }
        }
    }
}

impl StagedBlob {
    /// Size and digests of the staged bytes.
    pub fn info(&self) -> &BlobInfo {
        &self.info
    }

    /// Reads the staged bytes (e.g. to inspect an archive before accepting it).
    pub async fn read(&self) -> Result<BlobRead, BlobError> {
        let tmp = self.tmp.as_ref().ok_or(BlobError::NotFound)?;
        self.store.get_location(tmp).await
    }

    /// Moves the bytes to their content-addressed key (durably on the local backend). Re-committing
    /// bytes that are already stored replaces them with identical ones.
    pub async fn commit(mut self) -> Result<BlobInfo, BlobError> {
        let tmp = self.tmp.clone().ok_or(BlobError::NotFound)?;
        let location = BlobKey::new(&self.domain, &self.info.sha256).location();
        let store = &self.store;
        store.sync_local(&tmp, false).await?;
        store.store.rename(&tmp, &location).await?;
        self.tmp = None;
        store.sync_local(&location, true).await?;
        Ok(self.info.clone())
    }
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if let Some(location) = self.tmp.take() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let store = self.store.object_store();
                rt.spawn(async move {
                    match store.delete(&location).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                        Err(e) => tracing::warn!(error = %e, "failed to delete a staged upload"),
                    }
                });
            }
        }
    }
}
