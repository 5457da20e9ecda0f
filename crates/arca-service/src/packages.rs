//! ListPackages, DescribePackage, DeletePackage, ListPackageVersions.

use arca_metadata::{
    OriginRule, OriginType, PackageFilter, PackageFormat, PackageKey, PackageRow, RepositoryRow,
    VersionFilter, VersionOrder, VersionStatus,
};
use serde::{Deserialize, Serialize};

use crate::coords::{check_namespace_filter, package_key};
use crate::{
    page_size, split_page, Caller, PackageDescription, PackageRef, Page, RepoRef, ResourceType,
    Service, ServiceError, ServiceResult, VersionList, VersionSummary,
};

#[derive(Debug, Clone, Default)]
pub struct PackageListing {
    pub format: Option<PackageFormat>,
    pub namespace: Option<String>,
    pub package_prefix: Option<String>,
    pub publish: Option<OriginRule>,
    pub upstream: Option<OriginRule>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct VersionListing {
    pub status: Option<VersionStatus>,
    pub origin_type: Option<OriginType>,
    pub sort_by_published_time: bool,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct PackageCursor {
    f: String,
    ns: String,
    n: String,
}

#[derive(Serialize, Deserialize)]
enum VersionCursor {
    V(String),
    T(i64, String),
}

pub(crate) fn describe_package(p: &PackageRow) -> PackageDescription {
    PackageDescription {
        format: p.key.format,
        namespace: ns_opt(&p.key.namespace),
        name: p.key.name.clone(),
        publish: p.origin_publish,
        upstream: p.origin_upstream,
    }
}

pub(crate) fn package_not_found(repository: &str, key: &PackageKey) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Package,
        &key.name,
        format!(
            "Package not found in repository {repository}: format {}, namespace {}, package {}",
            key.format,
            if key.namespace.is_empty() {
                "(none)"
            } else {
                &key.namespace
            },
            key.name
        ),
    )
}

pub(crate) fn ns_opt(ns: &str) -> Option<String> {
    (!ns.is_empty()).then(|| ns.to_string())
}

impl Service {
    /// Resolves domain, repository and package, normalizing the coordinates per format.
    pub(crate) async fn resolve_package(
        &self,
        caller: &Caller,
        p: &PackageRef,
    ) -> ServiceResult<(RepositoryRow, PackageKey, PackageRow)> {
        let key = package_key(p.format, p.namespace.as_deref(), &p.package)?;
        let (_, repo) = self.resolve_repo(caller, &p.repo).await?;
        let row = self
            .store
            .get_package(repo.id, &key)
            .await?
            .ok_or_else(|| package_not_found(&repo.name, &key))?;
        Ok((repo, key, row))
    }

    pub async fn describe_package(
        &self,
        caller: &Caller,
        p: &PackageRef,
    ) -> ServiceResult<PackageDescription> {
        let (_, _, row) = self.resolve_package(caller, p).await?;
        Ok(describe_package(&row))
    }

