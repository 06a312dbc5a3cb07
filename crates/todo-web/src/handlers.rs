//! Page handlers: GET renders, POST checks CSRF, calls the API, then redirects
//! (303) or re-renders the form with the API's field errors.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use todo_domain::{ChatResponse, ToolCallRecord};

use crate::api::BackendError;
use crate::extract::{PageForm, PagePath, PageQuery};
use crate::session::{Ctx, Session};
use crate::state::WebState;
use crate::views::{self, AccountForm, ChatView, FormErrors, ListQuery, PAGE_SIZE, TaskForm, TasksView};

/// Why a page could not be served.
#[derive(Debug)]
pub enum PageError {
    Backend(BackendError),
    /// A request this service cannot read (a malformed form or query string).
    BadRequest(&'static str),
    Csrf,
    NotFound,
    SignIn,
}

impl From<BackendError> for PageError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Unauthorized(_) => PageError::SignIn,
            BackendError::NotFound => PageError::NotFound,
            other => PageError::Backend(other),
        }
    }
}

fn html(status: StatusCode, markup: maud::Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let ctx = Ctx::blank();
        match self {
            PageError::SignIn => {
                let mut res = redirect("/sign-in?expired=1");
                res.headers_mut().append(header::SET_COOKIE, ctx.clear_session_cookie());
                res
            }
            PageError::Csrf => html(
                StatusCode::FORBIDDEN,
                views::error_page(
                    &ctx,
                    "This form has expired",
                    "For your safety we did not save anything. Go back, reload the page and try again.",
                    false,
                ),
            ),
            PageError::BadRequest(message) => {
                html(StatusCode::BAD_REQUEST, views::error_page(&ctx, "That did not work", message, false))
            }
            PageError::NotFound => html(
                StatusCode::NOT_FOUND,
                views::error_page(&ctx, "Not found", "There is nothing here. It may have been deleted.", false),
            ),
            PageError::Backend(BackendError::Invalid { detail, .. }) => html(
                StatusCode::BAD_REQUEST,
                views::error_page(
                    &ctx,
                    "That did not work",
                    &format!("The request was not accepted: {detail}."),
                    false,
                ),
            ),
            PageError::Backend(_) => {
                let mut res = html(
                    StatusCode::SERVICE_UNAVAILABLE,
                    views::error_page(
                        &ctx,
                        "We'll be right back",
                        "Your tasks are safe, but we cannot reach them right now. Please try again in a moment.",
                        true,
                    ),
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                res
            }
        }
    }
}

type PageResult = Result<Response, PageError>;

pub fn redirect(to: &str) -> Response {
    let loc = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, loc)]).into_response()
}

fn session(ctx: &Ctx) -> Result<&Session, PageError> {
    ctx.session.as_ref().ok_or(PageError::SignIn)
}

/// The guard of every state-changing form of a signed-in page: the CSRF token
/// first (403, nothing written), then the session (to the sign-in page).
fn signed_in_post<'a>(ctx: &'a Ctx, csrf: &str) -> Result<&'a Session, PageError> {
    if !ctx.csrf_ok(csrf) {
        return Err(PageError::Csrf);
    }
    session(ctx)
}

fn back_to(back: &str, f: impl FnOnce(&mut ListQuery)) -> String {
    ListQuery::from_back(back).href_with(f)
}

// ---------------------------------------------------------------- accounts

