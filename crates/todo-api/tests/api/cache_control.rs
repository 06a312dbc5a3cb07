//! Responses that carry tokens or a user's data say `Cache-Control: no-store`,
//! so no browser, proxy or CDN keeps a copy: the sign-up and sign-in responses,
//! every authenticated response (success or error, JSON or event stream, REST
//! or MCP), on SQLite and PostgreSQL.

use crate::common::TestApp;
use reqwest::{Method, Response};
use serde_json::{Value, json};

on_both_databases!(every_response_with_private_data_is_no_store);

fn assert_no_store(res: &Response, what: &str) {
    let value = res.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(value.as_deref(), Some("no-store"), "{what} ({})", res.status());
}

async fn every_response_with_private_data_is_no_store(app: TestApp) {
    let res = app
        .req(Method::POST, "/api/auth/sign-up")
        .json(&json!({"email": "cache@example.com", "password": "correct horse", "name": "Cache"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_no_store(&res, "sign-up");
    let res = app
        .req(Method::POST, "/api/auth/sign-in")
        .json(&json!({"email": "cache@example.com", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "sign-in");
    let body: Value = res.json().await.unwrap();
    let u = crate::common::User {
        id: body["user"]["id"].as_str().unwrap().into(),
        email: "cache@example.com".into(),
        token: body["token"].as_str().unwrap().into(),
    };
    let res = app
        .req(Method::POST, "/api/auth/sign-in")
        .json(&json!({"email": "cache@example.com", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_no_store(&res, "failed sign-in");

    let task = app.create_task(&u, json!({"title": "Private"})).await;
    let id = task["id"].as_i64().unwrap();
    let task_path = format!("/api/{{me}}/tasks/{id}");
    let chat = json!({"message": "add a task to buy milk"});
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/auth/me".into(), None),
        (Method::GET, "/api/{me}/tasks".into(), None),
        (Method::GET, "/api/{me}/tasks?q=priv".into(), None),
        (Method::POST, "/api/{me}/tasks".into(), Some(json!({"title": "Another"}))),
        (Method::POST, "/api/{me}/tasks".into(), Some(json!({"title": ""}))),
        (Method::GET, task_path.clone(), None),
        (Method::PUT, task_path.clone(), Some(json!({"title": "Private too"}))),
        (Method::PATCH, task_path.clone(), Some(json!({"priority": "high"}))),
        (Method::PATCH, format!("{task_path}/complete"), None),
        (Method::GET, "/api/{me}/tasks/999999".into(), None),
        (Method::GET, "/api/someone-else/tasks".into(), None),
        (Method::POST, "/api/{me}/chat".into(), Some(chat.clone())),
        (Method::GET, "/api/{me}/conversations".into(), None),
        (Method::DELETE, task_path.clone(), None),
    ];
    for (method, path, body) in cases {
        let mut req = app.as_user(method.clone(), &u, &path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        assert_no_store(&res, &format!("{method} {path}"));
    }

    let conversations: Vec<Value> =
        app.as_user(Method::GET, &u, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    let c = conversations[0]["id"].as_i64().unwrap();
    let res = app.as_user(Method::GET, &u, &format!("/api/{{me}}/conversations/{c}/messages")).send().await.unwrap();
    assert_no_store(&res, "messages");
    // A streamed turn: axum's event streams say only `no-cache` (store, but revalidate).
    let res = app
        .as_user(Method::POST, &u, "/api/{me}/chat")
        .header("accept", "text/event-stream")
        .json(&json!({"conversation_id": c, "message": "what's pending?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "streamed chat");
    let res = app.as_user(Method::DELETE, &u, &format!("/api/{{me}}/conversations/{c}")).send().await.unwrap();
    assert_no_store(&res, "delete conversation");

    let res = app.req(Method::GET, "/api/auth/me").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_no_store(&res, "no token");
    let res = app
        .req(Method::POST, "/mcp")
        .bearer_auth(&u.token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_tasks", "arguments": {}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "MCP tools/call");
}
