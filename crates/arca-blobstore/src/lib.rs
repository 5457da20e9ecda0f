//! arca-blobstore: Arca's content-addressed blob layer on top of
//! [`object_store`].
//!
//! # Invariants
//!
//! * **Content addressing, once per domain.** A blob lives at
//!   `blobs/{domain_id}/{sha256[0..2]}/{sha256}` and nowhere else. Keys are
//!   only ever built by [`BlobKey`] from a validated [`DomainId`]
//!   (`[A-Za-z0-9_-]{1,64}`) and a validated [`Sha256Digest`] (64 lowercase
//!   hex), never formatted from user input. Identical content published twice
//!   in one domain is stored once; rewriting it is harmless and refreshes its
//!   modification time (so a grace-period garbage collector never frees a
//!   blob that is being re-published).
//! * **Verify, then commit.** [`BlobStore::put_stream`] never makes partial
//!   or unverified bytes visible under a blob key:
//!   - with a known SHA-256 it streams into a multipart upload on the final
//!     key and completes it only after size and digest checked out. On the
//!     local filesystem `object_store` writes a hidden staging file
//!     `{key}#{n}` and renames it into place on `complete()`; on S3 the
//!     object does not exist until `CompleteMultipartUpload`. Any failure
//!     aborts the upload (deleting the staging file).
//!   - with an unknown digest it streams to `tmp/{uuid}` (itself a multipart
//!     upload) and renames that to the content-addressed key once hashed.
//!     [`BlobStore::stage`] splits that in two, so a caller can take a
//!     garbage-collection lease on the digest (known only after hashing)
//!     before [`StagedBlob::commit`] makes the bytes visible.
//!
//!   On the local backend the committed file and its directory are fsynced
//!   before `put_stream` returns, so a reference recorded afterwards never
//!   points at data lost in a power failure.
//! * **Streaming.** Uploads hold at most
//!   `(max_in_flight_parts + 1) * part_size` bytes (defaults: 2 MiB locally,
//!   10 MiB for remote stores) plus the caller's current chunk, and compute
//!   MD5, SHA-1, SHA-256 and SHA-512 in the same single pass. Downloads are
//!   streams with a known size; local files are read in 256 KiB chunks
//!   (`object_store`'s own local stream uses 8 KiB chunks).
//! * **Cleanup.** A crash can leave `tmp/` objects and, on the local
//!   backend, `object_store` staging files (`*#digits`, hidden from `list`).
//!   [`BlobStore::cleanup_temporaries`] removes those last modified before a
//!   cutoff, so uploads still in flight (here or in another process sharing
//!   the store) are left alone. It never touches committed blobs.

mod cleanup;
mod error;
mod hash;
mod key;
mod read;
mod s3;
mod stage;
mod store;
mod upload;

pub use error::{BlobError, BoxError};
pub use hash::{BlobInfo, MultiHasher};
pub use key::{BlobKey, DomainId, InvalidDigest, InvalidDomainId, Sha256Digest};
/// The `object_store` crate this blob layer is built on (for constructing
/// stores to pass to [`BlobStore::from_object_store`]).
pub use object_store;
pub use read::LOCAL_READ_CHUNK;
pub use s3::S3Settings;
pub use stage::StagedBlob;
pub use store::{
    BlobMeta, BlobRead, BlobStore, LOCAL_PART_SIZE, MAX_IN_FLIGHT_PARTS, REMOTE_PART_SIZE,
};
