//! The embedded migrations (`migrations/`), applied the way sqlx's migrator applied them, in the
//! same bookkeeping table: a database migrated by an earlier Arca (which ran them with
//! `sqlx::migrate!`) is recognised as it is, and one migrated here opens in that earlier Arca too.
//!
//! `_sqlx_migrations` has one row per applied file: its version (the file's number), description
//! (the rest of the name, `_` as spaces), `success`, the SHA-384 of the file's text and the
//! execution time in nanoseconds. As with sqlx: a recorded migration whose checksum differs from
//! the embedded file's, a failed (`success = false`) one, or one this build does not know is an
//! error, and nothing is applied. Each pending file runs in its own `BEGIN IMMEDIATE` transaction
//! with its row, after checking again under the write lock that no other process applied it.

use std::time::Instant;

use arca_metadata::{StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha384};

use arca_metadata_sql::backend;

struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        description: "blobs",
        sql: include_str!("../migrations/0002_blobs.sql"),
    },
    Migration {
        version: 3,
        description: "details",
        sql: include_str!("../migrations/0003_details.sql"),
    },
    Migration {
        version: 4,
        description: "external connections",
        sql: include_str!("../migrations/0004_external_connections.sql"),
    },
    Migration {
        version: 5,
        description: "package groups",
        sql: include_str!("../migrations/0005_package_groups.sql"),
    },
    Migration {
        version: 6,
        description: "document stamps",
        sql: include_str!("../migrations/0006_document_stamps.sql"),
    },
    Migration {
        version: 7,
        description: "principals policies",
        sql: include_str!("../migrations/0007_principals_policies.sql"),
    },
    Migration {
        version: 8,
        description: "audit",
        sql: include_str!("../migrations/0008_audit.sql"),
    },
];

/// The table exactly as sqlx 0.8 creates it on SQLite.
const TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

fn refused(message: String) -> StoreError {
    StoreError::backend(std::io::Error::other(message))
}

fn checksum(sql: &str) -> Vec<u8> {
    Sha384::digest(sql.as_bytes()).to_vec()
}

/// The recorded `(version, checksum, success)` rows, by version.
fn applied(conn: &Connection) -> StoreResult<Vec<(i64, Vec<u8>, bool)>> {
    let mut stmt = conn
        .prepare("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

/// Brings the schema up to date (see the module documentation).
pub(crate) fn run(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(TABLE).map_err(backend)?;
    for (version, recorded, success) in applied(conn)? {
        let Some(m) = MIGRATIONS.iter().find(|m| m.version == version) else {
            return Err(refused(format!(
                "migration {version} was applied to this database but is unknown to this build"
            )));
        };
        if !success {
            return Err(refused(format!(
                "migration {version} is partially applied; fix and remove it manually"
            )));
        }
        if recorded != checksum(m.sql) {
            return Err(refused(format!(
                "migration {version} was applied but has been modified since"
            )));
        }
    }
    for m in MIGRATIONS {
        let start = Instant::now();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        let done = tx
            .query_row(
                "SELECT 1 FROM _sqlx_migrations WHERE version = ?1",
                [m.version],
                |_| Ok(()),
            )
            .optional()
            .map_err(backend)?;
        if done.is_some() {
            continue;
        }
        tx.execute_batch(m.sql).map_err(backend)?;
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?1, ?2, TRUE, ?3, ?4)",
            rusqlite::params![
                m.version,
                m.description,
                checksum(m.sql),
                i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX)
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_descriptions_follow_the_file_names() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "every file is embedded");
        for (file, m) in files.iter().zip(MIGRATIONS) {
            let (version, rest) = file.split_once('_').unwrap();
            assert_eq!(version.parse::<i64>().unwrap(), m.version);
            let description = rest.trim_end_matches(".sql").replace('_', " ");
            assert_eq!(description, m.description);
        }
    }
}
