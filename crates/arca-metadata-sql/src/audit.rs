//! The audit log's statements, run by both backends (inside a publish's transaction, or alone).

use arca_metadata::{AuditFilter, AuditRow, StoreResult};

use crate::rows::Columns;
use crate::{sql_limit, Stmt};

pub const AUDIT_COLUMNS: &str =
    "id, time_ms, principal_arn, action, resource_arn, result, request_id, source_ip";

pub fn audit_row(row: &dyn Columns) -> StoreResult<(i64, AuditRow)> {
    Ok((
        row.int("id")?,
        AuditRow {
            time_ms: row.int("time_ms")?,
            principal_arn: row.text("principal_arn")?,
            action: row.text("action")?,
            resource_arn: row.text("resource_arn")?,
            result: row.text("result")?,
            request_id: row.text("request_id")?,
            source_ip: row.text("source_ip")?,
        },
    ))
}

/// One statement inserting every record of `records` (not empty).
pub fn insert_audit(records: &[AuditRow]) -> Stmt {
    let mut s = Stmt::new(
        "INSERT INTO audit_records \
         (time_ms, principal_arn, action, resource_arn, result, request_id, source_ip) ",
    );
    s.push_values(records, |mut v, r| {
        v.push_bind(r.time_ms)
            .push_bind(&r.principal_arn)
            .push_bind(&r.action)
            .push_bind(&r.resource_arn)
            .push_bind(&r.result)
            .push_bind(&r.request_id)
            .push_bind(&r.source_ip);
    });
    s
}

/// Matching records by ascending id.
pub fn list_audit(filter: &AuditFilter, limit: u32) -> Stmt {
    let mut s = Stmt::new(format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_records WHERE id > "
    ));
    s.push_bind(filter.after_id.unwrap_or(0));
    if let Some(since) = filter.since_ms {
        s.push(" AND time_ms >= ").push_bind(since);
    }
    if let Some(p) = &filter.principal_arn {
        s.push(" AND principal_arn = ").push_bind(p);
    }
    if let Some(a) = &filter.action {
        s.push(" AND action = ").push_bind(a);
    }
    s.push(" ORDER BY id LIMIT ").push_bind(sql_limit(limit));
    s
}

pub fn prune_audit(before_ms: i64) -> Stmt {
    let mut s = Stmt::new("DELETE FROM audit_records WHERE time_ms < ");
    s.push_bind(before_ms);
    s
}
