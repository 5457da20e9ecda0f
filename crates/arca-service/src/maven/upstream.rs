//! Maven through upstreams: a source's artifact-level `maven-metadata.xml` (parsed once with the
//! bounded walk of `xml.rs`, cached), the merged document of a repository and its upstreams, and
//! the version a file fetched from a source becomes.
//!
//! A source's file is `{source}{group path}/{artifactId}/{version}/{file}`, checked against the
//! `{file}.sha1` and `{file}.sha256` the source publishes beside it (at least one must be there,
//! and every one there must match). The source's document only says which versions exist, not when
//! they were published, so with a minimum release age its versions are left out (fail closed).
//! SNAPSHOTs are never fetched from a source. A file of a release the source's document does not
//! list is still asked for (Maven Central's documents miss some old versions).

use std::collections::BTreeMap;
use std::time::Duration;

use arca_blobstore::BlobRead;
use arca_metadata::{PackageFormat, PackageKey, VersionDetails, VersionMetadata, VersionStatus};
use futures::future::BoxFuture;
use futures::StreamExt;

use super::metadata::parse_last_updated;
use super::publish::key;
use super::{file_name, is_snapshot, parse_metadata, parse_pom, Coords, MAX_XML_BYTES};
use crate::groups::Via;
use crate::native::{NativeRepo, NativeVersion, OnExisting};
use crate::upstream::{UpstreamFile, UpstreamIndex};
use crate::{ResourceType, Service, ServiceError, ServiceResult};

/// A source's `maven-metadata.xml` of one artifact.
#[derive(Debug)]
pub struct MavenIndex {
    /// `{source}{group path}/{artifactId}/`.
    base: String,
    /// As listed, SNAPSHOTs left out.
    pub(crate) versions: Vec<String>,
    /// `<lastUpdated>`, ms since the epoch.
    pub(crate) updated_ms: Option<i64>,
}

impl UpstreamIndex for MavenIndex {
    const FORMAT: PackageFormat = PackageFormat::Maven;
    // §A4: Maven metadata is fresh for 30 minutes.
    const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);
    const ACCEPT: &'static str = "application/xml, text/xml;q=0.9, */*;q=0.1";

    fn index_url(source_url: &str, key: &PackageKey) -> String {
        format!(
            "{source_url}{}/{}/maven-metadata.xml",
            key.namespace.replace('.', "/"),
            key.name
        )
    }

    fn parse(body: &[u8], url: &str) -> Result<Self, String> {
        let base = url
            .strip_suffix("maven-metadata.xml")
            .ok_or("not a maven-metadata.xml URL")?
            .to_string();
        let doc = parse_metadata(body).map_err(|e| e.to_string())?;
        Ok(Self {
            base,
            versions: doc
                .versions
                .into_iter()
                .filter(|v| !is_snapshot(v))
                .collect(),
            updated_ms: doc.last_updated.as_deref().and_then(parse_last_updated),
        })
    }

    fn cost(&self) -> usize {
        self.versions.iter().map(|v| v.len() + 32).sum::<usize>() + self.base.len() + 256
    }

    fn has_version(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v == version)
    }

    fn published_ms(&self, _version: &str) -> Option<i64> {
        None
    }

    fn file(&self, version: &str, file: &str) -> Option<UpstreamFile> {
        if is_snapshot(version) {
            return None;
        }
        let url = format!("{}{version}/{file}", self.base);
        Some(UpstreamFile {
            checksum_files: vec![
                ("sha1", format!("{url}.sha1")),
                ("sha256", format!("{url}.sha256")),
            ],
            url,
            ..Default::default()
        })
    }
}

/// The versions of a merged `maven-metadata.xml`, each with its newest publish time (0 when only
/// a source has it).
#[derive(Debug, Default)]
pub(crate) struct MergedVersions {
    pub versions: BTreeMap<String, i64>,
    pub updated_ms: i64,
    /// Why part of it is a stale copy of a source's document (for a `Warning` header).
    pub stale: Option<String>,
}

