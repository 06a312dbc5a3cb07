//! The task tools, one catalogue for the chat agent and the MCP server. Every call
//! acts for the authenticated user the catalogue was built for; nothing in the
//! arguments can name another user.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use todo_domain::{Priority, Task, TaskChanges, TaskInput, TaskListParams, TaskPatchInput, ValidationErrors};
use todo_store::{Store, StoreError};

/// A tool's name, purpose and JSON Schema of its arguments.
#[derive(Debug, Clone)]
pub struct ToolDef {
    /// The name the model (or MCP client) calls it by.
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// The JSON Schema of its arguments.
    pub parameters: Value,
}

/// Why a tool call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// Bad arguments, an unknown task or tool: told to the model so it can explain.
    #[error("{0}")]
    Rejected(String),
    /// The store failed: the whole turn fails.
    #[error(transparent)]
    Store(StoreError),
}

impl From<ValidationErrors> for ToolError {
    fn from(e: ValidationErrors) -> Self {
        ToolError::Rejected(e.summary())
    }
}

fn priority_schema() -> Value {
    json!({"type": "string", "enum": ["low", "medium", "high", "urgent"]})
}

/// A task as the user names it: its number among the user's tasks ("task 3"),
/// which `list_tasks` reports as `id` and `add_task` as `task_id`.
fn task_number_schema() -> Value {
    json!({"type": "integer", "minimum": 1, "description": "The task's number, as list_tasks reports it (the user's \"task 3\")"})
}

/// Every task tool, as offered to the model and listed by the MCP server.
pub fn catalogue() -> Vec<ToolDef> {
    vec![
        ToolDef {
            name: "add_task",
            description: "Create a task for the user. Use for add/create/remember/'I need to'.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "title": {"type": "string", "description": "Short task title, 1-200 characters"},
                    "description": {"type": "string", "description": "Optional details, up to 1000 characters"},
                    "priority": priority_schema(),
                    "tags": {"type": "array", "items": {"type": "string"}, "description": "Up to 10 short tags"},
                    "due_at": {"type": "string", "description": "Due date-time, RFC 3339 (e.g. 2026-12-01T17:00:00Z) or a date YYYY-MM-DD"}
                },
                "required": ["title"]
            }),
        },
        ToolDef {
            name: "list_tasks",
            description: "List the user's tasks. Use for see/show/list/what's pending, and to find a task the user names by its title.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": ["all", "pending", "completed"], "description": "Default all"},
                    "priority": priority_schema(),
                    "tag": {"type": "string"},
                    "q": {"type": "string", "description": "Case-insensitive text to search in title and description"},
                    "due": {"type": "string", "enum": ["overdue", "today", "week"]}
                }
            }),
        },
        ToolDef {
            name: "complete_task",
            description: "Mark a task as completed. Use for done/complete/finished.",
            parameters: json!({
                "type": "object",
                "properties": {"task_id": task_number_schema()},
                "required": ["task_id"]
            }),
        },
        ToolDef {
            name: "delete_task",
            description: "Delete a task. Use for delete/remove/cancel.",
            parameters: json!({
                "type": "object",
                "properties": {"task_id": task_number_schema()},
                "required": ["task_id"]
            }),
        },
        ToolDef {
            name: "update_task",
            description: "Change a task's title, description, priority, tags or due date. Use for change/update/rename.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "task_id": task_number_schema(),
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "priority": priority_schema(),
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "due_at": {"type": ["string", "null"], "description": "RFC 3339 date-time or YYYY-MM-DD; null removes the due date"}
                },
                "required": ["task_id"]
            }),
        },
    ]
}

/// Task ids arrive as numbers or, from some models, numeric strings.
fn task_id(args: &Value) -> Result<i64, ToolError> {
    match args.get("task_id") {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| ToolError::Rejected("task_id must be an integer".into())),
        Some(Value::String(s)) => s
            .trim()
            .trim_start_matches('#')
            .parse()
            .map_err(|_| ToolError::Rejected(format!("task_id {s:?} is not a number"))),
        Some(_) => Err(ToolError::Rejected("task_id must be an integer".into())),
        None => Err(ToolError::Rejected("task_id is required".into())),
    }
}

/// RFC 3339, or a bare date meaning the end of the working day (17:00 UTC).
pub fn parse_due(s: &str) -> Result<DateTime<Utc>, ToolError> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default()).and_utc());
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Ok(dt.and_utc());
    }
    Err(ToolError::Rejected(format!("due_at {s:?} is not a date (use RFC 3339 or YYYY-MM-DD)")))
}

fn parse_priority(v: Option<&str>) -> Result<Option<Priority>, ToolError> {
    v.map(|p| {
        Priority::parse(p)
            .ok_or_else(|| ToolError::Rejected(format!("priority {p:?} must be low, medium, high or urgent")))
    })
    .transpose()
}

#[derive(Deserialize)]
struct AddArgs {
    title: Option<String>,
    description: Option<String>,
    priority: Option<String>,
    tags: Option<Vec<String>>,
    due_at: Option<String>,
}

