//! Tasks: the task page (list, filters, add and edit forms, with the chat
//! panel beside it), toggling and deleting.

mod list_query;
pub(crate) mod views;

pub(crate) use list_query::{ListQuery, back_to};
pub(crate) use views::TasksView;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{NaiveDate, NaiveTime, Utc};
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::BackendError;
use crate::chat::ChatView;
use crate::extract::{PageForm, PagePath, PageQuery};
use crate::layout::FormErrors;
use crate::page::{CsrfOnly, PageError, PageResult, errors_from, html, redirect, session, signed_in_post};
use crate::session::Ctx;
use crate::state::WebState;
use list_query::PAGE_SIZE;
use views::TaskForm;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/tasks", get(tasks_page).post(create_task))
        .route("/tasks/{id}", post(update_task))
        .route("/tasks/{id}/toggle", post(toggle_task))
        .route("/tasks/{id}/delete", get(confirm_delete).post(delete_task))
        .route("/tasks/{id}/restore", post(restore_task))
        .route("/tasks/{id}/completed", post(set_completed))
}

/// The user's time zone, which every date on the page is read and shown in
/// (the account's, not the browser's: the assistant and the API use the same).
pub(crate) async fn user_zone(state: &WebState, ctx: &Ctx) -> Result<TimeZone, PageError> {
    let user = state.backend.me(&ctx.caller()).await?;
    Ok(todo_domain::time_zone_or_utc(&user.time_zone))
}

