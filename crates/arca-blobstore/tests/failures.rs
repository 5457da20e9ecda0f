//! Failed uploads leave nothing behind on the real local filesystem.

mod common;

use std::time::Duration;

use arca_blobstore::{BlobError, BlobStore};
use common::*;
use futures::{FutureExt, StreamExt};

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    (dir, store)
}

/// Several parts of 1 KiB so that failures happen with parts in flight.
fn small_parts() -> (tempfile::TempDir, BlobStore) {
    let (dir, store) = store();
    (dir, store.with_part_size(1024).with_max_in_flight_parts(2))
}

#[tokio::test]
async fn digest_mismatch_leaves_nothing() {
    for (dir, store) in [store(), small_parts()] {
        let d = domain("7");
        let data = b"hello world".repeat(500);
        let claimed = sha256_of(b"something else");
        let err = store
            .put_stream(&d, chunked(&data, 100), Some(&claimed), u64::MAX)
            .await
            .unwrap_err();
        match err {
            BlobError::DigestMismatch { expected, actual } => {
                assert_eq!(expected, claimed);
                assert_eq!(actual, sha256_of(&data));
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(err_display_has_no_path(&store, &d).await);
        assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
        assert!(!store.exists(&d, &claimed).await.unwrap());
    }
}

/// Display of a NotFound / mismatch error does not contain filesystem paths.
async fn err_display_has_no_path(store: &BlobStore, d: &arca_blobstore::DomainId) -> bool {
    let err = store.get(d, &sha256_of(b"nope")).await.unwrap_err();
    !err.to_string().contains('/')
}

#[tokio::test]
async fn failing_body_leaves_nothing() {
    for (dir, store) in [store(), small_parts()] {
        let d = domain("7");
        let data = vec![42u8; 10_000];
        for known in [Some(sha256_of(&data)), None] {
            let err = store
                .put_stream(&d, failing_after(&data, 1000), known.as_ref(), u64::MAX)
                .await
                .unwrap_err();
            let BlobError::Body(source) = &err else {
                panic!("unexpected error {err:?}");
            };
            assert!(source.to_string().contains("client went away"));
            assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
        }
    }
}

#[tokio::test]
async fn too_large_leaves_nothing() {
    for (dir, store) in [store(), small_parts()] {
        let d = domain("7");
        let data = vec![1u8; 5000];
        for known in [Some(sha256_of(&data)), None] {
            let err = store
                .put_stream(&d, chunked(&data, 999), known.as_ref(), 4999)
                .await
                .unwrap_err();
            assert!(
                matches!(err, BlobError::TooLarge { limit: 4999 }),
                "{err:?}"
            );
            assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
        }
        // Exactly at the limit is fine.
        let info = store
            .put_stream(&d, chunked(&data, 999), None, 5000)
            .await
            .unwrap();
        assert_eq!(info.size, 5000);
    }
}

#[tokio::test]
async fn dropped_upload_leaves_nothing() {
    let (dir, store) = small_parts();
    let d = domain("7");
    let data = vec![7u8; 50_000];
    // A body that yields some data and then never finishes, like a stalled
    // client; the request is then cancelled (future dropped).
    let body = chunked(&data, 1000).chain(futures::stream::pending());
    let fut = store.put_stream(&d, body, None, u64::MAX).boxed();
    let res = tokio::time::timeout(Duration::from_millis(200), fut).await;
    assert!(res.is_err(), "the upload cannot have finished");
    assert_eventually_empty(dir.path()).await;
}

#[test]
fn invalid_identifiers_are_rejected() {
    assert!(arca_blobstore::DomainId::new("../etc").is_err());
    assert!(arca_blobstore::Sha256Digest::parse("../../etc/passwd").is_err());
}
