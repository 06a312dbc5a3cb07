//! crates/todo-web/README.md's configuration table says what `todo-web --help`
//! says: every variable with its default, and no variable that does not exist.

use clap::{CommandFactory, Parser};
use todo_service::config_doc::{Defaults, table_problems};

/// The flags of the `todo-web` binary (src/main.rs flattens exactly these).
#[derive(Parser)]
#[command(name = "todo-web")]
struct Cli {
    #[command(flatten)]
    web: todo_web::WebArgs,
}

#[test]
fn the_readme_configuration_table_matches_todo_web_help() {
    let readme = include_str!("../../README.md");
    let problems = table_problems(
        &Cli::command(),
        "todo-web",
        Defaults::Own,
        readme,
        "crates/todo-web/README.md",
        "## Configuration",
    );
    assert!(problems.is_empty(), "crates/todo-web/README.md and `todo-web --help` disagree:\n{}", problems.join("\n"));
}
