//! The read statements, identical on every backend: point lookups and the keyset-paginated
//! listings with their documented orders (byte order of names, `COLLATE "C"` on PostgreSQL).
//! Each returns a [`QueryBuilder`] that the backend runs on its pool or transaction and decodes
//! with the `*_row` functions.

use std::sync::LazyLock;

use crate::Stmt;
use arca_metadata::{
    PackageFilter, PackageKey, RepositoryFilter, VersionFilter, VersionOrder, VersionPath,
    VersionStatus,
};

use crate::ranges::{push_prefix_filter, sql_limit};
use crate::rows::{
    qualified, ASSET_COLUMNS, DOMAIN_COLUMNS, PACKAGE_COLUMNS, REPOSITORY_COLUMNS,
    REPOSITORY_SELECT, VERSION_COLUMNS,
};

/// `SELECT <columns> FROM <from> WHERE <column> = ?`: the start of every read.
fn select_where(columns: &str, from: &str, column: &str, value: i64) -> Stmt {
    let mut qb = Stmt::new(format!("SELECT {columns} FROM {from} WHERE {column} = "));
    qb.push_bind(value);
    qb
}

/// The domain `name` of `owner` ([`crate::domain_row`]).
pub fn domain(owner: &str, name: &str) -> Stmt {
    let mut qb = Stmt::new(format!(
        "SELECT {DOMAIN_COLUMNS} FROM domains WHERE owner = "
    ));
    qb.push_bind(owner).push(" AND name = ").push_bind(name);
    qb
}

/// Domains of `owner` by name, after `after` ([`crate::domain_row`]). The (owner, name) unique
/// index serves both the cursor and the order.
pub fn domains_page(owner: &str, after: Option<&str>, limit: u32) -> Stmt {
    let mut qb = Stmt::new(format!(
        "SELECT {DOMAIN_COLUMNS} FROM domains WHERE owner = "
    ));
    qb.push_bind(owner);
    if let Some(after) = after {
        qb.push(" AND name > ").push_bind(after);
    }
    qb.push(" ORDER BY name LIMIT ").push_bind(sql_limit(limit));
    qb
}

/// The repository `name` of a domain ([`crate::repository_row`], without upstreams).
pub fn repository(domain_id: i64, name: &str) -> Stmt {
    let mut qb = Stmt::new(format!("{REPOSITORY_SELECT} WHERE r.domain_id = "));
    qb.push_bind(domain_id)
        .push(" AND r.name = ")
        .push_bind(name);
    qb
}

/// The repository `repository_id` ([`crate::repository_row`], without upstreams).
pub fn repository_by_id(repository_id: i64) -> Stmt {
    let mut qb = Stmt::new(format!("{REPOSITORY_SELECT} WHERE r.id = "));
    qb.push_bind(repository_id);
    qb
}

/// The upstream names of a repository, in priority order.
pub fn upstreams(repository_id: i64) -> Stmt {
    let mut qb = select_where(
        "upstream_name",
        "repository_upstreams",
        "repository_id",
        repository_id,
    );
    qb.push(" ORDER BY position");
    qb
}

/// Names of the repositories of `domain_id`, other than `except`, listing `name` as an upstream,
/// by name.
pub fn downstreams(domain_id: i64, name: &str, except: Option<i64>) -> Stmt {
    let mut qb = Stmt::new(
        "SELECT DISTINCT r.name FROM repository_upstreams u \
         JOIN repositories r ON r.id = u.repository_id WHERE r.domain_id = ",
    );
    qb.push_bind(domain_id)
        .push(" AND u.upstream_name = ")
        .push_bind(name);
    if let Some(except) = except {
        qb.push(" AND r.id <> ").push_bind(except);
    }
    qb.push(" ORDER BY r.name");
    qb
}

/// Every domain, whoever owns it, by (owner, name), after `after` ([`crate::domain_row`]): for
/// `arca transfer`, which copies them all. Served by the (owner, name) unique index.
pub fn all_domains_page(after: Option<(&str, &str)>, limit: u32) -> Stmt {
    let mut qb = Stmt::new(format!("SELECT {DOMAIN_COLUMNS} FROM domains"));
    if let Some((owner, name)) = after {
        qb.push(" WHERE (owner, name) > (")
            .push_bind(owner)
            .push(", ")
            .push_bind(name)
            .push(")");
    }
    qb.push(" ORDER BY owner, name LIMIT ")
        .push_bind(sql_limit(limit));
    qb
}

