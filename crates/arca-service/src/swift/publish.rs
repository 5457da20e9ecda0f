//! `PUT {scope}/{name}/{version}`: a release from its source archive (already staged and hashed),
//! the metadata part and the signatures. Everything is checked before anything is committed: the
//! identity and version, the signatures' format, the metadata against its schema, and the
//! archive (bounded scan: one top-level directory with a `Package.swift` that declares its tools
//! version). Then the release is written through the native publish path every format shares —
//! so origin controls (the package's and its group's) and the 409 for a version an upstream has
//! apply — as an Unfinished version holding the archive, joined by its other files, and set
//! Published last: a client never sees a release without its manifests or metadata.

use arca_metadata::{VersionAction, VersionChange, VersionDetails, VersionRow, VersionStatus};
use bytes::Bytes;

use super::archive::{scan, PackageManifest};
use super::metadata::ReleaseMetadata;
use super::{
    archive_name, check_name, check_scope, check_version, key, signature_asset, METADATA_ASSET,
};
use crate::native::{read_blocking, NativeRepo, NativeVersion, OnExisting, StagedAsset};
use crate::{now_ms, Service, ServiceError, ServiceResult};

/// Largest signature kept.
const MAX_SIGNATURE_BYTES: usize = 64 * 1024;

/// A publish request, beside its staged source archive.
#[derive(Debug, Clone, Default)]
pub struct SwiftPublish {
    pub scope: String,
    pub name: String,
    pub version: String,
    /// The `metadata` part, as sent.
    pub metadata: Option<Vec<u8>>,
    /// The `source-archive-signature` part, as sent.
    pub archive_signature: Option<Vec<u8>>,
    /// The `metadata-signature` part, as sent.
    pub metadata_signature: Option<Vec<u8>>,
    /// `X-Swift-Package-Signature-Format`.
    pub signature_format: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SwiftPublished {
    pub scope: String,
    pub name: String,
    pub version: String,
}

fn invalid(why: impl Into<String>) -> ServiceError {
    ServiceError::validation(why)
}

/// A signature format: `cms-1.0.0` and the like.
fn check_signature_format(f: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&f.len())
        && f.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && !f.starts_with('.')
        && !f.ends_with('.');
    ok.then_some(()).ok_or_else(|| {
        format!("The signature format '{f}' is not valid (letters, digits, '-', '_', '.').")
    })
}

/// The files beside the archive: (asset name, bytes), in the order they are written.
fn extra_files(
    p: &SwiftPublish,
    manifests: Vec<PackageManifest>,
) -> ServiceResult<Vec<(String, Vec<u8>)>> {
    let signed = p.archive_signature.is_some() || p.metadata_signature.is_some();
    let format = match (&p.signature_format, signed) {
        (Some(f), true) => {
            check_signature_format(f).map_err(invalid)?;
            Some(f.as_str())
        }
        (None, true) => {
            return Err(invalid(
                "A signed release needs the X-Swift-Package-Signature-Format header.",
            ))
        }
        (_, false) => None,
    };
    if p.metadata_signature.is_some() && p.metadata.is_none() {
        return Err(invalid(
            "The metadata-signature part signs a metadata part, which the release does not have.",
        ));
    }
    let mut files: Vec<(String, Vec<u8>)> = manifests
        .into_iter()
        .map(|m| (m.file_name, m.bytes))
        .collect();
    if let Some(m) = &p.metadata {
        files.push((METADATA_ASSET.to_string(), m.clone()));
    }
    for (part, sig) in [
        ("source-archive", &p.archive_signature),
        ("metadata", &p.metadata_signature),
    ] {
        if let (Some(sig), Some(format)) = (sig, format) {
            if sig.is_empty() || sig.len() > MAX_SIGNATURE_BYTES {
                return Err(invalid(format!(
                    "The {part} signature must have 1 to {MAX_SIGNATURE_BYTES} bytes."
                )));
            }
            files.push((signature_asset(part, format), sig.clone()));
        }
    }
    Ok(files)
}

