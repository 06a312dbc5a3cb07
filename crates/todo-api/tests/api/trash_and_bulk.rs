//! Undo: a deleted task goes to the trash and `POST .../restore` brings it back
//! as it was (number, tags, dates, completed state); two restores at once make
//! one task. Bulk actions run in one transaction: all of the tasks change or,
//! when one is missing, none; the answer's `before` undoes them.

use crate::common::{Db, TestApp, User, expect_problem, fields};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

for_both_databases!(
    a_deleted_task_comes_back_as_it_was,
    two_restores_at_once_make_one_task,
    bulk_actions_are_all_or_nothing_and_undoable,
    bulk_input_is_checked,
    the_trash_is_exported_and_goes_with_the_account,
    counts_of_every_view_in_one_call
);

async fn get(app: &TestApp, user: &User, id: i64) -> (u16, Value) {
    let res = app.as_user(Method::GET, user, &format!("/api/{{me}}/tasks/{id}")).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn bulk(app: &TestApp, user: &User, body: Value) -> reqwest::Response {
    app.as_user(Method::POST, user, "/api/{me}/tasks/bulk").json(&body).send().await.unwrap()
}

async fn a_deleted_task_comes_back_as_it_was(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let alice = app.sign_up("trash-alice@example.com").await;
    let bob = app.sign_up("trash-bob@example.com").await;
    app.create_task(&alice, json!({"title": "first"})).await;
    let task = app
        .create_task(&alice, json!({"title": "Pay rent", "description": "flat", "tags": ["home", "money"], "priority": "high", "due_date": "2026-12-04"}))
        .await;
    let id = task["id"].as_i64().unwrap();
    assert_eq!(id, 2);
    let res = app.as_user(Method::PATCH, &alice, "/api/{me}/tasks/2/complete").send().await.unwrap();
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["completed"], true);

    // Never deleted: nothing to restore.
    let res = app.as_user(Method::POST, &alice, "/api/{me}/tasks/2/restore").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;

    let res = app.as_user(Method::DELETE, &alice, "/api/{me}/tasks/2").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&app, &alice, 2).await.0, 404);
    assert_eq!(app.list(&alice, "").await.0, 1);
    // Another account cannot restore it (its own trash has no task 2).
    let res = app.as_user(Method::POST, &bob, "/api/{me}/tasks/2/restore").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    let res = app
        .req(Method::POST, &format!("/api/{}/tasks/2/restore", alice.id))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    expect_problem(res, 403, "forbidden").await;

    let res = app.as_user(Method::POST, &alice, "/api/{me}/tasks/2/restore").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let back: Value = res.json().await.unwrap();
    for field in [
        "id",
        "title",
        "description",
        "tags",
        "priority",
        "due_date",
        "due_at",
        "completed",
        "completed_at",
        "created_at",
        "updated_at",
    ] {
        assert_eq!(back[field], done[field], "{field}");
    }
    assert_eq!(get(&app, &alice, 2).await, (200, back.clone()));
    assert_eq!(app.list(&alice, "").await.0, 2);
    // It is found again by search and by its tag, like any task.
    assert_eq!(app.list(&alice, "q=rent").await.0, 1);
    assert_eq!(app.list(&alice, "tag=money").await.0, 1);
    // Once back, the trash no longer has it; new tasks keep counting past it.
    let res = app.as_user(Method::POST, &alice, "/api/{me}/tasks/2/restore").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    assert_eq!(app.create_task(&alice, json!({"title": "third"})).await["id"], 3);
    // Deleted again, and restored again.
    let res = app.as_user(Method::DELETE, &alice, "/api/{me}/tasks/2").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.as_user(Method::POST, &alice, "/api/{me}/tasks/2/restore").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Past the retention (a day): not restorable, and purged by the next delete.
    let res = app.as_user(Method::DELETE, &alice, "/api/{me}/tasks/2").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let day_and_a_bit = todo_store::TRASH_RETENTION_MS + 1000;
    execute(&app, &format!("UPDATE deleted_tasks SET deleted_at = deleted_at - {day_and_a_bit}")).await;
    let res = app.as_user(Method::POST, &alice, "/api/{me}/tasks/2/restore").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    let res = app.as_user(Method::DELETE, &alice, "/api/{me}/tasks/1").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM deleted_tasks WHERE number = 2").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM deleted_tasks WHERE number = 1").await, 1);
}

async fn execute(app: &TestApp, statement: &str) {
    use sqlx::Connection;
    match app.db {
        Db::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).execute(&mut c).await.unwrap();
        }
        Db::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).execute(&mut c).await.unwrap();
        }
    }
}

async fn count(app: &TestApp, statement: &str) -> i64 {
    use sqlx::{Connection, Row};
    match app.db {
        Db::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).fetch_one(&mut c).await.unwrap().get::<i64, _>(0)
        }
        Db::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).fetch_one(&mut c).await.unwrap().get::<i64, _>(0)
        }
    }
}

