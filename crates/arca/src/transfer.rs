//! `arca transfer`: copies a whole installation into another, empty one (docs/deploy.md,
//! "Moving an installation"). Each side is given with `arca serve`'s storage settings prefixed
//! `--from-`/`--to-` (or `ARCA_FROM_…`/`ARCA_TO_…`), or as a server's TOML file. The serve
//! settings in the environment (`ARCA_DATABASE_URL`, …) are deliberately not read: a side is
//! only what its own flags name.

use std::path::PathBuf;

use anyhow::{bail, Context};
use arca_service::{Pager, Service, TransferError, TransferReport};

use crate::progress::Progress;
use crate::{open_service, BlobLocation, Config, ServeArgs};

/// Declares the flags of one side (`from`/`to`), so that both sides stay identical.
macro_rules! side_args {
    ($name:ident, $side:literal, $flag:literal, $env:literal) => {
        #[derive(Debug, Default, Clone, clap::Args)]
        pub struct $name {
            #[arg(id = concat!($flag, "-config"), long = concat!($flag, "-config"), env = concat!($env, "_CONFIG"),
                  help = concat!("The ", $side, "'s TOML configuration file (as `arca serve --config`)"))]
            pub config: Option<PathBuf>,
            #[arg(id = concat!($flag, "-data-dir"), long = concat!($flag, "-data-dir"), env = concat!($env, "_DATA_DIR"),
                  help = concat!("The ", $side, "'s data directory (SQLite arca.db, blobs/)"))]
            pub data_dir: Option<PathBuf>,
            #[arg(id = concat!($flag, "-database-url"), long = concat!($flag, "-database-url"), env = concat!($env, "_DATABASE_URL"),
                  hide_env_values = true,
                  help = concat!("The ", $side, "'s metadata database: postgres://… or sqlite:…"))]
            pub database_url: Option<String>,
            #[arg(id = concat!($flag, "-blob-store"), long = concat!($flag, "-blob-store"), env = concat!($env, "_BLOB_STORE"),
                  help = concat!("The ", $side, "'s blobs: a directory or s3://bucket[/prefix]"))]
            pub blob_store: Option<String>,
            #[arg(id = concat!($flag, "-s3-endpoint"), long = concat!($flag, "-s3-endpoint"), env = concat!($env, "_S3_ENDPOINT"),
                  help = concat!("Endpoint of the ", $side, "'s S3-compatible server"))]
            pub s3_endpoint: Option<String>,
            #[arg(id = concat!($flag, "-s3-region"), long = concat!($flag, "-s3-region"), env = concat!($env, "_S3_REGION"),
                  help = concat!("Region of the ", $side, "'s bucket"))]
            pub s3_region: Option<String>,
            #[arg(id = concat!($flag, "-s3-path-style"), long = concat!($flag, "-s3-path-style"), env = concat!($env, "_S3_PATH_STYLE"),
                  help = concat!("Path-style requests to the ", $side, "'s S3 server"))]
            pub s3_path_style: Option<bool>,
            #[arg(id = concat!($flag, "-s3-access-key-id"), long = concat!($flag, "-s3-access-key-id"), env = concat!($env, "_S3_ACCESS_KEY_ID"),
                  hide_env_values = true,
                  help = concat!("S3 access key id of the ", $side, " (default AWS_ACCESS_KEY_ID)"))]
            pub s3_access_key_id: Option<String>,
            #[arg(id = concat!($flag, "-s3-secret-access-key"), long = concat!($flag, "-s3-secret-access-key"),
                  env = concat!($env, "_S3_SECRET_ACCESS_KEY"), hide_env_values = true,
                  help = concat!("S3 secret access key of the ", $side, " (default AWS_SECRET_ACCESS_KEY)"))]
            pub s3_secret_access_key: Option<String>,
        }

        impl From<$name> for Side {
            fn from(a: $name) -> Side {
                Side {
                    name: $side,
                    flag: $flag,
                    args: ServeArgs {
                        config: a.config,
                        data_dir: a.data_dir,
                        database_url: a.database_url,
                        blob_store: a.blob_store,
                        s3_endpoint: a.s3_endpoint,
                        s3_region: a.s3_region,
                        s3_path_style: a.s3_path_style,
                        s3_access_key_id: a.s3_access_key_id,
                        s3_secret_access_key: a.s3_secret_access_key,
                        ..Default::default()
                    },
                }
            }
        }
    };
}

side_args!(FromArgs, "source", "from", "ARCA_FROM");
side_args!(ToArgs, "destination", "to", "ARCA_TO");

/// The flags of `arca transfer`.
#[derive(Debug, Clone, clap::Args)]
pub struct TransferArgs {
    #[command(flatten)]
    pub from: FromArgs,
    #[command(flatten)]
    pub to: ToArgs,
}

/// One side's settings, as `arca serve` would take them.
struct Side {
    name: &'static str,
    flag: &'static str,
    args: ServeArgs,
}

