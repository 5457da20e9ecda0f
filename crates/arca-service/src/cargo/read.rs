//! What cargo reads: index files (rendered from the stored crates' manifests, cached by digest,
//! merged over the search order), `.crate` downloads (retained from upstreams) and search; and the
//! yank state, which is the version's status (module doc).

use std::sync::Arc;

use arca_metadata::{
    AssetRow, OriginType, PackageFilter, PackageFormat, PackageRow, VersionRow, VersionStatus,
};
use sha2::Digest;

use super::index::canonical_name;
use super::manifest::{find_manifest, parse_manifest, CrateManifest};
use super::publish::resolve_registries;
use super::{asset_name, key};
use crate::groups::Via;
use crate::native::{read_blocking, NativeRepo};
use crate::versions::version_not_found;
use crate::{
    now_ms, AssetDownload, FileDownload, ResourceType, Service, ServiceError, ServiceResult,
};

/// An index file: one line per version, and its entity tag.
#[derive(Debug, Clone)]
pub struct CargoIndexFile {
    pub body: String,
    /// Quoted, for `ETag` and `If-None-Match`.
    pub etag: String,
    /// Set when part of the file comes from a stale copy of a source's index (the source failed):
    /// why, for a `Warning` header.
    pub stale: Option<String>,
    /// When the file's content was first rendered as it is now (ms since the epoch), for
    /// `Last-Modified`; `None` when that could not be recorded (the file is answered anyway).
    pub last_modified_ms: Option<arca_metadata::Millis>,
}

#[derive(Debug, Clone)]
pub struct CargoSearch {
    pub hits: Vec<CargoSearchHit>,
    /// Every crate that matched, beyond the page too.
    pub total: usize,
}

#[derive(Debug, Clone)]
pub struct CargoSearchHit {
    pub name: String,
    pub max_version: String,
    pub description: Option<String>,
}

/// Crates listed per store call when searching.
const PAGE: u32 = 1000;

fn crate_not_found(name: &str, repo: &NativeRepo) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Package,
        name,
        format!("crate `{name}` not found in repository {}.", repo.name()),
    )
}

/// Whether cargo sees the version: Published (not yanked) and Unlisted (yanked).
fn in_index(v: &VersionRow) -> bool {
    matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted)
}

impl Service {
    async fn cargo_package(&self, repo: &NativeRepo, name: &str) -> ServiceResult<PackageRow> {
        self.store
            .get_package(repo.repo.id, &key(name))
            .await?
            .ok_or_else(|| crate_not_found(name, repo))
    }

    /// The crate's `.crate` asset in version `v`.
    async fn cargo_asset(&self, v: &VersionRow) -> ServiceResult<Option<AssetRow>> {
        Ok(self
            .store
            .version_assets(v.id)
            .await?
            .into_iter()
            .find(|a| a.name.ends_with(".crate")))
    }

