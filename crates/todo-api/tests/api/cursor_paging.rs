//! Keyset (cursor) paging: the same pages in the same order as offset paging
//! through every sort and filter, and a walk that a change in the middle of it
//! cannot make skip or repeat a task.

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Db, TestApp, User, expect_problem, fields};
use crate::search::run_sql;

for_both_databases!(
    cursor_pages_are_the_offset_pages,
    a_change_while_paging_skips_or_repeats_nothing,
    cursors_are_checked
);

/// One page: the task numbers, the total and the next cursor (with its Link).
async fn page(app: &TestApp, u: &User, query: &str) -> (Vec<i64>, i64, Option<String>) {
    let res = app.as_user(Method::GET, u, &format!("/api/{{me}}/tasks?{query}")).send().await.unwrap();
    assert_eq!(res.status(), 200, "?{query}");
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    let total = header("x-total-count").unwrap().parse().unwrap();
    let cursor = header("x-next-cursor");
    let link = header("link");
    match (&cursor, &link) {
        (Some(c), Some(l)) => {
            assert!(l.starts_with(&format!("</api/{}/tasks?", u.id)), "{l}");
            assert!(l.ends_with(&format!("cursor={c}>; rel=\"next\"")), "{l}");
            assert!(!l.contains("offset="), "{l}");
        }
        (None, None) => {}
        _ => panic!("cursor {cursor:?} and link {link:?} come together"),
    }
    let tasks: Vec<Value> = res.json().await.unwrap();
    (tasks.iter().map(|t| t["id"].as_i64().unwrap()).collect(), total, cursor)
}

/// Every page of `query` by offset, then by cursor, `size` at a time.
async fn walks(app: &TestApp, u: &User, query: &str, size: usize) -> (Vec<i64>, Vec<i64>, i64) {
    let mut by_offset = Vec::new();
    loop {
        let (ids, _, _) = page(app, u, &format!("{query}&limit={size}&offset={}", by_offset.len())).await;
        let last = ids.len() < size;
        by_offset.extend(ids);
        if last {
            break;
        }
    }
    let (mut by_cursor, total, mut next) = page(app, u, &format!("{query}&limit={size}")).await;
    let mut pages = 1;
    while let Some(cursor) = next {
        let (ids, page_total, after) = page(app, u, &format!("{query}&limit={size}&cursor={cursor}")).await;
        assert!(!ids.is_empty(), "a cursor never leads to an empty page ({query})");
        assert_eq!(page_total, total, "every page counts every match");
        by_cursor.extend(ids);
        next = after;
        pages += 1;
        assert!(pages <= 200, "the walk ends");
    }
    (by_offset, by_cursor, total)
}

