//! Principals: `[[principals]]` in the TOML file, and `arca principal add|list|remove|rotate-key`,
//! which write the metadata store (so every replica sees them). Secrets are sealed under the
//! server secret before they are stored (`arca-service`'s `access/secrets.rs`), printed only
//! when generated, and never logged.

use std::path::PathBuf;

use anyhow::Context;
use arca_service::{Pager, PrincipalSpec};
use serde::Deserialize;

use crate::credentials::{random_text, random_upper};
use crate::{open_service, Config, ServeArgs};

/// One `[[principals]]` entry.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrincipalFile {
    arn: String,
    access_key_id: String,
    secret_access_key: Option<String>,
    secret_access_key_file: Option<PathBuf>,
    /// An identity policy document (JSON), inline or in a file.
    policy: Option<String>,
    policy_file: Option<PathBuf>,
    org_id: Option<String>,
}

impl std::fmt::Debug for PrincipalFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalFile")
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

fn one_of(
    what: &str,
    inline: Option<String>,
    file: Option<PathBuf>,
) -> anyhow::Result<Option<String>> {
    match (inline, file) {
        (Some(_), Some(_)) => anyhow::bail!("give {what} or {what}_file, not both"),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(p)) => Ok(Some(
            std::fs::read_to_string(&p)
                .with_context(|| format!("reading {what}_file {}", p.display()))?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        )),
        (None, None) => Ok(None),
    }
}

/// The configured principals, secrets and policies read from their files.
pub(crate) fn resolve(files: Vec<PrincipalFile>) -> anyhow::Result<Vec<PrincipalSpec>> {
    files
        .into_iter()
        .map(|p| {
            let what = format!("principals entry {}", p.arn);
            Ok(PrincipalSpec {
                secret_access_key: one_of(
                    "secret_access_key",
                    p.secret_access_key,
                    p.secret_access_key_file,
                )
                .with_context(|| what.clone())?
                .with_context(|| format!("{what}: secret_access_key is required"))?,
                policy: one_of("policy", p.policy, p.policy_file).with_context(|| what.clone())?,
                arn: p.arn,
                access_key_id: p.access_key_id,
                org_id: p.org_id,
            })
        })
        .collect()
}

#[derive(Debug, clap::Subcommand)]
pub enum PrincipalCommand {
    /// Add a user (`arn:aws:iam::ACCOUNT:user/NAME`) with an access key (generated unless given)
    /// and an optional identity policy.
    Add {
        arn: String,
        /// The user's access key id (generated when absent).
        #[arg(long = "user-access-key-id")]
        user_access_key_id: Option<String>,
        /// Read the user's secret from this file instead of generating one.
        #[arg(long = "user-secret-access-key-file")]
        user_secret_file: Option<PathBuf>,
        /// The identity policy, a JSON document in this file.
        #[arg(long)]
        policy_file: Option<PathBuf>,
        /// The organization of the user's account (`aws:PrincipalOrgID`).
        #[arg(long)]
        org_id: Option<String>,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// List principals (configured and stored), without secrets.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Remove a stored principal: its key stops working at once, and so do its tokens.
    Remove {
        arn: String,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Give a stored principal a new generated access key; the old one stops working at once.
    RotateKey {
        arn: String,
        #[command(flatten)]
        settings: ServeArgs,
    },
}

impl PrincipalCommand {
    pub fn settings(&self) -> &ServeArgs {
        match self {
            Self::Add { settings, .. }
            | Self::List { settings, .. }
            | Self::Remove { settings, .. }
            | Self::RotateKey { settings, .. } => settings,
        }
    }
}

fn new_key() -> (String, String) {
    (format!("AKIA{}", random_upper(16)), random_text(40))
}

/// Runs `arca principal …` against the configured store, sealing with the server's secret.
pub async fn run(command: PrincipalCommand, config: Config) -> anyhow::Result<()> {
    let (_, secret, _) = crate::credentials::load_or_create(&config)?;
    let service = open_service(&config, Pager::new(&secret)).await?;
    match command {
        PrincipalCommand::Add {
            arn,
            user_access_key_id,
            user_secret_file,
            policy_file,
            org_id,
            ..
        } => {
            let (generated_id, generated_secret) = new_key();
            let given_secret = one_of("secret_access_key", None, user_secret_file)?;
            let spec = PrincipalSpec {
                arn,
                access_key_id: user_access_key_id.unwrap_or(generated_id),
                secret_access_key: given_secret.clone().unwrap_or(generated_secret),
                policy: one_of("policy", None, policy_file)?,
                org_id,
            };
            service.add_principal(&spec).await?;
            println!("Added {}", spec.arn);
            println!("  AWS_ACCESS_KEY_ID={}", spec.access_key_id);
            if given_secret.is_none() {
                println!("  AWS_SECRET_ACCESS_KEY={}", spec.secret_access_key);
            }
        }
        PrincipalCommand::List { json, .. } => {
            let all = service.list_principals().await?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "arn": p.arn, "account": p.account, "accessKeyId": p.access_key_id,
                            "orgId": p.org_id, "policy": p.policy,
                            "source": if p.configured { "config" } else { "store" },
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for p in all {
                    println!(
                        "{}\t{}\t{}\t{}",
                        p.arn,
                        p.access_key_id,
                        if p.configured { "config" } else { "store" },
                        if p.policy.is_some() {
                            "policy"
                        } else {
                            "no policy"
                        }
                    );
                }
            }
        }
        PrincipalCommand::Remove { arn, .. } => {
            service.remove_principal(&arn).await?;
            println!("Removed {arn}");
        }
        PrincipalCommand::RotateKey { arn, .. } => {
            let (id, secret) = new_key();
            service.rotate_principal_key(&arn, &id, &secret).await?;
            println!("Rotated the key of {arn}");
            println!("  AWS_ACCESS_KEY_ID={id}");
            println!("  AWS_SECRET_ACCESS_KEY={secret}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: super::PrincipalCommand,
    }

    #[test]
    fn the_commands_arguments_are_consistent() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "arca",
            "add",
            "arn:aws:iam::111122223333:user/ci",
            "--user-access-key-id",
            "AKIACI0000000000001",
            "--data-dir",
            "/tmp/x",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            super::PrincipalCommand::Add {
                user_access_key_id: Some(_),
                ..
            }
        ));
    }
}
