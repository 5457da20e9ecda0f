//! `cargo publish`: the publish JSON and the `.crate`, already staged and hashed. Checked before
//! anything is committed: the name and version are valid, no crate of the repository differs from
//! the name only in case or `-`/`_`, no version differs only in build metadata, and the crate's
//! own `Cargo.toml` declares what the JSON says (name, version, dependencies, features, links,
//! rust-version), so the index rendered from the stored crate is what cargo published. Then one
//! version with one asset, `{name}-{version}.crate`, Published.

use arca_metadata::{PackageFilter, PackageFormat, VersionDetails, VersionMetadata, VersionStatus};
use serde_json::json;

use super::index::{canonical_name, check_name, version_identity, IndexEntry, PublishMeta};
use super::manifest::{find_manifest, parse_manifest, CrateManifest};
use super::{asset_name, key};
use crate::details::{bounded_readme, check_dependency_count};
use crate::native::{read_blocking, NativeRepo, NativeVersion, OnExisting, StagedAsset};
use crate::{ResourceType, Service, ServiceError, ServiceResult};

#[derive(Debug, Clone)]
pub struct CargoPublished {
    pub name: String,
    pub version: String,
}

impl Service {
    /// Publishes a crate: `meta` is the JSON part of the publish body, `file` the `.crate`.
    pub async fn cargo_publish(
        &self,
        repo: &NativeRepo,
        meta: &[u8],
        file: StagedAsset,
    ) -> ServiceResult<CargoPublished> {
        let meta: PublishMeta = serde_json::from_slice(meta).map_err(|e| {
            ServiceError::validation(format!("The publish metadata is not valid JSON: {e}"))
        })?;
        check_name(&meta.name).map_err(ServiceError::validation)?;
        let identity = version_identity(&meta.vers).map_err(ServiceError::validation)?;
        let (name, vers) = (meta.name.clone(), meta.vers.clone());
        let read = file.blob.read().await?;
        let manifest = read_blocking(read, "a .crate", move |r| {
            find_manifest(r, &name, &vers).map(|m| parse_manifest(&m))
        })
        .await?
        .ok_or_else(|| {
            ServiceError::validation(format!(
                "The .crate has no {}-{}/Cargo.toml (or is not a gzipped tar within Arca's limits).",
                meta.name, meta.vers
            ))
        })?
        .map_err(|e| ServiceError::validation(format!("The crate's {e}.")))?;
        check_against_manifest(&meta.entry(), &manifest, &repo.repo)?;
        self.cargo_check_unique(repo, &meta.name, &identity).await?;

        let dependencies = meta.entry().dependencies();
        check_dependency_count(dependencies.len())?;
        let metadata = metadata(
            &meta.name,
            &meta.description,
            &meta.homepage,
            &meta.repository,
            &meta.license,
        );
        let row = self
            .publish_as(
                repo,
                NativeVersion {
                    key: key(&meta.name),
                    version: meta.vers.clone(),
                    metadata,
                    asset_name: asset_name(&meta.name, &meta.vers),
                    requires_python: None,
                    status: VersionStatus::Published,
                    on_existing: OnExisting::Conflict,
                    details: VersionDetails {
                        dependencies,
                        readme: meta.readme.as_deref().and_then(bounded_readme),
                        deprecated: None,
                    },
                    dist_tags: Vec::new(),
                    origin: None,
                },
                file,
            )
            .await?;
        Ok(CargoPublished {
            name: meta.name,
            version: row.version,
        })
    }

