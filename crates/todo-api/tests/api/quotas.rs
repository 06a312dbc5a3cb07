//! Per-user quotas on SQLite and PostgreSQL: tasks, conversations, messages per
//! conversation and chat turns per minute; 429 with Retry-After and a clear
//! message; exact under concurrency on two replicas sharing one database; the
//! assistant's and MCP's add_task respect the task quota.

use crate::common::{Db, TestApp, User, expect_problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_api::ApiArgs;

macro_rules! on_both {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() { super::$case(super::Db::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() { super::$case(super::Db::Postgres).await }
            }
        )+
    };
}

on_both!(
    the_task_quota_holds_under_concurrency_on_two_replicas,
    the_tools_respect_the_task_quota,
    conversation_and_message_quotas,
    chat_turns_per_minute_hold_under_concurrency_on_two_replicas,
);

/// Two API servers on one fresh database, with the same configuration.
async fn two_replicas(db: Db, config: impl Fn(&mut ApiArgs)) -> (TestApp, TestApp) {
    let a = TestApp::builder().database(db).config(&config).start().await;
    let b = TestApp::builder().on_database(&a.database_url).config(&config).start().await;
    (a, b)
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

async fn the_task_quota_holds_under_concurrency_on_two_replicas(db: Db) {
    let (a, b) = two_replicas(db, |a| a.quotas.quota_tasks_per_user = 10).await;
    let u = a.sign_up("quota-tasks@example.com").await;
    let other = a.sign_up("quota-other@example.com").await;
    let creates = (0..50).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        let req = app.as_user(Method::POST, &u, "/api/{me}/tasks").json(&json!({"title": format!("task {i}")}));
        async move { req.send().await.unwrap() }
    });
    let responses = futures::future::join_all(creates).await;
    let created = responses.iter().filter(|r| r.status() == StatusCode::CREATED).count();
    let refused = responses.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((created, refused), (10, 40), "{:?}", responses.iter().map(|r| r.status()).collect::<Vec<_>>());
    assert_eq!(a.list(&u, "limit=100").await.0, 10);
    assert_eq!(b.list(&u, "limit=100").await.0, 10);

    let res = responses.into_iter().find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).unwrap();
    assert!(retry_after(&res) >= 1);
    let body = expect_problem(res, 429, "task_quota_exceeded").await;
    assert_eq!(body["detail"], "this account has reached its limit of 10 tasks; delete some to add more");

    // Another account has its own quota; a deleted task makes room for one more.
    b.create_task(&other, json!({"title": "mine"})).await;
    let (_, titles) = a.list(&u, "limit=1").await;
    let tasks: Vec<Value> =
        a.as_user(Method::GET, &u, "/api/{me}/tasks?limit=1").send().await.unwrap().json().await.unwrap();
    assert_eq!(tasks[0]["title"], titles[0].as_str());
    let id = tasks[0]["id"].as_i64().unwrap();
    let res = b.as_user(Method::DELETE, &u, &format!("/api/{{me}}/tasks/{id}")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    a.create_task(&u, json!({"title": "after a delete"})).await;
    let res =
        b.as_user(Method::POST, &u, "/api/{me}/tasks").json(&json!({"title": "one too many"})).send().await.unwrap();
    expect_problem(res, 429, "task_quota_exceeded").await;
}

