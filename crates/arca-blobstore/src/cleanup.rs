//! Start-up removal of temporaries left behind by a crash.

use std::path::Path as FsPath;
use std::time::SystemTime;

use futures::TryStreamExt;
use object_store::path::Path;

use crate::error::BlobError;
use crate::key::{BLOBS_PREFIX, TMP_PREFIX};
use crate::store::{system_time, BlobStore};

impl BlobStore {
    /// Removes temporaries last modified before `older_than`:
    ///
    /// * every object under `tmp/` (uploads of unknown digest that never got
    ///   renamed to their content-addressed key);
    /// * for the local backend, `object_store`'s staging files under `blobs/`
    ///   and `tmp/`: files named `{final name}#{digits}` created by
    ///   `put_multipart`/`put`/`copy` and renamed into place on completion.
    ///   `object_store` hides them from `list`, so the directory tree is
    ///   walked on disk.
    ///
    /// Anything newer than `older_than` may belong to an upload in flight in
    /// this or another process and is kept; pass e.g. `now - 1 hour`
    /// (an active upload keeps touching its staging file). Returns the number
    /// of files removed.
    ///
    /// Incomplete S3 multipart uploads are not visible through the
    /// `ObjectStore` API; configure an `AbortIncompleteMultipartUpload`
    /// bucket lifecycle rule for those.
    pub async fn cleanup_temporaries(&self, older_than: SystemTime) -> Result<usize, BlobError> {
        let removed = self.temporaries(older_than, true).await?;
        if removed > 0 {
            tracing::info!(removed, "removed stale temporary blob files");
        }
        Ok(removed)
    }

    /// Counts the temporaries [`cleanup_temporaries`](Self::cleanup_temporaries) would remove,
    /// without removing them (for `arca check`).
    pub async fn count_temporaries(&self, older_than: SystemTime) -> Result<usize, BlobError> {
        self.temporaries(older_than, false).await
    }

    async fn temporaries(&self, older_than: SystemTime, remove: bool) -> Result<usize, BlobError> {
        let mut found = 0;

        let tmp = Path::from(TMP_PREFIX);
        let stale: Vec<Path> = self
            .store
            .list(Some(&tmp))
            .try_filter_map(|meta| async move {
                Ok((system_time(&meta) < older_than).then_some(meta.location))
            })
            .try_collect()
            .await?;
        for location in stale {
            if !remove {
                found += 1;
                continue;
            }
            match self.store.delete(&location).await {
                Ok(()) => found += 1,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }

        if let Some(root) = self.local_root.clone() {
            found += tokio::task::spawn_blocking(move || {
                let mut n = 0;
                for top in [BLOBS_PREFIX, TMP_PREFIX] {
                    n += staging_files(&root.join(top), older_than, remove)?;
                }
                Ok::<_, std::io::Error>(n)
            })
            .await??;
        }
        Ok(found)
    }
}

/// Whether `name` is an `object_store` local staging file name:
/// `{anything}#{one or more ASCII digits}` (same rule `object_store` uses to
/// hide them from listings).
pub(crate) fn is_staging_name(name: &str) -> bool {
    match name.split_once('#') {
        Some((_, suffix)) => !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Recursively counts, and if `remove` removes, stale staging files under `dir`
/// (symlinks are neither followed nor removed). A missing directory counts as
/// empty.
fn staging_files(dir: &FsPath, older_than: SystemTime, remove: bool) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let file_type = entry.file_type()?;
        let path = entry.path();
        if file_type.is_dir() {
            removed += staging_files(&path, older_than, remove)?;
            continue;
        }
        if !file_type.is_file() || !entry.file_name().to_str().is_some_and(is_staging_name) {
            continue;
        }
        let modified = match entry.metadata().and_then(|m| m.modified()) {
            Ok(modified) => modified,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if modified < older_than && !remove {
            removed += 1;
        } else if modified < older_than {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::is_staging_name;

    #[test]
    fn staging_names() {
        assert!(is_staging_name("abc#1"));
        assert!(is_staging_name("abc#0"));
        assert!(is_staging_name("abc#123"));
        assert!(!is_staging_name("abc"));
        assert!(!is_staging_name("abc#"));
        assert!(!is_staging_name("abc#1x"));
        assert!(!is_staging_name("abc#-1"));
    }
}
