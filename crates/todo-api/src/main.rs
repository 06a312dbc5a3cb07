use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use todo_api::{ApiArgs, Application, config::AppEnv, healthcheck, shutdown_signal, telemetry};

/// The todo-app backend: REST API (/api), health (/healthz, /readyz), metrics
/// (/metrics) and its OpenAPI document (/api/openapi.json).
#[derive(Parser)]
#[command(name = "todo-api", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Probe a running server and exit 0 when it is healthy (for container
    /// HEALTHCHECKs and `helm test`; needs no shell or curl).
    Healthcheck {
        /// URL to probe. Default: http://127.0.0.1:$PORT/healthz.
        #[arg(long)]
        url: Option<String>,
        #[arg(long, env = "PORT", default_value_t = 8000)]
        port: u16,
        /// Seconds to wait for an answer.
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck { url, port, timeout_secs }) = cli.command {
        let url = url.unwrap_or_else(|| format!("http://127.0.0.1:{port}/healthz"));
        return ExitCode::from(healthcheck::run(&url, Duration::from_secs(timeout_secs)) as u8);
    }
    let cfg = match cli.api.resolve() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("todo-api: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(cfg.log_format);
    if cfg.ephemeral_secret {
        tracing::warn!("BETTER_AUTH_SECRET is not set: using a random secret, so tokens end with this process");
    }
    tracing::info!(
        database = %todo_store::redact(&cfg.database_url),
        env = ?cfg.app_env,
        production = cfg.app_env == AppEnv::Production,
        "starting todo-api {}", env!("CARGO_PKG_VERSION")
    );
    let app = match Application::build(cfg).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("todo-api: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.local_addr(), "todo-api listening on http://{}", app.local_addr());
    match app.serve(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
