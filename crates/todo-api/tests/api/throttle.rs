//! Sign-in and sign-up throttling under concurrent attack, and the cap on
//! password hashing, end to end over HTTP on SQLite and PostgreSQL. Client
//! addresses are given with X-Forwarded-For: the test client connects from
//! loopback, which TRUSTED_PROXIES trusts by default.

use std::time::{Duration, Instant};

use crate::common::{Db, TestApp, expect_problem};
use reqwest::{Method, Response};
use serde_json::json;
use todo_api::ApiArgs;

macro_rules! on_both {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$case(crate::common::Db::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$case(crate::common::Db::Postgres).await
                }
            }
        )+
    };
}

on_both!(
    parallel_guesses_cannot_outrun_the_limit,
    an_attackers_burst_does_not_lock_the_owner_out,
    one_address_trying_many_emails_is_throttled,
    forwarded_for_from_untrusted_peers_is_ignored,
    sign_ups_per_address_hold_under_concurrency,
    password_hashing_beyond_the_cap_is_503,
);

/// Requests wait for a password-hashing slot as long as it takes, so that on a
/// loaded machine the throttle tests see only the throttle's answers (the cap's
/// 503 has its own test).
fn patient(a: &mut ApiArgs) {
    a.auth.password_hash_wait_ms = 600_000;
}

/// A server on `db`, patient, with these changes.
async fn start(db: Db, config: impl FnOnce(&mut ApiArgs)) -> TestApp {
    TestApp::builder().database(db).config(patient).config(config).start().await
}

fn sign_in(app: &TestApp, from: &str, email: &str, password: &str) -> impl Future<Output = Response> + use<> {
    let req = app
        .req(Method::POST, "/api/auth/sign-in")
        .header("x-forwarded-for", from)
        .json(&json!({"email": email, "password": password}));
    async move { req.send().await.unwrap() }
}

fn statuses(responses: &[Response]) -> (usize, usize, usize) {
    let count = |s: u16| responses.iter().filter(|r| r.status().as_u16() == s).count();
    let (ok, unauthorized, throttled) = (count(200), count(401), count(429));
    assert_eq!(ok + unauthorized + throttled, responses.len(), "only 200, 401 and 429 expected");
    (ok, unauthorized, throttled)
}

async fn parallel_guesses_cannot_outrun_the_limit(db: Db) {
    // A long first lock, so that the lock certainly holds for the whole burst
    // however slow the machine is (with the default 1 s, a burst spread over
    // more than a second is rightly allowed one more guess per lock period).
    let app = start(db, |a| {
        a.auth.sign_in_max_failures = 5;
        a.auth.sign_in_lock_secs = 600;
    })
    .await;
    app.sign_up("carol@example.com").await;
    let attacker = "198.51.100.1";

    let guesses: Vec<_> =
        (0..60).map(|i| tokio::spawn(sign_in(&app, attacker, "carol@example.com", &format!("guess {i}")))).collect();
    // The right password, sent while the burst is in flight, once the lock is
    // known to be set (a first 429 came back).
    let mut responses = Vec::new();
    let mut right = None;
    for g in guesses {
        let res = g.await.unwrap();
        if res.status() == 429 && right.is_none() {
            right = Some(tokio::spawn(sign_in(&app, attacker, "carol@example.com", "correct horse")));
        }
        responses.push(res);
    }
    let (ok, unauthorized, throttled) = statuses(&responses);
    assert_eq!((ok, unauthorized, throttled), (0, 5, 55), "at most SIGN_IN_MAX_FAILURES guesses are checked");
    let right = right.expect("some guesses were refused").await.unwrap();
    let retry: u64 = right.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 500, "the lock of 600 s holds: Retry-After {retry}");
    expect_problem(right, 429, "too_many_sign_in_attempts").await;
    // Still locked afterwards, for the right password too.
    expect_problem(
        sign_in(&app, attacker, "carol@example.com", "correct horse").await,
        429,
        "too_many_sign_in_attempts",
    )
    .await;

    // Many guesses, a few right passwords among them, from a fresh address: the
    // number of passwords checked never exceeds the limit.
    let from = "198.51.100.2";
    let burst: Vec<_> = (0..40)
        .map(|i| {
            let password = if i % 10 == 9 { "correct horse".to_string() } else { format!("guess {i}") };
            tokio::spawn(sign_in(&app, from, "carol@example.com", &password))
        })
        .collect();
    let mut responses = Vec::new();
    for b in burst {
        responses.push(b.await.unwrap());
    }
    let (ok, unauthorized, _) = statuses(&responses);
    // A right password that got through resets the count (it is the owner),
    // so more may be checked after it, but never more than the limit between
    // two successes.
    assert!(unauthorized <= 5 * (ok + 1), "{ok} signed in, {unauthorized} wrong passwords checked");
}

