//! The statements of [`arca_metadata::DetailStore`], the same on every backend: npm dist-tags,
//! version details (deprecation, readme) and dependencies. The backends run them on their pools
//! or inside their transactions.

use crate::Stmt;
use arca_metadata::{PackageDependency, StoreResult, VersionDetails};

use crate::ranges::sql_limit;
use crate::rows::Columns;

/// Dependency rows per `INSERT` (6 parameters each, well under every backend's limit).
pub const DEPENDENCY_BATCH: usize = 500;
/// Deprecations per `INSERT … ON CONFLICT` (2 parameters each).
pub const DEPRECATION_BATCH: usize = 1000;

/// `(tag, version)` of a package, by tag ([`dist_tag_row`]).
pub fn dist_tags(package_id: i64) -> Stmt {
    let mut qb = Stmt::new("SELECT tag, version FROM dist_tags WHERE package_id = ");
    qb.push_bind(package_id).push(" ORDER BY tag");
    qb
}

pub fn dist_tag_row(row: &dyn Columns) -> StoreResult<(String, String)> {
    Ok((row.text("tag")?, row.text("version")?))
}

/// Points a tag at a version; a foreign-key violation means the version does not exist.
pub fn upsert_dist_tag(package_id: i64, tag: &str, version: &str) -> Stmt {
    let mut qb = Stmt::new("INSERT INTO dist_tags (package_id, tag, version) VALUES (");
    qb.separated(", ")
        .push_bind(package_id)
        .push_bind(tag)
        .push_bind(version);
    qb.push(") ON CONFLICT (package_id, tag) DO UPDATE SET version = excluded.version");
    qb
}

pub fn delete_dist_tag(package_id: i64, tag: &str) -> Stmt {
    let mut qb = Stmt::new("DELETE FROM dist_tags WHERE package_id = ");
    qb.push_bind(package_id).push(" AND tag = ").push_bind(tag);
    qb
}

/// `deprecated, readme` of a version ([`details_row`]; dependencies are read separately).
pub fn details(version_id: i64) -> Stmt {
    let mut qb = Stmt::new("SELECT deprecated, readme FROM version_details WHERE version_id = ");
    qb.push_bind(version_id);
    qb
}

pub fn details_row(row: &dyn Columns) -> StoreResult<(Option<String>, Option<String>)> {
    Ok((row.text_opt("deprecated")?, row.text_opt("readme")?))
}

/// The readme alone (one text column, [`Columns::text_opt`] `readme`).
pub fn readme(version_id: i64) -> Stmt {
    let mut qb = Stmt::new("SELECT readme FROM version_details WHERE version_id = ");
    qb.push_bind(version_id);
    qb
}

/// Dependencies of a version by position, after `after`, at most `limit` ([`dependency_row`]).
pub fn dependencies_page(version_id: i64, after: Option<i64>, limit: u32) -> Stmt {
    let mut qb = Stmt::new(
        "SELECT position, namespace, package, dependency_type, version_requirement \
         FROM version_dependencies WHERE version_id = ",
    );
    qb.push_bind(version_id);
    if let Some(after) = after {
        qb.push(" AND position > ").push_bind(after);
    }
    qb.push(" ORDER BY position LIMIT ")
        .push_bind(sql_limit(limit));
    qb
}

pub fn dependency_row(row: &dyn Columns) -> StoreResult<(i64, PackageDependency)> {
    Ok((
        row.int("position")?,
        PackageDependency {
            namespace: row.text("namespace")?,
            package: row.text("package")?,
            dependency_type: row.text_opt("dependency_type")?,
            version_requirement: row.text_opt("version_requirement")?,
        },
    ))
}

/// The statements that replace a version's details: delete both kinds of rows, then insert the
/// details row (when there is anything to keep) and the dependencies in batches of
/// [`DEPENDENCY_BATCH`]. Run inside a transaction.
pub fn replace_details(version_id: i64, d: &VersionDetails) -> Vec<Stmt> {
    let mut out = Vec::new();
    for table in ["version_details", "version_dependencies"] {
        let mut qb = Stmt::new(format!("DELETE FROM {table} WHERE version_id = "));
        qb.push_bind(version_id);
        out.push(qb);
    }
    if d.readme.is_some() || d.deprecated.is_some() {
        let mut qb =
            Stmt::new("INSERT INTO version_details (version_id, deprecated, readme) VALUES (");
        qb.separated(", ")
            .push_bind(version_id)
            .push_bind(d.deprecated.as_deref())
            .push_bind(d.readme.as_deref());
        qb.push(")");
        out.push(qb);
    }
    let numbered: Vec<(i64, &PackageDependency)> = (0_i64..).zip(&d.dependencies).collect();
    for batch in numbered.chunks(DEPENDENCY_BATCH) {
        let mut qb = Stmt::new(
            "INSERT INTO version_dependencies \
             (version_id, position, namespace, package, dependency_type, version_requirement) ",
        );
        qb.push_values(batch.iter().copied(), |mut row, (position, dep)| {
            row.push_bind(version_id)
                .push_bind(position)
                .push_bind(dep.namespace.as_str())
                .push_bind(dep.package.as_str())
                .push_bind(dep.dependency_type.as_deref())
                .push_bind(dep.version_requirement.as_deref());
        });
        out.push(qb);
    }
    out
}

