//! What npm reads: the versions a packument lists and the tarballs it downloads
//! (`decisions.md`, lifecycle table): only Published versions are listed; Unlisted ones are hidden
//! but their tarballs still download (lockfiles); Unfinished, Archived and Disposed never download.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arca_metadata::{AssetRow, PackageFormat, PackageRow, VersionRow, VersionStatus};
use base64::Engine;
use serde_json::Value;

use super::manifest::read_package_json;
use super::state::NpmState;
use super::tags::visible_tags;
use super::upstream::NpmIndex;
use super::{NpmName, NPM_ASSET};
use crate::groups::Via;
use crate::native::NativeRepo;
use crate::upstream::UpstreamIndex;
use crate::{AssetDownload, FileDownload, ResourceType, Service, ServiceError, ServiceResult};

#[derive(Debug, Clone)]
pub struct NpmPackument {
    pub name: NpmName,
    /// The document revision (`_rev`) npm's writes must send back (see `state.rs`): of the
    /// package in the requested repository (writes only ever change that one).
    pub rev: String,
    /// Published versions, by version string: the union over the repository, its upstreams and
    /// their external sources (the first in the search order wins a version).
    pub versions: Vec<NpmVersion>,
    /// The `latest` dist-tag (see `tags::visible_tags`).
    pub latest: Option<String>,
    /// Every visible dist-tag, `latest` included.
    pub dist_tags: BTreeMap<String, String>,
    /// Set when part of the packument comes from a stale copy of an upstream source's index (the
    /// source failed): why, for a `Warning` header.
    pub stale: Option<String>,
    /// An external source's index was consulted: the packument depends on that index's own cache
    /// and TTL, so it is not kept as a document (`crate::documents`).
    pub sourced: bool,
}

#[derive(Debug, Clone)]
pub struct NpmVersion {
    pub version: String,
    pub published_ms: i64,
    /// The tarball's `package.json` (or, for a version only an external source has so far, the
    /// source's version object, passed through).
    pub manifest: Arc<Value>,
    /// SHA-1 of the tarball, hex (`dist.shasum`); empty when unknown.
    pub shasum: String,
    /// Subresource integrity of the tarball (`dist.integrity`); empty when unknown.
    pub integrity: String,
    /// `npm deprecate`'s message.
    pub deprecated: Option<String>,
}

/// A packument being merged along the search order.
#[derive(Default)]
struct Merge {
    versions: BTreeMap<String, NpmVersion>,
    tags: BTreeMap<String, String>,
    stale: Option<String>,
    unavailable: Option<String>,
    sourced: bool,
}

/// `dist.integrity` of a tarball from its stored hex SHA-512 (built for every version of every
/// packument: decoded into a stack buffer, encoded into one allocation).
fn sri_sha512(hex_digest: &str) -> String {
    let mut raw = [0u8; 64];
    let mut out = String::with_capacity(7 + 88);
    out.push_str("sha512-");
    if hex::decode_to_slice(hex_digest, &mut raw).is_ok() {
        base64::engine::general_purpose::STANDARD.encode_string(raw, &mut out);
    } else {
        // Not a SHA-512 (never stored so): whatever bytes it decodes to, as before.
        let other = hex::decode(hex_digest).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode_string(other, &mut out);
    }
    out
}

fn package_not_found(name: &NpmName, repo: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Package,
        name.to_string(),
        format!("Package {name} not found in repository {repo}."),
    )
}

/// The version a tarball file name (`name-1.0.0.tgz`) stands for.
pub(super) fn file_version<'a>(name: &NpmName, file: &'a str) -> Option<&'a str> {
    file.strip_prefix(&format!("{}-", name.name))?
        .strip_suffix(".tgz")
}

fn file_not_found(repo: &NativeRepo, name: &NpmName, file: &str) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Asset,
        file,
        format!(
            "Tarball {file} of {name} not found in repository {}.",
            repo.name()
        ),
    )
}

