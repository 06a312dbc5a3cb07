//! The task tools, one catalogue for the chat agent and the MCP server. Every call
//! acts for the authenticated user the catalogue was built for; nothing in the
//! arguments can name another user.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use jiff::tz::TimeZone;
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
                    "due_at": {"type": "string", "description": DUE_AT_DOC},
                    "due_date": {"type": "string", "description": DUE_DATE_DOC},
                    "repeat": {"type": "string", "description": REPEAT_DOC}
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
            description: "Mark a task as completed. Use for done/complete/finished. Completing a repeating task creates its next occurrence (next_task_id in the result).",
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
            description: "Change a task's title, description, priority, tags, due date or repeat. Use for change/update/rename.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "task_id": task_number_schema(),
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "priority": priority_schema(),
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "due_at": {"type": ["string", "null"], "description": "As for add_task; null removes the due date"},
                    "due_date": {"type": ["string", "null"], "description": "As for add_task; null removes the due date"},
                    "repeat": {"type": ["string", "null"], "description": "As for add_task; null stops the repeat"}
                },
                "required": ["task_id"]
            }),
        },
    ]
}

const DUE_AT_DOC: &str = "When it is due at a time of day: the user's local date-time YYYY-MM-DDTHH:MM (read in the user's time zone) or RFC 3339 with an offset. A bare YYYY-MM-DD means all day.";
const REPEAT_DOC: &str = "How the task repeats, as an iCalendar RRULE without 'RRULE:': FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with optional INTERVAL=n, BYDAY=MO,TU,.. (daily/weekly), BYMONTHDAY=d or -1 (monthly), UNTIL=YYYYMMDD. Examples: every monday FREQ=WEEKLY;BYDAY=MO, every weekday FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR, every 2 weeks FREQ=WEEKLY;INTERVAL=2, monthly on the 15th FREQ=MONTHLY;BYMONTHDAY=15. Needs a due date (the first occurrence).";
const DUE_DATE_DOC: &str =
    "When it is due all day (no time of day): YYYY-MM-DD in the user's calendar. Not together with due_at.";

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

/// A due date as a tool argument gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueArg {
    /// At an instant.
    At(DateTime<Utc>),
    /// All day.
    Day(NaiveDate),
}

/// RFC 3339 (any offset), a local date-time without an offset (read in `tz`,
/// the user's zone: a model resolving "5pm" writes the user's wall clock), or a
/// bare date, which is an all-day date: no clock time is invented for it.
pub fn parse_due(s: &str, tz: &TimeZone) -> Result<DueArg, ToolError> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(DueArg::At(dt.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(DueArg::Day(d));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, format) {
            return Ok(DueArg::At(todo_domain::zone::local_instant(dt.date(), dt.time(), tz)));
        }
    }
    Err(ToolError::Rejected(format!("due_at {s:?} is not a date (use YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339)")))
}

/// `due_at` and `due_date` of add_task / update_task as the task's two fields:
/// outer `None` leaves them alone, `Some(None)` clears.
#[allow(clippy::type_complexity, reason = "the two patch fields, as TaskPatchInput has them")]
fn due_fields(
    args: &Value,
    tz: &TimeZone,
) -> Result<(Option<Option<DateTime<Utc>>>, Option<Option<NaiveDate>>), ToolError> {
    let read = |name: &str| -> Result<Option<Option<DueArg>>, ToolError> {
        match args.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(parse_due(s, tz)?))),
            Some(_) => Err(ToolError::Rejected(format!("{name} must be a string or null"))),
        }
    };
    let at = read("due_at")?;
    let date = match read("due_date")? {
        Some(Some(DueArg::At(_))) => {
            return Err(ToolError::Rejected("due_date must be a date YYYY-MM-DD; use due_at for a time".into()));
        }
        other => other,
    };
    let (mut due_at, mut due_date) = (None, None);
    for given in [at, date] {
        match given {
            None => {}
            Some(None) => {
                due_at.get_or_insert(None);
                due_date.get_or_insert(None);
            }
            Some(Some(DueArg::At(t))) => due_at = Some(Some(t)),
            Some(Some(DueArg::Day(d))) => due_date = Some(Some(d)),
        }
    }
    Ok((due_at, due_date))
}

