//! Text the API refuses (control characters such as U+0000, titles that show
//! nothing) is shown next to the field of the form that sent it, on SQLite and
//! PostgreSQL alike, never as the "we'll be right back" page.

use crate::common::{Db, Stack, browser, csrf_of, stack_on, task_ids};

async fn control_characters_show_next_to_the_field(db: Db) {
    let s: Stack = stack_on(db).await;
    s.sign_up("nul@example.com").await;
    let csrf = s.csrf().await;

    let res = s.post("/tasks", &[("csrf", &csrf), ("back", ""), ("title", "Buy\u{0}milk")]).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="new-title-error""#) && page.contains("control characters"), "{page}");
    let res = s.post("/tasks", &[("csrf", &csrf), ("back", ""), ("title", "\u{200b}")]).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="new-title-error""#) && page.contains("visible character"), "{page}");
    let res = s.post("/tasks", &[("csrf", &csrf), ("back", ""), ("title", "ok"), ("description", "\u{0}")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(r#"id="new-description-error""#));
    assert!(task_ids(&s.get("/tasks").await.1).is_empty(), "nothing was written");

    let page = s.add_task(&[("title", "Buy milk"), ("description", "two lines\r\nof text")]).await;
    let id = task_ids(&page)[0];
    let edit = [("csrf", csrf.as_str()), ("back", ""), ("title", "Buy milk"), ("description", "\u{0}")];
    let res = s.post(&format!("/tasks/{id}"), &edit).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains(&format!(r#"id="edit-{id}-description-error""#)), "{page}");

    let (status, page) = s.get("/tasks?q=%00").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="filter-error""#) && page.contains("control characters"), "{page}");
    let (status, page) = s.get("/tasks?tag=%00").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="filter-error""#), "{page}");

    let res = s.post("/chat", &[("csrf", &csrf), ("back", ""), ("message", "add a task\u{0}")]).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="chat-error""#) && page.contains("control characters"), "{page}");

    let other = browser(true);
    let page = other.get(s.url("/sign-up")).send().await.unwrap().text().await.unwrap();
    let res = other
        .post(s.url("/sign-up"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("name", "Ada\u{0}"),
            ("email", "b@example.com"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="name-error""#), "{page}");
    let res = other
        .post(s.url("/sign-in"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("email", "nul\u{0}@example.com"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(r#"id="email-error""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_show_next_to_the_field_sqlite() {
    control_characters_show_next_to_the_field(Db::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_show_next_to_the_field_postgres() {
    control_characters_show_next_to_the_field(Db::Postgres).await
}
