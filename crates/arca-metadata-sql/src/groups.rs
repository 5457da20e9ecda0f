//! Package groups: the statements both backends run (reads and the writes inside their
//! transactions) and the decoding of their rows. Every write of a domain's groups goes with
//! [`bump_revision`] in its transaction; on PostgreSQL that update also locks the domain row, so
//! group writes of one domain run one after the other.

use arca_metadata::{
    AllowedRepository, DomainPackage, GroupMode, GroupRestriction, NewPackageGroup, PackageFormat,
    PackageGroupOriginChange, PackageGroupRow, StoreResult, ROOT_GROUP_PATTERN,
};

use crate::errors::decode_enum;
use crate::ranges::{push_prefix_filter, sql_limit};
use crate::rows::Columns;
use crate::Stmt;

pub const PACKAGE_GROUP_COLUMNS: &str = "id, domain_id, pattern, created_ms, contact_info, \
     description, publish_mode, external_upstream_mode, internal_upstream_mode";

/// The mode columns, by [`GroupRestriction::index`].
const MODE_COLUMNS: [&str; 3] = [
    "publish_mode",
    "external_upstream_mode",
    "internal_upstream_mode",
];

fn mode(row: &dyn Columns, column: &'static str) -> StoreResult<GroupMode> {
    decode_enum(column, &row.text(column)?, GroupMode::parse)
}

pub fn package_group_row(row: &dyn Columns) -> StoreResult<PackageGroupRow> {
    Ok(PackageGroupRow {
        id: row.int("id")?,
        domain_id: row.int("domain_id")?,
        pattern: row.text("pattern")?,
        created_ms: row.int("created_ms")?,
        contact_info: row.text_opt("contact_info")?,
        description: row.text_opt("description")?,
        modes: [
            mode(row, MODE_COLUMNS[0])?,
            mode(row, MODE_COLUMNS[1])?,
            mode(row, MODE_COLUMNS[2])?,
        ],
    })
}

/// `INSERT … RETURNING` the new group ([`package_group_row`]).
pub fn insert(new: &NewPackageGroup) -> Stmt {
    let mut s = insert_row(
        new.domain_id,
        &new.pattern,
        new.created_ms,
        new.contact_info.as_deref(),
        new.description.as_deref(),
        new.modes,
    );
    s.push(format_args!(" RETURNING {PACKAGE_GROUP_COLUMNS}"));
    s
}

/// The root group `/*` of a new domain: every restriction ALLOW.
pub fn insert_root(domain_id: i64, created_ms: i64) -> Stmt {
    insert_row(
        domain_id,
        ROOT_GROUP_PATTERN,
        created_ms,
        None,
        None,
        [GroupMode::Allow; 3],
    )
}

fn insert_row(
    domain_id: i64,
    pattern: &str,
    created_ms: i64,
    contact_info: Option<&str>,
    description: Option<&str>,
    modes: [GroupMode; 3],
) -> Stmt {
    let mut s = Stmt::new(
        "INSERT INTO package_groups (domain_id, pattern, created_ms, contact_info, description, \
         publish_mode, external_upstream_mode, internal_upstream_mode) VALUES (",
    );
    let mut values = s.separated(", ");
    values
        .push_bind(domain_id)
        .push_bind(pattern)
        .push_bind(created_ms)
        .push_bind(contact_info)
        .push_bind(description);
    for m in modes {
        values.push_bind(m.as_str());
    }
    s.push(")");
    s
}

/// Marks a change of the domain's groups; changes no row when the domain is gone.
pub fn bump_revision(domain_id: i64) -> Stmt {
    let mut s = Stmt::new(
        "UPDATE domains SET package_groups_revision = package_groups_revision + 1 WHERE id = ",
    );
    s.push_bind(domain_id);
    s
}

pub fn revision(domain_id: i64) -> Stmt {
    let mut s = Stmt::new("SELECT package_groups_revision AS revision FROM domains WHERE id = ");
    s.push_bind(domain_id);
    s
}

pub fn by_pattern(domain_id: i64, pattern: &str) -> Stmt {
    let mut s = Stmt::new(format!(
        "SELECT {PACKAGE_GROUP_COLUMNS} FROM package_groups WHERE domain_id = "
    ));
    s.push_bind(domain_id)
        .push(" AND pattern = ")
        .push_bind(pattern);
    s
}

pub fn by_id(group_id: i64) -> Stmt {
    let mut s = Stmt::new(format!(
        "SELECT {PACKAGE_GROUP_COLUMNS} FROM package_groups WHERE id = "
    ));
    s.push_bind(group_id);
    s
}

/// The domain of a group (`domain_id`), to bump its revision.
pub fn domain_of(group_id: i64) -> Stmt {
    let mut s = Stmt::new("SELECT domain_id FROM package_groups WHERE id = ");
    s.push_bind(group_id);
    s
}

/// Groups by pattern (byte order), served by the (domain_id, pattern) unique index.
pub fn page(domain_id: i64, prefix: &str, after: Option<&str>, limit: u32) -> Stmt {
    let mut s = Stmt::new(format!(
        "SELECT {PACKAGE_GROUP_COLUMNS} FROM package_groups WHERE domain_id = "
    ));
    s.push_bind(domain_id);
    push_prefix_filter(&mut s, "pattern", prefix);
    if let Some(after) = after {
        s.push(" AND pattern > ").push_bind(after);
    }
    s.push(" ORDER BY pattern LIMIT ")
        .push_bind(sql_limit(limit));
    s
}

