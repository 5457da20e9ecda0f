//! Clients that vanish mid-download: the server's open file descriptors (files and sockets) come
//! back to where they were, however many downloads were cut off.

use std::path::Path;
use std::time::Duration;

use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::PackageFormat;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::child::{kill, start, KEY, SECRET};
use crate::common::{pseudo_random, sha256_hex, signed_head, NS};

/// The server's open descriptors: (files under `blobs`, sockets, everything).
fn open_fds(pid: u32, blobs: &Path) -> (usize, usize, usize) {
    let (mut blob_files, mut sockets, mut all) = (0, 0, 0);
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
    {
        all += 1;
        match std::fs::read_link(entry.path()) {
            Ok(target) if target.starts_with(blobs) => blob_files += 1,
            Ok(target) if target.to_string_lossy().starts_with("socket:") => sockets += 1,
            _ => {}
        }
    }
    (blob_files, sockets, all)
}

/// Waits (up to 5 s) for the server to notice the vanished clients; returns what is then open.
async fn settle(pid: u32, blobs: &Path, sockets_at_most: usize) -> (usize, usize, usize) {
    let mut now = open_fds(pid, blobs);
    for _ in 0..50 {
        if now.0 == 0 && now.1 <= sockets_at_most {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        now = open_fds(pid, blobs);
    }
    now
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_downloads_release_their_files_and_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data")).await;
    let pid = server.child.id().unwrap();
    server
        .client
        .create_domain()
        .domain("dl")
        .send()
        .await
        .unwrap();
    server
        .client
        .create_repository()
        .domain("dl")
        .repository("repo")
        .send()
        .await
        .unwrap();
    let content = pseudo_random(8 * 1024 * 1024, 3);
    server
        .client
        .publish_package_version()
        .domain("dl")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version("1")
        .asset_name("big.bin")
        .asset_sha256(sha256_hex(&content))
        .asset_content(ByteStream::from(content))
        .send()
        .await
        .unwrap();
    let host = server.url.trim_start_matches("http://").to_string();
    let path = format!(
        "/v1/package/version/asset?domain=dl&repository=repo&format=generic&namespace={NS}&package=p\
         &version=1&asset=big.bin"
    );
    // Warm up (pools, lazily opened files), then take the baseline.
    let full = server
        .client
        .get_package_version_asset()
        .domain("dl")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version("1")
        .asset("big.bin")
        .send()
        .await
        .unwrap();
    full.asset.collect().await.unwrap();

    let vanish = |count: usize| {
        let (host, path) = (host.clone(), path.clone());
        async move {
            for _ in 0..count {
                let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
                conn.write_all(signed_head("GET", &host, &path, KEY, SECRET).as_bytes())
                    .await
                    .unwrap();
                let mut buf = vec![0u8; 64 * 1024];
                let n = conn.read(&mut buf).await.unwrap();
                assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
                drop(conn); // Gone, with most of 8 MiB unread.
            }
        }
    };
    let blobs = std::fs::canonicalize(dir.path().join("data/blobs")).unwrap();
    // A first batch lets pools (e.g. the SQLite readers) reach their working size.
    vanish(10).await;
    let (_, warm_sockets, _) = settle(pid, &blobs, 0).await;
    // A leak grows with the number of vanished clients: two more batches must not add anything.
    for batch in 0..2 {
        vanish(40).await;
        let (blob_files, sockets, all) = settle(pid, &blobs, warm_sockets).await;
        assert_eq!(
            blob_files, 0,
            "batch {batch}: blob files still open ({all} fds in all)"
        );
        assert!(
            sockets <= warm_sockets,
            "batch {batch}: {sockets} sockets open after 40 vanished downloads, {warm_sockets} before"
        );
    }
    kill(server).await;
}
