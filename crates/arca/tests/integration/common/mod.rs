//! The harness: a real Arca server on `127.0.0.1:0` with a temporary data directory, an official
//! `aws-sdk-codeartifact` client pointed at it (plain HTTP, no TLS stack), and a small raw-HTTP client
//! that signs with `arca-sigv4` for requests the SDK refuses to send.

#![allow(dead_code)]

pub mod postgres;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use arca::{Config, RootCredentials};
use aws_sdk_codeartifact::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_codeartifact::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_codeartifact::operation::get_package_version_asset::GetPackageVersionAssetOutput;
use aws_sdk_codeartifact::operation::publish_package_version::{
    PublishPackageVersionError, PublishPackageVersionOutput,
};
use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::{
    AssetSummary, HashAlgorithm, PackageFormat, PackageVersionStatus,
};
use aws_sdk_codeartifact::Client;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use http_body_util::{BodyExt, Full};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Namespace used by the generic-package helpers.
pub const NS: &str = "ns";

/// A running server. Dropping it stops the server and removes its data directory.
pub struct TestServer {
    pub endpoint: String,
    pub addr: SocketAddr,
    pub credentials: RootCredentials,
    pub client: Client,
    pub data_dir: std::path::PathBuf,
    /// The service behind the server, for maintenance calls (garbage collection, checks).
    pub service: arca_service::Service,
    shutdown: Option<oneshot::Sender<()>>,
    // Declared last so the server is told to stop before the directory goes.
    dir: tempfile::TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server whose default configuration `adjust` may change.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_data_dir(dir.path());
        adjust(&mut config);
        let app = arca::build(&config).await.expect("arca::build");
        let credentials = app.credentials.clone();
        let service = app.service.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            if let Err(e) = arca::run(listener, app, async {
                let _ = rx.await;
            })
            .await
            {
                eprintln!("arca::run failed: {e:#}");
            }
        });
        let endpoint = format!("http://{addr}");
        let client = sdk_client(
            &endpoint,
            &credentials.access_key_id,
            &credentials.secret_access_key,
        );
        TestServer {
            endpoint,
            addr,
            credentials,
            client,
            data_dir: dir.path().to_path_buf(),
            service,
            shutdown: Some(tx),
            dir,
        }
    }

    pub fn account(&self) -> &str {
        &self.credentials.account_id
    }

    /// An SDK client for the same server with other credentials.
    pub fn client_with(&self, access_key_id: &str, secret: &str) -> Client {
        sdk_client(&self.endpoint, access_key_id, secret)
    }

    pub fn domain_arn(&self, domain: &str) -> String {
        format!(
            "arn:aws:codeartifact:us-east-1:{}:domain/{domain}",
            self.account()
        )
    }

    pub fn repo_arn(&self, domain: &str, repo: &str) -> String {
        format!(
            "arn:aws:codeartifact:us-east-1:{}:repository/{domain}/{repo}",
            self.account()
        )
    }

    pub async fn create_domain(&self, domain: &str) {
        self.client
            .create_domain()
            .domain(domain)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create domain {domain}: {}", show(&e)));
    }

    pub async fn create_repo(&self, domain: &str, repo: &str) {
        self.client
            .create_repository()
            .domain(domain)
            .repository(repo)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create repository {domain}/{repo}: {}", show(&e)));
    }

    /// Creates a domain with one repository.
    pub async fn domain_with_repo(&self, domain: &str, repo: &str) {
        self.create_domain(domain).await;
        self.create_repo(domain, repo).await;
    }

    /// PublishPackageVersion of a generic asset in namespace [`NS`], with the correct SHA-256.
    #[allow(clippy::too_many_arguments)]
    pub async fn publish(
        &self,
        domain: &str,
        repo: &str,
        package: &str,
        version: &str,
        asset: &str,
        content: &[u8],
        unfinished: bool,
    ) -> Result<PublishPackageVersionOutput, SdkError<PublishPackageVersionError>> {
        let mut req = self
            .client
            .publish_package_version()
            .domain(domain)
            .repository(repo)
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(package)
            .package_version(version)
            .asset_name(asset)
            .asset_sha256(sha256_hex(content))
            .asset_content(ByteStream::from(content.to_vec()));
        if unfinished {
            req = req.unfinished(true);
        }
        req.send().await
    }

    /// [`Self::publish`], which must succeed.
    #[allow(clippy::too_many_arguments)]
    pub async fn publish_ok(
        &self,
        domain: &str,
        repo: &str,
        package: &str,
        version: &str,
        asset: &str,
        content: &[u8],
        unfinished: bool,
    ) -> PublishPackageVersionOutput {
        self.publish(domain, repo, package, version, asset, content, unfinished)
            .await
            .unwrap_or_else(|e| panic!("publish {repo}/{package}@{version}/{asset}: {}", show(&e)))
    }

    /// GetPackageVersionAsset of a generic asset; returns the output and the downloaded bytes.
    pub async fn get_asset(
        &self,
        domain: &str,
        repo: &str,
        package: &str,
        version: &str,
        asset: &str,
    ) -> (GetPackageVersionAssetOutput, Vec<u8>) {
        let out = self
            .client
            .get_package_version_asset()
            .domain(domain)
            .repository(repo)
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(package)
            .package_version(version)
            .asset(asset)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get asset {asset}: {}", show(&e)));
        let (out, bytes) = collect_asset(out).await;
        (out, bytes)
    }

    /// The status of a generic version, through DescribePackageVersion.
    pub async fn status(
        &self,
        domain: &str,
        repo: &str,
        package: &str,
        version: &str,
    ) -> PackageVersionStatus {
        let out = self
            .client
            .describe_package_version()
            .domain(domain)
            .repository(repo)
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(package)
            .package_version(version)
            .send()
            .await
            .unwrap_or_else(|e| panic!("describe {package}@{version}: {}", show(&e)));
        out.package_version()
            .and_then(|v| v.status())
            .cloned()
            .expect("status")
    }

    /// The revision of a generic version, through DescribePackageVersion.
    pub async fn revision(&self, domain: &str, repo: &str, package: &str, version: &str) -> String {
        let out = self
            .client
            .describe_package_version()
            .domain(domain)
            .repository(repo)
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(package)
            .package_version(version)
            .send()
            .await
            .unwrap_or_else(|e| panic!("describe {package}@{version}: {}", show(&e)));
        out.package_version()
            .and_then(|v| v.revision())
            .expect("revision")
            .to_string()
    }

    /// Every asset of a generic version (all pages of ListPackageVersionAssets).
    pub async fn asset_names(
        &self,
        domain: &str,
        repo: &str,
        package: &str,
        version: &str,
    ) -> Vec<String> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_package_version_assets()
                .domain(domain)
                .repository(repo)
                .format(PackageFormat::Generic)
                .namespace(NS)
                .package(package)
                .package_version(version)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("list assets {package}@{version}: {}", show(&e)));
            names.extend(out.assets().iter().map(|a| a.name().to_string()));
            match out.next_token() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        names
    }

    /// UpdatePackageVersionsStatus of one generic version, which must succeed.
    pub async fn set_status(
        &self,
        domain: &str,
        repo: &str,
        package: &str,
        version: &str,
        target: PackageVersionStatus,
    ) {
        let out = self
            .client
            .update_package_versions_status()
            .domain(domain)
            .repository(repo)
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(package)
            .versions(version)
            .target_status(target.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("update status of {version}: {}", show(&e)));
        let (ok, failed) = batch(out.successful_versions(), out.failed_versions());
        assert!(failed.is_empty(), "update status of {version}: {failed:?}");
        assert_eq!(ok.get(version).map(|v| v.1.as_str()), Some(target.as_str()));
    }

    /// DisposePackageVersions of one generic version, which must succeed.
    pub async fn dispose(&self, domain: &str, repo: &str, package: &str, version: &str) {
        let out = self
            .client
            .dispose_package_versions()
            .domain(domain)
            .repository(repo)
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(package)
            .versions(version)
            .send()
            .await
            .unwrap_or_else(|e| panic!("dispose {version}: {}", show(&e)));
        let (ok, failed) = batch(out.successful_versions(), out.failed_versions());
        assert!(failed.is_empty(), "dispose {version}: {failed:?}");
        assert_eq!(ok.get(version).map(|v| v.1.as_str()), Some("Disposed"));
    }

    /// DeletePackageVersions of one generic version, which must succeed.
    pub async fn delete_version(&self, domain: &str, repo: &str, package: &str, version: &str) {
        let out = self
            .client
            .delete_package_versions()
            .domain(domain)
            .repository(repo)
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package(package)
            .versions(version)
            .send()
            .await
            .unwrap_or_else(|e| panic!("delete {version}: {}", show(&e)));
        let (ok, failed) = batch(out.successful_versions(), out.failed_versions());
        assert!(failed.is_empty(), "delete {version}: {failed:?}");
        assert_eq!(ok.get(version).map(|v| v.1.as_str()), Some("Deleted"));
    }

    // ---- raw HTTP -------------------------------------------------------------------------

    /// A raw request signed with the server's root credentials like the Rust SDK signs JSON
    /// operations: payload hash = SHA-256 of `body`, no `x-amz-content-sha256` header.
    pub async fn raw(&self, method: &str, path_and_query: &str, body: &[u8]) -> RawResponse {
        let req = RawRequest::new(method, path_and_query)
            .body(body.to_vec())
            .signed_by(
                &self.credentials.access_key_id,
                &self.credentials.secret_access_key,
            );
        self.send_raw(req).await
    }

    /// Sends a [`RawRequest`], signing it first if it asks to be signed.
    pub async fn send_raw(&self, req: RawRequest) -> RawResponse {
        let uri: http::Uri = format!("http://{}{}", self.addr, req.path_and_query)
            .parse()
            .expect("request uri");
        let method: Method = req.method.parse().expect("method");
        let mut headers = HeaderMap::new();
        for (k, v) in &req.headers {
            headers.insert(
                HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                HeaderValue::from_str(v).expect("header value"),
            );
        }
        if let Some(s) = &req.sign {
            let payload_hash = s
                .payload_hash
                .clone()
                .unwrap_or_else(|| sha256_hex(s.signed_body.as_deref().unwrap_or(&req.body)));
            let time = time::OffsetDateTime::now_utc() - s.age;
            let auth = arca_sigv4::sign(
                &method,
                &uri,
                &mut headers,
                &s.access_key_id,
                &s.secret,
                "us-east-1",
                "codeartifact",
                &payload_hash,
                time,
            );
            headers.insert(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(&auth).expect("authorization"),
            );
        } else if !headers.contains_key(http::header::HOST) {
            headers.insert(
                http::header::HOST,
                HeaderValue::from_str(&self.addr.to_string()).expect("host"),
            );
        }
        send_http1(self.addr, method, &req.path_and_query, headers, req.body).await
    }
}

