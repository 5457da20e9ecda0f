//! `arca transfer` end to end, with real `arca serve` children: an installation on SQLite + files
//! is populated through the API and the native npm and PyPI endpoints (several domains, upstreams
//! in an order that is not the name order, an upstream cycle, tags, versions in every status,
//! multi-asset and shared bytes, a copy, a package without versions), stopped, transferred into
//! PostgreSQL + S3 (moto), served from there and walked; then transferred back (from the live
//! server) into a fresh SQLite + files and walked again. Every walk must equal the source's: the
//! walker records every List*/Describe* answer whole, every page, every asset download's bytes
//! (hashed) and headers, every endpoint, tag list, packument, simple page and native download.
//! `arca check` passes on both destinations with nothing unreferenced; a second transfer into a
//! non-empty destination is refused and changes nothing; the source is unchanged.

mod populate;
mod walk;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use crate::child::{kill, start_with, Server};
use crate::common::postgres::PgSchema;
use crate::s3_server;
use populate::populate;
use walk::{assert_same, walk};

const OWNER: &str = "123456789012";
const PUBLIC_URL: &str = "http://arca.example";
const TOKEN_SECRET: &str = "transfer-test-token-secret-0123456789";
/// Small pages, so that every list is walked over several pages.
const PAGE: u32 = 2;

/// Settings every server of the test shares, so that ARNs, endpoints and links are comparable.
fn common_env() -> Vec<(&'static str, String)> {
    vec![
        ("ARCA_PUBLIC_URL", PUBLIC_URL.to_string()),
        ("ARCA_TOKEN_SECRET", TOKEN_SECRET.to_string()),
        ("ARCA_GC_INTERVAL", "0".to_string()),
    ]
}

fn addr(server: &Server) -> SocketAddr {
    server.url.trim_start_matches("http://").parse().unwrap()
}

// ---- the command ---------------------------------------------------------------

