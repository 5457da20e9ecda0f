//! A package as npm's writes see it, read once per request, and its document revision (`_rev`).
//!
//! npm's writes send a whole document back (`npm unpublish name@v`, `npm deprecate`) or name one
//! (`npm unpublish name --force`, the tarball DELETE), with the revision they read. CouchDB, behind
//! the public registry, refuses a write whose revision is not the current one (409), so a
//! document read before someone else's change never undoes it; Arca does the same. The revision is
//! not stored: it is derived from everything a packument shows or a write may touch — every
//! version (any status: its version string, status, revision and publish time), the stored
//! dist-tags and the deprecations — as `{versions}-{32 hex digits of a SHA-256}`, so it is the same
//! on every read of an unchanged package, on every replica (and after `arca transfer`: no database
//! id goes in), and changes with any change to any of them (a version deleted and published again
//! has a new publish time).

use arca_metadata::{PackageRow, VersionRow, VersionStatus};
use sha2::{Digest, Sha256};

use super::NpmName;
use crate::native::NativeRepo;
use crate::{ResourceType, Service, ServiceError, ServiceResult};

/// One read of a package: what packuments show and what npm's writes check and change.
#[derive(Debug, Clone)]
pub(super) struct NpmState {
    pub package: PackageRow,
    /// Every version, any status, by version string.
    pub versions: Vec<VersionRow>,
    /// The dist-tags as stored (tag, version), by tag.
    pub tags: Vec<(String, String)>,
    /// (version, message) of the deprecated versions, by version.
    pub deprecations: Vec<(String, String)>,
}

impl NpmState {
    /// The document revision: `N-hex`, N the number of versions.
    pub fn rev(&self) -> String {
        let mut h = Sha256::new();
        field(&mut h, b"arca-npm-rev-v1");
        for v in &self.versions {
            field(&mut h, b"version");
            field(&mut h, v.version.as_bytes());
            field(&mut h, v.status.as_str().as_bytes());
            field(&mut h, v.revision.as_bytes());
            field(&mut h, v.published_ms.to_string().as_bytes());
        }
        for (tag, version) in &self.tags {
            field(&mut h, b"tag");
            field(&mut h, tag.as_bytes());
            field(&mut h, version.as_bytes());
        }
        for (version, message) in &self.deprecations {
            field(&mut h, b"deprecated");
            field(&mut h, version.as_bytes());
            field(&mut h, message.as_bytes());
        }
        let digest = h.finalize();
        format!("{}-{}", self.versions.len(), hex::encode(&digest[..16]))
    }

    /// The Published versions (what npm sees), by version string.
    pub fn published(&self) -> impl Iterator<Item = &VersionRow> {
        self.versions
            .iter()
            .filter(|v| v.status == VersionStatus::Published)
    }

    /// A write must name the current revision: a missing or stale one is a 409 (npm then reads
    /// the package again), so nothing its sender did not see is deleted or overwritten.
    pub fn check_rev(&self, name: &NpmName, sent: Option<&str>) -> ServiceResult<()> {
        let current = self.rev();
        match sent {
            Some(rev) if rev == current => Ok(()),
            Some(rev) => Err(ServiceError::conflict(
                ResourceType::Package,
                name.to_string(),
                format!(
                    "Document update conflict: {name} changed since revision {rev} was read. Read the package again and retry."
                ),
            )),
            None => Err(ServiceError::conflict(
                ResourceType::Package,
                name.to_string(),
                format!(
                    "Document update conflict: the write names no revision of {name}. Read the package and send its _rev."
                ),
            )),
        }
    }
}

/// Length-prefixed, so that no two different states hash the same input.
fn field(h: &mut Sha256, value: &[u8]) {
    h.update((value.len() as u64).to_be_bytes());
    h.update(value);
}

impl Service {
    /// Reads the package once: its versions (all statuses), dist-tags and deprecations.
    pub(super) async fn npm_state(
        &self,
        repo: &NativeRepo,
        name: &NpmName,
    ) -> ServiceResult<NpmState> {
        let package = self.npm_package(repo, name).await?;
        let versions = self.versions_with_status(package.id, None).await?;
        let tags = self.store.list_dist_tags(package.id).await?;
        let deprecations = self.store.package_deprecations(package.id).await?;
        Ok(NpmState {
            package,
            versions,
            tags,
            deprecations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arca_metadata::{OriginRule, OriginType, VersionMetadata, VersionOrigin};

    fn state(versions: &[(&str, VersionStatus)]) -> NpmState {
        NpmState {
            package: PackageRow {
                id: 7,
                repository_id: 1,
                key: NpmName::parse("kit").unwrap().key(),
                origin_publish: OriginRule::Allow,
                origin_upstream: OriginRule::Block,
            },
            versions: versions
                .iter()
                .enumerate()
                .map(|(i, (v, status))| VersionRow {
                    id: i as i64 + 1,
                    package_id: 7,
                    version: v.to_string(),
                    status: *status,
                    revision: format!("rev-{v}"),
                    published_ms: 1000 + i as i64,
                    origin: VersionOrigin {
                        origin_type: OriginType::Internal,
                        repository: None,
                        external_connection: None,
                    },
                    metadata: VersionMetadata::default(),
                })
                .collect(),
            tags: vec![("latest".into(), "1.0.0".into())],
            deprecations: Vec::new(),
        }
    }

    #[test]
    fn the_revision_is_deterministic_and_follows_every_change() {
        let base = state(&[
            ("1.0.0", VersionStatus::Published),
            ("2.0.0", VersionStatus::Unlisted),
        ]);
        let rev = base.rev();
        let (n, hex) = rev.split_once('-').unwrap();
        assert_eq!(n, "2");
        assert!(hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(base.clone().rev(), rev);
        // Database ids do not matter (the same package after `arca transfer`).
        let mut moved = base.clone();
        moved.package.id = 70;
        moved.versions.iter_mut().for_each(|v| v.id += 100);
        assert_eq!(moved.rev(), rev);

        let mut changes: Vec<NpmState> = Vec::new();
        let mut s = base.clone();
        s.versions[1].status = VersionStatus::Published;
        changes.push(s);
        let mut s = base.clone();
        s.versions[0].revision = "other".into();
        changes.push(s);
        let mut s = base.clone();
        s.versions[0].published_ms += 1; // deleted and published again
        changes.push(s);
        let mut s = base.clone();
        s.versions.pop();
        changes.push(s);
        let mut s = base.clone();
        s.tags.push(("beta".into(), "2.0.0".into()));
        changes.push(s);
        let mut s = base.clone();
        s.deprecations.push(("1.0.0".into(), "old".into()));
        changes.push(s);
        for (i, s) in changes.iter().enumerate() {
            assert_ne!(s.rev(), rev, "change {i}");
        }

        let name = NpmName::parse("kit").unwrap();
        assert!(base.check_rev(&name, Some(&rev)).is_ok());
        for sent in [None, Some("undefined"), Some(changes[0].rev().as_str())] {
            assert!(matches!(
                base.check_rev(&name, sent),
                Err(ServiceError::Conflict { .. })
            ));
        }
    }
}
