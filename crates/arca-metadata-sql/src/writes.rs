//! The statements of the version writes, the same on every backend: the fields of a written
//! version row, its insert and overwrite, the `At` guard, assets, and the status changes. The
//! backends run them inside their transactions, after taking their locks.

use crate::Stmt;
use arca_metadata::StoreResult;
use arca_metadata::{
    AssetRow, CopiedVersion, ExternalConnectionChange, OriginRule, PackageKey, PublishWrite,
    VersionAction, VersionChange, VersionExpectation, VersionMetadata, VersionOrigin, VersionRow,
    VersionStatus,
};

/// The full content of a version row as written by a publish or a copy.
pub struct VersionFields<'a> {
    pub status: VersionStatus,
    pub revision: &'a str,
    pub published_ms: i64,
    pub origin: &'a VersionOrigin,
    pub metadata: &'a VersionMetadata,
}

impl<'a> From<&'a CopiedVersion> for VersionFields<'a> {
    fn from(v: &'a CopiedVersion) -> Self {
        VersionFields {
            status: v.status,
            revision: &v.revision,
            published_ms: v.published_ms,
            origin: &v.origin,
            metadata: &v.metadata,
        }
    }
}

impl<'a> From<&'a PublishWrite> for VersionFields<'a> {
    fn from(w: &'a PublishWrite) -> Self {
        VersionFields {
            status: w.status,
            revision: &w.revision,
            published_ms: w.published_ms,
            origin: &w.origin,
            metadata: &w.metadata,
        }
    }
}

impl<'a> VersionFields<'a> {
    /// `INSERT INTO package_versions … RETURNING id`: a new version of `package_id`.
    pub fn insert(&self, package_id: i64, version: &str) -> Stmt {
        let mut qb = Stmt::new(
            "INSERT INTO package_versions (package_id, version, status, revision, published_ms, \
             origin_type, origin_repository, origin_external_connection, \
             display_name, summary, home_page, source_code_repository, licenses_json) VALUES (",
        );
        let mut values = qb.separated(", ");
        values
            .push_bind(package_id)
            .push_bind(version)
            .push_bind(self.status.as_str())
            .push_bind(self.revision)
            .push_bind(self.published_ms)
            .push_bind(self.origin.origin_type.as_str())
            .push_bind(self.origin.repository.as_deref())
            .push_bind(self.origin.external_connection.as_deref())
            .push_bind(self.metadata.display_name.as_deref())
            .push_bind(self.metadata.summary.as_deref())
            .push_bind(self.metadata.home_page.as_deref())
            .push_bind(self.metadata.source_code_repository.as_deref())
            .push_bind(self.metadata.licenses_json.as_deref());
        qb.push(") RETURNING id");
        qb
    }

    /// `UPDATE package_versions SET <every field>`, for a copy that overwrites a version: the
    /// caller appends the guard ([`At::push_guard`]).
    pub fn overwrite(&self) -> Stmt {
        let mut qb = Stmt::new("UPDATE package_versions SET ");
        let mut set = qb.separated(", ");
        set.push("status = ")
            .push_bind_unseparated(self.status.as_str())
            .push("revision = ")
            .push_bind_unseparated(self.revision)
            .push("published_ms = ")
            .push_bind_unseparated(self.published_ms)
            .push("origin_type = ")
            .push_bind_unseparated(self.origin.origin_type.as_str())
            .push("origin_repository = ")
            .push_bind_unseparated(self.origin.repository.as_deref())
            .push("origin_external_connection = ")
            .push_bind_unseparated(self.origin.external_connection.as_deref())
            .push("display_name = ")
            .push_bind_unseparated(self.metadata.display_name.as_deref())
            .push("summary = ")
            .push_bind_unseparated(self.metadata.summary.as_deref())
            .push("home_page = ")
            .push_bind_unseparated(self.metadata.home_page.as_deref())
            .push("source_code_repository = ")
            .push_bind_unseparated(self.metadata.source_code_repository.as_deref())
            .push("licenses_json = ")
            .push_bind_unseparated(self.metadata.licenses_json.as_deref());
        qb
    }
}

/// `UPDATE package_versions SET status, revision, published_ms` (and the metadata when the write
/// replaces it) of a publish into an existing version; the caller appends the guard. The origin
/// is never changed.
pub fn publish_update(write: &PublishWrite) -> Stmt {
    let mut qb = Stmt::new("UPDATE package_versions SET ");
    let mut set = qb.separated(", ");
    set.push("status = ")
        .push_bind_unseparated(write.status.as_str())
        .push("revision = ")
        .push_bind_unseparated(write.revision.as_str())
        .push("published_ms = ")
        .push_bind_unseparated(write.published_ms);
    if write.replace_metadata {
        let m = &write.metadata;
        set.push("display_name = ")
            .push_bind_unseparated(m.display_name.as_deref())
            .push("summary = ")
            .push_bind_unseparated(m.summary.as_deref())
            .push("home_page = ")
            .push_bind_unseparated(m.home_page.as_deref())
            .push("source_code_repository = ")
            .push_bind_unseparated(m.source_code_repository.as_deref())
            .push("licenses_json = ")
            .push_bind_unseparated(m.licenses_json.as_deref());
    }
    qb
}