async fn mcp_add_task(app: &TestApp, user: &User, title: &str) -> Value {
    let res = app
        .req(Method::POST, "/mcp")
        .bearer_auth(&user.token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add_task", "arguments": {"title": title}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert!(v.get("error").is_none(), "{v}");
    v["result"].clone()
}

async fn the_tools_respect_the_task_quota(db: Db) {
    let app = TestApp::builder()
        .database(db)
        .config(|a| {
            a.quotas.quota_tasks_per_user = 2;
            a.llm.llm_provider = Some("builtin".into());
        })
        .start()
        .await;
    let u = app.sign_up("quota-tools@example.com").await;
    app.create_task(&u, json!({"title": "first"})).await;
    assert_eq!(mcp_add_task(&app, &u, "second").await["isError"], false);
    let refused = mcp_add_task(&app, &u, "third").await;
    assert_eq!(refused["isError"], true, "{refused}");
    let text = refused["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("limit of 2 tasks"), "{text}");

    let res = app
        .as_user(Method::POST, &u, "/api/{me}/chat")
        .json(&json!({"message": "add a task to buy milk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the turn itself succeeds");
    let body: Value = res.json().await.unwrap();
    let call = &body["tool_calls"][0];
    assert_eq!(call["tool"], "add_task", "{body}");
    assert!(call["result"]["error"].as_str().unwrap().contains("limit of 2 tasks"), "{body}");
    assert_eq!(app.list(&u, "").await.0, 2);
}

async fn chat(app: &TestApp, u: &User, body: Value) -> reqwest::Response {
    app.as_user(Method::POST, u, "/api/{me}/chat").json(&body).send().await.unwrap()
}

async fn conversation_and_message_quotas(db: Db) {
    let app = TestApp::builder()
        .database(db)
        .config(|a| {
            a.quotas.quota_conversations_per_user = 2;
            a.quotas.quota_messages_per_conversation = 4;
            a.llm.llm_provider = Some("builtin".into());
        })
        .start()
        .await;
    let u = app.sign_up("quota-chat@example.com").await;
    let res = chat(&app, &u, json!({"message": "what's pending?"})).await;
    assert_eq!(res.status(), 200);
    let first = res.json::<Value>().await.unwrap()["conversation_id"].as_i64().unwrap();
    let res = chat(&app, &u, json!({"conversation_id": first, "message": "what's done?"})).await;
    assert_eq!(res.status(), 200, "four messages fit");
    let res = chat(&app, &u, json!({"conversation_id": first, "message": "and now?"})).await;
    assert!(retry_after(&res) >= 1);
    let body = expect_problem(res, 429, "message_quota_exceeded").await;
    assert!(body["detail"].as_str().unwrap().contains("limit of 4 messages"), "{body}");
    let messages: Vec<Value> = app
        .as_user(Method::GET, &u, &format!("/api/{{me}}/conversations/{first}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(messages.len(), 4, "the refused message was not stored");
    // A missing conversation is still 404, not a quota.
    let res = chat(&app, &u, json!({"conversation_id": 999999, "message": "hi"})).await;
    expect_problem(res, 404, "not_found").await;

    assert_eq!(chat(&app, &u, json!({"message": "hello"})).await.status(), 200);
    let res = chat(&app, &u, json!({"message": "a third conversation"})).await;
    let body = expect_problem(res, 429, "conversation_quota_exceeded").await;
    assert!(body["detail"].as_str().unwrap().contains("limit of 2 conversations"), "{body}");
    let conversations: Vec<Value> =
        app.as_user(Method::GET, &u, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    assert_eq!(conversations.len(), 2);
    let res = app.as_user(Method::DELETE, &u, &format!("/api/{{me}}/conversations/{first}")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(chat(&app, &u, json!({"message": "room again"})).await.status(), 200);
}

async fn chat_turns_per_minute_hold_under_concurrency_on_two_replicas(db: Db) {
    let (a, b) = two_replicas(db, |a| {
        a.quotas.quota_chat_turns_per_minute = 3;
        a.llm.llm_provider = Some("builtin".into());
    })
    .await;
    let u = a.sign_up("quota-rate@example.com").await;
    let turns = (0..10).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        let req = app.as_user(Method::POST, &u, "/api/{me}/chat").json(&json!({"message": format!("turn {i}")}));
        async move { req.send().await.unwrap() }
    });
    let responses = futures::future::join_all(turns).await;
    let ok = responses.iter().filter(|r| r.status() == StatusCode::OK).count();
    let limited = responses.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((ok, limited), (3, 7), "{:?}", responses.iter().map(|r| r.status()).collect::<Vec<_>>());
    let res = responses.into_iter().find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).unwrap();
    let wait = retry_after(&res);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body = expect_problem(res, 429, "chat_rate_limited").await;
    assert!(body["detail"].as_str().unwrap().contains("at most 3 per minute"), "{body}");
    let conversations: Vec<Value> =
        a.as_user(Method::GET, &u, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    assert_eq!(conversations.len(), 3, "a refused turn starts no conversation");
    // Another account has its own window.
    let other = b.sign_up("quota-rate-other@example.com").await;
    assert_eq!(chat(&b, &other, json!({"message": "hello"})).await.status(), 200);
}