impl Service {
    /// Publishes a release: `archive` is the staged `source-archive` part.
    pub async fn swift_publish(
        &self,
        repo: &NativeRepo,
        p: SwiftPublish,
        archive: StagedAsset,
    ) -> ServiceResult<SwiftPublished> {
        check_scope(&p.scope).map_err(invalid)?;
        check_name(&p.name).map_err(invalid)?;
        check_version(&p.version).map_err(invalid)?;
        let meta = match &p.metadata {
            Some(m) => ReleaseMetadata::parse(m).map_err(invalid)?,
            None => ReleaseMetadata::default(),
        };
        let read = archive.blob.read().await?;
        let manifests = read_blocking(read, "a Swift source archive", scan)
            .await?
            .map_err(|why| invalid(format!("The release was refused: {why}.")))?;
        let files = extra_files(&p, manifests)?;
        let mut staged = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            let body =
                futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(bytes)) });
            staged.push((name, self.stage_for(&repo.repo, body).await?));
        }

        let key = key(&p.scope, &p.name);
        let version = |asset_name: String, on_existing| NativeVersion {
            key: key.clone(),
            version: p.version.clone(),
            metadata: meta.version_metadata(&p.name),
            asset_name,
            requires_python: None,
            status: VersionStatus::Unfinished,
            on_existing,
            details: VersionDetails::default(),
            dist_tags: Vec::new(),
            origin: None,
        };
        let archive_asset = archive_name(&key.name, &p.version);
        let mut row = self
            .publish_as(repo, version(archive_asset, OnExisting::Conflict), archive)
            .await?;
        for (name, file) in staged {
            let joined = self
                .publish_as(repo, version(name, OnExisting::JoinUnfinished), file)
                .await;
            row = match joined {
                Ok(row) => row,
                Err(e) => {
                    self.swift_abandon(&row).await;
                    return Err(e);
                }
            };
        }
        self.swift_finish(&row).await?;
        Ok(SwiftPublished {
            scope: key.namespace,
            name: p.name,
            version: p.version,
        })
    }

    /// Sets the release Published, its files all there.
    async fn swift_finish(&self, row: &VersionRow) -> ServiceResult<()> {
        let change = VersionChange {
            version_id: row.id,
            expect_status: VersionStatus::Unfinished,
            expect_revision: row.revision.clone(),
            action: VersionAction::SetStatus {
                status: VersionStatus::Published,
                published_ms: now_ms(),
            },
        };
        self.store
            .apply_version_changes(&[change])
            .await
            .map_err(|e| match e {
                arca_metadata::StoreError::PreconditionFailed => ServiceError::conflict(
                    crate::ResourceType::PackageVersion,
                    &row.version,
                    format!(
                        "Version {} changed while it was being published; it was not published.",
                        row.version
                    ),
                ),
                e => e.into(),
            })
    }

    /// Removes a release whose publish failed after its archive was written (best effort: what
    /// remains is an Unfinished version, which no Swift client sees).
    async fn swift_abandon(&self, row: &VersionRow) {
        let Ok(Some(now)) = self.store.get_version(row.package_id, &row.version).await else {
            return;
        };
        if now.status != VersionStatus::Unfinished {
            return;
        }
        let change = VersionChange {
            version_id: now.id,
            expect_status: now.status,
            expect_revision: now.revision,
            action: VersionAction::Delete,
        };
        if let Err(e) = self.store.apply_version_changes(&[change]).await {
            tracing::warn!(version = row.version, error = %e, "swift publish: the unfinished release was not removed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish() -> SwiftPublish {
        SwiftPublish {
            scope: "mona".into(),
            name: "LinkedList".into(),
            version: "1.0.0".into(),
            ..SwiftPublish::default()
        }
    }

    #[test]
    fn signatures_need_their_format() {
        let manifests = Vec::new();
        let mut p = publish();
        p.archive_signature = Some(b"sig".to_vec());
        assert!(extra_files(&p, manifests.clone()).is_err());
        p.signature_format = Some("cms-1.0.0".into());
        let files = extra_files(&p, manifests.clone()).unwrap();
        assert_eq!(files[0].0, "source-archive.cms-1.0.0.sig");
        p.metadata_signature = Some(b"msig".to_vec());
        assert!(
            extra_files(&p, manifests.clone()).is_err(),
            "no metadata part"
        );
        p.metadata = Some(b"{}".to_vec());
        let names: Vec<_> = extra_files(&p, manifests.clone())
            .unwrap()
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(
            names,
            [
                "metadata.json",
                "source-archive.cms-1.0.0.sig",
                "metadata.cms-1.0.0.sig"
            ]
        );
        p.signature_format = Some("../x".into());
        assert!(extra_files(&p, manifests).is_err());
    }
}
