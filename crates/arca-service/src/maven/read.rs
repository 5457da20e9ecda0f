//! GETs (`mvn dependency:get`, builds): files of Published and Unlisted versions download
//! (Unfinished, Archived and Disposed never do); checksums come from the stored hashes; both
//! `maven-metadata.xml` documents are generated from the Published versions, so Unlisted versions
//! and builds vanish from them; `X-SNAPSHOT` resolves to its Published build. The artifact-level
//! document is merged with the upstreams' (`upstream.rs`), in Maven's version order; a release
//! file the repository does not hold is retained from its upstreams first (`upstream::retain`).

use arca_metadata::{AssetRow, PackageRow, VersionRow, VersionStatus};
use bytes::Bytes;

use super::metadata::{artifact_document, snapshot_document, SnapshotFile};
use super::publish::key;
use super::{build_of, file_name, is_snapshot, Build, Checksum, Coords, MavenPath};
use crate::native::NativeRepo;
use crate::upstream::tee::{Tee, Teed};
use crate::{FileDownload, ResourceType, Service, ServiceError, ServiceResult};

/// What a GET answers.
#[derive(Debug)]
pub enum MavenGet {
    File(FileDownload),
    /// A generated document or a checksum.
    Document {
        body: Bytes,
        content_type: &'static str,
        /// Built from a stale copy of an upstream source's document (the source failed).
        stale: bool,
    },
}

/// A file found stored, or streaming from an external source as it is kept.
enum MavenFile {
    Stored(Box<(VersionRow, AssetRow)>),
    Streaming(FileDownload),
}

const XML: &str = "application/xml";
const TEXT: &str = "text/plain";

fn document(body: String, checksum: Option<Checksum>, stale: bool) -> MavenGet {
    match checksum {
        Some(k) => MavenGet::Document {
            body: k.digest(body.as_bytes()).into(),
            content_type: TEXT,
            stale,
        },
        None => MavenGet::Document {
            body: body.into(),
            content_type: XML,
            stale,
        },
    }
}

fn not_found(what: &str, repo: &NativeRepo) -> ServiceError {
    ServiceError::not_found(
        ResourceType::Asset,
        what,
        format!("{what} not found in repository {}.", repo.name()),
    )
}

/// The SNAPSHOT a build version belongs to (`1.0-20250101.120000-3` → `1.0-SNAPSHOT`).
pub(super) fn snapshot_of(version: &str) -> Option<String> {
    let mut parts = version.rsplitn(3, '-');
    let (_, _, base) = (parts.next()?, parts.next()?, parts.next()?);
    let snapshot = format!("{base}-SNAPSHOT");
    build_of(&snapshot, version).map(|_| snapshot)
}

impl Service {
    /// A GET or HEAD below the Maven endpoint.
    pub async fn maven_get(&self, repo: &NativeRepo, path: &MavenPath) -> ServiceResult<MavenGet> {
        match path {
            MavenPath::File {
                coords,
                version,
                file,
                checksum,
            } => {
                match self
                    .maven_file(repo, coords, version, file, checksum.is_none())
                    .await?
                {
                    MavenFile::Streaming(d) => Ok(MavenGet::File(d)),
                    MavenFile::Stored(found) => match checksum {
                        Some(k) => Ok(MavenGet::Document {
                            body: Bytes::from(k.of(&found.1).to_string()),
                            content_type: TEXT,
                            stale: false,
                        }),
                        None => {
                            let (v, asset) = *found;
                            let d = self.download(repo.repo.domain_id, v, asset).await?;
                            Ok(MavenGet::File(d.into()))
                        }
                    },
                }
            }
            MavenPath::ArtifactMetadata { coords, checksum } => {
                let merged = self.maven_merged_versions(repo, coords).await?;
                let mut names: Vec<String> = merged.versions.into_keys().collect();
                names.sort_by(|a, b| super::version::compare(a, b));
                Ok(document(
                    artifact_document(coords, &names, merged.updated_ms),
                    *checksum,
                    merged.stale.is_some(),
                ))
            }
            MavenPath::SnapshotMetadata {
                coords,
                version,
                checksum,
            } => {
                let what = format!("{}/{version}/maven-metadata.xml", coords.artifact_id);
                let package = self.maven_package(repo, coords).await?;
                let (build, b) = self
                    .current_build(&package, version)
                    .await?
                    .ok_or_else(|| not_found(&what, repo))?;
                let files: Vec<SnapshotFile> = self
                    .store
                    .version_assets(build.id)
                    .await?
                    .iter()
                    .filter_map(|a| file_name(&coords.artifact_id, version, &a.name))
                    .filter(|f| f.version == build.version)
                    .map(|f| SnapshotFile {
                        classifier: f.classifier,
                        extension: f.extension,
                    })
                    .collect();
                let doc = snapshot_document(
                    coords,
                    version,
                    &build.version,
                    &b,
                    &files,
                    build.published_ms,
                );
                Ok(document(doc, *checksum, false))
            }
        }
    }