async fn two_restores_at_once_make_one_task(db: Db) {
    let a = TestApp::builder().database(db).start().await;
    let b = TestApp::builder().on_database(&a.database_url).start().await;
    let user = a.sign_up("trash-race@example.com").await;
    for round in 0..5 {
        let task = a.create_task(&user, json!({"title": format!("race {round}"), "tags": ["x"]})).await;
        let id = task["id"].as_i64().unwrap();
        let res = a.as_user(Method::DELETE, &user, &format!("/api/{{me}}/tasks/{id}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let path = format!("/api/{{me}}/tasks/{id}/restore");
        let (r1, r2) =
            tokio::join!(a.as_user(Method::POST, &user, &path).send(), b.as_user(Method::POST, &user, &path).send());
        let mut statuses = [r1.unwrap().status().as_u16(), r2.unwrap().status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 404], "round {round}: one restore wins");
    }
    let tasks: Vec<Value> =
        a.as_user(Method::GET, &user, "/api/{me}/tasks?limit=100").send().await.unwrap().json().await.unwrap();
    let mut ids: Vec<i64> = tasks.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![1, 2, 3, 4, 5], "each task once");
}

async fn bulk_actions_are_all_or_nothing_and_undoable(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let user = app.sign_up("bulk@example.com").await;
    for (title, tags) in [("one", json!(["a"])), ("two", json!([])), ("three", json!(["b"]))] {
        app.create_task(&user, json!({"title": title, "tags": tags})).await;
    }
    // Complete 1 and 3.
    let res = bulk(&app, &user, json!({"action": "update", "ids": [1, 3], "changes": {"completed": true}})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        out["tasks"].as_array().unwrap().iter().map(|t| t["completed"].clone()).collect::<Vec<_>>(),
        [true, true]
    );
    assert_eq!(out["before"][0]["completed"], false);
    assert_eq!(app.list(&user, "status=completed").await.0, 2);

    // A missing task: 404 naming it, and nothing changed (task 2 stays pending).
    let res = bulk(&app, &user, json!({"action": "update", "ids": [2, 99], "changes": {"completed": true}})).await;
    let problem = expect_problem(res, 404, "not_found").await;
    assert!(problem["detail"].as_str().unwrap().contains("99"), "{problem}");
    assert_eq!(get(&app, &user, 2).await.1["completed"], false);
    let res = bulk(&app, &user, json!({"action": "delete", "ids": [1, 2, 42]})).await;
    expect_problem(res, 404, "not_found").await;
    assert_eq!(app.list(&user, "").await.0, 3, "the delete rolled back whole");

    // Undo of the complete: each task's own previous state.
    let items: Vec<Value> = out["before"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| json!({"id": t["id"], "changes": {"completed": t["completed"]}}))
        .collect();
    let res = bulk(&app, &user, json!({"action": "revert", "items": items})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.list(&user, "status=completed").await.0, 0);

    // Tag and reschedule.
    let res = bulk(&app, &user, json!({"action": "add_tags", "ids": [1, 2], "tags": ["Work", "a"]})).await;
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["tasks"][0]["tags"], json!(["a", "work"]));
    assert_eq!(out["tasks"][1]["tags"], json!(["work", "a"]));
    let res =
        bulk(&app, &user, json!({"action": "update", "ids": [2, 3], "changes": {"due_date": "2026-12-24"}})).await;
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["tasks"][1]["due_date"], "2026-12-24");

    // Delete all three, then undo with restore: numbers and tags back.
    let res = bulk(&app, &user, json!({"action": "delete", "ids": [1, 2, 3]})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.list(&user, "").await.0, 0);
    // Restoring one that is not in the trash restores none.
    let res = bulk(&app, &user, json!({"action": "restore", "ids": [1, 7]})).await;
    expect_problem(res, 404, "not_found").await;
    assert_eq!(app.list(&user, "").await.0, 0);
    let res = bulk(&app, &user, json!({"action": "restore", "ids": [1, 2, 3]})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, two) = get(&app, &user, 2).await;
    assert_eq!((two["tags"].clone(), two["due_date"].clone()), (json!(["work", "a"]), json!("2026-12-24")));
    assert_eq!(app.list(&user, "").await.0, 3);
}