    /// The index file of `name` (the name from the index path, lowercased by cargo): the union over
    /// the repository's search order, each version from the first repository (or source) that has
    /// it; a source's lines byte for byte (also for versions retained from it), unless the
    /// package's `upstream` origin control is BLOCK here.
    pub async fn cargo_index(
        &self,
        repo: &NativeRepo,
        name: &str,
    ) -> ServiceResult<CargoIndexFile> {
        let key = key(name);
        let order = self.search_order(&repo.repo).await?;
        // (version, line, the external connection it was ingested from).
        let mut lines: Vec<(String, String, Option<String>)> = Vec::new();
        let (mut unavailable, mut stale) = (None, None);
        for (i, hop) in order.iter().enumerate() {
            if i == 1
                && !self
                    .upstream_allowed(&repo.repo, &key, Via::Upstream)
                    .await?
            {
                break;
            }
            if let Some(package) = self.store.get_package(hop.id, &key).await? {
                for (v, line) in self.cargo_local_lines(repo, hop, &package).await? {
                    if !lines.iter().any(|(seen, ..)| *seen == v.version) {
                        let from = v.origin.external_connection.clone();
                        lines.push((v.version, line, from));
                    }
                }
            }
            let Some((connection, source)) = self.source_of(hop, PackageFormat::Cargo) else {
                continue;
            };
            if !self
                .upstream_allowed(hop, &key, Via::ExternalConnection)
                .await?
            {
                continue;
            }
            let cache = &self.upstream_caches.cargo;
            let found = self.source_index(cache, &connection, source, &key).await;
            let Some(index) = found.for_merge(&mut stale, &mut unavailable) else {
                continue;
            };
            for l in &index.lines {
                match lines.iter_mut().find(|(v, ..)| *v == l.vers) {
                    // Retained from this source: its own line.
                    Some((_, line, Some(from))) if *from == connection => line.clone_from(&l.raw),
                    Some(_) => {}
                    None => lines.push((l.vers.clone(), l.raw.clone(), None)),
                }
            }
        }
        if lines.is_empty() {
            return Err(match unavailable {
                Some(why) => ServiceError::Upstream(format!(
                    "crate `{name}` is not in repository {} and its upstream source is unavailable ({why}); try again later.",
                    repo.name()
                )),
                None => crate_not_found(name, repo),
            });
        }
        let mut body = String::new();
        for (_, line, _) in &lines {
            body.push_str(line);
            body.push('\n');
        }
        let etag = format!(
            "\"{}\"",
            &hex::encode(sha2::Sha256::digest(body.as_bytes()))[..32]
        );
        // Whatever changed the file (a publish, a deletion, an upstream's new version, an origin
        // control or package group), its ETag moved: the stamp of the content is its time.
        let last_modified_ms = match self
            .store
            .stamp_document(
                repo.repo.id,
                &format!("cargo/index/{}", key.name),
                &etag,
                now_ms(),
            )
            .await
        {
            Ok(since) => Some(since),
            Err(e) => {
                tracing::warn!(error = %e, crate_name = name, "index file's change time not recorded");
                None
            }
        };
        Ok(CargoIndexFile {
            body,
            etag,
            stale: stale.or(unavailable),
            last_modified_ms,
        })
    }

    /// The index lines of a package of `hop` (a repository in `repo`'s search order), in publish
    /// order, with their versions.
    async fn cargo_local_lines(
        &self,
        repo: &NativeRepo,
        hop: &arca_metadata::RepositoryRow,
        package: &PackageRow,
    ) -> ServiceResult<Vec<(VersionRow, String)>> {
        let mut versions: Vec<VersionRow> = self
            .versions_with_status(package.id, None)
            .await?
            .into_iter()
            .filter(in_index)
            .collect();
        versions.sort_by_key(|v| (v.published_ms, v.id));
        let mut out = Vec::new();
        for v in versions {
            let Some(asset) = self.cargo_asset(&v).await? else {
                continue;
            };
            let Some(manifest) = self.cargo_manifest(hop.domain_id, &asset, &v).await? else {
                tracing::warn!(
                    package.name = package.key.name,
                    version = v.version,
                    "stored crate has no readable Cargo.toml; left out of the index"
                );
                continue;
            };
            let external = v.origin.origin_type == OriginType::External;
            let entry = resolve_registries(&manifest, &repo.repo, external);
            let time = crate::native::iso8601(v.published_ms);
            let line = entry.line(&asset.sha256, v.status == VersionStatus::Unlisted, &time);
            let json = serde_json::to_string(&line)
                .map_err(|e| ServiceError::Internal(format!("index line: {e}")))?;
            out.push((v, json));
        }
        Ok(out)
    }

    /// The manifest of a stored crate (cached by its digest).
    async fn cargo_manifest(
        &self,
        domain_id: i64,
        asset: &AssetRow,
        v: &VersionRow,
    ) -> ServiceResult<Option<Arc<CrateManifest>>> {
        if let Some(m) = self.cargo_manifests.get(domain_id, &asset.sha256) {
            return Ok(m);
        }
        let name = v
            .metadata
            .display_name
            .clone()
            .unwrap_or_else(|| asset.name.trim_end_matches(".crate").to_string());
        let version = v.version.clone();
        let read = self.open_blob(domain_id, asset).await?;
        let manifest = read_blocking(read, "a .crate", move |r| {
            find_manifest(r, &name, &version)
                .and_then(|m| parse_manifest(&m).ok())
                .map(Arc::new)
        })
        .await?;
        self.cargo_manifests
            .put(domain_id, &asset.sha256, manifest.clone());
        Ok(manifest)
    }

