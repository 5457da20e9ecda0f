//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod s3;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arca_blobstore::{BlobRead, DomainId, Sha256Digest};
use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use sha2::Digest;

pub type TestStream = futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>>;

pub fn domain(id: &str) -> DomainId {
    DomainId::new(id).unwrap()
}

pub fn sha256_of(data: &[u8]) -> Sha256Digest {
    Sha256Digest::from_bytes(sha2::Sha256::digest(data).into())
}

/// All regular files below `root`, recursively (relative paths).
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Polls `files_under(root)` until it is empty (drop-based cleanup runs on
/// the blocking pool), failing after a few seconds.
pub async fn assert_eventually_empty(root: &Path) {
    for _ in 0..200 {
        if files_under(root).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("files left under the root: {:?}", files_under(root));
}

/// `data` as a stream of `chunk`-byte pieces.
pub fn chunked(data: &[u8], chunk: usize) -> TestStream {
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(chunks).boxed()
}

/// `data` in chunks, followed by an error.
pub fn failing_after(data: &[u8], chunk: usize) -> TestStream {
    chunked(data, chunk)
        .chain(stream::once(async {
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "client went away",
            ))
        }))
        .boxed()
}

/// Deterministic pseudo-random byte `i` of the generated test content.
pub fn gen_byte(i: u64) -> u8 {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i >> 7);
    (x >> 29) as u8
}

/// A lazily generated stream of `total` bytes in `chunk`-byte pieces; before
/// yielding each piece it calls `check(bytes_produced_so_far)`.
pub fn generated(
    total: u64,
    chunk: usize,
    check: impl Fn(u64) + Send + 'static,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    stream::unfold(0u64, move |pos| {
        let out = if pos >= total {
            None
        } else {
            check(pos);
            let n = (total - pos).min(chunk as u64);
            let data: Vec<u8> = (pos..pos + n).map(gen_byte).collect();
            Some((Ok(Bytes::from(data)), pos + n))
        };
        futures::future::ready(out)
    })
}

/// Hashes the generated content without materialising it.
pub fn generated_sha256(total: u64) -> Sha256Digest {
    let mut h = sha2::Sha256::new();
    let mut buf = Vec::with_capacity(1 << 16);
    let mut pos = 0;
    while pos < total {
        let n = (total - pos).min(1 << 16);
        buf.clear();
        buf.extend((pos..pos + n).map(gen_byte));
        h.update(&buf);
        pos += n;
    }
    Sha256Digest::from_bytes(h.finalize().into())
}

pub async fn read_all(read: BlobRead) -> Vec<u8> {
    let size = read.size;
    let chunks: Vec<Bytes> = read.stream.try_collect().await.unwrap();
    let data = chunks.concat();
    assert_eq!(data.len() as u64, size);
    data
}

/// Sets the modification time of a file.
pub fn set_mtime(path: &Path, t: SystemTime) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}

/// A shared byte counter.
pub fn counter() -> Arc<AtomicU64> {
    Arc::new(AtomicU64::new(0))
}

pub fn load(c: &AtomicU64) -> u64 {
    c.load(Ordering::SeqCst)
}
