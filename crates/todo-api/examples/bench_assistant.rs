//! Measures the server's own cost of a chat turn and of an MCP tool call.
//!
//!   cargo run --release -p todo-api --example bench_assistant [-- TURNS]
//!
//! The model provider is a scripted OpenAI-compatible server on loopback that
//! answers at once, so a turn's latency is our own work (HTTP, loading 20
//! messages of history, storing the turn, building the provider request) plus one
//! loopback round trip, which is measured on its own in the same run as the
//! baseline. The database is an SQLite file (set BENCH_DATABASE_URL for PostgreSQL).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark: a failed setup call should stop it loudly")]

use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use clap::Parser;
use serde_json::{Value, json};
use todo_api::{ApiArgs, Application};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    api: ApiArgs,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn summary(name: &str, mut samples: Vec<Duration>) -> (String, f64) {
    samples.sort();
    let p50 = percentile(&samples, 0.50);
    let p99 = percentile(&samples, 0.99);
    (format!("| {name} | {} | {p50:.2} | {p99:.2} |", samples.len()), p50)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let turns: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(300);

    // The provider: one fixed, instant answer.
    let provider = Router::new().route(
        "/v1/chat/completions",
        post(|Json(_): Json<Value>| async {
            Json(json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Sure, noted."}, "finish_reason": "stop"}]}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let provider_url = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, provider).await });

    let dir = std::env::temp_dir().join(format!("todo-bench-assistant-{}", std::process::id()));
    let db = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/todo.db", dir.display()));
    let cli = Cli::try_parse_from([
        "bench".to_string(),
        "--host=127.0.0.1".into(),
        "--port=0".into(),
        format!("--database-url={db}"),
        "--better-auth-secret=bench-secret-bench-secret-bench-secret".into(),
        "--llm-provider=openai-compatible".into(),
        format!("--llm-base-url={provider_url}"),
        "--llm-model=bench".into(),
        "--chat-history-messages=20".into(),
        "--log-format=json".into(),
        // Hundreds of turns in one conversation, as fast as they go: the
        // quotas still run their statements, but limit nothing.
        "--quota-chat-turns-per-minute=0".into(),
        "--quota-messages-per-conversation=0".into(),
    ])?;
    // No log subscriber is installed: logging stays off while measuring.
    let app = Application::build(cli.api.resolve()?).await?;
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.serve(std::future::pending()));

    let http = reqwest::Client::new();
    let auth: Value = http
        .post(format!("{base}/api/auth/sign-up"))
        .json(&json!({"email": "bench@example.com", "password": "bench password", "name": "Bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = auth["token"].as_str().unwrap_or_default().to_string();
    let user = auth["user"]["id"].as_str().unwrap_or_default().to_string();

    // 10 turns = 20 messages of history before measuring.
    let mut conversation = Value::Null;
    for i in 0..10 {
        let r: Value = http
            .post(format!("{base}/api/{user}/chat"))
            .bearer_auth(&token)
            .json(&json!({"conversation_id": conversation, "message": format!("warm-up message {i}")}))
            .send()
            .await?
            .json()
            .await?;
        conversation = r["conversation_id"].clone();
    }
    for i in 0..20 {
        http.post(format!("{base}/api/{user}/tasks"))
            .bearer_auth(&token)
            .json(&json!({"title": format!("Task {i}"), "tags": ["bench"]}))
            .send()
            .await?;
    }

    let mut baseline = Vec::with_capacity(turns);
    let mut chat = Vec::with_capacity(turns);
    let mut mcp_list = Vec::with_capacity(turns);
    let mut mcp_add = Vec::with_capacity(turns);
    let mut health = Vec::with_capacity(turns);
    let history_body = json!({"model": "bench", "messages": [{"role": "user", "content": "x"}]});
    for i in 0..turns {
        let t = Instant::now();
        http.post(format!("{provider_url}/chat/completions")).json(&history_body).send().await?.bytes().await?;
        baseline.push(t.elapsed());

        let t = Instant::now();
        let res = http.get(format!("{base}/healthz")).send().await?;
        res.bytes().await?;
        health.push(t.elapsed());

        let t = Instant::now();
        let res = http
            .post(format!("{base}/api/{user}/chat"))
            .bearer_auth(&token)
            .json(&json!({"conversation_id": conversation, "message": format!("measured message {i}")}))
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "chat turn failed: {}", res.status());
        res.bytes().await?;
        chat.push(t.elapsed());

        for (samples, tool, args) in [
            (&mut mcp_list, "list_tasks", json!({"status": "pending"})),
            (&mut mcp_add, "add_task", json!({"title": format!("MCP task {i}")})),
        ] {
            let t = Instant::now();
            let res = http
                .post(format!("{base}/mcp"))
                .bearer_auth(&token)
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2025-11-25")
                .json(&json!({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": tool, "arguments": args}}))
                .send()
                .await?;
            anyhow::ensure!(res.status().is_success(), "MCP call failed: {}", res.status());
            res.bytes().await?;
            samples.push(t.elapsed());
        }
    }

    let (b_row, b50) = summary("provider round trip alone (baseline)", baseline);
    let (h_row, _) = summary("GET /healthz", health);
    let (c_row, c50) = summary("chat turn, 20 messages of history", chat);
    let (l_row, _) = summary("MCP tools/call list_tasks (20+ tasks)", mcp_list);
    let (a_row, _) = summary("MCP tools/call add_task", mcp_add);
    println!(
        "| measured (sequential, {}) | n | p50 ms | p99 ms |",
        if db.starts_with("sqlite") { "SQLite" } else { "PostgreSQL" }
    );
    println!("|---|---|---|---|");
    for row in [b_row, h_row, c_row, l_row, a_row] {
        println!("{row}");
    }
    println!("\nchat turn p50 minus the provider round trip: {:.2} ms of our own work", c50 - b50);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
