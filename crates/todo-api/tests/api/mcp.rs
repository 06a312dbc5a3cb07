//! The MCP server at /mcp: JSON-RPC over the streamable HTTP transport, spoken
//! by hand with reqwest, and by the official MCP Python SDK (tests/mcp_client.py).

use crate::common::{Db, TestApp, User, expect_problem, spawn};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

const PROTOCOL: &str = "2025-11-25";

fn mcp(app: &TestApp, user: Option<&User>) -> RequestBuilder {
    mcp_with(app, user, "application/json, text/event-stream", PROTOCOL)
}

/// `header` on a RequestBuilder adds a value; this sets Accept and the protocol version once.
fn mcp_with(app: &TestApp, user: Option<&User>, accept: &str, protocol: &str) -> RequestBuilder {
    let req = app.req(Method::POST, "/mcp").header("accept", accept).header("mcp-protocol-version", protocol);
    match user {
        Some(u) => req.bearer_auth(&u.token),
        None => req,
    }
}

// The tools that read and write tasks run against both databases.
on_both_databases!(
    add_task_then_list_tasks_acts_for_the_token_user,
    bad_calls_are_tool_errors_naming_the_problem,
    users_never_see_each_others_tasks,
    tools_take_and_report_the_users_task_numbers,
);

/// Sends one JSON-RPC request and returns the whole JSON-RPC response.
async fn rpc(app: &TestApp, user: &User, method: &str, params: Value) -> Value {
    let res = mcp(app, Some(user))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{method}: {body}");
    assert!(ct.starts_with("application/json"), "{method}: content type {ct}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(v["id"], 1);
    v
}

/// tools/call; returns the CallToolResult.
async fn call(app: &TestApp, user: &User, tool: &str, args: Value) -> Value {
    let v = rpc(app, user, "tools/call", json!({"name": tool, "arguments": args})).await;
    assert!(v.get("error").is_none(), "{tool}: {v}");
    v["result"].clone()
}

fn text_of(result: &Value) -> String {
    result["content"].as_array().unwrap().iter().filter_map(|c| c["text"].as_str()).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_is_stateless_and_lists_the_catalogue() {
    let app = spawn(Db::Sqlite).await;
    let user = app.sign_up("mcp-init@example.com").await;

    let res = mcp(&app, Some(&user))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("mcp-session-id").is_none(), "stateless: no session id");
    assert!(res.headers().get("x-request-id").is_some(), "the API's layers apply to /mcp");
    let init: Value = res.json().await.unwrap();
    assert_eq!(init["result"]["protocolVersion"], PROTOCOL, "{init}");
    assert_eq!(init["result"]["serverInfo"]["name"], "todo-app");
    assert!(init["result"]["capabilities"]["tools"].is_object(), "{init}");

    // No session: any request stands alone (any replica can answer it).
    let listed = rpc(&app, &user, "tools/list", json!({})).await;
    let tools = listed["result"]["tools"].as_array().unwrap();
    let catalogue = todo_agent::catalogue();
    assert_eq!(tools.len(), 5);
    assert_eq!(tools.len(), catalogue.len());
    for (tool, def) in tools.iter().zip(&catalogue) {
        assert_eq!(tool["name"], def.name);
        assert_eq!(tool["description"], def.description);
        assert_eq!(tool["inputSchema"], def.parameters, "schema of {}", def.name);
        assert_eq!(tool["inputSchema"]["type"], "object");
    }
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["add_task", "list_tasks", "complete_task", "delete_task", "update_task"]);
    assert_eq!(tools[0]["inputSchema"]["required"], json!(["title"]));

    // Server-initiated streams and session deletion are not offered.
    let get = app
        .req(Method::GET, "/mcp")
        .bearer_auth(&user.token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
}

async fn add_task_then_list_tasks_acts_for_the_token_user(app: TestApp) {
    let user = app.sign_up("mcp-add@example.com").await;
    let other = app.sign_up("mcp-add-other@example.com").await;

    // A user id in the arguments is not a parameter and changes nothing.
    let added = call(
        &app,
        &user,
        "add_task",
        json!({"title": "Buy groceries", "description": "milk", "priority": "high", "tags": ["home"], "user_id": other.id}),
    )
    .await;
    assert_eq!(added["isError"], false, "{added}");
    let created = &added["structuredContent"];
    assert_eq!(created["status"], "created");
    assert_eq!(created["title"], "Buy groceries");
    let id = created["task_id"].as_i64().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text_of(&added)).unwrap(), *created, "text carries the same JSON");

    call(&app, &user, "add_task", json!({"title": "Pay bills"})).await;
    call(&app, &user, "complete_task", json!({"task_id": id})).await;

    let pending = call(&app, &user, "list_tasks", json!({"status": "pending"})).await;
    assert_eq!(pending["isError"], false);
    assert_eq!(pending["structuredContent"]["count"], 1, "{pending}");
    assert_eq!(pending["structuredContent"]["tasks"][0]["title"], "Pay bills");
    let all = call(&app, &user, "list_tasks", json!({})).await;
    assert_eq!(all["structuredContent"]["count"], 2, "{all}");
    let done = all["structuredContent"]["tasks"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap().clone();
    assert_eq!(done["completed"], true);
    assert_eq!(done["priority"], "high");
    assert_eq!(done["tags"], json!(["home"]));

    // The REST API sees the same tasks for the same user, and none for the other.
    assert_eq!(app.list(&user, "").await.0, 2);
    assert_eq!(app.list(&other, "").await.0, 0);
}

