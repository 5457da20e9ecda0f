//! The blob store on a real S3-protocol server (moto, started by `scripts/test`): the same
//! guarantees as on the local filesystem — verified, content-addressed, streamed, nothing left behind.

mod common;

use std::time::{Duration, SystemTime};

use arca_blobstore::{BlobError, BlobKey, BlobStore};
use common::s3;
use common::*;
use futures::TryStreamExt;

const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn round_trip_under_a_prefix() {
    let Some((store, endpoint, bucket)) = s3::store("round_trip_under_a_prefix").await else {
        return;
    };
    let d = domain("7");
    let data = b"hello s3".repeat(100);
    let sha = sha256_of(&data);
    let info = store
        .put_stream(&d, chunked(&data, 10), Some(&sha), u64::MAX)
        .await
        .unwrap();
    assert_eq!((info.size, info.sha256), (data.len() as u64, sha));
    assert_eq!(read_all(store.get(&d, &sha).await.unwrap()).await, data);
    let key = BlobKey::new(&d, &sha);
    assert_eq!(
        s3::keys(&endpoint, &bucket).await,
        vec![format!("arca/{}", key.location())]
    );
    assert!(store.exists(&d, &sha).await.unwrap());
    let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, key);
    store.delete(&d, &sha).await.unwrap();
    store.delete(&d, &sha).await.unwrap();
    assert!(matches!(
        store.get(&d, &sha).await,
        Err(BlobError::NotFound)
    ));
    assert!(s3::keys(&endpoint, &bucket).await.is_empty());
}

/// 12 MiB in 5 MiB parts (S3's minimum): three parts, streamed, bytes and digest intact.
#[tokio::test]
async fn multipart_upload_of_several_parts() {
    let Some((store, endpoint, bucket)) = s3::store("multipart_upload_of_several_parts").await
    else {
        return;
    };
    let d = domain("3");
    let total = 12 * MIB + 17;
    let sha = generated_sha256(total);
    let info = store
        .put_stream(
            &d,
            generated(total, 64 * 1024, |_| {}),
            Some(&sha),
            u64::MAX,
        )
        .await
        .unwrap();
    assert_eq!((info.size, info.sha256), (total, sha));
    let read = store.get(&d, &sha).await.unwrap();
    assert_eq!(read.size, total);
    let mut pos = 0u64;
    let mut stream = read.stream;
    while let Some(chunk) = stream.try_next().await.unwrap() {
        for (i, b) in chunk.iter().enumerate() {
            assert_eq!(*b, gen_byte(pos + i as u64), "byte {}", pos + i as u64);
        }
        pos += chunk.len() as u64;
    }
    assert_eq!(pos, total);
    assert!(s3::open_uploads(&endpoint, &bucket).await.is_empty());
}

/// A digest mismatch, a body that fails and an oversized body all abort the multipart upload on
/// the server: no object, no open upload.
#[tokio::test]
async fn failed_uploads_leave_nothing_on_the_server() {
    let Some((store, endpoint, bucket)) = s3::store("failed_uploads_leave_nothing").await else {
        return;
    };
    let d = domain("1");
    let total = 11 * MIB;
    let wrong = sha256_of(b"not this");
    let err = store
        .put_stream(
            &d,
            generated(total, 64 * 1024, |_| {}),
            Some(&wrong),
            u64::MAX,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::DigestMismatch { .. }), "{err:?}");

    let data = vec![7u8; 6 * MIB as usize];
    let err = store
        .put_stream(&d, failing_after(&data, 256 * 1024), Some(&wrong), u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::Body(_)), "{err:?}");

    let err = store
        .put_stream(&d, chunked(&data, 256 * 1024), None, MIB)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::TooLarge { .. }), "{err:?}");

    assert_eq!(s3::keys(&endpoint, &bucket).await, Vec::<String>::new());
    assert_eq!(
        s3::open_uploads(&endpoint, &bucket).await,
        Vec::<String>::new()
    );
}

/// Unknown digest: staged under tmp/, then moved to its content address; the stale-temporary
/// sweep removes only old objects under tmp/.
#[tokio::test]
async fn unknown_digest_and_temporaries() {
    let Some((store, endpoint, bucket)) = s3::store("unknown_digest_and_temporaries").await else {
        return;
    };
    let d = domain("9");
    let data = b"a wheel".repeat(5000);
    let info = store
        .put_stream(&d, chunked(&data, 999), None, u64::MAX)
        .await
        .unwrap();
    assert_eq!(info.sha256, sha256_of(&data));
    let key = BlobKey::new(&d, &info.sha256);
    assert_eq!(
        s3::keys(&endpoint, &bucket).await,
        vec![format!("arca/{}", key.location())]
    );

    // A leftover temporary (as a crash would leave): kept while recent, removed once stale.
    let leftover = object_store::path::Path::from("tmp/crashed-upload");
    store
        .object_store()
        .put(&leftover, bytes::Bytes::from_static(b"partial").into())
        .await
        .unwrap();
    assert_eq!(
        store
            .cleanup_temporaries(SystemTime::now() - Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .count_temporaries(SystemTime::now() + Duration::from_secs(5))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .cleanup_temporaries(SystemTime::now() + Duration::from_secs(5))
            .await
            .unwrap(),
        1
    );
    assert_eq!(s3::keys(&endpoint, &bucket).await.len(), 1);
}

/// A missing bucket is an error of the upload (the service turns it into a 500), never a success.
#[tokio::test]
async fn missing_bucket_fails_the_upload() {
    let Some(endpoint) = s3::endpoint("wrong_bucket") else {
        return;
    };
    let store = BlobStore::s3(&s3::settings(&endpoint, "no-such-bucket-arca", None)).unwrap();
    let d = domain("1");
    let data = b"x";
    let err = store
        .put_stream(&d, chunked(data, 1), Some(&sha256_of(data)), u64::MAX)
        .await
        .unwrap_err();
    assert!(
        matches!(err, BlobError::Backend(_) | BlobError::NotFound),
        "{err:?}"
    );
}
