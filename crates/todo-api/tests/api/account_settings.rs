//! Accounts people manage themselves: password change, deletion, export and
//! import, on SQLite and PostgreSQL.

use crate::common::{Db, TestApp, User, expect_problem, fields};
use reqwest::Method;
use serde_json::{Value, json};

on_both_databases!(
    password_change_ends_other_sessions,
    password_change_checks_both_fields,
    wrong_passwords_count_for_the_sign_in_throttle,
    deletion_leaves_no_row,
    deletion_needs_the_password,
    export_has_everything_as_an_attachment,
    export_then_import_reproduces_the_tasks,
    invalid_imports_are_422_and_write_nothing,
);

for_both_databases!(imports_over_the_task_quota_write_nothing);

/// The first column of the first row of `statement`, as i64, on the app's
/// database behind its back.
async fn count(app: &TestApp, statement: &str, bind: &str) -> i64 {
    use sqlx::{Connection, Row};
    match app.db {
        Db::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).bind(bind).fetch_one(&mut c).await.unwrap().get::<i64, _>(0)
        }
        Db::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).bind(bind).fetch_one(&mut c).await.unwrap().get::<i64, _>(0)
        }
    }
}

fn change(current: &str, new: &str) -> Value {
    json!({"current_password": current, "new_password": new})
}

