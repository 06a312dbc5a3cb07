//! Users' time zones and all-day due dates, on SQLite and PostgreSQL: the zone
//! at sign-up and in settings, all-day versus timed tasks, and the `due`
//! filters and the due sort computed from the user's local midnights, through
//! the REST API, the MCP tools and the built-in assistant.

use chrono::{DateTime, Days, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use todo_domain::zone::{local_date, start_of_day};

use crate::common::{TestApp, User, expect_problem, fields};

on_both_databases!(
    the_zone_is_chosen_at_sign_up_returned_and_editable,
    all_day_and_timed_due_dates_are_exclusive,
    due_filters_and_sort_follow_the_users_local_days,
    mcp_tools_take_all_day_dates_and_answer_in_local_time,
    the_builtin_assistant_reads_today_in_the_users_zone,
);

async fn sign_up_in(app: &TestApp, email: &str, zone: Option<&str>) -> (User, Value) {
    let mut body = json!({"email": email, "password": "correct horse", "name": "Zoned"});
    if let Some(z) = zone {
        body["time_zone"] = json!(z);
    }
    let res = app.req(Method::POST, "/api/auth/sign-up").json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201, "sign-up in {zone:?}");
    let v: Value = res.json().await.unwrap();
    let user = User {
        id: v["user"]["id"].as_str().unwrap().into(),
        email: email.into(),
        token: v["token"].as_str().unwrap().into(),
    };
    (user, v["user"].clone())
}

async fn the_zone_is_chosen_at_sign_up_returned_and_editable(app: TestApp) {
    let (_, plain) = sign_up_in(&app, "plain@example.com", None).await;
    assert_eq!(plain["time_zone"], "UTC", "no zone sent: UTC");
    let (u, user) = sign_up_in(&app, "tokyo@example.com", Some("asia/tokyo")).await;
    assert_eq!(user["time_zone"], "Asia/Tokyo", "stored in the database's spelling");
    let me: Value = app.as_user(Method::GET, &u, "/api/auth/me").send().await.unwrap().json().await.unwrap();
    assert_eq!(me["time_zone"], "Asia/Tokyo");

    let res = app
        .req(Method::POST, "/api/auth/sign-up")
        .json(&json!({"email": "mars@example.com", "password": "correct horse", "name": "M", "time_zone": "Mars/Olympus"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["time_zone"]);

    let patch = |body: Value| app.as_user(Method::PATCH, &u, "/api/auth/me").json(&body).send();
    let res = patch(json!({"time_zone": "America/Los_Angeles"})).await.unwrap();
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!((changed["time_zone"].as_str(), changed["name"].as_str()), (Some("America/Los_Angeles"), Some("Zoned")));
    for bad in [json!({"time_zone": "Europe/Atlantis"}), json!({"time_zone": ""}), json!({"time_zone": "+09:00"})] {
        let res = patch(bad.clone()).await.unwrap();
        assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["time_zone"], "{bad}");
    }
    let res = patch(json!({})).await.unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["body"]);
    let me: Value = app.as_user(Method::GET, &u, "/api/auth/me").send().await.unwrap().json().await.unwrap();
    assert_eq!(me["time_zone"], "America/Los_Angeles", "a refused change changes nothing");
}

