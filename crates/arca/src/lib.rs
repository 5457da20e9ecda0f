//! The `arca` server: configuration, wiring of the layers, and the HTTP listener.
//!
//! Layers (see ARCHITECTURE.md): `arca-api-codeartifact` and `arca-api-native` (wire) →
//! `arca-service` (rules) → `arca-metadata` + a backend ([`store`]: SQLite or PostgreSQL) and
//! `arca-blobstore` (storage). This crate only assembles them; [`run`] is what `arca serve` and the
//! integration tests call.

pub mod audit;
pub mod cache;
pub mod client;
pub mod config;
pub mod credentials;
pub mod login;
pub mod maintenance;
pub mod ops;
pub mod principals;
pub mod progress;
pub mod server;
pub mod signed;
pub mod store;
pub mod transfer;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use arca_api_codeartifact::throttle::Throttle;
use arca_api_codeartifact::{AccessKey, ApiState, Authenticator};
use arca_api_native::NativeState;
use arca_blobstore::BlobStore;
use arca_service::{Limits, Pager, Service, ServiceConfig};
use axum::Router;
use tokio::net::TcpListener;

pub use config::{BlobLocation, Config, ServeArgs};
pub use credentials::RootCredentials;

/// A fully wired server, ready to accept connections.
pub struct App {
    pub router: Router,
    pub credentials: RootCredentials,
    pub generated_credentials: bool,
    /// The service behind the router (for maintenance tasks and tests).
    pub service: Service,
    /// Period of the background garbage collection, if any.
    pub gc_interval: Option<Duration>,
    pub gc_grace: Duration,
    pub timeouts: server::Timeouts,
    /// How the client's address and TLS are read (trusted proxies).
    pub clients: client::ClientFacts,
    /// How long audit records are kept (pruned with each garbage collection).
    pub audit_retention: Duration,
    /// Whether the web UI is served at `/ui/`.
    pub ui: bool,
}

/// Opens the storage under the data directory and builds the router.
pub async fn build(config: &Config) -> anyhow::Result<App> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    let (credentials, token_secret, generated) = credentials::load_or_create(config)?;
    let started = SystemTime::now();
    let service = open_service(config, Pager::new(&token_secret)).await?;
    // Other replicas may be writing temporaries to a shared store: only clear stale ones there.
    let cutoff = match config.blobs {
        BlobLocation::Local(_) => started,
        BlobLocation::S3(_) => started - config.gc_grace,
    };
    let removed = service
        .blobs()
        .cleanup_temporaries(cutoff)
        .await
        .context("cleaning leftover temporary uploads")?;
    if removed > 0 {
        tracing::info!(removed, "removed temporaries left by an interrupted run");
    }
    service
        .check_configured_principals()
        .context("checking [[principals]]")?;
    let auth = Authenticator::new(
        [AccessKey {
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key.clone(),
            account_id: credentials.account_id.clone(),
        }],
        Duration::from_secs(15 * 60),
    );
    let state = ApiState {
        service: service.clone(),
        auth: Arc::new(auth),
        throttle: config
            .rate_limit
            .map(|(rate, burst)| Arc::new(Throttle::new(rate, burst))),
    };
    let native = arca_api_native::router(NativeState {
        service: service.clone(),
        max_publish_bytes: config.max_publish_bytes,
    });
    let mut router = Router::new()
        .fallback(arca_api_codeartifact::handle)
        .with_state(state)
        .merge(native)
        .merge(ops::router(service.clone(), config.metrics_token.clone()));
    if config.ui {
        router = router.merge(arca_ui::router(
            service.clone(),
            arca_ui::UiConfig {
                root: arca_ui::RootKey {
                    access_key_id: credentials.access_key_id.clone(),
                    secret_access_key: credentials.secret_access_key.clone(),
                    account_id: credentials.account_id.clone(),
                },
                server_secret: token_secret.clone(),
                secure_cookies: config
                    .public_url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://")),
            },
        ));
    }
    Ok(App {
        router,
        credentials,
        generated_credentials: generated,
        service,
        gc_interval: config.gc_interval,
        gc_grace: config.gc_grace,
        timeouts: config.timeouts,
        clients: client::ClientFacts {
            trusted_proxies: config.trusted_proxies.clone(),
            public_https: config
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
        },
        audit_retention: config.audit_retention,
        ui: config.ui,
    })
}

/// Opens the metadata and blob stores.
pub async fn open_service(config: &Config, pager: Pager) -> anyhow::Result<Service> {
    let metrics = Arc::new(arca_service::metrics::Metrics::new());
    let store =
        store::open_metadata(config.database_url.as_deref(), &config.data_dir, &metrics).await?;
    let blobs = match &config.blobs {
        BlobLocation::Local(dir) => BlobStore::local(dir),
        BlobLocation::S3(s3) => BlobStore::s3(s3),
    }
    .context("opening the blob store")?;
    Ok(Service::new(
        store,
        blobs,
        pager,
        ServiceConfig {
            region: config.region.clone(),
            limits: Limits {
                max_asset_bytes: config.max_asset_bytes,
                ..Limits::default()
            },
            blob_grace: config.gc_grace,
            public_url: config.public_url.clone(),
            external_connections: config.external_connections.clone(),
            principals: config.principals.clone(),
            document_ttl: config.document_ttl,
        },
    )
    .with_metrics(metrics))
}

/// `http://` and the bound address; an unspecified address (`0.0.0.0`) becomes loopback, which is
/// right for a local server (set `public_url` when clients come from elsewhere).
pub fn listen_url(mut addr: std::net::SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

/// Serves until `shutdown` resolves; in-flight requests finish before this returns.
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr().context("reading the bound address")?;
    app.service.set_listen_url(listen_url(addr));
    let collector = app.gc_interval.map(|every| {
        let (service, grace, retention) = (app.service.clone(), app.gc_grace, app.audit_retention);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = service.collect_garbage(grace, false).await {
                    tracing::error!(error = %e, "garbage collection failed");
                }
                match service.prune_audit(retention).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(records = n, "pruned audit records"),
                    Err(e) => tracing::error!(error = %e, "pruning audit records failed"),
                }
            }
        })
    });
    server::serve(listener, app.router, app.timeouts, app.clients, shutdown).await;
    if let Some(collector) = collector {
        collector.abort();
    }
    Ok(())
}
