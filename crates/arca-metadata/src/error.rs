//! The one error type of the storage layer.

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// What can go wrong in a metadata store, in terms the service layer can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row the write refers to does not exist (any more).
    #[error("not found")]
    NotFound,
    /// A unique key is already taken (e.g. a domain of that name exists).
    #[error("already exists")]
    AlreadyExists,
    /// The write would break a referential rule (e.g. deleting a domain that still has repositories).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A compare-and-set precondition did not hold: something changed since it was read. Retry.
    #[error("precondition failed: state changed concurrently")]
    PreconditionFailed,
    /// The blob a publish wanted to reference was garbage-collected after its lease was taken (an
    /// upload slower than the collector's grace period). The bytes may be gone: upload again.
    #[error("the blob's lease was lost to garbage collection")]
    BlobLeaseLost,
    /// A text value the store cannot keep: it holds U+0000 (PostgreSQL refuses it in `TEXT`, so
    /// every backend does). Names the field; nothing was written. The client's fault (400).
    #[error("{0} must not contain U+0000 (NUL)")]
    InvalidText(&'static str),
    /// A configured limit would be exceeded (e.g. tags per resource).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// The backend failed (I/O, corruption, connection). Never shown to clients.
    #[error("storage backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps any backend error.
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(e))
    }
}