impl Side {
    /// Resolves the settings; a side must name its storage (no silent `./arca-data`).
    fn resolve(self) -> anyhow::Result<(&'static str, Config)> {
        let a = &self.args;
        let named = a.config.is_some()
            || a.data_dir.is_some()
            || (a.database_url.is_some() && a.blob_store.is_some());
        if !named {
            let f = self.flag;
            bail!(
                "say where the {} is: --{f}-data-dir DIR, or --{f}-database-url with --{f}-blob-store, or --{f}-config FILE",
                self.name
            );
        }
        let config =
            Config::resolve(self.args).with_context(|| format!("the {} settings", self.name))?;
        Ok((self.name, config))
    }
}

/// Fails unless the source's SQLite file and blob directory exist: opening them would create
/// an empty installation, and copy nothing.
fn check_source_exists(config: &Config) -> anyhow::Result<()> {
    if config.database_url.is_none() {
        let db = config.data_dir.join("arca.db");
        if !db.is_file() {
            bail!(
                "the source has no metadata: {} does not exist",
                db.display()
            );
        }
    }
    if let BlobLocation::Local(dir) = &config.blobs {
        if !dir.is_dir() {
            bail!("the source has no blob directory {}", dir.display());
        }
    }
    Ok(())
}

async fn open(side: &str, config: &Config) -> anyhow::Result<Service> {
    // No pagination or authorization token is ever served, so the pager needs no shared secret.
    open_service(config, Pager::new(b"arca-transfer"))
        .await
        .with_context(|| format!("opening the {side}"))
}

/// `arca transfer`: refuses a non-empty destination (exit status 1, nothing written), else copies
/// everything and prints a summary.
pub async fn transfer(args: TransferArgs) -> anyhow::Result<()> {
    let (_, from) = Side::from(args.from).resolve()?;
    let (_, to) = Side::from(args.to).resolve()?;
    check_source_exists(&from)?;
    let source = open("source", &from).await?;
    let destination = open("destination", &to).await?;
    let mut progress = Progress::start("transfer");
    let result = source
        .transfer_into(&destination, |r| {
            progress.update(|| {
                format!(
                    "{} domains, {} repositories, {} packages, {} versions, {} blobs ({})",
                    r.domains,
                    r.repositories,
                    r.packages,
                    r.versions,
                    r.blobs,
                    crate::progress::bytes(r.bytes)
                )
            })
        })
        .await;
    let report = match result {
        Ok(report) => report,
        Err(e @ TransferError::DestinationNotEmpty(_)) => bail!("{e}"),
        Err(e) => bail!(
            "{e}. The destination is partly written: empty it before running arca transfer again."
        ),
    };
    let secs = progress.elapsed_secs();
    progress.finish(&summary(&report, secs));
    Ok(())
}

fn summary(r: &TransferReport, secs: f64) -> String {
    let mib = r.bytes as f64 / (1024.0 * 1024.0);
    format!(
        "transferred {} domains, {} repositories, {} packages, {} versions, {} assets, {} package \
         groups, {} permission policies, {} principals, {} tags, {} audit records; \
         {} blobs, {} bytes ({mib:.1} MiB) in {secs:.1} s ({:.1} MiB/s)",
        r.domains,
        r.repositories,
        r.packages,
        r.versions,
        r.assets,
        r.package_groups,
        r.policies,
        r.principals,
        r.tags,
        r.audit_records,
        r.blobs,
        r.bytes,
        if secs > 0.0 { mib / secs } else { 0.0 },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_have_distinct_flags() {
        use clap::Args;
        let cmd = TransferArgs::augment_args(clap::Command::new("transfer"));
        cmd.clone().debug_assert();
        let m = cmd
            .try_get_matches_from(["transfer", "--from-data-dir", "a", "--to-s3-region", "eu"])
            .unwrap();
        assert_eq!(
            m.get_one::<PathBuf>("from-data-dir"),
            Some(&PathBuf::from("a"))
        );
        assert_eq!(
            m.get_one::<String>("to-s3-region").map(String::as_str),
            Some("eu")
        );
    }

    #[test]
    fn a_side_must_name_its_storage() {
        let err = Side::from(ToArgs {
            database_url: Some("postgres://db/arca".into()),
            ..Default::default()
        })
        .resolve()
        .unwrap_err()
        .to_string();
        assert!(err.contains("--to-blob-store"), "{err}");
        let (name, config) = Side::from(FromArgs {
            database_url: Some("sqlite::memory:".into()),
            blob_store: Some("s3://bucket/p".into()),
            s3_endpoint: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        })
        .resolve()
        .unwrap();
        assert_eq!(name, "source");
        assert!(
            matches!(config.blobs, BlobLocation::S3(s) if s.path_style && s.bucket == "bucket")
        );
    }

    #[test]
    fn a_missing_source_is_refused_before_anything_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nothing");
        let (_, config) = Side::from(FromArgs {
            data_dir: Some(missing.clone()),
            ..Default::default()
        })
        .resolve()
        .unwrap();
        let err = check_source_exists(&config).unwrap_err().to_string();
        assert!(err.contains("arca.db"), "{err}");
        assert!(!missing.exists());
    }
}