/// Sets contact info and description where given.
pub fn update_fields(
    group_id: i64,
    contact_info: Option<&str>,
    description: Option<&str>,
) -> Option<Stmt> {
    if contact_info.is_none() && description.is_none() {
        return None;
    }
    let mut s = Stmt::new("UPDATE package_groups SET ");
    let mut set = s.separated(", ");
    if let Some(c) = contact_info {
        set.push("contact_info = ").push_bind_unseparated(c);
    }
    if let Some(d) = description {
        set.push("description = ").push_bind_unseparated(d);
    }
    s.push(" WHERE id = ").push_bind(group_id);
    Some(s)
}

/// The statements of an origin change: modes, removals, additions (additions of an existing entry
/// change nothing). Run in order, in one transaction.
pub fn origin_change(group_id: i64, change: &PackageGroupOriginChange) -> Vec<Stmt> {
    let mut out = Vec::new();
    if change.modes.iter().any(Option::is_some) {
        let mut s = Stmt::new("UPDATE package_groups SET ");
        let mut set = s.separated(", ");
        for (column, m) in MODE_COLUMNS.iter().zip(change.modes) {
            if let Some(m) = m {
                set.push(format_args!("{column} = "))
                    .push_bind_unseparated(m.as_str());
            }
        }
        s.push(" WHERE id = ").push_bind(group_id);
        out.push(s);
    }
    for (restriction, repository_id) in &change.remove {
        let mut s = Stmt::new("DELETE FROM package_group_repositories WHERE group_id = ");
        s.push_bind(group_id)
            .push(" AND restriction = ")
            .push_bind(restriction.as_str())
            .push(" AND repository_id = ")
            .push_bind(*repository_id);
        out.push(s);
    }
    for (restriction, repository_id) in &change.add {
        let mut s = Stmt::new(
            "INSERT INTO package_group_repositories (group_id, restriction, repository_id) ",
        );
        s.push_values([()], |mut row, ()| {
            row.push_bind(group_id)
                .push_bind(restriction.as_str())
                .push_bind(*repository_id);
        });
        s.push(" ON CONFLICT DO NOTHING");
        out.push(s);
    }
    out
}

/// Deletes the group (its allowed-repository entries go with it: `ON DELETE CASCADE`).
pub fn delete(group_id: i64) -> Stmt {
    let mut s = Stmt::new("DELETE FROM package_groups WHERE id = ");
    s.push_bind(group_id);
    s
}

/// Repository names of one list, by name.
pub fn allowed_page(
    group_id: i64,
    restriction: GroupRestriction,
    after: Option<&str>,
    limit: u32,
) -> Stmt {
    let mut s = Stmt::new(
        "SELECT r.name AS name FROM package_group_repositories a \
         JOIN repositories r ON r.id = a.repository_id WHERE a.group_id = ",
    );
    s.push_bind(group_id)
        .push(" AND a.restriction = ")
        .push_bind(restriction.as_str());
    if let Some(after) = after {
        s.push(" AND r.name > ").push_bind(after);
    }
    s.push(" ORDER BY r.name LIMIT ")
        .push_bind(sql_limit(limit));
    s
}

pub fn name_row(row: &dyn Columns) -> StoreResult<String> {
    row.text("name")
}

/// Every allowed-repository entry of the domain ([`allowed_row`]).
pub fn domain_allowed(domain_id: i64) -> Stmt {
    let mut s = Stmt::new(
        "SELECT a.group_id AS group_id, a.restriction AS restriction, \
         a.repository_id AS repository_id, r.name AS name \
         FROM package_group_repositories a JOIN package_groups g ON g.id = a.group_id \
         JOIN repositories r ON r.id = a.repository_id WHERE g.domain_id = ",
    );
    s.push_bind(domain_id)
        .push(" ORDER BY a.group_id, a.restriction, r.name");
    s
}

pub fn allowed_row(row: &dyn Columns) -> StoreResult<AllowedRepository> {
    Ok(AllowedRepository {
        group_id: row.int("group_id")?,
        restriction: decode_enum(
            "package_group_repositories.restriction",
            &row.text("restriction")?,
            GroupRestriction::parse,
        )?,
        repository_id: row.int("repository_id")?,
        repository_name: row.text("name")?,
    })
}

/// Distinct package coordinates of the domain's repositories ([`domain_package_row`]).
pub fn domain_packages(
    domain_id: i64,
    format: Option<PackageFormat>,
    after: Option<&DomainPackage>,
    limit: u32,
) -> Stmt {
    let mut s = Stmt::new(
        "SELECT DISTINCT p.format AS format, p.namespace AS namespace, p.name AS name \
         FROM packages p JOIN repositories r ON r.id = p.repository_id WHERE r.domain_id = ",
    );
    s.push_bind(domain_id);
    if let Some(format) = format {
        s.push(" AND p.format = ").push_bind(format.as_str());
    }
    if let Some(a) = after {
        s.push(" AND (p.format, p.namespace, p.name) > (")
            .push_bind(a.format.as_str())
            .push(", ")
            .push_bind(a.namespace.as_str())
            .push(", ")
            .push_bind(a.name.as_str())
            .push(")");
    }
    s.push(" ORDER BY p.format, p.namespace, p.name LIMIT ")
        .push_bind(sql_limit(limit));
    s
}

pub fn domain_package_row(row: &dyn Columns) -> StoreResult<DomainPackage> {
    Ok(DomainPackage {
        format: decode_enum(
            "packages.format",
            &row.text("format")?,
            PackageFormat::parse,
        )?,
        namespace: row.text("namespace")?,
        name: row.text("name")?,
    })
}
