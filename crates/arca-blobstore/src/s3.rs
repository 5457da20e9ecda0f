//! The S3 backend: any S3-compatible object store, configured explicitly or from the usual AWS
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, …).

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;

use crate::error::BlobError;
use crate::store::BlobStore;

/// Where and how to reach the bucket. Unset fields fall back to the AWS environment variables.
#[derive(Clone, Default)]
pub struct S3Settings {
    pub bucket: String,
    /// Key prefix inside the bucket (e.g. `arca/prod`), without leading or trailing `/`.
    pub prefix: Option<String>,
    /// Endpoint of an S3-compatible server (e.g. `http://127.0.0.1:9000`); AWS when unset.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Path-style requests (`{endpoint}/{bucket}/{key}`), which most S3-compatible servers need.
    pub path_style: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("path_style", &self.path_style)
            .finish()
    }
}

impl BlobStore {
    /// A blob store in an S3 bucket. Uploads are multipart with [`crate::REMOTE_PART_SIZE`] parts
    /// (a verified body smaller than one part is one PutObject);
    /// an aborted upload is aborted on the server too (configure an
    /// `AbortIncompleteMultipartUpload` lifecycle rule for uploads cut by a crash).
    pub fn s3(settings: &S3Settings) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_virtual_hosted_style_request(!settings.path_style);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(region) = &settings.region {
            builder = builder.with_region(region);
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let s3 = builder.build()?;
        let store: Arc<dyn ObjectStore> =
            match settings.prefix.as_deref().map(|p| p.trim_matches('/')) {
                Some(prefix) if !prefix.is_empty() => Arc::new(PrefixStore::new(s3, prefix)),
                _ => Arc::new(s3),
            };
        Ok(Self::from_object_store(store))
    }
}
