//! `todo-app doctor`: checks a setup without starting the app, and says in
//! plain words what is wrong and how to fix it. Read-only where it can be: it
//! creates no data directory, no database and no secret (a test file is
//! written and removed to see that a directory is writable).

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use todo_api::ApiArgs;
use todo_api::config::{ApiConfig, public_url};
use todo_store::check::{ConnectProblem, DatabaseCheck, check_database};

/// The longest the database check waits for an answer.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs every check and prints one line each; 0 when nothing failed, else 1.
pub async fn run(mut api: ApiArgs) -> ExitCode {
    let mut report = Report::default();
    println!("todo-app doctor: checking the setup (the same flags and environment variables as `todo-app`)\n");

    if crate::uses_local_secret(&api) {
        let path = api.database.data_dir.join("auth-secret");
        if path.exists() {
            match std::fs::read_to_string(&path) {
                Ok(s) if !s.trim().is_empty() => {
                    report.ok("signing secret", format!("kept in {}", path.display()));
                    api.auth.better_auth_secret_file = Some(path);
                }
                Ok(_) => report.fail(
                    "signing secret",
                    format!("{} is empty", path.display()),
                    "Delete it: a new one is made at the next start (everyone has to sign in again).",
                ),
                Err(e) => report.fail(
                    "signing secret",
                    format!("cannot read {}: {e}", path.display()),
                    "Make it readable by the user that runs todo-app, or delete it (a new one is made at the next start; everyone has to sign in again).",
                ),
            }
        } else {
            report.ok("signing secret", format!("none yet: one is made in {} at the first start", path.display()));
        }
    }

    let cfg = match api.resolve() {
        Ok(cfg) => {
            report.ok("settings", format!("valid ({:?} mode)", cfg.app_env).to_lowercase());
            cfg
        }
        Err(e) => {
            report.fail(
                "settings",
                e.0,
                "Change that setting: a flag, or the environment variable of the same name (`todo-app --help` lists them all with their defaults).",
            );
            return report.finish(None);
        }
    };

    check_port(&mut report, &cfg);
    check_data(&mut report, &cfg).await;
    check_assistant(&mut report, &cfg).await;
    report.finish(Some(&cfg))
}

#[derive(Default)]
struct Report {
    problems: usize,
}

impl Report {
    fn ok(&mut self, what: &str, detail: impl Display) {
        println!("  ok    {what}: {detail}");
    }

    fn fail(&mut self, what: &str, detail: impl Display, fix: impl Display) {
        println!("  FAIL  {what}: {detail}");
        println!("        fix: {fix}");
        self.problems += 1;
    }

    fn finish(self, cfg: Option<&ApiConfig>) -> ExitCode {
        println!();
        match (self.problems, cfg) {
            (0, Some(cfg)) => {
                println!("All good: start it with `cargo run --release` (or `todo-app`) and open http://{}", cfg.addr);
                ExitCode::SUCCESS
            }
            (n, _) => {
                let s = if n == 1 { "" } else { "s" };
                println!(
                    "{} problem{s} found: fix {} and run `todo-app doctor` again.",
                    n.max(1),
                    if n == 1 { "it" } else { "them" }
                );
                ExitCode::FAILURE
            }
        }
    }
}

fn check_port(report: &mut Report, cfg: &ApiConfig) {
    use std::io::ErrorKind;
    let addr = cfg.addr;
    match std::net::TcpListener::bind(addr) {
        Ok(_) => report.ok("address", format!("{addr} is free to listen on")),
        Err(e) if e.kind() == ErrorKind::AddrInUse => report.fail(
            "address",
            format!("{addr} is already in use"),
            format!(
                "Another program listens there (todo-app already running? open http://{addr}). Stop it, or choose another port: --port {} (or PORT={}).",
                addr.port().wrapping_add(1),
                addr.port().wrapping_add(1)
            ),
        ),
        Err(e) if e.kind() == ErrorKind::AddrNotAvailable => report.fail(
            "address",
            format!("{} is not an address of this machine", addr.ip()),
            "Use --host 127.0.0.1 (this machine only, the default) or --host 0.0.0.0 (every network).",
        ),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => report.fail(
            "address",
            format!("not allowed to listen on {addr} ({e})"),
            "Ports below 1024 need privileges: use --port 3000 (the default), or any port above 1023.",
        ),
        Err(e) => report.fail("address", format!("cannot listen on {addr} ({e})"), "Choose another --host or --port."),
    }
}