async fn bad_calls_are_tool_errors_naming_the_problem(app: TestApp) {
    let user = app.sign_up("mcp-errors@example.com").await;

    let missing = call(&app, &user, "complete_task", json!({"task_id": 4242})).await;
    assert_eq!(missing["isError"], true, "{missing}");
    assert_eq!(text_of(&missing), "task 4242 doesn't exist");
    for (tool, args) in
        [("delete_task", json!({"task_id": 4242})), ("update_task", json!({"task_id": 4242, "title": "x"}))]
    {
        let r = call(&app, &user, tool, args).await;
        assert_eq!(r["isError"], true, "{tool}: {r}");
        assert!(text_of(&r).contains("task 4242 doesn't exist"), "{tool}: {r}");
    }

    let no_title = call(&app, &user, "add_task", json!({})).await;
    assert_eq!(no_title["isError"], true);
    assert!(text_of(&no_title).contains("title"), "{no_title}");
    let long = call(&app, &user, "add_task", json!({"title": "x".repeat(201)})).await;
    assert_eq!(long["isError"], true);
    assert!(text_of(&long).contains("title"), "{long}");
    let bad_status = call(&app, &user, "list_tasks", json!({"status": "someday"})).await;
    assert_eq!(bad_status["isError"], true);
    assert!(text_of(&bad_status).contains("status"), "{bad_status}");

    // An unknown tool is a protocol error (invalid params), not a 500.
    let unknown = rpc(&app, &user, "tools/call", json!({"name": "drop_all_tasks", "arguments": {}})).await;
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    assert!(unknown["error"]["message"].as_str().unwrap().contains("drop_all_tasks"), "{unknown}");

    // Nothing was half-written.
    assert_eq!(app.list(&user, "").await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_bad_token_is_401_problem_json() {
    let app = spawn(Db::Sqlite).await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});

    let res = mcp(&app, None).json(&body).send().await.unwrap();
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    expect_problem(res, 401, "unauthorized").await;

    let res = mcp(&app, None).bearer_auth("not-a-token").json(&body).send().await.unwrap();
    expect_problem(res, 401, "unauthorized").await;

    let res = app.req(Method::GET, "/mcp").header("accept", "text/event-stream").send().await.unwrap();
    expect_problem(res, 401, "unauthorized").await;
}

async fn users_never_see_each_others_tasks(app: TestApp) {
    let alice = app.sign_up("mcp-alice@example.com").await;
    let bob = app.sign_up("mcp-bob@example.com").await;

    let added = call(&app, &alice, "add_task", json!({"title": "Alice's secret"})).await;
    let id = added["structuredContent"]["task_id"].as_i64().unwrap();

    let bobs = call(&app, &bob, "list_tasks", json!({"status": "all"})).await;
    assert_eq!(bobs["structuredContent"]["count"], 0, "{bobs}");
    assert_eq!(bobs["structuredContent"]["tasks"], json!([]));
    let searched = call(&app, &bob, "list_tasks", json!({"q": "secret"})).await;
    assert_eq!(searched["structuredContent"]["count"], 0);

    for tool in ["complete_task", "delete_task"] {
        let r = call(&app, &bob, tool, json!({"task_id": id})).await;
        assert_eq!(r["isError"], true, "{tool}: {r}");
        assert_eq!(text_of(&r), format!("task {id} doesn't exist"));
    }
    let r = call(&app, &bob, "update_task", json!({"task_id": id, "title": "mine now"})).await;
    assert_eq!(r["isError"], true);

    let alices = call(&app, &alice, "list_tasks", json!({})).await;
    assert_eq!(alices["structuredContent"]["count"], 1);
    assert_eq!(alices["structuredContent"]["tasks"][0]["title"], "Alice's secret");
    assert_eq!(alices["structuredContent"]["tasks"][0]["completed"], false);
}

