//! The generic (non-local) code path, on `object_store`'s in-memory store.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arca_blobstore::object_store::memory::InMemory;
use arca_blobstore::object_store::ObjectStore;
use arca_blobstore::{BlobError, BlobStore};
use common::*;
use futures::TryStreamExt;

async fn all_objects(store: &Arc<dyn ObjectStore>) -> Vec<String> {
    let metas: Vec<_> = store.list(None).try_collect().await.unwrap();
    metas.into_iter().map(|m| m.location.to_string()).collect()
}

#[tokio::test]
async fn round_trip_and_failures() {
    let inner: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let store = BlobStore::from_object_store(Arc::clone(&inner)).with_part_size(100);
    let d = domain("7");
    let data: Vec<u8> = (0..1234u64).map(gen_byte).collect();
    let sha = sha256_of(&data);

    let err = store
        .put_stream(&d, chunked(&data, 33), Some(&sha256_of(b"x")), u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::DigestMismatch { .. }));
    let err = store
        .put_stream(&d, failing_after(&data, 33), None, u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::Body(_)));
    let err = store
        .put_stream(&d, chunked(&data, 33), None, 1000)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::TooLarge { limit: 1000 }));
    assert!(all_objects(&inner).await.is_empty());

    for known in [Some(&sha), None] {
        let info = store
            .put_stream(&d, chunked(&data, 33), known, u64::MAX)
            .await
            .unwrap();
        assert_eq!(info.sha256, sha);
        let read = store.get(&d, &sha).await.unwrap();
        assert_eq!(read.size, data.len() as u64);
        assert_eq!(read_all(read).await, data);
    }
    let hex = sha.to_string();
    assert_eq!(
        all_objects(&inner).await,
        vec![format!("blobs/7/{}/{}", &hex[..2], hex)]
    );

    // A leftover tmp object is removed by cleanup, but only once stale.
    inner
        .put(&"tmp/leftover".into(), b"junk".to_vec().into())
        .await
        .unwrap();
    let past = SystemTime::now() - Duration::from_secs(3600);
    assert_eq!(store.cleanup_temporaries(past).await.unwrap(), 0);
    let future = SystemTime::now() + Duration::from_secs(3600);
    assert_eq!(store.cleanup_temporaries(future).await.unwrap(), 1);
    assert_eq!(all_objects(&inner).await.len(), 1);

    let listed: Vec<_> = store.list(Some(&d)).try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, data.len() as u64);
}
