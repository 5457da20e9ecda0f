//! What a registration (`RegistrationsBaseUrl`) says about a package: each restorable version along
//! the search order,
//! listed or not, with the catalog fields Arca keeps (the `.nuspec`'s description, project URL,
//! license, and its dependency groups as ListPackageVersionDependencies stores them). Paging and
//! URLs are the wire's.

use std::collections::BTreeMap;

use arca_metadata::VersionStatus;

use super::{NuspecDependency, NuspecGroup};
use crate::native::NativeRepo;
use crate::{Service, ServiceResult};

/// A package's registration: the id as first pushed and its versions in NuGet's order.
#[derive(Debug, Clone)]
pub struct NugetRegistration {
    pub id: String,
    pub leaves: Vec<NugetLeaf>,
}

/// One version of a registration.
#[derive(Debug, Clone)]
pub struct NugetLeaf {
    /// Normalized.
    pub version: String,
    /// Published: listed; Unlisted: not.
    pub listed: bool,
    pub published_ms: i64,
    pub description: Option<String>,
    pub project_url: Option<String>,
    pub license_expression: Option<String>,
    /// By target framework (`None`: any), as ListPackageVersionDependencies stores them.
    pub dependency_groups: Vec<NuspecGroup>,
}

impl Service {
    /// The registration of `id`: every Published and Unlisted version (404 when none).
    pub async fn nuget_registration(
        &self,
        repo: &NativeRepo,
        id: &str,
    ) -> ServiceResult<NugetRegistration> {
        let found = self.nuget_merged(repo, id).await?;
        let display = found
            .iter()
            .find_map(|f| f.row.metadata.display_name.clone())
            .unwrap_or(id.to_lowercase());
        let mut leaves = Vec::with_capacity(found.len());
        for v in found.into_iter().map(|f| f.row) {
            let details = self.store.version_details(v.id).await?;
            let mut groups: BTreeMap<Option<String>, Vec<NuspecDependency>> = BTreeMap::new();
            for d in details.dependencies {
                groups
                    .entry(d.dependency_type)
                    .or_default()
                    .push(NuspecDependency {
                        id: d.package,
                        range: d.version_requirement,
                    });
            }
            let license = v.metadata.licenses_json.as_deref().and_then(|l| {
                let l: serde_json::Value = serde_json::from_str(l).ok()?;
                let first = l.get(0)?;
                // A license URL is stored with its `url`; an expression without.
                first
                    .get("url")
                    .is_none()
                    .then(|| first.get("name")?.as_str().map(str::to_string))?
            });
            leaves.push(NugetLeaf {
                listed: v.status == VersionStatus::Published,
                published_ms: v.published_ms,
                description: v.metadata.summary.clone(),
                project_url: v.metadata.home_page.clone(),
                license_expression: license,
                dependency_groups: groups
                    .into_iter()
                    .map(|(target_framework, dependencies)| NuspecGroup {
                        target_framework,
                        dependencies,
                    })
                    .collect(),
                version: v.version,
            });
        }
        Ok(NugetRegistration {
            id: display,
            leaves,
        })
    }
}
