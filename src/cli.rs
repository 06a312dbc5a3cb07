//! The launcher's command line: todo-api's flags, with the defaults of an app
//! that runs on this machine only. Shared with tests/launcher.rs, which checks
//! it against the README.

use clap::{CommandFactory, FromArgMatches, Parser};
use todo_api::ApiArgs;

/// todo-app on your machine: the web app, its REST API and MCP server in one
/// process, data in an SQLite file under ./data. Takes the same settings as the
/// `todo-api` server; it listens on 127.0.0.1:3000 unless told otherwise and keeps
/// its signing secret in the data directory, so you stay signed in across restarts.
#[derive(Parser)]
#[command(name = "todo-app", version)]
pub struct Cli {
    #[command(flatten)]
    pub api: ApiArgs,
}

/// Where the launcher listens unless told otherwise: loopback, the port the web UI has.
pub const LOCAL_HOST: &str = "127.0.0.1";
pub const LOCAL_PORT: &str = "3000";

/// todo-api's flags with the launcher's own defaults, so `--help` shows what it does.
pub fn command() -> clap::Command {
    Cli::command().mut_arg("host", |a| a.default_value(LOCAL_HOST)).mut_arg("port", |a| a.default_value(LOCAL_PORT))
}

#[allow(dead_code)] // the test that includes this module does not parse
pub fn parse() -> Cli {
    Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit())
}
