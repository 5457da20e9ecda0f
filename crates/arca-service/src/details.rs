//! Version details: ListPackageVersionDependencies and GetPackageVersionReadme, and what the
//! native publishes store for them (bounded readmes, dependency lists).
//!
//! Both operations answer for every stored status, as DescribePackageVersion does. Generic
//! packages declare no dependencies and have no readme (generic-packages-overview): an empty list,
//! and an answer without `readme`.

use arca_metadata::PackageDependency;
use serde::{Deserialize, Serialize};

use crate::packages::ns_opt;
use crate::{Caller, PackageFormat, Service, ServiceError, ServiceResult, VersionRef};

/// Longest readme kept, in bytes; a longer one is cut at a character boundary (as the npm
/// registry cuts its readmes), since refusing a publish over its readme would be worse.
pub const MAX_README_BYTES: usize = 256 * 1024;
/// Most dependencies one version may declare; more is refused (400).
pub const MAX_DEPENDENCIES: usize = 5_000;
/// Dependencies per ListPackageVersionDependencies page (the operation has no `maxResults`).
pub const DEPENDENCY_PAGE: u32 = 1_000;

#[derive(Debug, Clone)]
pub struct DependencyList {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
    pub version: String,
    pub version_revision: String,
    pub dependencies: Vec<PackageDependency>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VersionReadme {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub package: String,
    pub version: String,
    pub version_revision: String,
    pub readme: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DependencyCursor {
    after: i64,
}

/// `text` cut to at most [`MAX_README_BYTES`] at a character boundary; `None` when blank.
pub(crate) fn bounded_readme(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    let mut end = text.len().min(MAX_README_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_string())
}

pub(crate) fn check_dependency_count(n: usize) -> ServiceResult<()> {
    if n > MAX_DEPENDENCIES {
        return Err(ServiceError::validation(format!(
            "The package declares {n} dependencies; at most {MAX_DEPENDENCIES} are accepted."
        )));
    }
    Ok(())
}

impl Service {
    pub async fn list_package_version_dependencies(
        &self,
        caller: &Caller,
        v: &VersionRef,
        next_token: Option<&str>,
    ) -> ServiceResult<DependencyList> {
        const OP: &str = "ListPackageVersionDependencies";
        let r = self.resolve_version(caller, v).await?;
        let scope = r.version.id.to_string();
        let after = match next_token {
            Some(t) => Some(self.pager.decode::<DependencyCursor>(OP, &scope, t)?.after),
            None => None,
        };
        let mut rows = self
            .store
            .list_dependencies(r.version.id, after, DEPENDENCY_PAGE + 1)
            .await?;
        let more = rows.len() > DEPENDENCY_PAGE as usize;
        rows.truncate(DEPENDENCY_PAGE as usize);
        let next_token = match (more, rows.last()) {
            (true, Some((last, _))) => Some(self.pager.encode(
                OP,
                &scope,
                &DependencyCursor { after: *last },
            )),
            _ => None,
        };
        Ok(DependencyList {
            format: r.key.format,
            namespace: ns_opt(&r.key.namespace),
            package: r.key.name.clone(),
            version: r.version.version.clone(),
            version_revision: r.version.revision.clone(),
            dependencies: rows.into_iter().map(|(_, d)| d).collect(),
            next_token,
        })
    }

    pub async fn get_package_version_readme(
        &self,
        caller: &Caller,
        v: &VersionRef,
    ) -> ServiceResult<VersionReadme> {
        let r = self.resolve_version(caller, v).await?;
        let readme = match r.key.format {
            PackageFormat::Generic => None,
            _ => self.store.version_readme(r.version.id).await?,
        };
        Ok(VersionReadme {
            format: r.key.format,
            namespace: ns_opt(&r.key.namespace),
            package: r.key.name.clone(),
            version: r.version.version.clone(),
            version_revision: r.version.revision.clone(),
            readme,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readmes_are_bounded_at_a_character_boundary() {
        assert_eq!(bounded_readme("  \n"), None);
        assert_eq!(bounded_readme("# Hi").as_deref(), Some("# Hi"));
        let long = "é".repeat(MAX_README_BYTES); // 2 bytes each
        let cut = bounded_readme(&long).unwrap();
        assert_eq!(cut.len(), MAX_README_BYTES);
        let odd = format!("x{long}");
        let cut = bounded_readme(&odd).unwrap();
        assert_eq!(cut.len(), MAX_README_BYTES - 1);
        assert!(check_dependency_count(MAX_DEPENDENCIES).is_ok());
        assert!(check_dependency_count(MAX_DEPENDENCIES + 1).is_err());
    }
}