/// `repeat` of add_task / update_task: outer `None` leaves it alone, `Some(None)` stops it.
fn repeat_field(args: &Value) -> Result<Option<Option<String>>, ToolError> {
    match args.get("repeat") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ToolError::Rejected("repeat must be a string or null".into())),
    }
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
    #[allow(dead_code, reason = "read from the raw arguments by due_fields")]
    due_at: Option<Value>,
    #[allow(dead_code, reason = "read from the raw arguments by due_fields")]
    due_date: Option<Value>,
    #[allow(dead_code, reason = "read from the raw arguments by repeat_field")]
    repeat: Option<Value>,
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
    let mut v = json!({"task_id": task.id, "status": status, "title": task.title});
    if let Some(rule) = &task.repeat {
        v["repeat"] = json!(rule);
        v["repeats"] = json!(repeat_words(rule));
    }
    v
}

/// A rule in words ("every week on Monday"); the rule itself if it does not parse.
fn repeat_words(rule: &str) -> String {
    todo_domain::Recurrence::parse(rule).map(|r| r.describe()).unwrap_or_else(|_| rule.to_string())
}

/// A task as list_tasks returns it, its dates in the user's zone: `due_at`
/// with the user's offset (the same instant), `due_date` for an all-day task.
fn listed(task: &Task, tz: &TimeZone) -> Value {
    json!({
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "priority": task.priority,
        "tags": task.tags,
        "due_at": task.due_at.map(|t| local_rfc3339(t, tz)),
        "due_date": task.due_date,
        "repeat": task.repeat,
        "repeats": task.repeat.as_deref().map(repeat_words),
    })
}

/// `t` as RFC 3339 with the offset `tz` has then, to the minute: `2026-12-04T17:00:00-08:00`.
pub fn local_rfc3339(t: DateTime<Utc>, tz: &TimeZone) -> String {
    let offset = todo_domain::zone::utc_offset_seconds(t, tz);
    match chrono::FixedOffset::east_opt(offset) {
        Some(o) => t.with_timezone(&o).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => todo_domain::timestamp::to_rfc3339(&t),
    }
}

/// The catalogue bound to one user.
#[derive(Clone)]
pub struct TaskTools {
    store: Store,
    user_id: String,
    /// The user's zone, read from the account on first use.
    zone: Arc<OnceLock<TimeZone>>,
}

impl TaskTools {
    /// The tools acting on `user_id`'s tasks only.
    pub fn new(store: Store, user_id: impl Into<String>) -> TaskTools {
        TaskTools { store, user_id: user_id.into(), zone: Arc::default() }
    }

