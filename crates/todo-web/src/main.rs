use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use todo_web::{Application, WebArgs, shutdown_signal, telemetry};

/// The todo-app web frontend: HTML pages for tasks and the assistant, calling the
/// API (BACKEND_URL) server-side; /healthz, /readyz and /metrics for operators.
#[derive(Parser)]
#[command(name = "todo-web", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    web: WebArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Probe a running server and exit 0 when it is healthy (for container
    /// HEALTHCHECKs; needs no shell or curl).
    Healthcheck {
        /// URL to probe. Default: http://127.0.0.1:$PORT/healthz.
        #[arg(long)]
        url: Option<String>,
        #[arg(long, env = "PORT", default_value_t = 3000)]
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
        return ExitCode::from(todo_probe::run(&url, Duration::from_secs(timeout_secs)) as u8);
    }
    let cfg = match cli.web.resolve() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("todo-web: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(cfg.log_format);
    tracing::info!(backend = %cfg.backend_url, env = ?cfg.app_env, "starting todo-web {}", env!("CARGO_PKG_VERSION"));
    let app = match Application::build(cfg).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("todo-web: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.local_addr(), "todo-web listening on http://{}", app.local_addr());
    match app.serve(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
