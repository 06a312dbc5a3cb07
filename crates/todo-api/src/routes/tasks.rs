use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use todo_domain::{PageCursor, Task, TaskChanges, TaskCounts, TaskFilter, TaskInput, TaskListParams, TaskPatchInput};
use todo_domain::{ValidationErrors, validate_tags};
use todo_store::{BulkAction, BulkRejection, TaskRef};

use super::doc::{
    Forbidden, MalformedJson, PayloadTooLarge, TaskPath, Unauthorized, Unavailable, UnsupportedMediaType, UserPath,
};
use crate::error::{ApiError, ApiResult, NotFoundAs, Problem};
use crate::extract::{ApiJson, ApiQuery, Owner, TaskId};
use crate::state::AppState;

/// The header of an update's answer that names (by number) the next
/// occurrence it created when it completed a recurring task; absent otherwise.
pub const NEXT_TASK_HEADER: &str = "x-next-task";

/// The answer of an update: the task, and the next occurrence's number in
/// [`NEXT_TASK_HEADER`] when the update created one.
fn updated(u: todo_store::UpdatedTask) -> (HeaderMap, Json<Task>) {
    let mut headers = HeaderMap::new();
    if let Some(next) = u.next {
        headers.insert(HeaderName::from_static(NEXT_TASK_HEADER), HeaderValue::from(next.id));
    }
    (headers, Json(u.task))
}

/// The header of a task list that carries the number of matches over all pages.
pub const TOTAL_COUNT_HEADER: &str = "x-total-count";

/// The header that says whether [`TOTAL_COUNT_HEADER`] is the exact number of
/// matches (`true`) or, past 10,000 matches, a lower bound (`false`): counting
/// further would make every page cost the whole list.
pub const TOTAL_EXACT_HEADER: &str = "x-total-count-exact";

/// The header of a task list that carries the next page's `cursor` (absent on
/// the last page); `Link: <...>; rel="next"` carries the whole URL.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