pub async fn index(ctx: Ctx) -> Response {
    redirect(if ctx.session.is_some() { "/tasks" } else { "/sign-in" })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInQuery {
    expired: Option<String>,
    signed_out: Option<String>,
}

fn with_pre_session(ctx: &Ctx, mut res: Response) -> Response {
    if let Some(c) = ctx.pre_session_cookie() {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

pub async fn sign_in_page(mut ctx: Ctx, PageQuery(q): PageQuery<SignInQuery>) -> Response {
    if ctx.session.is_some() {
        return redirect("/tasks");
    }
    ctx.ensure_pre_session();
    let notice = match (q.signed_out.as_deref(), q.expired) {
        (Some("everywhere"), _) => Some("You are signed out on every device."),
        (Some("incomplete"), _) => Some(
            "You are signed out in this browser, but the server could not be reached to end the session. \
             To be sure, sign in and use \u{201c}Sign out everywhere\u{201d} once it is back.",
        ),
        (_, Some(_)) => Some("Your session has ended. Please sign in again."),
        _ => None,
    };
    let page = views::sign_in(&ctx, &AccountForm::default(), &FormErrors::default(), notice);
    with_pre_session(&ctx, html(StatusCode::OK, page))
}

pub async fn sign_up_page(mut ctx: Ctx) -> Response {
    if ctx.session.is_some() {
        return redirect("/tasks");
    }
    ctx.ensure_pre_session();
    let page = views::sign_up(&ctx, &AccountForm::default(), &FormErrors::default());
    with_pre_session(&ctx, html(StatusCode::OK, page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountInput {
    csrf: String,
    name: String,
    email: String,
    password: String,
}

fn signed_in(ctx: &Ctx, user_id: String, token: String, name: String) -> Response {
    let mut res = redirect("/tasks");
    res.headers_mut().append(header::SET_COOKIE, ctx.session_cookie(&Session { user_id, token, name }));
    res
}

fn errors_from(e: &BackendError) -> FormErrors {
    let mut out = FormErrors::default();
    if let BackendError::Invalid { errors, detail, .. } = e {
        for fe in errors {
            let field = match fe.field.as_str() {
                "due_at" => "due_date",
                f if f.starts_with("tags") => "tags",
                f => f,
            };
            out.push(field, fe.message.clone());
        }
        if errors.is_empty() {
            out.general = Some(detail.clone());
        }
    }
    out
}

pub async fn sign_in(State(state): State<WebState>, ctx: Ctx, PageForm(input): PageForm<AccountInput>) -> PageResult {
    if !ctx.csrf_ok(&input.csrf) {
        return Err(PageError::Csrf);
    }
    let form = AccountForm { name: String::new(), email: input.email.trim().to_string() };
    let mut errors = FormErrors::default();
    if form.email.is_empty() {
        errors.push("email", "Enter your email address");
    }
    if input.password.is_empty() {
        errors.push("password", "Enter your password");
    }
    if errors.is_empty() {
        match state.backend.sign_in(&ctx.anonymous_caller(), &form.email, &input.password).await {
            Ok(auth) => return Ok(signed_in(&ctx, auth.user.id, auth.token, auth.user.name)),
            Err(BackendError::Unauthorized(_)) => errors.general = Some("Wrong email or password.".into()),
            Err(e @ BackendError::Invalid { .. }) => errors = errors_from(&e),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, views::sign_in(&ctx, &form, &errors, None)))
}

pub async fn sign_up(State(state): State<WebState>, ctx: Ctx, PageForm(input): PageForm<AccountInput>) -> PageResult {
    if !ctx.csrf_ok(&input.csrf) {
        return Err(PageError::Csrf);
    }
    let form = AccountForm { name: input.name.trim().to_string(), email: input.email.trim().to_string() };
    let result = state.backend.sign_up(&ctx.anonymous_caller(), &form.email, &input.password, &form.name).await;
    let errors = match result {
        Ok(auth) => return Ok(signed_in(&ctx, auth.user.id, auth.token, auth.user.name)),
        Err(BackendError::Invalid { status: 409, .. }) => {
            let mut e = FormErrors::default();
            e.push("email", "An account with this email already exists. Sign in instead?");
            e
        }
        Err(e @ BackendError::Invalid { .. }) => errors_from(&e),
        Err(e) => return Err(e.into()),
    };
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, views::sign_up(&ctx, &form, &errors)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    csrf: String,
    back: String,
}

/// Ends the session on the API first, so the token in the cookie (and any copy
/// of it) stops working, then clears the cookie. The cookie goes in any case:
/// when the API cannot be reached the sign-in page says the session may still
/// be open elsewhere.
pub async fn sign_out(State(state): State<WebState>, ctx: Ctx, PageForm(input): PageForm<CsrfOnly>) -> PageResult {
    if ctx.session.is_some() && !ctx.csrf_ok(&input.csrf) {
        return Err(PageError::Csrf);
    }
    let to = match &ctx.session {
        None => "/sign-in",
        Some(_) => match state.backend.sign_out(&ctx.caller()).await {
            // 401: the session had already ended.
            Ok(()) | Err(BackendError::Unauthorized(_)) => "/sign-in",
            Err(e) => {
                tracing::warn!(error = %e, "sign-out could not end the session on the API");
                "/sign-in?signed_out=incomplete"
            }
        },
    };
    let mut res = redirect(to);
    res.headers_mut().append(header::SET_COOKIE, ctx.clear_session_cookie());
    Ok(res)
}

/// Ends every session of the user on the API (other browsers and devices, and
/// API clients holding one of the tokens), then this browser's cookie. If the
/// API cannot do it, nothing changes here and the error page says so.
pub async fn sign_out_everywhere(
    State(state): State<WebState>,
    ctx: Ctx,
    PageForm(input): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &input.csrf)?;
    match state.backend.sign_out_everywhere(&ctx.caller()).await {
        Ok(()) | Err(BackendError::Unauthorized(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let mut res = redirect("/sign-in?signed_out=everywhere");
    res.headers_mut().append(header::SET_COOKIE, ctx.clear_session_cookie());
    Ok(res)
}

// ---------------------------------------------------------------- tasks

fn offset_of(ctx: &Ctx) -> FixedOffset {
    FixedOffset::east_opt(ctx.utc_offset_minutes * 60).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
}

/// Loads everything the task page shows.
async fn load_view(state: &WebState, ctx: &Ctx, query: ListQuery) -> Result<TasksView, PageError> {
    let caller = ctx.caller();
    let mut params: Vec<(&str, String)> = vec![
        ("limit", PAGE_SIZE.to_string()),
        ("offset", query.offset().to_string()),
        ("utc_offset", ctx.utc_offset_minutes.to_string()),
    ];
    params.push(("status", query.status().to_string()));
    for (k, v) in [("q", &query.q), ("priority", &query.priority), ("tag", &query.tag), ("sort", &query.sort)] {
        if !v.trim().is_empty() {
            params.push((k, v.trim().to_string()));
        }
    }
    let current = query.conversation();
    let messages = async {
        match current {
            Some(id) => state.backend.messages(&caller, id).await.map(Some),
            None => Ok(None),
        }
    };
    let (list, conversations, messages) =
        tokio::join!(state.backend.list_tasks(&caller, &params), state.backend.conversations(&caller), messages);
    let (tasks, total, filter_error) = match list {
        Ok((tasks, total)) => (tasks, total, None),
        Err(e @ BackendError::Invalid { .. }) => (Vec::new(), 0, Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let conversations = conversations?;
    let (current, messages) = match messages {
        Ok(Some(m)) => (current, m),
        Ok(None) | Err(BackendError::NotFound) | Err(BackendError::Invalid { .. }) => (None, Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let view = TasksView {
        query,
        tasks,
        total,
        add: TaskForm { priority: "medium".into(), ..Default::default() },
        add_errors: FormErrors::default(),
        edit: None,
        chat: ChatView { conversations, current, messages, draft: String::new(), error: None },
        now: Utc::now(),
        offset: offset_of(ctx),
        filter_error,
    };
    Ok(view)
}

pub async fn tasks_page(State(state): State<WebState>, ctx: Ctx, PageQuery(query): PageQuery<ListQuery>) -> PageResult {
    session(&ctx)?;
    let editing = query.editing();
    let mut view = load_view(&state, &ctx, query).await?;
    if let Some(task) = editing.and_then(|id| view.tasks.iter().find(|t| t.id == id)) {
        view.edit = Some((task.id, TaskForm::from_task(task, view.offset), FormErrors::default()));
    }
    Ok(html(StatusCode::OK, views::tasks_page(&ctx, &view)))
}

/// The API body of a task form; `None` fields are omitted (create) or cleared (edit).
fn task_body(f: &TaskForm, offset: FixedOffset, errors: &mut FormErrors, for_edit: bool) -> Value {
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
    if due.is_empty() {
        if for_edit {
            body.insert("due_at".into(), Value::Null);
        }
    } else {
        match NaiveDate::parse_from_str(due, "%Y-%m-%d") {
            Ok(d) => {
                let local = d.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
                match offset.from_local_datetime(&local).single() {
                    Some(t) => {
                        body.insert("due_at".into(), json!(t.with_timezone(&Utc).to_rfc3339()));
                    }
                    None => errors.push("due_date", "is not a valid date"),
                }
            }
            Err(_) => errors.push("due_date", "must be a date like 2026-12-31"),
        }
    }
    Value::Object(body)
}

pub async fn create_task(State(state): State<WebState>, ctx: Ctx, PageForm(form): PageForm<TaskForm>) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let mut errors = FormErrors::default();
    let body = task_body(&form, offset_of(&ctx), &mut errors, false);
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

pub async fn update_task(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<TaskForm>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let mut errors = FormErrors::default();
    let body = task_body(&form, offset_of(&ctx), &mut errors, true);
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

pub async fn toggle_task(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let notice = match state.backend.toggle_task(&ctx.caller(), id).await {
        Ok(_) => "toggled",
        Err(BackendError::NotFound) => "not-found",
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back_to(&form.back, |q| q.notice = notice.into())))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BackQuery {
    back: String,
}

pub async fn confirm_delete(
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

pub async fn delete_task(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    // Another tab or device may have deleted it first; say so rather than
    // claim this request deleted it.
    let notice = match state.backend.delete_task(&ctx.caller(), id).await {
        Ok(()) => "deleted",
        Err(BackendError::NotFound) => "not-found",
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back_to(&form.back, |q| q.notice = notice.into())))
}

// ---------------------------------------------------------------- chat

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChatForm {
    csrf: String,
    back: String,
    conversation_id: String,
    message: String,
}

pub async fn chat(State(state): State<WebState>, ctx: Ctx, PageForm(form): PageForm<ChatForm>) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let conversation = form.conversation_id.trim().parse::<i64>().ok();
    let error = if form.message.trim().is_empty() {
        "Type a message first.".to_string()
    } else {
        match state.backend.chat(&ctx.caller(), conversation, &form.message).await {
            Ok(r) => {
                let to = back_to(&form.back, |q| q.c = r.conversation_id.to_string());
                return Ok(redirect(&format!("{to}#chat")));
            }
            Err(BackendError::Invalid { detail, .. }) => detail,
            Err(BackendError::Unavailable(_)) => "The assistant could not answer right now. Please try again.".into(),
            Err(e) => return Err(e.into()),
        }
    };
    let mut view = load_view(&state, &ctx, ListQuery::from_back(&form.back)).await?;
    view.chat.draft = form.message;
    view.chat.error = Some(error);
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, views::tasks_page(&ctx, &view)))
}

fn sse_event(name: &str, data: Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// Maps one server-sent event of the API to the events the page's script reads:
/// `delta {text}`, `tool {line}`, `done {conversation_id, response}`, `error {message}`.
fn translate(event: &str, data: &str) -> Option<Event> {
    let v: Value = serde_json::from_str(data).ok()?;
    match event {
        "delta" => Some(sse_event("delta", json!({"text": v.get("text").and_then(Value::as_str).unwrap_or("")}))),
        "tool_call" => {
            let call: ToolCallRecord = serde_json::from_value(v).ok()?;
            Some(sse_event("tool", json!({"line": views::tool_line(&call), "tool": call.tool})))
        }
        "done" => {
            let r: ChatResponse = serde_json::from_value(v).ok()?;
            Some(sse_event("done", json!({"conversation_id": r.conversation_id, "response": r.response})))
        }
        "error" => {
            let detail = v.get("detail").and_then(Value::as_str).unwrap_or("the assistant failed");
            Some(sse_event("error", json!({"message": format!("The assistant could not answer: {detail}")})))
        }
        _ => None,
    }
}

/// Splits complete `\n\n`-terminated events off the buffer.
fn take_events(buf: &mut String) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(end) = buf.find("\n\n") {
        let block: String = buf.drain(..end + 2).collect();
        let (mut name, mut data) = ("message".to_string(), String::new());
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if let Some(ev) = translate(&name, &data) {
            out.push(ev);
        }
    }
    out
}

/// The script's chat: the API's event stream, proxied and translated.
pub async fn chat_stream(State(state): State<WebState>, ctx: Ctx, axum::Form(form): axum::Form<ChatForm>) -> Response {
    if !ctx.csrf_ok(&form.csrf) {
        return (StatusCode::FORBIDDEN, Json(json!({"message": "This page has expired. Reload it and try again."})))
            .into_response();
    }
    if ctx.session.is_none() {
        return (StatusCode::UNAUTHORIZED, Json(json!({"message": "Your session has ended. Please sign in again."})))
            .into_response();
    }
    let conversation = form.conversation_id.trim().parse::<i64>().ok();
    let upstream = state.backend.chat_stream(&ctx.caller(), conversation, &form.message).await;
    let res = match upstream {
        Ok(res) => res,
        Err(e) => {
            let (status, message) = match e {
                BackendError::Invalid { detail, .. } => (StatusCode::UNPROCESSABLE_ENTITY, detail),
                BackendError::Unauthorized(_) => {
                    (StatusCode::UNAUTHORIZED, "Your session has ended. Please sign in again.".into())
                }
                BackendError::NotFound => (StatusCode::NOT_FOUND, "That conversation no longer exists.".into()),
                BackendError::Unavailable(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The assistant is not reachable right now. Please try again.".into(),
                ),
            };
            return (status, Json(json!({"message": message}))).into_response();
        }
    };
    let bytes = res.bytes_stream();
    let stream = futures::stream::unfold((bytes, String::new(), false), |(mut bytes, mut buf, ended)| async move {
        if ended {
            return None;
        }
        loop {
            match bytes.next().await {
                Some(Ok(chunk)) => {
                    buf.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
                    let events = take_events(&mut buf);
                    if !events.is_empty() {
                        return Some((futures::stream::iter(events), (bytes, buf, false)));
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e.without_url(), "chat stream from the API broke off");
                    let ev = sse_event("error", json!({"message": "The connection to the assistant was lost."}));
                    return Some((futures::stream::iter(vec![ev]), (bytes, buf, true)));
                }
                None => {
                    buf.push_str("\n\n");
                    let events = take_events(&mut buf);
                    return Some((futures::stream::iter(events), (bytes, buf, true)));
                }
            }
        }
    })
    .flatten()
    .map(Ok::<_, Infallible>);
    let mut res = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    // axum marks event streams `no-cache`, which still allows storing them;
    // this one carries the user's tasks.
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn delete_conversation(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let notice = match state.backend.delete_conversation(&ctx.caller(), id).await {
        Ok(()) => "conversation-deleted",
        Err(BackendError::NotFound) => "conversation-not-found",
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back_to(&form.back, |q| {
        if q.conversation() == Some(id) {
            q.c.clear();
        }
        q.notice = notice.into();
    })))
}

// ---------------------------------------------------------------- operations

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<WebState>) -> (StatusCode, Json<Value>) {
    if state.is_shutting_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "reason": "shutting down"})));
    }
    if state.backend.ready().await {
        (StatusCode::OK, Json(json!({"status": "ready"})))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "reason": "the API is not ready"})))
    }
}

