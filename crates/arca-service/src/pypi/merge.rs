//! The project page pip sees through a repository (§A3): the union of the files of the repository,
//! its upstream repositories and their external sources, in the search order.
//!
//! The first place in the order that has a version wins it, and the version's files are those of
//! its origin: later places add files to it only if their copy has the same origin (an upstream
//! repository's copy of the same retained version, or the source it was ingested from, whose
//! newer files so appear), never files of a version published elsewhere. The first place that
//! lists a file name wins it. Files only a source has so far pass through field-complete (hashes,
//! `requires-python`, `yanked`, the core metadata flag, `upload-time`); a retained file's yank
//! state follows its source (PEP 592, as AWS syncs it for externally sourced versions). Every URL
//! on the page is Arca's own (`simple.rs` links relative to the page).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use arca_blobstore::MultiHasher;
use arca_metadata::{AssetRow, OriginType, PackageFormat, PackageKey, VersionOrigin};

use super::metadata::MAX_METADATA_BYTES;
use super::read::{key, project_not_found};
use super::upstream::PypiIndex;
use super::{CoreMetadata, PypiFile, PypiProject};
use crate::groups::Via;
use crate::native::NativeRepo;
use crate::upstream::fetch::FetchError;
use crate::upstream::retain::downloadable;
use crate::upstream::{verify, SourceIndex};
use crate::{now_ms, Service, ServiceError, ServiceResult};

/// A project page being merged along the search order.
#[derive(Default)]
struct Merge {
    files: Vec<PypiFile>,
    by_name: HashMap<String, usize>,
    /// Version → the origin of the copy that won it.
    versions: BTreeMap<String, VersionOrigin>,
    stale: Option<String>,
    unavailable: Option<String>,
    sourced: bool,
}

fn external(connection: &str) -> VersionOrigin {
    VersionOrigin {
        origin_type: OriginType::External,
        repository: None,
        external_connection: Some(connection.to_string()),
    }
}

impl Merge {
    /// Whether a file of `version` from a copy of origin `origin` may join the page.
    fn admit(&mut self, version: &str, origin: &VersionOrigin) -> bool {
        match self.versions.get(version) {
            Some(o) => o == origin,
            None => {
                self.versions.insert(version.to_string(), origin.clone());
                true
            }
        }
    }

    fn push(&mut self, file: PypiFile) {
        self.by_name.insert(file.filename.clone(), self.files.len());
        self.files.push(file);
    }

    /// Adds the files of a source's page that Arca could keep, old enough for the connection's
    /// minimum release age (a file without `upload-time` is then left out).
    fn source(&mut self, index: &PypiIndex, connection: &str, min_age: Option<Duration>) {
        let origin = external(connection);
        let now = now_ms();
        for (filename, f) in &index.files {
            if f.digests().is_empty() {
                continue;
            }
            if let Some(age) = min_age {
                let old_enough = f
                    .upload_ms
                    .is_some_and(|t| now.saturating_sub(t) >= age.as_millis() as i64);
                if !old_enough {
                    continue;
                }
            }
            if let Some(&at) = self.by_name.get(filename) {
                if self.versions.get(&f.version) == Some(&origin)
                    && self.files[at].version == f.version
                {
                    self.files[at].yanked = f.yanked.clone();
                }
                continue;
            }
            if !self.admit(&f.version, &origin) {
                continue;
            }
            self.push(PypiFile {
                version: f.version.clone(),
                filename: filename.clone(),
                hashes: f.hashes.clone(),
                size: f.size,
                upload_ms: f.upload_ms,
                core_metadata: f.core_metadata.clone(),
                requires_python: f.requires_python.clone(),
                yanked: f.yanked.clone(),
            });
        }
    }
}

