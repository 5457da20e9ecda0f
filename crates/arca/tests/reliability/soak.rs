//! Soak: a bounded run (`ARCA_SOAK_SECS`, default 20 s; 60 s or more by hand) of 16 concurrent clients
//! mixing publishes, downloads, describes and lists against a real server: zero errors, and the
//! server's RSS flat after warm-up (no growth beyond a small allowance).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::PackageFormat;
use aws_sdk_codeartifact::Client;

use crate::child::{kill, start};
use crate::common::{collect_asset, pseudo_random, sha256_hex, show, NS};

const CLIENTS: u64 = 16;
/// Allowed RSS growth between the end of warm-up and the end of the run.
const RSS_ALLOWANCE_MIB: f64 = 16.0;

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn one_op(client: &Client, worker: u64, i: u64) -> Result<(), String> {
    let package = format!("p{}", worker % 4);
    match i % 10 {
        0..=3 => {
            let content = pseudo_random(1024 + (i as usize % 7) * 3000, worker * 1_000_000 + i);
            client
                .publish_package_version()
                .domain("soak")
                .repository("repo")
                .format(PackageFormat::Generic)
                .namespace(NS)
                .package(&package)
                .package_version(format!("{worker}.{i}"))
                .asset_name("a.bin")
                .asset_sha256(sha256_hex(&content))
                .asset_content(ByteStream::from(content))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| show(&e))
        }
        4..=6 if i >= 10 => {
            let version = format!("{worker}.{}", i / 10 * 10);
            let out = client
                .get_package_version_asset()
                .domain("soak")
                .repository("repo")
                .format(PackageFormat::Generic)
                .namespace(NS)
                .package(&package)
                .package_version(version)
                .asset("a.bin")
                .send()
                .await
                .map_err(|e| show(&e))?;
            collect_asset(out).await;
            Ok(())
        }
        7 | 8 => client
            .list_package_versions()
            .domain("soak")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(&package)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| show(&e)),
        _ => client
            .describe_repository()
            .domain("soak")
            .repository("repo")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| show(&e)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_load_without_errors_or_growth() {
    let secs: u64 = std::env::var("ARCA_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data")).await;
    let pid = server.child.id().unwrap();
    server
        .client
        .create_domain()
        .domain("soak")
        .send()
        .await
        .unwrap();
    server
        .client
        .create_repository()
        .domain("soak")
        .repository("repo")
        .send()
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let ops = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for worker in 0..CLIENTS {
        let (client, stop, ops) = (server.client.clone(), stop.clone(), ops.clone());
        workers.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                if let Err(e) = one_op(&client, worker, i).await {
                    errors.push(format!("worker {worker} op {i}: {e}"));
                }
                ops.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            errors
        }));
    }
    let warm_up = Duration::from_secs(secs / 4);
    let start_at = Instant::now();
    tokio::time::sleep(warm_up).await;
    let after_warm_up = rss_mib(pid);
    let mut peak = after_warm_up;
    while start_at.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak = peak.max(rss_mib(pid));
    }
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for w in workers {
        errors.extend(w.await.unwrap());
    }
    let total = ops.load(Ordering::Relaxed);
    eprintln!(
        "soak: {total} operations in {secs} s ({:.0}/s); RSS {after_warm_up:.1} MiB after warm-up, peak {peak:.1} MiB",
        total as f64 / secs as f64
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert!(
        peak - after_warm_up < RSS_ALLOWANCE_MIB,
        "RSS grew from {after_warm_up:.1} to {peak:.1} MiB"
    );
    kill(server).await;
}
