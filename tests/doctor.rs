//! `todo-app doctor` against a good setup and against each way a first setup
//! goes wrong: a bad URL, an unreachable PostgreSQL, an unwritable data
//! directory, a port in use, and a model provider that is down or refuses the
//! key (a local listener standing in for it, or a closed port).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test: a panic is the test failing")]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

/// Exit code and output of `todo-app doctor ARGS` with none of the
/// developer's or CI's settings.
async fn doctor(args: &[&str]) -> (i32, String) {
    let mut cmd = todo_test_support::command(
        env!("CARGO_BIN_EXE_todo-app"),
        &[
            "DATABASE_URL",
            "BETTER_AUTH_SECRET",
            "APP_ENV",
            "PORT",
            "HOST",
            "DATA_DIR",
            "LLM_PROVIDER",
            "LLM_BASE_URL",
            "LLM_MODEL",
            "OPENAI_API_KEY",
            "RUST_LOG",
        ],
    );
    cmd.arg("doctor").args(args);
    if !args.contains(&"--port") {
        cmd.args(["--port", "0"]);
    }
    let out = tokio::process::Command::from(cmd).output().await.unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("todo-doctor-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The `FAIL` lines of a report, each with its `fix:` line.
fn failures(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("FAIL"))
        .map(|(i, l)| format!("{}\n{}", l.trim(), lines.get(i + 1).map(|f| f.trim()).unwrap_or("")))
        .collect()
}

#[track_caller]
fn assert_one_failure(code: i32, text: &str, detail: &str, fix: &str) {
    assert_eq!(code, 1, "{text}");
    let failed = failures(text);
    assert_eq!(failed.len(), 1, "one problem expected:\n{text}");
    assert!(failed[0].contains(detail), "{detail:?} not in:\n{text}");
    let fix_line = failed[0].lines().nth(1).unwrap_or("");
    assert!(fix_line.starts_with("fix: ") && fix_line.contains(fix), "fix {fix:?} not in:\n{text}");
    assert!(text.contains("1 problem found"), "{text}");
}

#[tokio::test]
async fn a_fresh_local_setup_is_good() {
    let dir = temp_dir("fresh");
    let (code, text) = doctor(&["--data-dir", dir.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{text}");
    assert!(failures(&text).is_empty(), "{text}");
    for expected in ["does not exist yet; it is made at the first start", "built-in", "All good"] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(!dir.exists(), "doctor creates nothing");
}

/// A database migrated by this version is good; one migrated by a newer
/// version (a migration this one does not know) is refused, as the app would.
async fn migrated_database_is_good_and_a_newer_one_is_named(url: &str, extra: &[&str]) {
    let store = todo_store::Store::connect_lazy(&todo_store::StoreConfig {
        url: url.to_string(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap();
    let args = [&["--database-url", url][..], extra].concat();
    let (code, text) = doctor(&args).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("0 of ") && text.contains("are applied at the next start"), "{text}");

    store.migrate().await.unwrap();
    let (code, text) = doctor(&args).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("migrations applied") && text.contains("ok    database: "), "{text}");

    run_sql(
        url,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'from the future', TRUE, x'00', 1)",
    )
    .await;
    let (code, text) = doctor(&args).await;
    assert_one_failure(
        code,
        &text,
        "was set up by a newer todo-app (migrations 99990101000000",
        "Run the newer version",
    );
    store.close().await;
}

async fn run_sql(url: &str, sql: &str) {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(&sql.replace("x'00'", "'\\x00'::bytea")).execute(&mut c).await.unwrap();
    }
}

#[tokio::test]
async fn migration_state_on_sqlite() {
    let dir = temp_dir("sqlite");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("todo.db").display());
    // The file exists (empty), as after a start that stopped before migrating.
    std::fs::write(dir.join("todo.db"), b"").unwrap();
    migrated_database_is_good_and_a_newer_one_is_named(&url, &["--data-dir", dir.to_str().unwrap()]).await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL (scripts/test.sh starts PostgreSQL)")
}

#[tokio::test]
async fn migration_state_on_postgres() {
    use sqlx::Connection;
    let admin = admin_url();
    let name = format!("todo_doctor_{}", std::process::id());
    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut c).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let dir = temp_dir("pg");
    migrated_database_is_good_and_a_newer_one_is_named(&url, &["--data-dir", dir.to_str().unwrap()]).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut c).await.unwrap();
}

