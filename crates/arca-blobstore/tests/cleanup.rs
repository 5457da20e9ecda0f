//! Start-up cleanup of crash leftovers on the real local filesystem.

mod common;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use arca_blobstore::{BlobKey, BlobStore};
use common::*;

#[tokio::test]
async fn removes_only_stale_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = BlobStore::local(root).unwrap();
    let d = domain("7");

    // A committed blob, made to look ancient: must survive.
    let blob = b"committed".to_vec();
    let sha = sha256_of(&blob);
    store
        .put_stream(&d, chunked(&blob, 4), Some(&sha), 100)
        .await
        .unwrap();
    let blob_rel = PathBuf::from(BlobKey::new(&d, &sha).location().as_ref());

    let hex = sha.to_string();
    let stale = [
        // object_store staging file of a multipart upload on a final key
        format!("blobs/7/{}/{}#1", &hex[..2], hex),
        // staging file of a copy (hard-link suffix starts at 0)
        format!("blobs/9/ab/{}#0", "ab".repeat(32)),
        // a tmp object that was never renamed
        "tmp/0b9f4c1e-2f0a-4c4e-9d4b-6a0d5f1e7c11".to_owned(),
        // a staging file of a tmp upload
        "tmp/5d7c8a3b-1e2f-4a5b-8c9d-0e1f2a3b4c5d#2".to_owned(),
    ];
    let fresh = [
        format!("blobs/7/{}/{}#2", &hex[..2], hex),
        "tmp/11111111-2222-4333-8444-555555555555".to_owned(),
        "tmp/11111111-2222-4333-8444-555555555555#1".to_owned(),
    ];
    let old = SystemTime::now() - Duration::from_secs(2 * 86_400);
    for rel in stale.iter().chain(fresh.iter()) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"leftover").unwrap();
    }
    for rel in &stale {
        set_mtime(&root.join(rel), old);
    }
    set_mtime(&root.join(&blob_rel), old);
    // A non-staging file that happens to contain '#' is not ours to delete.
    let foreign = root.join("blobs/7/notes#draft");
    std::fs::write(&foreign, b"?").unwrap();
    set_mtime(&foreign, old);

    let cutoff = SystemTime::now() - Duration::from_secs(3600);
    let removed = store.cleanup_temporaries(cutoff).await.unwrap();
    assert_eq!(removed, stale.len());

    let mut expected: Vec<PathBuf> = fresh.iter().map(PathBuf::from).collect();
    expected.push(blob_rel);
    expected.push(PathBuf::from("blobs/7/notes#draft"));
    expected.sort();
    assert_eq!(files_under(root), expected);

    // The committed blob is intact.
    assert_eq!(read_all(store.get(&d, &sha).await.unwrap()).await, blob);

    // Idempotent; an empty store is fine too.
    assert_eq!(store.cleanup_temporaries(cutoff).await.unwrap(), 0);
    let empty = tempfile::tempdir().unwrap();
    let empty_store = BlobStore::local(empty.path()).unwrap();
    assert_eq!(
        empty_store
            .cleanup_temporaries(SystemTime::now())
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn local_creates_missing_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a/b/c");
    let store = BlobStore::local(&root).unwrap();
    assert!(root.is_dir());
    assert!(format!("{store:?}").contains("BlobStore"));
}
