//! The task JSON cache behind `GET /api/{user_id}/tasks`, on SQLite and
//! PostgreSQL: two servers share one database, like two replicas, one with the
//! cache (the default) and one without. After every kind of change, made through
//! either of them, both must answer every list with the very same bytes.

use crate::common::{TestApp, User};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;

on_both_databases!(cached_lists_follow_every_change);

/// The list's body and total, as sent.
async fn raw_list(app: &TestApp, user: &User, query: &str) -> (String, String) {
    let res = app.as_user(Method::GET, user, &format!("/api/{{me}}/tasks?{query}")).send().await.unwrap();
    assert_eq!(res.status(), 200, "list ?{query}");
    let total = res.headers()["x-total-count"].to_str().unwrap().to_string();
    (res.text().await.unwrap(), total)
}

const QUERIES: [&str; 7] =
    ["", "limit=2", "limit=2&offset=2", "status=completed", "sort=title&q=task", "sort=due", "due=week&sort=due"];

/// Lists through `a` twice (with the cache: cold or stale, then warm) and `b`
/// once, checks that the three answers are identical and returns them parsed.
async fn same_everywhere(a: &TestApp, b: &TestApp, user: &User, query: &str) -> (Vec<Value>, i64) {
    let first = raw_list(a, user, query).await;
    let second = raw_list(a, user, query).await;
    let reference = raw_list(b, user, query).await;
    assert_eq!(first, reference, "first list ?{query}");
    assert_eq!(second, reference, "repeated list ?{query}");
    (serde_json::from_str(&reference.0).unwrap(), reference.1.parse().unwrap())
}

async fn check_all_queries(cached: &TestApp, plain: &TestApp, user: &User) {
    for query in QUERIES {
        same_everywhere(cached, plain, user, query).await;
    }
}

fn titles(tasks: &[Value]) -> Vec<&str> {
    tasks.iter().map(|t| t["title"].as_str().unwrap()).collect()
}

