//! Characters in text input, on SQLite and PostgreSQL alike: U+0000 (which
//! PostgreSQL cannot store in `text`), other control characters and titles that
//! show nothing are 422 naming the field, wherever the text comes in (REST
//! bodies and query strings, the chat message, MCP tools), and nothing is written.

use crate::common::{TestApp, User, expect_problem, fields};
use reqwest::Method;
use serde_json::{Value, json};

on_both_databases!(
    sign_up_and_sign_in_refuse_control_characters,
    task_bodies_refuse_control_characters_and_invisible_titles,
    query_parameters_refuse_control_characters,
    chat_messages_refuse_control_characters,
    mcp_add_task_refuses_control_characters,
);

async fn expect_field(res: reqwest::Response, field: &str) -> Value {
    let body = expect_problem(res, 422, "validation_failed").await;
    assert_eq!(fields(&body), [field], "{body}");
    body
}

async fn sign_up_and_sign_in_refuse_control_characters(app: TestApp) {
    let sign_up = |body: Value| app.req(Method::POST, "/api/auth/sign-up").json(&body).send();
    let res = sign_up(json!({"email": "nul@example.com", "password": "correct horse", "name": "Ada\u{0}"})).await;
    let body = expect_field(res.unwrap(), "name").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("U+0000"), "{body}");
    let res = sign_up(json!({"email": "n\u{0}ul@example.com", "password": "correct horse", "name": "Ada"})).await;
    expect_field(res.unwrap(), "email").await;
    let res = sign_up(json!({"email": "esc@example.com", "password": "correct horse", "name": "\u{1b}[2J"})).await;
    expect_field(res.unwrap(), "name").await;
    let res = sign_up(json!({"email": "zw@example.com", "password": "correct horse", "name": "\u{200b}"})).await;
    expect_field(res.unwrap(), "name").await;

    let res = app
        .req(Method::POST, "/api/auth/sign-in")
        .json(&json!({"email": "nul\u{0}@example.com", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    expect_field(res, "email").await;

    // None of the refused sign-ups exists.
    app.sign_up("nul@example.com").await;
    app.sign_up("esc@example.com").await;
    app.sign_up("zw@example.com").await;
}

async fn task_bodies_refuse_control_characters_and_invisible_titles(app: TestApp) {
    let u = app.sign_up("tasks-nul@example.com").await;
    let post = |body: Value| app.as_user(Method::POST, &u, "/api/{me}/tasks").json(&body).send();
    expect_field(post(json!({"title": "Buy\u{0}milk"})).await.unwrap(), "title").await;
    expect_field(post(json!({"title": "ok", "description": "d\u{0}"})).await.unwrap(), "description").await;
    expect_field(post(json!({"title": "\u{1b}[31mred"})).await.unwrap(), "title").await;
    expect_field(post(json!({"title": "bell\u{7}"})).await.unwrap(), "title").await;
    expect_field(post(json!({"title": "ok", "description": "\u{8}\u{8}"})).await.unwrap(), "description").await;
    for invisible in ["\u{200b}", "\u{feff}", "\u{200b}\u{feff}\u{2060}"] {
        let body = expect_field(post(json!({"title": invisible})).await.unwrap(), "title").await;
        assert!(body["detail"].as_str().unwrap().contains("visible"), "{body}");
    }
    expect_field(post(json!({"title": "ok", "tags": ["home\u{0}"]})).await.unwrap(), "tags[0]").await;
    assert_eq!(app.list(&u, "").await, (0, vec![]), "nothing was written");

    // Tab, newline and a zero-width space among visible letters are text; a
    // textarea's CRLF is stored as a newline.
    let created =
        app.create_task(&u, json!({"title": "\u{200b}Tab\there", "description": "line one\r\nline two\tend"})).await;
    assert_eq!(created["title"], "\u{200b}Tab\there", "a title shows what the user typed");
    assert_eq!(created["description"], "line one\nline two\tend");
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/{{me}}/tasks/{id}");

    let put = |body: Value| app.as_user(Method::PUT, &u, &path).json(&body).send();
    expect_field(put(json!({"title": "x\u{0}"})).await.unwrap(), "title").await;
    expect_field(put(json!({"title": "x", "description": "\u{0}"})).await.unwrap(), "description").await;
    expect_field(put(json!({"title": "\u{feff}"})).await.unwrap(), "title").await;
    let patch = |body: Value| app.as_user(Method::PATCH, &u, &path).json(&body).send();
    expect_field(patch(json!({"title": "x\u{0}"})).await.unwrap(), "title").await;
    expect_field(patch(json!({"description": "\u{0}"})).await.unwrap(), "description").await;
    expect_field(patch(json!({"title": "\u{200b}"})).await.unwrap(), "title").await;

    let unchanged: Value = app.as_user(Method::GET, &u, &path).send().await.unwrap().json().await.unwrap();
    assert_eq!(unchanged, created, "no refused change was applied");
}

async fn query_parameters_refuse_control_characters(app: TestApp) {
    let u = app.sign_up("query-nul@example.com").await;
    app.create_task(&u, json!({"title": "Buy milk", "tags": ["home"]})).await;
    let get = |query: &str| app.as_user(Method::GET, &u, &format!("/api/{{me}}/tasks?{query}")).send();
    expect_field(get("q=%00").await.unwrap(), "q").await;
    expect_field(get("q=milk%00").await.unwrap(), "q").await;
    expect_field(get("q=%1B").await.unwrap(), "q").await;
    expect_field(get("tag=%00").await.unwrap(), "tag").await;
    expect_field(get("tag=home%00").await.unwrap(), "tag").await;
    expect_field(get("status=%00").await.unwrap(), "status").await;
    assert_eq!(app.list(&u, "q=milk&tag=home").await, (1, vec!["Buy milk".to_string()]));
}

async fn chat_messages_refuse_control_characters(app: TestApp) {
    let u = app.sign_up("chat-nul@example.com").await;
    let chat = |body: Value| app.as_user(Method::POST, &u, "/api/{me}/chat").json(&body).send();
    expect_field(chat(json!({"message": "add a task to buy milk\u{0}"})).await.unwrap(), "message").await;
    expect_field(chat(json!({"message": "\u{1b}]0;title\u{7}"})).await.unwrap(), "message").await;
    expect_field(chat(json!({"message": "\u{200b}\u{feff}"})).await.unwrap(), "message").await;
    let conversations: Vec<Value> =
        app.as_user(Method::GET, &u, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    assert!(conversations.is_empty(), "no conversation was started: {conversations:?}");
    assert_eq!(app.list(&u, "").await.0, 0);

    // Refused in an existing conversation too, and nothing is added to it.
    let res = chat(json!({"message": "hello"})).await.unwrap();
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap()["conversation_id"].as_i64().unwrap();
    expect_field(chat(json!({"conversation_id": id, "message": "again\u{0}"})).await.unwrap(), "message").await;
    let messages: Vec<Value> = app
        .as_user(Method::GET, &u, &format!("/api/{{me}}/conversations/{id}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(messages.len(), 2, "{messages:?}");
}

async fn mcp_call(app: &TestApp, user: &User, tool: &str, args: Value) -> Value {
    let res = app
        .req(Method::POST, "/mcp")
        .bearer_auth(&user.token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": args}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert!(v.get("error").is_none(), "{tool}: {v}");
    v["result"].clone()
}

async fn mcp_add_task_refuses_control_characters(app: TestApp) {
    let u = app.sign_up("mcp-nul@example.com").await;
    for args in
        [json!({"title": "Buy\u{0}milk"}), json!({"title": "ok", "description": "\u{0}"}), json!({"title": "\u{200b}"})]
    {
        let result = mcp_call(&app, &u, "add_task", args.clone()).await;
        assert_eq!(result["isError"], true, "{args}: {result}");
    }
    let result = mcp_call(&app, &u, "list_tasks", json!({"q": "milk\u{0}"})).await;
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("q: must not contain control characters"), "{text}");
    assert_eq!(app.list(&u, "").await.0, 0);
}
