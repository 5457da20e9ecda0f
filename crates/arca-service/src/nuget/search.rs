//! Search and autocomplete: the packages of a repository whose id contains the query (ignoring
//! case), by id, each with its listed (Published) versions that the client asked for (prereleases
//! only with `prerelease`, SemVer 2.0 versions only with `semVerLevel=2.0.0`). A package with no
//! such version is not found.

use arca_metadata::{PackageFilter, PackageFormat};

use super::version::{compare_versions, is_semver2};
use crate::native::NativeRepo;
use crate::{Service, ServiceResult};

/// Packages listed per store call.
const PAGE: u32 = 1000;

/// What a search asks for.
#[derive(Debug, Clone, Default)]
pub struct NugetQuery {
    pub q: String,
    pub prerelease: bool,
    pub semver2: bool,
}

/// One package found, with its matching versions in NuGet's order (the last is the latest).
#[derive(Debug, Clone)]
pub struct NugetSearchHit {
    pub id: String,
    pub versions: Vec<String>,
    pub description: Option<String>,
    pub project_url: Option<String>,
}

impl Service {
    /// Every package matching `query`, by lowercased id.
    pub async fn nuget_search(
        &self,
        repo: &NativeRepo,
        query: &NugetQuery,
    ) -> ServiceResult<Vec<NugetSearchHit>> {
        let q = query.q.trim().to_lowercase();
        let mut hits = Vec::new();
        let mut filter = PackageFilter {
            format: Some(PackageFormat::Nuget),
            ..PackageFilter::default()
        };
        loop {
            let page = self
                .store
                .list_packages(repo.repo.id, &filter, PAGE)
                .await?;
            for p in page.iter().filter(|p| p.key.name.contains(&q)) {
                let mut versions: Vec<_> = self
                    .published_versions(p.id)
                    .await?
                    .into_iter()
                    .filter(|v| query.prerelease || !v.version.contains('-'))
                    .filter(|v| query.semver2 || !is_semver2(&v.version))
                    .collect();
                versions.sort_by(|a, b| compare_versions(&a.version, &b.version));
                let Some(latest) = versions.last() else {
                    continue;
                };
                hits.push(NugetSearchHit {
                    id: latest
                        .metadata
                        .display_name
                        .clone()
                        .unwrap_or(p.key.name.clone()),
                    description: latest.metadata.summary.clone(),
                    project_url: latest.metadata.home_page.clone(),
                    versions: versions.into_iter().map(|v| v.version).collect(),
                });
            }
            if page.len() < PAGE as usize {
                return Ok(hits);
            }
            filter.after = page.last().map(|p| p.key.clone());
        }
    }
}
