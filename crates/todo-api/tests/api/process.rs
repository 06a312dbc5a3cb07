//! The real `todo-api` binary: help, configuration refusals, the healthcheck
//! subcommand and SIGTERM handling.

use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

use todo_test_support::Process;

const BIN: &str = env!("CARGO_BIN_EXE_todo-api");

/// The binary, with none of the developer's or CI's settings.
fn command() -> Command {
    todo_test_support::command(
        BIN,
        &["DATABASE_URL", "BETTER_AUTH_SECRET", "APP_ENV", "PORT", "HOST", "AUTH_JWKS_URL", "FRONTEND_URL"],
    )
}

#[test]
fn help_lists_every_setting_with_its_environment_variable() {
    let out = command().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for env in [
        "HOST",
        "PORT",
        "APP_ENV",
        "DATABASE_URL",
        "DATABASE_URL_FILE",
        "BETTER_AUTH_SECRET",
        "BETTER_AUTH_SECRET_FILE",
        "AUTH_JWKS_URL",
        "FRONTEND_URL",
        "LOG_FORMAT",
        "SHUTDOWN_TIMEOUT_SECS",
        "DATABASE_MAX_CONNECTIONS",
        "DATABASE_ACQUIRE_TIMEOUT_MS",
        "TASK_CACHE_MB",
        "HEADER_READ_TIMEOUT_SECS",
        "KEEP_ALIVE_TIMEOUT_SECS",
        "MAX_CONNECTIONS",
    ] {
        assert!(help.contains(&format!("[env: {env}")), "--help does not mention {env}:\n{help}");
    }
    assert!(help.contains("[default: 8000]"));
    assert!(help.contains("healthcheck"));
}

#[test]
fn production_refuses_weak_configuration_with_one_line() {
    let out = command().env("APP_ENV", "production").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("DATABASE_URL"), "{err}");

    let out = command()
        .env("APP_ENV", "production")
        .env("DATABASE_URL", "postgres://u:hunter2@127.0.0.1:1/db")
        .env("BETTER_AUTH_SECRET", "too-short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("at least 32"), "{err}");
    assert!(!err.contains("too-short") && !err.contains("hunter2"), "secrets leaked: {err}");
}

/// Starts the binary on a free port with an SQLite database in `dir` and waits
/// for its "listening" log line; returns it and its port.
fn start_server(dir: &std::path::Path) -> (Process, u16) {
    let mut cmd = command();
    cmd.env("PORT", "0")
        .env("HOST", "127.0.0.1")
        .env("DATA_DIR", dir)
        .env("BETTER_AUTH_SECRET", "a-secret-that-must-never-appear-in-logs-0123")
        .env("LOG_FORMAT", "json");
    let mut server = Process::start(cmd);
    let port = server.listening_address().port();
    (server, port)
}

#[test]
fn healthcheck_subcommand_and_sigterm() {
    let dir = crate::common::temp_dir("todo-api-proc");
    let (mut server, port) = start_server(&dir);
    let url = format!("http://127.0.0.1:{port}/healthz");

    let ok = command().args(["healthcheck", "--url", &url]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let via_port = command().arg("healthcheck").env("PORT", port.to_string()).output().unwrap();
    assert!(via_port.status.success());
    let not_found =
        command().args(["healthcheck", "--url", &format!("http://127.0.0.1:{}/nope", port)]).output().unwrap();
    assert_eq!(not_found.status.code(), Some(1));

    let ready = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(todo_api::healthcheck::probe(&format!("http://127.0.0.1:{}/readyz", port), Duration::from_secs(5)));
    assert_eq!(ready, Ok(200));

    // An oversized client request id is neither echoed nor logged.
    let long_id = "x".repeat(8000);
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(conn, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nx-request-id: {long_id}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.contains(&long_id[..200]), "echoed: {answer:.300}");
    // Nor is a query string, which carries what users search for.
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        conn,
        "GET /api/someone/tasks?q=secret-search-words HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    conn.read_to_string(&mut String::new()).unwrap();

    server.terminate();
    let status = server.wait_timeout(Duration::from_secs(30)).expect("exits after SIGTERM");
    assert_eq!(status.code(), Some(0), "clean exit after SIGTERM");
    let logs = server.remaining_lines();
    assert!(!logs.iter().any(|l| l.contains(&long_id[..200])), "the client's 8,000-character id was logged");
    assert!(logs.iter().any(|l| l.contains("/api/someone/tasks")), "the request is logged by its path");
    assert!(!logs.iter().any(|l| l.contains("secret-search-words")), "a query string was logged");
    assert!(logs.iter().any(|l| l.contains("shutdown requested")), "{logs:#?}");
    for line in &logs {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(!line.contains("a-secret-that-must-never"), "secret in logs: {line}");
        if v["fields"]["message"] == "finished processing request" {
            assert!(v["span"]["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{line}");
        }
    }
    let unreachable = command().args(["healthcheck", "--url", &url]).output().unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
}

/// A request in flight when SIGTERM arrives still gets its answer: a chat turn
/// whose (scripted) model takes a second to reply.
#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let provider = rt.block_on(async {
        use axum::routing::post;
        let app = axum::Router::new().route(
            "/v1/chat/completions",
            post(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                axum::Json(
                    serde_json::json!({"choices": [{"message": {"role": "assistant", "content": "Slow but sure."}}]}),
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    });
    let dir = crate::common::temp_dir("todo-api-drain");
    let mut cmd = command();
    cmd.env("PORT", "0")
        .env("HOST", "127.0.0.1")
        .env("DATA_DIR", &dir)
        .env("BETTER_AUTH_SECRET", "drain-secret-drain-secret-drain-secret")
        .env("LOG_FORMAT", "json")
        .env("LLM_PROVIDER", "openai-compatible")
        .env("LLM_BASE_URL", &provider)
        .env("LLM_MODEL", "slow")
        .env("LLM_ROUTING", "model");
    let mut server = Process::start(cmd);
    let base = format!("http://{}", server.listening_address());
    rt.block_on(async {
        let http = ::reqwest::Client::new();
        let mut ready = false;
        for _ in 0..600 {
            if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "server became ready");
        let auth: serde_json::Value = http
            .post(format!("{base}/api/auth/sign-up"))
            .json(&serde_json::json!({"email": "drain@example.com", "password": "drain password", "name": "D"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let (token, id) =
            (auth["token"].as_str().unwrap().to_string(), auth["user"]["id"].as_str().unwrap().to_string());
        let turn = tokio::spawn({
            let http = http.clone();
            let url = format!("{base}/api/{id}/chat");
            async move { http.post(url).bearer_auth(token).json(&serde_json::json!({"message": "hi"})).send().await }
        });
        tokio::time::sleep(Duration::from_millis(400)).await;
        server.terminate();
        let res = turn.await.unwrap().expect("the in-flight request is answered");
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["response"], "Slow but sure.");
    });
    let status = server.wait_timeout(Duration::from_secs(30)).expect("exits after draining");
    assert_eq!(status.code(), Some(0));
}
