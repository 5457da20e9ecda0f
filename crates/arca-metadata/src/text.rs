//! The one rule every backend applies to the text it stores: no U+0000. PostgreSQL cannot keep it
//! in `TEXT` (it fails the statement), SQLite would; so every store refuses it, before writing
//! anything, with [`StoreError::InvalidText`] naming the field (the service answers 400). Each write
//! method of a backend checks its input with these functions first.

use crate::{
    AssetRow, CopyWrite, NewDomain, NewPackageGroup, NewRepository, PackageDependency, PackageKey,
    PublishWrite, StoreError, StoreResult, VersionDetails, VersionMetadata, VersionOrigin,
};

/// Refuses `value` when it holds U+0000.
pub fn check_text(field: &'static str, value: &str) -> StoreResult<()> {
    if value.contains('\0') {
        return Err(StoreError::InvalidText(field));
    }
    Ok(())
}

fn check_opt(field: &'static str, value: &Option<String>) -> StoreResult<()> {
    value.as_deref().map_or(Ok(()), |v| check_text(field, v))
}

/// Resource tags (keys and values).
pub fn check_tags(tags: &[(String, String)]) -> StoreResult<()> {
    for (k, v) in tags {
        check_text("tag key", k)?;
        check_text("tag value", v)?;
    }
    Ok(())
}

impl NewDomain {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("domain owner", &self.owner)?;
        check_text("domain name", &self.name)?;
        check_text("domain ARN", &self.arn)?;
        check_opt("encryption key", &self.encryption_key)?;
        check_tags(&self.tags)
    }
}

impl NewPackageGroup {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("package group pattern", &self.pattern)?;
        check_text("package group ARN", &self.arn)?;
        check_opt("contact info", &self.contact_info)?;
        check_opt("description", &self.description)?;
        check_tags(&self.tags)
    }
}

impl NewRepository {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("repository name", &self.name)?;
        check_text("administrator account", &self.administrator_account)?;
        check_text("repository ARN", &self.arn)?;
        check_repository_update(self.description.as_deref(), Some(&self.upstreams))?;
        check_tags(&self.tags)
    }
}

/// The fields `update_repository` writes.
pub fn check_repository_update(
    description: Option<&str>,
    upstreams: Option<&[String]>,
) -> StoreResult<()> {
    if let Some(d) = description {
        check_text("repository description", d)?;
    }
    for u in upstreams.unwrap_or_default() {
        check_text("upstream repository name", u)?;
    }
    Ok(())
}

impl PackageKey {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("package namespace", &self.namespace)?;
        check_text("package name", &self.name)
    }
}

impl VersionMetadata {
    pub fn check_text(&self) -> StoreResult<()> {
        check_opt("display name", &self.display_name)?;
        check_opt("summary", &self.summary)?;
        check_opt("home page", &self.home_page)?;
        check_opt("source code repository", &self.source_code_repository)?;
        check_opt("licenses", &self.licenses_json)
    }
}

impl VersionOrigin {
    pub fn check_text(&self) -> StoreResult<()> {
        check_opt("origin repository", &self.repository)?;
        check_opt("external connection", &self.external_connection)
    }
}

impl AssetRow {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("asset name", &self.name)?;
        for (field, hash) in [
            ("MD5", &self.md5),
            ("SHA-1", &self.sha1),
            ("SHA-256", &self.sha256),
            ("SHA-512", &self.sha512),
        ] {
            check_text(field, hash)?;
        }
        check_opt("requires-python", &self.requires_python)
    }
}

impl PackageDependency {
    pub fn check_text(&self) -> StoreResult<()> {
        check_text("dependency namespace", &self.namespace)?;
        check_text("dependency name", &self.package)?;
        check_opt("dependency type", &self.dependency_type)?;
        check_opt("version requirement", &self.version_requirement)
    }
}

impl VersionDetails {
    pub fn check_text(&self) -> StoreResult<()> {
        for d in &self.dependencies {
            d.check_text()?;
        }
        check_opt("readme", &self.readme)?;
        check_opt("deprecation message", &self.deprecated)
    }
}

impl PublishWrite {
    pub fn check_text(&self) -> StoreResult<()> {
        self.package.check_text()?;
        check_text("version", &self.version)?;
        check_text("revision", &self.revision)?;
        self.origin.check_text()?;
        self.metadata.check_text()?;
        if let Some(a) = &self.asset {
            a.check_text()?;
        }
        if let Some(d) = &self.details {
            d.check_text()?;
        }
        for t in &self.dist_tags {
            check_text("dist-tag", t)?;
        }
        if let Some(a) = &self.audit {
            a.check_text()?;
        }
        Ok(())
    }
}

impl CopyWrite {
    pub fn check_text(&self) -> StoreResult<()> {
        self.package.check_text()?;
        for v in &self.versions {
            check_text("version", &v.version)?;
            check_text("revision", &v.revision)?;
            v.origin.check_text()?;
            v.metadata.check_text()?;
            for a in &v.assets {
                a.check_text()?;
            }
            v.details.check_text()?;
        }
        for (tag, version) in &self.dist_tags {
            check_text("dist-tag", tag)?;
            check_text("version", version)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_with_its_field() {
        assert!(check_text("x", "a\u{1}b é").is_ok());
        assert!(matches!(
            check_text("package name", "a\0b"),
            Err(StoreError::InvalidText("package name"))
        ));
        let key = PackageKey {
            format: crate::PackageFormat::Generic,
            namespace: "ns\0".into(),
            name: "n".into(),
        };
        assert!(matches!(
            key.check_text(),
            Err(StoreError::InvalidText("package namespace"))
        ));
    }
}
