//! Domain values the service takes and returns. These are not wire types: the API crate maps them.

use arca_metadata::{AssetRow, OriginRule, PackageFormat, VersionOrigin, VersionStatus};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

/// A domain as named in a request.
#[derive(Debug, Clone)]
pub struct DomainRef {
    pub name: String,
    /// `None` means the caller's own account.
    pub owner: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RepoRef {
    pub domain: DomainRef,
    pub repository: String,
}

/// A package as named in a request (not yet normalized).
#[derive(Debug, Clone)]
pub struct PackageRef {
    pub repo: RepoRef,
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
}

#[derive(Debug, Clone)]
pub struct VersionRef {
    pub package: PackageRef,
    pub version: String,
}

#[derive(Debug, Clone)]
pub struct DomainDescription {
    pub name: String,
    pub owner: String,
    pub arn: String,
    /// `Active`, or `Deleted` in DeleteDomain's answer.
    pub status: &'static str,
    pub created_ms: i64,
    pub encryption_key: Option<String>,
    pub repository_count: Option<i64>,
    pub asset_size_bytes: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct RepositoryDescription {
    pub name: String,
    pub administrator_account: String,
    pub domain_name: String,
    pub domain_owner: String,
    pub arn: String,
    pub description: Option<String>,
    pub upstreams: Vec<String>,
    /// The attached external connection (at most one) and the format of its packages.
    pub external_connection: Option<(String, PackageFormat)>,
    pub created_ms: i64,
}

#[derive(Debug, Clone)]
pub struct PackageDescription {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub name: String,
    pub publish: OriginRule,
    pub upstream: OriginRule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    pub name: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VersionDescription {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package_name: String,
    pub display_name: String,
    pub version: String,
    pub summary: Option<String>,
    pub home_page: Option<String>,
    pub source_code_repository: Option<String>,
    pub published_ms: i64,
    pub licenses: Vec<License>,
    pub revision: String,
    pub status: VersionStatus,
    pub origin: VersionOrigin,
}

#[derive(Debug, Clone)]
pub struct VersionSummary {
    pub version: String,
    pub revision: String,
    pub status: VersionStatus,
    pub origin: VersionOrigin,
    /// Epoch milliseconds.
    pub published_ms: i64,
}

/// Header of a package's version listing.
#[derive(Debug, Clone)]
pub struct VersionList {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
    pub default_display_version: Option<String>,
    pub versions: Vec<VersionSummary>,
    pub next_token: Option<String>,
}

/// One page of a version's assets.
#[derive(Debug, Clone)]
pub struct AssetList {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
    pub version: String,
    pub version_revision: String,
    pub assets: Vec<AssetRow>,
    pub next_token: Option<String>,
}

/// What PublishPackageVersion answers.
#[derive(Debug, Clone)]
pub struct PublishOutcome {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
    pub version: String,
    pub version_revision: String,
    pub status: VersionStatus,
    pub asset: AssetRow,
}

/// An asset ready to stream to the client.
pub struct AssetDownload {
    pub asset: AssetRow,
    pub version: String,
    pub revision: String,
    pub body: arca_blobstore::BlobRead,
}

impl std::fmt::Debug for AssetDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssetDownload")
            .field("asset", &self.asset)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A file a native protocol streams back: a stored asset, or one being fetched from an external
/// source and kept as it streams (see `upstream::tee`).
pub struct FileDownload {
    /// Total size, when known before the first byte (a source may not announce it).
    pub size: Option<u64>,
    /// The content: exactly `size` bytes when that is known, else ends with an error (never early,
    /// never complete-looking) when the file turns out unusable.
    pub stream: BoxStream<'static, Result<Bytes, std::io::Error>>,
}

impl std::fmt::Debug for FileDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDownload")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl From<AssetDownload> for FileDownload {
    fn from(d: AssetDownload) -> Self {
        Self {
            size: Some(d.body.size),
            stream: d.body.stream.map_err(std::io::Error::other).boxed(),
        }
    }
}

/// Per-version result codes of the batch operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionErrorCode {
    AlreadyExists,
    MismatchedRevision,
    MismatchedStatus,
    NotAllowed,
    NotFound,
    Skipped,
}

impl VersionErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::MismatchedRevision => "MISMATCHED_REVISION",
            Self::MismatchedStatus => "MISMATCHED_STATUS",
            Self::NotAllowed => "NOT_ALLOWED",
            Self::NotFound => "NOT_FOUND",
            Self::Skipped => "SKIPPED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct VersionFailure {
    pub code: VersionErrorCode,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct VersionSuccess {
    pub revision: String,
    pub status: VersionStatus,
}

/// Answer of UpdatePackageVersionsStatus, DisposePackageVersions, DeletePackageVersions and
/// CopyPackageVersions; maps are keyed by version string.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    pub successful: std::collections::BTreeMap<String, VersionSuccess>,
    pub failed: std::collections::BTreeMap<String, VersionFailure>,
}
