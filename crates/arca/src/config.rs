//! Configuration: defaults < TOML file (`--config`) < environment (`ARCA_*`) < command-line flags.
//! Everything is validated at start-up; secrets are redacted from `Debug`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use arca_blobstore::S3Settings;

use crate::server::Timeouts;
use arca_service::upstream::connections::{
    connection_format, ExternalSource, UpstreamAuth, KNOWN_CONNECTIONS,
};
use serde::Deserialize;
use std::collections::BTreeMap;

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
    /// Where blobs live: a directory (default DATA_DIR/blobs) or `s3://bucket[/prefix]`.
    #[arg(long, env = "ARCA_BLOB_STORE")]
    pub blob_store: Option<String>,
    /// Endpoint of an S3-compatible server (default: AWS, or AWS_ENDPOINT).
    #[arg(long, env = "ARCA_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 region (default: AWS_REGION, else us-east-1).
    #[arg(long, env = "ARCA_S3_REGION")]
    pub s3_region: Option<String>,
    /// Path-style S3 requests (default: on when an endpoint is set, as S3-compatible servers need).
    #[arg(long, env = "ARCA_S3_PATH_STYLE")]
    pub s3_path_style: Option<bool>,
    /// S3 access key id (default: AWS_ACCESS_KEY_ID).
    #[arg(long, env = "ARCA_S3_ACCESS_KEY_ID", hide_env_values = true)]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key (default: AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "ARCA_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// API requests per second allowed per account (default: unlimited). Over it: 429
    /// ThrottlingException with Retry-After. Counted per replica.
    #[arg(long, env = "ARCA_RATE_LIMIT")]
    pub rate_limit: Option<f64>,
    /// Requests an account may make at once above the rate (default: the rate, at least 1).
    #[arg(long, env = "ARCA_RATE_BURST")]
    pub rate_burst: Option<u32>,
    /// Seconds a client may take to send its request headers (default 30).
    #[arg(long, env = "ARCA_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,
    /// Seconds a request body may stall mid-transfer before the request fails (default 60).
    #[arg(long, env = "ARCA_BODY_IDLE_TIMEOUT")]
    pub body_idle_timeout: Option<u64>,
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
    /// Bearer token `GET /metrics` requires (`Authorization: Bearer …`); unset: open to anyone who
    /// reaches the port.
    #[arg(long, env = "ARCA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Do not serve the web UI at `/ui/` (also `ui = false` in the TOML file).
    #[arg(long, env = "ARCA_NO_UI")]
    pub no_ui: bool,
    /// Source of an external connection, `NAME=URL` (e.g. `public:npmjs=https://registry.npmjs.org/`;
    /// repeatable; the environment variable takes a comma-separated list). Overrides the URL of
    /// the same name in the TOML file. There are no built-in URLs.
    #[arg(
        long = "external-connection",
        env = "ARCA_EXTERNAL_CONNECTIONS",
        value_delimiter = ','
    )]
    pub external_connections: Vec<String>,
    /// Addresses or CIDR ranges of proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are
    /// believed (repeatable; the environment variable takes a comma-separated list; default none).
    #[arg(
        long = "trusted-proxy",
        env = "ARCA_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// Days audit records are kept (default 90; pruned by `arca gc` and the periodic collection).
    #[arg(long, env = "ARCA_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<u64>,
    /// Milliseconds a rendered native document (npm packument, PyPI project page), a read
    /// operation's answer or a looked-up version may be served from memory at most (default 2000;
    /// 0 keeps none): how stale another replica's copy may be when PostgreSQL's change
    /// notification is late. This server's own writes show at once.
    #[arg(long, env = "ARCA_DOCUMENT_TTL_MS")]
    pub document_ttl_ms: Option<u64>,
}

