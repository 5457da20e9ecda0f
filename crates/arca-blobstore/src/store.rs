//! The [`BlobStore`] handle: construction, reads, listing and deletion.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetResultPayload, ObjectMeta, ObjectStore};

use crate::error::BlobError;
use crate::key::{BlobKey, DomainId, Sha256Digest};
use crate::read::{file_stream, LOCAL_READ_CHUNK};

/// Default multipart part size for the local filesystem backend.
pub const LOCAL_PART_SIZE: usize = 1024 * 1024;
/// Default multipart part size for other backends (S3's minimum part size).
pub const REMOTE_PART_SIZE: usize = 5 * 1024 * 1024;
/// Default number of parts that may be uploading while the next one fills.
pub const MAX_IN_FLIGHT_PARTS: usize = 1;

/// Content-addressed, per-domain blob storage on top of an [`ObjectStore`].
///
/// Cheap to clone; clones share the underlying store.
#[derive(Clone)]
pub struct BlobStore {
    pub(crate) store: Arc<dyn ObjectStore>,
    /// Canonical root directory when the backend is the local filesystem;
    /// enables fsync, the fast read path and on-disk staging-file cleanup.
    pub(crate) local_root: Option<PathBuf>,
    pub(crate) part_size: usize,
    pub(crate) max_in_flight_parts: usize,
    pub(crate) fsync: bool,
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStore")
            .field("store", &format_args!("{}", self.store))
            .field("local_root", &self.local_root)
            .field("part_size", &self.part_size)
            .field("max_in_flight_parts", &self.max_in_flight_parts)
            .field("fsync", &self.fsync)
            .finish()
    }
}

/// Size and modification time of a stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Which blob.
    pub key: BlobKey,
    /// Size in bytes.
    pub size: u64,
    /// Last modification (i.e. last (re)write) time.
    pub last_modified: SystemTime,
}

/// A blob being downloaded: its size is known before the first byte.
pub struct BlobRead {
    /// Total size in bytes; the stream yields exactly this many bytes or an
    /// error.
    pub size: u64,
    /// Last modification time of the blob.
    pub last_modified: SystemTime,
    /// The content.
    pub stream: BoxStream<'static, Result<Bytes, BlobError>>,
}

impl fmt::Debug for BlobRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobRead")
            .field("size", &self.size)
            .field("last_modified", &self.last_modified)
            .finish_non_exhaustive()
    }
}

impl BlobStore {
    /// A blob store rooted at the local directory `root` (created if absent).
    pub fn local(root: &std::path::Path) -> Result<Self, BlobError> {
        std::fs::create_dir_all(root)?;
        let root = std::fs::canonicalize(root)?;
        let fs = LocalFileSystem::new_with_prefix(&root)?;
        Ok(Self {
            store: Arc::new(fs),
            local_root: Some(root),
            part_size: LOCAL_PART_SIZE,
            max_in_flight_parts: MAX_IN_FLIGHT_PARTS,
            fsync: true,
        })
    }