/// Runs `arca ARGS`; returns success, stdout and stderr.
fn arca(args: &[String]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_arca"))
        .args(args)
        .env("ARCA_LOG", "warn")
        .output()
        .expect("run arca");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The flags naming one side: a data dir, or PostgreSQL + S3.
fn side(prefix: &str, data_dir: &Path, pg_s3: Option<&[(&str, String)]>) -> Vec<String> {
    match pg_s3 {
        None => vec![
            format!("--{prefix}-data-dir"),
            data_dir.display().to_string(),
        ],
        Some(settings) => settings
            .iter()
            .flat_map(|(k, v)| {
                let flag = k
                    .trim_start_matches("ARCA_")
                    .to_lowercase()
                    .replace('_', "-");
                [format!("--{prefix}-{flag}"), v.clone()]
            })
            .collect(),
    }
}

fn transfer(from: Vec<String>, to: Vec<String>) -> (bool, String, String) {
    let mut args = vec!["transfer".to_string()];
    args.extend(from);
    args.extend(to);
    arca(&args)
}

/// `arca audit --json` of a SQLite side: the whole log, in order.
fn audit_of(data_dir: &Path) -> String {
    let (ok, out, err) = arca(&[
        "audit".into(),
        "--json".into(),
        "--data-dir".into(),
        data_dir.display().to_string(),
    ]);
    assert!(ok, "arca audit failed:\n{err}");
    out
}

/// `arca check` on a side; must pass with no unreferenced object (only referenced bytes moved).
fn check(data_dir: &Path, pg_s3: Option<&[(&str, String)]>) {
    let mut args = vec![
        "check".to_string(),
        "--data-dir".into(),
        data_dir.display().to_string(),
    ];
    if let Some(settings) = pg_s3 {
        for (k, v) in settings {
            args.push(format!(
                "--{}",
                k.trim_start_matches("ARCA_")
                    .to_lowercase()
                    .replace('_', "-")
            ));
            args.push(v.clone());
        }
    }
    let (ok, out, err) = arca(&args);
    assert!(ok, "arca check failed:\n{out}{err}");
    assert!(
        out.contains("0 missing, 0 corrupt") && out.contains("; 0 unreferenced objects"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfer_to_postgres_and_s3_and_back() {
    let test = "transfer_to_postgres_and_s3_and_back";
    let (Some(schema), Some(endpoint)) = (PgSchema::create(test).await, s3_server::endpoint(test))
    else {
        return;
    };
    let bucket = s3_server::bucket(&endpoint).await;
    let pg_s3 = [
        ("ARCA_DATABASE_URL", schema.url.clone()),
        ("ARCA_BLOB_STORE", format!("s3://{bucket}/arca")),
        ("ARCA_S3_ENDPOINT", endpoint.clone()),
        ("ARCA_S3_REGION", "us-east-1".to_string()),
        ("ARCA_S3_ACCESS_KEY_ID", "testing".to_string()),
        ("ARCA_S3_SECRET_ACCESS_KEY", "testing".to_string()),
    ];
    let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
    let (sqlite_a, pg_dir, sqlite_c) = (dirs[0].path(), dirs[1].path(), dirs[2].path());

    // The source, populated and walked, then stopped.
    let a = start_with(sqlite_a, &common_env()).await;
    populate(&a).await;
    let expected = walk(addr(&a)).await;
    let text = serde_json::to_string(&expected).unwrap();
    for status in [
        "Published",
        "Unfinished",
        "Unlisted",
        "Archived",
        "Disposed",
    ] {
        assert!(
            text.contains(&format!("\"{status}\"")),
            "the walk never saw {status}"
        );
    }
    assert!(
        expected.len() > 100,
        "only {} answers walked",
        expected.len()
    );
    kill(a).await;
    let audit = audit_of(sqlite_a);
    assert!(
        audit.lines().count() > 10,
        "the population was audited:\n{audit}"
    );

    // SQLite + files → PostgreSQL + S3.
    let (ok, out, err) = transfer(
        side("from", sqlite_a, None),
        side("to", pg_dir, Some(&pg_s3)),
    );
    assert!(ok, "transfer failed:\n{out}{err}");
    eprintln!("to PostgreSQL + S3: {out}");
    assert!(
        out.contains("transferred 3 domains, 6 repositories, 7 packages, 13 versions")
            && out.contains("assets, 6 package groups,"),
        "{out}"
    );
    let mut env = common_env();
    env.extend(pg_s3.iter().cloned());
    let b = start_with(pg_dir, &env).await;
    assert_same(
        &expected,
        &walk(addr(&b)).await,
        "PostgreSQL + S3 after the transfer",
    );
    check(pg_dir, Some(&pg_s3));

    // Into a non-empty destination: refused, nothing written.
    let (ok, out, err) = transfer(
        side("from", sqlite_a, None),
        side("to", pg_dir, Some(&pg_s3)),
    );
    assert!(
        !ok,
        "a transfer into a non-empty destination succeeded:\n{out}"
    );
    assert!(
        err.contains("destination is not empty") && err.contains("wrote nothing"),
        "{err}"
    );
    assert_same(
        &expected,
        &walk(addr(&b)).await,
        "PostgreSQL + S3 after the refusal",
    );

    // Back into a fresh SQLite + files, from the live server's stores.
    let (ok, out, err) = transfer(
        side("from", pg_dir, Some(&pg_s3)),
        side("to", sqlite_c, None),
    );
    assert!(ok, "transfer back failed:\n{out}{err}");
    eprintln!("back to SQLite + files: {out}");
    kill(b).await;
    check(sqlite_c, None);
    assert_eq!(
        audit_of(sqlite_c),
        audit,
        "the audit log after the round trip"
    );
    let c = start_with(sqlite_c, &common_env()).await;
    assert_same(
        &expected,
        &walk(addr(&c)).await,
        "SQLite + files after the round trip",
    );
    kill(c).await;

    // The source was only read.
    let a = start_with(sqlite_a, &common_env()).await;
    assert_same(
        &expected,
        &walk(addr(&a)).await,
        "the source after both transfers",
    );
    kill(a).await;
}