/// The request line and headers of a bodiless request signed with `host`'s credentials (payload
/// hash of the empty body), for tests that read or drop the response themselves.
pub fn signed_head(
    method: &str,
    host: &str,
    path_and_query: &str,
    access_key_id: &str,
    secret: &str,
) -> String {
    let uri: http::Uri = format!("http://{host}{path_and_query}").parse().unwrap();
    let method: Method = method.parse().unwrap();
    let mut headers = HeaderMap::new();
    let auth = arca_sigv4::sign(
        &method,
        &uri,
        &mut headers,
        access_key_id,
        secret,
        "us-east-1",
        "codeartifact",
        &sha256_hex(b""),
        time::OffsetDateTime::now_utc(),
    );
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    let mut head = format!("{method} {path_and_query} HTTP/1.1\r\n");
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
    }
    head.push_str("\r\n");
    head
}

/// The request line and headers of a PublishPackageVersion of `content` to `path_and_query` on
/// `host` (`ip:port`), signed like the AWS CLI signs it (payload hash = the asset's SHA-256), for
/// tests that write the body themselves (stalling or cut off).
pub fn signed_publish_head(
    host: &str,
    path_and_query: &str,
    content: &[u8],
    access_key_id: &str,
    secret: &str,
) -> String {
    let uri: http::Uri = format!("http://{host}{path_and_query}").parse().unwrap();
    let sha = sha256_hex(content);
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-content-sha256", HeaderValue::from_str(&sha).unwrap());
    headers.insert("content-length", HeaderValue::from(content.len()));
    let auth = arca_sigv4::sign(
        &Method::POST,
        &uri,
        &mut headers,
        access_key_id,
        secret,
        "us-east-1",
        "codeartifact",
        &sha,
        time::OffsetDateTime::now_utc(),
    );
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    let mut head = format!("POST {path_and_query} HTTP/1.1\r\n");
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
    }
    head.push_str("\r\n");
    head
}