    /// `GET …/api/v1/crates/{name}/{version}/download`: Published and Unlisted (yanked) versions,
    /// retained from the upstreams first when the repository does not have the version (a crate
    /// fetched from a source streams to the client as it is kept).
    pub async fn cargo_download(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
    ) -> ServiceResult<FileDownload> {
        if let Some(d) = self.cargo_local_download(repo, name, version).await? {
            return Ok(d.into());
        }
        let flight = format!("{}\ncargo\n{name}\n{version}", repo.repo.id);
        let local = || async {
            let d = self.cargo_local_download(repo, name, version).await?;
            Ok(d.map(FileDownload::from))
        };
        let (svc, requested) = (self.clone(), repo.repo.clone());
        let (name_owned, version_owned) = (name.to_string(), version.to_string());
        self.fetch_through(flight, local, |tee| async move {
            let (name, version) = (name_owned.as_str(), version_owned.as_str());
            let ingest = |read| svc.cargo_ingest(name, version, read);
            let (file, cache) = (asset_name(name, version), &svc.upstream_caches.cargo);
            svc.retain_from_upstreams(cache, &requested, &key(name), version, &file, &ingest, &tee)
                .await
        })
        .await?
        .ok_or_else(|| version_not_found(&key(name), version))
    }

    /// The `.crate` of `version` if the repository has the version (`None` if not); one it has in a
    /// status that cannot be downloaded is a 404.
    async fn cargo_local_download(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
    ) -> ServiceResult<Option<AssetDownload>> {
        let Some(package) = self.store.get_package(repo.repo.id, &key(name)).await? else {
            return Ok(None);
        };
        let Some(v) = self.store.get_version(package.id, version).await? else {
            return Ok(None);
        };
        let missing = || version_not_found(&package.key, version);
        if !in_index(&v) {
            return Err(missing());
        }
        let asset = self.cargo_asset(&v).await?.ok_or_else(missing)?;
        Ok(Some(self.download(repo.repo.domain_id, v, asset).await?))
    }

    /// `cargo yank` (`yanked`: Unlisted) and `cargo yank --undo` (Published).
    pub async fn cargo_set_yanked(
        &self,
        repo: &NativeRepo,
        name: &str,
        version: &str,
        yanked: bool,
    ) -> ServiceResult<()> {
        let package = self.cargo_package(repo, name).await?;
        self.authorize_native_write(repo, &package.key, "codeartifact:PutPackageMetadata")
            .await?;
        self.set_unlisted(&package, version, yanked, |status| {
            format!(
                "crate version `{name}@{version}` is {status}; only Published and Unlisted (yanked) versions can be yanked or unyanked."
            )
        })
        .await
    }

    /// The crate exists here (for `cargo owner --list`).
    pub async fn cargo_crate_exists(&self, repo: &NativeRepo, name: &str) -> ServiceResult<()> {
        self.cargo_package(repo, name).await.map(|_| ())
    }

    /// `cargo search`: crates of the repository whose name contains `query` (ignoring case and
    /// `-`/`_`), by name, at most `limit`, each with its highest Published version and its
    /// description. Crates without a Published version are not found. What the repository has
    /// retained from its upstreams is its own and is found; what only an upstream repository or
    /// the external source has is not (as the API sees it, §A7: no search is sent upstream).
    pub async fn cargo_search(
        &self,
        repo: &NativeRepo,
        query: &str,
        limit: usize,
    ) -> ServiceResult<CargoSearch> {
        let query = canonical_name(query.trim());
        let mut hits = Vec::new();
        let mut total = 0;
        let mut filter = PackageFilter {
            format: Some(PackageFormat::Cargo),
            ..PackageFilter::default()
        };
        loop {
            let page = self
                .store
                .list_packages(repo.repo.id, &filter, PAGE)
                .await?;
            for p in page
                .iter()
                .filter(|p| canonical_name(&p.key.name).contains(&query))
            {
                let published = self.published_versions(p.id).await?;
                let Some(max) = published
                    .iter()
                    .filter_map(|v| semver::Version::parse(&v.version).ok().map(|s| (s, v)))
                    .max_by(|a, b| a.0.cmp(&b.0))
                    .map(|(_, v)| v)
                else {
                    continue;
                };
                total += 1;
                if hits.len() < limit {
                    hits.push(CargoSearchHit {
                        name: max
                            .metadata
                            .display_name
                            .clone()
                            .unwrap_or(p.key.name.clone()),
                        max_version: max.version.clone(),
                        description: max.metadata.summary.clone(),
                    });
                }
            }
            if page.len() < PAGE as usize {
                return Ok(CargoSearch { hits, total });
            }
            filter.after = page.last().map(|p| p.key.clone());
        }
    }
}
