//! The harness: a real Arca server on `127.0.0.1:0` with a temporary data directory, an official
//! `aws-sdk-codeartifact` client pointed at it (plain HTTP, no TLS stack), and a small raw-HTTP client
//! that signs with `arca-sigv4` for requests the SDK refuses to send.

#![allow(dead_code)]

pub mod errors;
pub mod postgres;
pub mod raw;

pub use errors::*;
pub use raw::*;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use arca::{Config, RootCredentials};
use aws_sdk_codeartifact::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_codeartifact::error::SdkError;
use aws_sdk_codeartifact::operation::get_package_version_asset::GetPackageVersionAssetOutput;
use aws_sdk_codeartifact::operation::publish_package_version::{
    PublishPackageVersionError, PublishPackageVersionOutput,
};
use aws_sdk_codeartifact::primitives::ByteStream;
use aws_sdk_codeartifact::types::{
    AssetSummary, HashAlgorithm, PackageFormat, PackageGroupAllowedRepository,
    PackageGroupOriginRestrictionMode, PackageGroupOriginRestrictionType, PackageVersionStatus,
};
use aws_sdk_codeartifact::Client;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use tokio::net::TcpListener;
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
        publish_as(
            &self.client,
            [domain, repo, package, version, asset],
            content,
            unfinished,
        )
        .await
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

/// PublishPackageVersion by `client` of a generic asset in namespace [`NS`] (`[domain,
/// repository, package, version, asset]`), with the correct SHA-256.
pub async fn publish_as(
    client: &Client,
    [domain, repo, package, version, asset]: [&str; 5],
    content: &[u8],
    unfinished: bool,
) -> Result<PublishPackageVersionOutput, SdkError<PublishPackageVersionError>> {
    let mut req = client
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

// ---- hashing ----------------------------------------------------------------------------------

/// A zip of stored entries with their sizes in the local headers (as the streaming readers want),
/// then a central directory record; CRCs are not written (nothing checks them).
pub fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in entries {
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0]); // version needed, flags, stored
        out.extend_from_slice(&[0; 8]); // time, date, crc
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
    }
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out
}

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

/// Creates package group `pattern` in domain `acme` if it is not there, and sets its restriction `t`
/// to `mode`, adding `allowed` to that restriction's allowed repositories.
pub async fn package_group(
    s: &TestServer,
    pattern: &str,
    t: PackageGroupOriginRestrictionType,
    mode: PackageGroupOriginRestrictionMode,
    allowed: &[&str],
) {
    let _ = s
        .client
        .create_package_group()
        .domain("acme")
        .package_group(pattern)
        .send()
        .await;
    let mut req = s
        .client
        .update_package_group_origin_configuration()
        .domain("acme")
        .package_group(pattern)
        .restrictions(t.clone(), mode);
    for repo in allowed {
        req = req.add_allowed_repositories(
            PackageGroupAllowedRepository::builder()
                .repository_name(*repo)
                .origin_restriction_type(t.clone())
                .build(),
        );
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("{pattern}: {}", show(&e)));
}

/// PutPackageOriginConfiguration of `package` (no namespace) in acme/`repo`.
pub async fn origin_configuration(
    s: &TestServer,
    repo: &str,
    format: aws_sdk_codeartifact::types::PackageFormat,
    package: &str,
    publish: aws_sdk_codeartifact::types::AllowPublish,
    upstream: aws_sdk_codeartifact::types::AllowUpstream,
) {
    use aws_sdk_codeartifact::types::PackageOriginRestrictions;
    let restrictions = PackageOriginRestrictions::builder()
        .publish(publish)
        .upstream(upstream)
        .build()
        .unwrap();
    s.client
        .put_package_origin_configuration()
        .domain("acme")
        .repository(repo)
        .format(format)
        .package(package)
        .restrictions(restrictions)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{repo} {package}: {}", show(&e)));
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
