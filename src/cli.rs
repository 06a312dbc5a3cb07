//! The launcher's command line: todo-api's flags, with the defaults of an app
//! that runs on this machine only, and the `doctor` subcommand. Shared with
//! tests/launcher.rs, which checks it against the README.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use todo_api::ApiArgs;

/// todo-app on your machine: the web app, its REST API and MCP server in one
/// process, data in an SQLite file under ./data. Takes the same settings as the
/// `todo-api` server; it listens on 127.0.0.1:3000 unless told otherwise and keeps
/// its signing secret in the data directory, so you stay signed in across restarts.
/// `todo-app doctor` checks a setup without starting it.
#[derive(Parser)]
#[command(name = "todo-app", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check the setup without starting the app: the settings, the port, the
    /// database and the assistant's model provider (one small request). Says
    /// what is wrong and how to fix it; exit code 0 when all is well, 1 if not.
    /// Takes the same flags and environment variables as `todo-app`.
    Doctor(DoctorArgs),
}

#[derive(Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub api: ApiArgs,
}

/// Where the launcher listens unless told otherwise: loopback, the port the web UI has.
pub const LOCAL_HOST: &str = "127.0.0.1";
pub const LOCAL_PORT: &str = "3000";

fn local_defaults(cmd: clap::Command) -> clap::Command {
    cmd.mut_arg("host", |a| a.default_value(LOCAL_HOST)).mut_arg("port", |a| a.default_value(LOCAL_PORT))
}

/// todo-api's flags with the launcher's own defaults, so `--help` shows what it does.
pub fn command() -> clap::Command {
    local_defaults(Cli::command()).mut_subcommand("doctor", local_defaults)
}

#[allow(dead_code)] // the test that includes this module does not parse
pub fn parse() -> Cli {
    Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit())
}