pub fn sdk_client(endpoint: &str, access_key_id: &str, secret: &str) -> Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_codeartifact::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            access_key_id,
            secret,
            None,
            None,
            "arca-tests",
        ))
        .http_client(http)
        // One attempt: a test must see exactly what the server answered.
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// Splits a GetPackageVersionAsset output into its metadata and the collected bytes.
pub async fn collect_asset(
    mut out: GetPackageVersionAssetOutput,
) -> (GetPackageVersionAssetOutput, Vec<u8>) {
    let stream = std::mem::take(&mut out.asset);
    let bytes = stream
        .collect()
        .await
        .expect("asset body")
        .into_bytes()
        .to_vec();
    (out, bytes)
}

// ---- errors -----------------------------------------------------------------------------------

/// What a failed SDK call saw on the wire, with the modeled members the SDK parsed.
#[derive(Debug, Clone)]
pub struct ErrInfo {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// `resourceType` of ConflictException / ResourceNotFoundException / ServiceQuotaExceededException.
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// `reason` of ValidationException.
    pub reason: Option<String>,
}

/// Human-readable description of any SDK error (for panics).
pub fn show<E: ProvideErrorMetadata + std::error::Error + 'static>(e: &SdkError<E>) -> String {
    let status = e.raw_response().map(|r| r.status().as_u16());
    format!(
        "status {status:?}, code {:?}, message {:?} ({})",
        e.code(),
        e.message(),
        aws_sdk_codeartifact::error::DisplayErrorContext(e)
    )
}

