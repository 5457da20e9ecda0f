//! Staged uploads: hashed in `tmp/`, visible under their key only after `commit`, and removed when
//! dropped uncommitted.

mod common;

use arca_blobstore::{BlobError, BlobStore};
use common::*;

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    (dir, store)
}

fn tmp_files(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    files_under(root)
        .into_iter()
        .filter(|p| p.starts_with("tmp"))
        .collect()
}

#[tokio::test]
async fn staged_bytes_are_hashed_readable_and_invisible_until_committed() {
    let (dir, store) = store();
    let d = domain("3");
    let data = b"staged package bytes".repeat(1000);
    let sha = sha256_of(&data);
    let staged = store.stage(&d, chunked(&data, 777), 1 << 20).await.unwrap();
    assert_eq!(staged.info().sha256, sha);
    assert_eq!(staged.info().size, data.len() as u64);
    assert!(
        !store.exists(&d, &sha).await.unwrap(),
        "visible before commit"
    );
    assert_eq!(tmp_files(dir.path()).len(), 1);
    assert_eq!(read_all(staged.read().await.unwrap()).await, data);

    let info = staged.commit().await.unwrap();
    assert_eq!(info.sha256, sha);
    assert_eq!(read_all(store.get(&d, &sha).await.unwrap()).await, data);
    assert!(
        tmp_files(dir.path()).is_empty(),
        "temporary left after commit"
    );
}

#[tokio::test]
async fn dropping_an_uncommitted_stage_deletes_it() {
    let (dir, store) = store();
    let d = domain("3");
    let staged = store.stage(&d, chunked(b"abc", 1), 10).await.unwrap();
    let sha = staged.info().sha256;
    drop(staged);
    assert_eventually_empty(dir.path()).await;
    assert!(!store.exists(&d, &sha).await.unwrap());
}

#[tokio::test]
async fn failed_stages_leave_nothing() {
    let (dir, store) = store();
    let d = domain("3");
    let e = store.stage(&d, chunked(&[7u8; 100], 10), 99).await;
    assert!(matches!(e, Err(BlobError::TooLarge { limit: 99 })), "{e:?}");
    let e = store.stage(&d, failing_after(b"abcdef", 2), 100).await;
    assert!(matches!(e, Err(BlobError::Body(_))), "{e:?}");
    assert_eventually_empty(dir.path()).await;
}

#[tokio::test]
async fn committing_bytes_already_stored_keeps_one_blob() {
    let (dir, store) = store();
    let d = domain("3");
    for _ in 0..2 {
        let staged = store.stage(&d, chunked(b"same", 2), 10).await.unwrap();
        staged.commit().await.unwrap();
    }
    let blobs: Vec<_> = files_under(dir.path())
        .into_iter()
        .filter(|p| p.starts_with("blobs"))
        .collect();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    assert!(tmp_files(dir.path()).is_empty());
}
