//! Successful uploads and reads on the real local filesystem.

mod common;

use std::time::{Duration, SystemTime};

use arca_blobstore::{BlobKey, BlobStore, LOCAL_READ_CHUNK};
use bytes::Bytes;
use common::*;
use futures::TryStreamExt;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha512};

const MIB: usize = 1024 * 1024;

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    (dir, store)
}

#[tokio::test]
async fn known_digest_round_trip_with_known_vectors() {
    let (dir, store) = store();
    let d = domain("7");
    for (data, md5, sha1, sha256) in [
        (
            &b"hello"[..],
            "5d41402abc4b2a76b9719d911017c592",
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
        (
            &b""[..],
            "d41d8cd98f00b204e9800998ecf8427e",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    ] {
        let expected = sha256_of(data);
        assert_eq!(expected.to_string(), sha256);
        let info = store
            .put_stream(&d, chunked(data, 2), Some(&expected), 1024)
            .await
            .unwrap();
        assert_eq!(info.size, data.len() as u64);
        assert_eq!(info.md5, md5);
        assert_eq!(info.md5, hex::encode(Md5::digest(data)));
        assert_eq!(info.sha1, sha1);
        assert_eq!(info.sha1, hex::encode(Sha1::digest(data)));
        assert_eq!(info.sha256, expected);
        assert_eq!(info.sha512, hex::encode(Sha512::digest(data)));

        let read = store.get(&d, &expected).await.unwrap();
        assert_eq!(read.size, data.len() as u64);
        assert_eq!(read_all(read).await, data);

        let on_disk = dir
            .path()
            .join(format!("blobs/7/{}/{}", &sha256[..2], sha256));
        assert_eq!(std::fs::read(on_disk).unwrap(), data);
    }
    // Only the two committed blobs exist: no staging files left.
    assert_eq!(files_under(dir.path()).len(), 2);
}

#[tokio::test]
async fn unknown_digest_goes_through_tmp_and_leaves_nothing_there() {
    let (dir, store) = store();
    let d = domain("dom-1");
    let data = b"some maven artifact".repeat(1000);
    let info = store
        .put_stream(&d, chunked(&data, 777), None, u64::MAX)
        .await
        .unwrap();
    assert_eq!(info.sha256, sha256_of(&data));
    assert_eq!(info.size, data.len() as u64);
    assert_eq!(
        read_all(store.get(&d, &info.sha256).await.unwrap()).await,
        data
    );

    let key = BlobKey::new(&d, &info.sha256);
    let files = files_under(dir.path());
    assert_eq!(
        files,
        vec![std::path::PathBuf::from(key.location().as_ref())]
    );
    assert!(files_under(&dir.path().join("tmp")).is_empty());
}

#[tokio::test]
async fn twenty_mib_multipart_round_trip_is_streamed() {
    let (dir, store) = store();
    let part_size = MIB;
    let store = store.with_part_size(part_size).with_max_in_flight_parts(1);
    let d = domain("7");
    let total: u64 = 20 * MIB as u64 + 12_345;
    let chunk = 64 * 1024;
    let expected = generated_sha256(total);

    for known in [true, false] {
        // Before each chunk is produced, everything but the last couple of
        // parts must already be on disk: the body is consumed incrementally
        // and never collected.
        let root = dir.path().to_path_buf();
        let check = move |produced: u64| {
            let on_disk: u64 = files_under(&root)
                .iter()
                .filter(|p| p.to_string_lossy().contains('#'))
                .map(|p| {
                    std::fs::metadata(root.join(p))
                        .map(|m| m.len())
                        .unwrap_or(0)
                })
                .sum();
            let bound = 2 * part_size as u64 + chunk as u64;
            assert!(
                produced <= on_disk + bound,
                "produced {produced} bytes but only {on_disk} reached the staging file"
            );
        };
        let info = store
            .put_stream(
                &d,
                generated(total, chunk, check),
                known.then_some(&expected),
                total,
            )
            .await
            .unwrap();
        assert_eq!(info.size, total);
        assert_eq!(info.sha256, expected);

        let read = store.get(&d, &expected).await.unwrap();
        assert_eq!(read.size, total);
        let mut hasher = sha2::Sha256::new();
        let mut pos = 0u64;
        let mut stream = read.stream;
        while let Some(piece) = stream.try_next().await.unwrap() {
            assert!(piece.len() <= LOCAL_READ_CHUNK);
            for (i, b) in piece.iter().enumerate() {
                assert_eq!(*b, gen_byte(pos + i as u64));
            }
            pos += piece.len() as u64;
            hasher.update(&piece);
        }
        assert_eq!(pos, total);
        assert_eq!(hex::encode(hasher.finalize()), expected.to_string());
        assert_eq!(files_under(dir.path()).len(), 1);
    }
}

#[tokio::test]
async fn local_reads_use_large_chunks() {
    let (_dir, store) = store();
    let d = domain("7");
    let data: Vec<u8> = (0..MIB as u64 + 5).map(gen_byte).collect();
    let info = store
        .put_stream(&d, chunked(&data, 100_000), None, u64::MAX)
        .await
        .unwrap();
    let read = store.get(&d, &info.sha256).await.unwrap();
    let chunks: Vec<Bytes> = read.stream.try_collect().await.unwrap();
    let lens: Vec<usize> = chunks.iter().map(Bytes::len).collect();
    assert_eq!(
        lens,
        vec![
            LOCAL_READ_CHUNK,
            LOCAL_READ_CHUNK,
            LOCAL_READ_CHUNK,
            LOCAL_READ_CHUNK,
            5
        ]
    );
    assert_eq!(chunks.concat(), data);
}

#[tokio::test]
async fn republishing_refreshes_modification_time() {
    let (dir, store) = store();
    let d = domain("7");
    let data = b"republished".to_vec();
    let sha = sha256_of(&data);
    let path = dir.path().join(BlobKey::new(&d, &sha).location().as_ref());
    let old = SystemTime::now() - Duration::from_secs(30 * 86_400);

    for known in [Some(&sha), None] {
        store
            .put_stream(&d, chunked(&data, 3), known, 100)
            .await
            .unwrap();
        set_mtime(&path, old);
        let before = store.head(&d, &sha).await.unwrap().last_modified;
        assert!(before < SystemTime::now() - Duration::from_secs(86_400));

        store
            .put_stream(&d, chunked(&data, 3), known, 100)
            .await
            .unwrap();
        let after = store.head(&d, &sha).await.unwrap();
        assert!(after.last_modified > SystemTime::now() - Duration::from_secs(3600));
        assert_eq!(after.size, data.len() as u64);
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }
    assert_eq!(files_under(dir.path()).len(), 1);
}

#[tokio::test]
async fn head_exists_delete_and_not_found() {
    let (_dir, store) = store();
    let d = domain("7");
    let data = b"x".repeat(10);
    let sha = sha256_of(&data);
    assert!(!store.exists(&d, &sha).await.unwrap());
    assert!(matches!(
        store.get(&d, &sha).await,
        Err(arca_blobstore::BlobError::NotFound)
    ));
    assert!(matches!(
        store.head(&d, &sha).await,
        Err(arca_blobstore::BlobError::NotFound)
    ));
    store.delete(&d, &sha).await.unwrap();

    store
        .put_stream(&d, chunked(&data, 4), Some(&sha), 10)
        .await
        .unwrap();
    assert!(store.exists(&d, &sha).await.unwrap());
    // Same content, other domain: a separate copy.
    assert!(!store.exists(&domain("8"), &sha).await.unwrap());
    let meta = store.head(&d, &sha).await.unwrap();
    assert_eq!(meta.size, 10);
    assert_eq!(meta.key, BlobKey::new(&d, &sha));

    store.delete(&d, &sha).await.unwrap();
    assert!(!store.exists(&d, &sha).await.unwrap());
}

#[tokio::test]
async fn list_by_domain_hides_staging_files() {
    let (dir, store) = store();
    assert!(store
        .list(None)
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list(Some(&domain("1")))
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .is_empty());

    let (d1, d10, d2) = (domain("1"), domain("10"), domain("2"));
    let mut expected1 = Vec::new();
    for i in 0..3u8 {
        let info = store
            .put_stream(&d1, chunked(&[i; 7], 7), None, 100)
            .await
            .unwrap();
        expected1.push(info.sha256);
    }
    store
        .put_stream(&d10, chunked(b"ten", 7), None, 100)
        .await
        .unwrap();
    store
        .put_stream(&d2, chunked(b"two", 7), None, 100)
        .await
        .unwrap();
    // A staging file and a stray object are not reported.
    let stray_dir = dir.path().join("blobs/1/ab");
    std::fs::create_dir_all(&stray_dir).unwrap();
    std::fs::write(stray_dir.join(format!("{}#1", "ab".repeat(32))), b"partial").unwrap();
    std::fs::write(stray_dir.join("not-a-digest"), b"?").unwrap();

    let mut listed: Vec<_> = store.list(Some(&d1)).try_collect().await.unwrap();
    listed.sort_by(|a, b| a.key.cmp(&b.key));
    let mut got: Vec<_> = listed.iter().map(|m| *m.key.sha256()).collect();
    got.sort();
    expected1.sort();
    assert_eq!(got, expected1);
    assert!(listed.iter().all(|m| m.size == 7 && m.key.domain() == &d1));

    let all: Vec<_> = store.list(None).try_collect().await.unwrap();
    assert_eq!(all.len(), 5);
}

#[test]
fn put_future_is_send() {
    fn assert_send<T: Send>(_: T) {}
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    let d = domain("7");
    assert_send(store.put_stream(&d, chunked(b"x", 1), None, 1));
    assert_send(store.get(&d, &sha256_of(b"x")));
    assert_send(store.cleanup_temporaries(SystemTime::now()));
}
