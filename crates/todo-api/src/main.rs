//! `todo-api`: the REST API and MCP server of todo-app, configured by flags or
//! environment variables (`todo-api --help`), plus a `healthcheck` subcommand for
//! container probes.
#![forbid(unsafe_code)]
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use todo_api::{ApiArgs, Application, config::AppEnv, telemetry};
use todo_service::{HealthcheckArgs, config_or_exit, run_server};

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
    Healthcheck(HealthcheckArgs<8000>),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck(probe)) = cli.command {
        return probe.run().await;
    }
    let cfg = match config_or_exit("todo-api", cli.api.resolve()) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    telemetry::init(cfg.log_format, cfg.log_requests);
    todo_service::return_large_allocations_to_the_os();
    if cfg.ephemeral_secret {
        tracing::warn!("BETTER_AUTH_SECRET is not set: using a random secret, so tokens end with this process");
    }
    tracing::info!(
        database = %todo_store::redact(&cfg.database_url),
        env = ?cfg.app_env,
        production = cfg.app_env == AppEnv::Production,
        "starting todo-api {}", env!("CARGO_PKG_VERSION")
    );
    run_server("todo-api", Application::build(cfg)).await
}
