//! Task numbers people can say: each account's tasks are numbered 1, 2, 3... in
//! creation order, a number is never given twice (not after a delete either),
//! concurrent creates on two replicas never share one, and the number is the
//! `{id}` of the user's task paths (another user's number stays 404 / 403).

use std::collections::BTreeSet;

use crate::common::{Db, TestApp, User, expect_problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

for_both_databases!(numbers_are_per_account_and_never_reused, concurrent_creates_on_two_replicas_get_distinct_numbers);

async fn create(app: &TestApp, user: &User, title: &str) -> i64 {
    let res = app.as_user(Method::POST, user, "/api/{me}/tasks").json(&json!({"title": title})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let task: Value = res.json().await.unwrap();
    let n = task["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/{}/tasks/{n}", user.id), "the Location is the number's path");
    n
}

async fn status(app: &TestApp, user: &User, method: Method, path: &str) -> u16 {
    let req = app.as_user(method, user, path).json(&json!({"title": "changed"}));
    req.send().await.unwrap().status().as_u16()
}

async fn numbers_are_per_account_and_never_reused(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let alice = app.sign_up("numbers-alice@example.com").await;
    let bob = app.sign_up("numbers-bob@example.com").await;

    assert_eq!(create(&app, &alice, "one").await, 1);
    assert_eq!(create(&app, &alice, "two").await, 2);
    assert_eq!(create(&app, &alice, "three").await, 3);
    assert_eq!(create(&app, &bob, "bob's first").await, 1, "every account starts at 1");

    // The number is the path's id: "task 2" is Alice's second task.
    let res = app.as_user(Method::GET, &alice, "/api/{me}/tasks/2").send().await.unwrap();
    let two: Value = res.json().await.unwrap();
    assert_eq!((two["id"].as_i64(), two["title"].as_str()), (Some(2), Some("two")));
    let res = app.as_user(Method::GET, &bob, "/api/{me}/tasks/1").send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["title"], "bob's first");

    // A deleted number is never given again, not even the highest one.
    assert_eq!(status(&app, &alice, Method::DELETE, "/api/{me}/tasks/3").await, 204);
    assert_eq!(create(&app, &alice, "four").await, 4);
    for n in [1, 2, 4] {
        assert_eq!(status(&app, &alice, Method::DELETE, &format!("/api/{{me}}/tasks/{n}")).await, 204);
    }
    assert_eq!(app.list(&alice, "").await.0, 0);
    assert_eq!(create(&app, &alice, "five").await, 5, "an emptied account keeps counting");
    let res = app.as_user(Method::GET, &alice, "/api/{me}/tasks/3").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;

    // Bob has no task 5: his path with Alice's number is 404 on every route.
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        assert_eq!(status(&app, &bob, method, "/api/{me}/tasks/5").await, 404);
    }
    let res = app.as_user(Method::PATCH, &bob, "/api/{me}/tasks/5/complete").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    // Bob's token on Alice's path, with a number both have: 403, and her task
    // 5 and his task 1 are untouched.
    for (method, path) in [
        (Method::GET, format!("/api/{}/tasks/1", alice.id)),
        (Method::PUT, format!("/api/{}/tasks/5", alice.id)),
        (Method::DELETE, format!("/api/{}/tasks/5", alice.id)),
        (Method::PATCH, format!("/api/{}/tasks/5/complete", alice.id)),
    ] {
        let res = app.req(method, &path).bearer_auth(&bob.token).json(&json!({"title": "x"})).send().await.unwrap();
        expect_problem(res, 403, "forbidden").await;
    }
    assert_eq!(app.list(&alice, "").await, (1, vec!["five".to_string()]));
    assert_eq!(app.list(&bob, "").await, (1, vec!["bob's first".to_string()]));

    // Changes address the number too.
    let res = app
        .as_user(Method::PATCH, &bob, "/api/{me}/tasks/1")
        .json(&json!({"priority": "urgent"}))
        .send()
        .await
        .unwrap();
    let patched: Value = res.json().await.unwrap();
    assert_eq!((patched["id"].as_i64(), patched["priority"].as_str()), (Some(1), Some("urgent")));
    let res = app.as_user(Method::PATCH, &bob, "/api/{me}/tasks/1/complete").send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["completed"], true);
}

async fn concurrent_creates_on_two_replicas_get_distinct_numbers(db: Db) {
    let a = TestApp::builder().database(db).start().await;
    let b = TestApp::builder().on_database(&a.database_url).start().await;
    let users = [a.sign_up("numbers-race-1@example.com").await, b.sign_up("numbers-race-2@example.com").await];
    const PER_USER: usize = 40;
    let creates = (0..PER_USER * 2).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        let user = &users[(i / 2) % 2];
        let req = app.as_user(Method::POST, user, "/api/{me}/tasks").json(&json!({"title": format!("task {i}")}));
        async move { (user.id.clone(), req.send().await.unwrap()) }
    });
    let responses = futures::future::join_all(creates).await;
    for user in &users {
        let mut numbers = BTreeSet::new();
        for (owner, res) in responses.iter().filter(|(owner, _)| owner == &user.id) {
            assert_eq!(res.status(), StatusCode::CREATED, "{owner}");
            let n = res.headers()["location"].to_str().unwrap().rsplit('/').next().unwrap().parse::<i64>().unwrap();
            assert!(numbers.insert(n), "number {n} given twice");
        }
        assert_eq!(numbers, (1..=PER_USER as i64).collect(), "1 to {PER_USER}, none skipped or doubled");
        let tasks: Vec<Value> =
            a.as_user(Method::GET, user, "/api/{me}/tasks?limit=100").send().await.unwrap().json().await.unwrap();
        let listed: BTreeSet<i64> = tasks.iter().map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(listed, numbers);
    }
}
