//! SigV4-signed requests to an Arca (or AWS) API endpoint, for the client subcommands
//! (`arca cache purge`, `arca login`): signed with `arca-sigv4`'s signer, sent with reqwest, the
//! answer read as JSON and an error answer turned into `HTTP 404: ResourceNotFoundException: …`.

use anyhow::{bail, Context};
use arca_sigv4::EMPTY_PAYLOAD_SHA256;
use http::{header, HeaderValue, Method};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters sent as they are in a query value; everything else is percent-encoded (SigV4's set).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `k=v&…` of the pairs that have a value, each value percent-encoded.
pub fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let set: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE))))
        .collect();
    set.join("&")
}

/// Access keys to sign with (a session token, when present, is sent and signed).
#[derive(Clone)]
pub struct SigningKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// An HTTP client with the timeout every client subcommand uses.
pub fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("building the HTTP client")
}

/// Sends `method url` with an empty body, signed for `codeartifact`; returns the JSON answer of a
/// 2xx, else fails with the status, the error type and the message.
pub async fn call(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    key: &SigningKey,
) -> anyhow::Result<serde_json::Value> {
    let uri: http::Uri = url.parse().with_context(|| format!("invalid URL {url}"))?;
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static(EMPTY_PAYLOAD_SHA256),
    );
    if let Some(token) = &key.session_token {
        headers.insert(
            "x-amz-security-token",
            HeaderValue::from_str(token).context("the session token is not a header value")?,
        );
    }
    let authorization = arca_sigv4::sign(
        &method,
        &uri,
        &mut headers,
        &key.access_key_id,
        &key.secret_access_key,
        &key.region,
        "codeartifact",
        EMPTY_PAYLOAD_SHA256,
        time::OffsetDateTime::now_utc(),
    );
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&authorization).context("signing")?,
    );
    let resp = client
        .request(method, url)
        .headers(headers)
        .send()
        .await
        .with_context(|| format!("sending the request to {url}"))?;
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
    Ok(body)
}
