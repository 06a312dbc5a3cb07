//! README.md's configuration table says what `todo-api --help` says: every
//! variable with its default, and no variable that does not exist.

use clap::{CommandFactory, Parser};
use todo_service::config_doc::{Defaults, table_problems};

/// The flags of the `todo-api` binary (src/main.rs flattens exactly these).
#[derive(Parser)]
#[command(name = "todo-api")]
struct Cli {
    #[command(flatten)]
    api: todo_api::ApiArgs,
}

#[test]
fn the_readme_configuration_table_matches_todo_api_help() {
    let readme = include_str!("../../../../README.md");
    let problems = table_problems(&Cli::command(), "todo-api", Defaults::Own, readme, "README.md", "## Configuration");
    assert!(problems.is_empty(), "README.md and `todo-api --help` disagree:\n{}", problems.join("\n"));
}
