use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use todo_domain::{Task, TaskChanges, TaskCounts, TaskFilter, TaskInput, TaskListParams, TaskPatchInput};
use todo_domain::{ValidationErrors, validate_tags};
use todo_store::{BulkAction, BulkRejection, TaskRef};

use super::doc::{
    Forbidden, MalformedJson, PayloadTooLarge, TaskPath, Unauthorized, Unavailable, UnsupportedMediaType, UserPath,
};
use crate::error::{ApiError, ApiResult, NotFoundAs, Problem};
use crate::extract::{ApiJson, ApiQuery, Owner, TaskId};
use crate::state::AppState;

/// The header of a task list that carries the number of matches over all pages.
pub const TOTAL_COUNT_HEADER: &str = "x-total-count";

/// List the user's tasks, filtered, sorted and paginated on the server. The total
/// number of matching tasks is in the `X-Total-Count` header.
#[utoipa::path(get, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(UserPath, TaskListParams),
    responses(
        (status = 200, description = "One page of tasks", body = Vec<Task>,
            headers(("x-total-count" = i64, description = "Number of tasks matching the filters"))),
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
            cached = Some((body, refs.total));
        }
    }
    let (mut body, total) = match cached {
        Some(page) => page,
        None => render_page(&state, &user_id, &filter).await?,
    };
    body.push(b']');
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (HeaderName::from_static(TOTAL_COUNT_HEADER), HeaderValue::from(total)),
        ],
        body,
    )
        .into_response())
}

/// Reads a page in full and caches each task's JSON at its revision. Returns the
/// body without its closing `]`, and the total number of matches.
async fn render_page(state: &AppState, user_id: &str, filter: &TaskFilter) -> ApiResult<(Vec<u8>, i64)> {
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
    Ok((body, revised.page.total))
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

/// What a bulk action does to each task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkActionName {
    /// Apply `changes` to every task in `ids`, or each item's `changes` to its task.
    Update,
    /// Add `tags` to each task's tags.
    AddTags,
    /// Move every task to the trash.
    Delete,
    /// Bring every task back from the trash.
    Restore,
}

/// One task's own changes in an `update` (as an undo sends them).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkItem {
    /// The task's number.
    pub id: i64,
    /// Its changes.
    pub changes: TaskPatchInput,
}

/// Body of `POST /api/{user_id}/tasks/bulk`: one action on up to 500 tasks.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    /// What to do.
    pub action: BulkActionName,
    /// The tasks' numbers, each once (not with `items`).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub ids: Vec<i64>,
    /// `update`: the changes for every task in `ids`.
    #[serde(default)]
    pub changes: Option<TaskPatchInput>,
    /// `update` only, instead of `ids` and `changes`: each task's own changes.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub items: Vec<BulkItem>,
    /// `add_tags`: the tags to add.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// The tasks a bulk action changed, in request order.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BulkOutput {
    /// Each task as it is now (for `delete`, as it was deleted).
    pub tasks: Vec<Task>,
    /// Each task as it was before (what an undo puts back).
    pub before: Vec<Task>,
}

impl BulkInput {
    fn validate(&self) -> Result<Vec<(i64, BulkAction)>, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut items: Vec<(i64, BulkAction)> = Vec::new();
        let field_for = |what: &str, action: &str| format!("only with action {action} ({what})");
        if self.action != BulkActionName::Update {
            if self.changes.is_some() {
                errors.push("changes", field_for("changes", "update"));
            }
            if !self.items.is_empty() {
                errors.push("items", field_for("items", "update"));
            }
        }
        if self.action != BulkActionName::AddTags && self.tags.is_some() {
            errors.push("tags", field_for("tags", "add_tags"));
        }
        match self.action {
            BulkActionName::Update if !self.items.is_empty() => {
                if !self.ids.is_empty() || self.changes.is_some() {
                    errors.push("items", "either items, or ids with changes");
                }
                for (i, item) in self.items.iter().enumerate() {
                    match item.changes.validate() {
                        Ok(c) => items.push((item.id, BulkAction::Update(c))),
                        Err(e) => {
                            for f in e.0 {
                                errors.push(format!("items[{i}].changes.{}", f.field), f.message);
                            }
                        }
                    }
                }
            }
            BulkActionName::Update => match &self.changes {
                None => errors.push("changes", "required for action update (or items)"),
                Some(changes) => match changes.validate() {
                    Ok(c) => items.extend(self.ids.iter().map(|id| (*id, BulkAction::Update(c.clone())))),
                    Err(e) => {
                        for f in e.0 {
                            errors.push(format!("changes.{}", f.field), f.message);
                        }
                    }
                },
            },
            BulkActionName::AddTags => match &self.tags {
                Some(raw) if !raw.is_empty() => {
                    let mut tag_errors = ValidationErrors::default();
                    let tags = validate_tags(raw, &mut tag_errors);
                    errors.0.extend(tag_errors.0);
                    items.extend(self.ids.iter().map(|id| (*id, BulkAction::AddTags(tags.clone()))));
                }
                _ => errors.push("tags", "at least one tag is required for action add_tags"),
            },
            BulkActionName::Delete => items.extend(self.ids.iter().map(|id| (*id, BulkAction::Delete))),
            BulkActionName::Restore => items.extend(self.ids.iter().map(|id| (*id, BulkAction::Restore))),
        }
        let (field, count) = if self.items.is_empty() { ("ids", self.ids.len()) } else { ("items", self.items.len()) };
        if count == 0 {
            errors.push(field, "name at least one task");
        } else if count > BULK_MAX_TASKS {
            errors.push(field, format!("at most {BULK_MAX_TASKS} tasks (got {count})"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, (id, _)) in items.iter().enumerate() {
            let name = if self.items.is_empty() { format!("ids[{i}]") } else { format!("items[{i}].id") };
            if *id < 1 {
                errors.push(name, "must be a task number (1 or more)");
            } else if !seen.insert(*id) {
                errors.push(name, format!("task {id} is named twice"));
            }
        }
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
        (status = 422, description = "A missing, unknown or invalid field, a task named twice, too many tasks, or a task that would get too many tags (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A restore would exceed the task quota (`task_quota_exceeded`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn bulk_tasks(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    ApiJson(input): ApiJson<BulkInput>,
) -> ApiResult<Json<BulkOutput>> {
    let items = input.validate()?;
    match state.store.bulk_tasks(&user_id, &items).await? {
        Ok(outcome) => Ok(Json(BulkOutput { tasks: outcome.after, before: outcome.before })),
        Err(BulkRejection::NotFound(id)) => Err(ApiError::TaskNotFound(id)),
        Err(BulkRejection::TooManyTags(id)) => {
            let mut errors = ValidationErrors::default();
            let i = items.iter().position(|(t, _)| *t == id).unwrap_or_default();
            errors.push(format!("ids[{i}]"), format!("task {id} would have more than {} tags", todo_domain::MAX_TAGS));
            Err(errors.into())
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