    /// A downloadable file: from the repository, else retained from its upstreams or their
    /// external sources first (one fetch however many ask at once). A file fetched from a source
    /// streams to the client as it is kept when `stream` is set; a checksum of a file not held yet
    /// retains the file too (`stream` unset), then comes from its stored hashes.
    async fn maven_file(
        &self,
        repo: &NativeRepo,
        coords: &Coords,
        dir: &str,
        file: &str,
        stream: bool,
    ) -> ServiceResult<MavenFile> {
        let stored = |found: ServiceResult<(VersionRow, AssetRow)>| {
            found.map(|found| MavenFile::Stored(Box::new(found)))
        };
        match self.maven_asset(repo, coords, dir, file, true).await {
            Err(ServiceError::NotFound {
                resource_type: ResourceType::Asset | ResourceType::Package,
                ..
            }) if !is_snapshot(dir) && file_name(&coords.artifact_id, dir, file).is_some() => {}
            done => return stored(done),
        }
        let key = key(coords);
        let flight = format!(
            "{}\n{}:{}\n{dir}\n{file}",
            repo.repo.id, coords.group_id, coords.artifact_id
        );
        let flight = self.flights.clone().enter(flight).await;
        match self.maven_asset(repo, coords, dir, file, true).await {
            Err(ServiceError::NotFound {
                resource_type: ResourceType::Asset | ResourceType::Package,
                ..
            }) => {}
            done => return stored(done),
        }
        let (svc, requested, owned) = (self.clone(), repo.repo.clone(), coords.clone());
        let (dir_owned, file_owned) = (dir.to_string(), file.to_string());
        let retain = |tee: Tee| async move {
            let (coords, dir, file) = (&owned, dir_owned.as_str(), file_owned.as_str());
            let ingest = |read| svc.maven_ingest(coords, dir, file, read);
            let cache = &svc.upstream_caches.maven;
            svc.retain_from_upstreams(cache, &requested, &key, dir, file, &ingest, &tee)
                .await
        };
        if stream {
            if let Teed::Streaming(d) = self.retain_teed(flight, retain).await? {
                return Ok(MavenFile::Streaming(d));
            }
        } else {
            retain(Tee::none()).await?;
            drop(flight);
        }
        stored(self.maven_asset(repo, coords, dir, file, true).await)
    }

    /// The Published build of `snapshot` (the newest, should several be Published).
    async fn current_build(
        &self,
        package: &PackageRow,
        snapshot: &str,
    ) -> ServiceResult<Option<(VersionRow, Build)>> {
        Ok(self
            .published_versions(package.id)
            .await?
            .into_iter()
            .filter_map(|v| build_of(snapshot, &v.version).map(|b| (v, b)))
            .max_by(|a, b| a.1.cmp(&b.1)))
    }

    async fn maven_package(&self, repo: &NativeRepo, coords: &Coords) -> ServiceResult<PackageRow> {
        self.store
            .get_package(repo.repo.id, &key(coords))
            .await?
            .ok_or_else(|| {
                ServiceError::not_found(
                    ResourceType::Package,
                    format!("{}:{}", coords.group_id, coords.artifact_id),
                    format!(
                        "{}:{} not found in repository {}.",
                        coords.group_id,
                        coords.artifact_id,
                        repo.name()
                    ),
                )
            })
    }

    /// The stored file `file` in directory `dir`; with `downloadable`, only of a Published or
    /// Unlisted version, and `X-SNAPSHOT` file names resolve to the Published build's file.
    pub(crate) async fn maven_asset(
        &self,
        repo: &NativeRepo,
        coords: &Coords,
        dir: &str,
        file: &str,
        downloadable: bool,
    ) -> ServiceResult<(VersionRow, AssetRow)> {
        let missing = || not_found(&format!("{dir}/{file}"), repo);
        let name = file_name(&coords.artifact_id, dir, file).ok_or_else(missing)?;
        let package = self.maven_package(repo, coords).await?;
        let (v, asset_name) = if is_snapshot(&name.version) {
            if !downloadable {
                return Err(missing());
            }
            let (build, _) = self
                .current_build(&package, dir)
                .await?
                .ok_or_else(missing)?;
            // `app-1.0-SNAPSHOT-sources.jar` → `app-1.0-20250101.120000-3-sources.jar`.
            let tail = &file[coords.artifact_id.len() + 1 + dir.len()..];
            let asset = format!("{}-{}{tail}", coords.artifact_id, build.version);
            (build, asset)
        } else {
            let v = self
                .store
                .get_version(package.id, &name.version)
                .await?
                .ok_or_else(missing)?;
            (v, file.to_string())
        };
        if downloadable && !matches!(v.status, VersionStatus::Published | VersionStatus::Unlisted) {
            return Err(ServiceError::not_found(
                ResourceType::PackageVersion,
                &v.version,
                format!(
                    "{}:{} {} is {}; its files cannot be downloaded.",
                    coords.group_id, coords.artifact_id, v.version, v.status
                ),
            ));
        }
        let asset = self
            .store
            .get_asset(v.id, &asset_name)
            .await?
            .ok_or_else(missing)?;
        Ok((v, asset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_belong_to_their_snapshot() {
        assert_eq!(
            snapshot_of("1.0-beta-20250101.120000-3").as_deref(),
            Some("1.0-beta-SNAPSHOT")
        );
        assert_eq!(snapshot_of("1.0"), None);
        assert_eq!(snapshot_of("1.0-rc-1"), None);
    }
}