    /// A blob store on an arbitrary object store (S3, in-memory for tests).
    ///
    /// No local fast paths are used, even if `store` is a
    /// [`LocalFileSystem`]: use [`BlobStore::local`] for that.
    pub fn from_object_store(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            local_root: None,
            part_size: REMOTE_PART_SIZE,
            max_in_flight_parts: MAX_IN_FLIGHT_PARTS,
            fsync: false,
        }
    }

    /// Sets the multipart part size (S3 requires at least 5 MiB).
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(1);
        self
    }

    /// Sets how many parts may be uploading while the next one is filled.
    pub fn with_max_in_flight_parts(mut self, parts: usize) -> Self {
        self.max_in_flight_parts = parts.max(1);
        self
    }

    /// Enables or disables fsync of committed blobs (local backend only;
    /// enabled by default there).
    pub fn with_fsync(mut self, fsync: bool) -> Self {
        self.fsync = fsync;
        self
    }

    /// The underlying object store.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }

    /// Whether the store answers: a metadata request for a key that never exists (readiness).
    pub async fn probe(&self) -> Result<(), BlobError> {
        match self.store.head(&Path::from("arca-ready-probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens a blob for reading.
    pub async fn get(
        &self,
        domain: &DomainId,
        sha256: &Sha256Digest,
    ) -> Result<BlobRead, BlobError> {
        self.get_location(&BlobKey::new(domain, sha256).location())
            .await
    }

    /// Opens any object of this store for reading (blobs and staged uploads).
    pub(crate) async fn get_location(&self, location: &Path) -> Result<BlobRead, BlobError> {
        let result = self.store.get(location).await?;
        let last_modified = system_time(&result.meta);
        let range = result.range.clone();
        let stream = match result.payload {
            GetResultPayload::File(file, _path) => file_stream(file, range, LOCAL_READ_CHUNK),
            GetResultPayload::Stream(s) => s.map_err(BlobError::from).boxed(),
        };
        Ok(BlobRead {
            size: result.meta.size,
            last_modified,
            stream,
        })
    }

    /// Size and modification time of a blob.
    pub async fn head(
        &self,
        domain: &DomainId,
        sha256: &Sha256Digest,
    ) -> Result<BlobMeta, BlobError> {
        let key = BlobKey::new(domain, sha256);
        let meta = self.store.head(&key.location()).await?;
        Ok(BlobMeta {
            size: meta.size,
            last_modified: system_time(&meta),
            key,
        })
    }

    /// Whether a blob exists.
    pub async fn exists(
        &self,
        domain: &DomainId,
        sha256: &Sha256Digest,
    ) -> Result<bool, BlobError> {
        match self.head(domain, sha256).await {
            Ok(_) => Ok(true),
            Err(BlobError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes a blob. Deleting a missing blob is not an error.
    pub async fn delete(&self, domain: &DomainId, sha256: &Sha256Digest) -> Result<(), BlobError> {
        match self
            .store
            .delete(&BlobKey::new(domain, sha256).location())
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Lists committed blobs of one domain, or of all domains. Objects under
    /// `blobs/` that are not well-formed blob keys are skipped (and logged).
    pub fn list(
        &self,
        domain: Option<&DomainId>,
    ) -> BoxStream<'static, Result<BlobMeta, BlobError>> {
        let prefix = BlobKey::prefix(domain);
        self.store
            .list(Some(&prefix))
            .map_err(BlobError::from)
            .try_filter_map(|meta| async move {
                match BlobKey::from_location(&meta.location) {
                    Some(key) => Ok(Some(BlobMeta {
                        size: meta.size,
                        last_modified: system_time(&meta),
                        key,
                    })),
                    None => {
                        tracing::warn!(location = %meta.location, "ignoring unexpected object in blob store");
                        Ok(None)
                    }
                }
            })
            .boxed()
    }

    /// The on-disk path of `location` (local backend only).
    pub(crate) fn local_path(&self, location: &Path) -> Option<PathBuf> {
        let mut path = self.local_root.clone()?;
        for part in location.parts() {
            path.push(part.as_ref());
        }
        Some(path)
    }

    /// Local backend with fsync enabled: fsyncs the file at `location` and,
    /// if `dir`, its parent directory (making a preceding rename durable).
    pub(crate) async fn sync_local(&self, location: &Path, dir: bool) -> Result<(), BlobError> {
        if !self.fsync {
            return Ok(());
        }
        let Some(path) = self.local_path(location) else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || {
            std::fs::File::open(&path)?.sync_all()?;
            #[cfg(unix)]
            if dir {
                if let Some(parent) = path.parent() {
                    std::fs::File::open(parent)?.sync_all()?;
                }
            }
            #[cfg(not(unix))]
            let _ = dir;
            Ok::<_, std::io::Error>(())
        })
        .await??;
        Ok(())
    }
}

/// Converts an object's modification time without naming `chrono` types.
pub(crate) fn system_time(meta: &ObjectMeta) -> SystemTime {
    let t = &meta.last_modified;
    let secs = t.timestamp();
    let nanos = Duration::from_nanos(u64::from(t.timestamp_subsec_nanos()));
    let whole = Duration::from_secs(secs.unsigned_abs());
    let base = if secs >= 0 {
        UNIX_EPOCH.checked_add(whole)
    } else {
        UNIX_EPOCH.checked_sub(whole)
    };
    base.and_then(|b| b.checked_add(nanos))
        .unwrap_or(UNIX_EPOCH)
}