/// Random tasks with many ties: titles that differ only in case, a few
/// creation and change times shared by several tasks, due instants, all-day
/// dues and none, every priority, some completed.
async fn seed(app: &TestApp, db: Db, u: &User, rng: &mut StdRng, n: usize) {
    let titles = ["alpha", "Alpha", "beta", "BETA", "gamma", "delta"];
    let priorities = ["low", "medium", "high", "urgent"];
    for _ in 0..n {
        let mut body = json!({
            "title": titles[rng.gen_range(0..titles.len())],
            "priority": priorities[rng.gen_range(0..priorities.len())],
        });
        match rng.gen_range(0..3) {
            0 => {
                body["due_at"] = json!(format!("2027-01-{:02}T{:02}:00:00Z", rng.gen_range(1..4), rng.gen_range(0..24)))
            }
            1 => body["due_date"] = json!(format!("2027-01-{:02}", rng.gen_range(1..4))),
            _ => {}
        }
        if rng.gen_bool(0.3) {
            body["tags"] = json!(["x"]);
        }
        let task = app.create_task(u, body).await;
        if rng.gen_bool(0.3) {
            let id = task["id"].as_i64().unwrap();
            let res = app
                .as_user(Method::PATCH, u, &format!("/api/{{me}}/tasks/{id}"))
                .json(&json!({"completed": true}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
    }
    // Ties on the times: three creation instants and four change instants.
    let ties = "UPDATE tasks SET created_at = 1796000000000 + (number % 3), updated_at = 1796000000000 + (number % 4) \
                WHERE user_id = $1";
    run_sql(db, &app.database_url, ties, &[&u.id]).await;
}

async fn cursor_pages_are_the_offset_pages(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let sorts = ["created", "updated", "due", "priority", "title"];
    let filters = ["", "status=pending", "priority=high", "tag=x", "q=alp&status=all"];
    for round in 0..3u64 {
        let mut rng = StdRng::seed_from_u64(round);
        let u = app.sign_up(&format!("pager-{round}@example.com")).await;
        seed(&app, db, &u, &mut rng, 30 + 15 * round as usize).await;
        for sort in sorts {
            for order in ["asc", "desc"] {
                for filter in filters {
                    let query = format!("sort={sort}&order={order}&{filter}");
                    let size = rng.gen_range(1..8);
                    let (by_offset, by_cursor, total) = walks(&app, &u, &query, size).await;
                    assert_eq!(by_cursor, by_offset, "{query}, {size} a page");
                    assert_eq!(by_cursor.len() as i64, total, "{query}: every match once");
                    let (one_page, _, next) = page(&app, &u, &format!("{query}&limit=100")).await;
                    assert_eq!(by_cursor, one_page, "{query}: the pages make the whole list");
                    assert_eq!(next, None, "a page that holds everything is the last");
                }
            }
        }
    }
    app.stop().await;
}

async fn a_change_while_paging_skips_or_repeats_nothing(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let u = app.sign_up("changing@example.com").await;
    for i in 0..20 {
        app.create_task(&u, json!({"title": format!("task {i:02}")})).await;
    }
    for (query, changes) in [
        // Moves a task not yet seen in front of the cursor and a seen one
        // behind it, then adds one at each end.
        ("sort=title&order=asc", [json!({"title": "task 00 moved"}), json!({"title": "task 99 moved"})]),
        ("sort=updated&order=desc", [json!({"priority": "high"}), json!({"priority": "low"})]),
        ("sort=created&order=asc", [json!({"title": "renamed"}), json!({"title": "renamed again"})]),
    ] {
        let before: HashSet<i64> = page(&app, &u, &format!("{query}&limit=100")).await.0.into_iter().collect();
        let (first, _, mut next) = page(&app, &u, &format!("{query}&limit=5")).await;
        let all = page(&app, &u, &format!("{query}&limit=100")).await.0;
        let unseen = *all.iter().rev().nth(2).unwrap();
        let seen = first[1];
        for (id, change) in [(unseen, &changes[0]), (seen, &changes[1])] {
            let res =
                app.as_user(Method::PATCH, &u, &format!("/api/{{me}}/tasks/{id}")).json(change).send().await.unwrap();
            assert_eq!(res.status(), 200);
        }
        app.create_task(&u, json!({"title": "aaa new"})).await;
        app.create_task(&u, json!({"title": "zzz new"})).await;
        let mut walked = first.clone();
        while let Some(cursor) = next {
            let (ids, _, after) = page(&app, &u, &format!("{query}&limit=5&cursor={cursor}")).await;
            walked.extend(ids);
            next = after;
        }
        let mut seen_count: HashMap<i64, usize> = HashMap::new();
        for id in &walked {
            *seen_count.entry(*id).or_default() += 1;
        }
        // The changed tasks may move past the cursor either way; every other
        // task is listed exactly once.
        for id in before.iter().filter(|id| **id != unseen && **id != seen) {
            assert_eq!(seen_count.get(id), Some(&1), "{query}: task {id}, unchanged, is listed once in {walked:?}");
        }
        let new = seen_count.keys().filter(|id| !before.contains(id));
        assert!(new.clone().all(|id| seen_count[id] == 1), "{query}: a new task at most once in {walked:?}");
    }
    app.stop().await;
}

async fn cursors_are_checked(db: Db) {
    let app = TestApp::builder().database(db).start().await;
    let u = app.sign_up("cursors@example.com").await;
    for i in 0..3 {
        app.create_task(&u, json!({"title": format!("t{i}")})).await;
    }
    let (_, _, next) = page(&app, &u, "sort=title&limit=2").await;
    let cursor = next.expect("a next page");
    let bad = |query: String| {
        let app = &app;
        let u = &u;
        async move {
            let res = app.as_user(Method::GET, u, &format!("/api/{{me}}/tasks?{query}")).send().await.unwrap();
            fields(&expect_problem(res, 422, "validation_failed").await)
        }
    };
    assert_eq!(bad(format!("sort=created&cursor={cursor}")).await, ["cursor"], "another sort");
    assert_eq!(bad(format!("sort=title&order=desc&cursor={cursor}")).await, ["cursor"], "another direction");
    assert_eq!(bad(format!("sort=title&offset=2&cursor={cursor}")).await, ["cursor"], "with an offset");
    for junk in ["x", "eyJzIjoidGl0bGUifQ", "not-base64!"] {
        assert_eq!(bad(format!("sort=title&cursor={junk}")).await, ["cursor"], "{junk}");
    }
    // The last page has no cursor; following the Link gives the next page.
    let res = app.as_user(Method::GET, &u, "/api/{me}/tasks?sort=title&limit=2&status=all").send().await.unwrap();
    let link = res.headers()["link"].to_str().unwrap().to_string();
    let url = link.trim_start_matches('<').split('>').next().unwrap().to_string();
    assert!(url.contains("status=all"), "the page's parameters are kept: {url}");
    let res = app.req(Method::GET, &url).bearer_auth(&u.token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-next-cursor").is_none(), "the last page");
    let tasks: Vec<Value> = res.json().await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["title"], "t2");
    app.stop().await;
}
