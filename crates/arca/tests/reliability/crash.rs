//! Crash consistency: a real `arca serve` child takes concurrent generic publishes (small assets,
//! multi-MiB ones, versions finished over several calls) and is killed with SIGKILL at a random
//! moment, 20 rounds, restarted on the same data directory each time. After every restart:
//! - every acknowledged publish is there, with identical bytes and hashes;
//! - no version shows an asset that was never sent, or other bytes than were sent;
//! - a version whose finishing publish was acknowledged is Published;
//! - every committed publish has its audit record (`arca audit`), no more and no fewer;
//! - `arca check` passes (every referenced blob present and intact, no temporaries left).
//!
//! At the end `arca gc --grace 0` collects what interrupted uploads left, and nothing unreferenced
//! remains. Seeds are fixed: a failure replays the same schedule.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::child::{arca, create_domain_and_repository, kill, start, Server};
use crate::common::{collect_asset, pseudo_random, sha256_hex, show, NS};
use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use aws_sdk_codeartifact::Client;

const ROUNDS: u64 = 20;
const PUBLISHERS: u64 = 4;
const DOMAIN: &str = "crash";
const REPO: &str = "repo";

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One asset publish: where it goes and which bytes (regenerated from `seed`).
#[derive(Debug, Clone)]
struct Sent {
    package: String,
    version: String,
    asset: String,
    len: usize,
    seed: u64,
    sha256: String,
    finishes: bool,
}

impl Sent {
    fn content(&self) -> Vec<u8> {
        pseudo_random(self.len, self.seed)
    }
}

/// What the publishers did: every publish attempted, and those the server acknowledged.
#[derive(Default)]
struct Ledger {
    attempted: BTreeMap<(String, String, String), Sent>,
    acked: Vec<Sent>,
}

async fn publish(client: &Client, sent: &Sent, unfinished: bool) -> bool {
    client
        .publish_package_version()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package(&sent.package)
        .package_version(&sent.version)
        .asset_name(&sent.asset)
        .asset_sha256(&sent.sha256)
        .set_unfinished(unfinished.then_some(true))
        .asset_content(ByteStream::from(sent.content()))
        .send()
        .await
        .is_ok()
}

/// Publishes until the server dies: single small assets, big ones, and versions built over several
/// unfinished calls then finished.
async fn publisher(client: Client, ledger: Arc<Mutex<Ledger>>, round: u64, task: u64) {
    let mut rng = Rng((0x5EED ^ (round << 16) ^ (task << 8)) | 1);
    for i in 0.. {
        let version = format!("{round}.{task}.{i}");
        let kind = rng.below(10);
        let (assets, big) = match kind {
            0 => (1, true),
            1 | 2 => (1 + rng.below(3) + 1, false),
            _ => (1, false),
        };
        for a in 0..assets {
            let len = if big {
                (2 << 20) + rng.below(4 << 20) as usize
            } else {
                1 + rng.below(20_000) as usize
            };
            let seed = rng.next();
            let sent = Sent {
                package: format!("p{task}"),
                version: version.clone(),
                asset: format!("asset-{a}.bin"),
                len,
                seed,
                sha256: sha256_hex(&pseudo_random(len, seed)),
                finishes: a + 1 == assets,
            };
            let key = (
                sent.package.clone(),
                sent.version.clone(),
                sent.asset.clone(),
            );
            ledger.lock().unwrap().attempted.insert(key, sent.clone());
            if !publish(&client, &sent, !sent.finishes).await {
                return; // The server is gone (or going): stop this publisher.
            }
            ledger.lock().unwrap().acked.push(sent);
        }
    }
}

/// All versions of a package with their status and assets (name → sha256).
async fn versions_of(
    client: &Client,
    package: &str,
) -> BTreeMap<String, (PackageVersionStatus, BTreeMap<String, String>)> {
    let mut out = BTreeMap::new();
    let pages = client
        .list_package_versions()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package(package)
        .max_results(1000)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    for page in pages {
        let page = match page {
            Ok(page) => page,
            // No publish of this package ever committed.
            Err(e) if show(&e).contains("ResourceNotFoundException") => return out,
            Err(e) => panic!("list versions of {package}: {}", show(&e)),
        };
        for v in page.versions() {
            let assets = client
                .list_package_version_assets()
                .domain(DOMAIN)
                .repository(REPO)
                .format(PackageFormat::Generic)
                .namespace(NS)
                .package(package)
                .package_version(v.version())
                .max_results(1000)
                .send()
                .await
                .unwrap_or_else(|e| panic!("list assets: {}", show(&e)));
            let assets = assets
                .assets()
                .iter()
                .map(|a| {
                    let sha = a
                        .hashes()
                        .and_then(|h| h.get(&aws_sdk_codeartifact::types::HashAlgorithm::Sha256))
                        .cloned()
                        .unwrap_or_default();
                    (a.name().to_string(), sha)
                })
                .collect();
            out.insert(v.version().to_string(), (v.status().clone(), assets));
        }
    }
    out
}

