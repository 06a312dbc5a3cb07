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