/// The error of a call that must fail with a service error.
pub fn err<T, E>(r: Result<T, SdkError<E>>) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    use aws_sdk_codeartifact::Error as E2;
    let e = match r {
        Ok(v) => panic!("expected an error, got success: {v:?}"),
        Err(e) => e,
    };
    let status = e
        .raw_response()
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|| panic!("no HTTP response: {}", show(&e)));
    let code = e.code().unwrap_or_default().to_string();
    let message = e.message().unwrap_or_default().to_string();
    let (resource_type, resource_id, reason) = match E2::from(e) {
        E2::ConflictException(x) => (
            x.resource_type().map(|t| t.as_str().to_string()),
            x.resource_id().map(str::to_string),
            None,
        ),
        E2::ResourceNotFoundException(x) => (
            x.resource_type().map(|t| t.as_str().to_string()),
            x.resource_id().map(str::to_string),
            None,
        ),
        E2::ServiceQuotaExceededException(x) => (
            x.resource_type().map(|t| t.as_str().to_string()),
            x.resource_id().map(str::to_string),
            None,
        ),
        E2::ValidationException(x) => (None, None, x.reason().map(|r| r.as_str().to_string())),
        _ => (None, None, None),
    };
    ErrInfo {
        status,
        code,
        message,
        resource_type,
        resource_id,
        reason,
    }
}

/// Asserts that the call failed with `status` and `code` (and a message); returns the details.
#[track_caller]
pub fn assert_err<T, E>(r: Result<T, SdkError<E>>, status: u16, code: &str) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    let e = err(r);
    assert_eq!(
        (e.status, e.code.as_str()),
        (status, code),
        "unexpected error (message: {})",
        e.message
    );
    assert!(!e.message.is_empty(), "error without a message");
    e
}

/// ResourceNotFoundException (404) naming the given resource type.
#[track_caller]
pub fn assert_not_found<T, E>(r: Result<T, SdkError<E>>, resource_type: &str) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    let e = assert_err(r, 404, "ResourceNotFoundException");
    assert_eq!(
        e.resource_type.as_deref(),
        Some(resource_type),
        "resourceType (message: {})",
        e.message
    );
    e
}

/// ConflictException (409) naming the given resource type.
#[track_caller]
pub fn assert_conflict<T, E>(r: Result<T, SdkError<E>>, resource_type: &str) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    let e = assert_err(r, 409, "ConflictException");
    assert_eq!(
        e.resource_type.as_deref(),
        Some(resource_type),
        "resourceType (message: {})",
        e.message
    );
    e
}

/// ValidationException (400).
#[track_caller]
pub fn assert_validation<T, E>(r: Result<T, SdkError<E>>) -> ErrInfo
where
    T: std::fmt::Debug,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_codeartifact::Error: From<SdkError<E>>,
{
    let e = assert_err(r, 400, "ValidationException");
    assert!(
        e.reason.is_some(),
        "ValidationException without reason: {}",
        e.message
    );
    e
}

/// A batch result (`successfulVersions`, `failedVersions`) as sorted maps of strings:
/// version → (revision, status) and version → (errorCode, errorMessage).
pub type Batch = (
    BTreeMap<String, (String, String)>,
    BTreeMap<String, (String, String)>,
);

pub fn batch(
    ok: Option<
        &std::collections::HashMap<
            String,
            aws_sdk_codeartifact::types::SuccessfulPackageVersionInfo,
        >,
    >,
    failed: Option<
        &std::collections::HashMap<String, aws_sdk_codeartifact::types::PackageVersionError>,
    >,
) -> Batch {
    let ok = ok
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v.revision().unwrap_or_default().to_string(),
                    v.status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                ),
            )
        })
        .collect();
    let failed = failed
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v.error_code()
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_default(),
                    v.error_message().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect();
    (ok, failed)
}

