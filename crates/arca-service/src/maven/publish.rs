//! PUTs (`mvn deploy`): each file becomes an asset of its version, created Unfinished; a POM also
//! sets the version's metadata; a checksum file is checked against the stored hashes and not
//! stored; the artifact-level `maven-metadata.xml` publishes the versions it lists (for a
//! SNAPSHOT: its newest build, the other builds become Unlisted).

use std::collections::BTreeSet;

use arca_blobstore::BoxError;
use arca_metadata::{
    PackageFormat, PackageKey, StoreError, VersionAction, VersionChange, VersionDetails,
    VersionMetadata, VersionRow, VersionStatus,
};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use super::{
    build_of, file_name, is_snapshot, parse_metadata, parse_pom, Checksum, Coords, MavenPath,
    MAX_CHECKSUM_BYTES, MAX_XML_BYTES,
};
use crate::native::{NativeRepo, NativeVersion, OnExisting};
use crate::{now_ms, ResourceType, Service, ServiceError, ServiceResult, CAS_RETRIES};

/// What a PUT did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MavenPut {
    /// A file stored into `version` (its status after the write).
    Stored {
        version: String,
        status: VersionStatus,
    },
    /// A checksum matched the stored file.
    ChecksumMatched,
    /// The artifact-level metadata published these versions.
    Published { versions: Vec<String> },
    /// A document Arca generates itself (version-level metadata, metadata checksums): checked, not kept.
    Accepted,
}

pub(crate) fn key(c: &Coords) -> PackageKey {
    PackageKey {
        format: PackageFormat::Maven,
        namespace: c.group_id.clone(),
        name: c.artifact_id.clone(),
    }
}