/// `[external_connections."public:npmjs"]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExternalConnectionFile {
    url: Option<String>,
    /// Durations such as "5m" or "3d".
    metadata_ttl: Option<String>,
    timeout: Option<String>,
    min_release_age: Option<String>,
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
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
    gc_interval: Option<u64>,
    gc_grace: Option<u64>,
    header_timeout: Option<u64>,
    body_idle_timeout: Option<u64>,
    rate_limit: Option<f64>,
    rate_burst: Option<u32>,
    blob_store: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
    s3_access_key_id: Option<String>,
    s3_secret_access_key: Option<String>,
    public_url: Option<String>,
    max_publish_bytes: Option<u64>,
    metrics_token: Option<String>,
    /// `false` turns the web UI off.
    ui: Option<bool>,
    #[serde(default)]
    external_connections: BTreeMap<String, ExternalConnectionFile>,
    #[serde(default)]
    principals: Vec<crate::principals::PrincipalFile>,
    trusted_proxies: Option<Vec<String>>,
    audit_retention_days: Option<u64>,
    document_ttl_ms: Option<u64>,
}

/// Where blobs are stored.
#[derive(Debug, Clone)]
pub enum BlobLocation {
    Local(PathBuf),
    S3(S3Settings),
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
    /// `None`: no periodic collection.
    pub gc_interval: Option<Duration>,
    pub gc_grace: Duration,
    pub blobs: BlobLocation,
    pub timeouts: Timeouts,
    /// Per-account API rate limit: (requests per second, burst).
    pub rate_limit: Option<(f64, u32)>,
    /// `None`: `http://` and the address the server actually bound.
    pub public_url: Option<String>,
    pub max_publish_bytes: u64,
    /// The source of each external connection name the operator configured.
    pub external_connections: BTreeMap<String, ExternalSource>,
    /// `[[principals]]`: users besides the root (secrets redacted from `Debug`).
    pub principals: Vec<arca_service::PrincipalSpec>,
    /// Bearer token of `GET /metrics`; `None`: no token needed.
    pub metrics_token: Option<String>,
    /// Proxies whose forwarding headers name the client (`client.rs`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long audit records are kept.
    pub audit_retention: Duration,
    /// Serve the web UI at `/ui/`.
    pub ui: bool,
    /// How long a rendered native document may be served from memory at most.
    pub document_ttl: Duration,
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
            .field("gc_interval", &self.gc_interval)
            .field("gc_grace", &self.gc_grace)
            .field("blobs", &self.blobs)
            .field("timeouts", &self.timeouts)
            .field("rate_limit", &self.rate_limit)
            .field("public_url", &self.public_url)
            .field("max_publish_bytes", &self.max_publish_bytes)
            .field("external_connections", &self.external_connections)
            .field("principals", &self.principals)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("audit_retention", &self.audit_retention)
            .field("document_ttl", &self.document_ttl)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("ui", &self.ui)
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
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("arca-data"));
        let blobs = match args.blob_store.or(file.blob_store) {
            None => BlobLocation::Local(data_dir.join("blobs")),
            Some(url) => match url.strip_prefix("s3://") {
                Some(rest) => {
                    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                    if bucket.is_empty() {
                        bail!("blob_store '{url}' names no bucket");
                    }
                    let endpoint = args.s3_endpoint.or(file.s3_endpoint);
                    BlobLocation::S3(S3Settings {
                        bucket: bucket.into(),
                        prefix: (!prefix.trim_matches('/').is_empty()).then(|| prefix.into()),
                        path_style: args
                            .s3_path_style
                            .or(file.s3_path_style)
                            .unwrap_or(endpoint.is_some()),
                        endpoint,
                        region: args.s3_region.or(file.s3_region),
                        access_key_id: args.s3_access_key_id.or(file.s3_access_key_id),
                        secret_access_key: args.s3_secret_access_key.or(file.s3_secret_access_key),
                    })
                }
                None if url.contains("://") => {
                    bail!("blob_store must be a directory or s3://bucket[/prefix], got '{url}'")
                }
                None => BlobLocation::Local(PathBuf::from(url)),
            },
        };
        let external_connections =
            external_connections(file.external_connections, &args.external_connections)?;
        let config = Config {
            external_connections,
            principals: crate::principals::resolve(file.principals)?,
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("valid address")),
            data_dir,
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
            gc_interval: match args.gc_interval.or(file.gc_interval).unwrap_or(600) {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
            gc_grace: Duration::from_secs(
                args.gc_grace
                    .or(file.gc_grace)
                    .unwrap_or(arca_service::DEFAULT_BLOB_GRACE.as_secs()),
            ),
            blobs,
            timeouts: Timeouts {
                header_read: Duration::from_secs(
                    args.header_timeout.or(file.header_timeout).unwrap_or(30),
                ),
                body_idle: Duration::from_secs(
                    args.body_idle_timeout
                        .or(file.body_idle_timeout)
                        .unwrap_or(60),
                ),
            },
            rate_limit: args.rate_limit.or(file.rate_limit).map(|rate| {
                let burst = args.rate_burst.or(file.rate_burst);
                (rate, burst.unwrap_or(rate.ceil().max(1.0) as u32))
            }),
            public_url: args
                .public_url
                .or(file.public_url)
                .map(|u| u.trim_end_matches('/').to_string()),
            max_publish_bytes: args
                .max_publish_bytes
                .or(file.max_publish_bytes)
                .unwrap_or(arca_api_native::DEFAULT_MAX_PUBLISH_BYTES),
            metrics_token: args
                .metrics_token
                .or(file.metrics_token)
                .filter(|t| !t.is_empty()),
            trusted_proxies: trusted_proxies(if args.trusted_proxies.is_empty() {
                file.trusted_proxies.unwrap_or_default()
            } else {
                args.trusted_proxies
            })?,
            audit_retention: Duration::from_secs(
                args.audit_retention_days
                    .or(file.audit_retention_days)
                    .unwrap_or(DEFAULT_AUDIT_RETENTION_DAYS)
                    .saturating_mul(86_400),
            ),
            ui: !args.no_ui && file.ui.unwrap_or(true),
            document_ttl: args.document_ttl_ms.or(file.document_ttl_ms).map_or(
                arca_service::documents::DEFAULT_DOCUMENT_TTL,
                Duration::from_millis,
            ),
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
        if self.timeouts.header_read.is_zero() || self.timeouts.body_idle.is_zero() {
            bail!("header_timeout and body_idle_timeout must be at least 1 second");
        }
        if let Some(url) = &self.database_url {
            crate::store::check_database_url(url)?;
        }
        if self
            .rate_limit
            .is_some_and(|(rate, _)| !(rate > 0.0 && rate.is_finite()))
        {
            bail!("rate_limit must be a positive number of requests per second");
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

/// Days audit records are kept unless configured.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u64 = 90;

/// `trusted_proxies`: addresses (a single host) or CIDR ranges.
fn trusted_proxies(entries: Vec<String>) -> anyhow::Result<Vec<ipnet::IpNet>> {
    entries
        .iter()
        .map(|e| {
            let e = e.trim();
            e.parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!("trusted_proxies: '{e}' is not an address or CIDR range")
                })
        })
        .collect()
}

