//! A fresh PostgreSQL schema per test, on the server of `ARCA_TEST_POSTGRES_URL` (default the
//! local one). Unreachable: the test says loudly that it skipped, or fails when
//! `ARCA_REQUIRE_POSTGRES=1` (as in CI).

use std::io::Write;

use sqlx::{Connection, PgConnection};

const DEFAULT_URL: &str = "postgres://root@127.0.0.1:5432/test";
/// The prefix the storage suite also uses, so either cleans up the other's leftovers.
const PREFIX: &str = "arca_test_";

fn server_url() -> String {
    std::env::var("ARCA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A schema that is dropped with this value.
pub struct PgSchema {
    /// The database URL selecting the schema, as a user would give it to `--database-url`.
    pub url: String,
    name: String,
}

impl PgSchema {
    pub async fn create(test: &str) -> Option<Self> {
        let server = server_url();
        let mut conn = match PgConnection::connect(&server).await {
            Ok(conn) => conn,
            Err(e) if std::env::var("ARCA_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
                panic!(
                    "{test}: PostgreSQL not reachable at {server} and ARCA_REQUIRE_POSTGRES=1: {e}"
                )
            }
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: PostgreSQL not reachable at {server} ({e})"
                );
                return None;
            }
        };
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let name = format!("{PREFIX}{secs}_{:016x}", rand::random::<u64>());
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let separator = if server.contains('?') { '&' } else { '?' };
        Some(Self {
            url: format!("{server}{separator}options=-c%20search_path%3D{name}"),
            name,
        })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // Drop may run inside the test's runtime: do the async work on a thread of its own.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&server_url()).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
