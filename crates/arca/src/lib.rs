//! The `arca` server: configuration, wiring of the layers, and the HTTP listener.
//!
//! Layers (see ARCHITECTURE.md): `arca-api-codeartifact` (wire) → `arca-service` (rules) →
//! `arca-metadata` + a backend ([`store`]: SQLite or PostgreSQL) and `arca-blobstore` (storage).
//! This crate only assembles them; [`run`] is what `arca serve` and the integration tests call.

pub mod config;
pub mod credentials;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use arca_api_codeartifact::{AccessKey, ApiState, Authenticator};
use arca_blobstore::BlobStore;
use arca_service::{Limits, Pager, Service, ServiceConfig};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

pub use config::{Config, ServeArgs};
pub use credentials::RootCredentials;

/// A fully wired server, ready to accept connections.
pub struct App {
    pub router: Router,
    pub credentials: RootCredentials,
    pub generated_credentials: bool,
}

/// Opens the storage under the data directory and builds the router.
pub async fn build(config: &Config) -> anyhow::Result<App> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    let (credentials, token_secret, generated) = credentials::load_or_create(config)?;
    let started = SystemTime::now();
    let store = store::open_metadata(config.database_url.as_deref(), &config.data_dir).await?;
    let blobs =
        BlobStore::local(&config.data_dir.join("blobs")).context("opening the blob store")?;
    let removed = blobs
        .cleanup_temporaries(started)
        .await
        .context("cleaning leftover temporary uploads")?;
    if removed > 0 {
        tracing::info!(removed, "removed temporaries left by an interrupted run");
    }
    let service = Service::new(
        store,
        blobs,
        Pager::new(&token_secret),
        ServiceConfig {
            region: config.region.clone(),
            limits: Limits {
                max_asset_bytes: config.max_asset_bytes,
                ..Limits::default()
            },
        },
    );
    let auth = Authenticator::new(
        [AccessKey {
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key.clone(),
            account_id: credentials.account_id.clone(),
        }],
        Duration::from_secs(15 * 60),
    );
    let state = ApiState {
        service,
        auth: Arc::new(auth),
    };
    let router = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .fallback(arca_api_codeartifact::handle)
        .with_state(state);
    Ok(App {
        router,
        credentials,
        generated_credentials: generated,
    })
}

/// Serves until `shutdown` resolves; in-flight requests finish before this returns.
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, app.router)
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
}