/// The `At` expectation of a write on version `version` of `package_id`: the row `version_id` must
/// be that version, with exactly that status and revision.
pub struct At<'a> {
    pub version_id: i64,
    pub package_id: i64,
    pub version: &'a str,
    pub status: VersionStatus,
    pub revision: &'a str,
}

impl<'a> At<'a> {
    /// `None` for `Absent`.
    pub fn of(expect: &'a VersionExpectation, package_id: i64, version: &'a str) -> Option<Self> {
        match expect {
            VersionExpectation::Absent => None,
            VersionExpectation::At {
                version_id,
                status,
                revision,
            } => Some(At {
                version_id: *version_id,
                package_id,
                version,
                status: *status,
                revision,
            }),
        }
    }

    /// Appends the compare-and-set guard to an `UPDATE package_versions SET …`.
    pub fn push_guard(&self, qb: &mut Stmt) {
        qb.push(" WHERE id = ")
            .push_bind(self.version_id)
            .push(" AND package_id = ")
            .push_bind(self.package_id)
            .push(" AND version = ")
            .push_bind(self.version)
            .push(" AND status = ")
            .push_bind(self.status.as_str())
            .push(" AND revision = ")
            .push_bind(self.revision);
    }
}

/// `INSERT INTO assets …`: an asset of `version_id`, recorded with its domain. A unique violation
/// means the version has an asset of that name.
pub fn insert_asset(version_id: i64, domain_id: i64, asset: &AssetRow) -> Stmt {
    let mut qb = Stmt::new(
        "INSERT INTO assets \
         (version_id, name, domain_id, size, md5, sha1, sha256, sha512, requires_python) VALUES (",
    );
    qb.separated(", ")
        .push_bind(version_id)
        .push_bind(asset.name.as_str())
        .push_bind(domain_id)
        .push_bind(asset.size)
        .push_bind(asset.md5.as_str())
        .push_bind(asset.sha1.as_str())
        .push_bind(asset.sha256.as_str())
        .push_bind(asset.sha512.as_str())
        .push_bind(asset.requires_python.as_deref());
    qb.push(")");
    qb
}

/// `DELETE FROM assets …`: every asset of `version_id`.
pub fn delete_assets(version_id: i64) -> Stmt {
    let mut qb = Stmt::new("DELETE FROM assets WHERE version_id = ");
    qb.push_bind(version_id);
    qb
}

/// `SELECT id …` of the version a change expects, if it is still at the expected status and
/// revision.
pub fn expected_version(change: &VersionChange) -> Stmt {
    let mut qb = Stmt::new("SELECT id FROM package_versions WHERE id = ");
    qb.push_bind(change.version_id)
        .push(" AND status = ")
        .push_bind(change.expect_status.as_str())
        .push(" AND revision = ")
        .push_bind(change.expect_revision.as_str());
    qb
}

/// The statements that apply a change to its version, in order, once its expectation was checked:
/// `SetStatus` keeps the revision; `Dispose` removes every asset and sets `Disposed` with the new
/// revision; `Delete` removes the assets and the row.
pub fn version_change(change: &VersionChange) -> Vec<Stmt> {
    let id = change.version_id;
    match &change.action {
        VersionAction::SetStatus {
            status,
            published_ms,
        } => {
            let mut qb = Stmt::new("UPDATE package_versions SET status = ");
            qb.push_bind(status.as_str())
                .push(", published_ms = ")
                .push_bind(*published_ms)
                .push(" WHERE id = ")
                .push_bind(id);
            vec![qb]
        }
        VersionAction::Dispose { revision } => {
            let mut qb = Stmt::new("UPDATE package_versions SET status = ");
            qb.push_bind(VersionStatus::Disposed.as_str())
                .push(", revision = ")
                .push_bind(revision.as_str())
                .push(" WHERE id = ")
                .push_bind(id);
            vec![delete_assets(id), qb]
        }
        VersionAction::Delete => {
            let mut qb = Stmt::new("DELETE FROM package_versions WHERE id = ");
            qb.push_bind(id);
            vec![delete_assets(id), qb]
        }
    }
}

