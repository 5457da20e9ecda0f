#![doc = include_str!("../README.md")]

mod budget;
mod tar;
mod zip;

use std::io::Read;

pub use crate::tar::{TarEntry, TarWalker};
pub use crate::zip::{ZipEntry, ZipScanner};

/// Default of [`Limits::max_header_bytes`]: a GNU long name or PAX header larger than this is
/// refused (a path is at most a few KiB on any real system).
pub const MAX_HEADER_BYTES: u64 = 64 * 1024;
/// Default of [`Limits::max_entries`].
pub const MAX_ENTRIES: usize = 100_000;
/// Default of [`Limits::max_scanned_bytes`].
pub const MAX_SCANNED_BYTES: u64 = 1024 * 1024 * 1024;

/// What a walk over one archive may cost. Every reader takes one; the member a caller extracts
/// is bounded by the `max` it passes to [`TarEntry::read_to_vec`] and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest extension member (GNU long name/link, PAX header) or zip file name kept in memory.
    pub max_header_bytes: u64,
    /// Most headers read, extension members included.
    pub max_entries: usize,
    /// Most bytes read from the archive stream (decompressed), skipped data included.
    pub max_scanned_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_header_bytes: MAX_HEADER_BYTES,
            max_entries: MAX_ENTRIES,
            max_scanned_bytes: MAX_SCANNED_BYTES,
        }
    }
}

/// Why an archive could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The stream failed, or is not what it claims (e.g. not gzip).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not a well-formed archive.
    #[error("malformed archive: {0}")]
    Malformed(&'static str),
    /// A cap of [`Limits`] (or of the caller's `max`) was reached.
    #[error("{what} exceeds the limit of {limit}")]
    Limit { what: &'static str, limit: u64 },
    /// Well-formed, but read in a way this streaming reader does not support.
    #[error("unsupported archive feature: {0}")]
    Unsupported(&'static str),
}

/// A gzip stream's decompressed bytes (a `.tgz`, a `.crate`, a `.gem`'s `metadata.gz`), for a
/// [`TarWalker`] or [`read_bounded`], which bound what is read from it.
pub fn gunzip<R: Read>(reader: R) -> flate2::read::GzDecoder<R> {
    flate2::read::GzDecoder::new(reader)
}

/// All of `reader`, if it holds at most `max` bytes (else [`ArchiveError::Limit`]); reads at most
/// `max + 1` bytes.
pub fn read_bounded(
    reader: impl Read,
    max: u64,
    what: &'static str,
) -> Result<Vec<u8>, ArchiveError> {
    let mut out = Vec::new();
    reader.take(max.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(ArchiveError::Limit { what, limit: max });
    }
    Ok(out)
}
