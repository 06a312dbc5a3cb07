//! The list's total is exact up to 10,000 matches and a flagged lower bound past
//! that, so a page never counts all of a large user's tasks.

use reqwest::Method;
use serde_json::json;

use crate::common::{Db, TestApp, User};
use crate::search::run_sql;

/// `(X-Total-Count, X-Total-Count-Exact, tasks on the page)` of one list.
async fn total(app: &TestApp, u: &User, query: &str) -> (i64, String, usize) {
    let res = app.as_user(Method::GET, u, &format!("/api/{{me}}/tasks?{query}")).send().await.unwrap();
    assert_eq!(res.status(), 200, "?{query}");
    let h = |name: &str| res.headers()[name].to_str().unwrap().to_string();
    let (count, exact) = (h("x-total-count").parse().unwrap(), h("x-total-count-exact"));
    let tasks: Vec<serde_json::Value> = res.json().await.unwrap();
    (count, exact, tasks.len())
}

/// Both the full read and the cached refs path answer (the second list of the
/// same page is a cache hit), so each is asked twice.
async fn total_twice(app: &TestApp, u: &User, query: &str) -> (i64, String, usize) {
    let first = total(app, u, query).await;
    assert_eq!(total(app, u, query).await, first, "?{query}: the cached page says the same");
    first
}

async fn bounded_total(db: Db) {
    let app = TestApp::builder().database(db).config(|a| a.quotas.quota_tasks_per_user = 0).start().await;
    let u = app.sign_up("many@example.com").await;
    let other = app.sign_up("other@example.com").await;
    // 10,000 tasks in one statement (through the API it would take minutes),
    // every tenth one high priority.
    let seed = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10000) \
                INSERT INTO tasks (number, user_id, title, priority, created_at, updated_at) \
                SELECT n, $1, 'seeded', CASE WHEN n % 10 = 0 THEN 2 ELSE 1 END, n, n FROM s";
    run_sql(db, &app.database_url, seed, &[&u.id]).await;
    app.create_task(&other, json!({"title": "not theirs"})).await;

    assert_eq!(total_twice(&app, &u, "limit=5").await, (10_000, "true".into(), 5), "exact at the bound");
    assert_eq!(total_twice(&app, &other, "").await, (1, "true".into(), 1));
    assert_eq!(total_twice(&app, &u, "priority=high").await, (1_000, "true".into(), 50));

    // The seed took numbers 1..=10000 behind the counter's back.
    let counter = "INSERT INTO user_quotas (user_id, last_task_number) VALUES ($1, 10000) \
                   ON CONFLICT (user_id) DO UPDATE SET last_task_number = 10000";
    run_sql(db, &app.database_url, counter, &[&u.id]).await;
    app.create_task(&u, json!({"title": "one more"})).await;
    assert_eq!(total_twice(&app, &u, "limit=5").await, (10_000, "false".into(), 5), "a lower bound past it");
    // A page past the end has no row to carry the total: counted on its own, bounded the same.
    assert_eq!(total_twice(&app, &u, "offset=20000").await, (10_000, "false".into(), 0));
    assert_eq!(total_twice(&app, &u, "offset=10000").await, (10_000, "false".into(), 1), "the last task is listed");
    assert_eq!(total_twice(&app, &u, "q=one%20more").await, (1, "true".into(), 1));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_total_sqlite() {
    bounded_total(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_total_postgres() {
    bounded_total(Db::Postgres).await;
}
