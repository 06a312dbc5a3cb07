//! `cargo run --release`: the whole todo-app in one process on an embedded SQLite
//! file, for trying it out and for local development.

use std::path::Path;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use todo_api::{ApiArgs, Application, shutdown_signal, telemetry};

/// todo-app on your machine: everything in one process, data in an SQLite file
/// under ./data. Takes the same settings as the `todo-api` server; it listens on
/// 127.0.0.1 unless told otherwise and keeps its signing secret in the data
/// directory, so you stay signed in across restarts.
#[derive(Parser)]
#[command(name = "todo-app", version)]
struct Cli {
    #[command(flatten)]
    api: ApiArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if matches.value_source("host") == Some(ValueSource::DefaultValue) {
        cli.api.host = [127, 0, 0, 1].into();
    }
    if cli.api.better_auth_secret.is_none()
        && cli.api.better_auth_secret_file.is_none()
        && cli.api.auth_jwks_url.is_none()
    {
        match local_secret(&cli.api.data_dir) {
            Ok(path) => cli.api.better_auth_secret_file = Some(path),
            Err(e) => {
                eprintln!("todo-app: cannot keep a signing secret in {}: {e}", cli.api.data_dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let cfg = match cli.api.resolve() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("todo-app: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(cfg.log_format);
    let database = todo_store::redact(&cfg.database_url);
    let app = match Application::build(cfg).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("todo-app: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let addr = app.local_addr();
    println!("todo-app is running on http://{addr}  (API under /api, data: {database}; Ctrl-C stops it)");
    match app.serve(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("todo-app: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A random signing secret kept in `<data_dir>/auth-secret` (mode 0600), created on
/// first run.
fn local_secret(data_dir: &Path) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    let path = data_dir.join("auth-secret");
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 48];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&path)?;
    f.write_all(secret.as_bytes())?;
    Ok(path)
}
