//! The task endpoints over HTTP, on SQLite and PostgreSQL: the contract, every
//! filter and sort, pagination, errors, and isolation between users.

use crate::common::{TestApp, expect_problem, fields};
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

on_both_databases!(
    crud_round_trip,
    toggle_sets_and_clears_completed_at,
    filters_search_and_due_windows,
    sorting_and_pagination,
    bad_input_is_a_named_4xx,
    users_are_isolated,
    unknown_routes_and_methods_are_problems,
    invalid_utf8_in_a_path_segment_is_400,
);

async fn crud_round_trip(app: TestApp) {
    let u = app.sign_up("crud@example.com").await;
    let due = "2030-01-02T03:04:05Z";
    let created = app
        .create_task(
            &u,
            json!({"title": "  Buy milk ", "description": "2 litres", "priority": "high", "tags": ["Home", "errands"], "due_at": due}),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["title"], "Buy milk");
    assert_eq!(created["description"], "2 litres");
    assert_eq!(created["priority"], "high");
    assert_eq!(created["tags"], json!(["home", "errands"]));
    assert_eq!(created["due_at"], "2030-01-02T03:04:05Z");
    assert_eq!(created["completed"], false);
    assert_eq!(created["completed_at"], Value::Null);
    assert_eq!(created["user_id"], u.id.as_str());

    let got: Value =
        app.as_user(Method::GET, &u, &format!("/api/{{me}}/tasks/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(got, created);

    // PUT replaces: omitted optional fields are cleared.
    let res = app
        .as_user(Method::PUT, &u, &format!("/api/{{me}}/tasks/{id}"))
        .json(&json!({"title": "Buy oat milk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let put: Value = res.json().await.unwrap();
    assert_eq!(put["title"], "Buy oat milk");
    assert_eq!(put["description"], Value::Null);
    assert_eq!(put["priority"], "medium");
    assert_eq!(put["tags"], json!([]));
    assert_eq!(put["due_at"], Value::Null);
    assert_eq!(put["created_at"], created["created_at"]);

    // PATCH changes only what is sent.
    let res = app
        .as_user(Method::PATCH, &u, &format!("/api/{{me}}/tasks/{id}"))
        .json(&json!({"priority": "urgent", "due_at": due}))
        .send()
        .await
        .unwrap();
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["priority"], "urgent");
    assert_eq!(patched["title"], "Buy oat milk");
    assert_eq!(patched["due_at"], due);
    let patched: Value = app
        .as_user(Method::PATCH, &u, &format!("/api/{{me}}/tasks/{id}"))
        .json(&json!({"due_at": null, "description": "from the corner shop", "completed": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["due_at"], Value::Null);
    assert_eq!(patched["description"], "from the corner shop");
    assert_eq!(patched["completed"], true);
    assert!(patched["completed_at"].is_string());

    let res = app.as_user(Method::DELETE, &u, &format!("/api/{{me}}/tasks/{id}")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let res = app.as_user(Method::GET, &u, &format!("/api/{{me}}/tasks/{id}")).send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    let res = app.as_user(Method::DELETE, &u, &format!("/api/{{me}}/tasks/{id}")).send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    assert_eq!(app.list(&u, "").await, (0, vec![]));
}

async fn toggle_sets_and_clears_completed_at(app: TestApp) {
    let u = app.sign_up("toggle@example.com").await;
    let t = app.create_task(&u, json!({"title": "Call mom"})).await;
    let path = format!("/api/{{me}}/tasks/{}/complete", t["id"]);
    let done: Value = app.as_user(Method::PATCH, &u, &path).send().await.unwrap().json().await.unwrap();
    assert_eq!(done["completed"], true);
    assert!(done["completed_at"].is_string());
    let undone: Value = app.as_user(Method::PATCH, &u, &path).send().await.unwrap().json().await.unwrap();
    assert_eq!(undone["completed"], false);
    assert_eq!(undone["completed_at"], Value::Null);
    let res = app.as_user(Method::PATCH, &u, "/api/{me}/tasks/999999/complete").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
}

fn ts(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

async fn filters_search_and_due_windows(app: TestApp) {
    let u = app.sign_up("filters@example.com").await;
    app.create_task(
        &u,
        json!({"title": "Pay bills", "priority": "urgent", "tags": ["money"], "due_at": ts(Duration::days(-2))}),
    )
    .await;
    app.create_task(&u, json!({"title": "Buy MILK", "description": "oat", "tags": ["home", "errands"], "due_at": ts(Duration::minutes(1))})).await;
    app.create_task(&u, json!({"title": "Plan trip", "description": "Book the 50% off milk-run flight", "priority": "low", "due_at": ts(Duration::days(3))})).await;
    app.create_task(&u, json!({"title": "Read a book", "tags": ["home_work"], "due_at": ts(Duration::days(30))})).await;
    let done = app
        .create_task(&u, json!({"title": "Old overdue but done", "due_at": ts(Duration::days(-5)), "completed": true}))
        .await;
    assert_eq!(done["completed"], true);

    assert_eq!(app.list(&u, "").await.0, 5);
    assert_eq!(app.list(&u, "status=completed").await, (1, vec!["Old overdue but done".into()]));
    assert_eq!(app.list(&u, "status=pending").await.0, 4);
    assert_eq!(app.list(&u, "priority=urgent").await, (1, vec!["Pay bills".into()]));
    assert_eq!(app.list(&u, "tag=Home").await, (1, vec!["Buy MILK".into()]));
    // "_" in a tag is literal, not a LIKE wildcard.
    assert_eq!(app.list(&u, "tag=home_work").await, (1, vec!["Read a book".into()]));
    assert_eq!(app.list(&u, "tag=homeXwork").await.0, 0);
    // Case-insensitive search in title and description; "%" is literal.
    let (n, mut titles) = app.list(&u, "q=milk").await;
    titles.sort();
    assert_eq!((n, titles), (2, vec!["Buy MILK".to_string(), "Plan trip".into()]));
    assert_eq!(app.list(&u, "q=50%25").await, (1, vec!["Plan trip".into()]));
    assert_eq!(app.list(&u, "q=5_%25").await.0, 0);
    assert_eq!(app.list(&u, "due=overdue").await, (1, vec!["Pay bills".into()]));
    let (_, week) = app.list(&u, "due=week&sort=due").await;
    assert_eq!(week, ["Buy MILK", "Plan trip"]);
    // "Today" in the client's time zone: pick the offset where it is now about noon,
    // so "in one minute" is surely today.
    use chrono::Timelike;
    let now = Utc::now();
    let noon_offset = 720 - (now.hour() * 60 + now.minute()) as i32;
    assert_eq!(app.list(&u, &format!("due=today&utc_offset={noon_offset}")).await, (1, vec!["Buy MILK".into()]));
    // Filters combine.
    assert_eq!(app.list(&u, "status=pending&q=book&tag=home_work").await, (1, vec!["Read a book".into()]));
    assert_eq!(app.list(&u, "status=completed&priority=urgent").await.0, 0);
}

async fn sorting_and_pagination(app: TestApp) {
    let u = app.sign_up("sort@example.com").await;
    let specs = [
        ("banana", "low", Some(3)),
        ("Apple", "urgent", None),
        ("cherry", "high", Some(1)),
        ("date", "medium", Some(2)),
        ("elderberry", "urgent", Some(5)),
    ];
    for (title, priority, due_days) in specs {
        let mut body = json!({"title": title, "priority": priority});
        if let Some(d) = due_days {
            body["due_at"] = json!(ts(Duration::days(d)));
        }
        app.create_task(&u, body).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let titles = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(app.list(&u, "").await.1, titles(&["elderberry", "date", "cherry", "Apple", "banana"]));
    assert_eq!(
        app.list(&u, "sort=created&order=asc").await.1,
        titles(&["banana", "Apple", "cherry", "date", "elderberry"])
    );
    assert_eq!(app.list(&u, "sort=title").await.1, titles(&["Apple", "banana", "cherry", "date", "elderberry"]));
    assert_eq!(
        app.list(&u, "sort=title&order=desc").await.1,
        titles(&["elderberry", "date", "cherry", "banana", "Apple"])
    );
    // Soonest due first, undated last in both directions.
    assert_eq!(app.list(&u, "sort=due").await.1, titles(&["cherry", "date", "banana", "elderberry", "Apple"]));
    assert_eq!(
        app.list(&u, "sort=due&order=desc").await.1,
        titles(&["elderberry", "banana", "date", "cherry", "Apple"])
    );
    // Most urgent first; equal priority by due date.
    assert_eq!(app.list(&u, "sort=priority").await.1, titles(&["elderberry", "Apple", "cherry", "date", "banana"]));
    assert_eq!(app.list(&u, "sort=priority&order=asc").await.1[0], "banana");

    // Touching a task moves it to the front of sort=updated.
    let (_, all) = app.list(&u, "sort=title&limit=1").await;
    assert_eq!(all, ["Apple"]);
    let apple_id = {
        let res = app.as_user(Method::GET, &u, "/api/{me}/tasks?sort=title&limit=1").send().await.unwrap();
        let v: Vec<Value> = res.json().await.unwrap();
        v[0]["id"].as_i64().unwrap()
    };
    app.as_user(Method::PATCH, &u, &format!("/api/{{me}}/tasks/{apple_id}"))
        .json(&json!({"title": "Apple pie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(app.list(&u, "sort=updated").await.1[0], "Apple pie");

    // Pages cover everything exactly once and report the total.
    let mut seen = Vec::new();
    for offset in [0, 2, 4] {
        let (total, page) = app.list(&u, &format!("sort=title&limit=2&offset={offset}")).await;
        assert_eq!(total, 5);
        seen.extend(page);
    }
    assert_eq!(seen, titles(&["Apple pie", "banana", "cherry", "date", "elderberry"]));
    assert_eq!(app.list(&u, "limit=2&offset=10").await, (5, vec![]));
    assert_eq!(app.list(&u, "limit=100").await.1.len(), 5);
}

async fn bad_input_is_a_named_4xx(app: TestApp) {
    let u = app.sign_up("bad@example.com").await;
    let post = |body: String, ct: &'static str| {
        app.as_user(Method::POST, &u, "/api/{me}/tasks").header("content-type", ct).body(body).send()
    };
    let p = expect_problem(post("{\"title\": ".into(), "application/json").await.unwrap(), 400, "malformed_json").await;
    assert!(p["detail"].as_str().unwrap().contains("malformed JSON"));
    expect_problem(post("{}".into(), "text/plain").await.unwrap(), 415, "unsupported_media_type").await;
    let huge = json!({"title": "x", "description": "y".repeat(70 * 1024)}).to_string();
    expect_problem(post(huge, "application/json").await.unwrap(), 413, "payload_too_large").await;

    let cases = [
        (json!({"title": ""}), "title"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "t".repeat(201)}), "title"),
        (json!({"title": 42}), "title"),
        (json!({"description": "no title"}), "title"),
        (json!({"title": "x", "description": "d".repeat(1001)}), "description"),
        (json!({"title": "x", "priority": "critical"}), "priority"),
        (json!({"title": "x", "due_at": "next tuesday"}), "due_at"),
        // Valid RFC 3339, but in UTC outside the four-digit years an RFC 3339
        // answer can carry ("+10000-01-01T23:58:59Z"). Found by fuzzing.
        (json!({"title": "x", "due_at": "9999-12-31T23:59:59-23:59"}), "due_at"),
        (json!({"title": "x", "due_at": "0000-01-01T00:00:00+00:01"}), "due_at"),
        (json!({"title": "x", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()}), "tags"),
        (json!({"title": "x", "tags": ["ok", "not ok!"]}), "tags[1]"),
        (json!({"title": "x", "tags": ["t".repeat(33)]}), "tags[0]"),
        (json!({"title": "x", "completed": "yes"}), "completed"),
        (json!({"title": "x", "owner": "someone"}), "owner"),
    ];
    for (body, field) in cases {
        let res = post(body.to_string(), "application/json").await.unwrap();
        let p = expect_problem(res, 422, "validation_failed").await;
        assert_eq!(fields(&p), [field], "{body}");
    }
    // A body is an object: serde would read an array as the fields in order
    // (`["Buy milk"]` as a title). Found by the schemathesis run.
    for body in [r#"["Buy milk"]"#, "[]", r#"["x", null, "low"]"#] {
        let p = expect_problem(post(body.into(), "application/json").await.unwrap(), 422, "validation_failed").await;
        assert_eq!(fields(&p), ["body"], "{body}");
    }
    assert_eq!(app.list(&u, "").await, (0, vec![]), "nothing was written");

    // The limits themselves are fine.
    app.create_task(&u, json!({"title": "t".repeat(200), "description": "d".repeat(1000), "tags": (0..10).map(|i| format!("t{i}")).collect::<Vec<_>>()})).await;
    for due in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00+23:59"] {
        let t = app.create_task(&u, json!({"title": "edge", "due_at": due})).await;
        let back: chrono::DateTime<chrono::FixedOffset> = t["due_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(back, due.parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap(), "{due}");
        app.as_user(Method::DELETE, &u, &format!("/api/{{me}}/tasks/{}", t["id"])).send().await.unwrap();
    }

    let t = app.create_task(&u, json!({"title": "keep me"})).await;
    let path = format!("/api/{{me}}/tasks/{}", t["id"]);
    let res = app.as_user(Method::PATCH, &u, &path).json(&json!({})).send().await.unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["body"]);
    let res = app
        .as_user(Method::PATCH, &u, &path)
        .json(&json!({"due_at": "9999-12-31T23:59:59.999-00:01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["due_at"]);
    let res = app.as_user(Method::PATCH, &u, &path).json(&json!([null, null])).send().await.unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["body"]);
    let res = app.as_user(Method::PATCH, &u, &path).json(&json!({"title": ""})).send().await.unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["title"]);
    let res = app.as_user(Method::PUT, &u, &path).json(&json!({"priority": "low"})).send().await.unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["title"]);
    // Nothing was half-written by the rejected updates.
    let still: Value = app.as_user(Method::GET, &u, &path).send().await.unwrap().json().await.unwrap();
    assert_eq!(still, t);

    for (query, field) in [
        ("status=open", "status"),
        ("priority=max", "priority"),
        ("due=someday", "due"),
        ("sort=size", "sort"),
        ("order=up", "order"),
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("tag=bad%20tag!", "tag"),
    ] {
        let res = app.as_user(Method::GET, &u, &format!("/api/{{me}}/tasks?{query}")).send().await.unwrap();
        assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), [field], "{query}");
    }
    let res = app.as_user(Method::GET, &u, "/api/{me}/tasks/not-a-number").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
}

async fn users_are_isolated(app: TestApp) {
    let alice = app.sign_up("alice@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let secret = app.create_task(&alice, json!({"title": "Alice's secret"})).await;
    let id = secret["id"].as_i64().unwrap();

    // Bob's token on Alice's path: 403 for every route.
    for (method, path) in [
        (Method::GET, format!("/api/{}/tasks", alice.id)),
        (Method::POST, format!("/api/{}/tasks", alice.id)),
        (Method::GET, format!("/api/{}/tasks/{id}", alice.id)),
        (Method::PUT, format!("/api/{}/tasks/{id}", alice.id)),
        (Method::PATCH, format!("/api/{}/tasks/{id}", alice.id)),
        (Method::DELETE, format!("/api/{}/tasks/{id}", alice.id)),
        (Method::PATCH, format!("/api/{}/tasks/{id}/complete", alice.id)),
    ] {
        let res =
            app.req(method.clone(), &path).bearer_auth(&bob.token).json(&json!({"title": "x"})).send().await.unwrap();
        expect_problem(res, 403, "forbidden").await;
        // And no token at all: 401.
        let res = app.req(method, &path).json(&json!({"title": "x"})).send().await.unwrap();
        expect_problem(res, 401, "unauthorized").await;
    }
    // Bob's own path with Alice's task id: 404, as if it did not exist.
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let res = app
            .as_user(method.clone(), &bob, &format!("/api/{{me}}/tasks/{id}"))
            .json(&json!({"title": "hijack"}))
            .send()
            .await
            .unwrap();
        expect_problem(res, 404, "not_found").await;
    }
    let res = app.as_user(Method::PATCH, &bob, &format!("/api/{{me}}/tasks/{id}/complete")).send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    assert_eq!(app.list(&bob, "").await, (0, vec![]));
    assert_eq!(app.list(&bob, "q=secret").await.0, 0);
    // Alice's task is untouched.
    let still: Value = app
        .as_user(Method::GET, &alice, &format!("/api/{{me}}/tasks/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still, secret);
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    let res = app.req(Method::GET, "/api/nothing/here/at/all").send().await.unwrap();
    expect_problem(res, 404, "route_not_found").await;
    let res = app.req(Method::DELETE, "/healthz").send().await.unwrap();
    expect_problem(res, 405, "method_not_allowed").await;
    let res = app.req(Method::GET, "/healthz").send().await.unwrap();
    assert!(res.headers().contains_key("x-request-id"));
    // A client-sent request id is kept.
    let res = app.req(Method::GET, "/healthz").header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
}

/// `%ff` percent-decodes to a byte that is not UTF-8: a malformed request
/// (400 problem+json), never a 500, in every route with path parameters.
async fn invalid_utf8_in_a_path_segment_is_400(app: TestApp) {
    let u = app.sign_up("utf8@example.com").await;
    let cases = [
        (Method::GET, "/api/%ff/tasks"),
        (Method::POST, "/api/%ff/tasks"),
        (Method::GET, "/api/%C3%28/tasks"),
        (Method::GET, "/api/{me}/tasks/%ff"),
        (Method::PUT, "/api/{me}/tasks/%ff"),
        (Method::PATCH, "/api/{me}/tasks/%ff"),
        (Method::DELETE, "/api/{me}/tasks/%ff"),
        (Method::PATCH, "/api/{me}/tasks/%ff/complete"),
        (Method::POST, "/api/%ff/chat"),
        (Method::GET, "/api/%ff/conversations"),
        (Method::GET, "/api/{me}/conversations/%ff/messages"),
        (Method::DELETE, "/api/{me}/conversations/%ff"),
    ];
    for (method, path) in cases {
        let res =
            app.as_user(method.clone(), &u, path).json(&json!({"title": "x", "message": "x"})).send().await.unwrap();
        let body = expect_problem(res, 400, "invalid_path").await;
        assert!(body["detail"].as_str().unwrap().contains("not valid UTF-8"), "{method} {path}: {body}");
    }
    // Without a token it is 401 as for any other path: authentication comes first.
    let res = app.req(Method::GET, "/api/%ff/tasks").send().await.unwrap();
    expect_problem(res, 401, "unauthorized").await;
    // Valid UTF-8 that is not a number still names no task.
    let res = app.as_user(Method::GET, &u, "/api/{me}/tasks/%C3%A9").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
}
