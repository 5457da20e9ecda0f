//! `arca cache purge`: drops entries of this process's index cache of external sources, so the
//! next read fetches them again (fresh copies and "not found" answers alike).
//!
//! Entries are kept per (external connection, package), not per repository: every repository with
//! the same connection shares them. So a purge selects connections (all the configured ones, or
//! those a read of one repository consults: its own and its upstreams', in search order) and,
//! optionally, one package of their format.

use arca_metadata::PackageFormat;

use super::cache_key;
use super::connections::connection_format;
use crate::{coords, Caller, RepoRef, Service, ServiceError, ServiceResult};

/// A package as the API names it (format, optional namespace, name), not yet normalized.
#[derive(Debug, Clone)]
pub struct PackageName {
    pub format: PackageFormat,
    pub namespace: Option<String>,
    pub name: String,
}

/// What a purge removes: everything, narrowed to the connections of a repository's search order
/// and/or to one package.
#[derive(Debug, Clone, Default)]
pub struct CachePurge {
    pub repository: Option<RepoRef>,
    pub package: Option<PackageName>,
}

/// What a purge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    /// Cache entries removed (indexes and "not found" answers).
    pub purged: usize,
    /// The connections whose entries were considered, in order.
    pub connections: Vec<String>,
}

impl Service {
    /// Removes the cached indexes `what` selects from this process's cache.
    pub async fn purge_upstream_cache(
        &self,
        caller: &Caller,
        what: &CachePurge,
    ) -> ServiceResult<PurgeReport> {
        let key = match &what.package {
            Some(p) => {
                let format = p.format;
                if !super::connections::KNOWN_CONNECTIONS
                    .iter()
                    .any(|(_, f)| *f == format)
                {
                    return Err(ServiceError::validation(format!(
                        "No external connection serves packages of format {format}, so none of \
                         them is cached."
                    )));
                }
                Some(coords::package_key(
                    format,
                    p.namespace.as_deref(),
                    &p.name,
                )?)
            }
            None => None,
        };
        let mut connections: Vec<String> = match &what.repository {
            Some(r) => {
                let (_, repo) = self.resolve_repo(caller, r).await?;
                let mut names = Vec::new();
                for hop in self.search_order(&repo).await? {
                    if let Some(c) = hop.external_connection {
                        if !names.contains(&c) {
                            names.push(c);
                        }
                    }
                }
                names
            }
            None => self.config.external_connections.keys().cloned().collect(),
        };
        if let Some(key) = &key {
            connections.retain(|c| connection_format(c) == Some(key.format));
        }
        let selected: Vec<String> = match &key {
            Some(key) => connections.iter().map(|c| cache_key(c, key)).collect(),
            None => connections.iter().map(|c| format!("{c}\n")).collect(),
        };
        // A package's entries: its own, and those kept under it (`{key}\n…`: NuGet's
        // registration pages).
        let purged = self.upstream_caches.purge(&|k: &str| match &key {
            Some(_) => selected.iter().any(|s| {
                k.strip_prefix(s.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('\n'))
            }),
            None => selected.iter().any(|s| k.starts_with(s.as_str())),
        });
        tracing::info!(purged, connections = ?connections, package = ?key, "upstream cache purged");
        Ok(PurgeReport {
            purged,
            connections,
        })
    }
}
