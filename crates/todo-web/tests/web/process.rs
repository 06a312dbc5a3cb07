//! The real `todo-web` binary: what its logs say about requests.

use std::process::Command;

use todo_test_support::{Process, command};

/// The real binary on a free port, with none of the developer's settings.
fn start(backend: &str) -> (Process, String) {
    let mut cmd =
        command(env!("CARGO_BIN_EXE_todo-web"), &["BACKEND_URL", "APP_ENV", "PORT", "HOST", "RUST_LOG", "LOG_FORMAT"]);
    cmd.args(["--host=127.0.0.1", "--port=0", "--log-format=json", &format!("--backend-url={backend}")]);
    let mut web = Process::start(cmd);
    let base = format!("http://{}", web.listening_address());
    (web, base)
}

fn session_cookie() -> String {
    use base64::Engine;
    let session = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"u":"someone","t":"token","n":"X"}"#);
    format!("todo_session={session}")
}

/// A search the API could not answer is logged with the API path, never with
/// the query string that carries what the user typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_api_calls_are_logged_without_the_users_query() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (mut web, base) = start(&dead);
    let res = reqwest::Client::new()
        .get(format!("{base}/tasks?q=my-secret-search-words&tag=private-tag"))
        .header("cookie", session_cookie())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);

    // Everything up to the request's own line, which comes last.
    let mut lines = web.lines_so_far();
    if !lines.iter().any(|l| l.contains("finished processing request")) {
        web.wait_for("the request's log line", |l| {
            lines.push(l.to_string());
            l.contains("finished processing request")
        });
    }
    for line in &lines {
        assert!(!line.contains("my-secret-search-words") && !line.contains("private-tag"), "logged: {line}");
    }
    let tasks_call = lines
        .iter()
        .filter(|l| l.contains("API unreachable"))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["fields"]["path"] == "/api/someone/tasks");
    assert!(tasks_call.is_some(), "no warning names the API path:\n{}", lines.join("\n"));
}

#[test]
fn help_lists_the_connection_limits_with_their_environment_variables() {
    let out = Command::new(env!("CARGO_BIN_EXE_todo-web")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for env in ["HEADER_READ_TIMEOUT_SECS", "KEEP_ALIVE_TIMEOUT_SECS", "MAX_CONNECTIONS", "BACKEND_URL"] {
        assert!(help.contains(&format!("[env: {env}")), "--help does not mention {env}:\n{help}");
    }
}

#[test]
fn zero_connection_limits_stop_the_start_with_one_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_todo-web")).arg("--max-connections=0").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("MAX_CONNECTIONS"), "{err}");
}