async fn with_host(app: &TestApp, user: &User, host: &str) -> StatusCode {
    mcp(app, Some(user))
        .header("host", host)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_names_are_checked_and_configurable() {
    // Default: loopback only.
    let app = spawn(Db::Sqlite).await;
    let user = app.sign_up("mcp-hosts@example.com").await;
    assert_eq!(with_host(&app, &user, "localhost:8000").await, StatusCode::OK);
    assert_eq!(with_host(&app, &user, "127.0.0.1").await, StatusCode::OK);
    assert_eq!(with_host(&app, &user, "todo.example.com").await, StatusCode::FORBIDDEN);

    // An Ingress host name, configured.
    let app = TestApp::builder()
        .config(|a| a.mcp.mcp_allowed_hosts = Some("todo.example.com, todo-api:8000".into()))
        .start()
        .await;
    let user = app.sign_up("mcp-hosts@example.com").await;
    assert_eq!(with_host(&app, &user, "todo.example.com").await, StatusCode::OK);
    assert_eq!(with_host(&app, &user, "TODO.example.com:443").await, StatusCode::OK);
    assert_eq!(with_host(&app, &user, "todo-api:8000").await, StatusCode::OK);
    assert_eq!(with_host(&app, &user, "todo-api:9999").await, StatusCode::FORBIDDEN);
    assert_eq!(with_host(&app, &user, "evil.example.com").await, StatusCode::FORBIDDEN);
    assert_eq!(with_host(&app, &user, "localhost").await, StatusCode::OK);

    // FRONTEND_URL's host is the Ingress host when the web app and /mcp share it.
    let app =
        TestApp::builder().config(|a| a.server.frontend_url = Some("https://todo.example.com".into())).start().await;
    let user = app.sign_up("mcp-hosts@example.com").await;
    assert_eq!(with_host(&app, &user, "todo.example.com").await, StatusCode::OK);
    assert_eq!(with_host(&app, &user, "evil.example.com").await, StatusCode::FORBIDDEN);

    // `*` accepts any host (behind an Ingress that already filters them).
    let app = TestApp::builder().config(|a| a.mcp.mcp_allowed_hosts = Some("*".into())).start().await;
    let user = app.sign_up("mcp-hosts@example.com").await;
    assert_eq!(with_host(&app, &user, "anything.example.net").await, StatusCode::OK);
}

#[test]
fn bad_allowed_hosts_stop_the_start() {
    for bad in ["https://todo.example.com", "todo.example.com/mcp", "*,todo.example.com"] {
        let err = crate::common::args("sqlite://x.db", &[&format!("--mcp-allowed-hosts={bad}")]).resolve().err();
        let err = err.unwrap_or_else(|| panic!("{bad} should be refused")).to_string();
        assert!(err.contains("MCP_ALLOWED_HOSTS"), "{bad}: {err}");
    }
}

/// The official MCP Python SDK lists the tools, calls add_task and list_tasks,
/// and is refused without a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_sdk_uses_the_tools() {
    let python = std::env::var("TODO_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "TODO_TEST_PYTHON is not set: run ./scripts/test.sh, which creates a venv with the MCP Python SDK \
             (scripts/lib/python-venv.sh), or point it at a python that can `import mcp`"
        )
    });
    let app = spawn(Db::Sqlite).await;
    let user = app.sign_up("mcp-python@example.com").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp_client.py");
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        tokio::process::Command::new(&python)
            .arg(script)
            .arg(app.url("/mcp"))
            .arg(&user.token)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the Python client finished within 120 s")
    .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mcp_client.py failed ({}):\n{stdout}\n{stderr}", out.status);

    let steps: Vec<Value> =
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let step = |name: &str| -> &Value {
        steps.iter().find(|s| s["step"] == name).unwrap_or_else(|| panic!("no {name} step in:\n{stdout}\n{stderr}"))
    };

    let init = step("initialize");
    assert_eq!(init["server"], "todo-app");
    assert_eq!(init["tools_capability"], true);

    let tools = step("tools")["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["add_task", "list_tasks", "complete_task", "delete_task", "update_task"]);
    for (tool, def) in tools.iter().zip(todo_agent::catalogue()) {
        assert_eq!(tool["input_schema"], def.parameters, "schema of {} as the SDK read it", def.name);
        assert_eq!(tool["description"], def.description);
    }

    let added = step("add_task");
    assert_eq!(added["is_error"], false, "{added}");
    assert_eq!(added["structured"]["status"], "created");
    assert_eq!(added["structured"]["title"], "Buy groceries");
    let id = added["structured"]["task_id"].as_i64().unwrap();

    let listed = step("list_tasks");
    assert_eq!(listed["is_error"], false, "{listed}");
    assert_eq!(listed["structured"]["count"], 1);
    let task = &listed["structured"]["tasks"][0];
    assert_eq!(task["id"], id);
    assert_eq!(task["title"], "Buy groceries");
    assert_eq!(task["description"], "milk, eggs");
    assert_eq!(task["priority"], "high");

    let missing = step("complete_missing");
    assert_eq!(missing["is_error"], true);
    assert_eq!(missing["text"], json!(["task 987654 doesn't exist"]));

    assert!(step("statuses_with_token")["statuses"].as_array().unwrap().iter().all(|s| s.as_u64().unwrap() < 300));

    // Newer clients skip the handshake (server/discover, protocol 2026-07-28).
    let modern = step("discover");
    assert_eq!(modern["list_tasks"]["structured"]["count"], 1, "{modern}");
    assert!(modern["protocol_version"].as_str().is_some_and(|v| v >= "2026-07-28"), "{modern}");

    let refused = step("no_token");
    assert_eq!(refused["refused"], true, "{refused}");
    assert!(refused["statuses"].as_array().unwrap().contains(&json!(401)), "{refused}");

    // The task is the token user's, as the REST API shows.
    let (total, titles) = app.list(&user, "").await;
    assert_eq!((total, titles), (1, vec!["Buy groceries".to_string()]));
}