async fn cached_lists_follow_every_change(cached: TestApp) {
    let plain =
        TestApp::builder().on_database(&cached.database_url).config(|a| a.database.task_cache_mb = 0).start().await;
    let u = cached.sign_up("cache@example.com").await;
    let other = cached.sign_up("other@example.com").await;
    let mut ids = Vec::new();
    for (i, title) in ["Task one", "Task two", "Task three", "Task four"].iter().enumerate() {
        let t = cached.create_task(&u, json!({"title": title, "tags": ["t", format!("n{i}")]})).await;
        ids.push(t["id"].as_i64().unwrap());
    }
    cached.create_task(&other, json!({"title": "Task of someone else"})).await;
    check_all_queries(&cached, &plain, &u).await;

    // Each change once through each server; every list afterwards shows it, from
    // both servers alike.
    for (n, (writer, reader)) in [(&cached, &plain), (&plain, &cached)].into_iter().enumerate() {
        let path = |id: i64| format!("/api/{{me}}/tasks/{id}");
        let renamed = format!("Task renamed {n}");
        let res = writer.as_user(Method::PATCH, &u, &path(ids[0])).json(&json!({"title": renamed})).send().await;
        assert_eq!(res.unwrap().status(), 200);
        let (tasks, _) = same_everywhere(reader, writer, &u, "").await;
        assert!(titles(&tasks).contains(&renamed.as_str()), "{tasks:?}");
        check_all_queries(&cached, &plain, &u).await;

        // An all-day date, then a time in its place, then another zone for the user.
        let res =
            writer.as_user(Method::PATCH, &u, &path(ids[0])).json(&json!({"due_date": "2026-12-04"})).send().await;
        assert_eq!(res.unwrap().status(), 200);
        let (tasks, _) = same_everywhere(reader, writer, &u, "").await;
        assert_eq!(tasks.iter().find(|t| t["id"] == ids[0]).unwrap()["due_date"], "2026-12-04");
        check_all_queries(&cached, &plain, &u).await;
        let at = json!({"due_at": "2026-12-04T10:00:00Z"});
        let res = writer.as_user(Method::PATCH, &u, &path(ids[0])).json(&at).send().await;
        assert_eq!(res.unwrap().status(), 200);
        let (tasks, _) = same_everywhere(reader, writer, &u, "").await;
        assert_eq!(tasks.iter().find(|t| t["id"] == ids[0]).unwrap()["due_date"], Value::Null);
        check_all_queries(&cached, &plain, &u).await;
        let zone = json!({"time_zone": if n == 0 { "Asia/Tokyo" } else { "America/Los_Angeles" }});
        let res = writer.as_user(Method::PATCH, &u, "/api/auth/me").json(&zone).send().await;
        assert_eq!(res.unwrap().status(), 200);
        check_all_queries(&cached, &plain, &u).await;

        let res = writer.as_user(Method::PATCH, &u, &format!("{}/complete", path(ids[1]))).send().await;
        assert_eq!(res.unwrap().status(), 200);
        let (done, _) = same_everywhere(reader, writer, &u, "status=completed").await;
        assert_eq!(done.iter().filter(|t| t["id"] == ids[1]).count(), 1 - n, "toggled {n} times: {done:?}");
        check_all_queries(&cached, &plain, &u).await;

        let res = writer
            .as_user(Method::PUT, &u, &path(ids[2]))
            .json(&json!({"title": format!("Task replaced {n}"), "priority": "urgent", "tags": ["new"]}))
            .send()
            .await;
        assert_eq!(res.unwrap().status(), 200);
        let (tasks, _) = same_everywhere(reader, writer, &u, "").await;
        let replaced = tasks.iter().find(|t| t["id"] == ids[2]).unwrap();
        assert_eq!((replaced["priority"].as_str(), &replaced["tags"]), (Some("urgent"), &json!(["new"])));
        check_all_queries(&cached, &plain, &u).await;

        // The same change twice in a row still makes a new revision each time.
        for _ in 0..2 {
            let res = writer.as_user(Method::PATCH, &u, &format!("{}/complete", path(ids[3]))).send().await;
            assert_eq!(res.unwrap().status(), 200);
            check_all_queries(&cached, &plain, &u).await;
        }

        let added = writer.create_task(&u, json!({"title": format!("Task added {n}")})).await;
        check_all_queries(&cached, &plain, &u).await;
        let res = writer.as_user(Method::DELETE, &u, &path(added["id"].as_i64().unwrap())).send().await;
        assert_eq!(res.unwrap().status(), 204);
        let (tasks, total) = same_everywhere(reader, writer, &u, "").await;
        assert_eq!((tasks.len(), total), (4, 4));
        check_all_queries(&cached, &plain, &u).await;
    }

    // A change made behind the API's back (an older replica during an upgrade, a
    // fix by hand) raises the revision too, through the database's trigger.
    let sql = "UPDATE tasks SET title = 'Changed by hand' WHERE id = $1";
    match cached.db {
        crate::common::Db::Postgres => {
            let mut c = sqlx::PgConnection::connect(&cached.database_url).await.unwrap();
            sqlx::query(sql).bind(ids[0]).execute(&mut c).await.unwrap();
        }
        crate::common::Db::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&cached.database_url).await.unwrap();
            sqlx::query(sql).bind(ids[0]).execute(&mut c).await.unwrap();
        }
    }
    let (tasks, _) = same_everywhere(&cached, &plain, &u, "").await;
    assert!(titles(&tasks).contains(&"Changed by hand"), "{tasks:?}");

    // Nobody else's tasks on the page, and the other user's list is theirs alone.
    let (tasks, _) = same_everywhere(&cached, &plain, &other, "").await;
    assert_eq!(titles(&tasks), ["Task of someone else"]);
    let (tasks, _) = same_everywhere(&cached, &plain, &u, "").await;
    assert!(tasks.iter().all(|t| t["user_id"] == u.id.as_str()));
}