async fn sign_in_status(app: &TestApp, email: &str, password: &str) -> u16 {
    app.req(Method::POST, "/api/auth/sign-in")
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn password_change_ends_other_sessions(app: TestApp) {
    let here = app.sign_up("pw@example.com").await;
    let phone = app.sign_in(&here).await;
    let laptop = app.sign_in(&here).await;
    let other = app.sign_up("other-pw@example.com").await;

    let res = app
        .as_user(Method::POST, &here, "/api/auth/password")
        .json(&change("correct horse", "battery staple"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["ended_sessions"], 2);

    assert_eq!(app.list_status(&here).await, 200, "the token that changed it keeps working");
    assert_eq!(app.list_status(&phone).await, 401);
    assert_eq!(app.list_status(&laptop).await, 401);
    assert_eq!(app.list_status(&other).await, 200, "another account is untouched");
    assert_eq!(sign_in_status(&app, "pw@example.com", "correct horse").await, 401);
    assert_eq!(sign_in_status(&app, "pw@example.com", "battery staple").await, 200);
}

async fn password_change_checks_both_fields(app: TestApp) {
    let u = app.sign_up("pw-fields@example.com").await;
    let other = app.sign_in(&u).await;
    let post = |body: Value| app.as_user(Method::POST, &u, "/api/auth/password").json(&body).send();

    let p = expect_problem(post(change("", "short")).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(fields(&p), ["current_password", "new_password"]);
    let p =
        expect_problem(post(change("correct horse", &"x".repeat(129))).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(fields(&p), ["new_password"]);
    let p =
        expect_problem(post(json!({"new_password": "battery staple"})).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(fields(&p), ["current_password"]);

    let p = expect_problem(post(change("wrong horse", "battery staple")).await.unwrap(), 403, "wrong_password").await;
    assert_eq!(fields(&p), ["current_password"]);
    // Nothing changed: the old password and the other session still work.
    assert_eq!(app.list_status(&other).await, 200);
    assert_eq!(sign_in_status(&app, "pw-fields@example.com", "correct horse").await, 200);
}

async fn wrong_passwords_count_for_the_sign_in_throttle(app: TestApp) {
    let u = app.sign_up("pw-throttle@example.com").await;
    for _ in 0..5 {
        let res = app
            .as_user(Method::POST, &u, "/api/auth/password")
            .json(&change("wrong horse", "battery staple"))
            .send()
            .await
            .unwrap();
        expect_problem(res, 403, "wrong_password").await;
    }
    let res = app
        .as_user(Method::POST, &u, "/api/auth/password")
        .json(&change("correct horse", "battery staple"))
        .send()
        .await;
    expect_problem(res.unwrap(), 429, "too_many_sign_in_attempts").await;
    assert_eq!(sign_in_status(&app, "pw-throttle@example.com", "correct horse").await, 429);
}

/// Rows of the user, table by table.
async fn rows_of(app: &TestApp, user: &User, conversations: &[i64]) -> Vec<(&'static str, i64)> {
    let mut rows = Vec::new();
    for (table, statement, bind) in [
        ("users", "SELECT COUNT(*) FROM users WHERE id = $1", user.id.as_str()),
        ("tasks", "SELECT COUNT(*) FROM tasks WHERE user_id = $1", &user.id),
        ("deleted_tasks", "SELECT COUNT(*) FROM deleted_tasks WHERE user_id = $1", &user.id),
        ("conversations", "SELECT COUNT(*) FROM conversations WHERE user_id = $1", &user.id),
        ("sessions", "SELECT COUNT(*) FROM sessions WHERE user_id = $1", &user.id),
        ("user_quotas", "SELECT COUNT(*) FROM user_quotas WHERE user_id = $1", &user.id),
        ("auth_throttle", "SELECT COUNT(*) FROM auth_throttle WHERE key LIKE '%:' || $1", &user.email),
        ("sign_in_failures", "SELECT COUNT(*) FROM sign_in_failures WHERE email = $1", &user.email),
    ] {
        rows.push((table, count(app, statement, bind).await));
    }
    let mut messages = 0;
    for c in conversations {
        let q = format!("SELECT COUNT(*) FROM messages WHERE conversation_id = {c} AND $1 <> ''");
        messages += count(app, &q, "x").await;
    }
    rows.push(("messages", messages));
    rows
}

async fn conversation_ids(app: &TestApp, user: &User) -> Vec<i64> {
    let list: Vec<Value> =
        app.as_user(Method::GET, user, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    list.iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

async fn deletion_leaves_no_row(app: TestApp) {
    let u = app.sign_up("leaving@example.com").await;
    let stay = app.sign_up("staying@example.com").await;
    for who in [&u, &stay] {
        app.create_task(who, json!({"title": "Buy milk", "tags": ["home"]})).await;
        app.create_task(who, json!({"title": "Pay rent", "due_date": "2030-01-01"})).await;
        // In the trash, restorable: the account's row too.
        app.create_task(who, json!({"title": "Binned"})).await;
        assert_eq!(app.as_user(Method::DELETE, who, "/api/{me}/tasks/3").send().await.unwrap().status(), 204);
        let res = app.as_user(Method::POST, who, "/api/{me}/chat").json(&json!({"message": "add a task to call mum"}));
        assert_eq!(res.send().await.unwrap().status(), 200);
    }
    let second = app.sign_in(&u).await;
    // A failed sign-in from another address leaves a throttle row keyed by
    // the email (this address's is reset when the password confirms the deletion).
    let insert = "INSERT INTO auth_throttle (key, attempts, window_start, locked_until, admitted_by) \
                  VALUES ('sign-in:203.0.113.9:' || $1, 1, 0, 0, 'x')";
    sqlx_execute(&app, insert, &u.email).await;
    sqlx_execute(&app, insert, &stay.email).await;
    // The old per-email table, as an earlier version wrote it.
    let insert = "INSERT INTO sign_in_failures (email, failures, locked_until) VALUES ($1, 1, 0)";
    sqlx_execute(&app, insert, &u.email).await;
    let conversations = conversation_ids(&app, &u).await;
    assert_eq!(conversations.len(), 1);
    for (table, n) in rows_of(&app, &u, &conversations).await {
        assert!(n > 0, "the test sees the user's {table} before the deletion");
    }
    let before_stay = rows_of(&app, &stay, &conversation_ids(&app, &stay).await).await;

    let res = app.as_user(Method::POST, &u, "/api/auth/delete-account").json(&json!({"password": "correct horse"}));
    assert_eq!(res.send().await.unwrap().status(), 204);

    for (table, n) in rows_of(&app, &u, &conversations).await {
        assert_eq!(n, 0, "rows of the deleted user left in {table}");
    }
    assert_eq!(rows_of(&app, &stay, &conversation_ids(&app, &stay).await).await, before_stay);
    for token in [&u, &second] {
        expect_problem(app.as_user(Method::GET, token, "/api/auth/me").send().await.unwrap(), 401, "unauthorized")
            .await;
    }
    assert_eq!(sign_in_status(&app, &u.email, "correct horse").await, 401);
    // The address is free again.
    app.sign_up("leaving@example.com").await;
}

async fn sqlx_execute(app: &TestApp, statement: &str, bind: &str) {
    use sqlx::Connection;
    match app.db {
        Db::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).bind(bind).execute(&mut c).await.unwrap();
        }
        Db::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).bind(bind).execute(&mut c).await.unwrap();
        }
    }
}

async fn deletion_needs_the_password(app: TestApp) {
    let u = app.sign_up("careful@example.com").await;
    app.create_task(&u, json!({"title": "Keep me"})).await;
    let post = |body: Value| app.as_user(Method::POST, &u, "/api/auth/delete-account").json(&body).send();
    let p = expect_problem(post(json!({"password": ""})).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(fields(&p), ["password"]);
    let p = expect_problem(post(json!({"password": "wrong horse"})).await.unwrap(), 403, "wrong_password").await;
    assert_eq!(fields(&p), ["password"]);
    assert_eq!(app.list(&u, "").await.1, ["Keep me"]);
}

async fn export(app: &TestApp, user: &User) -> Value {
    let res = app.as_user(Method::GET, user, "/api/auth/export").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment; filename=\"todo-export-"), "{disposition}");
    res.json().await.unwrap()
}

async fn import(app: &TestApp, user: &User, document: &Value) -> reqwest::Response {
    app.as_user(Method::POST, user, "/api/auth/import").json(document).send().await.unwrap()
}

/// Tasks of a user as the list returns them, without what an import renumbers
/// or restamps.
async fn task_fields(app: &TestApp, user: &User) -> Vec<Value> {
    let res = app.as_user(Method::GET, user, "/api/{me}/tasks?limit=100&sort=created&order=asc").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let tasks: Vec<Value> = res.json().await.unwrap();
    tasks
        .into_iter()
        .map(|mut t| {
            let o = t.as_object_mut().unwrap();
            for renumbered in ["id", "user_id", "created_at", "updated_at", "completed_at"] {
                o.remove(renumbered);
            }
            t
        })
        .collect()
}

async fn some_tasks(app: &TestApp, user: &User) {
    app.create_task(
        user,
        json!({"title": "Buy milk", "description": "2 litres", "priority": "high", "tags": ["home", "shop"]}),
    )
    .await;
    app.create_task(user, json!({"title": "Pay rent", "due_date": "2030-01-01", "priority": "urgent"})).await;
    app.create_task(user, json!({"title": "Call mum", "due_at": "2030-02-03T17:00:00Z", "completed": true})).await;
    app.create_task(user, json!({"title": "Plain"})).await;
}

async fn export_has_everything_as_an_attachment(app: TestApp) {
    let u = app.sign_up("export@example.com").await;
    some_tasks(&app, &u).await;
    let res = app.as_user(Method::POST, &u, "/api/{me}/chat").json(&json!({"message": "add a task to water plants"}));
    assert_eq!(res.send().await.unwrap().status(), 200);
    let other = app.sign_up("not-exported@example.com").await;
    app.create_task(&other, json!({"title": "Not mine"})).await;

    let doc = export(&app, &u).await;
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["account"]["email"], "export@example.com");
    assert!(doc["account"].get("password_hash").is_none());
    assert!(!doc.to_string().contains("$argon2"), "no password hash anywhere");
    let titles: Vec<&str> = doc["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Buy milk", "Pay rent", "Call mum", "Plain", "Water plants"]);
    assert_eq!(doc["tasks"][1]["due_date"], "2030-01-01");
    assert_eq!(doc["tasks"][0]["tags"], json!(["home", "shop"]));
    let conversations = doc["conversations"].as_array().unwrap();
    assert_eq!(conversations.len(), 1);
    let messages = conversations[0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["tool_calls"][0]["tool"], "add_task");
}

