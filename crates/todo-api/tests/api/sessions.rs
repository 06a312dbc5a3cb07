//! Sessions, on SQLite and PostgreSQL: signing out ends the token for good,
//! signing out everywhere ends every session of the user, and a sign-out
//! through one replica reaches another within its session cache's TTL.

use crate::common::{Db, TestApp, User, claims_of, expect_problem};
use reqwest::Method;
use serde_json::{Value, json};
use todo_store::{Store, StoreConfig};

on_both_databases!(sign_out_ends_the_token_everywhere_it_is_accepted, sign_out_everywhere_ends_every_session);
for_both_databases!(
    a_sign_out_reaches_another_replica_within_its_ttl,
    all_sessions_but_one_can_be_ended,
    token_checks_mostly_come_from_the_cache,
);

async fn sign_out(app: &TestApp, user: &User) -> reqwest::Response {
    app.req(Method::POST, "/api/auth/sign-out").bearer_auth(&user.token).send().await.unwrap()
}

/// Every way in with a signed-out token is 401 "invalid token".
async fn assert_refused(app: &TestApp, user: &User) {
    let requests = [
        ("list", app.as_user(Method::GET, user, "/api/{me}/tasks")),
        ("create", app.as_user(Method::POST, user, "/api/{me}/tasks").json(&json!({"title": "after sign-out"}))),
        ("chat", app.as_user(Method::POST, user, "/api/{me}/chat").json(&json!({"message": "list my tasks"}))),
        ("me", app.as_user(Method::GET, user, "/api/auth/me")),
        ("sign-out", app.as_user(Method::POST, user, "/api/auth/sign-out")),
        ("mcp", app.mcp(&user.token, "tools/call", json!({"name": "add_task", "arguments": {"title": "via MCP"}}))),
    ];
    for (what, req) in requests {
        let p = expect_problem(req.send().await.unwrap(), 401, "unauthorized").await;
        assert_eq!(p["detail"], "invalid token", "{what}");
    }
}

async fn sign_out_ends_the_token_everywhere_it_is_accepted(app: TestApp) {
    let first = app.sign_up("signout@example.com").await;
    let second = app.sign_in(&first).await;
    app.create_task(&first, json!({"title": "before"})).await;

    let res = sign_out(&app, &first).await;
    assert_eq!(res.status(), 204);
    assert_refused(&app, &first).await;
    // The same user's other session is untouched, and nothing was written.
    let (total, titles) = app.list(&second, "").await;
    assert_eq!((total, titles), (1, vec!["before".to_string()]));
    let res = app.mcp(&second.token, "tools/list", json!({})).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // Without a token there is nothing to sign out of.
    let res = app.req(Method::POST, "/api/auth/sign-out").send().await.unwrap();
    expect_problem(res, 401, "unauthorized").await;
}

async fn sign_out_everywhere_ends_every_session(app: TestApp) {
    let laptop = app.sign_up("everywhere@example.com").await;
    let phone = app.sign_in(&laptop).await;
    let tablet = app.sign_in(&laptop).await;
    let other = app.sign_up("bystander@example.com").await;
    for u in [&laptop, &phone, &tablet, &other] {
        assert_eq!(app.list_status(u).await, 200);
    }

    let res = app.req(Method::POST, "/api/auth/sign-out-everywhere").bearer_auth(&phone.token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"ended_sessions": 3}));
    for u in [&laptop, &phone, &tablet] {
        assert_refused(&app, u).await;
    }
    assert_eq!(app.list_status(&other).await, 200, "another user is not signed out");

    // Signing in again works as before.
    let again = app.sign_in(&laptop).await;
    assert_eq!(app.list_status(&again).await, 200);
}

/// Polls until `user`'s token is refused on `app`, up to `attempts` times,
/// and returns how many attempts it took.
async fn until_refused(app: &TestApp, user: &User, attempts: u32) -> Option<u32> {
    for attempt in 1..=attempts {
        match app.list_status(user).await {
            401 => return Some(attempt),
            200 => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
            other => panic!("unexpected status {other}"),
        }
    }
    None
}