pub async fn metrics(State(state): State<WebState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
}

pub async fn not_found() -> Response {
    PageError::NotFound.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_events_become_page_events() {
        let mut buf = String::from(
            "event: delta\ndata: {\"text\":\"Hi\"}\n\n: keep-alive\n\nevent: tool_call\ndata: {\"id\":\"1\",\"tool\":\"add_task\",\"arguments\":{},\"result\":{\"title\":\"Buy milk\"}}\n\nevent: done\ndata: {\"conversation_id\":4,\"response\":\"Done\",\"tool_calls\":[]}\n\nevent: delta\ndata: {\"te",
        );
        let events = take_events(&mut buf);
        assert_eq!(events.len(), 3);
        assert_eq!(buf, "event: delta\ndata: {\"te", "an incomplete event waits for more bytes");
    }

    #[test]
    fn task_forms_become_api_bodies() {
        let utc = FixedOffset::east_opt(0).unwrap();
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
        assert_eq!(
            body,
            json!({"title": "Buy milk", "priority": "high", "tags": ["home", "errands"], "due_at": "2026-12-01T23:59:59+00:00"})
        );
        let edit = task_body(&TaskForm { title: "x".into(), ..Default::default() }, utc, &mut errors, true);
        assert_eq!(edit, json!({"title": "x", "description": null, "tags": [], "due_at": null}));
        task_body(&TaskForm { due_date: "tomorrow".into(), ..Default::default() }, utc, &mut errors, false);
        assert!(errors.get("due_date").is_some());
    }
}
