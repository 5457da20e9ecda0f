//! `arca cache purge`: asks running servers to drop cached upstream indexes. The cache lives in
//! each server process's memory, so this is a request to each server (`POST /_arca/cache/purge`,
//! signed with the root credentials), not a change to the data directory.

use anyhow::bail;
use arca_api_codeartifact::operator::PURGE_CACHE_PATH;
use http::Method;

use crate::signed::SigningKey;
use crate::{Config, ServeArgs};

/// What `arca cache purge` takes.
#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    /// Server to purge, e.g. `http://10.0.0.5:8080`; repeat it for every replica (each has its own
    /// cache). Default: the `listen` address of the configuration (loopback for 0.0.0.0).
    #[arg(long = "endpoint", value_name = "URL")]
    pub endpoints: Vec<String>,
    /// Domain of `--repository`.
    #[arg(long)]
    pub domain: Option<String>,
    /// Owner (account id) of `--domain`; default: the root account.
    #[arg(long)]
    pub domain_owner: Option<String>,
    /// Only the external connections a read of this repository consults (its own and its
    /// upstreams'). Connections are shared: this also refreshes other repositories using them.
    #[arg(long)]
    pub repository: Option<String>,
    /// Format of `--package` (npm, pypi, maven).
    #[arg(long)]
    pub format: Option<String>,
    /// Namespace of `--package` (npm scope without `@`, Maven groupId).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Only this package (with `--format`).
    #[arg(long)]
    pub package: Option<String>,
    /// The server's settings: its credentials (flags, ARCA_* or the data directory), region and
    /// listen address.
    #[command(flatten)]
    pub settings: ServeArgs,
}

impl PurgeArgs {
    fn query(&self) -> String {
        crate::signed::query(&[
            ("domain", self.domain.as_deref()),
            ("domain-owner", self.domain_owner.as_deref()),
            ("repository", self.repository.as_deref()),
            ("format", self.format.as_deref()),
            ("namespace", self.namespace.as_deref()),
            ("package", self.package.as_deref()),
        ])
    }
}

/// Purges every endpoint; fails (after trying them all) if one did not.
pub async fn purge(args: PurgeArgs, config: Config) -> anyhow::Result<()> {
    let credentials = crate::credentials::load(&config)?;
    let endpoints = if args.endpoints.is_empty() {
        vec![crate::listen_url(config.listen)]
    } else {
        args.endpoints.clone()
    };
    let client = crate::signed::client()?;
    let query = args.query();
    let mut failed = 0;
    for endpoint in &endpoints {
        let url = format!(
            "{}{PURGE_CACHE_PATH}?{query}",
            endpoint.trim_end_matches('/')
        );
        match purge_one(&client, &url, &credentials, &config.region).await {
            Ok(answer) => println!("{endpoint}: {answer}"),
            Err(e) => {
                failed += 1;
                eprintln!("{endpoint}: {e:#}");
            }
        }
    }
    if failed > 0 {
        bail!(
            "the purge failed on {failed} of {} servers",
            endpoints.len()
        );
    }
    Ok(())
}

async fn purge_one(
    client: &reqwest::Client,
    url: &str,
    credentials: &crate::RootCredentials,
    region: &str,
) -> anyhow::Result<String> {
    let key = SigningKey {
        access_key_id: credentials.access_key_id.clone(),
        secret_access_key: credentials.secret_access_key.clone(),
        session_token: None,
        region: region.to_string(),
    };
    let body = crate::signed::call(client, Method::POST, url, &key).await?;
    let connections: Vec<&str> = body["connections"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
        .unwrap_or_default();
    Ok(format!(
        "purged {} cached index entries (connections: {})",
        body["purged"],
        if connections.is_empty() {
            "none".to_string()
        } else {
            connections.join(", ")
        }
    ))
}