/// Loads everything the task page shows: the view's lists, the counts of the
/// navigation (one API call), the conversations and the user's zone, at once.
pub(crate) async fn load_view(state: &WebState, ctx: &Ctx, query: ListQuery) -> Result<TasksView, PageError> {
    let caller = ctx.caller();
    let mut common: Vec<(&str, String)> = Vec::new();
    for (k, v) in [("q", &query.q), ("priority", &query.priority), ("tag", &query.tag)] {
        if !v.trim().is_empty() {
            common.push((k, v.trim().to_string()));
        }
    }
    // Each view is one or two lists of the API; Today and Upcoming are in due order.
    let with = |extra: &[(&'static str, String)]| {
        let mut p = common.clone();
        p.extend(extra.iter().cloned());
        p
    };
    let status = ("status", query.status().to_string());
    let first_page = ("limit", PAGE_SIZE.to_string());
    let lists: Vec<Vec<(&str, String)>> = match query.view() {
        // Overdue tasks are never completed; today's may be, when they are shown.
        "today" => vec![
            with(&[first_page.clone(), ("due", "overdue".into()), ("sort", "due".into())]),
            with(&[first_page, status, ("due", "today".into()), ("sort", "due".into())]),
        ],
        "upcoming" => vec![with(&[first_page, status, ("due", "week".into()), ("sort", "due".into())])],
        _ => {
            let mut p = with(&[first_page, status, ("offset", query.offset().to_string())]);
            if !query.sort.trim().is_empty() {
                p.push(("sort", query.sort.trim().to_string()));
            }
            vec![p]
        }
    };
    let current = query.conversation();
    let messages = async {
        match current {
            Some(id) => state.backend.messages(&caller, id).await.map(Some),
            None => Ok(None),
        }
    };
    let lists_done = futures_join_all(state, &caller, &lists);
    let (lists, counts, conversations, messages, tz) = tokio::join!(
        lists_done,
        state.backend.task_counts(&caller),
        state.backend.conversations(&caller),
        messages,
        user_zone(state, ctx)
    );
    let tz = tz?;
    let mut filter_error = None;
    let mut found = Vec::new();
    for list in lists {
        match list {
            Ok(page) => found.push(page),
            Err(e @ BackendError::Invalid { .. }) => {
                filter_error = Some(e.to_string());
                found.clear();
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let counts = counts?;
    let conversations = conversations?;
    let (current, messages) = match messages {
        Ok(Some(m)) => (current, m),
        Ok(None) | Err(BackendError::NotFound) | Err(BackendError::Invalid { .. }) => (None, Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let now = Utc::now();
    let (tasks, total, groups) = views::group(query.view(), found, now, &tz);
    let view = TasksView {
        query,
        tasks,
        total,
        groups,
        counts,
        add: TaskForm { priority: "medium".into(), ..Default::default() },
        add_errors: FormErrors::default(),
        edit: None,
        chat: ChatView { conversations, current, messages, draft: String::new(), error: None },
        now,
        tz,
        filter_error,
    };
    Ok(view)
}

/// Fetches the lists of one view concurrently (one or two).
async fn futures_join_all(
    state: &WebState,
    caller: &crate::api::Caller,
    lists: &[Vec<(&str, String)>],
) -> Vec<Result<(Vec<todo_domain::Task>, i64), BackendError>> {
    match lists {
        [one] => vec![state.backend.list_tasks(caller, one).await],
        [a, b] => {
            let (a, b) = tokio::join!(state.backend.list_tasks(caller, a), state.backend.list_tasks(caller, b));
            vec![a, b]
        }
        more => {
            let mut out = Vec::with_capacity(more.len());
            for p in more {
                out.push(state.backend.list_tasks(caller, p).await);
            }
            out
        }
    }
}

pub(crate) async fn tasks_page(
    State(state): State<WebState>,
    ctx: Ctx,
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    session(&ctx)?;
    let editing = query.editing();
    let mut query = query;
    // No conversation named: the one open last time ("New conversation" names `c=new`).
    if query.c.trim().is_empty()
        && let Some(open) = ctx.open_conversation
    {
        query.c = open.to_string();
    }
    let mut view = load_view(&state, &ctx, query).await?;
    if let Some(task) = editing.and_then(|id| view.tasks.iter().find(|t| t.id == id)) {
        view.edit = Some((task.id, TaskForm::from_task(task, &view.tz), FormErrors::default()));
    }
    let page = html(StatusCode::OK, views::tasks_page(&ctx, &view));
    Ok(match ctx.chat_cookie(view.chat.current) {
        Some(jar) => (jar, page).into_response(),
        None => page,
    })
}

/// The API body of a task form; `None` fields are omitted (create) or cleared (edit).
/// A date alone is an all-day `due_date`; a date and a time is the instant that
/// wall-clock time names in the user's zone, as `due_at`.
fn task_body(f: &TaskForm, tz: &TimeZone, errors: &mut FormErrors, for_edit: bool) -> Value {
    let mut body = Map::new();
    body.insert("title".into(), json!(f.title.trim()));
    let desc = f.description.trim();
    if !desc.is_empty() {
        body.insert("description".into(), json!(desc));
    } else if for_edit {
        body.insert("description".into(), Value::Null);
    }
    if !f.priority.is_empty() {
        body.insert("priority".into(), json!(f.priority));
    }
    let tags: Vec<&str> = f.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
    if !tags.is_empty() || for_edit {
        body.insert("tags".into(), json!(tags));
    }
    let due = f.due_date.trim();
    let time = f.due_time.trim();
    if due.is_empty() {
        if !time.is_empty() {
            errors.push("due_date", "pick the day for this time");
        } else if for_edit {
            body.insert("due_at".into(), Value::Null);
            body.insert("due_date".into(), Value::Null);
        }
    } else {
        match NaiveDate::parse_from_str(due, "%Y-%m-%d") {
            Ok(d) if time.is_empty() => {
                body.insert("due_date".into(), json!(d.format("%Y-%m-%d").to_string()));
                if for_edit {
                    body.insert("due_at".into(), Value::Null);
                }
            }
            Ok(d) => match NaiveTime::parse_from_str(time, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M:%S"))
            {
                Ok(t) => {
                    let at = todo_domain::zone::local_instant(d, t, tz);
                    body.insert("due_at".into(), json!(todo_domain::timestamp::to_rfc3339(&at)));
                    if for_edit {
                        body.insert("due_date".into(), Value::Null);
                    }
                }
                Err(_) => errors.push("due_time", "must be a time like 17:30"),
            },
            Err(_) => errors.push("due_date", "must be a date like 2026-12-31"),
        }
    }
    Value::Object(body)
}

pub(crate) async fn create_task(
    State(state): State<WebState>,
    ctx: Ctx,
    PageForm(form): PageForm<TaskForm>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let mut errors = FormErrors::default();
    let body = task_body(&form, &user_zone(&state, &ctx).await?, &mut errors, false);
    if errors.is_empty() {
        match state.backend.create_task(&ctx.caller(), &body).await {
            // Back to the first page: in the default order (newest first) that is
            // where the new task is, whichever page the form was on.
            Ok(_) => {
                return Ok(redirect(&back_to(&form.back, |q| {
                    q.notice = "added".into();
                    q.page.clear();
                })));
            }
            Err(e @ BackendError::Invalid { .. }) => errors = errors_from(&e),
            Err(e) => return Err(e.into()),
        }
    }
    let mut view = load_view(&state, &ctx, ListQuery::from_back(&form.back)).await?;
    view.add = form;
    view.add_errors = errors;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, views::tasks_page(&ctx, &view)))
}

pub(crate) async fn update_task(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<TaskForm>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let mut errors = FormErrors::default();
    let body = task_body(&form, &user_zone(&state, &ctx).await?, &mut errors, true);
    if errors.is_empty() {
        match state.backend.patch_task(&ctx.caller(), id, &body).await {
            Ok(_) => return Ok(redirect(&back_to(&form.back, |q| q.notice = "saved".into()))),
            // Nothing to keep the typed edits for: back to the list, which says why.
            Err(BackendError::NotFound) => {
                return Ok(redirect(&back_to(&form.back, |q| q.notice = "not-found".into())));
            }
            Err(e @ BackendError::Invalid { .. }) => errors = errors_from(&e),
            Err(e) => return Err(e.into()),
        }
    }
    let mut view = load_view(&state, &ctx, ListQuery::from_back(&form.back)).await?;
    view.edit = Some((id, form, errors));
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, views::tasks_page(&ctx, &view)))
}

pub(crate) async fn toggle_task(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    // The notice offers the way back: completed again or not, as it was.
    let (notice, undo) = match state.backend.toggle_task(&ctx.caller(), id).await {
        Ok(t) if t.completed => ("completed", format!("complete-{id}")),
        Ok(_) => ("reopened", format!("reopen-{id}")),
        Err(BackendError::NotFound) => ("not-found", String::new()),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back_to(&form.back, |q| {
        q.notice = notice.into();
        q.undo = undo;
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CompletedForm {
    csrf: String,
    back: String,
    /// `true` or `false`.
    completed: String,
}

/// Sets a task done or not (the Undo of a toggle: a second toggle would undo
/// a change another tab made in between).
pub(crate) async fn set_completed(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<CompletedForm>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let completed = match form.completed.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(PageError::BadRequest("completed must be true or false.")),
    };
    let notice = match state.backend.patch_task(&ctx.caller(), id, &json!({ "completed": completed })).await {
        Ok(_) => "undone",
        Err(BackendError::NotFound) => "not-found",
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back_to(&form.back, |q| q.notice = notice.into())))
}

/// Brings a deleted task back from the trash (the Undo of a delete): its
/// number, tags and dates as they were.
pub(crate) async fn restore_task(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let notice = match state.backend.restore_task(&ctx.caller(), id).await {
        Ok(_) => "restored",
        Err(BackendError::NotFound) => "not-found",
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back_to(&form.back, |q| q.notice = notice.into())))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BackQuery {
    back: String,
}

pub(crate) async fn confirm_delete(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageQuery(q): PageQuery<BackQuery>,
) -> PageResult {
    session(&ctx)?;
    let task = state.backend.get_task(&ctx.caller(), id).await?;
    let back = ListQuery::from_back(&q.back).query_string();
    Ok(html(StatusCode::OK, views::confirm_delete(&ctx, &task, &back)))
}

pub(crate) async fn delete_task(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    // Another tab or device may have deleted it first; say so rather than
    // claim this request deleted it.
    let (notice, undo) = match state.backend.delete_task(&ctx.caller(), id).await {
        Ok(()) => ("deleted", format!("delete-{id}")),
        Err(BackendError::NotFound) => ("not-found", String::new()),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back_to(&form.back, |q| {
        q.notice = notice.into();
        q.undo = undo;
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_forms_become_api_bodies() {
        let utc = &TimeZone::UTC;
        let form = TaskForm {
            title: " Buy milk ".into(),
            tags: "home, errands,,".into(),
            due_date: "2026-12-01".into(),
            priority: "high".into(),
            ..Default::default()
        };
        let mut errors = FormErrors::default();
        let body = task_body(&form, utc, &mut errors, false);
        assert!(errors.is_empty());
        // A date alone is all day (it was 23:59:59 of that day, a time the user never chose).
        assert_eq!(
            body,
            json!({"title": "Buy milk", "priority": "high", "tags": ["home", "errands"], "due_date": "2026-12-01"})
        );
        let edit = task_body(&TaskForm { title: "x".into(), ..Default::default() }, utc, &mut errors, true);
        assert_eq!(edit, json!({"title": "x", "description": null, "tags": [], "due_at": null, "due_date": null}));
        task_body(&TaskForm { due_date: "tomorrow".into(), ..Default::default() }, utc, &mut errors, false);
        assert!(errors.get("due_date").is_some());
    }

    #[test]
    fn a_date_and_a_time_are_the_users_wall_clock() {
        let la = todo_domain::lookup_time_zone("America/Los_Angeles").unwrap().1;
        let form = |date: &str, time: &str| TaskForm {
            title: "t".into(),
            due_date: date.into(),
            due_time: time.into(),
            ..Default::default()
        };
        let mut errors = FormErrors::default();
        let body = task_body(&form("2026-12-04", "17:00"), &la, &mut errors, true);
        assert_eq!((body["due_at"].as_str(), &body["due_date"]), (Some("2026-12-05T01:00:00Z"), &Value::Null));
        // Across the spring change: 17:00 on 8 March 2026 is PDT.
        let body = task_body(&form("2026-03-08", "17:00"), &la, &mut errors, false);
        assert_eq!(body["due_at"], "2026-03-09T00:00:00Z");
        assert!(errors.is_empty());
        task_body(&form("", "17:00"), &la, &mut errors, false);
        assert!(errors.get("due_date").is_some(), "a time needs a day");
        let mut errors = FormErrors::default();
        task_body(&form("2026-12-04", "5 o'clock"), &la, &mut errors, false);
        assert!(errors.get("due_time").is_some());
    }
}
