//! Fetching from external sources: the one place Arca is an HTTP client (reqwest with rustls).
//! Nothing HTTP-shaped leaves this module: callers get documents, byte streams and [`FetchError`].
//!
//! Every request has the source's timeout; documents are capped in size; redirects are followed at
//! most [`MAX_REDIRECTS`] times; file URLs are taken as the source's index gives them (another host
//! is fine: PyPI indexes link to a file host) but only `http`/`https`. Transient failures (connection
//! errors, 5xx, 429) are retried a bounded number of times.

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};

use super::connections::{ExternalSource, UpstreamAuth};

/// Redirects followed per request.
pub const MAX_REDIRECTS: usize = 5;
/// Largest index document read from a source (npm packuments of popular packages reach tens of MiB).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;
/// Attempts per request when the source fails transiently.
const ATTEMPTS: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The source answered 404 or 410: it does not have it.
    #[error("not found at the source")]
    NotFound,
    /// Timeouts, refused connections, 5xx, malformed answers: the source is unusable right now.
    #[error("{0}")]
    Unavailable(String),
}

/// Validators of a cached document, sent back to revalidate it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a document request got.
#[derive(Debug)]
pub enum Fetched {
    /// A new body, with the validators to revalidate it later.
    Document { body: Bytes, validators: Validators },
    /// 304: the cached copy is still current.
    NotModified,
}

/// The HTTP client of every external source.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Default for Fetcher {
    fn default() -> Self {
        Self::new()
    }
}

fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

impl Fetcher {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .user_agent(concat!("arca/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("the HTTP client's settings are valid");
        Self { client }
    }

    fn request(
        &self,
        source: &ExternalSource,
        url: &str,
        accept: &str,
    ) -> Result<reqwest::RequestBuilder, FetchError> {
        if !is_http(url) {
            return Err(FetchError::Unavailable(format!(
                "refusing to fetch {url:?}: only http and https URLs are followed"
            )));
        }
        let mut req = self
            .client
            .get(url)
            .timeout(source.timeout)
            .header(reqwest::header::ACCEPT, accept);
        // Credentials go only to the configured source's own host, never to a file host it links to.
        if url.starts_with(&source.url) {
            req = match &source.auth {
                Some(UpstreamAuth::Basic { username, password }) => {
                    req.basic_auth(username, Some(password))
                }
                Some(UpstreamAuth::Bearer(token)) => req.bearer_auth(token),
                None => req,
            };
        }
        Ok(req)
    }

    /// Sends with bounded retries of transient failures; 404/410 → `NotFound`.
    async fn send(
        &self,
        make: impl Fn() -> Result<reqwest::RequestBuilder, FetchError>,
    ) -> Result<reqwest::Response, FetchError> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            match make()?.send().await {
                Ok(r) if r.status().is_success() || r.status().as_u16() == 304 => return Ok(r),
                Ok(r) if matches!(r.status().as_u16(), 404 | 410) => {
                    return Err(FetchError::NotFound)
                }
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    last = format!("the source answered {}", r.status());
                }
                Ok(r) => {
                    return Err(FetchError::Unavailable(format!(
                        "the source answered {}",
                        r.status()
                    )))
                }
                Err(e) if e.is_timeout() => last = "the source timed out".into(),
                Err(e) => last = format!("the source is unreachable: {e}"),
            }
        }
        Err(FetchError::Unavailable(last))
    }

    /// A document (an index), revalidated with `validators` when given; at most
    /// [`MAX_DOCUMENT_BYTES`].
    pub async fn document(
        &self,
        source: &ExternalSource,
        url: &str,
        accept: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        self.document_capped(source, url, accept, validators, MAX_DOCUMENT_BYTES)
            .await
    }

    /// A small document fetched whole and not cached (a checksum file, a wheel's core metadata):
    /// at most `max` bytes.
    pub async fn small(
        &self,
        source: &ExternalSource,
        url: &str,
        max: usize,
    ) -> Result<Bytes, FetchError> {
        match self.document_capped(source, url, "*/*", None, max).await? {
            Fetched::Document { body, .. } => Ok(body),
            Fetched::NotModified => Err(FetchError::Unavailable(
                "the source answered 304 to an unconditional request".into(),
            )),
        }
    }

    async fn document_capped(
        &self,
        source: &ExternalSource,
        url: &str,
        accept: &str,
        validators: Option<&Validators>,
        max: usize,
    ) -> Result<Fetched, FetchError> {
        let response = self
            .send(|| {
                let mut req = self.request(source, url, accept)?;
                if let Some(v) = validators {
                    if let Some(etag) = &v.etag {
                        req = req.header(reqwest::header::IF_NONE_MATCH, etag);
                    }
                    if let Some(lm) = &v.last_modified {
                        req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
                    }
                }
                Ok(req)
            })
            .await?;
        if response.status().as_u16() == 304 {
            return Ok(Fetched::NotModified);
        }
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(FetchError::Unavailable(format!(
                "the source's document is over {max} bytes"
            )));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FetchError::Unavailable(format!("reading: {e}")))?;
            if body.len() + chunk.len() > max {
                return Err(FetchError::Unavailable(format!(
                    "the source's document is over {max} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Document {
            body: body.into(),
            validators,
        })
    }

    /// A file, as a stream (the caller caps and hashes it while storing it), with its length if
    /// the source announced it.
    pub async fn file(
        &self,
        source: &ExternalSource,
        url: &str,
    ) -> Result<
        (
            Option<u64>,
            impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
        ),
        FetchError,
    > {
        let response = self.send(|| self.request(source, url, "*/*")).await?;
        let len = response.content_length();
        Ok((len, response.bytes_stream().map_err(std::io::Error::other)))
    }
}