async fn download(client: &Client, sent: &Sent) -> Vec<u8> {
    let out = client
        .get_package_version_asset()
        .domain(DOMAIN)
        .repository(REPO)
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package(&sent.package)
        .package_version(&sent.version)
        .asset(&sent.asset)
        .send()
        .await
        .unwrap_or_else(|e| panic!("download acknowledged {sent:?}: {}", show(&e)));
    collect_asset(out).await.1
}

async fn verify(server: &Server, ledger: &Ledger, round: u64, data_dir: &Path) {
    let mut listed = BTreeMap::new();
    for task in 0..PUBLISHERS {
        let package = format!("p{task}");
        for (version, (status, assets)) in versions_of(&server.client, &package).await {
            for (asset, sha) in &assets {
                let key = (package.clone(), version.clone(), asset.clone());
                let sent = ledger
                    .attempted
                    .get(&key)
                    .unwrap_or_else(|| panic!("round {round}: {key:?} was never sent"));
                assert_eq!(&sent.sha256, sha, "round {round}: {key:?} has other bytes");
                listed.insert(key, sha.clone());
            }
            let finished = ledger
                .acked
                .iter()
                .any(|s| s.package == package && s.version == version && s.finishes);
            if finished {
                assert_eq!(
                    status,
                    PackageVersionStatus::Published,
                    "round {round}: {package}@{version}"
                );
            }
        }
    }
    let this_round = format!("{round}.");
    for sent in &ledger.acked {
        let key = (
            sent.package.clone(),
            sent.version.clone(),
            sent.asset.clone(),
        );
        assert_eq!(
            listed.get(&key),
            Some(&sent.sha256),
            "round {round}: acknowledged {key:?} missing"
        );
        // Bytes of this round's acknowledged assets (older rounds were downloaded before, and
        // `arca check` below hashes every stored blob).
        if sent.version.starts_with(&this_round) {
            assert!(
                download(&server.client, sent).await == sent.content(),
                "round {round}: {key:?} bytes differ"
            );
        }
    }
    // Every committed publish has its audit record (same transaction): as many allowed publish
    // records per package as it has assets (each asset was committed by exactly one publish).
    let (ok, out) = arca(
        data_dir,
        &[
            "audit",
            "--json",
            "--action",
            "codeartifact:PublishPackageVersion",
        ],
    );
    assert!(ok, "round {round}: arca audit failed:\n{out}");
    let mut records = BTreeMap::<String, usize>::new();
    for line in out.lines() {
        let r: serde_json::Value = serde_json::from_str(line).expect("a JSON record");
        assert_eq!(r["result"], "allowed", "round {round}: {r}");
        let resource = r["resourceArn"].as_str().unwrap();
        let package = resource.rsplit('/').next().unwrap().to_string();
        *records.entry(package).or_default() += 1;
    }
    for task in 0..PUBLISHERS {
        let package = format!("p{task}");
        let assets = listed.keys().filter(|(p, _, _)| *p == package).count();
        assert_eq!(
            records.get(&package).copied().unwrap_or(0),
            assets,
            "round {round}: {package}'s committed publishes and their audit records"
        );
    }
    let (ok, out) = arca(data_dir, &["check", "--gc-grace", "0"]);
    assert!(ok, "round {round}: arca check failed:\n{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_publishes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = Rng(0xC0FFEE);
    let mut server = start(&data_dir).await;
    create_domain_and_repository(&server.client, &server.client, DOMAIN, REPO).await;
    for round in 0..ROUNDS {
        let publishers: Vec<_> = (0..PUBLISHERS)
            .map(|task| {
                tokio::spawn(publisher(
                    server.client.clone(),
                    ledger.clone(),
                    round,
                    task,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(30 + rng.below(400))).await;
        kill(server).await;
        for p in publishers {
            p.await.unwrap();
        }
        server = start(&data_dir).await;
        // The publishers are done: no lock is held across the awaits of verify.
        let snapshot = {
            let ledger = ledger.lock().unwrap();
            Ledger {
                attempted: ledger.attempted.clone(),
                acked: ledger.acked.clone(),
            }
        };
        verify(&server, &snapshot, round, &data_dir).await;
        eprintln!(
            "round {round}: {} publishes acknowledged so far, {} attempted",
            snapshot.acked.len(),
            snapshot.attempted.len()
        );
    }
    let (ok, out) = arca(&data_dir, &["gc", "--grace", "0"]);
    assert!(ok, "{out}");
    let (ok, out) = arca(&data_dir, &["check", "--gc-grace", "0"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("; 0 unreferenced objects"),
        "after gc nothing is left over: {out}"
    );
    eprintln!("{out}");
    kill(server).await;
}
