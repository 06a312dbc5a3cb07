use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use todo_domain::{Task, TaskChanges, TaskFilter, TaskInput, TaskListParams, TaskPatchInput};
use todo_store::TaskRef;

use super::doc::{
    Forbidden, MalformedJson, PayloadTooLarge, TaskPath, Unauthorized, Unavailable, UnsupportedMediaType, UserPath,
};
use crate::error::{ApiError, ApiResult, NotFoundAs, Problem};
use crate::extract::{ApiJson, ApiQuery, Owner, TaskId};
use crate::state::AppState;

/// The header of a task list that carries the number of matches over all pages.
pub const TOTAL_COUNT_HEADER: &str = "x-total-count";

/// The header that says whether [`TOTAL_COUNT_HEADER`] is the exact number of
/// matches (`true`) or, past 10,000 matches, a lower bound (`false`): counting
/// further would make every page cost the whole list.
pub const TOTAL_EXACT_HEADER: &str = "x-total-count-exact";

/// List the user's tasks, filtered, sorted and paginated on the server. The total
/// number of matching tasks is in the `X-Total-Count` header, exact up to 10,000;
/// past that it is 10,000 and `X-Total-Count-Exact` is `false`.
#[utoipa::path(get, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(UserPath, TaskListParams),
    responses(
        (status = 200, description = "One page of tasks", body = Vec<Task>,
            headers(("x-total-count" = i64, description = "Number of tasks matching the filters, at most 10000"),
                ("x-total-count-exact" = bool, description = "false when more than 10000 tasks match and x-total-count is a lower bound"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, description = "An invalid query parameter (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn list_tasks(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    ApiQuery(params): ApiQuery<TaskListParams>,
) -> ApiResult<Response> {
    let mut filter = params.validate()?;
    // Read the user's zone once for both the refs and (on a miss) the page.
    state.store.resolve_zone(&user_id, &mut filter).await?;
    // Which tasks are on the page, at which revisions; usually the JSON of each is
    // cached from an earlier list, and only when one is not is the page read and
    // rendered in full.
    let mut cached = None;
    if state.task_json.is_enabled() {
        let refs = state.store.list_task_refs(&user_id, &filter).await?;
        let mut body = page_buffer(refs.refs.len());
        let hit = state.task_json.append_page(&user_id, &refs.refs, &mut body);
        state.metrics.task_cache_page(hit);
        if hit {
            cached = Some((body, (refs.total, refs.total_exact)));
        }
    }
    let (mut body, (total, total_exact)) = match cached {
        Some(page) => page,
        None => render_page(&state, &user_id, &filter).await?,
    };
    body.push(b']');
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (HeaderName::from_static(TOTAL_COUNT_HEADER), HeaderValue::from(total)),
            (
                HeaderName::from_static(TOTAL_EXACT_HEADER),
                HeaderValue::from_static(if total_exact { "true" } else { "false" }),
            ),
        ],
        body,
    )
        .into_response())
}

/// Reads a page in full and caches each task's JSON at its revision. Returns the
/// body without its closing `]`, and the total number of matches with whether it is exact.
async fn render_page(state: &AppState, user_id: &str, filter: &TaskFilter) -> ApiResult<(Vec<u8>, (i64, bool))> {
    let revised = state.store.list_tasks_revised(user_id, filter).await?;
    let mut body = page_buffer(revised.page.tasks.len());
    for (i, (task, &revision)) in revised.page.tasks.iter().zip(&revised.revisions).enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let start = body.len();
        serde_json::to_writer(&mut body, task).map_err(|e| ApiError::Internal(e.to_string()))?;
        let json = Bytes::copy_from_slice(&body[start..]);
        state.task_json.insert(user_id, TaskRef { number: task.id, revision }, json);
    }
    Ok((body, (revised.page.total, revised.page.total_exact)))
}

/// `[`, in a buffer sized for `tasks` tasks once the page is known (growing from
/// empty would copy a 100-task body, ~30 KB, several times; sizing it before the
/// query would hold that much for every request waiting for a connection).
fn page_buffer(tasks: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(2 + tasks * TASK_JSON_SIZE_HINT);
    body.push(b'[');
    body
}

/// A typical task's JSON size with a short description and a few tags.
const TASK_JSON_SIZE_HINT: usize = 384;

/// Create a task.
#[utoipa::path(post, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(UserPath),
    request_body = TaskInput,
    responses(
        (status = 201, description = "Created", body = Task,
            headers(("location" = String, description = "The new task's URL"))),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or invalid field (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The account has as many tasks as its quota allows (`task_quota_exceeded`); see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn create_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    ApiJson(input): ApiJson<TaskInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<Task>)> {
    let draft = input.validate()?;
    let task = state.store.create_task(&user_id, &draft).await?;
    let mut headers = HeaderMap::new();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/{user_id}/tasks/{}", task.id)) {
        headers.insert(header::LOCATION, loc);
    }
    Ok((StatusCode::CREATED, headers, Json(task)))
}

/// Get one task.
#[utoipa::path(get, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    responses(
        (status = 200, description = "The task", body = Task),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such task for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn get_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
) -> ApiResult<Json<Task>> {
    Ok(Json(state.store.get_task(&user_id, id).await.not_found_as("task")?))
}

/// Replace a task. Omitted optional fields are cleared; `completed` keeps its value when omitted.
#[utoipa::path(put, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    request_body = TaskInput,
    responses(
        (status = 200, description = "The updated task", body = Task),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such task for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or invalid field (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn replace_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
    ApiJson(input): ApiJson<TaskInput>,
) -> ApiResult<Json<Task>> {
    let changes = TaskChanges::from(input.validate()?);
    Ok(Json(state.store.update_task(&user_id, id, &changes).await.not_found_as("task")?))
}

/// Change some fields of a task; `null` clears `description` or `due_at`.
#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    request_body = TaskPatchInput,
    responses(
        (status = 200, description = "The updated task", body = Task),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such task for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or invalid field, or nothing to change (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn patch_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
    ApiJson(input): ApiJson<TaskPatchInput>,
) -> ApiResult<Json<Task>> {
    let changes = input.validate()?;
    Ok(Json(state.store.update_task(&user_id, id, &changes).await.not_found_as("task")?))
}

/// Delete a task.
#[utoipa::path(delete, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such task for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn delete_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
) -> ApiResult<StatusCode> {
    state.store.delete_task(&user_id, id).await.not_found_as("task")?;
    Ok(StatusCode::NO_CONTENT)
}

/// Toggle a task between completed and pending.
#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    responses(
        (status = 200, description = "The toggled task", body = Task),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such task for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn toggle_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
) -> ApiResult<Json<Task>> {
    Ok(Json(state.store.toggle_task(&user_id, id).await.not_found_as("task")?))
}
