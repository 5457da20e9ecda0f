//! Configuration: defaults < TOML file (`--config`) < environment (`ARCA_*`) < command-line flags.
//! Everything is validated at start-up; secrets are redacted from `Debug`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

/// Settings of `arca serve`, as given on the command line or in the environment (clap reads both).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080; use port 0 for any free port).
    #[arg(long, env = "ARCA_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the SQLite database, blobs and generated credentials (default ./arca-data).
    #[arg(long, env = "ARCA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML configuration file.
    #[arg(long, env = "ARCA_CONFIG")]
    pub config: Option<PathBuf>,
    /// AWS region written into ARNs (default us-east-1). Clients may sign with any region.
    #[arg(long, env = "ARCA_REGION")]
    pub region: Option<String>,
    /// Root access key id (generated and stored in the data dir when unset).
    #[arg(long, env = "ARCA_ACCESS_KEY_ID", hide_env_values = true)]
    pub access_key_id: Option<String>,
    /// Root secret access key.
    #[arg(long, env = "ARCA_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub secret_access_key: Option<String>,
    /// 12-digit account id of the root credentials.
    #[arg(long, env = "ARCA_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// Secret that signs pagination tokens; share it between replicas (generated when unset).
    #[arg(long, env = "ARCA_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,
    /// Largest accepted asset in bytes (default 5 GiB).
    #[arg(long, env = "ARCA_MAX_ASSET_BYTES")]
    pub max_asset_bytes: Option<u64>,
    /// Log format: `text` (default) or `json`.
    #[arg(long, env = "ARCA_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Seconds between garbage collections of unreferenced blobs (default 600; 0 disables).
    #[arg(long, env = "ARCA_GC_INTERVAL")]
    pub gc_interval: Option<u64>,
    /// Seconds unreferenced bytes are kept before they may be freed (default 900).
    #[arg(long, env = "ARCA_GC_GRACE")]
    pub gc_grace: Option<u64>,
    /// Base URL clients reach the server at, used in repository endpoints and npm tarball links
    /// (default: http:// and the bound listen address).
    #[arg(long, env = "ARCA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Largest native publish request in bytes (npm: the JSON document with its base64 tarball;
    /// default 1 GiB).
    #[arg(long, env = "ARCA_MAX_PUBLISH_BYTES")]
    pub max_publish_bytes: Option<u64>,
}

/// The TOML file: the same settings, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    account_id: Option<String>,
    token_secret: Option<String>,
    max_asset_bytes: Option<u64>,
    log_format: Option<String>,
    gc_interval: Option<u64>,
    gc_grace: Option<u64>,
    public_url: Option<String>,
    max_publish_bytes: Option<u64>,
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub account_id: Option<String>,
    pub token_secret: Option<String>,
    pub max_asset_bytes: u64,
    pub log_json: bool,
    /// `None`: no periodic collection.
    pub gc_interval: Option<Duration>,
    pub gc_grace: Duration,
    /// `None`: `http://` and the address the server actually bound.
    pub public_url: Option<String>,
    pub max_publish_bytes: u64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("account_id", &self.account_id)
            .field(
                "token_secret",
                &self.token_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("max_asset_bytes", &self.max_asset_bytes)
            .field("gc_interval", &self.gc_interval)
            .field("gc_grace", &self.gc_grace)
            .field("public_url", &self.public_url)
            .field("max_publish_bytes", &self.max_publish_bytes)
            .finish()
    }
}

impl Config {
    /// A configuration for tests and embedding: defaults with the given data directory.
    pub fn for_data_dir(data_dir: &Path) -> Self {
        Self::resolve(ServeArgs {
            data_dir: Some(data_dir.to_path_buf()),
            listen: Some("127.0.0.1:0".parse().expect("valid address")),
            ..Default::default()
        })
        .expect("defaults are valid")
    }

    /// Layers defaults, the TOML file and the arguments (which already include the environment).
    pub fn resolve(args: ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let log_format = args
            .log_format
            .or(file.log_format)
            .unwrap_or_else(|| "text".into());
        let config = Config {
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("valid address")),
            data_dir: args
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("arca-data")),
            region: args
                .region
                .or(file.region)
                .unwrap_or_else(|| "us-east-1".into()),
            access_key_id: args.access_key_id.or(file.access_key_id),
            secret_access_key: args.secret_access_key.or(file.secret_access_key),
            account_id: args.account_id.or(file.account_id),
            token_secret: args.token_secret.or(file.token_secret),
            max_asset_bytes: args
                .max_asset_bytes
                .or(file.max_asset_bytes)
                .unwrap_or(5 * 1024 * 1024 * 1024),
            log_json: match log_format.as_str() {
                "json" => true,
                "text" => false,
                other => bail!("log format must be 'text' or 'json', not '{other}'"),
            },
            gc_interval: match args.gc_interval.or(file.gc_interval).unwrap_or(600) {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
            gc_grace: Duration::from_secs(
                args.gc_grace
                    .or(file.gc_grace)
                    .unwrap_or(arca_service::DEFAULT_BLOB_GRACE.as_secs()),
            ),
            public_url: args
                .public_url
                .or(file.public_url)
                .map(|u| u.trim_end_matches('/').to_string()),
            max_publish_bytes: args
                .max_publish_bytes
                .or(file.max_publish_bytes)
                .unwrap_or(arca_api_native::DEFAULT_MAX_PUBLISH_BYTES),
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if let Some(a) = &self.account_id {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                bail!("ARCA_ACCOUNT_ID must be 12 digits, got '{a}'");
            }
        }
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(_), None) | (None, Some(_)) => {
                bail!("set both ARCA_ACCESS_KEY_ID and ARCA_SECRET_ACCESS_KEY, or neither")
            }
            _ => {}
        }
        if self.region.is_empty()
            || !self
                .region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            bail!(
                "region must be letters, digits and '-', got '{}'",
                self.region
            );
        }
        if let Some(url) = &self.public_url {
            let rest = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            if !rest.is_some_and(|r| !r.is_empty() && !r.contains(['?', '#', ' '])) {
                bail!("public_url must be an http:// or https:// URL without query, got '{url}'");
            }
        }
        if self.max_asset_bytes == 0 || self.max_publish_bytes == 0 {
            bail!("max_asset_bytes and max_publish_bytes must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_public_url(url: &str) -> anyhow::Result<Config> {
        Config::resolve(ServeArgs {
            public_url: Some(url.into()),
            ..Default::default()
        })
    }

    #[test]
    fn public_url_is_checked_and_loses_its_trailing_slash() {
        let c = with_public_url("https://pkg.example.test/arca/").unwrap();
        assert_eq!(
            c.public_url.as_deref(),
            Some("https://pkg.example.test/arca")
        );
        for bad in ["pkg.example.test", "ftp://x", "http://", "http://x/?q=1"] {
            assert!(with_public_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Config::resolve(ServeArgs::default()).unwrap().public_url,
            None
        );
    }
}