/// Builds a `BTreeMap<String, (String, String)>` from literal triples.
pub fn map3(items: &[(&str, &str, &str)]) -> BTreeMap<String, (String, String)> {
    items
        .iter()
        .map(|(a, b, c)| (a.to_string(), (b.to_string(), c.to_string())))
        .collect()
}

/// Asserts an SDK timestamp lies within five minutes of now.
#[track_caller]
pub fn assert_recent(t: Option<&aws_sdk_codeartifact::primitives::DateTime>) {
    let t = t.expect("timestamp present");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!(
        (t.secs() - now).abs() < 300,
        "timestamp {t:?} is not within 5 minutes of now ({now})"
    );
}

// ---- hashing ----------------------------------------------------------------------------------

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// The four hashes the server must report, keyed like the wire (`MD5`, `SHA-1`, …).
pub fn hashes(b: &[u8]) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("MD5".to_string(), hex::encode(Md5::digest(b))),
        ("SHA-1".to_string(), hex::encode(Sha1::digest(b))),
        ("SHA-256".to_string(), hex::encode(Sha256::digest(b))),
        ("SHA-512".to_string(), hex::encode(Sha512::digest(b))),
    ])
}

/// An asset's hashes as reported by the SDK, keyed like [`hashes`].
pub fn asset_hashes(a: &AssetSummary) -> BTreeMap<String, String> {
    a.hashes()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

pub fn hash_of(a: &AssetSummary, alg: HashAlgorithm) -> Option<String> {
    a.hashes().and_then(|h| h.get(&alg)).cloned()
}

/// A revision as Arca issues it: standard base64 of 32 bytes (44 characters with `=`).
#[track_caller]
pub fn assert_revision_shape(rev: &str) {
    use base64::Engine;
    assert_eq!(rev.len(), 44, "revision {rev:?} is not 44 characters");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rev)
        .unwrap_or_else(|e| panic!("revision {rev:?} is not base64: {e}"));
    assert_eq!(
        raw.len(),
        32,
        "revision {rev:?} does not decode to 32 bytes"
    );
}

/// Deterministic pseudo-random bytes.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

// ---- raw HTTP ---------------------------------------------------------------------------------

/// How a raw request is signed.
#[derive(Debug, Clone)]
pub struct Signing {
    pub access_key_id: String,
    pub secret: String,
    /// Payload hash used in the canonical request (default: SHA-256 of the signed body).
    pub payload_hash: Option<String>,
    /// The body the signature covers when it differs from the one sent (tampering).
    pub signed_body: Option<Vec<u8>>,
    /// How old the `x-amz-date` is.
    pub age: Duration,
}

#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub sign: Option<Signing>,
}

impl RawRequest {
    pub fn new(method: &str, path_and_query: &str) -> Self {
        Self {
            method: method.to_string(),
            path_and_query: path_and_query.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            sign: None,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    pub fn signed_by(mut self, access_key_id: &str, secret: &str) -> Self {
        self.sign = Some(Signing {
            access_key_id: access_key_id.to_string(),
            secret: secret.to_string(),
            payload_hash: None,
            signed_body: None,
            age: Duration::ZERO,
        });
        self
    }

    fn signing(&mut self) -> &mut Signing {
        self.sign.as_mut().expect("call signed_by first")
    }

    pub fn payload_hash(mut self, h: &str) -> Self {
        self.signing().payload_hash = Some(h.to_string());
        self
    }

    pub fn signed_body(mut self, b: Vec<u8>) -> Self {
        self.signing().signed_body = Some(b);
        self
    }

    pub fn aged(mut self, age: Duration) -> Self {
        self.signing().age = age;
        self
    }
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts an error response: status, `x-amzn-ErrorType`, JSON `__type`, a non-empty
    /// `message`, and a request id. Returns the JSON body.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> serde_json::Value {
        assert_eq!(
            self.status,
            status,
            "status; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("x-amzn-ErrorType"),
            Some(code),
            "x-amzn-ErrorType; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert!(
            self.header("x-amzn-RequestId")
                .is_some_and(|v| !v.is_empty()),
            "x-amzn-RequestId missing"
        );
        let j = self.json();
        assert_eq!(j["__type"], code, "__type in {j}");
        assert!(
            j["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing in {j}"
        );
        j
    }
}

/// One HTTP/1.1 request over a fresh connection (hyper's low-level client; no pooling, no
/// header rewriting besides `content-length`).
pub async fn send_http1(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: HeaderMap,
    body: Vec<u8>,
) -> RawResponse {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    *req.headers_mut() = headers;
    let resp = sender.send_request(req).await.expect("send request");
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("response body").to_bytes();
    RawResponse {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn q(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
pub mod npm;

/// Regular files below `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}
