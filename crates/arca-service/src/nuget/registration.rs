//! What a registration (`RegistrationsBaseUrl`) says about a package: each restorable version along
//! the search order, listed or not, with the catalog fields Arca keeps (the `.nuspec`'s
//! description, project URL, license, and its dependency groups as ListPackageVersionDependencies
//! stores them, and the package's SHA-512); a version only an external source has with the
//! source's own catalog entry. Paging and URLs are the wire's.

use std::collections::BTreeMap;

use arca_metadata::VersionStatus;
use serde_json::{Map, Value};

use super::read::{Merged, Sourced};
use super::version::compare_versions;
use super::{NuspecDependency, NuspecGroup};
use crate::native::NativeRepo;
use crate::{Service, ServiceResult};

/// A package's registration: the id as first pushed and its versions in NuGet's order.
#[derive(Debug, Clone)]
pub struct NugetRegistration {
    pub id: String,
    pub leaves: Vec<NugetLeaf>,
    /// Set when part of it comes from a stale copy of a source's documents: why, for a `Warning`.
    pub stale: Option<String>,
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
    /// The `.nupkg`'s SHA-512 (hex), when Arca has the package.
    pub sha512: Option<String>,
    /// A version only an external source has: the source's catalog entry (passed through; the
    /// wire points its URLs at Arca), when its registration has one.
    pub source_entry: Option<Map<String, Value>>,
}

impl Service {
    /// The registration of `id`: every Published and Unlisted version (404 when none).
    pub async fn nuget_registration(
        &self,
        repo: &NativeRepo,
        id: &str,
    ) -> ServiceResult<NugetRegistration> {
        let Merged {
            found,
            sourced,
            mut stale,
        } = self.nuget_merged(repo, id).await?;
        let mut display = found
            .iter()
            .find_map(|f| f.row.metadata.display_name.clone());
        let mut leaves = Vec::with_capacity(found.len() + sourced.len());
        for v in found.into_iter().map(|f| f.row) {
            let details = self.store.version_details(v.id).await?;
            let sha512 = self
                .store
                .version_assets(v.id)
                .await?
                .into_iter()
                .find(|a| a.name.ends_with(".nupkg"))
                .map(|a| a.sha512);
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
                sha512,
                source_entry: None,
            });
        }
        let key = super::key(id);
        // Each source's registration once, for its versions.
        let mut by_connection: Vec<(String, Vec<Sourced>)> = Vec::new();
        for s in sourced {
            match by_connection.iter_mut().find(|(c, _)| *c == s.connection) {
                Some((_, list)) => list.push(s),
                None => by_connection.push((s.connection.clone(), vec![s])),
            }
        }
        for (connection, versions) in by_connection {
            let source = versions[0].source.clone();
            let entries = match self.nuget_source_leaves(&connection, &source, &key).await {
                Ok(Some(l)) => {
                    stale = stale.or(l.stale);
                    l.leaves
                }
                Ok(None) => Vec::new(),
                Err(why) => {
                    stale = stale.or(Some(why));
                    Vec::new()
                }
            };
            for s in versions {
                let entry = entries
                    .iter()
                    .find(|l| l.version == s.version)
                    .and_then(|l| l.entry.clone());
                leaves.push(source_leaf(s.version, entry, &mut display));
            }
        }
        leaves.sort_by(|a, b| compare_versions(&a.version, &b.version));
        let display = display.unwrap_or(id.to_lowercase());
        Ok(NugetRegistration {
            id: display,
            leaves,
            stale,
        })
    }
}

/// The leaf of a version only a source has, from its catalog entry (`None`: its registration does
/// not list it; the leaf then has the version alone). The entry's id is the display id when no
/// stored version gives one.
fn source_leaf(
    version: String,
    entry: Option<Map<String, Value>>,
    display: &mut Option<String>,
) -> NugetLeaf {
    let text = |k: &str| {
        entry
            .as_ref()
            .and_then(|e| e.get(k)?.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if display.is_none() {
        *display = text("id");
    }
    let published_ms = text("published")
        .and_then(|p| {
            time::OffsetDateTime::parse(&p, &time::format_description::well_known::Rfc3339).ok()
        })
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .unwrap_or(0);
    NugetLeaf {
        listed: entry
            .as_ref()
            .and_then(|e| e.get("listed")?.as_bool())
            .unwrap_or(true),
        published_ms,
        description: text("description"),
        project_url: text("projectUrl"),
        license_expression: text("licenseExpression"),
        dependency_groups: Vec::new(),
        version,
        sha512: None,
        source_entry: entry,
    }
}
