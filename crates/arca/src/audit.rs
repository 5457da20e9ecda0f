//! `arca audit`: the audit log in the metadata store (every write and every refusal), oldest
//! first, as a table or one JSON object per line. Reads only; safe beside live servers.

use anyhow::Context;
use arca_service::{AuditQuery, Pager};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{open_service, Config, ServeArgs};

#[derive(clap::Args, Debug, Clone)]
pub struct AuditArgs {
    /// Only records at or after T: an RFC 3339 time (`2026-12-05T13:00:00Z`) or an age (`90m`,
    /// `3d`).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Only records of this principal ARN (`arn:aws:iam::123456789012:user/ci`).
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// Only records of this action (`codeartifact:PublishPackageVersion`).
    #[arg(long, value_name = "A")]
    pub action: Option<String>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub settings: ServeArgs,
}

/// Records read per store call.
const PAGE: u32 = 1000;

pub async fn run(args: AuditArgs, config: Config) -> anyhow::Result<()> {
    let service = open_service(&config, Pager::new(b"arca-audit")).await?;
    let query = AuditQuery {
        since_ms: args.since.as_deref().map(since_ms).transpose()?,
        principal_arn: args.principal,
        action: args.action,
    };
    let mut out = std::io::stdout().lock();
    if !args.json {
        use std::io::Write;
        writeln!(
            out,
            "TIME                      RESULT   PRINCIPAL  ACTION  RESOURCE  REQUEST-ID  SOURCE"
        )?;
    }
    let mut after = None;
    loop {
        let page = service.audit_records(&query, after, PAGE).await?;
        for (_, r) in &page {
            let time = time_text(r.time_ms);
            let line = if args.json {
                serde_json::json!({
                    "time": time,
                    "principalArn": r.principal_arn,
                    "action": r.action,
                    "resourceArn": r.resource_arn,
                    "result": r.result,
                    "requestId": r.request_id,
                    "sourceIp": r.source_ip,
                })
                .to_string()
            } else {
                format!(
                    "{time:<25} {:<8} {}  {}  {}  {}  {}",
                    r.result,
                    r.principal_arn,
                    r.action,
                    r.resource_arn,
                    r.request_id,
                    if r.source_ip.is_empty() {
                        "-"
                    } else {
                        &r.source_ip
                    },
                )
            };
            use std::io::Write;
            writeln!(out, "{line}")?;
        }
        match page.last() {
            Some((id, _)) if page.len() == PAGE as usize => after = Some(*id),
            _ => return Ok(()),
        }
    }
}

/// `--since`: an RFC 3339 time, or an age before now.
fn since_ms(text: &str) -> anyhow::Result<i64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let age = humantime::parse_duration(text).with_context(|| {
        format!("--since must be an RFC 3339 time or an age such as 3d, got '{text}'")
    })?;
    let now = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    Ok((now - age.as_millis() as i128) as i64)
}

/// RFC 3339 in UTC with milliseconds.
fn time_text(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_time_or_an_age() {
        assert_eq!(since_ms("1970-01-01T00:00:01Z").unwrap(), 1000);
        let an_hour_ago = since_ms("1h").unwrap();
        let now = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        assert!((now - 3_600_000 - an_hour_ago).abs() < 60_000);
        assert!(since_ms("yesterday-ish").is_err());
        assert_eq!(time_text(1500), "1970-01-01T00:00:01.5Z");
    }
}