/// Parses a duration such as `30s`, `5m` or `3d`.
fn duration(what: &str, text: &str) -> anyhow::Result<Duration> {
    humantime::parse_duration(text)
        .with_context(|| format!("{what} must be a duration such as \"30s\", \"5m\" or \"3d\""))
}

/// The external connections of the TOML file, with the URLs of `NAME=URL` flags laid over them.
fn external_connections(
    file: BTreeMap<String, ExternalConnectionFile>,
    flags: &[String],
) -> anyhow::Result<BTreeMap<String, ExternalSource>> {
    let mut urls: BTreeMap<String, String> = BTreeMap::new();
    for flag in flags.iter().filter(|f| !f.trim().is_empty()) {
        let Some((name, url)) = flag.split_once('=') else {
            bail!("--external-connection takes NAME=URL, got '{flag}'");
        };
        urls.insert(name.trim().to_string(), url.trim().to_string());
    }
    let names: std::collections::BTreeSet<String> =
        file.keys().chain(urls.keys()).cloned().collect();
    let mut sources = BTreeMap::new();
    for name in names {
        if connection_format(&name).is_none() {
            let known: Vec<&str> = KNOWN_CONNECTIONS.iter().map(|(n, _)| *n).collect();
            bail!(
                "unknown external connection '{name}'; the known ones are {}",
                known.join(", ")
            );
        }
        let settings = file.get(&name);
        let Some(url) = urls.get(&name).or(settings.and_then(|s| s.url.as_ref())) else {
            bail!("external connection '{name}' has no url");
        };
        let mut source = ExternalSource::new(url)
            .map_err(|e| anyhow::anyhow!("external connection '{name}': {e}"))?;
        if let Some(s) = settings {
            let what = |field: &str| format!("external_connections.\"{name}\".{field}");
            if let Some(t) = &s.metadata_ttl {
                source.metadata_ttl = Some(duration(&what("metadata_ttl"), t)?);
            }
            if let Some(t) = &s.timeout {
                source.timeout = duration(&what("timeout"), t)?;
                if source.timeout.is_zero() {
                    bail!("{} must be positive", what("timeout"));
                }
            }
            if let Some(t) = &s.min_release_age {
                source.min_release_age = Some(duration(&what("min_release_age"), t)?);
            }
            source.auth = match (&s.username, &s.password, &s.token) {
                (None, None, None) => None,
                (Some(u), Some(p), None) => Some(UpstreamAuth::Basic {
                    username: u.clone(),
                    password: p.clone(),
                }),
                (None, None, Some(t)) => Some(UpstreamAuth::Bearer(t.clone())),
                _ => bail!(
                    "{}: give username and password, or token, not a mix",
                    what("username/password/token")
                ),
            };
        }
        sources.insert(name, source);
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_connections_from_file_env_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("arca.toml");
        std::fs::write(
            &file,
            r#"
[external_connections."public:npmjs"]
url = "http://file.example/npm"
metadata_ttl = "5m"
timeout = "10s"
min_release_age = "3d"
token = "s3cret"

[external_connections."public:pypi"]
url = "http://file.example/pypi/simple/"
"#,
        )
        .unwrap();
        let c = Config::resolve(ServeArgs {
            config: Some(file.clone()),
            external_connections: vec!["public:npmjs=http://flag.example/".into()],
            ..Default::default()
        })
        .unwrap();
        let npm = &c.external_connections["public:npmjs"];
        assert_eq!(npm.url, "http://flag.example/", "the flag's URL wins");
        assert_eq!(npm.metadata_ttl, Some(Duration::from_secs(300)));
        assert_eq!(npm.timeout, Duration::from_secs(10));
        assert_eq!(npm.min_release_age, Some(Duration::from_secs(3 * 86400)));
        assert_eq!(npm.auth, Some(UpstreamAuth::Bearer("s3cret".into())));
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(
            c.external_connections["public:pypi"].url,
            "http://file.example/pypi/simple/"
        );

        let bad = |flags: &[&str]| {
            Config::resolve(ServeArgs {
                external_connections: flags.iter().map(|f| f.to_string()).collect(),
                ..Default::default()
            })
        };
        assert!(bad(&["public:npmjs"]).is_err(), "no URL");
        assert!(bad(&["public:left-pad=http://x/"]).is_err(), "unknown name");
        assert!(bad(&["public:npmjs=ftp://x/"]).is_err(), "not http");
        assert!(
            bad(&[]).unwrap().external_connections.is_empty(),
            "none built in"
        );
    }

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

    #[test]
    fn the_web_ui_is_on_unless_the_flag_or_the_file_turns_it_off() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("arca.toml");
        assert!(Config::for_data_dir(dir.path()).ui);
        let off = Config::resolve(ServeArgs {
            no_ui: true,
            ..Default::default()
        })
        .unwrap();
        assert!(!off.ui);
        for (text, ui) in [("ui = false\n", false), ("ui = true\n", true)] {
            std::fs::write(&file, text).unwrap();
            let c = Config::resolve(ServeArgs {
                config: Some(file.clone()),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(c.ui, ui, "{text}");
        }
    }

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