#[derive(Deserialize, Default)]
struct ListArgs {
    status: Option<String>,
    priority: Option<String>,
    tag: Option<String>,
    q: Option<String>,
    due: Option<String>,
}

fn args_of<T: serde::de::DeserializeOwned>(tool: &str, args: Value) -> Result<T, ToolError> {
    let args = if args.is_null() { json!({}) } else { args };
    serde_json::from_value(args).map_err(|e| ToolError::Rejected(format!("bad arguments for {tool}: {e}")))
}

fn summary(task: &Task, status: &str) -> Value {
    json!({"task_id": task.id, "status": status, "title": task.title})
}

fn listed(task: &Task) -> Value {
    json!({
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "priority": task.priority,
        "tags": task.tags,
        "due_at": task.due_at,
    })
}

/// The catalogue bound to one user.
#[derive(Clone)]
pub struct TaskTools {
    store: Store,
    user_id: String,
}

impl TaskTools {
    /// The tools acting on `user_id`'s tasks only.
    pub fn new(store: Store, user_id: impl Into<String>) -> TaskTools {
        TaskTools { store, user_id: user_id.into() }
    }

    /// The user every call acts for.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// A store failure of a tool: a quota reached is told to the model (or MCP
    /// client) like bad arguments; anything else fails the call.
    fn failed(e: StoreError) -> ToolError {
        match e {
            e @ StoreError::QuotaExceeded { .. } => ToolError::Rejected(e.to_string()),
            other => ToolError::Store(other),
        }
    }

    fn missing(id: i64) -> impl FnOnce(StoreError) -> ToolError {
        move |e| match e {
            StoreError::NotFound => ToolError::Rejected(format!("task {id} doesn't exist")),
            other => Self::failed(other),
        }
    }

    /// Runs one tool. `args` is the JSON object the model (or MCP client) sent.
    pub async fn call(&self, name: &str, args: Value) -> Result<Value, ToolError> {
        match name {
            "add_task" => {
                let a: AddArgs = args_of(name, args)?;
                let input = TaskInput {
                    title: a.title.ok_or_else(|| ToolError::Rejected("title is required".into()))?,
                    description: a.description,
                    priority: parse_priority(a.priority.as_deref())?,
                    tags: a.tags,
                    due_at: a.due_at.as_deref().filter(|s| !s.trim().is_empty()).map(parse_due).transpose()?,
                    completed: None,
                };
                let task = self.store.create_task(&self.user_id, &input.validate()?).await.map_err(Self::failed)?;
                Ok(summary(&task, "created"))
            }
            "list_tasks" => {
                let a: ListArgs = args_of(name, args)?;
                let sort = if a.due.is_some() { "due" } else { "created" };
                let params = TaskListParams {
                    status: a.status,
                    priority: a.priority,
                    tag: a.tag,
                    q: a.q,
                    due: a.due,
                    sort: Some(sort.into()),
                    limit: Some("100".into()),
                    ..Default::default()
                };
                let filter = params.validate()?;
                let page = self.store.list_tasks(&self.user_id, &filter).await.map_err(ToolError::Store)?;
                Ok(json!({"tasks": page.tasks.iter().map(listed).collect::<Vec<_>>(), "count": page.total}))
            }
            "complete_task" => {
                let id = task_id(&args)?;
                let changes = TaskChanges { completed: Some(true), ..Default::default() };
                let task = self.store.update_task(&self.user_id, id, &changes).await.map_err(Self::missing(id))?;
                Ok(summary(&task, "completed"))
            }
            "delete_task" => {
                let id = task_id(&args)?;
                let task = self.store.delete_task(&self.user_id, id).await.map_err(Self::missing(id))?;
                Ok(summary(&task, "deleted"))
            }
            "update_task" => {
                let id = task_id(&args)?;
                let a: AddArgs = args_of(name, args.clone())?;
                let due_at = match args.get("due_at") {
                    None => None,
                    Some(Value::Null) => Some(None),
                    Some(Value::String(s)) if s.trim().is_empty() => Some(None),
                    Some(Value::String(s)) => Some(Some(parse_due(s)?)),
                    Some(_) => return Err(ToolError::Rejected("due_at must be a string or null".into())),
                };
                let patch = TaskPatchInput {
                    title: a.title,
                    description: a.description.map(Some),
                    priority: parse_priority(a.priority.as_deref())?,
                    tags: a.tags,
                    due_at,
                    completed: None,
                };
                let changes = patch.validate().map_err(|e| {
                    if e.0.iter().any(|f| f.field == "body") {
                        ToolError::Rejected(
                            "update_task needs at least one of title, description, priority, tags, due_at".into(),
                        )
                    } else {
                        e.into()
                    }
                })?;
                let task = self.store.update_task(&self.user_id, id, &changes).await.map_err(Self::missing(id))?;
                Ok(summary(&task, "updated"))
            }
            other => Err(ToolError::Rejected(format!(
                "there is no tool named {other:?}; available: add_task, list_tasks, complete_task, delete_task, update_task"
            ))),
        }
    }
}