/// Repositories by (repository name, domain name) ([`crate::repository_row`], without
/// upstreams).
pub fn repositories_page(filter: &RepositoryFilter, limit: u32) -> Stmt {
    let mut qb = Stmt::new(REPOSITORY_SELECT);
    qb.push(" WHERE 1 = 1");
    if let Some(domain_id) = filter.domain_id {
        qb.push(" AND r.domain_id = ").push_bind(domain_id);
    }
    if let Some(owner) = &filter.domain_owner {
        qb.push(" AND d.owner = ").push_bind(owner.as_str());
    }
    if let Some(admin) = &filter.administrator_account {
        qb.push(" AND r.administrator_account = ")
            .push_bind(admin.as_str());
    }
    if let Some(prefix) = &filter.name_prefix {
        push_prefix_filter(&mut qb, "r.name", prefix);
    }
    if let Some((repository, domain)) = &filter.after {
        qb.push(" AND (r.name, d.name) > (")
            .push_bind(repository.as_str())
            .push(", ")
            .push_bind(domain.as_str())
            .push(")");
    }
    // The owner only breaks ties when no owner filter is given (the cursor cannot tell such rows
    // apart anyway); it keeps the order deterministic.
    qb.push(" ORDER BY r.name, d.name, d.owner LIMIT ")
        .push_bind(sql_limit(limit));
    qb
}

/// The package `key` of a repository ([`crate::package_row`]).
pub fn package(repository_id: i64, key: &PackageKey) -> Stmt {
    let mut qb = select_where(PACKAGE_COLUMNS, "packages", "repository_id", repository_id);
    qb.push(" AND format = ")
        .push_bind(key.format.as_str())
        .push(" AND namespace = ")
        .push_bind(key.namespace.as_str())
        .push(" AND name = ")
        .push_bind(key.name.as_str());
    qb
}

/// Packages of a repository by (format text, namespace, name) ([`crate::package_row`]).
pub fn packages_page(repository_id: i64, filter: &PackageFilter, limit: u32) -> Stmt {
    let mut qb = select_where(PACKAGE_COLUMNS, "packages", "repository_id", repository_id);
    if let Some(format) = filter.format {
        qb.push(" AND format = ").push_bind(format.as_str());
    }
    if let Some(prefix) = &filter.namespace_prefix {
        push_prefix_filter(&mut qb, "namespace", prefix);
    }
    if let Some(prefix) = &filter.name_prefix {
        push_prefix_filter(&mut qb, "name", prefix);
    }
    if let Some(publish) = filter.publish {
        qb.push(" AND origin_publish = ")
            .push_bind(publish.as_str());
    }
    if let Some(upstream) = filter.upstream {
        qb.push(" AND origin_upstream = ")
            .push_bind(upstream.as_str());
    }
    if let Some(after) = &filter.after {
        // The stored text of the format orders it (byte order of `as_str()`), like the names.
        qb.push(" AND (format, namespace, name) > (")
            .push_bind(after.format.as_str())
            .push(", ")
            .push_bind(after.namespace.as_str())
            .push(", ")
            .push_bind(after.name.as_str())
            .push(")");
    }
    qb.push(" ORDER BY format, namespace, name LIMIT ")
        .push_bind(sql_limit(limit));
    qb
}

/// The version `version` of a package ([`crate::version_row`]).
pub fn version(package_id: i64, version: &str) -> Stmt {
    let mut qb = select_where(
        VERSION_COLUMNS,
        "package_versions",
        "package_id",
        package_id,
    );
    qb.push(" AND version = ").push_bind(version);
    qb
}

/// Domain, repository, package and version of `path` in one statement
/// ([`crate::version_lookup_row`]): LEFT JOINs from the domain down, so the row also says which
/// level is missing. Each level is a unique-index lookup.
pub fn version_lookup(path: &VersionPath<'_>) -> Stmt {
    static SELECT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {}, {REPOSITORY_COLUMNS}, {}, {} FROM domains d",
            qualified("d", DOMAIN_COLUMNS),
            qualified("p", PACKAGE_COLUMNS),
            qualified("v", VERSION_COLUMNS),
        )
    });
    let mut qb = Stmt::new(SELECT.as_str());
    qb.push(" LEFT JOIN repositories r ON r.domain_id = d.id AND r.name = ")
        .push_bind(path.repository)
        .push(" LEFT JOIN packages p ON p.repository_id = r.id AND p.format = ")
        .push_bind(path.package.format.as_str())
        .push(" AND p.namespace = ")
        .push_bind(path.package.namespace.as_str())
        .push(" AND p.name = ")
        .push_bind(path.package.name.as_str())
        .push(" LEFT JOIN package_versions v ON v.package_id = p.id AND v.version = ")
        .push_bind(path.version)
        .push(" WHERE d.owner = ")
        .push_bind(path.domain_owner)
        .push(" AND d.name = ")
        .push_bind(path.domain);
    qb
}

/// The version row `version_id` ([`crate::version_row`]).
pub fn version_by_id(version_id: i64) -> Stmt {
    select_where(VERSION_COLUMNS, "package_versions", "id", version_id)
}