    /// Refuses a crate whose name another crate of the repository has in another spelling, and a
    /// version that differs from a stored one only in build metadata.
    async fn cargo_check_unique(
        &self,
        repo: &NativeRepo,
        name: &str,
        identity: &str,
    ) -> ServiceResult<()> {
        let key = key(name);
        let Some(package) = self.store.get_package(repo.repo.id, &key).await? else {
            // Every spelling starts with the lowercased name up to its first `-` or `_`.
            let stem = key.name.split(['-', '_']).next().unwrap_or_default();
            let filter = PackageFilter {
                format: Some(PackageFormat::Cargo),
                name_prefix: Some(stem.to_string()),
                ..PackageFilter::default()
            };
            let mut after = None;
            loop {
                let page = self
                    .store
                    .list_packages(
                        repo.repo.id,
                        &PackageFilter {
                            after: after.clone(),
                            ..filter.clone()
                        },
                        1000,
                    )
                    .await?;
                if let Some(other) = page
                    .iter()
                    .find(|p| canonical_name(&p.key.name) == canonical_name(name))
                {
                    return Err(ServiceError::conflict(
                        ResourceType::Package,
                        name,
                        format!(
                            "crate `{name}` cannot be published: crate `{}` already exists in repository {} (names differing only in case or '-'/'_' are the same crate).",
                            other.key.name,
                            repo.name()
                        ),
                    ));
                }
                if page.len() < 1000 {
                    return Ok(());
                }
                after = page.last().map(|p| p.key.clone());
            }
        };
        for v in self.versions_with_status(package.id, None).await? {
            if v.version != identity
                && version_identity(&v.version).is_ok_and(|other| other == identity)
            {
                return Err(ServiceError::conflict(
                    ResourceType::PackageVersion,
                    identity,
                    format!(
                        "crate version `{name}@{}` already exists in repository {} (versions differing only in build metadata are the same version).",
                        v.version,
                        repo.name()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// DescribePackageVersion's metadata of a crate: the name as published, its description, homepage,
/// repository and license (an SPDX expression, kept whole as one license name).
pub(super) fn metadata(
    name: &str,
    description: &Option<String>,
    homepage: &Option<String>,
    repository: &Option<String>,
    license: &Option<String>,
) -> VersionMetadata {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    VersionMetadata {
        display_name: Some(name.to_string()),
        summary: text(description),
        home_page: text(homepage),
        source_code_repository: text(repository),
        licenses_json: text(license).map(|l| json!([{ "name": l }]).to_string()),
    }
}

/// The manifest's entry with its dependencies' registries as the index names them, for the
/// repository `repo`: a dependency without `registry-index` is on crates.io; one whose index is
/// this repository's endpoint (any host) is on "this registry" (`null`). A crate ingested from an
/// external source (`external`) names crates.io-index dependencies without a registry: they are
/// the source's, so "this registry" too.
pub(super) fn resolve_registries(
    manifest: &CrateManifest,
    repo: &arca_metadata::RepositoryRow,
    external: bool,
) -> IndexEntry {
    let own = crate::endpoint_path(
        PackageFormat::Cargo,
        &repo.domain_name,
        &repo.domain_owner,
        &repo.name,
    );
    let mut entry = manifest.entry.clone();
    for d in &mut entry.deps {
        d.registry = match d.registry.take() {
            None if external => None,
            None => Some(super::index::CRATES_IO_INDEX.to_string()),
            Some(url)
                if url
                    .trim_end_matches('/')
                    .ends_with(own.trim_end_matches('/')) =>
            {
                None
            }
            Some(url) => Some(url),
        };
    }
    entry.deps.sort();
    entry
}

/// Refuses a publish whose JSON says something the crate's `Cargo.toml` does not.
fn check_against_manifest(
    sent: &IndexEntry,
    manifest: &CrateManifest,
    repo: &arca_metadata::RepositoryRow,
) -> ServiceResult<()> {
    let packed = resolve_registries(manifest, repo, false);
    let differs = |what: &str| {
        ServiceError::validation(format!(
            "The publish metadata does not match the crate's Cargo.toml ({what} differ); publish with cargo, which sends both from one manifest."
        ))
    };
    if (&sent.name, &sent.vers) != (&packed.name, &packed.vers) {
        return Err(differs("name or version"));
    }
    if comparable(sent) != comparable(&packed) {
        return Err(differs("dependencies"));
    }
    if sent.features != packed.features {
        return Err(differs("features"));
    }
    if (&sent.links, &sent.rust_version) != (&packed.links, &packed.rust_version) {
        return Err(differs("links or rust-version"));
    }
    Ok(())
}

/// Dependencies in a form where the publish JSON and the manifest agree: feature lists sorted,
/// `cfg(…)` targets without spaces (cargo re-renders the ones it sends).
fn comparable(e: &IndexEntry) -> Vec<super::index::IndexDep> {
    let mut deps: Vec<_> = e
        .deps
        .iter()
        .cloned()
        .map(|mut d| {
            d.features.sort();
            d.target = d.target.map(|t| t.replace(' ', ""));
            d
        })
        .collect();
    deps.sort();
    deps
}