async fn bulk_input_is_checked(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let user = app.sign_up("bulk-input@example.com").await;
    app.create_task(&user, json!({"title": "one", "tags": ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"]}))
        .await;
    app.create_task(&user, json!({"title": "two"})).await;
    let many: Vec<i64> = (1..=501).collect();
    for (body, field) in [
        (json!({"action": "delete", "ids": []}), "ids"),
        (json!({"action": "delete", "ids": many}), "ids"),
        (json!({"action": "revert", "items": []}), "items"),
        (json!({"action": "update", "ids": [1], "changes": {"title": ""}}), "changes.title"),
        (json!({"action": "revert", "items": [{"id": 1, "changes": {"title": " "}}]}), "items[0].changes.title"),
        (json!({"action": "add_tags", "ids": [1], "tags": ["no spaces!"]}), "tags[0]"),
    ] {
        let res = bulk(&app, &user, body.clone()).await;
        let problem = expect_problem(res, 422, "validation_failed").await;
        assert!(fields(&problem).contains(&field.to_string()), "{body}: {problem}");
    }
    // Fields of another action, or none: the body is not a bulk action.
    for body in [
        json!({"action": "update", "ids": [1]}),
        json!({"action": "delete", "ids": [1], "tags": ["x"]}),
        json!({"action": "add_tags", "ids": [1]}),
    ] {
        let res = bulk(&app, &user, body.clone()).await;
        assert!(res.status().is_client_error() && res.status() != 404, "{body}");
    }
    // A number written as a JSON float with an integral value is that number.
    let res = bulk(&app, &user, json!({"action": "update", "ids": [2.0], "changes": {"priority": "low"}})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = bulk(&app, &user, json!({"action": "delete", "ids": [2.5]})).await;
    assert!(res.status().is_client_error() && res.status() != 404);
    // A number named twice is changed once.
    let res = bulk(&app, &user, json!({"action": "update", "ids": [2, 2], "changes": {"priority": "high"}})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["tasks"].as_array().unwrap().len(), 1);
    // Task 1 has 9 tags: two more is over the limit, for it and so for all.
    let res = bulk(&app, &user, json!({"action": "add_tags", "ids": [2, 1], "tags": ["x", "y"]})).await;
    let problem = expect_problem(res, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap().contains("task 1"), "{problem}");
    let res = bulk(&app, &user, json!({"action": "explode", "ids": [1]})).await;
    assert!(res.status().is_client_error());
    assert_eq!(get(&app, &user, 2).await.1["tags"], json!([]), "the rejected add_tags changed nothing");
}

async fn the_trash_is_exported_and_goes_with_the_account(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let user = app.sign_up("trash-export@example.com").await;
    app.create_task(&user, json!({"title": "kept"})).await;
    app.create_task(&user, json!({"title": "binned"})).await;
    let res = app.as_user(Method::DELETE, &user, "/api/{me}/tasks/2").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let export: Value = app.as_user(Method::GET, &user, "/api/auth/export").send().await.unwrap().json().await.unwrap();
    assert_eq!(export["deleted_tasks"].as_array().unwrap().len(), 1);
    assert_eq!(export["deleted_tasks"][0]["title"], "binned");
    // The export imports again (its trash is ignored).
    let res = app.as_user(Method::POST, &user, "/api/auth/import").json(&export).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
}

async fn counts_of_every_view_in_one_call(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let user = app.sign_up("counts@example.com").await;
    // Tokyo: "today" is the account's day, not the server's.
    let res = app
        .as_user(Method::PATCH, &user, "/api/auth/me")
        .json(&json!({"time_zone": "Asia/Tokyo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let tz = todo_domain::lookup_time_zone("Asia/Tokyo").unwrap().1;
    let today = todo_domain::zone::local_date(chrono::Utc::now(), &tz);
    let day = |n: i64| (today + chrono::Duration::days(n)).format("%Y-%m-%d").to_string();
    let hour_ago = todo_domain::timestamp::to_rfc3339(&(chrono::Utc::now() - chrono::Duration::hours(1)));
    for body in [
        json!({"title": "overdue day", "due_date": day(-2)}),
        json!({"title": "overdue hour", "due_at": hour_ago}),
        json!({"title": "today", "due_date": day(0)}),
        json!({"title": "in three days", "due_date": day(3)}),
        json!({"title": "in six days", "due_date": day(6)}),
        json!({"title": "in a week", "due_date": day(7)}),
        json!({"title": "undated"}),
        json!({"title": "done today", "due_date": day(0), "completed": true}),
    ] {
        app.create_task(&user, body).await;
    }
    let counts: Value =
        app.as_user(Method::GET, &user, "/api/{me}/tasks/counts").send().await.unwrap().json().await.unwrap();
    // The hour-old task is overdue whether or not it is still today in Tokyo.
    assert_eq!(counts["all"], 8);
    assert_eq!(counts["completed"], 1);
    assert_eq!(counts["pending"], 7);
    assert_eq!(counts["overdue"], 2);
    assert_eq!(counts["today"], 3, "{counts}");
    // The same as the API's own due filters say.
    let (week, _) = app.list(&user, "due=week&status=pending").await;
    assert_eq!(counts["upcoming"], week, "{counts}");
    let (overdue, _) = app.list(&user, "due=overdue").await;
    assert_eq!(counts["overdue"], overdue);
}