async fn with_origin(app: &TestApp, user: &User, origin: &str) -> reqwest::Response {
    mcp(app, Some(user))
        .header("origin", origin)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
        .send()
        .await
        .unwrap()
}

/// DNS-rebinding protection for browsers: an `Origin` must name an allowed host
/// (the same list as `Host`); clients that send none (non-browser) stay allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_are_refused_with_403_problem_json() {
    let app = spawn(Db::Sqlite).await;
    let user = app.sign_up("mcp-origins@example.com").await;
    for ok in ["http://localhost:3000", "http://127.0.0.1:8000", "https://LOCALHOST", "http://[::1]:8080"] {
        assert_eq!(with_origin(&app, &user, ok).await.status(), StatusCode::OK, "{ok}");
    }
    for foreign in ["https://evil.example.com", "http://localhost.evil.example.com", "null", "not an origin"] {
        let res = with_origin(&app, &user, foreign).await;
        let problem = expect_problem(res, 403, "origin_not_allowed").await;
        assert!(problem["detail"].as_str().unwrap().contains("Origin"), "{foreign}: {problem}");
    }
    // Refused before the token is looked at: no cross-origin page learns whether a token is valid.
    let res = mcp(&app, None)
        .header("origin", "https://evil.example.com")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 403, "origin_not_allowed").await;

    let app = TestApp::builder()
        .config(|a| {
            a.mcp.mcp_allowed_hosts = Some("mcp.example.com, todo-api:8000".into());
            a.server.frontend_url = Some("https://todo.example.com".into());
        })
        .start()
        .await;
    let user = app.sign_up("mcp-origins@example.com").await;
    for ok in
        ["https://todo.example.com", "https://mcp.example.com:8443", "http://todo-api:8000", "http://localhost:3000"]
    {
        assert_eq!(with_origin(&app, &user, ok).await.status(), StatusCode::OK, "{ok}");
    }
    // A pinned port is pinned for origins too (no port means the scheme's default).
    for foreign in ["http://todo-api:9999", "http://todo-api", "https://evil.example.com"] {
        expect_problem(with_origin(&app, &user, foreign).await, 403, "origin_not_allowed").await;
    }

    let app = TestApp::builder().config(|a| a.mcp.mcp_allowed_hosts = Some("*".into())).start().await;
    let user = app.sign_up("mcp-origins@example.com").await;
    assert_eq!(with_origin(&app, &user, "https://anything.example.net").await.status(), StatusCode::OK);
}

