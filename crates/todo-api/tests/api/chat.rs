//! The assistant end to end: chat turns against a scripted OpenAI-compatible
//! server at the HTTP boundary (and the built-in interpreter), checking what the
//! provider was sent and what the database holds afterwards.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{Db, TestApp, User, expect_problem, fields};
use axum::http::{HeaderMap, StatusCode as AxStatus};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use todo_api::ApiArgs;

/// One scripted provider answer.
enum Reply {
    Json(u16, Value, Vec<(&'static str, &'static str)>),
    Slow(Duration, Value),
    Stream(Vec<Value>),
    /// A slow model: each streamed chunk after this delay.
    SlowStream(Duration, Vec<Value>),
    /// A rambling model: word after word, until the request's `max_tokens` (one
    /// word a token, then `finish_reason: length`) or, without it, for an hour
    /// (so the turn lasts until a timeout).
    Ramble,
}

#[derive(Clone)]
struct ScriptedLlm {
    url: String,
    replies: Arc<Mutex<VecDeque<Reply>>>,
    requests: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

impl ScriptedLlm {
    async fn start() -> ScriptedLlm {
        let replies: Arc<Mutex<VecDeque<Reply>>> = Default::default();
        let requests: Arc<Mutex<Vec<(HeaderMap, Value)>>> = Default::default();
        let (r, q) = (replies.clone(), requests.clone());
        let app = Router::new().route(
            "/v1/chat/completions",
            post(move |headers: HeaderMap, Json(body): Json<Value>| {
                let (r, q) = (r.clone(), q.clone());
                async move {
                    q.lock().unwrap().push((headers, body));
                    let next = r.lock().unwrap().pop_front();
                    match next {
                        None => (AxStatus::INTERNAL_SERVER_ERROR, "script exhausted").into_response(),
                        Some(Reply::Json(status, body, headers)) => {
                            let mut res = (AxStatus::from_u16(status).unwrap(), Json(body)).into_response();
                            for (k, v) in headers {
                                res.headers_mut().insert(k, v.parse().unwrap());
                            }
                            res
                        }
                        Some(Reply::Slow(delay, body)) => {
                            tokio::time::sleep(delay).await;
                            Json(body).into_response()
                        }
                        Some(Reply::Stream(chunks)) => {
                            let mut sse = String::new();
                            for c in chunks {
                                sse.push_str(&format!("data: {c}\n\n"));
                            }
                            sse.push_str("data: [DONE]\n\n");
                            ([("content-type", "text/event-stream")], sse).into_response()
                        }
                        Some(Reply::SlowStream(delay, chunks)) => {
                            let events = futures::stream::iter(chunks.into_iter().map(|c| format!("data: {c}\n\n")))
                                .chain(futures::stream::once(async { "data: [DONE]\n\n".to_string() }))
                                .then(move |e| async move {
                                    tokio::time::sleep(delay).await;
                                    Ok::<_, std::convert::Infallible>(e)
                                });
                            ([("content-type", "text/event-stream")], axum::body::Body::from_stream(events))
                                .into_response()
                        }
                        Some(Reply::Ramble) => {
                            let last = q.lock().unwrap().last().unwrap().1.clone();
                            match last["max_tokens"].as_u64() {
                                Some(n) => {
                                    let words = vec!["blah"; n as usize].join(" ");
                                    Json(json!({"choices": [{"message": {"role": "assistant", "content": words}, "finish_reason": "length"}]}))
                                        .into_response()
                                }
                                None => {
                                    tokio::time::sleep(Duration::from_secs(3600)).await;
                                    Json(json!({"choices": [{"message": {"content": "blah"}}]})).into_response()
                                }
                            }
                        }
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ScriptedLlm { url, replies, requests }
    }

    fn push(&self, reply: Reply) {
        self.replies.lock().unwrap().push_back(reply);
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().iter().map(|(_, b)| b.clone()).collect()
    }

    /// Points the assistant at this provider.
    fn configure(&self, a: &mut ApiArgs) {
        a.llm.llm_provider = Some("openai-compatible".into());
        a.llm.llm_base_url = Some(self.url.clone());
        a.llm.llm_model = Some("scripted-model".into());
        a.llm.openai_api_key = Some("sk-test-key-must-stay-secret".into());
        // These tests are about the model: every message goes to it.
        a.llm_routing = "model".into();
    }
}

fn text(content: &str) -> Reply {
    Reply::Json(
        200,
        json!({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}),
        vec![],
    )
}

fn calls(list: &[(&str, &str, &str)]) -> Reply {
    let tool_calls: Vec<Value> = list
        .iter()
        .map(|(id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}}))
        .collect();
    Reply::Json(
        200,
        json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": tool_calls}, "finish_reason": "tool_calls"}]}),
        vec![],
    )
}

async fn with_llm(db: Db, config: impl FnOnce(&mut ApiArgs)) -> (TestApp, ScriptedLlm) {
    let llm = ScriptedLlm::start().await;
    (TestApp::builder().database(db).config(|a| llm.configure(a)).config(config).start().await, llm)
}

async fn chat(app: &TestApp, user: &User, body: Value) -> reqwest::Response {
    app.as_user(Method::POST, user, "/api/{me}/chat").json(&body).send().await.unwrap()
}

async fn messages(app: &TestApp, user: &User, conversation: i64) -> Vec<Value> {
    let res = app
        .as_user(Method::GET, user, &format!("/api/{{me}}/conversations/{conversation}/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

macro_rules! on_both {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { super::$case(super::Db::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { super::$case(super::Db::Postgres).await }
            }
        )+
    };
}

on_both!(
    failed_turn_carries_its_conversation_and_calls,
    the_deadline_stops_a_slow_turn_and_nothing_runs_after,
    a_retried_turn_with_its_key_is_not_run_again,
    builtin_first_answers_the_commands_without_the_model,
    plain_answer,
    one_tool_call,
    multi_step_delete_by_title,
    resume_after_restart_and_isolation,
    control_characters_from_the_model,
    conversation_id_is_any_json_integer,
);

async fn plain_answer(db: Db) {
    let (app, llm) = with_llm(db, |_| {}).await;
    let u = app.sign_up("plain@example.com").await;
    llm.push(text("Hello! How can I help with your tasks?"));
    let res = chat(&app, &u, json!({"message": "hi"})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["response"], "Hello! How can I help with your tasks?");
    assert_eq!(body["tool_calls"], json!([]));
    let conversation = body["conversation_id"].as_i64().unwrap();

    let sent = &llm.requests()[0];
    assert_eq!(sent["model"], "scripted-model");
    assert_eq!(sent["messages"][0]["role"], "system");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    // The system prompt is the same for every turn (the server's prompt cache
    // keeps it); the date comes last, with the new message.
    assert_eq!(sent["messages"][0]["content"], todo_agent::system_prompt());
    assert_eq!(sent["messages"][1]["role"], "user");
    let user = sent["messages"][1]["content"].as_str().unwrap();
    assert!(user.starts_with("hi\n\n(Now: ") && user.contains(&today), "{user}");
    let names: Vec<&str> =
        sent["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["add_task", "list_tasks", "complete_task", "delete_task", "update_task"]);
    let auth = llm.requests.lock().unwrap()[0].0.clone();
    assert_eq!(auth["authorization"], "Bearer sk-test-key-must-stay-secret");

    let stored = messages(&app, &u, conversation).await;
    assert_eq!(stored.len(), 2);
    assert_eq!((stored[0]["role"].as_str(), stored[0]["content"].as_str()), (Some("user"), Some("hi")));
    assert_eq!(stored[1]["role"], "assistant");
    let convs: Vec<Value> =
        app.as_user(Method::GET, &u, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["title"], "hi");
}

async fn one_tool_call(db: Db) {
    let (app, llm) = with_llm(db, |_| {}).await;
    let u = app.sign_up("tool@example.com").await;
    llm.push(calls(&[("call_1", "add_task", r#"{"title": "Buy groceries", "priority": "high"}"#)]));
    llm.push(text("I've added 'Buy groceries' to your list."));
    let body: Value = chat(&app, &u, json!({"message": "Add a task to buy groceries"})).await.json().await.unwrap();
    assert_eq!(body["response"], "I've added 'Buy groceries' to your list.");
    let call = &body["tool_calls"][0];
    assert_eq!(call["tool"], "add_task");
    assert_eq!(call["arguments"]["title"], "Buy groceries");
    assert_eq!(call["result"]["status"], "created");
    assert_eq!(call["result"]["title"], "Buy groceries");
    assert_eq!(app.list(&u, "priority=high").await, (1, vec!["Buy groceries".into()]));

    // The model was given the tool result in protocol order.
    let second = &llm.requests()[1]["messages"];
    let n = second.as_array().unwrap().len();
    assert_eq!(second[n - 2]["tool_calls"][0]["id"], "call_1");
    assert_eq!(second[n - 1]["role"], "tool");
    assert_eq!(second[n - 1]["tool_call_id"], "call_1");
    assert!(second[n - 1]["content"].as_str().unwrap().contains("created"));

    let stored = messages(&app, &u, body["conversation_id"].as_i64().unwrap()).await;
    assert_eq!(stored[1]["tool_calls"][0]["result"]["status"], "created");
}

/// A model may send U+0000 and other control characters: in a tool's arguments
/// they are refused like the user's own input (the model is told), in its reply
/// they are dropped, on PostgreSQL as on SQLite.
async fn control_characters_from_the_model(db: Db) {
    let (app, llm) = with_llm(db, |_| {}).await;
    let u = app.sign_up("model-nul@example.com").await;
    llm.push(calls(&[
        ("c1", "add_task", r#"{"title": "Buy\u0000milk"}"#),
        ("c2", "add_task", r#"{"title": "\u200b"}"#),
        ("c3", "list_tasks", r#"{"q": "milk\u0000"}"#),
    ]));
    llm.push(text("Sorry,\u{0} I could not add it.\u{1b}[0m"));
    let res = chat(&app, &u, json!({"message": "Add a task to buy milk"})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["response"], "Sorry, I could not add it.[0m");
    for (i, field) in ["title", "title", "q"].iter().enumerate() {
        let error = body["tool_calls"][i]["result"]["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(&format!("{field}: must")), "call {i}: {}", body["tool_calls"][i]);
    }
    assert_eq!(app.list(&u, "").await.0, 0);
    let stored = messages(&app, &u, body["conversation_id"].as_i64().unwrap()).await;
    assert_eq!(stored[1]["content"], "Sorry, I could not add it.[0m");
    assert_eq!(stored[1]["tool_calls"][0]["arguments"]["title"], "Buy\u{0}milk", "the call is recorded as made");
}

async fn multi_step_delete_by_title(db: Db) {
    let (app, llm) = with_llm(db, |_| {}).await;
    let u = app.sign_up("multi@example.com").await;
    let meeting = app.create_task(&u, json!({"title": "Team meeting"})).await;
    app.create_task(&u, json!({"title": "Buy milk"})).await;
    let id = meeting["id"].as_i64().unwrap();
    llm.push(calls(&[("c1", "list_tasks", r#"{"q": "meeting"}"#)]));
    llm.push(calls(&[("c2", "delete_task", &format!(r#"{{"task_id": {id}}}"#))]));
    llm.push(text("Done: I deleted 'Team meeting'."));
    let body: Value = chat(&app, &u, json!({"message": "Delete the meeting task"})).await.json().await.unwrap();
    let tools: Vec<&str> = body["tool_calls"].as_array().unwrap().iter().map(|c| c["tool"].as_str().unwrap()).collect();
    assert_eq!(tools, ["list_tasks", "delete_task"]);
    assert_eq!(body["tool_calls"][0]["result"]["count"], 1);
    assert_eq!(body["tool_calls"][1]["result"]["status"], "deleted");
    assert_eq!(app.list(&u, "").await, (1, vec!["Buy milk".into()]));
}

async fn resume_after_restart_and_isolation(db: Db) {
    let llm = ScriptedLlm::start().await;
    let url = crate::common::fresh_database(db).await;
    let first = TestApp::builder().on_database(&url).config(|a| llm.configure(a)).start().await;
    let alice = first.sign_up("alice-chat@example.com").await;
    llm.push(calls(&[("c1", "add_task", r#"{"title": "Alice's secret plan"}"#)]));
    llm.push(text("Added."));
    let body: Value = chat(&first, &alice, json!({"message": "remember my secret plan"})).await.json().await.unwrap();
    let conversation = body["conversation_id"].as_i64().unwrap();
    first.stop().await;

    // A new process on the same database continues the conversation.
    let second = TestApp::builder().on_database(&url).config(|a| llm.configure(a)).start().await;
    llm.push(text("You asked me to remember your secret plan."));
    let res = chat(&second, &alice, json!({"conversation_id": conversation, "message": "what did I ask?"})).await;
    assert_eq!(res.status(), 200);
    let sent = llm.requests().last().unwrap().clone();
    let roles: Vec<&str> = sent["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "assistant", "user"], "history replayed in order");
    assert_eq!(sent["messages"][1]["content"], "remember my secret plan");
    assert_eq!(messages(&second, &alice, conversation).await.len(), 4);

    // Bob sees none of it, through any route.
    let bob = second.sign_up("bob-chat@example.com").await;
    let convs: Vec<Value> =
        second.as_user(Method::GET, &bob, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    assert!(convs.is_empty());
    let res = second
        .as_user(Method::GET, &bob, &format!("/api/{{me}}/conversations/{conversation}/messages"))
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "not_found").await;
    let res = chat(&second, &bob, json!({"conversation_id": conversation, "message": "hi"})).await;
    expect_problem(res, 404, "not_found").await;
    let res = second
        .as_user(Method::DELETE, &bob, &format!("/api/{{me}}/conversations/{conversation}"))
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "not_found").await;
    // The model cannot reach Alice's tasks for Bob, even by id.
    let alice_task = body["tool_calls"][0]["result"]["task_id"].as_i64().unwrap();
    llm.push(calls(&[("b1", "list_tasks", "{}"), ("b2", "delete_task", &format!(r#"{{"task_id": {alice_task}}}"#))]));
    llm.push(text("Nothing there."));
    let body: Value = chat(&second, &bob, json!({"message": "show and delete everything"})).await.json().await.unwrap();
    assert_eq!(body["tool_calls"][0]["result"]["count"], 0);
    assert_eq!(body["tool_calls"][1]["result"]["error"], format!("task {alice_task} doesn't exist"));
    assert_eq!(second.list(&alice, "").await.0, 1);

    // Deleting the conversation removes its messages.
    let res = second
        .as_user(Method::DELETE, &alice, &format!("/api/{{me}}/conversations/{conversation}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = second
        .as_user(Method::GET, &alice, &format!("/api/{{me}}/conversations/{conversation}/messages"))
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "not_found").await;
}

/// The model is told the user's local date and time, last in the prompt (with the new message), and
/// tool results give dates in the user's zone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_gets_the_users_local_today_last() {
    let (app, llm) = with_llm(Db::Sqlite, |_| {}).await;
    let u = app.sign_up("tokyo-model@example.com").await;
    let res = app.as_user(Method::PATCH, &u, "/api/auth/me").json(&json!({"time_zone": "Asia/Tokyo"})).send().await;
    assert_eq!(res.unwrap().status(), 200);
    llm.push(calls(&[
        ("c1", "add_task", r#"{"title": "Dinner", "due_at": "2030-01-04T19:00"}"#),
        ("c2", "add_task", r#"{"title": "Rent", "due_date": "2030-01-05"}"#),
        ("c3", "list_tasks", "{}"),
    ]));
    llm.push(text("Done."));
    let started = chrono::Utc::now();
    let res = chat(&app, &u, json!({"message": "dinner friday 7pm, rent saturday"})).await;
    assert_eq!(res.status(), 200);
    let prompt = llm.requests()[0]["messages"][1]["content"].as_str().unwrap().to_string();
    let last = prompt.lines().last().unwrap();
    let tokyo = todo_domain::lookup_time_zone("Asia/Tokyo").unwrap().1;
    let day = |t| todo_domain::zone::local_date(t, &tokyo).format("(%Y-%m-%d)").to_string();
    let (before, after) = (day(started), day(chrono::Utc::now()));
    assert!(last.starts_with("(Now: ") && last.ends_with(" in Asia/Tokyo.)"), "{last}");
    assert!(last.contains(&before) || last.contains(&after), "Tokyo's date {before}: {last}");
    let body: Value = res.json().await.unwrap();
    let listed = &body["tool_calls"][2]["result"]["tasks"];
    let dinner = listed.as_array().unwrap().iter().find(|t| t["title"] == "Dinner").unwrap();
    assert_eq!(dinner["due_at"], "2030-01-04T19:00:00+09:00");
    let rent = listed.as_array().unwrap().iter().find(|t| t["title"] == "Rent").unwrap();
    assert_eq!((rent["due_date"].as_str(), rent["due_at"].as_null()), (Some("2030-01-05"), Some(())));
    let (_, titles) = app.list(&u, "sort=due").await;
    assert_eq!(titles, ["Dinner", "Rent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_malformed_and_unknown_tool_calls() {
    let (app, llm) = with_llm(Db::Sqlite, |a| a.llm_max_tool_calls_per_round = 6).await;
    let u = app.sign_up("parallel@example.com").await;
    llm.push(calls(&[
        ("p1", "add_task", r#"{"title": "Pay bills"}"#),
        ("p2", "add_task", r#"{"title": "Call mom", "due_at": "2030-01-01"}"#),
        ("p3", "add_task", r#"{"title": "broken"#),
        ("p4", "launch_rockets", "{}"),
        ("p5", "complete_task", r#"{"task_id": 999999}"#),
        ("p6", "add_task", r#"{"title": ""}"#),
    ]));
    llm.push(text("Added two tasks; some requests failed."));
    let res = chat(&app, &u, json!({"message": "do lots"})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let results: Vec<&Value> = body["tool_calls"].as_array().unwrap().iter().map(|c| &c["result"]).collect();
    assert_eq!(results[0]["status"], "created");
    assert_eq!(results[1]["status"], "created");
    assert!(results[2]["error"].as_str().unwrap().contains("not valid JSON"));
    // ...and the arguments are the text as sent (the document allows any value).
    assert_eq!(body["tool_calls"][2]["arguments"], r#"{"title": "broken"#);
    assert!(results[3]["error"].as_str().unwrap().contains("no tool named"));
    assert_eq!(results[4]["error"], "task 999999 doesn't exist");
    assert!(results[5]["error"].as_str().unwrap().contains("title"));
    let (n, mut titles) = app.list(&u, "").await;
    titles.sort();
    assert_eq!((n, titles), (2, vec!["Call mom".to_string(), "Pay bills".into()]));
    let stored = messages(&app, &u, body["conversation_id"].as_i64().unwrap()).await;
    assert_eq!(stored[1]["tool_calls"].as_array().unwrap().len(), 6, "every call is stored with its result");
    assert!(stored[1]["tool_calls"][3]["result"]["error"].is_string());
    // Every error went back to the model as a tool message.
    let tool_msgs = llm.requests()[1]["messages"].as_array().unwrap().iter().filter(|m| m["role"] == "tool").count();
    assert_eq!(tool_msgs, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_then_success_is_retried() {
    let (app, llm) = with_llm(Db::Sqlite, |_| {}).await;
    let u = app.sign_up("retry@example.com").await;
    llm.push(Reply::Json(429, json!({"error": {"message": "Rate limit reached"}}), vec![("retry-after", "0")]));
    llm.push(Reply::Json(503, json!({"error": "overloaded"}), vec![]));
    llm.push(text("Here you go."));
    let res = chat(&app, &u, json!({"message": "hello"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(llm.requests().len(), 3);
    let body: Value = res.json().await.unwrap();
    let stored = messages(&app, &u, body["conversation_id"].as_i64().unwrap()).await;
    assert_eq!(stored.len(), 2, "one user message and one reply, not one per attempt");
    assert_eq!(stored[1]["content"], "Here you go.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_failure_is_502_and_the_next_turn_works() {
    let (app, llm) = with_llm(Db::Sqlite, |a| a.llm.llm_max_retries = 1).await;
    let u = app.sign_up("fail@example.com").await;
    for _ in 0..2 {
        llm.push(Reply::Json(500, json!({"error": {"message": "upstream exploded"}}), vec![]));
    }
    let res = chat(&app, &u, json!({"message": "hello"})).await;
    let p = expect_problem(res, 502, "llm_provider_error").await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("openai-compatible") && detail.contains("upstream exploded"), "{detail}");
    assert!(!detail.contains("sk-test-key"), "the key must never appear");
    let convs: Vec<Value> =
        app.as_user(Method::GET, &u, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    let conversation = convs[0]["id"].as_i64().unwrap();
    let stored = messages(&app, &u, conversation).await;
    assert_eq!(stored.len(), 2, "user message and an apology are stored");

    llm.push(text("Back again."));
    let res = chat(&app, &u, json!({"conversation_id": conversation, "message": "hello?"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(messages(&app, &u, conversation).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_timeout_is_504() {
    let (app, llm) = with_llm(Db::Sqlite, |a| {
        a.llm.llm_timeout_secs = 1;
        a.llm.llm_max_retries = 0;
    })
    .await;
    let u = app.sign_up("slow@example.com").await;
    llm.push(Reply::Slow(Duration::from_secs(3), json!({"choices": [{"message": {"content": "late"}}]})));
    let res = chat(&app, &u, json!({"message": "hello"})).await;
    expect_problem(res, 504, "llm_provider_timeout").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallback_to_builtin_when_the_provider_fails() {
    let (app, llm) = with_llm(Db::Sqlite, |a| {
        a.llm.llm_max_retries = 0;
        a.llm.llm_fallback = "builtin".into();
    })
    .await;
    let u = app.sign_up("fallback@example.com").await;
    llm.push(Reply::Json(500, json!({}), vec![]));
    let body: Value = chat(&app, &u, json!({"message": "Add a task to buy groceries"})).await.json().await.unwrap();
    // Which assistant answered is a field of the reply (it used to be a "(built-in
    // assistant)" prefix of the text, which the web UI now shows as a label).
    assert_eq!(body["assistant"], "builtin", "{body}");
    assert!(!body["response"].as_str().unwrap().starts_with('('), "{body}");
    assert_eq!(app.list(&u, "").await, (1, vec!["Buy groceries".into()]));
    let stored = messages(&app, &u, body["conversation_id"].as_i64().unwrap()).await;
    assert_eq!((stored[0]["assistant"].clone(), stored[1]["assistant"].clone()), (Value::Null, json!("builtin")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_reply_arrives_as_events() {
    let (app, llm) = with_llm(Db::Sqlite, |_| {}).await;
    let u = app.sign_up("stream@example.com").await;
    llm.push(Reply::Stream(vec![
        json!({"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [{"index": 0, "id": "s1", "type": "function", "function": {"name": "add_task", "arguments": ""}}]}}]}),
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"title\": \"Stream"}}]}}]}),
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "ed task\"}"}}]}}]}),
    ]));
    llm.push(Reply::Stream(vec![
        json!({"choices": [{"index": 0, "delta": {"content": "Added "}}]}),
        json!({"choices": [{"index": 0, "delta": {"content": "'Streamed task'."}}]}),
    ]));
    let res = app
        .as_user(Method::POST, &u, "/api/{me}/chat")
        .header("accept", "text/event-stream")
        .json(&json!({"message": "add a streamed task"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let raw = res.text().await.unwrap();
    let events: Vec<(String, Value)> = raw
        .split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event:"))?.trim().to_string();
            let data = block.lines().find_map(|l| l.strip_prefix("data:"))?.trim();
            Some((name, serde_json::from_str(data).unwrap()))
        })
        .collect();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["tool_call", "delta", "delta", "done"], "{raw}");
    assert_eq!(events[0].1["result"]["title"], "Streamed task");
    assert_eq!(events[1].1["text"], "Added ");
    let done = &events[3].1;
    assert_eq!(done["response"], "Added 'Streamed task'.");
    assert_eq!(done["assistant"], "openai-compatible", "the provider answered: {done}");
    assert_eq!(app.list(&u, "").await, (1, vec!["Streamed task".into()]));
    let stored = messages(&app, &u, done["conversation_id"].as_i64().unwrap()).await;
    assert_eq!(stored[1]["content"], "Added 'Streamed task'.");
    assert_eq!(stored[1]["assistant"], "openai-compatible");
    assert_eq!(llm.requests()[0]["stream"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_assistant_is_the_default_and_uses_the_same_tools() {
    let app = crate::common::spawn(Db::Sqlite).await;
    let u = app.sign_up("builtin@example.com").await;
    let body: Value = chat(&app, &u, json!({"message": "add a task to buy milk"})).await.json().await.unwrap();
    assert_eq!(body["assistant"], "builtin", "{body}");
    assert!(!body["response"].as_str().unwrap().starts_with('('), "{body}");
    assert_eq!(body["tool_calls"][0]["tool"], "add_task");
    assert_eq!(app.list(&u, "").await, (1, vec!["Buy milk".into()]));
    let conversation = body["conversation_id"].as_i64().unwrap();
    let body: Value = chat(&app, &u, json!({"conversation_id": conversation, "message": "What's pending?"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["tool_calls"][0]["tool"], "list_tasks");
    assert!(body["response"].as_str().unwrap().contains("Buy milk"));

    // Bad requests name the field.
    let res = chat(&app, &u, json!({"message": "   "})).await;
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["message"]);
    let res = chat(&app, &u, json!({"conversation_id": 987654, "message": "hi"})).await;
    expect_problem(res, 404, "not_found").await;
}

/// JSON Schema (and so the OpenAPI document) counts `3.0` as the integer 3: a
/// client or generator may send it that way. Found by the schemathesis run.
async fn conversation_id_is_any_json_integer(db: Db) {
    let app = crate::common::spawn(db).await;
    let u = app.sign_up("integral@example.com").await;
    let first: Value = chat(&app, &u, json!({"message": "hi"})).await.json().await.unwrap();
    let id = first["conversation_id"].as_i64().unwrap();
    let res = app
        .as_user(Method::POST, &u, "/api/{me}/chat")
        .header("content-type", "application/json")
        .body(format!(r#"{{"conversation_id": {id}.0, "message": "again"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["conversation_id"], id);
    assert_eq!(messages(&app, &u, id).await.len(), 4);
    for bad in ["1.5", "1e300", "-1e300", "9223372036854775808", "\"1\"", "true"] {
        let res = app
            .as_user(Method::POST, &u, "/api/{me}/chat")
            .header("content-type", "application/json")
            .body(format!(r#"{{"conversation_id": {bad}, "message": "hi"}}"#))
            .send()
            .await
            .unwrap();
        assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["conversation_id"], "{bad}");
    }
    assert_eq!(messages(&app, &u, id).await.len(), 4, "nothing stored by the rejected turns");
}

/// Events of a server-sent event stream, as (name, data).
fn sse_events(raw: &str) -> Vec<(String, Value)> {
    raw.split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event:"))?.trim().to_string();
            let data = block.lines().find_map(|l| l.strip_prefix("data:"))?.trim();
            Some((name, serde_json::from_str(data).unwrap()))
        })
        .collect()
}

async fn stream_chat(app: &TestApp, user: &User, body: Value) -> Vec<(String, Value)> {
    let res = app
        .as_user(Method::POST, user, "/api/{me}/chat")
        .header("accept", "text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    sse_events(&res.text().await.unwrap())
}

fn chunk(delta: Value) -> Value {
    json!({"choices": [{"index": 0, "delta": delta}]})
}

/// Issue 17, point 1: a failed turn (502, and the stream's `error` event) says
/// which conversation it was and which tool calls ran, so a client retries in
/// the same conversation knowing what was done.
async fn failed_turn_carries_its_conversation_and_calls(db: Db) {
    let (app, llm) = with_llm(db, |a| a.llm.llm_max_retries = 0).await;
    let u = app.sign_up("failed-turn@example.com").await;
    llm.push(calls(&[("c1", "add_task", r#"{"title": "Buy milk"}"#)]));
    llm.push(Reply::Json(500, json!({"error": {"message": "model crashed"}}), vec![]));
    let p = expect_problem(chat(&app, &u, json!({"message": "add milk"})).await, 502, "llm_provider_error").await;
    let conversation = p["conversation_id"].as_i64().expect("the problem names the conversation");
    assert_eq!(p["tool_calls"][0]["tool"], "add_task", "{p}");
    assert_eq!(p["tool_calls"][0]["result"]["status"], "created", "{p}");
    assert_eq!(app.list(&u, "").await, (1, vec!["Buy milk".into()]));
    let stored = messages(&app, &u, conversation).await;
    assert_eq!(stored[1]["tool_calls"][0]["tool"], "add_task", "the calls are stored with the note");

    // The stream's error event carries the same.
    llm.push(Reply::Stream(vec![chunk(json!({"tool_calls": [
        {"index": 0, "id": "c2", "type": "function", "function": {"name": "list_tasks", "arguments": "{}"}}
    ]}))]));
    llm.push(Reply::Json(500, json!({"error": {"message": "model crashed"}}), vec![]));
    let events = stream_chat(&app, &u, json!({"conversation_id": conversation, "message": "show them"})).await;
    let (name, problem) = events.last().unwrap();
    assert_eq!(name, "error", "{events:?}");
    assert_eq!(problem["conversation_id"], conversation);
    assert_eq!(problem["tool_calls"][0]["tool"], "list_tasks");

    // The next turn continues the same conversation.
    llm.push(text("Here I am."));
    let body: Value =
        chat(&app, &u, json!({"conversation_id": conversation, "message": "again"})).await.json().await.unwrap();
    assert_eq!(body["conversation_id"], conversation);
    assert_eq!(messages(&app, &u, conversation).await.len(), 6);
}

/// Points 2 and 1: one deadline bounds the whole turn (the request timeout is
/// longer): a slow model's turn ends 504 at the deadline with its conversation
/// and calls, the calls it asked for after that never run, and the stream ends
/// with the same error.
async fn the_deadline_stops_a_slow_turn_and_nothing_runs_after(db: Db) {
    let (app, llm) = with_llm(db, |a| {
        a.llm_turn_timeout_secs = 2;
        a.llm.llm_max_retries = 0;
    })
    .await;
    let u = app.sign_up("slow-model@example.com").await;
    let add = |title: &str| {
        json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"id": title, "type": "function", "function": {"name": "add_task", "arguments": json!({"title": title}).to_string()}}
        ]}}]})
    };
    // Each round answers after 1.2 s: the second ends after the 2 s deadline.
    llm.push(Reply::Slow(Duration::from_millis(1200), add("First")));
    llm.push(Reply::Slow(Duration::from_millis(1200), add("Second")));
    let p = expect_problem(chat(&app, &u, json!({"message": "add two"})).await, 504, "llm_provider_timeout").await;
    assert!(p["detail"].as_str().unwrap().contains("2 s deadline"), "{p}");
    let conversation = p["conversation_id"].as_i64().unwrap();
    assert_eq!(p["tool_calls"].as_array().unwrap().len(), 1, "{p}");
    // The turn is over when the client is told: the second add never runs.
    assert_eq!(app.list(&u, "").await, (1, vec!["First".into()]));
    assert_eq!(llm.requests().len(), 2);

    // Streaming: the slow stream is cut at the deadline the same way.
    let slow = vec![
        chunk(json!({"content": "Working"})),
        chunk(json!({"content": " on"})),
        chunk(json!({"content": " it"})),
        chunk(json!({"content": " still"})),
    ];
    llm.push(Reply::SlowStream(Duration::from_millis(700), slow));
    let events = stream_chat(&app, &u, json!({"conversation_id": conversation, "message": "go on"})).await;
    let (name, problem) = events.last().unwrap();
    assert_eq!(name, "error", "{events:?}");
    assert_eq!(problem["status"], 504);
    assert_eq!(problem["conversation_id"], conversation);
    assert_eq!(app.list(&u, "").await.0, 1);
}

/// A client that retries a turn with the same idempotency key (the `Idempotency-Key` header)
/// gets the first answer again: the model is not asked again and nothing is
/// done twice. The key is the user's: another user's same key is another turn.
async fn a_retried_turn_with_its_key_is_not_run_again(db: Db) {
    let (app, llm) = with_llm(db, |_| {}).await;
    let u = app.sign_up("idempotent@example.com").await;
    llm.push(calls(&[("c1", "add_task", r#"{"title": "Pay rent"}"#)]));
    llm.push(text("Added 'Pay rent'."));
    let keyed = |key: &str, body: Value| {
        app.as_user(Method::POST, &u, "/api/{me}/chat").header("idempotency-key", key).json(&body)
    };
    let send = |body: Value| keyed("turn-1", body);
    let first: Value = send(json!({"message": "add rent"})).send().await.unwrap().json().await.unwrap();
    let res = send(json!({"message": "add rent"})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(llm.requests().len(), 2, "the model was asked once");
    assert_eq!(app.list(&u, "").await, (1, vec!["Pay rent".into()]));
    let conversation = first["conversation_id"].as_i64().unwrap();
    assert_eq!(messages(&app, &u, conversation).await.len(), 2);

    // Streamed, the retry is the recorded answer as a done event.
    let res = send(json!({"message": "add rent"})).header("accept", "text/event-stream").send().await.unwrap();
    let events = sse_events(&res.text().await.unwrap());
    assert_eq!(events, vec![("done".to_string(), first.clone())]);

    // A failed turn's answer is recorded too: the retry does not run it again.
    llm.push(calls(&[("c2", "add_task", r#"{"title": "Water plants"}"#)]));
    llm.push(Reply::Json(400, json!({"error": {"message": "bad request"}}), vec![]));
    let body = json!({"message": "add plants"});
    let p = expect_problem(keyed("turn-2", body.clone()).send().await.unwrap(), 502, "llm_provider_error").await;
    let p2 = expect_problem(keyed("turn-2", body).send().await.unwrap(), 502, "llm_provider_error").await;
    assert_eq!(p, p2);
    assert_eq!(app.list(&u, "").await.0, 2);

    // Another user's key of the same name is theirs.
    let v = app.sign_up("idempotent-2@example.com").await;
    llm.push(text("Hello."));
    let res = app
        .as_user(Method::POST, &v, "/api/{me}/chat")
        .header("idempotency-key", "turn-1")
        .json(&json!({"message": "hi"}));
    let other: Value = res.send().await.unwrap().json().await.unwrap();
    assert_eq!(other["response"], "Hello.");

    // A refused request does not use up its key.
    let res = keyed("turn-3", json!({"message": "  "})).send().await.unwrap();
    expect_problem(res, 422, "validation_failed").await;
    llm.push(text("Now it runs."));
    let res = keyed("turn-3", json!({"message": "hello"})).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["response"], "Now it runs.");

    // Bad keys name the header; the body has no key field.
    for bad in ["", "has space", &"x".repeat(201)] {
        let res = keyed(bad, json!({"message": "hi"})).send().await.unwrap();
        assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["Idempotency-Key"], "{bad}");
    }
    let res = chat(&app, &u, json!({"message": "hi", "idempotency_key": "b"})).await;
    assert_eq!(res.status(), 422, "an unknown field is refused");
}

/// With builtin-first routing (the default), the specification's eight commands
/// are answered by the built-in interpreter without a single provider call; an
/// open-ended question reaches the model. Each reply says which answered.
async fn builtin_first_answers_the_commands_without_the_model(db: Db) {
    let (app, llm) = with_llm(db, |a| a.llm_routing = "builtin-first".into()).await;
    let u = app.sign_up("routing@example.com").await;
    for title in ["Call mom", "Team meeting", "Walk the dog"] {
        app.create_task(&u, json!({"title": title})).await;
    }
    for command in todo_agent::SPEC_COMMANDS {
        let res = chat(&app, &u, json!({"message": command})).await;
        assert_eq!(res.status(), 200, "{command}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["assistant"], "builtin", "{command}: {body}");
    }
    assert_eq!(llm.requests().len(), 0, "no provider call for the eight commands");
    llm.push(text("Paris."));
    let body: Value = chat(&app, &u, json!({"message": "What is the capital of France?"})).await.json().await.unwrap();
    assert_eq!((body["assistant"].as_str(), body["response"].as_str()), (Some("openai-compatible"), Some("Paris.")));
    assert_eq!(llm.requests().len(), 1);
}

/// Point 3: a rambling model is stopped by LLM_MAX_TOKENS instead of the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_tokens_stops_a_rambling_model() {
    let (app, llm) = with_llm(Db::Sqlite, |a| {
        a.llm_max_tokens = 20;
        a.llm.llm_timeout_secs = 2;
        a.llm.llm_max_retries = 0;
    })
    .await;
    let u = app.sign_up("ramble@example.com").await;
    llm.push(Reply::Ramble);
    let res = chat(&app, &u, json!({"message": "tell me everything"})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["response"].as_str().unwrap().split(' ').count(), 20);
    assert_eq!(llm.requests()[0]["max_tokens"], 20);
}

/// Point 4: the prompt is ordered for a server's prefix cache: the system prompt
/// and the tools are the same in every turn and the earlier turn's messages are
/// the same prefix; only the new message (which carries the date) is new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_prefix_is_stable_across_turns() {
    let (app, llm) = with_llm(Db::Sqlite, |_| {}).await;
    let u = app.sign_up("prefix@example.com").await;
    llm.push(text("One."));
    let body: Value = chat(&app, &u, json!({"message": "first"})).await.json().await.unwrap();
    llm.push(text("Two."));
    let conversation = body["conversation_id"].as_i64().unwrap();
    chat(&app, &u, json!({"conversation_id": conversation, "message": "second"})).await;
    let v = app.sign_up("prefix-2@example.com").await;
    llm.push(text("Three."));
    chat(&app, &v, json!({"message": "third"})).await;
    let sent = llm.requests();
    assert_eq!(sent[0]["tools"], sent[1]["tools"]);
    assert_eq!(sent[0]["messages"][0], sent[1]["messages"][0]);
    assert_eq!(sent[0]["messages"][0], sent[2]["messages"][0], "the same for another user");
    let m = sent[1]["messages"].as_array().unwrap();
    assert_eq!(m.len(), 4);
    assert_eq!(m[1]["content"], "first");
    assert!(m[3]["content"].as_str().unwrap().starts_with("second\n\n(Now: "));
}

/// Points 5 and 8: text the model writes in a round that ends in tool calls is
/// kept (streamed, in `done.response` and stored alike), template markup is
/// dropped from all three, and the deltas add up to exactly what is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_streamed_is_what_is_stored() {
    let (app, llm) = with_llm(Db::Sqlite, |_| {}).await;
    let u = app.sign_up("streamed-stored@example.com").await;
    let script = || {
        vec![
            Reply::Stream(vec![
                chunk(json!({"content": "Let me add "})),
                chunk(json!({"content": "that.<tool_c"})),
                chunk(json!({"content": "all>{\"name\": \"add_task\"}</tool_call>"})),
                chunk(
                    json!({"tool_calls": [{"index": 0, "id": "s1", "type": "function", "function": {"name": "add_task", "arguments": "{\"title\": \"Milk\"}"}}]}),
                ),
            ]),
            Reply::Stream(vec![
                chunk(json!({"content": "<tool_response>{\"status\": \"created\"}</tool_response>"})),
                chunk(json!({"content": "Added milk.<|im_"})),
                chunk(json!({"content": "end|>"})),
            ]),
        ]
    };
    for r in script() {
        llm.push(r);
    }
    let events = stream_chat(&app, &u, json!({"message": "add milk"})).await;
    let streamed: String =
        events.iter().filter(|(n, _)| n == "delta").map(|(_, d)| d["text"].as_str().unwrap()).collect();
    let (name, done) = events.last().unwrap();
    assert_eq!(name, "done");
    assert_eq!(streamed, "Let me add that.\n\nAdded milk.");
    assert_eq!(done["response"], streamed);
    let stored = messages(&app, &u, done["conversation_id"].as_i64().unwrap()).await;
    assert_eq!(stored[1]["content"], streamed);

    // Without streaming, the same reply.
    let as_json = |r: Reply| match r {
        Reply::Stream(chunks) => {
            let content: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
            let tool_calls: Vec<Value> =
                chunks.iter().filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0).cloned()).collect();
            let mut message = json!({"role": "assistant", "content": content});
            if !tool_calls.is_empty() {
                message["tool_calls"] = json!(tool_calls);
            }
            Reply::Json(200, json!({"choices": [{"message": message}]}), vec![])
        }
        other => other,
    };
    for r in script() {
        llm.push(as_json(r));
    }
    let body: Value = chat(&app, &u, json!({"message": "add milk"})).await.json().await.unwrap();
    assert_eq!(body["response"], streamed);
}

/// Point 6: calls beyond the caps per round and per turn are not run; the model
/// reads why as each call's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_are_capped_per_round_and_per_turn() {
    let (app, llm) = with_llm(Db::Sqlite, |a| {
        a.llm_max_tool_calls_per_round = 3;
        a.llm_max_tool_calls_per_turn = 5;
    })
    .await;
    let u = app.sign_up("caps@example.com").await;
    let adds = |from: usize, n: usize| {
        (from..from + n).map(|i| (format!("c{i}"), format!(r#"{{"title": "Task {i}"}}"#))).collect::<Vec<_>>()
    };
    let round = |list: Vec<(String, String)>| {
        let list: Vec<(&str, &str, &str)> = list.iter().map(|(id, a)| (id.as_str(), "add_task", a.as_str())).collect();
        calls(&list)
    };
    llm.push(round(adds(1, 10)));
    llm.push(round(adds(11, 3)));
    llm.push(text("Done."));
    let body: Value = chat(&app, &u, json!({"message": "add ten"})).await.json().await.unwrap();
    let results: Vec<&Value> = body["tool_calls"].as_array().unwrap().iter().map(|c| &c["result"]).collect();
    assert_eq!(results.len(), 13);
    assert!(results[..3].iter().all(|r| r["status"] == "created"));
    assert!(
        results[3..10].iter().all(|r| r["error"].as_str().unwrap().contains("at most 3 tool calls")),
        "{results:?}"
    );
    assert_eq!(results[10]["status"], "created");
    assert_eq!(results[11]["status"], "created");
    assert!(results[12]["error"].as_str().unwrap().contains("at most 5 tool calls"), "{results:?}");
    assert_eq!(app.list(&u, "").await.0, 5);
    let tool_msgs = llm.requests()[1]["messages"].as_array().unwrap().iter().filter(|m| m["role"] == "tool").count();
    assert_eq!(tool_msgs, 10, "the model read an answer for every call");
}

/// Point 7: the provider's error says why ("connection refused", with the
/// address), never with the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_error_names_its_cause() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let app = TestApp::builder()
        .database(Db::Sqlite)
        .config(|a| {
            a.llm.llm_provider = Some("openai-compatible".into());
            a.llm.llm_base_url = Some(format!("http://127.0.0.1:{port}/v1"));
            a.llm.llm_model = Some("m".into());
            a.llm.openai_api_key = Some("sk-test-key-must-stay-secret".into());
            a.llm.llm_max_retries = 0;
            a.llm_routing = "model".into();
        })
        .start()
        .await;
    let u = app.sign_up("refused@example.com").await;
    let p = expect_problem(chat(&app, &u, json!({"message": "hi"})).await, 502, "llm_provider_error").await;
    let detail = p["detail"].as_str().unwrap().to_ascii_lowercase();
    assert!(detail.contains("connection refused"), "{detail}");
    assert!(detail.contains(&format!("127.0.0.1:{port}")), "{detail}");
    assert!(!detail.contains("sk-test"), "{detail}");
}
