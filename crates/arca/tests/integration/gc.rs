//! Garbage collection of blobs and the storage check: bytes are freed once no version references
//! them, never while one does, and `arca gc` / `arca check` work on a live data directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_codeartifact::types::PackageFormat;

use crate::common::*;

/// Where the blob with this content lives under the data directory, if it exists.
fn blob_file(data_dir: &Path, content: &[u8]) -> Option<PathBuf> {
    let sha = sha256_hex(content);
    files_under(&data_dir.join("blobs"))
        .into_iter()
        .find(|f| f.file_name().and_then(|n| n.to_str()) == Some(sha.as_str()))
}

async fn collect(s: &TestServer) -> arca_service::GcReport {
    // Leases are compared in milliseconds: make "untouched for 0 s" strictly true.
    tokio::time::sleep(Duration::from_millis(5)).await;
    s.service
        .collect_garbage(Duration::ZERO, true)
        .await
        .expect("collect_garbage")
}

async fn healthy(s: &TestServer) -> arca_service::CheckReport {
    let report = s
        .service
        .check_storage(true, Duration::ZERO)
        .await
        .expect("check_storage");
    assert!(report.is_healthy(), "{report:?}");
    report
}

#[tokio::test]
async fn deleted_and_disposed_versions_free_their_bytes() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let (only, shared) = (b"only in 1".as_slice(), b"in 2 and 3".as_slice());
    s.publish_ok("dom", "repo", "p", "1", "a", only, false)
        .await;
    s.publish_ok("dom", "repo", "p", "2", "a", shared, false)
        .await;
    s.publish_ok("dom", "repo", "p", "3", "b", shared, false)
        .await;
    assert_eq!(healthy(&s).await.referenced, 2);

    s.delete_version("dom", "repo", "p", "1").await;
    s.dispose("dom", "repo", "p", "2").await;
    // Before collection the bytes are there but unreferenced.
    assert_eq!(healthy(&s).await.unreferenced, 1);
    let report = collect(&s).await;
    assert_eq!(report.freed, 1, "{report:?}");
    assert_eq!(report.orphans_freed, 0, "{report:?}");
    assert!(blob_file(&s.data_dir, only).is_none());
    assert!(blob_file(&s.data_dir, shared).is_some());
    let (_, bytes) = s.get_asset("dom", "repo", "p", "3", "b").await;
    assert_eq!(bytes, shared);

    s.delete_version("dom", "repo", "p", "3").await;
    assert_eq!(collect(&s).await.freed, 1);
    assert!(blob_file(&s.data_dir, shared).is_none());
    let report = healthy(&s).await;
    assert_eq!((report.referenced, report.unreferenced), (0, 0));
}

#[tokio::test]
async fn deleting_a_package_or_repository_frees_their_bytes() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    s.create_repo("dom", "gone").await;
    s.publish_ok("dom", "repo", "p", "1", "a", b"package bytes", false)
        .await;
    s.publish_ok("dom", "gone", "p", "1", "a", b"repository bytes", false)
        .await;
    s.client
        .delete_package()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    s.client
        .delete_repository()
        .domain("dom")
        .repository("gone")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(collect(&s).await.freed, 2);
    assert!(blob_file(&s.data_dir, b"package bytes").is_none());
    assert!(blob_file(&s.data_dir, b"repository bytes").is_none());
}

#[tokio::test]
async fn grace_period_and_copies_keep_bytes() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "src").await;
    s.create_repo("dom", "dst").await;
    let content = b"copied, then deleted at the source".as_slice();
    s.publish_ok("dom", "src", "p", "1", "a", content, false)
        .await;
    s.client
        .copy_package_versions()
        .domain("dom")
        .source_repository("src")
        .destination_repository("dst")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("p")
        .versions("1")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    s.delete_version("dom", "src", "p", "1").await;
    assert_eq!(
        collect(&s).await.freed,
        0,
        "the copy still references the bytes"
    );
    let (_, bytes) = s.get_asset("dom", "dst", "p", "1", "a").await;
    assert_eq!(bytes, content);

    s.delete_version("dom", "dst", "p", "1").await;
    let recent = s
        .service
        .collect_garbage(Duration::from_secs(3600), true)
        .await
        .unwrap();
    assert_eq!(
        recent.freed, 0,
        "unreferenced for less than the grace period"
    );
    assert!(blob_file(&s.data_dir, content).is_some());
    assert_eq!(collect(&s).await.freed, 1);
    assert!(blob_file(&s.data_dir, content).is_none());

    // Publishing the same bytes again stores them again.
    s.publish_ok("dom", "src", "p", "2", "a", content, false)
        .await;
    let (_, bytes) = s.get_asset("dom", "src", "p", "2", "a").await;
    assert_eq!(bytes, content);
    healthy(&s).await;
}

/// Publishers and deleters of the same bytes race a collector with a 20 ms grace period (leases
/// are refreshed every 5 ms): the bytes are freed and stored again many times, and every publish that
/// was acknowledged must download intact until it is deleted. A publish whose lease was lost anyway
/// (a heartbeat late on a loaded machine) must fail cleanly with a 500, never commit; it is retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn collector_racing_publishes_never_frees_referenced_bytes() {
    collector_race(None).await;
}