    /// The user's time zone, which every date the tools read or return is in.
    pub async fn time_zone(&self) -> Result<TimeZone, ToolError> {
        if let Some(tz) = self.zone.get() {
            return Ok(tz.clone());
        }
        let tz = self.store.user_time_zone(&self.user_id).await.map_err(ToolError::Store)?;
        Ok(self.zone.get_or_init(|| tz).clone())
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
            StoreError::Conflict(message) => ToolError::Rejected(message),
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
                let a: AddArgs = args_of(name, args.clone())?;
                let (due_at, due_date) = due_fields(&args, &self.time_zone().await?)?;
                let input = TaskInput {
                    title: a.title.ok_or_else(|| ToolError::Rejected("title is required".into()))?,
                    description: a.description,
                    priority: parse_priority(a.priority.as_deref())?,
                    tags: a.tags,
                    due_at: due_at.flatten(),
                    due_date: due_date.flatten(),
                    completed: None,
                    repeat: repeat_field(&args)?.flatten(),
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
                let mut filter = params.validate()?;
                let tz = self.time_zone().await?;
                filter.time_zone = Some(tz.clone());
                let page = self.store.list_tasks(&self.user_id, &filter).await.map_err(ToolError::Store)?;
                let tasks: Vec<Value> = page.tasks.iter().map(|t| listed(t, &tz)).collect();
                Ok(json!({"tasks": tasks, "count": page.total, "time_zone": todo_domain::zone::zone_name(&tz)}))
            }
            "complete_task" => {
                let id = task_id(&args)?;
                let changes = TaskChanges { completed: Some(true), ..Default::default() };
                let done = self.store.update_task_next(&self.user_id, id, &changes).await.map_err(Self::missing(id))?;
                let mut result = summary(&done.task, "completed");
                if let Some(next) = done.next {
                    let tz = self.time_zone().await?;
                    result["next_task_id"] = json!(next.id);
                    result["next_due_at"] = json!(next.due_at.map(|t| local_rfc3339(t, &tz)));
                    result["next_due_date"] = json!(next.due_date);
                }
                Ok(result)
            }
            "delete_task" => {
                let id = task_id(&args)?;
                let task = self.store.delete_task(&self.user_id, id).await.map_err(Self::missing(id))?;
                Ok(summary(&task, "deleted"))
            }
            "update_task" => {
                let id = task_id(&args)?;
                let a: AddArgs = args_of(name, args.clone())?;
                let (due_at, due_date) = due_fields(&args, &self.time_zone().await?)?;
                let patch = TaskPatchInput {
                    title: a.title,
                    description: a.description.map(Some),
                    priority: parse_priority(a.priority.as_deref())?,
                    tags: a.tags,
                    due_at,
                    due_date,
                    completed: None,
                    repeat: repeat_field(&args)?,
                };
                let changes = patch.validate().map_err(|e| {
                    if e.0.iter().any(|f| f.field == "body") {
                        ToolError::Rejected(
                            "update_task needs at least one of title, description, priority, tags, due_at, due_date, repeat"
                                .into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZone {
        todo_domain::lookup_time_zone(name).unwrap().1
    }

    #[test]
    fn a_bare_date_is_all_day_and_a_local_time_is_read_in_the_users_zone() {
        let la = zone("America/Los_Angeles");
        assert_eq!(parse_due("2026-12-04", &la).unwrap(), DueArg::Day("2026-12-04".parse().unwrap()));
        let at = |s: &str, tz: &TimeZone| match parse_due(s, tz).unwrap() {
            DueArg::At(t) => t.to_rfc3339(),
            DueArg::Day(d) => d.to_string(),
        };
        assert_eq!(at("2026-12-04T17:00", &la), "2026-12-05T01:00:00+00:00");
        assert_eq!(at("2026-12-04T17:00:00", &zone("Asia/Tokyo")), "2026-12-04T08:00:00+00:00");
        assert_eq!(at("2026-12-04T17:00:00Z", &la), "2026-12-04T17:00:00+00:00", "an explicit offset wins");
        assert!(parse_due("friday", &la).is_err());
        let t: DateTime<Utc> = "2026-12-05T01:00:00Z".parse().unwrap();
        assert_eq!(local_rfc3339(t, &la), "2026-12-04T17:00:00-08:00");
    }

    #[test]
    fn due_at_and_due_date_replace_each_other() {
        let utc = TimeZone::UTC;
        let (at, day) = due_fields(&json!({"due_at": "2026-12-04"}), &utc).unwrap();
        assert_eq!((at, day), (None, Some(Some("2026-12-04".parse().unwrap()))));
        let (at, day) = due_fields(&json!({"due_at": null}), &utc).unwrap();
        assert_eq!((at, day), (Some(None), Some(None)), "null clears both kinds");
        let (at, day) = due_fields(&json!({}), &utc).unwrap();
        assert_eq!((at, day), (None, None));
        assert!(due_fields(&json!({"due_date": "2026-12-04T10:00:00Z"}), &utc).is_err());
    }
}
