//! The all-in-one launcher (`cargo run --release`): one process, one port, the
//! Ingress path layout, and sign-ins that survive a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test: a panic is the test failing")]

use serde_json::{Value, json};
use todo_service::config_doc::{Defaults, table_problems};
use todo_test_support::Process;

#[path = "../src/cli.rs"]
mod cli;

/// The launcher, started; killed when dropped.
struct Launched {
    _process: Process,
    base: String,
}

fn launch(data_dir: &std::path::Path) -> Launched {
    launch_with(data_dir, &[])
}

fn launch_with(data_dir: &std::path::Path, extra: &[&str]) -> Launched {
    let mut cmd = todo_test_support::command(
        env!("CARGO_BIN_EXE_todo-app"),
        &["DATABASE_URL", "BETTER_AUTH_SECRET", "APP_ENV", "PORT", "HOST", "LLM_PROVIDER", "OPENAI_API_KEY"],
    );
    cmd.args(["--port", "0", "--data-dir", data_dir.to_str().unwrap(), "--log-format", "json"]).args(extra);
    let mut process = Process::start(cmd);
    // Log lines (JSON) may come first, e.g. a warning about the data files.
    let line = process.wait_for("the line saying where the launcher listens", |l| !l.starts_with('{'));
    assert!(line.starts_with("todo-app is running on http://127.0.0.1:"), "{line}");
    let base = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    Launched { _process: process, base }
}