/// The same race on PostgreSQL, where transactions really run concurrently.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn collector_racing_publishes_never_frees_referenced_bytes_postgres() {
    let Some(schema) = postgres::PgSchema::create("collector_race_postgres").await else {
        return;
    };
    collector_race(Some(schema.url.clone())).await;
}

async fn collector_race(database_url: Option<String>) {
    let grace = Duration::from_millis(20);
    let s = TestServer::start_with(|c| {
        c.gc_grace = grace;
        c.database_url = database_url;
    })
    .await;
    let s = std::sync::Arc::new(s);
    s.domain_with_repo("dom", "repo").await;
    let content = pseudo_random(100_000, 7);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let collector = {
        let (s, done) = (s.clone(), done.clone());
        tokio::spawn(async move {
            let mut freed = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                freed += s.service.collect_garbage(grace, true).await.unwrap().freed;
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            freed
        })
    };
    let mut publishers = Vec::new();
    for worker in 0..3u64 {
        let (s, content) = (s.clone(), content.clone());
        publishers.push(tokio::spawn(async move {
            let mut retried = 0;
            for i in 0..15u64 {
                let version = format!("{worker}.{i}");
                loop {
                    match s
                        .publish("dom", "repo", "p", &version, "a", &content, false)
                        .await
                    {
                        Ok(_) => break,
                        Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(500) => {
                            retried += 1
                        }
                        Err(e) => panic!("publish {version}: {}", show(&e)),
                    }
                }
                let (_, bytes) = s.get_asset("dom", "repo", "p", &version, "a").await;
                assert!(bytes == content, "version {version} lost its bytes");
                s.delete_version("dom", "repo", "p", &version).await;
                // Sometimes leave the bytes unreferenced for longer than the grace period.
                let pause = (worker * 7 + i * 13) % 40;
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            retried
        }));
    }
    let mut retried = 0;
    for p in publishers {
        retried += p.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let freed = collector.await.unwrap();
    assert!(
        freed > 0,
        "the race never freed the bytes: the test exercised nothing"
    );
    // The last publish is kept: its bytes survive any later collection.
    s.publish_ok("dom", "repo", "p", "kept", "a", &content, false)
        .await;
    tokio::time::sleep(grace * 2).await;
    s.service.collect_garbage(grace, true).await.unwrap();
    let (_, bytes) = s.get_asset("dom", "repo", "p", "kept", "a").await;
    assert!(bytes == content);
    healthy(&s).await;
    eprintln!("freed the shared bytes {freed} times during the race; {retried} publishes retried");
}

#[tokio::test]
async fn check_finds_missing_and_corrupt_bytes() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    s.publish_ok("dom", "repo", "p", "1", "a", b"will vanish", false)
        .await;
    s.publish_ok("dom", "repo", "p", "2", "a", b"will change", false)
        .await;
    std::fs::remove_file(blob_file(&s.data_dir, b"will vanish").unwrap()).unwrap();
    // Same size, other bytes: only hashing notices.
    std::fs::write(
        blob_file(&s.data_dir, b"will change").unwrap(),
        b"WILL CHANGE",
    )
    .unwrap();
    let quick = s
        .service
        .check_storage(false, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        (quick.missing.len(), quick.corrupt.len()),
        (1, 0),
        "{quick:?}"
    );
    let full = s.service.check_storage(true, Duration::ZERO).await.unwrap();
    assert_eq!((full.missing.len(), full.corrupt.len()), (1, 1), "{full:?}");
    assert!(!full.is_healthy());
}

/// `arca gc` and `arca check`, the real binary, on the data directory of a running server.
#[tokio::test]
async fn gc_and_check_subcommands() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    s.publish_ok("dom", "repo", "p", "1", "a", b"kept", false)
        .await;
    s.publish_ok("dom", "repo", "p", "2", "a", b"deleted", false)
        .await;
    s.delete_version("dom", "repo", "p", "2").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let arca = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_arca"))
            .args(args)
            .arg("--data-dir")
            .arg(&s.data_dir)
            .env_remove("ARCA_DATA_DIR")
            .output()
            .expect("run arca");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success(), stdout)
    };

    let (ok, out) = arca(&["gc"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("freed 0 unreferenced blobs"),
        "default grace keeps it: {out}"
    );
    let (ok, out) = arca(&["gc", "--grace", "0"]);
    assert!(ok, "{out}");
    assert!(out.contains("freed 1 unreferenced blobs"), "{out}");
    assert!(blob_file(&s.data_dir, b"deleted").is_none());

    let (ok, out) = arca(&["check"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("1 referenced blobs checked (sizes and SHA-256); 0 missing, 0 corrupt"),
        "{out}"
    );
    std::fs::remove_file(blob_file(&s.data_dir, b"kept").unwrap()).unwrap();
    let (ok, out) = arca(&["check", "--quick"]);
    assert!(!ok, "{out}");
    assert!(out.contains("missing: "), "{out}");
}
