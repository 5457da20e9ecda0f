//! Principals and resource permission policies: the statements both backends run (each is one
//! statement, so atomic on its own) and the decoding of their rows.

use arca_metadata::{PrincipalRow, ResourcePolicyRow, StoreResult};

use crate::rows::Columns;
use crate::Stmt;

pub const PRINCIPAL_COLUMNS: &str =
    "arn, account, access_key_id, sealed_secret, policy, org_id, created_ms, updated_ms";
pub const POLICY_COLUMNS: &str =
    "resource_arn, domain_id, repository_id, revision, document, updated_ms";

pub fn principal_row(row: &dyn Columns) -> StoreResult<PrincipalRow> {
    Ok(PrincipalRow {
        arn: row.text("arn")?,
        account: row.text("account")?,
        access_key_id: row.text("access_key_id")?,
        sealed_secret: row.text("sealed_secret")?,
        policy: row.text_opt("policy")?,
        org_id: row.text_opt("org_id")?,
        created_ms: row.int("created_ms")?,
        updated_ms: row.int("updated_ms")?,
    })
}

pub fn policy_row(row: &dyn Columns) -> StoreResult<ResourcePolicyRow> {
    Ok(ResourcePolicyRow {
        resource_arn: row.text("resource_arn")?,
        domain_id: row.int("domain_id")?,
        repository_id: row.int_opt("repository_id")?,
        revision: row.text("revision")?,
        document: row.text("document")?,
        updated_ms: row.int("updated_ms")?,
    })
}

pub fn insert_principal(p: &PrincipalRow) -> Stmt {
    let mut s = Stmt::new(format!("INSERT INTO principals ({PRINCIPAL_COLUMNS}) "));
    s.push_values([p], |mut v, p| {
        v.push_bind(&p.arn)
            .push_bind(&p.account)
            .push_bind(&p.access_key_id)
            .push_bind(&p.sealed_secret)
            .push_bind(p.policy.as_deref())
            .push_bind(p.org_id.as_deref())
            .push_bind(p.created_ms)
            .push_bind(p.updated_ms);
    });
    s
}

fn principal_where(column: &str, value: &str) -> Stmt {
    let mut s = Stmt::new(format!(
        "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE {column} = "
    ));
    s.push_bind(value);
    s
}

pub fn principal_by_access_key(access_key_id: &str) -> Stmt {
    principal_where("access_key_id", access_key_id)
}

pub fn principal_by_arn(arn: &str) -> Stmt {
    principal_where("arn", arn)
}

pub fn list_principals() -> Stmt {
    Stmt::new(format!(
        "SELECT {PRINCIPAL_COLUMNS} FROM principals ORDER BY arn"
    ))
}

pub fn update_principal(p: &PrincipalRow) -> Stmt {
    let mut s = Stmt::new("UPDATE principals SET access_key_id = ");
    s.push_bind(&p.access_key_id)
        .push(", sealed_secret = ")
        .push_bind(&p.sealed_secret)
        .push(", policy = ")
        .push_bind(p.policy.as_deref())
        .push(", org_id = ")
        .push_bind(p.org_id.as_deref())
        .push(", updated_ms = ")
        .push_bind(p.updated_ms)
        .push(" WHERE arn = ")
        .push_bind(&p.arn);
    s
}

pub fn delete_principal(arn: &str) -> Stmt {
    let mut s = Stmt::new("DELETE FROM principals WHERE arn = ");
    s.push_bind(arn);
    s
}

pub fn get_policy(resource_arn: &str) -> Stmt {
    let mut s = Stmt::new(format!(
        "SELECT {POLICY_COLUMNS} FROM resource_policies WHERE resource_arn = "
    ));
    s.push_bind(resource_arn);
    s
}

/// The write of `policy`: created or replaced, or replaced only at `expected` (then no row
/// changed means the revision moved, or there is no policy).
pub fn put_policy(policy: &ResourcePolicyRow, expected: Option<&str>) -> Stmt {
    match expected {
        None => upsert_policy(policy),
        Some(rev) => replace_policy_at(policy, rev),
    }
}

/// Creates or replaces the policy.
fn upsert_policy(p: &ResourcePolicyRow) -> Stmt {
    let mut s = Stmt::new(format!(
        "INSERT INTO resource_policies ({POLICY_COLUMNS}) VALUES ("
    ));
    s.push_bind(&p.resource_arn)
        .push(", ")
        .push_bind(p.domain_id)
        // A NULL binds as text on PostgreSQL: the cast makes it the column's type.
        .push(", CAST(")
        .push_bind(p.repository_id)
        .push(" AS BIGINT), ")
        .push_bind(&p.revision)
        .push(", ")
        .push_bind(&p.document)
        .push(", ")
        .push_bind(p.updated_ms)
        .push(
            ") ON CONFLICT (resource_arn) DO UPDATE SET revision = excluded.revision, \
             document = excluded.document, updated_ms = excluded.updated_ms",
        );
    s
}

/// Replaces the policy if it is at `expected` (one row changed), else changes nothing.
fn replace_policy_at(p: &ResourcePolicyRow, expected: &str) -> Stmt {
    let mut s = Stmt::new("UPDATE resource_policies SET revision = ");
    s.push_bind(&p.revision)
        .push(", document = ")
        .push_bind(&p.document)
        .push(", updated_ms = ")
        .push_bind(p.updated_ms)
        .push(" WHERE resource_arn = ")
        .push_bind(&p.resource_arn)
        .push(" AND revision = ")
        .push_bind(expected);
    s
}

/// `DELETE … RETURNING` the policy (only at `expected`, when given).
pub fn delete_policy(resource_arn: &str, expected: Option<&str>) -> Stmt {
    let mut s = Stmt::new("DELETE FROM resource_policies WHERE resource_arn = ");
    s.push_bind(resource_arn);
    if let Some(rev) = expected {
        s.push(" AND revision = ").push_bind(rev);
    }
    s.push(format_args!(" RETURNING {POLICY_COLUMNS}"));
    s
}