async fn all_day_and_timed_due_dates_are_exclusive(app: TestApp) {
    let (u, _) = sign_up_in(&app, "allday@example.com", Some("Europe/Berlin")).await;
    let day = app.create_task(&u, json!({"title": "Pay rent", "due_date": "2026-12-04"})).await;
    assert_eq!((day["due_date"].as_str(), day["due_at"].as_null()), (Some("2026-12-04"), Some(())));
    let id = day["id"].as_i64().unwrap();
    let path = format!("/api/{{me}}/tasks/{id}");

    let res = app
        .as_user(Method::POST, &u, "/api/{me}/tasks")
        .json(&json!({"title": "Both", "due_at": "2026-12-04T17:00:00Z", "due_date": "2026-12-04"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["due_date"]);
    let res = app
        .as_user(Method::PATCH, &u, &path)
        .json(&json!({"due_at": "2026-12-04T17:00:00Z", "due_date": "2026-12-05"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["due_date"]);
    for bad in [json!({"due_date": "2026-02-30"}), json!({"due_date": "tomorrow"}), json!({"due_date": 20261204})] {
        let res = app.as_user(Method::PATCH, &u, &path).json(&bad).send().await.unwrap();
        let problem = expect_problem(res, 422, "validation_failed").await;
        assert_eq!(fields(&problem), ["due_date"], "{bad}: {problem}");
    }
    let get = || async { app.as_user(Method::GET, &u, &path).send().await.unwrap().json::<Value>().await.unwrap() };
    assert_eq!(get().await["due_date"], "2026-12-04", "nothing half-written");

    // A time replaces the day, and a day replaces the time.
    let res = app.as_user(Method::PATCH, &u, &path).json(&json!({"due_at": "2026-12-04T16:00:00Z"})).send().await;
    let t: Value = res.unwrap().json().await.unwrap();
    assert_eq!((t["due_at"].as_str(), t["due_date"].as_null()), (Some("2026-12-04T16:00:00Z"), Some(())));
    let res = app.as_user(Method::PATCH, &u, &path).json(&json!({"due_date": "2026-12-06"})).send().await;
    let t: Value = res.unwrap().json().await.unwrap();
    assert_eq!((t["due_date"].as_str(), t["due_at"].as_null()), (Some("2026-12-06"), Some(())));
    // PUT is a whole task: an omitted due date is none.
    let res = app.as_user(Method::PUT, &u, &path).json(&json!({"title": "Pay rent"})).send().await;
    let t: Value = res.unwrap().json().await.unwrap();
    assert_eq!((t["due_date"].as_null(), t["due_at"].as_null()), (Some(()), Some(())));
    let res = app.as_user(Method::PUT, &u, &path).json(&json!({"title": "Pay rent", "due_date": "2027-01-01"})).send();
    assert_eq!(res.await.unwrap().json::<Value>().await.unwrap()["due_date"], "2027-01-01");
    let res = app.as_user(Method::PATCH, &u, &path).json(&json!({"due_date": null})).send().await;
    assert_eq!(res.unwrap().json::<Value>().await.unwrap()["due_date"], Value::Null);
    assert_eq!(get().await["due_date"], Value::Null);
    // The list carries the new field, from the cache or not.
    let list: Vec<Value> = app.as_user(Method::GET, &u, "/api/{me}/tasks").send().await.unwrap().json().await.unwrap();
    assert!(list.iter().all(|t| t.as_object().unwrap().contains_key("due_date")), "{list:?}");
}

fn zone(name: &str) -> jiff::tz::TimeZone {
    todo_domain::lookup_time_zone(name).unwrap().1
}

fn rfc3339(t: DateTime<Utc>) -> String {
    todo_domain::timestamp::to_rfc3339(&t)
}

/// Six tasks around the user's today, by local midnights: (title, body).
fn around_today(today: NaiveDate, tz: &jiff::tz::TimeZone) -> Vec<(&'static str, Value)> {
    let day = |n: i64| today.checked_add_signed(chrono::Duration::days(n)).unwrap();
    let ms = chrono::Duration::milliseconds(1);
    vec![
        ("all day yesterday", json!({"due_date": day(-1).to_string()})),
        ("late yesterday", json!({"due_at": rfc3339(start_of_day(today, tz) - ms)})),
        ("all day today", json!({"due_date": today.to_string()})),
        ("last moment of today", json!({"due_at": rfc3339(start_of_day(day(1), tz) - ms)})),
        ("all day in 6 days", json!({"due_date": day(6).to_string()})),
        ("all day in 7 days", json!({"due_date": day(7).to_string()})),
    ]
}

async fn due_filters_and_sort_follow_the_users_local_days(app: TestApp) {
    // Tokyo (UTC+9) and Los Angeles (UTC-8/-7): at any instant their dates
    // differ for 16 or 17 hours of the day, and neither is UTC.
    for name in ["Asia/Tokyo", "America/Los_Angeles"] {
        let tz = zone(name);
        let email = format!("{}@example.com", name.replace('/', "-").to_lowercase());
        let (u, _) = sign_up_in(&app, &email, Some(name)).await;
        // A run that straddles a local midnight is repeated with the new day.
        for attempt in 0.. {
            let today = local_date(Utc::now(), &tz);
            for (title, due) in around_today(today, &tz) {
                let mut body = due.clone();
                body["title"] = json!(title);
                app.create_task(&u, body).await;
            }
            let today_list = app.list(&u, "due=today&sort=due").await;
            let overdue = app.list(&u, "due=overdue&sort=due").await;
            let week = app.list(&u, "due=week&sort=due").await;
            let all = app.list(&u, "sort=due").await;
            if local_date(Utc::now(), &tz) != today && attempt == 0 {
                for t in app
                    .as_user(Method::GET, &u, "/api/{me}/tasks")
                    .send()
                    .await
                    .unwrap()
                    .json::<Vec<Value>>()
                    .await
                    .unwrap()
                {
                    app.as_user(Method::DELETE, &u, &format!("/api/{{me}}/tasks/{}", t["id"])).send().await.unwrap();
                }
                continue;
            }
            let titles = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            assert_eq!(today_list.1, titles(&["all day today", "last moment of today"]), "{name}");
            assert_eq!(overdue.1, titles(&["all day yesterday", "late yesterday"]), "{name}");
            assert_eq!(week.1, titles(&["all day today", "last moment of today", "all day in 6 days"]), "{name}");
            // All-day tasks sort at the start of their local day: after the
            // last moment of the day before, before anything later that day.
            assert_eq!(
                all.1,
                titles(&[
                    "all day yesterday",
                    "late yesterday",
                    "all day today",
                    "last moment of today",
                    "all day in 6 days",
                    "all day in 7 days",
                ]),
                "{name}"
            );
            assert_eq!(app.list(&u, "due=week&sort=due&order=desc").await.1[0], "all day in 6 days");
            // A completed all-day task is no longer overdue.
            let id = app.as_user(Method::GET, &u, "/api/{me}/tasks?due=overdue&sort=due").send().await.unwrap();
            let first = id.json::<Vec<Value>>().await.unwrap()[0]["id"].as_i64().unwrap();
            app.as_user(Method::PATCH, &u, &format!("/api/{{me}}/tasks/{first}/complete")).send().await.unwrap();
            assert_eq!(app.list(&u, "due=overdue").await.1, ["late yesterday"], "{name}");
            break;
        }
    }
}

async fn mcp_tools_take_all_day_dates_and_answer_in_local_time(app: TestApp) {
    let (u, _) = sign_up_in(&app, "mcp-la@example.com", Some("America/Los_Angeles")).await;
    let call = |tool: &str, args: Value| {
        let req = app.mcp(&u.token, "tools/call", json!({"name": tool, "arguments": args}));
        async move {
            let v: Value = req.send().await.unwrap().json().await.unwrap();
            assert!(v.get("error").is_none() && v["result"]["isError"] != true, "{v}");
            v["result"]["structuredContent"].clone()
        }
    };
    // The original signature still works; a bare date is all day, a local
    // time is read in the user's zone.
    call("add_task", json!({"title": "Plain"})).await;
    call("add_task", json!({"title": "Rent", "due_at": "2026-12-04"})).await;
    call("add_task", json!({"title": "Call", "due_at": "2026-12-04T17:00"})).await;
    call("add_task", json!({"title": "Dentist", "due_date": "2026-12-05"})).await;
    let listed = call("list_tasks", json!({})).await;
    let by_title = |t: &str| listed["tasks"].as_array().unwrap().iter().find(|x| x["title"] == t).unwrap().clone();
    assert_eq!(listed["time_zone"], "America/Los_Angeles");
    assert_eq!(
        (by_title("Rent")["due_date"].as_str(), by_title("Rent")["due_at"].as_null()),
        (Some("2026-12-04"), Some(()))
    );
    assert_eq!(by_title("Call")["due_at"], "2026-12-04T17:00:00-08:00", "local time, with the user's offset");
    assert_eq!(by_title("Dentist")["due_date"], "2026-12-05");
    let rest: Vec<Value> = app.as_user(Method::GET, &u, "/api/{me}/tasks").send().await.unwrap().json().await.unwrap();
    let call_task = rest.iter().find(|t| t["title"] == "Call").unwrap();
    assert_eq!(call_task["due_at"], "2026-12-05T01:00:00Z", "the API keeps the instant in UTC");
    let id = by_title("Call")["id"].as_i64().unwrap();
    call("update_task", json!({"task_id": id, "due_date": "2026-12-06"})).await;
    let t: Value =
        app.as_user(Method::GET, &u, &format!("/api/{{me}}/tasks/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!((t["due_date"].as_str(), t["due_at"].as_null()), (Some("2026-12-06"), Some(())));
    let v: Value = app
        .mcp(&u.token, "tools/call", json!({"name": "add_task", "arguments": {"title": "x", "due_date": "someday"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["result"]["isError"], true, "{v}");
}

async fn the_builtin_assistant_reads_today_in_the_users_zone(app: TestApp) {
    for name in ["Asia/Tokyo", "America/Los_Angeles"] {
        let tz = zone(name);
        let (u, _) = sign_up_in(&app, &format!("chat-{}@example.com", name.replace('/', "-")), Some(name)).await;
        let before = local_date(Utc::now(), &tz);
        let res = app
            .as_user(Method::POST, &u, "/api/{me}/chat")
            .json(&json!({"message": "add a task to pay rent tomorrow"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let reply: Value = res.json().await.unwrap();
        let after = local_date(Utc::now(), &tz);
        let tasks: Vec<Value> =
            app.as_user(Method::GET, &u, "/api/{me}/tasks").send().await.unwrap().json().await.unwrap();
        let due = tasks[0]["due_date"].as_str().unwrap().parse::<NaiveDate>().unwrap();
        assert!(
            [before, after].iter().any(|d| d.checked_add_days(Days::new(1)) == Some(due)),
            "{name}: tomorrow is {due}, the day after {before}: {reply}"
        );
        assert_eq!(tasks[0]["due_at"], Value::Null, "no invented clock time");
        assert!(!reply["response"].as_str().unwrap().contains("UTC"), "{reply}");
    }
}
