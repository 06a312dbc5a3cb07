//! The `todo-web` binary: the web frontend, or its `healthcheck` probe.
#![forbid(unsafe_code)]
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use todo_service::{HealthcheckArgs, config_or_exit, run_server};
use todo_web::{Application, WebArgs, telemetry};

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
    Healthcheck(HealthcheckArgs<3000>),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck(probe)) = cli.command {
        return probe.run().await;
    }
    let cfg = match config_or_exit("todo-web", cli.web.resolve()) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    telemetry::init(cfg.log_format);
    tracing::info!(backend = %cfg.backend_url, env = ?cfg.app_env, "starting todo-web {}", env!("CARGO_PKG_VERSION"));
    run_server("todo-web", Application::build(cfg)).await
}
