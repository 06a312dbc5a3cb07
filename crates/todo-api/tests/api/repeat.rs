//! Recurring tasks on SQLite and PostgreSQL: the `repeat` rule through every
//! path that carries a task (create, get, list, PUT, PATCH, bulk, export and
//! import, trash and restore), its validation, and completing: the next
//! occurrence is created once, in the complete's transaction, in the user's
//! zone (the wall clock kept across the DST change), none after UNTIL, within
//! the task quota, and exactly once when two replicas complete at once.

use crate::common::{Db, TestApp, User, expect_problem, fields};
use reqwest::{Method, Response};
use serde_json::{Value, json};

for_both_databases!(
    repeat_is_carried_everywhere,
    bad_repeats_name_the_field,
    completing_creates_the_next_occurrence_once,
    the_quota_counts_the_next_occurrence,
    concurrent_completes_on_two_replicas_create_one_next,
    the_tools_take_and_show_repeat,
    the_builtin_assistant_adds_lists_and_completes_repeats,
);

async fn sign_up_in(app: &TestApp, email: &str, zone: &str) -> User {
    let body = json!({"email": email, "password": "correct horse", "name": "R", "time_zone": zone});
    let res = app.req(Method::POST, "/api/auth/sign-up").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    User {
        id: v["user"]["id"].as_str().unwrap().into(),
        email: email.into(),
        token: v["token"].as_str().unwrap().into(),
    }
}

async fn send(app: &TestApp, user: &User, method: Method, path: &str, body: Option<Value>) -> Response {
    let req = app.as_user(method, user, path);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    req.send().await.unwrap()
}

async fn ok_json(res: Response) -> Value {
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {v}");
    v
}

async fn get(app: &TestApp, user: &User, id: i64) -> Value {
    ok_json(send(app, user, Method::GET, &format!("/api/{{me}}/tasks/{id}"), None).await).await
}

async fn patch(app: &TestApp, user: &User, id: i64, body: Value) -> Response {
    send(app, user, Method::PATCH, &format!("/api/{{me}}/tasks/{id}"), Some(body)).await
}

fn next_header(res: &Response) -> Option<i64> {
    res.headers().get("x-next-task").map(|v| v.to_str().unwrap().parse().unwrap())
}

