//! `arca`: a self-hosted package repository that speaks the AWS CodeArtifact API.

use anyhow::Context;
use arca::{maintenance, Config, ServeArgs};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "arca",
    version,
    about = "A self-hosted package repository speaking the AWS CodeArtifact API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Free the bytes no package version references any more (the server does this periodically).
    Gc {
        /// Only free bytes unreferenced for this many seconds (default: the configured grace).
        #[arg(long)]
        grace: Option<u64>,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Check that every asset's bytes are stored intact; exit status 1 if not.
    Check {
        /// Compare sizes only, without reading and hashing every blob.
        #[arg(long)]
        quick: bool,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Bring the metadata schema up to date (`--database-url`, or the SQLite file in the data dir),
    /// then exit. Servers also do it when they start; run it first when replicas are upgraded.
    Migrate {
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Copy a whole installation (metadata and blobs) into another, empty one: e.g. SQLite and a
    /// directory into PostgreSQL and S3, or back. The source is only read.
    Transfer(arca::transfer::TransferArgs),
    /// Users besides the root, with access keys and identity policies (kept in the metadata store).
    Principal {
        #[command(subcommand)]
        command: arca::principals::PrincipalCommand,
    },
    /// Configure a package manager for a repository (the AWS CLI's `codeartifact login`, for
    /// npm, pip, twine, uv, poetry, maven, gradle, cargo, gem, bundler, nuget, dotnet and swift).
    Login(arca::login::LoginArgs),
    /// The audit log: every write and every refusal, oldest first.
    Audit(arca::audit::AuditArgs),
    /// The cache of upstream indexes kept by running servers.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Drop cached upstream indexes (all, or those of one repository's connections and/or one
    /// package) in running servers, so their next read fetches them again.
    Purge(arca::cache::PurgeArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (settings, run): (ServeArgs, fn(Config) -> _) = match cli.command {
        Command::Transfer(args) => {
            // Two sides, no single configuration: text logs, level from ARCA_LOG.
            init_logging(false);
            return runtime()?.block_on(arca::transfer::transfer(args));
        }
        Command::Login(args) => {
            init_logging(false);
            return runtime()?.block_on(arca::login::login(args));
        }
        Command::Cache {
            command: CacheCommand::Purge(args),
        } => {
            let config = Config::resolve(args.settings.clone())?;
            init_logging(config.log_json);
            return runtime()?.block_on(arca::cache::purge(args, config));
        }
        Command::Audit(args) => {
            let config = Config::resolve(args.settings.clone())?;
            init_logging(config.log_json);
            return runtime()?.block_on(arca::audit::run(args, config));
        }
        Command::Principal { command } => {
            let config = Config::resolve(command.settings().clone())?;
            init_logging(config.log_json);
            return runtime()?.block_on(arca::principals::run(command, config));
        }
        Command::Serve(args) => (args, |c| Box::pin(serve(c)) as Task),
        Command::Gc { grace, settings } => {
            let settings = ServeArgs {
                gc_grace: grace.or(settings.gc_grace),
                ..settings
            };
            (settings, |c| Box::pin(maintenance::gc(c)) as Task)
        }
        Command::Check { quick, settings } => {
            if quick {
                (settings, |c| Box::pin(maintenance::check(c, false)) as Task)
            } else {
                (settings, |c| Box::pin(maintenance::check(c, true)) as Task)
            }
        }
        Command::Migrate { settings } => (settings, |c| Box::pin(migrate(c)) as Task),
    };
    let config = Config::resolve(settings)?;
    init_logging(config.log_json);
    runtime()?.block_on(run(config))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

type Task = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>>>>;

/// `arca migrate`: applies the migrations the metadata store is missing, and nothing else.
async fn migrate(config: Config) -> anyhow::Result<()> {
    let database_url = config.database_url.as_deref();
    arca::store::migrate_metadata(database_url, &config.data_dir).await?;
    let target = match database_url {
        Some(url) => arca::store::redact_url(url),
        None => config.data_dir.join("arca.db").display().to_string(),
    };
    println!("Metadata schema of {target} is up to date.");
    Ok(())
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_env("ARCA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = arca::build(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let c = &app.credentials;
    println!("Arca is listening on http://{addr}");
    if app.ui {
        let base = config
            .public_url
            .clone()
            .unwrap_or_else(|| arca::listen_url(addr));
        println!("Web UI: {base}/ui/");
    }
    println!("Data directory: {}", config.data_dir.display());
    if app.generated_credentials {
        println!(
            "Generated root credentials (kept in {}):",
            config.data_dir.join("credentials.toml").display()
        );
    } else {
        println!("Root credentials:");
    }
    println!("  export AWS_ACCESS_KEY_ID={}", c.access_key_id);
    println!("  export AWS_SECRET_ACCESS_KEY={}", c.secret_access_key);
    println!("  export AWS_DEFAULT_REGION={}", config.region);
    println!(
        "  # account id {}; then: aws --endpoint-url http://{addr} codeartifact list-domains",
        c.account_id
    );
    tracing::info!(%addr, "listening");
    arca::run(listener, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
