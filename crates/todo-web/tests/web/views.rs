//! The views of the task page (Today, Upcoming, All, completed hidden by
//! default, counts in the navigation) and Undo after a delete or complete,
//! without JavaScript: plain links and forms.

use crate::common::{Db, Stack, csrf_of, stack, stack_on, task_ids};
use chrono::{Days, Utc};

fn day(offset: i64) -> String {
    let today = Utc::now().date_naive();
    let d = if offset >= 0 {
        today.checked_add_days(Days::new(offset as u64))
    } else {
        today.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    d.unwrap().format("%Y-%m-%d").to_string()
}

async fn add(s: &Stack, title: &str, due: &str) -> i64 {
    let page = s.add_task(&[("title", title), ("due_date", due)]).await;
    // Newest first in All: the new task is the first row.
    task_ids(&page)[0]
}

/// The count a view's tab shows.
fn tab_count(page: &str, id: &str) -> String {
    let start = page.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("no {id} in {page}"));
    let rest = &page[start..];
    let marker = r#"<span class="tab-count">"#;
    let at = rest.find(marker).unwrap() + marker.len();
    rest[at..at + rest[at..].find('<').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn today_upcoming_and_all_with_completed_hidden_and_counts() {
    let s = stack().await;
    s.sign_up("views@example.com").await;
    let overdue = add(&s, "Overdue bill", &day(-1)).await;
    let today = add(&s, "Call today", &day(0)).await;
    let soon = add(&s, "Trip soon", &day(3)).await;
    let later = add(&s, "Later thing", &day(10)).await;
    let someday = add(&s, "Someday", "").await;
    let done = add(&s, "Done today", &day(0)).await;
    let csrf = s.csrf().await;
    s.post(&format!("/tasks/{done}/toggle"), &[("csrf", &csrf), ("back", "")]).await;

    // All, the default: completed tasks hidden, with a link to show them.
    let (_, page) = s.get("/tasks").await;
    assert_eq!(task_ids(&page), vec![someday, later, soon, today, overdue]);
    assert!(page.contains(r#"href="/tasks?status=all""#) && page.contains("Show completed"), "{page}");
    assert!(page.contains(r#"id="view-all" aria-current="page""#), "{page}");
    // The counts, from one call to GET /tasks/counts.
    assert_eq!(tab_count(&page, "view-today"), "2", "overdue and today's");
    assert_eq!(tab_count(&page, "view-upcoming"), "2", "today's and in 3 days");
    assert_eq!(tab_count(&page, "view-all"), "5");
    assert_eq!(tab_count(&page, "tab-completed"), "1");

    let (_, page) = s.get("/tasks?status=all").await;
    assert_eq!(task_ids(&page), vec![done, someday, later, soon, today, overdue]);
    assert!(page.contains("Hide completed"));
    let (_, page) = s.get("/tasks?status=completed").await;
    assert_eq!(task_ids(&page), vec![done]);
    assert!(page.contains(r#"id="tab-completed" aria-current="page""#), "{page}");

    // Today: the overdue ones first, under their own heading.
    let (_, page) = s.get("/tasks?view=today").await;
    assert_eq!(task_ids(&page), vec![overdue, today]);
    assert!(page.contains(r#"id="group-overdue""#) && page.contains(r#"id="group-today""#), "{page}");
    assert!(page.find(r#"id="group-overdue""#) < page.find(r#"id="group-today""#));
    // The view is kept by the filters and by every form's `back`.
    assert!(page.contains(r#"name="view" value="today""#));
    assert!(page.contains(r#"name="back" value="view=today""#));
    let (_, page) = s.get("/tasks?view=today&status=all").await;
    assert_eq!(task_ids(&page), vec![overdue, today, done]);

    // Upcoming: the next 7 days, by day, in the user's zone (UTC here).
    let (_, page) = s.get("/tasks?view=upcoming").await;
    assert_eq!(task_ids(&page), vec![today, soon]);
    assert!(page.contains(&format!(r#"id="group-{}""#, day(0))) && page.contains("Today · "), "{page}");
    assert!(page.contains(&format!(r#"id="group-{}""#, day(3))));
    let (_, page) = s.get("/tasks?view=upcoming&q=nothing-like-this").await;
    assert!(page.contains("No tasks match these filters"));

    // A view with nothing in it says so, and where the completed ones are.
    s.post(&format!("/tasks/{soon}/toggle"), &[("csrf", &csrf), ("back", "")]).await;
    s.post(&format!("/tasks/{today}/toggle"), &[("csrf", &csrf), ("back", "")]).await;
    let (_, page) = s.get("/tasks?view=upcoming").await;
    assert!(task_ids(&page).is_empty());
    assert!(page.contains("Nothing due in the next 7 days.") && page.contains("show them"), "{page}");
}

async fn undo_brings_back_deleted_and_completed_tasks(db: Db) {
    let s = stack_on(db).await;
    s.sign_up("undo@example.com").await;
    let page = s.add_task(&[("title", "Pay rent"), ("tags", "home, money"), ("due_date", &day(2))]).await;
    let id = task_ids(&page)[0];
    let csrf = s.csrf().await;

    // Delete: no confirmation, a notice with Undo instead.
    let res = s.post(&format!("/tasks/{id}/delete"), &[("csrf", &csrf), ("back", "view=upcoming")]).await;
    assert_eq!(res.status(), 200);
    let url = res.url().to_string();
    assert!(url.contains("view=upcoming") && url.contains(&format!("undo=delete-{id}")), "{url}");
    let page = res.text().await.unwrap();
    assert!(!task_ids(&page).contains(&id));
    assert!(page.contains("Task deleted.") && page.contains(r#"id="undo-form""#), "{page}");
    assert!(page.contains(&format!(r#"action="/tasks/{id}/restore""#)));
    let res = s.post(&format!("/tasks/{id}/restore"), &[("csrf", &csrf_of(&page)), ("back", "view=upcoming")]).await;
    assert_eq!(res.status(), 200);
    assert!(res.url().as_str().contains("view=upcoming"));
    let page = res.text().await.unwrap();
    assert!(page.contains("Task restored."));
    assert_eq!(task_ids(&page), vec![id], "back with its number");
    assert!(page.contains("#home") && page.contains("#money"), "and its tags");
    assert!(page.contains(&format!(r#"datetime="{}""#, day(2))), "and its due date");
    // A second undo finds nothing in the trash.
    let res = s.post(&format!("/tasks/{id}/restore"), &[("csrf", &csrf), ("back", "")]).await;
    assert!(res.text().await.unwrap().contains("was not found"));

    // Complete: Undo sets it not done again (a form that says which, not a second toggle).
    let res = s.post(&format!("/tasks/{id}/toggle"), &[("csrf", &csrf), ("back", "")]).await;
    assert!(res.url().as_str().contains(&format!("notice=completed&undo=complete-{id}")), "{}", res.url());
    let page = res.text().await.unwrap();
    assert!(page.contains("Task completed.") && !task_ids(&page).contains(&id));
    assert!(page.contains(&format!(r#"action="/tasks/{id}/completed""#)));
    assert!(page.contains(r#"name="completed" value="false""#));
    let res = s.post(&format!("/tasks/{id}/completed"), &[("csrf", &csrf), ("back", ""), ("completed", "false")]).await;
    let page = res.text().await.unwrap();
    assert!(page.contains("Undone."));
    assert_eq!(task_ids(&page), vec![id]);
    assert!(page.contains(&format!(r#"id="toggle-{id}" type="submit" aria-pressed="false""#)), "{page}");
    let res = s.post(&format!("/tasks/{id}/completed"), &[("csrf", &csrf), ("back", ""), ("completed", "maybe")]).await;
    assert_eq!(res.status(), 400);
    let res =
        s.post(&format!("/tasks/{id}/completed"), &[("csrf", "wrong"), ("back", ""), ("completed", "true")]).await;
    assert_eq!(res.status(), 403);
    let (_, page) = s.get("/tasks").await;
    assert!(page.contains(r#"aria-pressed="false""#), "nothing written without the token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_brings_back_deleted_and_completed_tasks_sqlite() {
    undo_brings_back_deleted_and_completed_tasks(Db::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_brings_back_deleted_and_completed_tasks_postgres() {
    undo_brings_back_deleted_and_completed_tasks(Db::Postgres).await
}
