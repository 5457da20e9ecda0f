//! Package origin controls on the publish path (`upstreams-formats-permissions.md` §A5): a package
//! whose `publish` control is BLOCK, or whose package group's effective PUBLISH restriction refuses
//! the repository (§A8.3), takes no publish, and a version that a reachable upstream
//! repository or external source already has cannot be published (the dependency-confusion guard)
//! unless the package's `upstream` control is BLOCK here. The external check uses the cached index
//! when the source is down and fails closed when nothing is cached.

use arca_metadata::{
    GroupRestriction, OriginRule, PackageFormat, PackageKey, PackageRow, RepositoryRow,
};

use super::cache::IndexCache;
use super::connections::ExternalSource;
use super::{SourceIndex, UpstreamIndex};
use crate::coords::display_name;
use crate::{ResourceType, Service, ServiceError, ServiceResult};

impl Service {
    /// Whether a publish of `version` into `repo` is allowed by the package's origin controls;
    /// `package` is the package as stored now (`None`: it does not exist in `repo` yet), and
    /// `look_upstream` whether to look for the version upstream too: for a publish that creates the
    /// version (adding a file to an existing one only needs `publish` ALLOW), once per publish,
    /// before its bytes are committed (the compare-and-set retries after it skip the walk).
    pub(crate) async fn check_publish_origin(
        &self,
        repo: &RepositoryRow,
        key: &PackageKey,
        package: Option<&PackageRow>,
        version: &str,
        look_upstream: bool,
    ) -> ServiceResult<()> {
        let name = display_name(key);
        if package.is_some_and(|p| p.origin_publish == OriginRule::Block) {
            return Err(ServiceError::conflict(
                ResourceType::Package,
                &key.name,
                format!(
                    "Publishing {name} into repository {} is blocked by the package's origin \
                     configuration (publish: BLOCK).",
                    repo.name
                ),
            ));
        }
        // The package's group (§A8.3): together with the package's own control, the more
        // restrictive one wins.
        if let Some(why) = self
            .group_refusal(repo, key, GroupRestriction::Publish)
            .await?
        {
            return Err(ServiceError::conflict(
                ResourceType::Package,
                &key.name,
                why,
            ));
        }
        if !look_upstream || package.is_some_and(|p| p.origin_upstream == OriginRule::Block) {
            return Ok(());
        }
        let order = self.search_order(repo).await?;
        let exists = |where_: &str| {
            ServiceError::conflict(
                ResourceType::PackageVersion,
                version,
                format!(
                    "{name} {version} cannot be published into repository {}: it exists in {where_}, \
                     which this repository reaches through its upstreams. Set the package's \
                     origin configuration to upstream BLOCK to publish your own.",
                    repo.name
                ),
            )
        };
        for (i, hop) in order.iter().enumerate() {
            if i > 0 {
                if let Some(p) = self.store.get_package(hop.id, key).await? {
                    if self.store.get_version(p.id, version).await?.is_some() {
                        return Err(exists(&format!("repository {}", hop.name)));
                    }
                }
            }
            let Some((connection, source)) = self.source_of(hop, key.format) else {
                continue;
            };
            if self
                .source_has_version(&connection, source, key, version)
                .await?
            {
                return Err(exists(&format!("the external connection {connection}")));
            }
        }
        Ok(())
    }

    /// Whether an external source lists `version` (per format; formats not yet proxied: no).
    async fn source_has_version(
        &self,
        connection: &str,
        source: &ExternalSource,
        key: &PackageKey,
        version: &str,
    ) -> ServiceResult<bool> {
        match key.format {
            PackageFormat::Npm => {
                self.index_has(&self.upstream_caches.npm, connection, source, key, version)
                    .await
            }
            PackageFormat::Pypi => {
                self.index_has(&self.upstream_caches.pypi, connection, source, key, version)
                    .await
            }
            PackageFormat::Maven => {
                self.index_has(
                    &self.upstream_caches.maven,
                    connection,
                    source,
                    key,
                    version,
                )
                .await
            }
            PackageFormat::Cargo => {
                self.index_has(
                    &self.upstream_caches.cargo,
                    connection,
                    source,
                    key,
                    version,
                )
                .await
            }
            PackageFormat::Ruby => {
                let cache = &self.upstream_caches.ruby;
                self.index_has(cache, connection, source, key, version)
                    .await
            }
            PackageFormat::Nuget => {
                let cache = &self.upstream_caches.nuget;
                self.index_has(cache, connection, source, key, version)
                    .await
            }
            _ => Ok(false),
        }
    }

    async fn index_has<T: UpstreamIndex>(
        &self,
        cache: &IndexCache<T>,
        connection: &str,
        source: &ExternalSource,
        key: &PackageKey,
        version: &str,
    ) -> ServiceResult<bool> {
        match self.source_index(cache, connection, source, key).await {
            SourceIndex::Fresh(i) | SourceIndex::Stale(i, _) => Ok(i.has_version(version)),
            SourceIndex::Missing => Ok(false),
            SourceIndex::Unavailable(why) => Err(ServiceError::Upstream(format!(
                "{} {version} cannot be published now: whether {connection} already has it \
                 cannot be checked ({why}); try again later.",
                display_name(key)
            ))),
        }
    }
}
