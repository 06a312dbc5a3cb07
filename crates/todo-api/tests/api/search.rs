//! Search (`q`) ignores case beyond ASCII, and PostgreSQL and SQLite find
//! exactly the same tasks: the same searches run against both, side by side.

use crate::common::{Db, TestApp, spawn};
use reqwest::Method;
use serde_json::json;
use sqlx::Connection;

const TITLES: [(&str, Option<&str>); 8] = [
    ("Écrire le rapport", Some("pour lundi")),
    ("ÜBER den Wolken", None),
    ("ΣΊΣΥΦΟΣ", Some("ο μύθος")),
    ("Die Straße fegen", None),
    ("Buy milk", Some("SEMI-SKIMMED, 2 L")),
    ("Привет мир", None),
    ("e\u{301}cole", Some("decomposed é")),
    ("50% off_sale", None),
];

/// Each search with the titles it must find (in the default order, newest first).
const SEARCHES: [(&str, &[&str]); 15] = [
    ("écrire", &["Écrire le rapport"]),
    ("ÉCRIRE", &["Écrire le rapport"]),
    ("über", &["ÜBER den Wolken"]),
    ("Über", &["ÜBER den Wolken"]),
    ("σίσυφος", &["ΣΊΣΥΦΟΣ"]),
    ("ΣΊΣ", &["ΣΊΣΥΦΟΣ"]),
    ("ΜΎΘΟΣ", &["ΣΊΣΥΦΟΣ"]),
    ("STRASSE", &["Die Straße fegen"]),
    ("semi-skimmed", &["Buy milk"]),
    ("MILK", &["Buy milk"]),
    ("привет", &["Привет мир"]),
    ("école", &["e\u{301}cole"]),
    ("50%", &["50% off_sale"]),
    ("ff_s", &["50% off_sale"]),
    ("o%f", &[]),
];

async fn searches(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let u = app.sign_up("search@example.com").await;
    for (title, description) in TITLES {
        app.create_task(&u, json!({"title": title, "description": description})).await;
    }
    let mut found = Vec::new();
    for (q, _) in SEARCHES {
        let query = format!("q={}", urlencode(q));
        found.push((q.to_string(), app.list(&u, &query).await.1));
    }
    found
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_sqlite_find_the_same_tasks_whatever_the_case() {
    let (sqlite, postgres) = tokio::join!(spawn(Db::Sqlite), spawn(Db::Postgres));
    let (on_sqlite, on_postgres) = tokio::join!(searches(&sqlite), searches(&postgres));
    for (((q, expected), (_, s)), (_, p)) in SEARCHES.iter().zip(&on_sqlite).zip(&on_postgres) {
        assert_eq!(s, p, "q={q}: SQLite and PostgreSQL differ");
        assert_eq!(s, expected, "q={q}");
    }
}

pub(crate) async fn run_sql(db: Db, url: &str, sql: &str, binds: &[&str]) {
    match db {
        Db::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.execute(&mut c).await.unwrap();
        }
        Db::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.execute(&mut c).await.unwrap();
        }
    }
}

/// Tasks written before the search columns existed, or changed by another
/// writer (an older replica during a rolling upgrade, a fix by hand), are
/// found once the app has started on them, and in the meantime by LOWER().
async fn rows_from_before_the_upgrade_are_found(db: Db) {
    let app = spawn(db).await;
    let u = app.sign_up("upgrade@example.com").await;
    let url = app.database_url.clone();
    app.stop().await;
    // As an older version writes a task: only the columns it knows.
    let insert = "INSERT INTO tasks (user_id, title, description, created_at, updated_at) VALUES ($1, $2, $3, 1, 1)";
    run_sql(db, &url, insert, &[&u.id, "Écrire à Zoë, Straße 5", "ÜBER"]).await;

    let app = TestApp::builder().on_database(&url).start().await;
    // STRASSE finds Straße only through the folded columns (no LOWER() does that).
    for q in ["%C3%A9crire", "ZO%C3%8B", "%C3%BCber", "STRASSE"] {
        assert_eq!(app.list(&u, &format!("q={q}")).await, (1, vec!["Écrire à Zoë, Straße 5".to_string()]), "q={q}");
    }
    // The old row can be changed, and is found by its new title only.
    let tasks: Vec<serde_json::Value> =
        app.as_user(Method::GET, &u, "/api/{me}/tasks").send().await.unwrap().json().await.unwrap();
    let id = tasks[0]["id"].as_i64().unwrap();
    let res = app
        .as_user(Method::PATCH, &u, &format!("/api/{{me}}/tasks/{id}"))
        .json(&json!({"title": "Öl kaufen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.list(&u, "q=%C3%96L").await.0, 1);
    assert_eq!(app.list(&u, "q=%C3%BCber").await.0, 1, "the description is still searched");
    assert_eq!(app.list(&u, "q=strasse").await.0, 0, "the old title is gone");

    // Another writer changes the title behind the app's back: the stale folded
    // title is not used; LOWER() finds it meanwhile, and the next start folds it.
    run_sql(db, &url, "UPDATE tasks SET title = 'Große Pause' WHERE user_id = $1", &[&u.id]).await;
    assert_eq!(app.list(&u, "q=PAUSE").await.0, 1, "found by LOWER() while stale");
    assert_eq!(app.list(&u, "q=kaufen").await.0, 0, "the stale folded title is not searched");
    app.stop().await;
    let app = TestApp::builder().on_database(&url).start().await;
    assert_eq!(app.list(&u, "q=GROSSE").await, (1, vec!["Große Pause".to_string()]));
}

mod rows_from_before_the_upgrade {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::rows_from_before_the_upgrade_are_found(super::Db::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::rows_from_before_the_upgrade_are_found(super::Db::Postgres).await
    }
}
