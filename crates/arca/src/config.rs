//! Configuration: defaults < TOML file (`--config`) < environment (`ARCA_*`) < command-line flags.
//! Everything is validated at start-up; secrets are redacted from `Debug`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    /// Metadata database: `postgres://…` (shared by replicas) or `sqlite:…` (default
    /// DATA_DIR/arca.db).
    #[arg(long, env = "ARCA_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
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
}

/// The TOML file: the same settings, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    region: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    account_id: Option<String>,
    token_secret: Option<String>,
    max_asset_bytes: Option<u64>,
    log_format: Option<String>,
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `None`: SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub account_id: Option<String>,
    pub token_secret: Option<String>,
    pub max_asset_bytes: u64,
    pub log_json: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(crate::store::redact_url),
            )
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
            database_url: args.database_url.or(file.database_url),
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
        if let Some(url) = &self.database_url {
            crate::store::check_database_url(url)?;
        }
        if self.max_asset_bytes == 0 {
            bail!("max_asset_bytes must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_from_file_or_flag_validated_and_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("arca.toml");
        std::fs::write(&file, "database_url = \"sqlite::memory:\"\n").unwrap();
        let args = |database_url: Option<&str>| ServeArgs {
            config: Some(file.clone()),
            database_url: database_url.map(str::to_owned),
            ..Default::default()
        };

        let from_file = Config::resolve(args(None)).unwrap();
        assert_eq!(from_file.database_url.as_deref(), Some("sqlite::memory:"));
        let from_flag = Config::resolve(args(Some("postgres://arca:pw@db/arca"))).unwrap();
        assert_eq!(
            from_flag.database_url.as_deref(),
            Some("postgres://arca:pw@db/arca")
        );
        assert!(!format!("{from_flag:?}").contains("pw@"));
        assert!(Config::resolve(args(Some("mysql://db/arca"))).is_err());
        assert_eq!(Config::for_data_dir(dir.path()).database_url, None);
    }
}
