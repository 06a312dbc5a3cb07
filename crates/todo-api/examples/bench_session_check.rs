//! Measures what the session check adds to verifying a token, in process and
//! without HTTP, so the number holds on a busy machine too.
//!
//!   cargo run --release -p todo-api --example bench_session_check [-- CHECKS]
//!
//! Three ways of accepting one token, each run CHECKS times on one task: the
//! signature and claims alone (what every request cost before sessions), the
//! full check with the session in the replica's cache (nearly every request),
//! and the full check reading the session from the database each time
//! (`SESSION_CACHE_TTL_MS=0`; what a cache miss costs). The database is an
//! SQLite file; set BENCH_DATABASE_URL for PostgreSQL. Each figure is the
//! median of five alternating rounds.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark: a failed setup call should stop it loudly")]

use std::time::Instant;

use clap::Parser;
use todo_api::ApiArgs;
use todo_api::state::AppState;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    api: ApiArgs,
}

async fn state(db: &str, ttl_ms: u32) -> anyhow::Result<AppState> {
    let cli = Cli::try_parse_from([
        "bench".to_string(),
        format!("--database-url={db}"),
        "--better-auth-secret=bench-secret-bench-secret-bench-secret".into(),
        format!("--session-cache-ttl-ms={ttl_ms}"),
    ])?;
    let cfg = cli.api.resolve()?;
    let store = todo_api::app::open_store(&cfg).await?;
    Ok(AppState::new(store, todo_auth::Authenticator::new(cfg.auth.clone()), &cfg))
}

const ROUNDS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Nanoseconds per call of `f`, over `n` calls.
async fn per_call<F, Fut>(n: u32, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let start = Instant::now();
    for _ in 0..n {
        f().await;
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let n: u32 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let dir = std::env::temp_dir().join(format!("todo-bench-sessions-{}", std::process::id()));
    let db = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/todo.db", dir.display()));

    let cached = state(&db, 5000).await?;
    let uncached = state(&db, 0).await?;
    let user_id = uuid::Uuid::new_v4().to_string();
    let (token, session) = todo_api::sessions::new_session(&cached, &user_id)?;
    let email = format!("{user_id}@bench.example.com");
    cached.store.create_user_with_session(&email, "Bench", "not-a-hash", "UTC", &session).await?;

    // Alternating rounds, the median of each: a busy machine slows all alike.
    let (mut verify, mut hit, mut miss) = (Vec::new(), Vec::new(), Vec::new());
    let misses = (n / 20).max(1);
    for _ in 0..ROUNDS {
        verify.push(per_call(n, || async { cached.auth.verify(&token).await.map(drop).expect("valid") }).await);
        hit.push(
            per_call(n, || async { todo_api::sessions::authenticate(&cached, &token).await.map(drop).expect("valid") })
                .await,
        );
        miss.push(
            per_call(misses, || async {
                todo_api::sessions::authenticate(&uncached, &token).await.map(drop).expect("valid")
            })
            .await,
        );
    }
    let (verify, hit, miss) = (median(verify), median(hit), median(miss));

    println!("| check | calls per round | µs per call | added by the session check |");
    println!("|---|---|---|---|");
    println!("| signature and claims only (before sessions) | {n} | {:.2} | |", verify / 1000.0);
    println!("| + session from the cache | {n} | {:.2} | {:.2} µs |", hit / 1000.0, (hit - verify) / 1000.0);
    println!(
        "| + session from the database (TTL 0, {}) | {misses} | {:.2} | {:.2} µs |",
        cached.store.backend().name(),
        miss / 1000.0,
        (miss - verify) / 1000.0
    );
    cached.store.close().await;
    uncached.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