    /// PutPackageOriginConfiguration: sets the package's controls, creating it (without versions)
    /// if it does not exist, so versions can be blocked before any arrive.
    pub async fn put_package_origin_configuration(
        &self,
        caller: &Caller,
        p: &PackageRef,
        publish: OriginRule,
        upstream: OriginRule,
    ) -> ServiceResult<PackageDescription> {
        let key = package_key(p.format, p.namespace.as_deref(), &p.package)?;
        let (_, repo) = self.resolve_repo(caller, &p.repo).await?;
        match self
            .store
            .put_package_origin(repo.id, &key, (publish, upstream))
            .await
        {
            Ok(row) => Ok(describe_package(&row)),
            Err(arca_metadata::StoreError::NotFound) => Err(crate::repositories::repo_not_found(
                &repo.name,
                &repo.domain_name,
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_package(
        &self,
        caller: &Caller,
        p: &PackageRef,
    ) -> ServiceResult<PackageDescription> {
        let (_, _, row) = self.resolve_package(caller, p).await?;
        self.store.delete_package(row.id).await?;
        Ok(describe_package(&row))
    }

    pub async fn list_packages(
        &self,
        caller: &Caller,
        r: &RepoRef,
        listing: PackageListing,
    ) -> ServiceResult<Page<PackageDescription>> {
        const OP: &str = "ListPackages";
        check_namespace_filter(listing.format, listing.namespace.as_deref())?;
        let (_, repo) = self.resolve_repo(caller, r).await?;
        let scope = repo.id.to_string();
        let limit = page_size(listing.max_results, 100);
        let after = match &listing.next_token {
            Some(t) => {
                let c: PackageCursor = self.pager.decode(OP, &scope, t)?;
                let format = PackageFormat::parse(&c.f)
                    .ok_or_else(|| ServiceError::validation("Invalid pagination token."))?;
                Some(PackageKey {
                    format,
                    namespace: c.ns,
                    name: c.n,
                })
            }
            None => None,
        };
        // Prefix filters follow the format's normalization (e.g. PyPI names are stored normalized).
        let (namespace_prefix, name_prefix) = match listing.format {
            Some(PackageFormat::Pypi) => (
                None,
                listing
                    .package_prefix
                    .map(|p| crate::coords::pep503_normalize(&p)),
            ),
            Some(PackageFormat::Nuget) => (None, listing.package_prefix.map(|p| p.to_lowercase())),
            Some(PackageFormat::Cargo) => {
                (None, listing.package_prefix.map(|p| p.to_ascii_lowercase()))
            }
            Some(PackageFormat::Swift) => (
                listing.namespace.map(|n| n.to_lowercase()),
                listing.package_prefix.map(|p| p.to_lowercase()),
            ),
            _ => (listing.namespace, listing.package_prefix),
        };
        let filter = PackageFilter {
            format: listing.format,
            namespace_prefix,
            name_prefix,
            publish: listing.publish,
            upstream: listing.upstream,
            after,
        };
        let rows = self
            .store
            .list_packages(repo.id, &filter, limit + 1)
            .await?;
        let (rows, more) = split_page(rows, limit);
        let next_token = match (more, rows.last()) {
            (true, Some(last)) => Some(self.pager.encode(
                OP,
                &scope,
                &PackageCursor {
                    f: last.key.format.as_str().to_string(),
                    ns: last.key.namespace.clone(),
                    n: last.key.name.clone(),
                },
            )),
            _ => None,
        };
        Ok(Page {
            items: rows.iter().map(describe_package).collect(),
            next_token,
        })
    }

    pub async fn list_package_versions(
        &self,
        caller: &Caller,
        p: &PackageRef,
        listing: VersionListing,
    ) -> ServiceResult<VersionList> {
        const OP: &str = "ListPackageVersions";
        let (_, key, pkg) = self.resolve_package(caller, p).await?;
        let filter = VersionFilter {
            status: listing.status,
            origin_type: listing.origin_type,
        };
        // The scope binds the token to the package, the filters and the ordering.
        let scope = format!(
            "{}|{:?}|{:?}|{}",
            pkg.id, listing.status, listing.origin_type, listing.sort_by_published_time
        );
        let cursor = match &listing.next_token {
            Some(t) => Some(self.pager.decode::<VersionCursor>(OP, &scope, t)?),
            None => None,
        };
        let order = match (listing.sort_by_published_time, cursor) {
            (false, None) => VersionOrder::Version { after: None },
            (false, Some(VersionCursor::V(v))) => VersionOrder::Version { after: Some(v) },
            (true, None) => VersionOrder::PublishedTimeDesc { after: None },
            (true, Some(VersionCursor::T(ms, v))) => VersionOrder::PublishedTimeDesc {
                after: Some((ms, v)),
            },
            _ => return Err(ServiceError::validation("Invalid pagination token.")),
        };
        let limit = page_size(listing.max_results, 50);
        let rows = self
            .store
            .list_versions(pkg.id, &filter, &order, limit + 1)
            .await?;
        let (rows, more) = split_page(rows, limit);
        let next_token = match (more, rows.last()) {
            (true, Some(last)) => {
                let c = if listing.sort_by_published_time {
                    VersionCursor::T(last.published_ms, last.version.clone())
                } else {
                    VersionCursor::V(last.version.clone())
                };
                Some(self.pager.encode(OP, &scope, &c))
            }
            _ => None,
        };
        let default_display_version = self.default_display_version(&pkg).await?;
        Ok(VersionList {
            format: key.format,
            namespace: ns_opt(&key.namespace),
            package: key.name.clone(),
            default_display_version,
            versions: rows
                .into_iter()
                .map(|v| VersionSummary {
                    version: v.version,
                    revision: v.revision,
                    status: v.status,
                    origin: v.origin,
                    published_ms: v.published_ms,
                })
                .collect(),
            next_token,
        })
    }
}

impl Service {
    /// npm: the version `latest` points to when it is stored and Published; otherwise (and for
    /// every other format) the most recently published version (list-packages-versions.md).
    async fn default_display_version(
        &self,
        pkg: &arca_metadata::PackageRow,
    ) -> ServiceResult<Option<String>> {
        if pkg.key.format == PackageFormat::Npm {
            let tags = self.store.list_dist_tags(pkg.id).await?;
            if let Some((_, v)) = tags.iter().find(|(t, _)| t == "latest") {
                let row = self.store.get_version(pkg.id, v).await?;
                if row.is_some_and(|r| r.status == arca_metadata::VersionStatus::Published) {
                    return Ok(Some(v.clone()));
                }
            }
        }
        Ok(self.store.latest_published_version(pkg.id).await?)
    }
}