/// Every refusal of the transport is problem+json like the rest of the API,
/// or, for a body that is not a JSON-RPC message, a JSON-RPC error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors_are_problem_json_or_json_rpc_errors() {
    let app = spawn(Db::Sqlite).await;
    let user = app.sign_up("mcp-transport@example.com").await;
    let list = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}});

    let res = mcp(&app, Some(&user)).header("host", "evil.example.com").json(&list).send().await.unwrap();
    expect_problem(res, 403, "host_not_allowed").await;

    let res = mcp_with(&app, Some(&user), "application/json", PROTOCOL).json(&list).send().await.unwrap();
    let p = expect_problem(res, 406, "not_acceptable").await;
    assert!(p["detail"].as_str().unwrap().contains("text/event-stream"), "{p}");

    let res = mcp(&app, Some(&user)).header("content-type", "text/plain").body(list.to_string()).send().await.unwrap();
    let p = expect_problem(res, 415, "unsupported_media_type").await;
    assert!(p["detail"].as_str().unwrap().contains("application/json"), "{p}");

    let res = mcp(&app, Some(&user))
        .header("content-type", "application/json")
        .body(vec![b' '; 64 * 1024 + 1])
        .send()
        .await
        .unwrap();
    expect_problem(res, 413, "payload_too_large").await;

    let accept = "application/json, text/event-stream";
    let res = mcp_with(&app, Some(&user), accept, "1999-01-01").json(&list).send().await.unwrap();
    let p = expect_problem(res, 400, "bad_request").await;
    assert!(p["detail"].as_str().unwrap().contains("1999-01-01"), "{p}");

    for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
        let res = app
            .req(method.clone(), "/mcp")
            .bearer_auth(&user.token)
            .header("accept", "application/json, text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers().get("allow").map(|v| v.to_str().unwrap()), Some("POST"), "{method}");
        expect_problem(res, 405, "method_not_allowed").await;
    }

    // Not JSON at all: JSON-RPC "Parse error"; JSON but no JSON-RPC message: "Invalid Request".
    for (body, code) in [("{not json", -32700), ("{\"hello\": 1}", -32600), ("[]", -32600)] {
        let res = mcp(&app, Some(&user)).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(res.headers()["content-type"], "application/json", "{body}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["jsonrpc"], "2.0", "{body}: {v}");
        assert_eq!(v["id"], Value::Null, "{body}: {v}");
        assert_eq!(v["error"]["code"], code, "{body}: {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}: {v}");
    }

    // After all that, the endpoint still answers.
    let ok = rpc(&app, &user, "tools/list", json!({})).await;
    assert_eq!(ok["result"]["tools"].as_array().unwrap().len(), 5);
}

/// The tools speak the numbers the user sees: a second account's first task is
/// `task_id` 1 there too, and `task_id` 1 names the caller's task 1 only.
async fn tools_take_and_report_the_users_task_numbers(app: TestApp) {
    let first = app.sign_up("mcp-numbers-1@example.com").await;
    let second = app.sign_up("mcp-numbers-2@example.com").await;
    for title in ["a", "b", "c"] {
        app.create_task(&first, json!({"title": title})).await;
    }
    let added = call(&app, &second, "add_task", json!({"title": "Water the plants"})).await;
    assert_eq!(added["structuredContent"]["task_id"], 1, "{added}");
    let added = call(&app, &second, "add_task", json!({"title": "Pay rent"})).await;
    assert_eq!(added["structuredContent"]["task_id"], 2, "{added}");

    let listed = call(&app, &second, "list_tasks", json!({})).await;
    let mut ids: Vec<i64> =
        listed["structuredContent"]["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, [1, 2], "{listed}");

    let done = call(&app, &second, "complete_task", json!({"task_id": 1})).await;
    assert_eq!(done["structuredContent"], json!({"task_id": 1, "status": "completed", "title": "Water the plants"}));
    let renamed = call(&app, &second, "update_task", json!({"task_id": "#2", "title": "Pay the rent"})).await;
    assert_eq!(renamed["structuredContent"]["task_id"], 2, "{renamed}");
    let missing = call(&app, &second, "delete_task", json!({"task_id": 3})).await;
    assert_eq!(missing["isError"], true, "the first account's task 3 is not the second's");
    assert_eq!(text_of(&missing), "task 3 doesn't exist");
    let deleted = call(&app, &second, "delete_task", json!({"task_id": 2})).await;
    assert_eq!(deleted["structuredContent"]["task_id"], 2);

    // The first account's task 1 is untouched by the second's "task 1".
    let res = app.as_user(Method::GET, &first, "/api/{me}/tasks/1").send().await.unwrap();
    let one: Value = res.json().await.unwrap();
    assert_eq!((one["title"].as_str(), one["completed"].as_bool()), (Some("a"), Some(false)));
    let added = call(&app, &second, "add_task", json!({"title": "After a delete"})).await;
    assert_eq!(added["structuredContent"]["task_id"], 3, "numbers are never reused");
}
