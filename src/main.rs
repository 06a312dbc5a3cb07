//! `cargo run --release`: the whole todo-app in one process on one port, on an
//! embedded SQLite file, with the same path layout as the Ingress: `/api` and
//! `/mcp` go to the API, everything else to the web UI.
#![forbid(unsafe_code)]

use std::path::Path;
use std::process::ExitCode;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use todo_api::app::{HttpOptions, open_store};
use todo_api::{shutdown_signal, telemetry};
use tower::ServiceExt;

mod cli;
mod doctor;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::parse();
    if let Some(cli::Command::Doctor(args)) = cli.command {
        return doctor::run(args.api).await;
    }
    match run(cli.api).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("todo-app: {e:#}");
            eprintln!("todo-app: `todo-app doctor` (with the same settings) checks the setup and says how to fix it");
            ExitCode::FAILURE
        }
    }
}

/// Whether the launcher keeps its own signing secret in the data directory:
/// when none is configured and no external issuer is either.
fn uses_local_secret(api: &todo_api::ApiArgs) -> bool {
    api.auth.better_auth_secret.is_none()
        && api.auth.better_auth_secret_file.is_none()
        && api.auth.auth_jwks_url.is_none()
}

async fn run(mut args: todo_api::ApiArgs) -> anyhow::Result<()> {
    if uses_local_secret(&args) {
        let path = local_secret(&args.database.data_dir).map_err(|e| {
            anyhow::anyhow!("cannot keep a signing secret in {}: {e}", args.database.data_dir.display())
        })?;
        args.auth.better_auth_secret_file = Some(path);
    }
    let cfg = match args.resolve() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("todo-app: {e}");
            std::process::exit(2);
        }
    };
    telemetry::init(cfg.log_format, cfg.log_requests);
    todo_service::return_large_allocations_to_the_os();

    let listener = tokio::net::TcpListener::bind(cfg.addr).await?;
    let addr = listener.local_addr()?;
    let store = open_store(&cfg).await?;
    // One registry for both, served at /metrics by the API: the web's HTTP series
    // join the API's families instead of repeating them in a second exposition.
    let mut metrics = todo_api::metrics::Metrics::new();
    let http_metrics = metrics.http.clone();
    let web_metrics = todo_web::metrics::Metrics::in_registry(metrics.registry_mut(), http_metrics);
    let api_state =
        todo_api::state::AppState::with_metrics(store, todo_auth::Authenticator::new(cfg.auth.clone()), &cfg, metrics);
    let api = todo_api::app::router(
        api_state.clone(),
        &HttpOptions { frontend_url: None, request_timeout: cfg.request_timeout, mcp: cfg.mcp.clone() },
    );

    // The web UI calls the API in this same process over loopback.
    let web_args = todo_web::WebArgs {
        host: cfg.addr.ip(),
        port: addr.port(),
        backend_url: format!("http://127.0.0.1:{}", addr.port()),
        app_env: cfg.app_env,
        log_format: cfg.log_format,
        cookie_secure: todo_web::config::CookieSecure::Auto,
        request_timeout_secs: cfg.request_timeout.as_secs().max(1),
        backend_timeout_secs: cfg.request_timeout.as_secs().max(1),
        shutdown_timeout_secs: cfg.shutdown_timeout.as_secs(),
        trusted_proxies: args.server.trusted_proxies.clone(),
        // Unused: this process serves the web router itself, with the API's limits.
        connections: args.server.connections.clone(),
    };
    let web = todo_web::router(todo_web::WebState::with_metrics(&web_args.resolve()?, web_metrics));

    // Same layout as the Ingress. Readiness is the API's: it checks the database,
    // and the web UI is served by this very process. So is /metrics: it renders
    // the one registry, with the pool and cache gauges only the API can read.
    // The outer route's MatchedPath is dropped: the API router would append its
    // own to it ("/api/{*rest}/api/..."), and its metrics count by route template.
    let api = api.map_request(|mut req: Request| {
        req.extensions_mut().remove::<MatchedPath>();
        req
    });
    let app = Router::new()
        .route_service("/api/{*rest}", api.clone())
        .route_service("/mcp", api.clone())
        .route_service("/readyz", api.clone())
        .route_service("/metrics", api)
        .fallback_service(web);

    // The one line a person starting it reads: where to go, where the data is,
    // which assistant answers (no secrets: the URL is printed without credentials).
    println!(
        "todo-app is running on http://{addr}  (web UI at /, API at /api, MCP at /mcp; data: {}; assistant: {}; Ctrl-C stops it)",
        data_location(&cfg.database_url),
        cfg.assistant.describe(),
    );
    todo_api::app::serve(listener, app, api_state, cfg.connections, cfg.shutdown_timeout, shutdown_signal()).await
}

/// Where the data lives, for people: the SQLite file's absolute path, or the
/// PostgreSQL URL without its password.
fn data_location(database_url: &str) -> String {
    match doctor::sqlite_file(database_url) {
        Some(None) => "in memory (gone when it stops)".into(),
        Some(Some(file)) => {
            format!("SQLite file {}", std::path::absolute(&file).unwrap_or(file).display())
        }
        None => format!("PostgreSQL {}", todo_store::redact(database_url)),
    }
}

/// A random signing secret kept in `<data_dir>/auth-secret` (mode 0600), created on
/// first run, in a data directory only its owner can enter (0700).
fn local_secret(data_dir: &Path) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    use todo_store::files;
    let path = data_dir.join("auth-secret");
    if path.exists() {
        // Left by an older version with the umask's modes: this directory is
        // the launcher's own (it holds the secret and the database).
        files::restrict_to_owner(data_dir)?;
        files::restrict_to_owner(&path)?;
        return Ok(path);
    }
    files::create_private_dir(data_dir)?;
    let mut bytes = [0u8; 48];
    rand::RngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes).map_err(std::io::Error::other)?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&path)?;
    f.write_all(secret.as_bytes())?;
    Ok(path)
}