/// For an `sqlite:` URL, the database file (`None` in memory); `None` for any other URL.
pub fn sqlite_file(database_url: &str) -> Option<Option<PathBuf>> {
    let rest = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.split('&').any(|p| p == "mode=memory") {
        return Some(None);
    }
    Some(Some(PathBuf::from(path)))
}

async fn check_data(report: &mut Report, cfg: &ApiConfig) {
    let url = &cfg.database_url;
    match sqlite_file(url) {
        Some(None) => report.ok("database", "SQLite in memory: nothing is kept once it stops"),
        Some(Some(file)) => {
            let dir = match file.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let shown = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
            match writable_dir(&dir) {
                Ok(true) => report.ok("data directory", format!("{} is writable", shown.display())),
                Ok(false) => report.ok(
                    "data directory",
                    format!("{} does not exist yet; it is made at the first start", shown.display()),
                ),
                Err(why) => {
                    report.fail(
                        "data directory",
                        why,
                        "Choose a directory you can write to: --data-dir ~/todo-data (or DATA_DIR=...), or fix that path's owner and permissions.",
                    );
                    return;
                }
            }
            if file.exists() {
                database_state(report, url, check_database(url, DATABASE_TIMEOUT).await);
            } else {
                report.ok("database", format!("none yet: {} is made and set up at the first start", file.display()));
            }
        }
        None => database_state(report, url, check_database(url, DATABASE_TIMEOUT).await),
    }
}

/// `Ok(true)`: `dir` is a directory one can write in; `Ok(false)`: it does not
/// exist, and can be made. Else why not, in words.
fn writable_dir(dir: &Path) -> Result<bool, String> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(format!("{} is a file, not a directory", dir.display()));
        }
        return try_write(dir).map(|()| true).map_err(|e| format!("cannot write in {}: {e}", dir.display()));
    }
    let mut ancestor = dir;
    let existing = loop {
        match ancestor.parent() {
            Some(p) if p.as_os_str().is_empty() => break Path::new("."),
            Some(p) if p.exists() => break p,
            Some(p) => ancestor = p,
            None => break Path::new("/"),
        }
    };
    if !existing.is_dir() {
        return Err(format!("cannot make {}: {} is a file, not a directory", dir.display(), existing.display()));
    }
    try_write(existing)
        .map(|()| false)
        .map_err(|e| format!("cannot make {}: cannot write in {} ({e})", dir.display(), existing.display()))
}

fn try_write(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".todo-app-doctor-{}", std::process::id()));
    std::fs::OpenOptions::new().write(true).create_new(true).open(&probe)?;
    std::fs::remove_file(&probe)
}

fn database_state(report: &mut Report, url: &str, found: Result<DatabaseCheck, ConnectProblem>) {
    let shown = match sqlite_file(url) {
        Some(Some(file)) => format!("SQLite file {}", file.display()),
        _ => format!("PostgreSQL at {}", todo_store::redact(url)),
    };
    let check = match found {
        Ok(check) => check,
        Err(problem) => {
            let fix = match &problem {
                ConnectProblem::Refused(_) => {
                    "Nothing listens at that host and port: start PostgreSQL, or correct the host and port in DATABASE_URL.".to_string()
                }
                ConnectProblem::Unreachable(_) => {
                    "Check the host name in DATABASE_URL and that this machine can reach it.".to_string()
                }
                ConnectProblem::Credentials(_) => "Correct the user name and password in DATABASE_URL.".to_string(),
                ConnectProblem::NoSuchDatabase(_) => "Create it (`createdb NAME`, or CREATE DATABASE in psql), or correct the database name at the end of DATABASE_URL.".to_string(),
                ConnectProblem::Timeout(_) => "Check the host and port in DATABASE_URL, and that no firewall drops the connection.".to_string(),
                ConnectProblem::BadUrl(_) => "Write it as postgres://USER:PASSWORD@HOST:5432/DATABASE (add ?sslmode=require for hosted databases), or sqlite://PATH.".to_string(),
                ConnectProblem::Other(_) => "Check DATABASE_URL and the database server's log.".to_string(),
            };
            report.fail("database", format!("{shown}: {problem}"), fix);
            return;
        }
    };
    let m = &check.migrations;
    let name = match check.backend {
        todo_store::Backend::Postgres => "PostgreSQL",
        todo_store::Backend::Sqlite => "SQLite",
    };
    // "15.18 (Debian 15.18-0+deb12u1)": the number says enough.
    let version = check.version.split_whitespace().next().unwrap_or_default();
    let versions = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    if !m.unknown.is_empty() {
        report.fail(
            "database",
            format!(
                "{shown} was set up by a newer todo-app (migrations {} are unknown to this version)",
                versions(&m.unknown)
            ),
            "Run the newer version on it, or give this one a database of its own (another DATABASE_URL or --data-dir).",
        );
    } else if !m.modified.is_empty() {
        report.fail(
            "database",
            format!(
                "{shown}: migrations {} were applied from files that differ from this version's",
                versions(&m.modified)
            ),
            "It was set up by a different build of todo-app: use that build, or a database of its own.",
        );
    } else if !m.failed.is_empty() {
        report.fail(
            "database",
            format!("{shown}: migrations {} stopped half-way", versions(&m.failed)),
            "Restore the database from a backup, or repair it and delete those rows of _sqlx_migrations so they run again.",
        );
    } else if m.pending() == 0 {
        report.ok("database", format!("{shown} ({name} {version}), all {} migrations applied", m.known));
    } else {
        report.ok(
            "database",
            format!(
                "{shown} ({name} {version}), {} of {} migrations applied; the other {} are applied at the next start",
                m.applied,
                m.known,
                m.pending()
            ),
        );
    }
}

