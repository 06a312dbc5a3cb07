//! The private calendar feed, on SQLite and PostgreSQL: created, rotated and
//! revoked by API (an old URL answers 404), served without a token, only the
//! owner's tasks with a due, all-day and timed (UTC instants, right across a
//! daylight-saving change).

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestApp, User, expect_problem};

on_both_databases!(a_feed_is_created_rotated_and_revoked, a_feed_shows_its_owners_dated_tasks_only);

async fn create_feed(app: &TestApp, user: &User) -> String {
    let res = app.as_user(Method::POST, user, "/api/auth/calendar-feed").send().await.unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    let token = v["token"].as_str().unwrap();
    assert_eq!(token.len(), 64, "256 bits, hex");
    assert_eq!(v["path"], format!("/api/calendar/{token}.ics"));
    v["path"].as_str().unwrap().to_string()
}

/// The feed's body, fetched with no credentials at all.
async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.req(Method::GET, path).send().await.unwrap()
}

async fn a_feed_is_created_rotated_and_revoked(app: TestApp) {
    let user = app.sign_up("feed@example.com").await;
    // No feed yet: nothing to revoke, and a made-up token is not found.
    let res = app.as_user(Method::DELETE, &user, "/api/auth/calendar-feed").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    expect_problem(fetch(&app, &format!("/api/calendar/{}.ics", "a".repeat(64))).await, 404, "not_found").await;
    expect_problem(fetch(&app, "/api/calendar/short.ics").await, 404, "not_found").await;
    // Creating needs a signed-in user.
    let res = app.req(Method::POST, "/api/auth/calendar-feed").send().await.unwrap();
    expect_problem(res, 401, "unauthorized").await;

    let first = create_feed(&app, &user).await;
    let res = fetch(&app, &first).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/calendar; charset=utf-8");
    assert!(res.headers()["cache-control"].to_str().unwrap().starts_with("private"));
    assert!(res.text().await.unwrap().starts_with("BEGIN:VCALENDAR\r\n"));

    // Rotating: the new URL works, the old one is gone.
    let second = create_feed(&app, &user).await;
    assert_ne!(first, second);
    expect_problem(fetch(&app, &first).await, 404, "not_found").await;
    assert_eq!(fetch(&app, &second).await.status(), 200);

    // Revoking: gone too.
    let res = app.as_user(Method::DELETE, &user, "/api/auth/calendar-feed").send().await.unwrap();
    assert_eq!(res.status(), 204);
    expect_problem(fetch(&app, &second).await, 404, "not_found").await;
}

/// The physical lines unfolded into content lines.
fn content_lines(body: &str) -> Vec<String> {
    body.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect()
}

async fn a_feed_shows_its_owners_dated_tasks_only(app: TestApp) {
    let owner = app.sign_up("owner@example.com").await;
    let other = app.sign_up("other@example.com").await;
    // Either side of Europe/Berlin's change to summer time (2027-03-28 01:00 UTC).
    app.create_task(&owner, json!({"title": "Before the change, 09:00 CET", "due_at": "2027-03-27T08:00:00Z"})).await;
    app.create_task(&owner, json!({"title": "After the change, 09:00 CEST", "due_at": "2027-03-29T07:00:00Z"})).await;
    let done = app
        .create_task(&owner, json!({"title": "All day; with, commas", "due_date": "2027-03-28", "tags": ["home"]}))
        .await;
    let res = app
        .as_user(Method::PATCH, &owner, &format!("/api/{{me}}/tasks/{}", done["id"]))
        .json(&json!({"completed": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.create_task(&owner, json!({"title": "No due"})).await;
    app.create_task(&other, json!({"title": "Someone else's", "due_date": "2027-03-28"})).await;

    let owner_feed = create_feed(&app, &owner).await;
    let other_feed = create_feed(&app, &other).await;
    let body = fetch(&app, &owner_feed).await.text().await.unwrap();
    for physical in body.split("\r\n") {
        assert!(physical.len() <= 75, "folded: {physical:?}");
    }
    let lines = content_lines(&body);
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 3, "{body}");
    assert!(has("DTSTART:20270327T080000Z"), "{body}");
    assert!(has("DTSTART:20270329T070000Z"), "{body}");
    assert!(has("DTSTART;VALUE=DATE:20270328") && has("DTEND;VALUE=DATE:20270329"), "{body}");
    assert!(has("SUMMARY:✓ All day\\; with\\, commas") && has("TRANSP:TRANSPARENT"), "{body}");
    assert!(has("CATEGORIES:home"));
    assert!(!body.contains("No due") && !body.contains("Someone else"), "{body}");

    let body = fetch(&app, &other_feed).await.text().await.unwrap();
    assert!(body.contains("Someone else's") && !body.contains("Before the change"), "{body}");
}