async fn an_attackers_burst_does_not_lock_the_owner_out(db: Db) {
    let app = start(db, |a| a.auth.sign_in_lock_secs = 600).await;
    app.sign_up("erin@example.com").await;
    let burst: Vec<_> =
        (0..20).map(|i| tokio::spawn(sign_in(&app, "203.0.113.66", "erin@example.com", &format!("x{i}")))).collect();
    for b in burst {
        b.await.unwrap();
    }
    expect_problem(
        sign_in(&app, "203.0.113.66", "erin@example.com", "correct horse").await,
        429,
        "too_many_sign_in_attempts",
    )
    .await;
    // The owner, from home, is not affected; nor is an IPv6 client.
    assert_eq!(sign_in(&app, "192.0.2.10", "erin@example.com", "correct horse").await.status(), 200);
    assert_eq!(sign_in(&app, "2001:db8::10", "erin@example.com", "correct horse").await.status(), 200);
}

async fn one_address_trying_many_emails_is_throttled(db: Db) {
    let app = start(db, |a| {
        a.auth.sign_in_max_failures_per_address = 10;
        a.auth.sign_in_lock_secs = 600;
    })
    .await;
    app.sign_up("frank@example.com").await;
    let stuffing: Vec<_> = (0..30)
        .map(|i| tokio::spawn(sign_in(&app, "2001:db8:bad::1", &format!("user{i}@example.com"), "password1")))
        .collect();
    let mut responses = Vec::new();
    for s in stuffing {
        responses.push(s.await.unwrap());
    }
    assert_eq!(statuses(&responses), (0, 10, 20));
    // The whole /64 is one client: another address in it is refused too, even
    // with a right password ...
    expect_problem(
        sign_in(&app, "2001:db8:bad::2", "frank@example.com", "correct horse").await,
        429,
        "too_many_sign_in_attempts",
    )
    .await;
    // ... while other clients are not.
    assert_eq!(sign_in(&app, "2001:db8:600d::1", "frank@example.com", "correct horse").await.status(), 200);
    // Successes do not use up an address's budget.
    for _ in 0..15 {
        assert_eq!(sign_in(&app, "192.0.2.44", "frank@example.com", "correct horse").await.status(), 200);
    }
}

async fn forwarded_for_from_untrusted_peers_is_ignored(db: Db) {
    let app = start(db, |a| {
        a.server.trusted_proxies = String::new();
        a.auth.sign_in_lock_secs = 600;
    })
    .await;
    app.sign_up("gina@example.com").await;
    // A new X-Forwarded-For on every guess does not buy new guesses.
    let mut checked = 0;
    for i in 0..8 {
        let res = sign_in(&app, &format!("192.0.2.{i}"), "gina@example.com", "nope").await;
        if res.status() == 401 {
            checked += 1;
        }
    }
    assert_eq!(checked, 5);
}

async fn sign_ups_per_address_hold_under_concurrency(db: Db) {
    let app = start(db, |a| a.auth.sign_ups_per_address_per_hour = 3).await;
    let sign_up = |from: &str, email: String| {
        let req = app
            .req(Method::POST, "/api/auth/sign-up")
            .header("x-forwarded-for", from)
            .json(&json!({"email": email, "password": "correct horse", "name": "N"}));
        async move { req.send().await.unwrap() }
    };
    let burst: Vec<_> = (0..20).map(|i| tokio::spawn(sign_up("198.51.100.9", format!("new{i}@example.com")))).collect();
    let mut created = 0;
    let mut refused = Vec::new();
    for b in burst {
        let res = b.await.unwrap();
        match res.status().as_u16() {
            201 => created += 1,
            _ => refused.push(res),
        }
    }
    assert_eq!((created, refused.len()), (3, 17));
    let res = refused.pop().unwrap();
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 3000 && retry <= 3600, "{retry}");
    let body = expect_problem(res, 429, "too_many_sign_ups").await;
    assert!(body["detail"].as_str().unwrap().contains("from this address"), "{body}");
    assert_eq!(sign_up("198.51.100.10", "other@example.com".into()).await.status(), 201);
}

async fn password_hashing_beyond_the_cap_is_503(db: Db) {
    // One hashing slot and no waiting for it: concurrent sign-ins beyond the
    // first are turned away with 503 instead of each holding 19 MiB.
    let app = TestApp::builder()
        .database(db)
        .config(|a| {
            a.auth.password_hash_concurrency = 1;
            a.auth.password_hash_wait_ms = 0;
            a.auth.sign_in_max_failures_per_address = 1000;
        })
        .start()
        .await;
    let started = Instant::now();
    let mut busy = None;
    for round in 0..10 {
        let burst: Vec<_> = (0..12)
            .map(|i| tokio::spawn(sign_in(&app, &format!("192.0.2.{round}"), &format!("u{i}@example.com"), "pw")))
            .collect();
        for b in burst {
            let res = b.await.unwrap();
            match res.status().as_u16() {
                401 => {}
                503 => busy = Some(res),
                other => panic!("unexpected {other}"),
            }
        }
        if busy.is_some() {
            break;
        }
    }
    let res = busy.unwrap_or_else(|| panic!("no sign-in was turned away in {:?}", started.elapsed()));
    assert_eq!(res.headers()["retry-after"], "1");
    let body = expect_problem(res, 503, "service_unavailable").await;
    assert!(body["detail"].as_str().unwrap().contains("too many sign-ins at once"), "{body}");
    // Afterwards the slot is free again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sign_in(&app, "192.0.2.99", "nobody@example.com", "pw").await.status(), 401);
}