/// List the user's tasks, filtered, sorted and paginated on the server. The total
/// number of matching tasks is in the `X-Total-Count` header, exact up to 10,000;
/// past that it is 10,000 and `X-Total-Count-Exact` is `false`. Unless the page
/// is the last, `X-Next-Cursor` and `Link: <...>; rel="next"` say where the next
/// one starts: a cursor costs the page however deep it is (an offset costs every
/// task before it) and never skips or repeats a task changed meanwhile.
#[utoipa::path(get, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(UserPath, TaskListParams),
    responses(
        (status = 200, description = "One page of tasks", body = Vec<Task>,
            headers(("x-total-count" = i64, description = "Number of tasks matching the filters, at most 10000"),
                ("x-total-count-exact" = bool, description = "false when more than 10000 tasks match and x-total-count is a lower bound"),
                ("x-next-cursor" = String, description = "The `cursor` of the next page; absent on the last page"),
                ("link" = String, description = "`<URL of the next page>; rel=\"next\"`, with this page's parameters and the next cursor; absent on the last page"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, description = "An invalid query parameter (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn list_tasks(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    OriginalUri(uri): OriginalUri,
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
            cached = Some((body, (refs.total, refs.total_exact), refs.next));
        }
    }
    let (mut body, (total, total_exact), next) = match cached {
        Some(page) => page,
        None => render_page(&state, &user_id, &filter).await?,
    };
    body.push(b']');
    let mut res = (
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
        .into_response();
    if let Some(next) = next {
        let cursor = next.encode();
        let link = format!("<{}>; rel=\"next\"", next_page_url(&uri, &cursor));
        // Both are ASCII: the cursor is base64url, the URL's query is re-encoded.
        if let (Ok(cursor), Ok(link)) = (HeaderValue::from_str(&cursor), HeaderValue::from_str(&link)) {
            res.headers_mut().insert(HeaderName::from_static(NEXT_CURSOR_HEADER), cursor);
            res.headers_mut().insert(header::LINK, link);
        }
    }
    Ok(res)
}

/// This page's path and parameters with `cursor` set to the next page's
/// (and `offset` dropped: the cursor says where the page starts).
fn next_page_url(uri: &axum::http::Uri, cursor: &str) -> String {
    let kept = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .filter(|(name, _)| name != "cursor" && name != "offset");
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(kept);
    query.append_pair("cursor", cursor);
    format!("{}?{}", uri.path(), query.finish())
}

/// Reads a page in full and caches each task's JSON at its revision. Returns the
/// body without its closing `]`, the total number of matches with whether it is
/// exact, and where the next page starts.
async fn render_page(
    state: &AppState,
    user_id: &str,
    filter: &TaskFilter,
) -> ApiResult<(Vec<u8>, (i64, bool), Option<PageCursor>)> {
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
    Ok((body, (revised.page.total, revised.page.total_exact), revised.next))
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
/// Completing a recurring task (one with a `repeat`) that was pending creates
/// its next occurrence (same title, description, priority, tags and rule; the
/// rule's next due after this one, in the user's time zone; none after UNTIL),
/// named in `X-Next-Task`. Only the first complete creates it: completing the
/// task again after un-completing it creates no other, and un-completing does
/// not delete it. The next occurrence counts against the task quota: at the
/// quota the complete is refused (429) and nothing changes.
#[utoipa::path(put, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    request_body = TaskInput,
    responses(
        (status = 200, description = "The updated task", body = Task,
            headers(("x-next-task" = i64, description = "The number of the next occurrence this complete of a recurring task created; absent otherwise"))),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such task for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or invalid field (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Completing a recurring task would create its next occurrence over the task quota (`task_quota_exceeded`); nothing changed; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn replace_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
    ApiJson(input): ApiJson<TaskInput>,
) -> ApiResult<(HeaderMap, Json<Task>)> {
    let changes = TaskChanges::from(input.validate()?);
    Ok(updated(state.store.update_task_next(&user_id, id, &changes).await.not_found_as("task")?))
}

/// Change some fields of a task; `null` clears `description`, `due_at`,
/// `due_date` or `repeat` (clearing the due of a recurring task also stops
/// its repeat). Completing a recurring task creates its next occurrence, as
/// `PUT` does, named in `X-Next-Task`.
#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    request_body = TaskPatchInput,
    responses(
        (status = 200, description = "The updated task", body = Task,
            headers(("x-next-task" = i64, description = "The number of the next occurrence this complete of a recurring task created; absent otherwise"))),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such task for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 409, description = "A `repeat` for a task that has (and gets) no due to count from (`conflict`; the detail starts with `repeat:`); nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing, unknown or invalid field, or nothing to change (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Completing a recurring task would create its next occurrence over the task quota (`task_quota_exceeded`); nothing changed; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn patch_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
    ApiJson(input): ApiJson<TaskPatchInput>,
) -> ApiResult<(HeaderMap, Json<Task>)> {
    let changes = input.validate()?;
    Ok(updated(state.store.update_task_next(&user_id, id, &changes).await.not_found_as("task")?))
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

/// Toggle a task between completed and pending. Completing a recurring task
/// creates its next occurrence, as `PUT` does, named in `X-Next-Task`.
#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    responses(
        (status = 200, description = "The toggled task", body = Task,
            headers(("x-next-task" = i64, description = "The number of the next occurrence this complete of a recurring task created; absent otherwise"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such task for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Completing a recurring task would create its next occurrence over the task quota (`task_quota_exceeded`); nothing changed; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn toggle_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
) -> ApiResult<(HeaderMap, Json<Task>)> {
    Ok(updated(state.store.toggle_task_next(&user_id, id).await.not_found_as("task")?))
}

/// Restore a deleted task from the trash, as it was (its number, tags, dates
/// and completed state). Deleted tasks stay restorable for a day.
#[utoipa::path(post, path = "/api/{user_id}/tasks/{id}/restore", tag = "tasks", security(("bearer" = [])),
    params(TaskPath),
    responses(
        (status = 200, description = "The restored task", body = Task),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "Not in the trash: never deleted, restored already, or deleted over a day ago (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The account has as many tasks as its quota allows (`task_quota_exceeded`); see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn restore_task(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    TaskId(id): TaskId,
) -> ApiResult<Json<Task>> {
    Ok(Json(state.store.restore_task(&user_id, id).await.not_found_as("task")?))
}

/// The most tasks one bulk action may name.
pub const BULK_MAX_TASKS: usize = 500;

/// One task's own changes in a `revert` (as an undo sends them).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkItem {
    /// The task's number.
    #[serde(deserialize_with = "task_number")]
    pub id: i64,
    /// Its changes.
    pub changes: TaskPatchInput,
}

/// Body of `POST /api/{user_id}/tasks/bulk`: one action on 1 to 500 tasks
/// (a number named twice counts once).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkInput {
    /// Apply `changes` to every task in `ids` (`{"completed": true}` completes them).
    Update {
        /// The tasks' numbers.
        #[schema(min_items = 1, max_items = 500)]
        #[serde(deserialize_with = "task_numbers")]
        ids: Vec<i64>,
        /// The changes for every task.
        changes: TaskPatchInput,
    },
    /// Apply each item's `changes` to its task (what an undo of `update` or `add_tags` sends).
    Revert {
        /// Each task with its changes.
        #[schema(min_items = 1, max_items = 500)]
        items: Vec<BulkItem>,
    },
    /// Add `tags` to each task's tags.
    AddTags {
        /// The tasks' numbers.
        #[schema(min_items = 1, max_items = 500)]
        #[serde(deserialize_with = "task_numbers")]
        ids: Vec<i64>,
        /// The tags to add.
        #[schema(schema_with = todo_domain::openapi::tags_patch)]
        tags: Vec<String>,
    },
    /// Move every task to the trash.
    Delete {
        /// The tasks' numbers.
        #[schema(min_items = 1, max_items = 500)]
        #[serde(deserialize_with = "task_numbers")]
        ids: Vec<i64>,
    },
    /// Bring every task back from the trash.
    Restore {
        /// The tasks' numbers.
        #[schema(min_items = 1, max_items = 500)]
        #[serde(deserialize_with = "task_numbers")]
        ids: Vec<i64>,
    },
}

/// The tasks a bulk action changed, in request order.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BulkOutput {
    /// Each task as it is now (for `delete`, as it was deleted).
    pub tasks: Vec<Task>,
    /// Each task as it was before (what an undo puts back).
    pub before: Vec<Task>,
    /// The next occurrences that completing recurring tasks created (an undo
    /// of the complete leaves them, as un-completing one task does).
    pub next: Vec<Task>,
}

/// A task number as any JSON number with an integral value (`3.0` is the
/// integer 3 to JSON Schema); one no task can have (outside i64) is 0, which
/// is then not found.
fn number_to_id(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| n.as_u64().map(|_| 0)).or_else(|| {
        let f = n.as_f64()?;
        (f.fract() == 0.0).then(|| if f.abs() < 9.0e15 { f as i64 } else { 0 })
    })
}

fn task_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = <serde_json::Number as serde::Deserialize>::deserialize(d)?;
    number_to_id(&n).ok_or_else(|| serde::de::Error::custom(format!("{n} is not a task number")))
}

fn task_numbers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    let all = <Vec<serde_json::Number> as serde::Deserialize>::deserialize(d)?;
    all.iter()
        .map(|n| number_to_id(n).ok_or_else(|| serde::de::Error::custom(format!("{n} is not a task number"))))
        .collect()
}

/// Names the problems of `e` under `prefix`.
fn nest(errors: &mut ValidationErrors, prefix: &str, e: ValidationErrors) {
    for f in e.0 {
        errors.push(format!("{prefix}.{}", f.field), f.message);
    }
}

impl BulkInput {
    fn validate(&self) -> Result<Vec<(i64, BulkAction)>, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut items: Vec<(i64, BulkAction)> = Vec::new();
        let each =
            |ids: &[i64], action: BulkAction| ids.iter().map(move |id| (*id, action.clone())).collect::<Vec<_>>();
        let (field, count) = match self {
            BulkInput::Update { ids, changes } => {
                match changes.validate() {
                    Ok(c) => items = each(ids, BulkAction::Update(c)),
                    Err(e) => nest(&mut errors, "changes", e),
                }
                ("ids", ids.len())
            }
            BulkInput::Revert { items: list } => {
                for (i, item) in list.iter().enumerate() {
                    match item.changes.validate() {
                        Ok(c) => items.push((item.id, BulkAction::Update(c))),
                        Err(e) => nest(&mut errors, &format!("items[{i}].changes"), e),
                    }
                }
                ("items", list.len())
            }
            BulkInput::AddTags { ids, tags } => {
                // No tags adds none (the tasks must still be the user's).
                let tags = validate_tags(tags, &mut errors);
                items = each(ids, BulkAction::AddTags(tags));
                ("ids", ids.len())
            }
            BulkInput::Delete { ids } => {
                items = each(ids, BulkAction::Delete);
                ("ids", ids.len())
            }
            BulkInput::Restore { ids } => {
                items = each(ids, BulkAction::Restore);
                ("ids", ids.len())
            }
        };
        if count == 0 {
            errors.push(field, "name at least one task");
        } else if count > BULK_MAX_TASKS {
            errors.push(field, format!("at most {BULK_MAX_TASKS} tasks (got {count})"));
        }
        // A task named twice is changed once (the first time it is named).
        let mut seen = std::collections::HashSet::new();
        items.retain(|(id, _)| seen.insert(*id));
        if errors.is_empty() { Ok(items) } else { Err(errors) }
    }
}