async fn all_tasks(app: &TestApp, user: &User) -> Vec<Value> {
    ok_json(send(app, user, Method::GET, "/api/{me}/tasks?limit=100&sort=due", None).await)
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn repeat_is_carried_everywhere(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let u = app.sign_up("repeat-carry@example.com").await;
    let t = app
        .create_task(&u, json!({"title": "Gym", "due_date": "2026-12-07", "repeat": "rrule:byday=mo;freq=weekly"}))
        .await;
    assert_eq!(t["repeat"], "FREQ=WEEKLY;BYDAY=MO", "stored canonical");
    let id = t["id"].as_i64().unwrap();
    assert_eq!(get(&app, &u, id).await["repeat"], "FREQ=WEEKLY;BYDAY=MO");
    assert_eq!(all_tasks(&app, &u).await[0]["repeat"], "FREQ=WEEKLY;BYDAY=MO");
    let plain = app.create_task(&u, json!({"title": "once"})).await;
    assert_eq!(plain["repeat"], Value::Null);

    // PATCH sets, changes and clears it; PUT replaces it like any field.
    let v = ok_json(patch(&app, &u, id, json!({"repeat": "FREQ=MONTHLY;BYMONTHDAY=-1"})).await).await;
    assert_eq!(v["repeat"], "FREQ=MONTHLY;BYMONTHDAY=-1");
    let v = ok_json(patch(&app, &u, id, json!({"title": "Gym!"})).await).await;
    assert_eq!(v["repeat"], "FREQ=MONTHLY;BYMONTHDAY=-1", "other changes keep it");
    let v = ok_json(patch(&app, &u, id, json!({"repeat": null})).await).await;
    assert_eq!(v["repeat"], Value::Null);
    let path = format!("/api/{{me}}/tasks/{id}");
    let put = json!({"title": "Gym", "due_at": "2026-12-07T17:00:00Z", "repeat": "FREQ=DAILY;INTERVAL=2"});
    let v = ok_json(send(&app, &u, Method::PUT, &path, Some(put)).await).await;
    assert_eq!(v["repeat"], "FREQ=DAILY;INTERVAL=2");
    let v = ok_json(
        send(&app, &u, Method::PUT, &path, Some(json!({"title": "Gym", "due_at": "2026-12-07T17:00:00Z"}))).await,
    )
    .await;
    assert_eq!(v["repeat"], Value::Null, "PUT without it clears it");

    // Clearing the due of a recurring task stops the repeat (a rule counts from it).
    ok_json(patch(&app, &u, id, json!({"repeat": "FREQ=YEARLY"})).await).await;
    let v = ok_json(patch(&app, &u, id, json!({"due_at": null})).await).await;
    assert_eq!((&v["due_at"], &v["repeat"]), (&Value::Null, &Value::Null));

    // Bulk update sets it on several tasks at once.
    let p = plain["id"].as_i64().unwrap();
    ok_json(patch(&app, &u, p, json!({"due_date": "2026-12-01"})).await).await;
    ok_json(patch(&app, &u, id, json!({"due_date": "2026-12-02"})).await).await;
    let body = json!({"action": "update", "ids": [id, p], "changes": {"repeat": "FREQ=WEEKLY"}});
    let out = ok_json(send(&app, &u, Method::POST, "/api/{me}/tasks/bulk", Some(body)).await).await;
    assert!(out["tasks"].as_array().unwrap().iter().all(|t| t["repeat"] == "FREQ=WEEKLY"), "{out}");
    assert_eq!(out["next"], json!([]));

    // Trash and restore keep it; export and import carry it.
    let res = send(&app, &u, Method::DELETE, &path, None).await;
    assert_eq!(res.status(), 204);
    let restored = ok_json(send(&app, &u, Method::POST, &format!("{path}/restore"), None).await).await;
    assert_eq!(restored["repeat"], "FREQ=WEEKLY");
    let export = ok_json(send(&app, &u, Method::GET, "/api/auth/export", None).await).await;
    assert!(export["tasks"].as_array().unwrap().iter().all(|t| t["repeat"] == "FREQ=WEEKLY"), "{export}");
    let other = app.sign_up("repeat-import@example.com").await;
    ok_json(send(&app, &other, Method::POST, "/api/auth/import", Some(export)).await).await;
    let imported = all_tasks(&app, &other).await;
    assert_eq!(imported.len(), 2);
    assert!(imported.iter().all(|t| t["repeat"] == "FREQ=WEEKLY"), "{imported:?}");
}

async fn bad_repeats_name_the_field(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let u = app.sign_up("repeat-bad@example.com").await;
    for body in [
        json!({"title": "x", "repeat": "FREQ=DAILY"}),
        json!({"title": "x", "due_date": "2026-12-07", "repeat": "FREQ=HOURLY"}),
        json!({"title": "x", "due_date": "2026-12-07", "repeat": "FREQ=DAILY;COUNT=3"}),
        json!({"title": "x", "due_date": "2026-12-07", "repeat": "FREQ=MONTHLY;BYDAY=MO"}),
        json!({"title": "x", "due_date": "2026-12-07", "repeat": "x".repeat(300)}),
    ] {
        let res = send(&app, &u, Method::POST, "/api/{me}/tasks", Some(body.clone())).await;
        let problem = expect_problem(res, 422, "validation_failed").await;
        assert_eq!(fields(&problem), ["repeat"], "{body}");
    }
    let res = send(&app, &u, Method::POST, "/api/{me}/tasks", Some(json!({"title": "x", "repeat": 7}))).await;
    let problem = expect_problem(res, 422, "validation_failed").await;
    assert!(problem.to_string().contains("repeat"), "{problem}");

    let t = app.create_task(&u, json!({"title": "no due"})).await;
    let id = t["id"].as_i64().unwrap();
    let problem =
        expect_problem(patch(&app, &u, id, json!({"repeat": "FREQ=LY"})).await, 422, "validation_failed").await;
    assert_eq!(fields(&problem), ["repeat"]);
    // A rule on a task without a due: a conflict with the task's state, named.
    let problem = expect_problem(patch(&app, &u, id, json!({"repeat": "FREQ=DAILY"})).await, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap().starts_with("repeat:"), "{problem}");
    let body = json!({"action": "update", "ids": [id], "changes": {"repeat": "FREQ=DAILY"}});
    let res = send(&app, &u, Method::POST, "/api/{me}/tasks/bulk", Some(body)).await;
    let problem = expect_problem(res, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap().starts_with("repeat:"), "{problem}");
    let v = get(&app, &u, id).await;
    assert_eq!(v["repeat"], Value::Null, "nothing changed");
    // With a due in the same change it is fine.
    let v = ok_json(patch(&app, &u, id, json!({"repeat": "FREQ=DAILY", "due_date": "2026-12-07"})).await).await;
    assert_eq!(v["repeat"], "FREQ=DAILY");
}

async fn completing_creates_the_next_occurrence_once(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let u = sign_up_in(&app, "repeat-next@example.com", "Europe/Berlin").await;
    // Mondays at 09:00 in Berlin; 26 October 2026 is after the change to CET.
    let t = app
        .create_task(
            &u,
            json!({"title": "Standup", "description": "team", "priority": "high", "tags": ["work"],
                   "due_at": "2026-10-19T07:00:00Z", "repeat": "FREQ=WEEKLY;BYDAY=MO"}),
        )
        .await;
    let id = t["id"].as_i64().unwrap();
    let res = patch(&app, &u, id, json!({"completed": true})).await;
    let next_id = next_header(&res).expect("x-next-task");
    let done = ok_json(res).await;
    assert_eq!(done["completed"], true);
    let next = get(&app, &u, next_id).await;
    assert_eq!(next["due_at"], "2026-10-26T08:00:00Z", "09:00 Berlin after the DST change");
    for field in ["title", "description", "priority", "tags", "repeat"] {
        assert_eq!(next[field], t[field], "{field}");
    }
    assert_eq!(next["completed"], false);

    // Un-completing keeps the next one; completing again creates no other.
    let res = patch(&app, &u, id, json!({"completed": false})).await;
    assert_eq!(next_header(&res), None);
    ok_json(res).await;
    assert_eq!(next_header(&patch(&app, &u, id, json!({"completed": true})).await), None);
    assert_eq!(all_tasks(&app, &u).await.len(), 2);

    // The toggle and PUT complete too; the series goes on from each one.
    let res = send(&app, &u, Method::PATCH, &format!("/api/{{me}}/tasks/{next_id}/complete"), None).await;
    let third = next_header(&res).expect("toggle creates the next");
    assert_eq!(get(&app, &u, third).await["due_at"], "2026-11-02T08:00:00Z");
    let put = json!({"title": "Standup", "due_at": "2026-11-02T08:00:00Z", "repeat": "FREQ=WEEKLY;BYDAY=MO", "completed": true});
    let res = send(&app, &u, Method::PUT, &format!("/api/{{me}}/tasks/{third}"), Some(put)).await;
    let fourth = next_header(&res).expect("PUT creates the next");
    assert_eq!(get(&app, &u, fourth).await["due_at"], "2026-11-09T08:00:00Z");

    // All-day, monthly on the 31st: the next is the next month that has one;
    // through bulk update, which names them in `next`.
    let m = app
        .create_task(&u, json!({"title": "Rent", "due_date": "2026-12-31", "repeat": "FREQ=MONTHLY;BYMONTHDAY=31"}))
        .await;
    let mid = m["id"].as_i64().unwrap();
    let body = json!({"action": "update", "ids": [mid], "changes": {"completed": true}});
    let out = ok_json(send(&app, &u, Method::POST, "/api/{me}/tasks/bulk", Some(body)).await).await;
    assert_eq!(out["next"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["next"][0]["due_date"], "2027-01-31");
    let body = json!({"action": "update", "ids": [mid], "changes": {"completed": true}});
    let out = ok_json(send(&app, &u, Method::POST, "/api/{me}/tasks/bulk", Some(body)).await).await;
    assert_eq!(out["next"], json!([]), "already completed");

    // None after UNTIL; a task that does not repeat makes none.
    let last = app
        .create_task(&u, json!({"title": "Course", "due_date": "2026-12-07", "repeat": "FREQ=WEEKLY;UNTIL=20261210"}))
        .await;
    let before = all_tasks(&app, &u).await.len();
    let res = patch(&app, &u, last["id"].as_i64().unwrap(), json!({"completed": true})).await;
    assert_eq!(next_header(&res), None);
    let once = app.create_task(&u, json!({"title": "once", "due_date": "2026-12-07"})).await;
    let res = patch(&app, &u, once["id"].as_i64().unwrap(), json!({"completed": true})).await;
    assert_eq!(next_header(&res), None);
    assert_eq!(all_tasks(&app, &u).await.len(), before + 1);
}

async fn the_quota_counts_the_next_occurrence(db: Db) {
    let app = TestApp::builder().database(db).config(|a| a.quotas.quota_tasks_per_user = 2).start().await;
    let u = app.sign_up("repeat-quota@example.com").await;
    let t = app.create_task(&u, json!({"title": "Daily", "due_date": "2026-12-07", "repeat": "FREQ=DAILY"})).await;
    let id = t["id"].as_i64().unwrap();
    app.create_task(&u, json!({"title": "other"})).await;
    let res = patch(&app, &u, id, json!({"completed": true, "title": "renamed"})).await;
    expect_problem(res, 429, "task_quota_exceeded").await;
    let v = get(&app, &u, id).await;
    assert_eq!((&v["completed"], &v["title"]), (&json!(false), &json!("Daily")), "nothing changed");
    let res = send(&app, &u, Method::PATCH, &format!("/api/{{me}}/tasks/{id}/complete"), None).await;
    expect_problem(res, 429, "task_quota_exceeded").await;
    assert_eq!(all_tasks(&app, &u).await.len(), 2);
    // With room, the complete goes through and the next one is the second task.
    let other = all_tasks(&app, &u).await.into_iter().find(|t| t["title"] == "other").unwrap();
    let res = send(&app, &u, Method::DELETE, &format!("/api/{{me}}/tasks/{}", other["id"]), None).await;
    assert_eq!(res.status(), 204);
    let res = patch(&app, &u, id, json!({"completed": true})).await;
    assert!(next_header(&res).is_some());
}

async fn concurrent_completes_on_two_replicas_create_one_next(db: Db) {
    let a = TestApp::builder().database(db).start().await;
    let b = TestApp::builder().on_database(&a.database_url).start().await;
    let u = sign_up_in(&a, "repeat-race@example.com", "Europe/Berlin").await;
    let first =
        a.create_task(&u, json!({"title": "Water", "due_at": "2026-03-20T08:00:00Z", "repeat": "FREQ=DAILY"})).await;
    let mut id = first["id"].as_i64().unwrap();
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        let body = json!({"completed": true});
        let (ra, rb) = tokio::join!(patch(&a, &u, id, body.clone()), patch(&b, &u, id, body));
        let nexts: Vec<i64> = [&ra, &rb].iter().filter_map(|r| next_header(r)).collect();
        assert!(ra.status().is_success() && rb.status().is_success(), "round {round}: {} {}", ra.status(), rb.status());
        assert_eq!(nexts.len(), 1, "round {round}: exactly one complete creates the next");
        let tasks = all_tasks(&a, &u).await;
        assert_eq!(tasks.len(), round + 2, "round {round}");
        assert_eq!(tasks.iter().filter(|t| t["completed"] == false).count(), 1, "round {round}");
        id = nexts[0];
    }
    // 09:00 Berlin every day, across the change to summer time on 29 March.
    let last = get(&a, &u, id).await;
    assert_eq!(last["due_at"], "2026-04-09T07:00:00Z");
}

async fn mcp_call(app: &TestApp, user: &User, name: &str, arguments: Value) -> Value {
    let res = app.mcp(&user.token, "tools/call", json!({"name": name, "arguments": arguments})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert!(v.get("error").is_none(), "{v}");
    assert_eq!(v["result"]["isError"], false, "{v}");
    let text = v["result"]["content"][0]["text"].as_str().unwrap();
    serde_json::from_str(text).unwrap()
}

async fn the_tools_take_and_show_repeat(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let u = app.sign_up("repeat-tools@example.com").await;
    // An old call without repeat still works.
    let plain = mcp_call(&app, &u, "add_task", json!({"title": "once", "due_date": "2026-12-07"})).await;
    assert_eq!(plain.get("repeat"), None, "{plain}");
    let added = mcp_call(
        &app,
        &u,
        "add_task",
        json!({"title": "Rent", "due_date": "2026-12-01", "repeat": "FREQ=MONTHLY;BYMONTHDAY=1"}),
    )
    .await;
    assert_eq!(added["repeat"], "FREQ=MONTHLY;BYMONTHDAY=1", "{added}");
    assert_eq!(added["repeats"], "every month on the 1st");
    let id = added["task_id"].as_i64().unwrap();
    let listed = mcp_call(&app, &u, "list_tasks", json!({})).await;
    let rent = listed["tasks"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap().clone();
    assert_eq!(rent["repeats"], "every month on the 1st");
    let updated = mcp_call(&app, &u, "update_task", json!({"task_id": plain["task_id"], "repeat": "FREQ=DAILY"})).await;
    assert_eq!(updated["repeats"], "daily");
    let updated = mcp_call(&app, &u, "update_task", json!({"task_id": plain["task_id"], "title": "still once"})).await;
    assert_eq!(updated["repeat"], "FREQ=DAILY", "an update without repeat keeps it");
    let done = mcp_call(&app, &u, "complete_task", json!({"task_id": id})).await;
    assert_eq!(done["next_due_date"], "2027-01-01", "{done}");
    assert_eq!(get(&app, &u, done["next_task_id"].as_i64().unwrap()).await["title"], "Rent");
    // A rule on a task without a due is told to the client, not a failure.
    let nodue = mcp_call(&app, &u, "add_task", json!({"title": "no due"})).await;
    let res = app
        .mcp(
            &u.token,
            "tools/call",
            json!({"name": "update_task", "arguments": {"task_id": nodue["task_id"], "repeat": "FREQ=DAILY"}}),
        )
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["result"]["isError"], true, "{v}");
    assert!(v["result"]["content"][0]["text"].as_str().unwrap().contains("repeat"), "{v}");
}

async fn chat(app: &TestApp, user: &User, message: &str) -> String {
    let body = json!({"message": message});
    let v = ok_json(send(app, user, Method::POST, "/api/{me}/chat", Some(body)).await).await;
    v["response"].as_str().unwrap().to_string()
}

async fn the_builtin_assistant_adds_lists_and_completes_repeats(db: Db) {
    let app = TestApp::builder().database(db).config(|a| a.llm.llm_provider = Some("builtin".into())).start().await;
    let u = app.sign_up("repeat-builtin@example.com").await;
    let reply = chat(&app, &u, "add pay rent every month on the 1st").await;
    assert!(reply.contains("repeating every month on the 1st"), "{reply}");
    let tasks = all_tasks(&app, &u).await;
    assert_eq!(tasks[0]["repeat"], "FREQ=MONTHLY;BYMONTHDAY=1", "{tasks:?}");
    let first_due = tasks[0]["due_date"].as_str().unwrap().to_string();
    assert!(first_due.ends_with("-01"), "{first_due}");
    let reply = chat(&app, &u, "what's pending?").await;
    assert!(reply.contains("repeats every month on the 1st"), "{reply}");
    let reply = chat(&app, &u, "complete task 1").await;
    assert!(reply.contains("the next one is #2 Pay rent"), "{reply}");
    let next = get(&app, &u, 2).await;
    assert_eq!(next["repeat"], "FREQ=MONTHLY;BYMONTHDAY=1");
    assert!(next["due_date"].as_str().unwrap() > first_due.as_str());
}
