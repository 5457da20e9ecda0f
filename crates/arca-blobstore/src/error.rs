//! The error type of the blob layer.

use crate::key::Sha256Digest;

/// A boxed error from a caller-supplied body stream.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors returned by [`crate::BlobStore`].
///
/// `Display` is deliberately terse for backend and I/O failures (those inner
/// errors carry filesystem paths); the detail is available through
/// [`std::error::Error::source`] for logging.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The uploaded bytes do not hash to the SHA-256 the client announced.
    #[error("SHA-256 mismatch: expected {expected}, computed {actual}")]
    DigestMismatch {
        /// The digest the caller expected.
        expected: Sha256Digest,
        /// The digest of the bytes actually received.
        actual: Sha256Digest,
    },

    /// The body exceeded the size limit given to the upload.
    #[error("blob exceeds the size limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },

    /// The caller's body stream failed (client went away, decode error, …).
    #[error("upload body stream failed")]
    Body(#[source] BoxError),

    /// The blob does not exist.
    #[error("blob not found")]
    NotFound,

    /// The object store failed.
    #[error("blob storage backend error")]
    Backend(#[source] object_store::Error),

    /// Local filesystem I/O failed (local fast paths, fsync, cleanup).
    #[error("blob storage I/O error")]
    Io(#[source] std::io::Error),
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound,
            other => BlobError::Backend(other),
        }
    }
}

impl From<std::io::Error> for BlobError {
    fn from(e: std::io::Error) -> Self {
        BlobError::Io(e)
    }
}

impl From<tokio::task::JoinError> for BlobError {
    fn from(e: tokio::task::JoinError) -> Self {
        BlobError::Io(std::io::Error::other(e))
    }
}