async fn check_assistant(report: &mut Report, cfg: &ApiConfig) {
    let Some(provider) = &cfg.assistant.provider else {
        report.ok("assistant", "built-in (no model provider needed; LLM_PROVIDER chooses one)");
        return;
    };
    let described = cfg.assistant.describe();
    let url = public_url(&provider.base_url);
    let key_env = todo_agent::preset(&provider.name).and_then(|p| p.key_env).unwrap_or("OPENAI_API_KEY");
    let probe = todo_agent::Provider::new(todo_agent::ProviderConfig { max_retries: 0, ..provider.clone() });
    let (detail, fix) = match probe.probe().await {
        Ok(()) => {
            report.ok("assistant", format!("{described}: answered a test request"));
            return;
        }
        Err(todo_agent::ProbeProblem::Connect(e)) => (
            format!("cannot connect to {url} ({e})"),
            if provider.name == "ollama" {
                format!(
                    "Start Ollama (`ollama serve`) and get the model (`ollama pull {}`), or set LLM_BASE_URL to where it runs.",
                    provider.model
                )
            } else {
                "Check LLM_BASE_URL (unset, each provider has its own) and this machine's network; meanwhile LLM_PROVIDER=builtin needs none.".to_string()
            },
        ),
        Err(todo_agent::ProbeProblem::Timeout(secs)) => (
            format!("{url} did not answer within {secs} s"),
            "Check LLM_BASE_URL and the network; LLM_TIMEOUT_SECS allows a slow provider longer.".to_string(),
        ),
        Err(todo_agent::ProbeProblem::Status(status @ (401 | 403), message)) => (
            format!("{} refused the key (HTTP {status}: {message})", provider.name),
            format!("Check {key_env} (or {key_env}_FILE): it must be an API key of {}.", provider.name),
        ),
        Err(todo_agent::ProbeProblem::Status(404, message)) => (
            format!("{url} answered 404 ({message})"),
            format!(
                "Check that LLM_MODEL ({}) is a model this provider has{} and that LLM_BASE_URL is the API's base (it usually ends in /v1).",
                provider.model,
                if provider.name == "ollama" { format!(" (`ollama pull {}`)", provider.model) } else { String::new() }
            ),
        ),
        Err(todo_agent::ProbeProblem::Status(429, message)) => (
            format!("{} is rate-limiting this key (HTTP 429: {message})", provider.name),
            "Wait a minute, or check the account's quota and billing with the provider.".to_string(),
        ),
        Err(todo_agent::ProbeProblem::Status(status, message)) if status >= 500 => (
            format!("{} is failing (HTTP {status}: {message})", provider.name),
            "Try again later; LLM_FALLBACK=builtin answers with the built-in assistant while the provider fails."
                .to_string(),
        ),
        Err(todo_agent::ProbeProblem::Status(status, message)) => (
            format!("{} refused the test request (HTTP {status}: {message})", provider.name),
            "Check LLM_PROVIDER, LLM_MODEL and LLM_BASE_URL.".to_string(),
        ),
        Err(todo_agent::ProbeProblem::Unreadable(body)) => (
            format!("{url} answered, but not as a chat-completions API ({body})"),
            "LLM_BASE_URL must be an OpenAI-compatible API's base URL (it usually ends in /v1).".to_string(),
        ),
    };
    report.fail("assistant", format!("{described}: {detail}"), fix);
}
