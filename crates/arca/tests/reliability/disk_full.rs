//! Disk full: the data directory on a 24 MiB tmpfs (mounted by the test; it needs root and skips
//! with a visible message where it cannot mount). A publish that does not fit fails with
//! InternalServerException and leaves nothing behind; reads keep working; once space is freed,
//! publishes succeed again.

use std::path::Path;
use std::process::Command;

use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::PackageFormat;

use crate::child::{arca, kill, start, Server};
use crate::common::{collect_asset, files_under, pseudo_random, sha256_hex, show, NS};

/// A tmpfs mounted for the test's lifetime.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED disk_full: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

async fn publish(server: &Server, version: &str, content: &[u8]) -> Result<(), (u16, String)> {
    server
        .client
        .publish_package_version()
        .domain("full")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version(version)
        .asset_name("a.bin")
        .asset_sha256(sha256_hex(content))
        .asset_content(ByteStream::from(content.to_vec()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            (status, show(&e))
        })
}

/// The server answers 500 InternalServerException as soon as the write fails, without reading the
/// rest of the body, and then closes the connection: a client still sending (a large body on a
/// loaded machine) may see the closed connection (broken pipe, reset) before it reads that answer.
/// Either way the publish failed; what it left behind is checked by the caller, and that the server
/// is still up by the reads that follow.
#[track_caller]
fn assert_failed_as_internal_error(status: u16, error: &str) {
    let cut_off = status == 0
        && ["Broken pipe", "Connection reset", "connection closed"]
            .iter()
            .any(|e| error.contains(e));
    assert!(
        (status == 500 && error.contains("InternalServerException")) || cut_off,
        "status {status}: {error}"
    );
}

async fn download(server: &Server, version: &str) -> Vec<u8> {
    let out = server
        .client
        .get_package_version_asset()
        .domain("full")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .package_version(version)
        .asset("a.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("download {version}: {}", show(&e)));
    collect_asset(out).await.1
}

/// Bytes used under `dir` (file sizes).
fn used(dir: &Path) -> u64 {
    files_under(dir)
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_publishes_cleanly_and_recovers() {
    let Some(fs) = Tmpfs::mount("24m") else {
        return;
    };
    let data_dir = fs.path().join("data");
    let server = start(&data_dir).await;
    server
        .client
        .create_domain()
        .domain("full")
        .send()
        .await
        .unwrap();
    server
        .client
        .create_repository()
        .domain("full")
        .repository("repo")
        .send()
        .await
        .unwrap();
    let small = pseudo_random(10_000, 1);
    publish(&server, "1", &small).await.unwrap();
    let blobs_before = used(&data_dir.join("blobs"));

    // Larger than the whole file system.
    let big = pseudo_random(30 * 1024 * 1024, 2);
    let (status, error) = publish(&server, "2", &big).await.unwrap_err();
    assert_failed_as_internal_error(status, &error);
    assert_eq!(
        used(&data_dir.join("blobs")),
        blobs_before,
        "the failed upload left bytes"
    );
    assert!(download(&server, "1").await == small, "reads keep working");

    // Fill what is left, so that even a small publish (and its metadata) cannot be written.
    let filler = fs.path().join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 24 * 1024 * 1024]);
    let (status, error) = publish(&server, "3", &pseudo_random(200_000, 3))
        .await
        .unwrap_err();
    assert_failed_as_internal_error(status, &error);
    assert!(
        download(&server, "1").await == small,
        "reads keep working on a full disk"
    );

    // Space comes back: publishing works again, and the store is consistent.
    std::fs::remove_file(&filler).unwrap();
    let again = pseudo_random(200_000, 4);
    publish(&server, "3", &again).await.unwrap();
    assert!(download(&server, "3").await == again);
    let (ok, out) = arca(&data_dir, &["check", "--gc-grace", "0"]);
    assert!(ok, "arca check after the full disk:\n{out}");
    assert!(out.contains("0 missing, 0 corrupt; 0 temporaries"), "{out}");
    kill(server).await;
}
