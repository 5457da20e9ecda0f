//! Reliability tests that drive real `arca serve` child processes: SIGKILL mid-publish
//! (`crash.rs`), a data directory that runs out of space (`disk_full.rs`), two replicas on one
//! PostgreSQL and one S3 bucket (`replicas.rs`), clients that vanish mid-download
//! (`vanishing.rs`), and a mixed-load soak (`soak.rs`).

#[path = "../integration/common/mod.rs"]
mod common;

#[path = "../../../arca-blobstore/tests/common/s3.rs"]
#[allow(dead_code)]
mod s3_server;

mod crash;
mod disk_full;
mod replicas;
mod soak;
mod transfer;
mod vanishing;

mod child {
    use std::path::Path;
    use std::process::Stdio;
    use std::time::Duration;

    use aws_sdk_codeartifact::Client;
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::{Child, Command};

    use crate::common::sdk_client;

    pub const KEY: &str = "AKIAARCARELIABILITY1";
    pub const SECRET: &str = "reliability-secret-key-0123456789abcdefgh";
    pub const ACCOUNT: &str = "123456789012";

    /// A running `arca serve` child and a client for it.
    pub struct Server {
        pub child: Child,
        pub client: Client,
        pub url: String,
    }

    /// Starts `arca serve` on a free port with `data_dir`, waiting until it listens.
    pub async fn start(data_dir: &Path) -> Server {
        start_with(data_dir, &[]).await
    }

    /// [`start`] with extra environment (settings).
    pub async fn start_with(data_dir: &Path, env: &[(&str, String)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arca"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("ARCA_ACCESS_KEY_ID", KEY)
            .env("ARCA_SECRET_ACCESS_KEY", SECRET)
            .env("ARCA_ACCOUNT_ID", ACCOUNT)
            .env("ARCA_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn arca serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("arca printed its address in time")
                .unwrap()
                .expect("arca exited before listening");
            if let Some(url) = line.strip_prefix("Arca is listening on ") {
                break url.to_string();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server {
            child,
            client: sdk_client(&url, KEY, SECRET),
            url,
        }
    }

    /// `domain` created through `a`, `repo` in it through `b`.
    pub async fn create_domain_and_repository(a: &Client, b: &Client, domain: &str, repo: &str) {
        a.create_domain().domain(domain).send().await.unwrap();
        b.create_repository()
            .domain(domain)
            .repository(repo)
            .send()
            .await
            .unwrap();
    }

    /// SIGKILL, then reap.
    pub async fn kill(mut server: Server) {
        server.child.start_kill().expect("SIGKILL");
        server.child.wait().await.expect("reap");
    }

    /// Runs `arca <args> --data-dir D`; returns success and stdout.
    pub fn arca(data_dir: &Path, args: &[&str]) -> (bool, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_arca"))
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .env("ARCA_LOG", "warn")
            .output()
            .expect("run arca");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}
