//! `twine upload`: one distribution file per request, with the digests twine computed and the
//! core metadata fields. Checked before anything is committed: name, version, file name, and the
//! SHA-256/MD5 digests against the staged bytes. The first file of a version creates it
//! (Published); further files (a wheel beside an sdist) are added to it, as AWS allows for PyPI.

use arca_metadata::{
    PackageDependency, PackageFormat, PackageKey, VersionDetails, VersionMetadata, VersionStatus,
};
use serde_json::json;

use super::{check_filename, check_name, check_version, normalize};
use crate::details::{bounded_readme, check_dependency_count};
use crate::native::{NativeRepo, NativeVersion, OnExisting, StagedAsset};
use crate::{Service, ServiceError, ServiceResult};

/// Longest `author` and `requires_python` accepted (display metadata is cut by the common rule,
/// `crate::fields`).
const MAX_FIELD_CHARS: usize = crate::MAX_FIELD_CHARS;

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
    /// Every `requires_dist` field (PEP 508 requirements), in order.
    pub requires_dist: Vec<String>,
    /// The long description (GetPackageVersionReadme).
    pub description: Option<String>,
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
        let (metadata, details, requires_python) = version_parts(&up)?;
        let key = PackageKey {
            format: PackageFormat::Pypi,
            namespace: String::new(),
            name: normalize(&up.name),
        };
        let row = self
            .publish_as(
                repo,
                NativeVersion {
                    key: key.clone(),
                    version: up.version.clone(),
                    metadata,
                    asset_name: up.filename,
                    requires_python,
                    status: VersionStatus::Published,
                    on_existing: OnExisting::AddAsset,
                    details,
                    dist_tags: Vec::new(),
                    origin: None,
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

/// What a version keeps from an upload's fields: metadata, dependencies and readme, and the
/// file's `Requires-Python`.
pub(super) fn version_parts(
    up: &PypiUpload,
) -> ServiceResult<(VersionMetadata, VersionDetails, Option<String>)> {
    let metadata = metadata(up)?;
    let dependencies = up
        .requires_dist
        .iter()
        .map(|r| requirement(r))
        .collect::<ServiceResult<Vec<_>>>()?;
    check_dependency_count(dependencies.len())?;
    let details = VersionDetails {
        dependencies,
        readme: up.description.as_deref().and_then(bounded_readme),
        deprecated: None,
    };
    let requires_python = up
        .requires_python
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok((metadata, details, requires_python))
}

/// A `Requires-Dist` value (PEP 508: `name [extras] (spec) ; marker`) as a dependency: the PEP
/// 503 name, type `Requires-Dist`, and the rest (without extras; the marker kept after `; `) as
/// the version requirement.
fn requirement(text: &str) -> ServiceResult<PackageDependency> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    if name.is_empty() || name.len() > 255 {
        return Err(ServiceError::validation(format!(
            "Invalid requires_dist '{text}': it must start with a project name."
        )));
    }
    let mut rest = rest.trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        rest = extras
            .split_once(']')
            .map(|(_, r)| r)
            .unwrap_or("")
            .trim_start();
    }
    let (spec, marker) = match rest.split_once(';') {
        Some((s, m)) => (s.trim(), Some(m.trim()).filter(|m| !m.is_empty())),
        None => (rest.trim(), None),
    };
    let spec = spec
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(spec)
        .trim();
    let requirement = match (spec.is_empty(), marker) {
        (true, None) => None,
        (true, Some(m)) => Some(format!("; {m}")),
        (false, None) => Some(spec.to_string()),
        (false, Some(m)) => Some(format!("{spec}; {m}")),
    };
    Ok(PackageDependency {
        namespace: String::new(),
        package: normalize(name),
        dependency_type: Some("Requires-Dist".into()),
        version_requirement: requirement,
    })
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
/// license (bounded by the common rule of every publish, `crate::fields`). `author` and
/// `requires_python` over [`MAX_FIELD_CHARS`] are refused rather than cut.
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
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let license = text(&up.license);
    Ok(VersionMetadata {
        display_name: Some(up.name.clone()),
        summary: text(&up.summary),
        home_page: text(&up.home_page),
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
    fn requirements_become_dependencies() {
        let r = |t: &str| {
            let d = requirement(t).unwrap();
            (d.package, d.version_requirement)
        };
        assert_eq!(r("Kit_Core"), ("kit-core".into(), None));
        assert_eq!(
            r("kit.core (>=1.0,<2)"),
            ("kit-core".into(), Some(">=1.0,<2".into()))
        );
        assert_eq!(
            r("requests[security,socks] >=2.0 ; python_version < \"3.8\""),
            (
                "requests".into(),
                Some(">=2.0; python_version < \"3.8\"".into())
            )
        );
        assert_eq!(
            r("tomli; python_version<'3.11'"),
            ("tomli".into(), Some("; python_version<'3.11'".into()))
        );
        assert_eq!(
            requirement("x").unwrap().dependency_type.as_deref(),
            Some("Requires-Dist")
        );
        assert!(requirement(">=1.0").is_err());
        assert!(requirement("").is_err());
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
