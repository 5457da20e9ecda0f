//! `arca cache purge`: asks running servers to drop cached upstream indexes. The cache lives in
//! each server process's memory, so this is a request to each server (`POST /_arca/cache/purge`,
//! signed with the root credentials), not a change to the data directory.

use anyhow::{bail, Context};
use arca_api_codeartifact::operator::PURGE_CACHE_PATH;
use arca_sigv4::EMPTY_PAYLOAD_SHA256;
use http::{header, HeaderValue, Method};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

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

/// Characters sent as they are in the query; everything else is percent-encoded (SigV4's set).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

impl PurgeArgs {
    fn query(&self) -> String {
        let pairs = [
            ("domain", &self.domain),
            ("domain-owner", &self.domain_owner),
            ("repository", &self.repository),
            ("format", &self.format),
            ("namespace", &self.namespace),
            ("package", &self.package),
        ];
        let set: Vec<String> = pairs
            .into_iter()
            .filter_map(|(k, v)| {
                v.as_ref()
                    .map(|v| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            })
            .collect();
        set.join("&")
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
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
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
    let uri: http::Uri = url.parse().with_context(|| format!("invalid URL {url}"))?;
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static(EMPTY_PAYLOAD_SHA256),
    );
    let authorization = arca_sigv4::sign(
        &Method::POST,
        &uri,
        &mut headers,
        &credentials.access_key_id,
        &credentials.secret_access_key,
        region,
        "codeartifact",
        EMPTY_PAYLOAD_SHA256,
        time::OffsetDateTime::now_utc(),
    );
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&authorization).context("signing")?,
    );
    let resp = client
        .post(url)
        .headers(headers)
        .send()
        .await
        .context("sending the request")?;
    let status = resp.status();
    let code = resp
        .headers()
        .get("x-amzn-ErrorType")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("error")
        .to_string();
    let bytes = resp
        .bytes()
        .await
        .with_context(|| format!("reading the answer (HTTP {status})"))?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "HTTP {status}, not an Arca answer: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        )
    })?;
    if !status.is_success() {
        let message = body["message"].as_str().unwrap_or_default();
        bail!("HTTP {}: {code}: {message}", status.as_u16());
    }
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