async fn export_then_import_reproduces_the_tasks(app: TestApp) {
    let from = app.sign_up("from@example.com").await;
    some_tasks(&app, &from).await;
    let res =
        app.as_user(Method::POST, &from, "/api/{me}/chat").json(&json!({"message": "add a task to water plants"}));
    assert_eq!(res.send().await.unwrap().status(), 200);
    let doc = export(&app, &from).await;

    // Into another account (on another server: the document is all it gets).
    let other_server = TestApp::builder().database(app.db).start().await;
    let to = other_server.sign_up("to@example.com").await;
    other_server.create_task(&to, json!({"title": "Already here"})).await;
    let res = import(&other_server, &to, &doc).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"tasks": 5, "conversations": 1, "messages": 2}));

    let imported = task_fields(&other_server, &to).await;
    assert_eq!(imported[0]["title"], "Already here");
    assert_eq!(imported[1..], task_fields(&app, &from).await[..], "the tasks' fields, in order");
    // New numbers after the account's own, in the export's order.
    let again = export(&other_server, &to).await;
    let numbers: Vec<i64> = again["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
    let strip = |c: &Value| {
        c["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| json!([m["role"], m["content"], m["tool_calls"], m["assistant"], m["created_at"]]))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&again["conversations"][0]), strip(&doc["conversations"][0]));
    assert_eq!(again["conversations"][0]["title"], doc["conversations"][0]["title"]);
    // The imported conversation goes on like any other.
    let c = again["conversations"][0]["id"].as_i64().unwrap();
    let res = other_server
        .as_user(Method::POST, &to, "/api/{me}/chat")
        .json(&json!({"conversation_id": c, "message": "show my tasks"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn invalid_imports_are_422_and_write_nothing(app: TestApp) {
    let u = app.sign_up("bad-import@example.com").await;
    let good = json!({"title": "Fine"});
    let cases = [
        (json!({"version": 2, "tasks": [good]}), vec!["version"]),
        (
            json!({"version": 1, "tasks": [good, {"title": ""}, {"title": "x", "tags": ["no spaces!"]}]}),
            vec!["tasks[1].title", "tasks[2].tags"],
        ),
        (
            json!({"version": 1, "tasks": [{"title": "Both", "due_at": "2030-01-01T00:00:00Z", "due_date": "2030-01-01"}]}),
            vec!["tasks[0].due_date"],
        ),
        // Stored text obeys the rules of every text (PostgreSQL cannot store NUL),
        // and a tool call's result is an object, as the messages' schema says.
        (
            json!({"version": 1, "conversations": [
                {"title": "a\u{0}b", "messages": [
                    {"role": "user", "content": "nul \u{0} here"},
                    {"role": "assistant", "content": "ok", "assistant": "x\u{1}",
                     "tool_calls": [{"id": "1", "tool": "add_task", "arguments": {}, "result": false}]}]}]}),
            vec![
                "conversations[0].title",
                "conversations[0].messages[0].content",
                "conversations[0].messages[1].assistant",
                "conversations[0].messages[1].tool_calls[0].result",
            ],
        ),
    ];
    for (doc, expected) in cases {
        let p = expect_problem(import(&app, &u, &doc).await, 422, "validation_failed").await;
        let named = fields(&p);
        for field in &expected {
            assert!(named.iter().any(|n| n.starts_with(field)), "{field} named in {named:?} for {doc}");
        }
    }
    let p = expect_problem(import(&app, &u, &json!({"tasks": []})).await, 422, "validation_failed").await;
    assert_eq!(fields(&p), ["version"]);
    let p = expect_problem(
        import(&app, &u, &json!({"version": 1, "tasks": [{"title": "x", "colour": "red"}]})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&p), ["tasks[0].colour"]);
    let p = expect_problem(
        import(
            &app,
            &u,
            &json!({"version": 1, "conversations": [{"title": "x", "messages": [{"role": "robot", "content": "hi"}]}]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(fields(&p)[0].contains("conversations"), "{p}");
    // Over the size limit.
    let huge = json!({"version": 1, "tasks": [{"title": "x", "description": "y".repeat(9 * 1024 * 1024)}]});
    let res = import(&app, &u, &huge).await;
    assert_eq!(res.headers()["connection"], "close", "the unread rest of the body ends the connection");
    expect_problem(res, 413, "payload_too_large").await;
    // A large document within the limit is fine (above the other routes' 64 KiB).
    let many: Vec<Value> =
        (0..400).map(|i| json!({"title": format!("Task {i}"), "description": "d".repeat(200)})).collect();
    let res = import(&app, &u, &json!({"version": 1, "tasks": many})).await;
    assert_eq!(res.status(), 201);
    let (total, titles) = app.list(&u, "limit=1&sort=created&order=asc").await;
    assert_eq!(total, 400, "only the valid import wrote anything");
    assert_eq!(titles, ["Task 0"]);
}

async fn imports_over_the_task_quota_write_nothing(db: Db) {
    let app = TestApp::builder().database(db).config(|a| a.quotas.quota_tasks_per_user = 3).start().await;
    let u = app.sign_up("quota-import@example.com").await;
    app.create_task(&u, json!({"title": "One"})).await;
    let doc = json!({"version": 1, "tasks": [{"title": "Two"}, {"title": "Three"}, {"title": "Four"}],
        "conversations": [{"title": "c", "messages": [{"role": "user", "content": "hi"}]}]});
    expect_problem(import(&app, &u, &doc).await, 429, "task_quota_exceeded").await;
    assert_eq!(app.list(&u, "").await.0, 1);
    let conversations: Vec<Value> =
        app.as_user(Method::GET, &u, "/api/{me}/conversations").send().await.unwrap().json().await.unwrap();
    assert!(conversations.is_empty());
    // Within it, the numbers go on where they were.
    let doc = json!({"version": 1, "tasks": [{"title": "Two"}, {"title": "Three"}]});
    assert_eq!(import(&app, &u, &doc).await.status(), 201);
    let res = app.as_user(Method::GET, &u, "/api/{me}/tasks/3").send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["title"], "Three");
}