/// `UPDATE repositories SET external_connection = …` guarded by the connection the repository must
/// have now; no row changed means the guard failed (the caller has locked the repository row).
pub fn set_external_connection(repository_id: i64, change: &ExternalConnectionChange) -> Stmt {
    let mut qb = Stmt::new("UPDATE repositories SET external_connection = ");
    qb.push_bind(change.set.as_deref())
        .push(" WHERE id = ")
        .push_bind(repository_id)
        .push(" AND external_connection IS NOT DISTINCT FROM ")
        .push_bind(change.expect.as_deref());
    qb
}

/// Creates the package with these origin controls, or sets them on the existing one, and returns
/// its row ([`crate::PACKAGE_COLUMNS`]).
pub fn put_package_origin(
    repository_id: i64,
    key: &PackageKey,
    origin: (OriginRule, OriginRule),
) -> Stmt {
    let mut qb = Stmt::new(
        "INSERT INTO packages \
         (repository_id, format, namespace, name, origin_publish, origin_upstream) VALUES (",
    );
    qb.separated(", ")
        .push_bind(repository_id)
        .push_bind(key.format.as_str())
        .push_bind(key.namespace.as_str())
        .push_bind(key.name.as_str())
        .push_bind(origin.0.as_str())
        .push_bind(origin.1.as_str());
    qb.push(format!(
        ") ON CONFLICT (repository_id, format, namespace, name) DO UPDATE SET \
         origin_publish = excluded.origin_publish, origin_upstream = excluded.origin_upstream \
         RETURNING {}",
        crate::PACKAGE_COLUMNS
    ));
    qb
}

/// The statements that delete a repository with everything in it (assets, versions, packages,
/// upstream list, the row), in that order; the caller has checked (and locked) what it must.
pub fn delete_repository(repository_id: i64) -> Vec<Stmt> {
    const PACKAGES: &str = "SELECT id FROM packages WHERE repository_id = ";
    let mut assets = Stmt::new(format_args!(
        "DELETE FROM assets WHERE version_id IN \
         (SELECT id FROM package_versions WHERE package_id IN ({PACKAGES}"
    ));
    assets.push_bind(repository_id).push("))");
    let mut versions = Stmt::new(format_args!(
        "DELETE FROM package_versions WHERE package_id IN ({PACKAGES}"
    ));
    versions.push_bind(repository_id).push(")");
    // The repository's entries in package-group allowed lists go with it (ON DELETE CASCADE):
    // that changes its domain's groups, so their revision moves.
    let mut groups = Stmt::new(
        "UPDATE domains SET package_groups_revision = package_groups_revision + 1 \
         WHERE id = (SELECT domain_id FROM repositories WHERE id = ",
    );
    groups
        .push_bind(repository_id)
        .push(") AND EXISTS (SELECT 1 FROM package_group_repositories WHERE repository_id = ")
        .push_bind(repository_id)
        .push(")");
    let mut out = vec![assets, versions, groups];
    for sql in [
        "DELETE FROM packages WHERE repository_id = ",
        "DELETE FROM repository_upstreams WHERE repository_id = ",
        "DELETE FROM repositories WHERE id = ",
    ] {
        let mut statement = Stmt::new(sql);
        statement.push_bind(repository_id);
        out.push(statement);
    }
    out
}

/// A copy whose version lists an asset name twice: the unique violation of its second insert.
pub fn duplicate_copied_asset(asset: &str, version: &str) -> arca_metadata::StoreError {
    arca_metadata::StoreError::Conflict(format!(
        "asset {asset:?} appears twice in copied version {version:?}"
    ))
}

/// `(id, status, revision)` of every version of a package, by id ([`version_state_row`]): what
/// `delete_package_at` compares with the versions its caller expects.
pub fn version_states(package_id: i64) -> Stmt {
    let mut qb = Stmt::new("SELECT id, status, revision FROM package_versions WHERE package_id = ");
    qb.push_bind(package_id).push(" ORDER BY id");
    qb
}

pub fn version_state_row(row: &dyn crate::Columns) -> StoreResult<(i64, String, String)> {
    Ok((row.int("id")?, row.text("status")?, row.text("revision")?))
}

/// Whether the stored `(id, status, revision)` rows (by id) are exactly the `expected` versions.
pub fn same_versions(stored: &[(i64, String, String)], expected: &[VersionRow]) -> bool {
    let mut expected: Vec<(i64, &str, &str)> = expected
        .iter()
        .map(|v| (v.id, v.status.as_str(), v.revision.as_str()))
        .collect();
    expected.sort_unstable();
    stored.len() == expected.len()
        && stored
            .iter()
            .zip(&expected)
            .all(|((id, s, r), (eid, es, er))| id == eid && s == es && r == er)
}
