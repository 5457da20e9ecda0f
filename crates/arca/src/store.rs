//! The metadata store a configuration names: PostgreSQL (`postgres://`, `postgresql://`), an SQLite
//! URL (`sqlite:`), or by default the SQLite file `DATA_DIR/arca.db`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use std::time::Instant;

use arca_metadata::{CallObserver, MetadataStore, Observed};
use arca_metadata_postgres::PostgresStore;
use arca_metadata_sqlite::SqliteStore;
use arca_service::metrics::Metrics;

/// Where the metadata lives.
enum Location<'a> {
    Postgres(&'a str),
    SqliteUrl(&'a str),
    SqliteFile(&'a Path),
}

impl<'a> Location<'a> {
    fn of(database_url: Option<&'a str>, data_dir: &'a Path) -> anyhow::Result<Self> {
        Ok(match database_url {
            None => Location::SqliteFile(data_dir),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Location::Postgres(url)
            }
            Some(url) if url.starts_with("sqlite:") => Location::SqliteUrl(url),
            Some(url) => bail!(
                "database URL must start with postgres://, postgresql:// or sqlite:, got '{}'",
                redact_url(url)
            ),
        })
    }
}

/// Fails unless `database_url` names a supported backend (checked with the configuration).
pub fn check_database_url(database_url: &str) -> anyhow::Result<()> {
    Location::of(Some(database_url), Path::new("")).map(|_| ())
}

/// `url` with its password, if any, replaced by `***`: for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Opens the metadata store, bringing its schema up to date. Every call is timed into `metrics`
/// (`arca_store_call_duration_seconds`), and SQLite's group commits are counted there.
pub async fn open_metadata(
    database_url: Option<&str>,
    data_dir: &Path,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<Arc<dyn MetadataStore>> {
    let observe_commits = |sqlite: SqliteStore| {
        let metrics = metrics.clone();
        sqlite.observe_group_commits(Arc::new(move |n| metrics.group_commit(n)));
        Arc::new(sqlite)
    };
    let inner: Arc<dyn MetadataStore> = match Location::of(database_url, data_dir)? {
        Location::Postgres(url) => {
            Arc::new(PostgresStore::connect(url).await.with_context(|| {
                format!("opening the PostgreSQL metadata store {}", redact_url(url))
            })?)
        }
        Location::SqliteUrl(url) => observe_commits(
            SqliteStore::open_url(url)
                .await
                .with_context(|| format!("opening the SQLite metadata store {url}"))?,
        ),
        Location::SqliteFile(dir) => observe_commits(open_sqlite_file(dir).await?),
    };
    Ok(Arc::new(Observed {
        inner,
        observer: StoreTimer(metrics.clone()),
    }))
}

/// Times each store call into the metrics.
struct StoreTimer(Arc<Metrics>);

/// Records the call's time when the call ends (however it ends).
struct TimedCall {
    metrics: Arc<Metrics>,
    method: &'static str,
    started: Instant,
}

impl CallObserver for StoreTimer {
    type Guard = TimedCall;
    fn enter(&self, method: &'static str) -> TimedCall {
        TimedCall {
            metrics: self.0.clone(),
            method,
            started: Instant::now(),
        }
    }
}

impl Drop for TimedCall {
    fn drop(&mut self) {
        self.metrics.store_call(self.method, self.started.elapsed());
    }
}

/// Only brings the schema of the metadata store up to date (`arca migrate`).
pub async fn migrate_metadata(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<()> {
    match Location::of(database_url, data_dir)? {
        Location::Postgres(url) => PostgresStore::migrate(url).await.with_context(|| {
            format!(
                "migrating the PostgreSQL metadata store {}",
                redact_url(url)
            )
        }),
        // SQLite migrates when it opens.
        Location::SqliteUrl(url) => {
            let store = SqliteStore::open_url(url)
                .await
                .with_context(|| format!("migrating the SQLite metadata store {url}"))?;
            store.close().await;
            Ok(())
        }
        Location::SqliteFile(dir) => {
            open_sqlite_file(dir).await?.close().await;
            Ok(())
        }
    }
}

async fn open_sqlite_file(data_dir: &Path) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data dir {}", data_dir.display()))?;
    let path = data_dir.join("arca.db");
    SqliteStore::open(&path)
        .await
        .with_context(|| format!("opening the SQLite metadata store {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        let dir = Path::new("/data");
        assert!(matches!(
            Location::of(None, dir).unwrap(),
            Location::SqliteFile(d) if d == dir
        ));
        for url in [
            "postgres://h/db",
            "postgresql://u:p@h:5432/db?sslmode=require",
        ] {
            assert!(
                matches!(Location::of(Some(url), dir).unwrap(), Location::Postgres(u) if u == url)
            );
        }
        assert!(matches!(
            Location::of(Some("sqlite::memory:"), dir).unwrap(),
            Location::SqliteUrl("sqlite::memory:")
        ));
        let err = check_database_url("mysql://u:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("postgres://"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://arca:s3cr:t@db.example:5432/arca?x=a@b"),
            "postgres://arca:***@db.example:5432/arca?x=a@b"
        );
        assert_eq!(
            redact_url("postgres://arca@db/arca"),
            "postgres://arca@db/arca"
        );
        assert_eq!(redact_url("postgres://db/arca"), "postgres://db/arca");
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
    }

    #[tokio::test]
    async fn sqlite_by_default_and_by_url() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("new");
        migrate_metadata(None, &data_dir).await.unwrap();
        assert!(data_dir.join("arca.db").exists());
        let store = open_metadata(None, &data_dir, &Arc::default())
            .await
            .unwrap();
        assert!(store
            .list_domains("111122223333", None, 1)
            .await
            .unwrap()
            .is_empty());

        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("other.db").display()
        );
        migrate_metadata(Some(&url), &data_dir).await.unwrap();
        assert!(dir.path().join("other.db").exists());
        open_metadata(Some("sqlite::memory:"), &data_dir, &Arc::default())
            .await
            .unwrap();
    }
}