async fn a_sign_out_reaches_another_replica_within_its_ttl(db: Db) {
    let ttl = |a: &mut todo_api::ApiArgs| a.auth.session_cache_ttl_ms = 200;
    let a = TestApp::builder().database(db).config(ttl).start().await;
    let b = TestApp::builder().on_database(&a.database_url).config(ttl).start().await;
    let user = a.sign_up("replicas@example.com").await;
    let other_device = a.sign_in(&user).await;
    // Both replicas have looked at both sessions, so both have them cached.
    for app in [&a, &b] {
        assert_eq!(app.list_status(&user).await, 200);
        assert_eq!(app.list_status(&other_device).await, 200);
    }

    assert_eq!(sign_out(&a, &user).await.status(), 204);
    // The replica that signed out refuses the token at once.
    assert_eq!(a.list_status(&user).await, 401);
    // The other one once its cached look at the session is older than the TTL
    // (bounded in attempts, not time: 400 × 25 ms is far beyond 200 ms).
    assert!(until_refused(&b, &user, 400).await.is_some(), "replica B still accepts a signed-out token");
    assert_eq!(b.list_status(&other_device).await, 200);

    // The other way round, for every session of the user.
    let res = b.req(Method::POST, "/api/auth/sign-out-everywhere").bearer_auth(&other_device.token).send().await;
    assert_eq!(res.unwrap().status(), 200);
    assert_eq!(b.list_status(&other_device).await, 401);
    assert!(until_refused(&a, &other_device, 400).await.is_some(), "replica A still accepts a signed-out token");
}

/// The ground for "changing the password ends every other session": the store
/// ends all of a user's sessions but one.
async fn all_sessions_but_one_can_be_ended(db: Db) {
    // No cache: the store's change is seen by the next request.
    let app = TestApp::builder().database(db).config(|a| a.auth.session_cache_ttl_ms = 0).start().await;
    let first = app.sign_up("password-change@example.com").await;
    let keeper = app.sign_in(&first).await;
    let third = app.sign_in(&first).await;
    let other = app.sign_up("someone-else@example.com").await;
    let keep = claims_of(&keeper.token)["sid"].as_str().unwrap().to_string();

    let store = Store::connect_lazy(&StoreConfig {
        url: app.database_url.clone(),
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap();
    let mut ended = store.revoke_other_sessions(&first.id, &keep).await.unwrap();
    ended.sort();
    let mut expected: Vec<String> =
        [&first, &third].iter().map(|u| claims_of(&u.token)["sid"].as_str().unwrap().to_string()).collect();
    expected.sort();
    assert_eq!(ended, expected);

    assert_eq!(app.list_status(&keeper).await, 200);
    assert_eq!(app.list_status(&first).await, 401);
    assert_eq!(app.list_status(&third).await, 401);
    assert_eq!(app.list_status(&other).await, 200);
    // Nothing more to end; the kept session stays.
    assert!(store.revoke_other_sessions(&first.id, &keep).await.unwrap().is_empty());
    assert_eq!(app.list_status(&keeper).await, 200);
    // Another user's session id cannot be "kept" for this user, nor ended.
    let other_sid = claims_of(&other.token)["sid"].as_str().unwrap().to_string();
    assert_eq!(store.revoke_other_sessions(&first.id, &other_sid).await.unwrap(), vec![keep]);
    assert_eq!(app.list_status(&other).await, 200);
    assert_eq!(app.list_status(&keeper).await, 401);
    store.close().await;
}

/// `session_checks_total` by source, from /metrics.
async fn session_checks(app: &TestApp) -> (u64, u64) {
    let text = app.req(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    let count = |source: &str| {
        let prefix = format!("session_checks_total{{source=\"{source}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&prefix)).map_or(0, |v| v.trim().parse().unwrap())
    };
    (count("cache"), count("database"))
}

async fn token_checks_mostly_come_from_the_cache(db: Db) {
    const REQUESTS: u64 = 20;
    for (ttl, cached) in [(60_000, true), (0, false)] {
        let app = TestApp::builder().database(db).config(|a| a.auth.session_cache_ttl_ms = ttl).start().await;
        let user = app.sign_up("cached@example.com").await;
        let before = session_checks(&app).await;
        for _ in 0..REQUESTS {
            assert_eq!(app.list_status(&user).await, 200);
        }
        let after = session_checks(&app).await;
        let (from_cache, from_database) = (after.0 - before.0, after.1 - before.1);
        assert_eq!(from_cache + from_database, REQUESTS, "{ttl}");
        if cached {
            // The first request reads the session; the others (unless a whole
            // TTL passed between two of them) find it in the cache.
            assert!(from_database <= 2, "{ttl}: {from_database} of {REQUESTS} checks read the database");
        } else {
            assert_eq!(from_database, REQUESTS, "{ttl}");
        }
    }
}