/// The statements that set (or with `None` clear) the deprecation of each version, creating
/// details rows as needed: one multi-row upsert per [`DEPRECATION_BATCH`] versions, by ascending
/// version id (one lock order for concurrent writers), the last message of a repeated id winning.
/// Run inside a transaction; a foreign-key violation means a version does not exist.
pub fn upsert_deprecations(changes: &[(i64, Option<String>)]) -> Vec<Stmt> {
    let by_id: std::collections::BTreeMap<i64, Option<&str>> = changes
        .iter()
        .map(|(id, message)| (*id, message.as_deref()))
        .collect();
    let rows: Vec<(i64, Option<&str>)> = by_id.into_iter().collect();
    rows.chunks(DEPRECATION_BATCH)
        .map(|batch| {
            let mut qb = Stmt::new("INSERT INTO version_details (version_id, deprecated) ");
            qb.push_values(batch.iter().copied(), |mut row, (id, message)| {
                row.push_bind(id).push_bind(message);
            });
            qb.push(" ON CONFLICT (version_id) DO UPDATE SET deprecated = excluded.deprecated");
            qb
        })
        .collect()
}

/// `(version, deprecated)` of a package's deprecated versions, by version
/// ([`deprecation_row`]).
pub fn package_deprecations(package_id: i64) -> Stmt {
    let mut qb = Stmt::new(
        "SELECT v.version, d.deprecated FROM version_details d \
         JOIN package_versions v ON v.id = d.version_id \
         WHERE d.deprecated IS NOT NULL AND v.package_id = ",
    );
    qb.push_bind(package_id).push(" ORDER BY v.version");
    qb
}

pub fn deprecation_row(row: &dyn Columns) -> StoreResult<(String, String)> {
    Ok((row.text("version")?, row.text("deprecated")?))
}

/// The two statements of [`arca_metadata::DetailStore::stamp_document`]: read the stored stamp,
/// and (unless it already is `etag`, [`DocumentStamp::unchanged`]) upsert the new one.
pub struct DocumentStamp {
    /// `etag, since_ms` ([`document_stamp_row`]).
    pub read: Stmt,
    /// `RETURNING since_ms` ([`since_row`]); a foreign-key violation means the repository does
    /// not exist.
    pub upsert: Stmt,
    etag: String,
}

impl DocumentStamp {
    pub fn new(repository_id: i64, document: &str, etag: &str, now_ms: i64) -> StoreResult<Self> {
        arca_metadata::check_text("document", document)?;
        arca_metadata::check_text("etag", etag)?;
        let mut read =
            Stmt::new("SELECT etag, since_ms FROM document_stamps WHERE repository_id = ");
        read.push_bind(repository_id)
            .push(" AND document = ")
            .push_bind(document);
        Ok(Self {
            read,
            upsert: upsert_document_stamp(repository_id, document, etag, now_ms),
            etag: etag.to_owned(),
        })
    }

    /// The stored time, when the stored stamp (read by `read`) is this ETag.
    pub fn unchanged(&self, stored: Option<(String, i64)>) -> Option<i64> {
        stored.and_then(|(etag, since)| (etag == self.etag).then_some(since))
    }
}

pub fn document_stamp_row(row: &dyn Columns) -> StoreResult<(String, i64)> {
    Ok((row.text("etag")?, row.int("since_ms")?))
}

/// Stores `etag` as the document's content since `now_ms`, unless it already is (then its time
/// stays), at least a whole second after the time it replaces; `RETURNING since_ms`.
fn upsert_document_stamp(repository_id: i64, document: &str, etag: &str, now_ms: i64) -> Stmt {
    let mut qb =
        Stmt::new("INSERT INTO document_stamps (repository_id, document, etag, since_ms) VALUES (");
    qb.separated(", ")
        .push_bind(repository_id)
        .push_bind(document)
        .push_bind(etag)
        .push_bind(now_ms);
    // Every expression of SET reads the old row; `NEXT` is the first millisecond of the second
    // after the old time.
    const NEXT: &str = "(document_stamps.since_ms - document_stamps.since_ms % 1000 + 1000)";
    qb.push(format_args!(
        ") ON CONFLICT (repository_id, document) DO UPDATE SET \
         since_ms = CASE WHEN document_stamps.etag = excluded.etag THEN document_stamps.since_ms \
         WHEN excluded.since_ms >= {NEXT} THEN excluded.since_ms ELSE {NEXT} END, \
         etag = excluded.etag RETURNING since_ms"
    ));
    qb
}

pub fn since_row(row: &dyn Columns) -> StoreResult<i64> {
    row.int("since_ms")
}