/// A page of the versions of a package in the requested order ([`crate::version_row`]).
pub fn versions_page(
    package_id: i64,
    filter: &VersionFilter,
    order: &VersionOrder,
    limit: u32,
) -> Stmt {
    let mut qb = select_where(
        VERSION_COLUMNS,
        "package_versions",
        "package_id",
        package_id,
    );
    if let Some(status) = filter.status {
        qb.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(origin_type) = filter.origin_type {
        qb.push(" AND origin_type = ")
            .push_bind(origin_type.as_str());
    }
    match order {
        VersionOrder::Version { after } => {
            if let Some(after) = after {
                qb.push(" AND version > ").push_bind(after.as_str());
            }
            qb.push(" ORDER BY version");
        }
        VersionOrder::PublishedTimeDesc { after } => {
            // Newest first; equal times by version ascending. The cursor continues strictly after
            // (published_ms, version) in that order. No row-value comparison here: the two
            // columns go in opposite directions.
            if let Some((ms, version)) = after {
                qb.push(" AND (published_ms < ")
                    .push_bind(*ms)
                    .push(" OR (published_ms = ")
                    .push_bind(*ms)
                    .push(" AND version > ")
                    .push_bind(version.as_str())
                    .push("))");
            }
            qb.push(" ORDER BY published_ms DESC, version");
        }
    }
    qb.push(" LIMIT ").push_bind(sql_limit(limit));
    qb
}

/// The version string of the package's Published version with the latest publish time.
pub fn latest_published(package_id: i64) -> Stmt {
    let mut qb = select_where("version", "package_versions", "package_id", package_id);
    qb.push(" AND status = ")
        .push_bind(VersionStatus::Published.as_str())
        .push(" ORDER BY published_ms DESC, version DESC LIMIT 1");
    qb
}

/// Assets of a version by name, after `after`, at most `limit` (all when `None`)
/// ([`crate::asset_row`]).
pub fn assets_page(version_id: i64, after: Option<&str>, limit: Option<u32>) -> Stmt {
    let mut qb = select_where(ASSET_COLUMNS, "assets", "version_id", version_id);
    if let Some(after) = after {
        qb.push(" AND name > ").push_bind(after);
    }
    qb.push(" ORDER BY name");
    if let Some(limit) = limit {
        qb.push(" LIMIT ").push_bind(sql_limit(limit));
    }
    qb
}

/// The asset `name` of a version ([`crate::asset_row`]).
pub fn asset(version_id: i64, name: &str) -> Stmt {
    let mut qb = select_where(ASSET_COLUMNS, "assets", "version_id", version_id);
    qb.push(" AND name = ").push_bind(name);
    qb
}

/// `(version id, asset)` of the assets of every version of a package (only those named `name`
/// when given), by version id then name ([`package_asset_row`]).
pub fn package_assets(package_id: i64, name: Option<&str>) -> Stmt {
    let mut qb = Stmt::new(format!(
        "SELECT a.version_id AS version_id, {} FROM assets a \
         JOIN package_versions v ON v.id = a.version_id WHERE v.package_id = ",
        qualified("a", ASSET_COLUMNS)
    ));
    qb.push_bind(package_id);
    if let Some(name) = name {
        qb.push(" AND a.name = ").push_bind(name);
    }
    qb.push(" ORDER BY a.version_id, a.name");
    qb
}

pub fn package_asset_row(
    row: &dyn crate::Columns,
) -> arca_metadata::StoreResult<(i64, arca_metadata::AssetRow)> {
    let mut c = crate::Cursor::new(row);
    Ok((c.int("version_id")?, crate::asset_at(&mut c)?))
}

/// `(key, value)` of the tags under an ARN, by key.
pub fn tags(arn: &str) -> Stmt {
    let mut qb = Stmt::new("SELECT key, value FROM tags WHERE resource_arn = ");
    qb.push_bind(arn).push(" ORDER BY key");
    qb
}

pub fn tag_row(row: &dyn crate::Columns) -> arca_metadata::StoreResult<(String, String)> {
    Ok((row.text("key")?, row.text("value")?))
}

pub fn arn_tag_row(
    row: &dyn crate::Columns,
) -> arca_metadata::StoreResult<(String, String, String)> {
    Ok((
        row.text("resource_arn")?,
        row.text("key")?,
        row.text("value")?,
    ))
}

/// `(arn, key, value)` of every stored tag by (ARN, key), after `after`: for `arca transfer`.
/// Served by the primary key.
pub fn all_tags_page(after: Option<(&str, &str)>, limit: u32) -> Stmt {
    let mut qb = Stmt::new("SELECT resource_arn, key, value FROM tags");
    if let Some((arn, key)) = after {
        qb.push(" WHERE (resource_arn, key) > (")
            .push_bind(arn)
            .push(", ")
            .push_bind(key)
            .push(")");
    }
    qb.push(" ORDER BY resource_arn, key LIMIT ")
        .push_bind(sql_limit(limit));
    qb
}