/// The body, if it has at most `max` bytes (else 413).
async fn read_bounded<S, E>(body: S, max: usize, what: &str) -> ServiceResult<Bytes>
where
    S: Stream<Item = Result<Bytes, E>> + Send,
    E: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            ServiceError::validation(format!(
                "The upload could not be read completely: {}",
                e.into()
            ))
        })?;
        if buf.len() + chunk.len() > max {
            return Err(ServiceError::quota(
                ResourceType::Asset,
                what,
                format!("{what} exceeds {max} bytes."),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A checksum file's digest: its first word (some tools append the file name).
fn checksum_text(bytes: &[u8], kind: Checksum) -> ServiceResult<String> {
    let text = std::str::from_utf8(bytes).unwrap_or("");
    let word = text.split_whitespace().next().unwrap_or("");
    if word.len() != kind.hex_len() || !word.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::validation(format!(
            "A {kind:?} checksum file must hold {} hexadecimal digits.",
            kind.hex_len()
        )));
    }
    Ok(word.to_string())
}

impl Service {
    /// A PUT below the Maven endpoint.
    pub async fn maven_put<S, E>(
        &self,
        repo: &NativeRepo,
        path: &MavenPath,
        body: S,
    ) -> ServiceResult<MavenPut>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        match path {
            MavenPath::File {
                coords,
                version,
                file,
                checksum: Some(kind),
            } => {
                let sent = read_bounded(body, MAX_CHECKSUM_BYTES, "A checksum file").await?;
                let sent = checksum_text(&sent, *kind)?;
                let (_, asset) = self.maven_asset(repo, coords, version, file, false).await?;
                if sent != kind.of(&asset) {
                    return Err(ServiceError::validation(format!(
                        "The {kind:?} checksum {sent} does not match {file} ({}); checksums are lowercase hex.",
                        kind.of(&asset)
                    )));
                }
                Ok(MavenPut::ChecksumMatched)
            }
            MavenPath::File {
                coords,
                version,
                file,
                checksum: None,
            } => self.maven_put_file(repo, coords, version, file, body).await,
            MavenPath::ArtifactMetadata {
                coords,
                checksum: None,
            } => {
                // Publishing what the files uploaded (each needed PublishPackageVersion) is a
                // metadata write too (§C4).
                self.authorize_native_write(repo, &key(coords), "codeartifact:PutPackageMetadata")
                    .await?;
                let bytes = read_bounded(body, MAX_XML_BYTES, "maven-metadata.xml").await?;
                let doc = parse_metadata(&bytes)?;
                doc.check_matches(coords)?;
                let versions = self
                    .maven_publish_listed(repo, coords, &doc.versions)
                    .await?;
                Ok(MavenPut::Published { versions })
            }
            MavenPath::SnapshotMetadata {
                coords,
                version,
                checksum: None,
            } => {
                let bytes = read_bounded(body, MAX_XML_BYTES, "maven-metadata.xml").await?;
                let doc = parse_metadata(&bytes)?;
                doc.check_matches(coords)?;
                if doc.version.as_deref().is_some_and(|v| v != version) {
                    return Err(ServiceError::validation(format!(
                        "maven-metadata.xml's version does not match the path's '{version}'."
                    )));
                }
                Ok(MavenPut::Accepted)
            }
            MavenPath::ArtifactMetadata {
                checksum: Some(kind),
                ..
            }
            | MavenPath::SnapshotMetadata {
                checksum: Some(kind),
                ..
            } => {
                // Arca serves metadata it generates, so there is no stored document to compare with.
                let sent = read_bounded(body, MAX_CHECKSUM_BYTES, "A checksum file").await?;
                checksum_text(&sent, *kind)?;
                Ok(MavenPut::Accepted)
            }
        }
    }

    async fn maven_put_file<S, E>(
        &self,
        repo: &NativeRepo,
        coords: &Coords,
        dir: &str,
        file: &str,
        body: S,
    ) -> ServiceResult<MavenPut>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BoxError>,
    {
        let name = file_name(&coords.artifact_id, dir, file).ok_or_else(|| {
            ServiceError::validation(format!(
                "Invalid file name '{file}': in {dir}/ it must be {}-{}[-classifier].extension.",
                coords.artifact_id,
                if is_snapshot(dir) {
                    "{version}-{yyyyMMdd.HHmmss}-{build}".to_string()
                } else {
                    dir.to_string()
                }
            ))
        })?;
        if is_snapshot(&name.version) {
            return Err(ServiceError::validation(format!(
                "'{file}' is a non-unique SNAPSHOT: only timestamped builds (as Maven 3 deploys them) can be published."
            )));
        }
        let pom = name.extension == "pom" && name.classifier.is_none();
        let (staged, metadata, details) = if pom {
            let bytes = read_bounded(body, MAX_XML_BYTES, "A POM").await?;
            let parsed = parse_pom(&bytes)?;
            parsed.check_matches(coords, dir)?;
            let once = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
            (
                self.stage_asset(repo, once).await?,
                parsed.version_metadata(),
                parsed.version_details(),
            )
        } else {
            (
                self.stage_asset(repo, body).await?,
                VersionMetadata::default(),
                VersionDetails::default(),
            )
        };
        let row = self
            .publish_as(
                repo,
                NativeVersion {
                    key: key(coords),
                    version: name.version,
                    metadata,
                    asset_name: file.to_string(),
                    status: VersionStatus::Unfinished,
                    on_existing: OnExisting::AddMavenFile { pom },
                    requires_python: None,
                    details,
                    dist_tags: Vec::new(),
                    origin: None,
                },
                staged,
            )
            .await?;
        Ok(MavenPut::Stored {
            version: row.version,
            status: row.status,
        })
    }

    /// Publishes what an artifact-level `maven-metadata.xml` lists: Unfinished versions become
    /// Published; for `X-SNAPSHOT`, its newest Unfinished or Published build becomes Published and
    /// its other builds Unlisted. Versions Arca does not hold are ignored (the document lists old
    /// versions too). Returns the versions that became Published.
    async fn maven_publish_listed(
        &self,
        repo: &NativeRepo,
        coords: &Coords,
        listed: &[String],
    ) -> ServiceResult<Vec<String>> {
        let Some(package) = self.store.get_package(repo.repo.id, &key(coords)).await? else {
            if listed.is_empty() {
                return Ok(Vec::new());
            }
            return Err(ServiceError::not_found(
                ResourceType::Package,
                format!("{}:{}", coords.group_id, coords.artifact_id),
                format!(
                    "{}:{} has no files in repository {}: upload them before maven-metadata.xml.",
                    coords.group_id,
                    coords.artifact_id,
                    repo.name()
                ),
            ));
        };
        let listed: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
        for _ in 0..CAS_RETRIES {
            let all = self.versions_with_status(package.id, None).await?;
            let (changes, published) = plan(&all, &listed, now_ms());
            if changes.is_empty() {
                return Ok(published);
            }
            match self.store.apply_version_changes(&changes).await {
                Ok(()) => return Ok(published),
                Err(StoreError::PreconditionFailed) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal(
            "maven metadata: too many concurrent updates of the same versions".into(),
        ))
    }
}

/// The status changes that publishing `listed` means for the stored versions `all`.
fn plan(
    all: &[VersionRow],
    listed: &BTreeSet<&str>,
    now: i64,
) -> (Vec<VersionChange>, Vec<String>) {
    let mut changes = Vec::new();
    let mut published = Vec::new();
    let mut set = |v: &VersionRow, status: VersionStatus| {
        if v.status == status {
            return;
        }
        let published_ms = if v.status == VersionStatus::Unfinished {
            now
        } else {
            v.published_ms
        };
        changes.push(VersionChange {
            version_id: v.id,
            expect_status: v.status,
            expect_revision: v.revision.clone(),
            action: VersionAction::SetStatus {
                status,
                published_ms,
            },
        });
        if status == VersionStatus::Published {
            published.push(v.version.clone());
        }
    };
    let live = |v: &&VersionRow| {
        matches!(
            v.status,
            VersionStatus::Unfinished | VersionStatus::Published
        )
    };
    for name in listed {
        if is_snapshot(name) {
            let builds: Vec<&VersionRow> = all
                .iter()
                .filter(|v| build_of(name, &v.version).is_some())
                .filter(live)
                .collect();
            let Some(newest) = builds.iter().max_by_key(|v| build_of(name, &v.version)) else {
                continue;
            };
            for b in &builds {
                if b.id != newest.id {
                    set(b, VersionStatus::Unlisted);
                }
            }
            set(newest, VersionStatus::Published);
        } else if let Some(v) = all.iter().find(|v| v.version == *name) {
            if v.status == VersionStatus::Unfinished {
                set(v, VersionStatus::Published);
            }
        }
    }
    (changes, published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arca_metadata::{OriginType, VersionOrigin};

    fn row(id: i64, version: &str, status: VersionStatus) -> VersionRow {
        VersionRow {
            id,
            package_id: 1,
            version: version.into(),
            status,
            revision: format!("r{id}"),
            published_ms: id,
            origin: VersionOrigin {
                origin_type: OriginType::Internal,
                repository: None,
                external_connection: None,
            },
            metadata: VersionMetadata::default(),
        }
    }

    #[test]
    fn publishing_lists_and_snapshot_builds() {
        use VersionStatus::*;
        let all = [
            row(1, "1.0", Published),
            row(2, "1.1", Unfinished),
            row(3, "2.0-20250101.120000-1", Published),
            row(4, "2.0-20250102.120000-2", Unfinished),
            row(5, "2.0-20250101.090000-9", Unlisted),
            row(6, "3.0", Archived),
        ];
        let listed: BTreeSet<&str> = ["1.0", "1.1", "2.0-SNAPSHOT", "3.0", "9.9"].into();
        let (changes, published) = plan(&all, &listed, 100);
        assert_eq!(published, ["1.1", "2.0-20250102.120000-2"]);
        let got: Vec<(i64, VersionStatus, i64)> = changes
            .iter()
            .map(|c| match c.action {
                VersionAction::SetStatus {
                    status,
                    published_ms,
                } => (c.version_id, status, published_ms),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            got,
            [(2, Published, 100), (3, Unlisted, 3), (4, Published, 100)]
        );
        assert!(checksum_text(b"ABCDEF", Checksum::Md5).is_err());
        assert_eq!(
            checksum_text(
                b"0123456789abcdef0123456789abcdef  app.jar\n",
                Checksum::Md5
            )
            .unwrap(),
            "0123456789abcdef0123456789abcdef"
        );
    }
}
