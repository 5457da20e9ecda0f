//! The change feed ([`arca_metadata::ChangeFeed`]): other replicas' commits, through
//! LISTEN/NOTIFY.
//!
//! Migration 0009 makes every statement that changes a watched table send
//! `NOTIFY arca_changes, '<schema of the table>'`, delivered when its transaction commits. A task
//! per watching store holds one `LISTEN arca_changes` connection of its own (a one-connection pool,
//! never one of the store's) and bumps the epoch on every notification of the store's schema (the
//! `current_schema()` of the store's connection options, read at every connect: several
//! installations may share a database). What it cannot know about, it assumes changed: the epoch
//! moves once LISTEN is in place (commits before it were not heard), and again when the connection
//! is lost; it then reconnects with a growing pause, never in a tight loop.
//!
//! The task ends when the store is closed or its last clone dropped (or with the runtime).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arca_metadata::ChangeEpoch;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::sync::watch;

/// The channel the triggers of migration 0009 notify.
const CHANNEL: &str = "arca_changes";
/// The first pause before reconnecting after the connection was lost (doubled at every failure).
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between two connection attempts.
const LONGEST_PAUSE: Duration = Duration::from_secs(5);
/// How long a connection must have lasted for its loss to start the pauses over from
/// [`FIRST_PAUSE`] (a server that accepts and then drops every connection is not retried faster).
const STABLE_AFTER: Duration = Duration::from_secs(30);
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the listening connection is given to close when the store goes.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the feed of a store connected with `options`: bumps `epoch` until `stopped` says the
/// store is closed (`true`) or is gone (the sender dropped).
pub(crate) fn watch(
    options: PgConnectOptions,
    epoch: Arc<ChangeEpoch>,
    mut stopped: watch::Receiver<bool>,
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(
            "no async runtime to listen for other replicas' changes on: what is derived from the \
             metadata holds for its whole TTL"
        );
        return;
    };
    runtime.spawn(async move {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_lazy_with(options);
        tokio::select! {
            _ = stopped.wait_for(|closed| *closed) => {}
            _ = listen(&pool, &epoch) => {}
        }
        // The listener was dropped with `listen`; it gives its connection back after an UNLISTEN.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, pool.close()).await;
    });
}

/// Listens on connections of `pool`, one after the other, for ever.
async fn listen(pool: &PgPool, epoch: &ChangeEpoch) {
    let mut pause = FIRST_PAUSE;
    // Whether the feed is down (since the last loss was reported): reported once at warn.
    let mut down = false;
    loop {
        let mut since = None;
        let lost = session(pool, epoch, || {
            since = Some(Instant::now());
            if std::mem::take(&mut down) {
                tracing::info!("listening for other replicas' changes again");
            }
        })
        .await;
        // Whatever committed since the last notification may not have been heard.
        epoch.bump();
        if since.is_some_and(|at| at.elapsed() >= STABLE_AFTER) {
            pause = FIRST_PAUSE;
        }
        let reason = lost.err().map_or_else(
            || "connection lost".to_owned(),
            |e: sqlx::Error| e.to_string(),
        );
        if down {
            tracing::debug!(%reason, ?pause, "change feed: reconnecting failed");
        } else {
            down = true;
            tracing::warn!(
                %reason,
                "not listening for other replicas' changes; reconnecting (meanwhile what is \
                 derived from the metadata holds until its TTL)"
            );
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// One connection: LISTEN, then bump for every notification of this store's schema until the
/// connection is lost (`Ok`) or fails (`Err`). Calls `listening` once LISTEN is in place.
async fn session(
    pool: &PgPool,
    epoch: &ChangeEpoch,
    listening: impl FnOnce(),
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection is reported (`Ok(None)`), not silently replaced: `listen` bumps first.
    listener.eager_reconnect(false);
    let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()::TEXT")
        .fetch_one(&mut listener)
        .await?;
    listener.listen(CHANNEL).await?;
    // Commits before LISTEN were not heard.
    epoch.bump();
    listening();
    while let Some(notification) = listener.try_recv().await? {
        // Without a schema (no schema of the search path exists) every notification counts.
        if schema
            .as_deref()
            .is_none_or(|s| notification.payload() == s)
        {
            epoch.bump();
        }
    }
    Ok(())
}