impl Service {
    /// The project page of `name` (any spelling; it is normalized) as pip sees it through `repo`:
    /// merged with its upstreams and their external sources, unless the package's `upstream`
    /// origin control is BLOCK here.
    pub async fn pypi_project(&self, repo: &NativeRepo, name: &str) -> ServiceResult<PypiProject> {
        let key = key(name);
        let order = self.search_order(&repo.repo).await?;
        let mut merge = Merge::default();
        for (i, hop) in order.iter().enumerate() {
            if i == 1
                && !self
                    .upstream_allowed(&repo.repo, &key, Via::Upstream)
                    .await?
            {
                break;
            }
            if let Some(package) = self.store.get_package(hop.id, &key).await? {
                // Every file of the package in one read, not one read per version.
                let mut files: HashMap<i64, Vec<AssetRow>> = HashMap::new();
                for (version_id, asset) in self.store.package_assets(package.id, None).await? {
                    files.entry(version_id).or_default().push(asset);
                }
                for v in self.published_versions(package.id).await? {
                    for asset in files.remove(&v.id).unwrap_or_default() {
                        if merge.by_name.contains_key(&asset.name)
                            || !merge.admit(&v.version, &v.origin)
                        {
                            continue;
                        }
                        let core = self.pypi_core_metadata(hop.domain_id, &asset).await?;
                        merge.push(PypiFile::held(&v, &asset, core));
                    }
                }
            }
            let Some((connection, source)) = self.source_of(hop, PackageFormat::Pypi) else {
                continue;
            };
            if !self
                .upstream_allowed(hop, &key, Via::ExternalConnection)
                .await?
            {
                continue;
            }
            let cache = &self.upstream_caches.pypi;
            merge.sourced = true;
            let found = self.source_index(cache, &connection, source, &key).await;
            if let Some(index) = found.for_merge(&mut merge.stale, &mut merge.unavailable) {
                merge.source(&index, &connection, source.min_release_age);
            }
        }
        if merge.files.is_empty() {
            return Err(match merge.unavailable {
                Some(why) => ServiceError::Upstream(format!(
                    "{name} is not in repository {} and its upstream source is unavailable ({why}); try again later.",
                    repo.name()
                )),
                None => project_not_found(name, repo),
            });
        }
        Ok(PypiProject {
            name: key.name,
            versions: merge.versions.into_keys().collect(),
            files: merge.files,
            stale: merge.stale.or(merge.unavailable),
            sourced: merge.sourced,
        })
    }

    /// The core metadata of a file the repository does not hold, from the first place in the
    /// search order that has the file: an upstream repository's stored wheel, or the external
    /// source's `{file URL}.metadata` (checked against the hash its index gives, served, not kept).
    /// `None` when no place has it (or has no core metadata for it).
    pub(super) async fn pypi_upstream_metadata(
        &self,
        repo: &NativeRepo,
        key: &PackageKey,
        version: &str,
        filename: &str,
    ) -> ServiceResult<Option<Arc<CoreMetadata>>> {
        let from_upstreams = self
            .upstream_allowed(&repo.repo, key, Via::Upstream)
            .await?;
        let order = self.search_order(&repo.repo).await?;
        for (i, hop) in order.iter().enumerate() {
            if i > 0 && !from_upstreams {
                return Ok(None);
            }
            if i > 0 {
                if let Some(v) = self.version_in(hop, key, version).await? {
                    if !downloadable(v.status) {
                        return Ok(None);
                    }
                    if let Some(asset) = self.store.get_asset(v.id, filename).await? {
                        return self.pypi_core_metadata(hop.domain_id, &asset).await;
                    }
                }
            }
            let Some((connection, source)) = self.source_of(hop, PackageFormat::Pypi) else {
                continue;
            };
            if !self
                .upstream_allowed(hop, key, Via::ExternalConnection)
                .await?
            {
                continue;
            }
            let cache = &self.upstream_caches.pypi;
            let index = match self.source_index(cache, &connection, source, key).await {
                SourceIndex::Fresh(i) | SourceIndex::Stale(i, _) => i,
                SourceIndex::Missing => continue,
                SourceIndex::Unavailable(why) => return Err(metadata_unavailable(filename, &why)),
            };
            let Some(f) = index.files.get(filename).filter(|f| f.version == version) else {
                continue;
            };
            let Some(hashes) = &f.core_metadata else {
                return Ok(None);
            };
            let url = format!("{}.metadata", f.url);
            let max = MAX_METADATA_BYTES as usize;
            let fetched = self.fetcher.small(source, &url, max).await;
            self.count_fetch(&connection, arca_metrics::FetchKind::Metadata, &fetched);
            let bytes = match fetched {
                Ok(b) => b,
                Err(FetchError::NotFound) => return Ok(None),
                Err(FetchError::Unavailable(why)) => {
                    return Err(metadata_unavailable(filename, &why))
                }
            };
            let digests: Vec<_> = hashes
                .iter()
                .filter_map(|(n, h)| crate::upstream::ExpectedDigest::named(n, h))
                .collect();
            if !digests.is_empty() {
                verify(&digests, &MultiHasher::digest(&bytes)).map_err(|why| {
                    tracing::warn!(connection, url, error = %why, "upstream core metadata refused");
                    ServiceError::Upstream(format!(
                        "the core metadata of {filename} from {connection} was refused: {why}"
                    ))
                })?;
            }
            return Ok(Some(Arc::new(CoreMetadata::new(bytes.to_vec()))));
        }
        Ok(None)
    }
}

fn metadata_unavailable(filename: &str, why: &str) -> ServiceError {
    ServiceError::Upstream(format!(
        "the core metadata of {filename} is not in this repository and its upstream source is unavailable ({why}); try again later."
    ))
}