#[tokio::test]
async fn one_port_serves_web_api_and_mcp_and_sign_ins_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("todo-launcher-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let first = launch(&dir);
    let b = &first.base;
    let home = http.get(format!("{b}/")).send().await.unwrap();
    assert!(home.status().is_redirection(), "/ redirects to the sign-in page");
    let page = http.get(format!("{b}/sign-in")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(http.get(format!("{b}/readyz")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{b}/api/openapi.json")).send().await.unwrap().status(), 200);
    assert_eq!(http.post(format!("{b}/mcp")).send().await.unwrap().status(), 401);

    let signed_up: Value = http
        .post(format!("{b}/api/auth/sign-up"))
        .json(&json!({"email": "local@example.com", "password": "local password", "name": "Local"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (token, id) =
        (signed_up["token"].as_str().unwrap().to_string(), signed_up["user"]["id"].as_str().unwrap().to_string());
    // The built-in assistant works out of the box.
    let chat: Value = http
        .post(format!("{b}/api/{id}/chat"))
        .bearer_auth(&token)
        .json(&json!({"message": "add a task to water the plants"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(chat["tool_calls"][0]["tool"], "add_task", "{chat}");
    // A path segment that is not UTF-8 is the API's 400 problem here too.
    for path in
        ["/api/%ff/tasks".to_string(), format!("/api/{id}/tasks/%ff"), format!("/api/{id}/conversations/%ff/messages")]
    {
        let res = http.get(format!("{b}{path}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 400, "{path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{path}");
    }
    drop(first);

    // Same data directory: same database and the same signing secret.
    let second = launch(&dir);
    let tasks: Vec<Value> = http
        .get(format!("{}/api/{id}/tasks", second.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["title"], "Water the plants");
    // Emails, password hashes, tasks, chats and the signing secret are for the
    // owner's eyes only, whatever the umask.
    assert_eq!(mode(&dir), 0o700, "data directory");
    for file in ["auth-secret", "todo.db", "todo.db-wal", "todo.db-shm"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    drop(second);

    // A data directory an older version left readable is made private on start.
    use std::os::unix::fs::PermissionsExt;
    for (path, m) in [(dir.clone(), 0o755), (dir.join("auth-secret"), 0o644), (dir.join("todo.db"), 0o644)] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
    }
    let third = launch(&dir);
    let res = http.get(format!("{}/api/auth/me", third.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200, "still signed in");
    assert_eq!(mode(&dir), 0o700, "data directory");
    for file in ["auth-secret", "todo.db"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    drop(third);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The launcher serves with the API's connection limits: a connection that never
/// finishes its request head is closed, and the pages are still served.
#[tokio::test]
async fn stalled_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = std::env::temp_dir().join(format!("todo-launcher-stall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = launch_with(&dir, &["--header-read-timeout-secs", "1"]);
    let mut stalled = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stalled.write_all(b"GET /sign-in HT").await.unwrap();
    let mut buf = [0u8; 256];
    // Generous: bounds a hang, does not measure the timeout.
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), stalled.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the stalled connection was not closed: {read:?}");
    let page = reqwest::get(format!("{}/sign-in", app.base)).await.unwrap();
    assert_eq!(page.status(), 200);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One /metrics for the one process: the web routes, the API and MCP routes, the
/// database pool and the task JSON cache, each family declared once.
#[tokio::test]
async fn metrics_cover_web_api_and_mcp_in_one_exposition() {
    let dir = std::env::temp_dir().join(format!("todo-launcher-metrics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = launch(&dir);
    let b = &app.base;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    assert_eq!(http.get(format!("{b}/sign-in")).send().await.unwrap().status(), 200);
    let signed_up: Value = http
        .post(format!("{b}/api/auth/sign-up"))
        .json(&json!({"email": "metrics@example.com", "password": "local password", "name": "M"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (token, id) = (signed_up["token"].as_str().unwrap(), signed_up["user"]["id"].as_str().unwrap());
    let created = http
        .post(format!("{b}/api/{id}/tasks"))
        .bearer_auth(token)
        .json(&json!({"title": "Count me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let list = http.get(format!("{b}/api/{id}/tasks")).bearer_auth(token).send().await.unwrap();
    assert_eq!(list.status(), 200);
    assert_eq!(http.post(format!("{b}/mcp")).send().await.unwrap().status(), 401);

    let res = http.get(format!("{b}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    for series in [
        r#"route="/sign-in""#,
        r#"route="/api/auth/sign-up""#,
        r#"route="/api/{user_id}/tasks""#,
        r#"route="/mcp""#,
        "db_pool_connections ",
        "db_pool_max_connections ",
        r#"task_json_cache_pages_total{result="miss"}"#,
        "task_json_cache_bytes ",
        "# TYPE backend_requests counter",
        "http_requests_in_flight ",
    ] {
        assert!(text.contains(series), "no {series} in /metrics:\n{text}");
    }
    // A valid exposition: every family declared once, before its samples, and one EOF at the end.
    let mut declared = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ").or_else(|| line.strip_prefix("# TYPE ")) {
            let key = (line[..6].to_string(), rest.split_whitespace().next().unwrap().to_string());
            assert!(declared.insert(key.clone()), "{key:?} declared twice:\n{text}");
        } else if !line.starts_with('#') {
            let name = line.split(['{', ' ']).next().unwrap();
            let family = ["_total", "_bucket", "_sum", "_count", "_created"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|f| declared.contains(&("# TYPE".to_string(), f.to_string())))
                .unwrap_or(name);
            assert!(declared.contains(&("# TYPE".to_string(), family.to_string())), "{name} has no TYPE:\n{text}");
        }
    }
    assert_eq!(text.lines().filter(|l| *l == "# EOF").count(), 1);
    assert_eq!(text.lines().last(), Some("# EOF"));
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

fn mode(path: &std::path::Path) -> u32 {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777
}

/// README.md's configuration table gives the launcher's own defaults (where it
/// differs from todo-api) in `(`todo-app`: ...)` groups; `todo-app --help` says
/// the same, and the launcher does what its help says.
#[test]
fn the_readme_configuration_table_matches_todo_app_help() {
    let readme = include_str!("../README.md");
    let problems = table_problems(
        &cli::command(),
        "todo-app",
        Defaults::Group("todo-app"),
        readme,
        "README.md",
        "## Configuration",
    );
    assert!(problems.is_empty(), "README.md and `todo-app --help` disagree:\n{}", problems.join("\n"));
    let parsed = clap::FromArgMatches::from_arg_matches(&cli::command().get_matches_from(["todo-app"]));
    let parsed: cli::Cli = parsed.unwrap();
    assert_eq!((parsed.api.server.host.to_string(), parsed.api.server.port), ("127.0.0.1".to_string(), 3000));
}

/// `todo-app --help` as a person reads it: the launcher's own defaults
/// (127.0.0.1:3000, not todo-api's 0.0.0.0:8000) and its options in groups.
/// The whole text is a snapshot: after a deliberate change, accept the new one
/// with `UPDATE_SNAPSHOTS=1 cargo test --test launcher help`.
#[test]
fn help_shows_the_launchers_own_defaults_in_groups() {
    // No environment: clap prints the current value of each variable.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_todo-app")).arg("--help").env_clear().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    for expected in ["[default: 127.0.0.1]", "[default: 3000]", "doctor  Check the setup"] {
        assert!(help.contains(expected), "no {expected:?} in:\n{help}");
    }
    for wrong in ["[default: 0.0.0.0]", "[default: 8000]"] {
        assert!(!help.contains(wrong), "todo-api's {wrong} in:\n{help}");
    }
    let headings: Vec<&str> = help.lines().filter(|l| !l.starts_with(' ') && l.ends_with(':')).collect();
    assert_eq!(
        headings,
        [
            "Commands:",
            "Options:",
            "Server:",
            "Logs:",
            "Database:",
            "Accounts and tokens:",
            "Assistant (LLM):",
            "MCP:",
            "Quotas:"
        ],
        "{help}"
    );
    let logs = help.split("\nLogs:\n").nth(1).unwrap().split("\nDatabase:\n").next().unwrap();
    assert!(logs.contains("--log-format") && logs.contains("--log-requests"), "{logs}");

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/todo-app-help.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &help).unwrap();
    }
    let snapshot = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        help == snapshot,
        "`todo-app --help` differs from {}; if the change is meant, run `UPDATE_SNAPSHOTS=1 cargo test --test launcher help` and commit the file. The help is:\n{help}",
        path.display()
    );
}

/// The launcher started with `args` (and `env`), and the line saying it is ready.
fn start(data_dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Process, String) {
    let mut cmd = todo_test_support::command(
        env!("CARGO_BIN_EXE_todo-app"),
        &["DATABASE_URL", "BETTER_AUTH_SECRET", "APP_ENV", "PORT", "HOST", "LLM_PROVIDER", "OPENAI_API_KEY"],
    );
    for name in ["RUST_LOG", "LOG_FORMAT", "TODO_LOG_REQUESTS", "LLM_BASE_URL", "LLM_MODEL"] {
        cmd.env_remove(name);
    }
    cmd.args(["--port", "0", "--data-dir", data_dir.to_str().unwrap()]).args(args).envs(env.iter().copied());
    let mut process = Process::start(cmd);
    let line = process.wait_for("the ready line", |l| l.starts_with("todo-app is running on http://"));
    (process, line)
}

/// A port nothing listens on (it was free a moment ago).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The ready line says where the data lives and which assistant answers,
/// without the provider's credentials.
#[tokio::test]
async fn the_ready_line_names_the_data_and_the_assistant() {
    let dir = std::env::temp_dir().join(format!("todo-launcher-ready-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (process, line) = start(&dir, &[], &[]);
    let file = std::path::absolute(dir.join("todo.db")).unwrap();
    assert!(line.contains(&format!("data: SQLite file {};", file.display())), "{line}");
    assert!(line.contains("assistant: built-in;"), "{line}");
    drop(process);

    let port = closed_port();
    let url = format!("http://someone:pa55word@127.0.0.1:{port}/v1?key=k3y");
    let (process, line) = start(
        &dir,
        &["--llm-provider", "openai-compatible", "--llm-base-url", &url, "--llm-model", "tiny-model"],
        &[("OPENAI_API_KEY", "sk-very-secret")],
    );
    assert!(
        line.contains(&format!("assistant: tiny-model from openai-compatible at http://127.0.0.1:{port}/v1;")),
        "{line}"
    );
    for secret in ["pa55word", "someone", "k3y", "sk-very-secret"] {
        assert!(!line.contains(secret), "{secret} in {line}");
    }
    drop(process);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Logs on a terminal (pretty) are start-up, shutdown, warnings and errors,
/// with a line per request only when asked; JSON logs (containers) keep
/// theirs. A chat turn whose provider refuses connections makes a warning.
#[tokio::test]
async fn a_terminal_gets_request_lines_only_when_asked_and_json_logs_always() {
    let dir = std::env::temp_dir().join(format!("todo-launcher-logs-{}", std::process::id()));
    let provider = format!("http://127.0.0.1:{}/v1", closed_port());
    let llm = [
        "--llm-provider",
        "openai-compatible",
        "--llm-base-url",
        &provider,
        "--llm-model",
        "m",
        "--llm-max-retries",
        "1",
        // "hi" must reach the (down) provider, not the built-in interpreter.
        "--llm-routing",
        "model",
    ];
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], bool);
    let cases: [Case; 5] = [
        ("pretty", &["--log-format", "pretty"], &[], false),
        ("pretty --log-requests", &["--log-format", "pretty", "--log-requests"], &[], true),
        ("pretty TODO_LOG_REQUESTS=1", &["--log-format", "pretty"], &[("TODO_LOG_REQUESTS", "1")], true),
        ("pretty RUST_LOG=info", &["--log-format", "pretty"], &[("RUST_LOG", "info")], true),
        ("json", &["--log-format", "json"], &[], true),
    ];
    for (name, args, env, requests) in cases {
        let _ = std::fs::remove_dir_all(&dir);
        let (mut process, line) = start(&dir, &[args, &llm[..]].concat(), env);
        let base = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
        let http = reqwest::Client::new();
        assert_eq!(http.get(format!("{base}/sign-in")).send().await.unwrap().status(), 200);
        let signed_up: Value = http
            .post(format!("{base}/api/auth/sign-up"))
            .json(&json!({"email": "logs@example.com", "password": "local password", "name": "L"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let (token, id) = (signed_up["token"].as_str().unwrap(), signed_up["user"]["id"].as_str().unwrap());
        let chat =
            http.post(format!("{base}/api/{id}/chat")).bearer_auth(token).json(&json!({"message": "hi"})).send().await;
        assert!(chat.unwrap().status().is_server_error(), "{name}: the provider is down");
        process.terminate();
        process.wait_timeout(std::time::Duration::from_secs(60)).expect("exits after SIGTERM");
        let lines = process.remaining_lines();
        let text = lines.join("\n");
        let request_lines: Vec<&String> = lines.iter().filter(|l| l.contains("finished processing request")).collect();
        if requests {
            assert!(request_lines.len() >= 3, "{name}: a line per request expected:\n{text}");
        } else {
            assert!(request_lines.is_empty(), "{name}: no line per request expected:\n{text}");
        }
        assert!(lines.iter().any(|l| l.contains("provider busy or failing; retrying")), "{name}: the warning:\n{text}");
        assert!(lines.iter().any(|l| l.contains("shutdown requested")), "{name}: the shutdown:\n{text}");
        if name == "json" {
            for l in &request_lines {
                let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
                assert!(!v["span"]["request_id"].as_str().unwrap_or("").is_empty(), "a request id: {l}");
            }
        } else {
            assert!(lines.iter().all(|l| !l.starts_with('{')), "{name}: pretty lines:\n{text}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