#[tokio::test]
async fn bad_urls_are_named_with_what_to_write() {
    let (code, text) = doctor(&["--database-url", "mysql://localhost/todo"]).await;
    assert_one_failure(code, &text, "DATABASE_URL must start with postgres://", "`todo-app --help` lists them");
    let (code, text) =
        doctor(&["--llm-provider", "openai-compatible", "--llm-base-url", "localhost:8080", "--llm-model", "m"]).await;
    assert_one_failure(code, &text, "LLM_BASE_URL must be an http(s) URL", "environment variable");
    let admin = admin_url();
    let missing = format!("{}/todo_doctor_no_such_database", admin.rsplit_once('/').unwrap().0);
    let (code, text) = doctor(&["--database-url", &missing]).await;
    assert_one_failure(code, &text, "no such database", "createdb");
}

/// A port nothing listens on (it was free a moment ago).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unreachable_postgres_says_to_start_it() {
    let url = format!("postgres://todo:s3cret-pw@127.0.0.1:{}/todo", closed_port());
    let (code, text) = doctor(&["--database-url", &url]).await;
    assert_one_failure(code, &text, "connection refused", "start PostgreSQL");
    assert!(!text.contains("s3cret-pw"), "the password is not printed:\n{text}");
}

#[tokio::test]
async fn an_unwritable_data_directory_is_named() {
    let dir = temp_dir("file");
    std::fs::create_dir_all(&dir).unwrap();
    // Root may write anywhere; nobody can make a directory where a file is.
    let file = dir.join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let (code, text) = doctor(&["--data-dir", file.to_str().unwrap()]).await;
    assert_one_failure(code, &text, "is a file, not a directory", "--data-dir");
    let below = file.join("data");
    let (code, text) = doctor(&["--data-dir", below.to_str().unwrap()]).await;
    assert_one_failure(code, &text, "cannot make", "--data-dir");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = temp_dir("port");
    let (code, text) = doctor(&["--data-dir", dir.to_str().unwrap(), "--port", &port]).await;
    assert_one_failure(code, &text, "is already in use", "choose another port");
}

/// What the stand-in provider received: the authorization header and the body.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A local chat-completions endpoint answering `status` and `body`.
async fn provider(status: StatusCode, body: Value) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let recorded = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |headers: HeaderMap, Json(request): Json<Value>| {
            let recorded = recorded.clone();
            let body = body.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                recorded.lock().unwrap().push((auth, request));
                (status, Json(body))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn llm(url: &str) -> Vec<String> {
    [
        "--llm-provider",
        "openai-compatible",
        "--llm-base-url",
        url,
        "--llm-model",
        "tiny",
        "--openai-api-key",
        "sk-test-key",
    ]
    .map(String::from)
    .to_vec()
}

async fn doctor_with(dir: &Path, extra: &[String]) -> (i32, String) {
    let mut args = vec!["--data-dir".to_string(), dir.to_str().unwrap().to_string()];
    args.extend(extra.iter().cloned());
    doctor(&args.iter().map(String::as_str).collect::<Vec<_>>()).await
}

#[tokio::test]
async fn a_working_provider_gets_one_small_request() {
    let reply = json!({"choices": [{"message": {"role": "assistant", "content": "OK"}}]});
    let (url, seen) = provider(StatusCode::OK, reply).await;
    let dir = temp_dir("llm-ok");
    let (code, text) = doctor_with(&dir, &llm(&url)).await;
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("tiny from openai-compatible at http://127.0.0.1:") && text.contains("answered a test request"),
        "{text}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one request, no retries");
    assert_eq!(seen[0].0, "Bearer sk-test-key");
    assert_eq!(seen[0].1["model"], "tiny");
    assert_eq!(seen[0].1["messages"].as_array().unwrap().len(), 1);
    assert!(seen[0].1.get("tools").is_none());
    assert!(!text.contains("sk-test-key"), "{text}");
}

#[tokio::test]
async fn a_provider_that_is_down_or_refuses_the_key_is_named() {
    let dir = temp_dir("llm-bad");
    let down = format!("http://127.0.0.1:{}/v1", closed_port());
    let (code, text) = doctor_with(&dir, &llm(&down)).await;
    assert_one_failure(code, &text, "cannot connect to", "LLM_BASE_URL");

    let refused = json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}});
    let (url, _) = provider(StatusCode::UNAUTHORIZED, refused).await;
    let (code, text) = doctor_with(&dir, &llm(&url)).await;
    assert_one_failure(code, &text, "refused the key (HTTP 401: Incorrect API key provided)", "OPENAI_API_KEY");

    let (url, _) = provider(StatusCode::NOT_FOUND, json!({"error": "model 'tiny' not found"})).await;
    let (code, text) = doctor_with(&dir, &llm(&url)).await;
    assert_one_failure(code, &text, "answered 404 (model 'tiny' not found)", "LLM_MODEL (tiny)");

    let (url, _) = provider(StatusCode::OK, json!({"hello": "world"})).await;
    let (code, text) = doctor_with(&dir, &llm(&url)).await;
    assert_one_failure(code, &text, "not as a chat-completions API", "OpenAI-compatible");
}