impl Service {
    /// The versions `maven-metadata.xml` lists through `repo`: the Published versions of the
    /// repository and its upstreams (a SNAPSHOT's builds as the SNAPSHOT) and those their external
    /// sources list (§A3: union), unless the package's `upstream` origin control is BLOCK here.
    pub(crate) async fn maven_merged_versions(
        &self,
        repo: &NativeRepo,
        coords: &Coords,
    ) -> ServiceResult<MergedVersions> {
        let key = key(coords);
        let order = self.search_order(&repo.repo).await?;
        let mut merged = MergedVersions::default();
        let mut unavailable = None;
        for (i, hop) in order.iter().enumerate() {
            if i == 1
                && !self
                    .upstream_allowed(&repo.repo, &key, Via::Upstream)
                    .await?
            {
                break;
            }
            if let Some(package) = self.store.get_package(hop.id, &key).await? {
                for v in self.published_versions(package.id).await? {
                    let shown = super::read::snapshot_of(&v.version).unwrap_or(v.version);
                    let at = merged.versions.entry(shown).or_insert(v.published_ms);
                    *at = (*at).max(v.published_ms);
                    merged.updated_ms = merged.updated_ms.max(v.published_ms);
                }
            }
            let Some((connection, source)) = self.source_of(hop, PackageFormat::Maven) else {
                continue;
            };
            if !self
                .upstream_allowed(hop, &key, Via::ExternalConnection)
                .await?
            {
                continue;
            }
            let cache = &self.upstream_caches.maven;
            let found = self.source_index(cache, &connection, source, &key).await;
            let Some(index) = found.for_merge(&mut merged.stale, &mut unavailable) else {
                continue;
            };
            if source.min_release_age.is_some() {
                continue;
            }
            for v in &index.versions {
                merged.versions.entry(v.clone()).or_insert(0);
            }
            merged.updated_ms = merged.updated_ms.max(index.updated_ms.unwrap_or(0));
        }
        if merged.versions.is_empty() {
            let what = format!("{}/maven-metadata.xml", coords.artifact_id);
            return Err(match unavailable {
                Some(why) => ServiceError::Upstream(format!(
                    "{what} is not in repository {} and its upstream source is unavailable ({why}); try again later.",
                    repo.name()
                )),
                None => ServiceError::not_found(
                    ResourceType::Asset,
                    &what,
                    format!("{what} not found in repository {}.", repo.name()),
                ),
            });
        }
        merged.stale = merged.stale.or(unavailable);
        Ok(merged)
    }

    /// The version a Maven file fetched from a source becomes: Published, with the POM's metadata
    /// and dependencies when the file is the POM (which must name the artifact and version asked
    /// for); the file joins the version if it exists already.
    pub(crate) fn maven_ingest<'a>(
        &'a self,
        coords: &'a Coords,
        version: &'a str,
        file: &'a str,
        read: BlobRead,
    ) -> BoxFuture<'a, ServiceResult<NativeVersion>> {
        Box::pin(async move {
            let name = file_name(&coords.artifact_id, version, file).ok_or_else(|| {
                ServiceError::Upstream(format!("{file} is not a file of {version}"))
            })?;
            let pom = name.extension == "pom" && name.classifier.is_none();
            let (metadata, details) = if pom {
                let bytes = read_bounded(read, MAX_XML_BYTES).await?;
                let refused = |why: String| {
                    ServiceError::Upstream(format!(
                        "the source's POM of {}:{}:{version} is unusable ({why}); nothing was kept",
                        coords.group_id, coords.artifact_id
                    ))
                };
                let parsed = parse_pom(&bytes).map_err(|e| refused(e.to_string()))?;
                parsed
                    .check_matches(coords, version)
                    .map_err(|e| refused(e.to_string()))?;
                (parsed.version_metadata(), parsed.version_details())
            } else {
                (VersionMetadata::default(), VersionDetails::default())
            };
            Ok(NativeVersion {
                key: key(coords),
                version: version.to_string(),
                metadata,
                asset_name: file.to_string(),
                requires_python: None,
                status: VersionStatus::Published,
                on_existing: OnExisting::AddMavenFile { pom },
                details,
                dist_tags: Vec::new(),
                origin: None,
            })
        })
    }
}

/// A stored file's bytes, if it has at most `max`.
async fn read_bounded(read: BlobRead, max: usize) -> ServiceResult<Vec<u8>> {
    if read.size > max as u64 {
        return Err(ServiceError::Upstream(format!(
            "the source's POM is over {max} bytes; nothing was kept"
        )));
    }
    let mut out = Vec::with_capacity(read.size as usize);
    let mut stream = read.stream;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ServiceError::Internal(format!("reading a staged POM: {e}")))?;
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_source_document() {
        let url = "https://repo.test/maven2/org/acme/kit/maven-metadata.xml";
        let idx = MavenIndex::parse(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>org.acme</groupId><artifactId>kit</artifactId><versioning>
<latest>2.0</latest><release>2.0</release>
<versions><version>1.0</version><version>2.0-SNAPSHOT</version><version>2.0</version></versions>
<lastUpdated>20250101120000</lastUpdated></versioning></metadata>"#,
            url,
        )
        .unwrap();
        assert_eq!(idx.versions, ["1.0", "2.0"]);
        assert_eq!(idx.updated_ms, Some(1_735_732_800_000));
        let f = idx.file("1.0", "kit-1.0.jar").unwrap();
        assert_eq!(
            f.url,
            "https://repo.test/maven2/org/acme/kit/1.0/kit-1.0.jar"
        );
        assert_eq!(
            f.checksum_files,
            [
                ("sha1", format!("{}.sha1", f.url)),
                ("sha256", format!("{}.sha256", f.url))
            ]
        );
        assert!(
            f.digests.is_empty(),
            "the digests come from the checksum files"
        );
        assert!(idx.file("2.0-SNAPSHOT", "kit-2.0-SNAPSHOT.jar").is_none());
        assert_eq!(
            MavenIndex::index_url(
                "https://repo.test/maven2/",
                &PackageKey {
                    format: PackageFormat::Maven,
                    namespace: "org.acme".into(),
                    name: "kit".into()
                }
            ),
            url
        );
        assert!(MavenIndex::parse(b"<project/>", url).is_err());
        assert!(MavenIndex::parse(b"<metadata/>", "https://x/other.xml").is_err());
    }
}
