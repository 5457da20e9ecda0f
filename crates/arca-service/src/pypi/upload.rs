//! `twine upload`: one distribution file per request, with the digests twine computed and the
//! core metadata fields. Checked before anything is committed: name, version, file name, and the
//! SHA-256/MD5 digests against the staged bytes. The first file of a version creates it
//! (Published); further files (a wheel beside an sdist) are added to it, as AWS allows for PyPI.

use arca_metadata::{PackageFormat, PackageKey, VersionMetadata, VersionStatus};
use serde_json::json;

use super::{check_filename, check_name, check_version, normalize};
use crate::native::{NativeRepo, NativeVersion, OnExisting, StagedAsset};
use crate::{Service, ServiceError, ServiceResult};

/// Longest metadata field kept for DescribePackageVersion.
const MAX_FIELD_CHARS: usize = 4096;

/// The fields of an upload form the service reads; absent fields are `None`.
#[derive(Debug, Clone, Default)]
pub struct PypiUpload {
    pub name: String,
    pub version: String,
    pub filename: String,
    pub md5_digest: Option<String>,
    pub sha256_digest: Option<String>,
    pub summary: Option<String>,
    pub home_page: Option<String>,
    pub license: Option<String>,
    pub author: Option<String>,
    pub requires_python: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PypiUploaded {
    pub name: String,
    pub version: String,
    pub revision: String,
}

impl Service {
    pub async fn pypi_upload(
        &self,
        repo: &NativeRepo,
        up: PypiUpload,
        file: StagedAsset,
    ) -> ServiceResult<PypiUploaded> {
        check_name(&up.name)?;
        check_version(&up.version)?;
        check_filename(&up.filename, &up.name, &up.version)?;
        check_digests(&up, file.info())?;
        let metadata = metadata(&up)?;
        let key = PackageKey {
            format: PackageFormat::Pypi,
            namespace: String::new(),
            name: normalize(&up.name),
        };
        let row = self
            .publish_native(
                &repo.repo,
                NativeVersion {
                    key: key.clone(),
                    version: up.version.clone(),
                    metadata,
                    asset_name: up.filename,
                    status: VersionStatus::Published,
                    on_existing: OnExisting::AddAsset,
                },
                file,
            )
            .await?;
        Ok(PypiUploaded {
            name: key.name,
            version: row.version,
            revision: row.revision,
        })
    }
}

/// `sha256_digest` and `md5_digest` (hex) must match the bytes; at least one must be sent.
/// (`blake2_256_digest` is not checked: the blob store does not compute BLAKE2.)
fn check_digests(up: &PypiUpload, info: &arca_blobstore::BlobInfo) -> ServiceResult<()> {
    let mismatch = |what: &str| {
        ServiceError::validation(format!(
            "The file does not match its {what}: it was corrupted or changed in transit. Nothing was stored."
        ))
    };
    let sha256 = up.sha256_digest.as_deref().map(str::trim);
    let md5 = up.md5_digest.as_deref().map(str::trim);
    if sha256.is_none() && md5.is_none() {
        return Err(ServiceError::validation(
            "The upload has no sha256_digest or md5_digest to check the file against.",
        ));
    }
    if sha256.is_some_and(|d| !d.eq_ignore_ascii_case(&info.sha256.to_hex())) {
        return Err(mismatch("sha256_digest"));
    }
    if md5.is_some_and(|d| !d.eq_ignore_ascii_case(&info.md5)) {
        return Err(mismatch("md5_digest"));
    }
    Ok(())
}

/// DescribePackageVersion's metadata from the form: the name as uploaded, summary, home page and
/// license. Fields over [`MAX_FIELD_CHARS`] are refused rather than cut.
fn metadata(up: &PypiUpload) -> ServiceResult<VersionMetadata> {
    let field = |name: &str, v: &Option<String>| -> ServiceResult<Option<String>> {
        let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty());
        match v {
            Some(s) if s.chars().count() > MAX_FIELD_CHARS => Err(ServiceError::validation(
                format!("The field '{name}' exceeds {MAX_FIELD_CHARS} characters."),
            )),
            other => Ok(other.map(str::to_string)),
        }
    };
    field("author", &up.author)?;
    field("requires_python", &up.requires_python)?;
    let license = field("license", &up.license)?;
    Ok(VersionMetadata {
        display_name: Some(up.name.clone()),
        summary: field("summary", &up.summary)?,
        home_page: field("home_page", &up.home_page)?,
        source_code_repository: None,
        licenses_json: license.map(|l| json!([{ "name": l }]).to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload() -> PypiUpload {
        PypiUpload {
            name: "Kit_Core".into(),
            version: "1.0.0".into(),
            filename: "kit_core-1.0.0.tar.gz".into(),
            ..Default::default()
        }
    }

    #[test]
    fn digests_are_checked_against_the_bytes() {
        let info = arca_blobstore::MultiHasher::digest(b"sdist");
        let other = arca_blobstore::MultiHasher::digest(b"other");
        let mut up = upload();
        assert!(check_digests(&up, &info).is_err());
        up.sha256_digest = Some(info.sha256.to_hex());
        up.md5_digest = Some(info.md5.clone());
        assert!(check_digests(&up, &info).is_ok());
        up.md5_digest = Some(other.md5.clone());
        assert!(check_digests(&up, &info).is_err());
        up.md5_digest = None;
        up.sha256_digest = Some(other.sha256.to_hex());
        assert!(check_digests(&up, &info).is_err());
    }

    #[test]
    fn metadata_from_the_form() {
        let mut up = upload();
        up.summary = Some(" A kit ".into());
        up.license = Some("MIT".into());
        let m = metadata(&up).unwrap();
        assert_eq!(m.display_name.as_deref(), Some("Kit_Core"));
        assert_eq!(m.summary.as_deref(), Some("A kit"));
        assert_eq!(m.licenses_json.as_deref(), Some(r#"[{"name":"MIT"}]"#));
        up.author = Some("x".repeat(MAX_FIELD_CHARS + 1));
        assert!(metadata(&up).is_err());
    }
}