impl Service {
    /// The packument of `name` as npm sees it through `repo`: its Published versions merged with
    /// those of its upstreams and their external sources (§A3), unless the package's `upstream`
    /// origin control is BLOCK here.
    pub async fn npm_packument(
        &self,
        repo: &NativeRepo,
        name: &str,
    ) -> ServiceResult<NpmPackument> {
        let name = NpmName::parse(name)?;
        let key = name.key();
        let order = self.search_order(&repo.repo).await?;
        let mut merge = Merge::default();
        let mut rev = None;
        // The package has Published versions here (listed even if none of them is readable).
        let mut listed_here = false;
        for (i, hop) in order.iter().enumerate() {
            if i == 1
                && !self
                    .upstream_allowed(&repo.repo, &key, Via::Upstream)
                    .await?
            {
                break;
            }
            let here = NativeRepo {
                repo: hop.clone(),
                caller: repo.caller.clone(),
            };
            match self.npm_state(&here, &name).await {
                Ok(state) => {
                    if i == 0 {
                        rev = Some(state.rev());
                        listed_here = state.published().next().is_some();
                    }
                    self.npm_merge_local(hop.domain_id, &state, &mut merge)
                        .await?;
                }
                Err(ServiceError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
            let Some((connection, source)) = self.source_of(hop, PackageFormat::Npm) else {
                continue;
            };
            if !self
                .upstream_allowed(hop, &key, Via::ExternalConnection)
                .await?
            {
                continue;
            }
            let cache = &self.upstream_caches.npm;
            merge.sourced = true;
            let found = self.source_index(cache, &connection, source, &key).await;
            if let Some(index) = found.for_merge(&mut merge.stale, &mut merge.unavailable) {
                npm_merge_source(&index, source.min_release_age, &mut merge);
            }
        }
        if merge.versions.is_empty() && !listed_here {
            return Err(match merge.unavailable {
                Some(why) => ServiceError::Upstream(format!(
                    "{name} is not in repository {} and its upstream source is unavailable ({why}); try again later.",
                    repo.name()
                )),
                None => package_not_found(&name, repo.name()),
            });
        }
        let versions: Vec<NpmVersion> = merge.versions.into_values().collect();
        let mut dist_tags: BTreeMap<String, String> = merge
            .tags
            .into_iter()
            .filter(|(_, v)| versions.iter().any(|x| &x.version == v))
            .collect();
        if !dist_tags.contains_key("latest") {
            if let Some(newest) = versions.iter().max_by_key(|v| v.published_ms) {
                dist_tags.insert("latest".into(), newest.version.clone());
            }
        }
        Ok(NpmPackument {
            name,
            // No package here (all of it is upstream): the revision of an empty package.
            rev: rev.unwrap_or_else(|| "0-0".into()),
            latest: dist_tags.get("latest").cloned(),
            versions,
            dist_tags,
            stale: merge.stale.or(merge.unavailable),
            sourced: merge.sourced,
        })
    }

    /// Adds a repository's Published versions of the package (read once, as `state`) that the
    /// merge does not have yet, and its visible dist-tags (over those of repositories earlier in
    /// the order). Every tarball row comes in one read.
    async fn npm_merge_local(
        &self,
        domain_id: i64,
        state: &NpmState,
        merge: &mut Merge,
    ) -> ServiceResult<()> {
        let published: Vec<&VersionRow> = state.published().collect();
        if published.is_empty() {
            return Ok(());
        }
        merge.tags.extend(visible_tags(&state.tags, &published));
        let mut deprecations: BTreeMap<&str, &str> = state
            .deprecations
            .iter()
            .map(|(v, m)| (v.as_str(), m.as_str()))
            .collect();
        let mut tarballs: HashMap<i64, AssetRow> = self
            .store
            .package_assets(state.package.id, Some(NPM_ASSET))
            .await?
            .into_iter()
            .collect();
        for v in published {
            if merge.versions.contains_key(&v.version) {
                continue;
            }
            let Some(tarball) = tarballs.remove(&v.id) else {
                tracing::warn!(
                    package = state.package.key.name,
                    version = v.version,
                    "npm version without package.tgz; not listed"
                );
                continue;
            };
            let Some(manifest) = self.npm_manifest(domain_id, &tarball).await? else {
                continue;
            };
            merge.versions.insert(
                v.version.clone(),
                NpmVersion {
                    deprecated: deprecations.remove(v.version.as_str()).map(str::to_string),
                    published_ms: v.published_ms,
                    manifest,
                    shasum: tarball.sha1.clone(),
                    integrity: sri_sha512(&tarball.sha512),
                    version: v.version.clone(),
                },
            );
        }
        Ok(())
    }

    /// The tarball `file` (`name-1.0.0.tgz`) of package `name`: from the repository, else retained
    /// from its upstreams or their external sources first (one fetch however many ask at once; a
    /// tarball fetched from a source streams to the client as it is kept).
    pub async fn npm_tarball(
        &self,
        repo: &NativeRepo,
        name: &str,
        file: &str,
    ) -> ServiceResult<FileDownload> {
        let name = NpmName::parse(name)?;
        let version = file_version(&name, file).ok_or_else(|| file_not_found(repo, &name, file))?;
        if let Some(d) = self.npm_local_tarball(repo, &name, version).await? {
            return Ok(d.into());
        }
        let flight = format!("{}\n{name}\n{version}", repo.repo.id);
        let local = || async {
            let d = self.npm_local_tarball(repo, &name, version).await?;
            Ok(d.map(FileDownload::from))
        };
        let (svc, requested, owned) = (self.clone(), repo.repo.clone(), name.clone());
        let (version_owned, file_owned) = (version.to_string(), file.to_string());
        self.fetch_through(flight, local, |tee| async move {
            let (name, version) = (&owned, version_owned.as_str());
            let ingest = |read| svc.npm_ingest(name, version, read);
            let cache = &svc.upstream_caches.npm;
            let key = name.key();
            svc.retain_from_upstreams(cache, &requested, &key, version, &file_owned, &ingest, &tee)
                .await
        })
        .await?
        .ok_or_else(|| file_not_found(repo, &name, file))
    }

    /// The tarball of `version` if the repository has the version (`None` if it has not); a
    /// version it has in a status that cannot be downloaded is a 404.
    async fn npm_local_tarball(
        &self,
        repo: &NativeRepo,
        name: &NpmName,
        version: &str,
    ) -> ServiceResult<Option<AssetDownload>> {
        let file = name.tarball_file(version);
        let Some(package) = self.store.get_package(repo.repo.id, &name.key()).await? else {
            return Ok(None);
        };
        let Some(v) = self.store.get_version(package.id, version).await? else {
            return Ok(None);
        };
        if !matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted) {
            return Err(ServiceError::not_found(
                ResourceType::PackageVersion,
                version,
                format!("{name} {version} is {}; it cannot be downloaded.", v.status),
            ));
        }
        let asset = self
            .store
            .get_asset(v.id, NPM_ASSET)
            .await?
            .ok_or_else(|| file_not_found(repo, name, &file))?;
        Ok(Some(self.download(repo.repo.domain_id, v, asset).await?))
    }

    pub(super) async fn npm_package(
        &self,
        repo: &NativeRepo,
        name: &NpmName,
    ) -> ServiceResult<PackageRow> {
        self.store
            .get_package(repo.repo.id, &name.key())
            .await?
            .ok_or_else(|| package_not_found(name, repo.name()))
    }

    /// The tarball's `package.json`; `None` (the version is not listed) when the stored tarball
    /// fails today's checks (one stored before them, e.g. with a second manifest npm would
    /// install instead of the one Arca would list).
    async fn npm_manifest(
        &self,
        domain_id: i64,
        tarball: &AssetRow,
    ) -> ServiceResult<Option<Arc<Value>>> {
        if let Some(m) = self.npm_manifests.get(domain_id, &tarball.sha256) {
            return Ok(Some(m));
        }
        let read = self.open_blob(domain_id, tarball).await?;
        let manifest = match read_package_json(read).await {
            Ok(m) => Arc::new(m),
            Err(ServiceError::Validation(why)) => {
                tracing::warn!(
                    sha256 = tarball.sha256,
                    why,
                    "stored npm tarball refused; its version is not listed"
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        self.npm_manifests
            .put(domain_id, &tarball.sha256, manifest.clone());
        Ok(Some(manifest))
    }
}

/// Adds the versions of a source's packument that the merge does not have yet (old enough for the
/// connection's minimum release age) and its dist-tags (over those of earlier repositories).
fn npm_merge_source(index: &NpmIndex, min_age: Option<std::time::Duration>, merge: &mut Merge) {
    for (version, manifest) in index.visible(min_age) {
        if merge.versions.contains_key(version) {
            continue;
        }
        let dist = manifest.get("dist");
        let text = |k: &str| {
            dist.and_then(|d| d.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        merge.versions.insert(
            version.clone(),
            NpmVersion {
                version: version.clone(),
                published_ms: index.published_ms(version).unwrap_or(0),
                shasum: text("shasum").to_ascii_lowercase(),
                integrity: text("integrity"),
                deprecated: manifest
                    .get("deprecated")
                    .and_then(Value::as_str)
                    .filter(|d| !d.is_empty())
                    .map(str::to_string),
                manifest: manifest.clone(),
            },
        );
    }
    merge.tags.extend(index.dist_tags.clone());
}

#[cfg(test)]
mod tests {
    use super::sri_sha512;

    #[test]
    fn integrity_is_the_sri_of_the_stored_digest() {
        // SHA-512 of "arca".
        let hex = "f79c4f7ec4fe2911eaa0832a3fa15eb12f8b330e536414752e5a7a8fb647f3ae\
                   07507066e42b14731b964076b14125a2708e09b3665bd8e0f7da8ba7be440d43";
        assert_eq!(
            sri_sha512(hex),
            "sha512-95xPfsT+KRHqoIMqP6FesS+LMw5TZBR1Llp6j7ZH864HUHBm5CsUcxuWQHaxQSWicI4Js2Zb2OD32ounvkQNQw=="
        );
        assert_eq!(sri_sha512("0a0b"), "sha512-Cgs=");
        assert_eq!(sri_sha512("not hex"), "sha512-");
    }
}