/// Complete, reschedule, tag, delete or restore up to 500 tasks at once, in
/// one transaction: every task changes, or (a task not found, too many tags)
/// none does. A complete is `update` with `{"completed": true}`; a reschedule
/// `update` with `due_date` or `due_at`. The answer's `before` is what an
/// undo puts back (`update` with `items`, or `restore` after a `delete`).
#[utoipa::path(post, path = "/api/{user_id}/tasks/bulk", tag = "tasks", security(("bearer" = [])),
    params(UserPath),
    request_body = BulkInput,
    responses(
        (status = 200, description = "Done, for every task", body = BulkOutput),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "One task is not the user's (or not in the trash, for `restore`); its number is in the detail; nothing changed (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 409, description = "Adding the tags would give a task more than 10, or `changes` give a task without a due a `repeat` (`conflict`, its number in the detail); nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing, unknown or invalid field, or no or too many tasks (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A restore, or the next occurrences completing recurring tasks creates, would exceed the task quota (`task_quota_exceeded`); nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn bulk_tasks(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    ApiJson(input): ApiJson<BulkInput>,
) -> ApiResult<Json<BulkOutput>> {
    let items = input.validate()?;
    match state.store.bulk_tasks(&user_id, &items).await? {
        Ok(outcome) => Ok(Json(BulkOutput { tasks: outcome.after, before: outcome.before, next: outcome.next })),
        Err(BulkRejection::NotFound(id)) => Err(ApiError::TaskNotFound(id)),
        Err(BulkRejection::TooManyTags(id)) => {
            Err(ApiError::Conflict(format!("task {id} would have more than {} tags", todo_domain::MAX_TAGS)))
        }
        Err(BulkRejection::RepeatNeedsDue(id)) => {
            Err(ApiError::Conflict(format!("{} (task {id})", todo_store::REPEAT_NEEDS_DUE)))
        }
    }
}

/// How many tasks each view has (all, pending, completed, overdue, today with
/// the overdue ones, the next 7 days), in one query, in the user's time zone.
#[utoipa::path(get, path = "/api/{user_id}/tasks/counts", tag = "tasks", security(("bearer" = [])),
    params(UserPath),
    responses(
        (status = 200, description = "The counts", body = TaskCounts),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ))]
pub async fn task_counts(State(state): State<AppState>, Owner(user_id): Owner) -> ApiResult<Json<TaskCounts>> {
    Ok(Json(state.store.task_counts(&user_id).await?))
}
