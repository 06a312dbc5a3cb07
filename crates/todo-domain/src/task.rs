use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::ValidationErrors;
use crate::recurrence::validate_repeat;
use crate::text::{check_text, clean_text, has_visible_char};

/// Longest task title, in characters after trimming.
pub const TITLE_MAX_CHARS: usize = 200;
/// Longest task description, in characters after trimming.
pub const DESCRIPTION_MAX_CHARS: usize = 1000;
/// Most tags on one task.
pub const MAX_TAGS: usize = 10;
/// Longest tag, in characters.
pub const TAG_MAX_CHARS: usize = 32;
/// Tasks on a page when the client asks for no number.
pub const LIST_DEFAULT_LIMIT: u32 = 50;
/// Most tasks on one page.
pub const LIST_MAX_LIMIT: u32 = 100;
/// Longest search text, in characters.
pub const SEARCH_MAX_CHARS: usize = 200;
/// The farthest UTC offsets in use (UTC-14:00 is not, but is allowed for symmetry).
pub const UTC_OFFSET_MAX_MINUTES: i32 = 14 * 60;

/// Priority of a task: low, medium (the default), high or urgent.
// Stored as its rank so that sorting by priority is a plain numeric sort in
// every database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Some day.
    Low,
    #[default]
    /// The default.
    Medium,
    /// Soon.
    High,
    /// Now.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Medium, Priority::High, Priority::Urgent];

    /// The number stored in the database: 0 (low) to 3 (urgent).
    pub fn rank(self) -> i16 {
        match self {
            Priority::Low => 0,
            Priority::Medium => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }

    /// The priority of a stored rank; out-of-range ranks clamp to low or urgent.
    pub fn from_rank(rank: i16) -> Priority {
        match rank {
            i16::MIN..=0 => Priority::Low,
            1 => Priority::Medium,
            2 => Priority::High,
            _ => Priority::Urgent,
        }
    }

    /// The name used in the API and by the assistant.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// A priority from its name, in any case.
    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// A task as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    /// Its number among the user's tasks: 1, 2, 3... in creation order, never
    /// reused (not even after a delete). It is the `{id}` of the task's paths,
    /// what the MCP tools and the assistant call "task 3", and `#3` in the UI.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, example = 3))]
    pub id: i64,
    /// The account that owns it.
    pub user_id: String,
    /// What is to be done.
    pub title: String,
    /// More detail, if any.
    pub description: Option<String>,
    /// Whether it is done.
    pub completed: bool,
    /// How urgent it is.
    pub priority: Priority,
    /// Its tags, lower-cased, without duplicates.
    pub tags: Vec<String>,
    #[serde(serialize_with = "crate::timestamp::serialize_opt")]
    /// When it is due, for a task due at a time of day; none for an all-day task.
    pub due_at: Option<DateTime<Utc>>,
    /// The day it is due, for an all-day task (due during the whole of that day
    /// in the owner's time zone); none for a timed task. At most one of
    /// `due_at` and `due_date` is set.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date, example = "2026-12-04"))]
    pub due_date: Option<NaiveDate>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    /// When it was created.
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::serialize_opt")]
    /// When it was completed; none while it is pending.
    pub completed_at: Option<DateTime<Utc>>,
    /// How it repeats: an RFC 5545 recurrence rule without `RRULE:`, in
    /// canonical form (`FREQ=WEEKLY;BYDAY=MO`); none for a one-off task.
    /// Completing a recurring task creates its next occurrence.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "FREQ=WEEKLY;BYDAY=MO"))]
    pub repeat: Option<String>,
}

/// Body of `POST /tasks` and `PUT /tasks/{id}`: a whole task. On PUT, omitted
/// optional fields are cleared (or reset to their default), except `completed`,
/// which keeps its current value when omitted.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    /// 1-200 characters after trimming.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::title))]
    pub title: String,
    /// Up to 1000 characters; empty means none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::description))]
    pub description: Option<String>,
    /// Omitted or `null`: medium.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Up to 10 tags of 1-32 characters: letters, digits, `-` and `_`; they are
    /// lower-cased, inner spaces become `-`, duplicates are dropped.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::tags))]
    pub tags: Option<Vec<String>>,
    /// RFC 3339 date-time, for example `2026-12-01T17:00:00Z`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::due_at))]
    pub due_at: Option<DateTime<Utc>>,
    /// An all-day due date, `YYYY-MM-DD`: due during that whole day in the
    /// user's time zone. Not together with `due_at`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::due_date))]
    pub due_date: Option<NaiveDate>,
    /// Omitted or `null`: false on POST, unchanged on PUT.
    #[serde(default)]
    pub completed: Option<bool>,
    /// A recurrence rule (`FREQ=WEEKLY;BYDAY=MO`, see [`crate::Recurrence`]);
    /// needs `due_at` or `due_date`. Omitted, `null` or empty: no repeat.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::repeat))]
    pub repeat: Option<String>,
}

/// Body of `PATCH /tasks/{id}`: only the fields present change; `null` clears
/// `description` and `due_at`. At least one field must change.
///
/// The server also takes `null` for the other fields and treats it as absent;
/// the document leaves that out so that every body it allows changes something.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaskPatchInput {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::title))]
    /// The new title.
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::description))]
    /// The new description; `null` clears it.
    pub description: Option<Option<String>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Priority))]
    /// The new priority.
    pub priority: Option<Priority>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::tags_patch))]
    /// The new tags, replacing all of them.
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::due_at))]
    /// The new due date-time, replacing an all-day date; `null` clears it.
    pub due_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::due_date))]
    /// The new all-day due date, replacing a due date-time; `null` clears it.
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = bool))]
    /// Done or not.
    pub completed: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::repeat))]
    /// The new recurrence rule; `null` or empty stops the repeat. The task
    /// must have (or get) a due.
    pub repeat: Option<Option<String>>,
}

/// Distinguishes a field sent as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A validated, normalised task ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDraft {
    /// The title, trimmed.
    pub title: String,
    /// The description, trimmed; none when it was empty.
    pub description: Option<String>,
    /// The priority (medium when none was given).
    pub priority: Priority,
    /// The normalised tags.
    pub tags: Vec<String>,
    /// The due date-time of a timed task.
    pub due_at: Option<DateTime<Utc>>,
    /// The due day of an all-day task (never set with `due_at`).
    pub due_date: Option<NaiveDate>,
    /// Done or not; none keeps the current state (and means pending for a new task).
    pub completed: Option<bool>,
    /// The recurrence rule, canonical; only with a due.
    pub repeat: Option<String>,
}

/// A validated partial update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskChanges {
    /// A new title.
    pub title: Option<String>,
    /// A new description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// A new priority.
    pub priority: Option<Priority>,
    /// New tags, replacing all of them.
    pub tags: Option<Vec<String>>,
    /// A new due date-time (`Some(None)` clears it).
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// A new all-day due date (`Some(None)` clears it). Validation clears
    /// whichever of the two a change does not set, so they never coexist.
    pub due_date: Option<Option<NaiveDate>>,
    /// Done or not.
    pub completed: Option<bool>,
    /// A new recurrence rule, canonical (`Some(None)` stops the repeat).
    pub repeat: Option<Option<String>>,
}

impl TaskChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == TaskChanges::default()
    }

    /// The task as it is after these changes, stamped at `now`.
    pub fn apply(&self, task: &Task, now: DateTime<Utc>) -> Task {
        let mut t = task.clone();
        if let Some(v) = &self.title {
            t.title = v.clone();
        }
        if let Some(v) = &self.description {
            t.description = v.clone();
        }
        if let Some(v) = self.priority {
            t.priority = v;
        }
        if let Some(v) = &self.tags {
            t.tags = v.clone();
        }
        if let Some(v) = self.due_at {
            t.due_at = v;
        }
        if let Some(v) = self.due_date {
            t.due_date = v;
        }
        if let Some(done) = self.completed
            && done != t.completed
        {
            t.completed = done;
            t.completed_at = done.then_some(now);
        }
        if let Some(v) = &self.repeat {
            t.repeat = v.clone();
        }
        // A rule counts from the due: a task without one does not repeat
        // (the store's UPDATE keeps the same rule).
        if t.due_at.is_none() && t.due_date.is_none() {
            t.repeat = None;
        }
        t.updated_at = now;
        t
    }
}

impl From<TaskDraft> for TaskChanges {
    fn from(d: TaskDraft) -> Self {
        TaskChanges {
            title: Some(d.title),
            description: Some(d.description),
            priority: Some(d.priority),
            tags: Some(d.tags),
            due_at: Some(d.due_at),
            due_date: Some(d.due_date),
            completed: d.completed,
            repeat: Some(d.repeat),
        }
    }
}

/// Trims a title and checks its length and characters; returns it trimmed.
pub fn validate_title(raw: &str, errors: &mut ValidationErrors) -> String {
    let title = match clean_text(raw.trim()) {
        Ok(title) => title,
        Err(msg) => {
            errors.push("title", msg);
            return raw.trim().to_string();
        }
    };
    let n = title.chars().count();
    if n == 0 {
        errors.push("title", "must not be empty");
    } else if n > TITLE_MAX_CHARS {
        errors.push("title", format!("must be at most {TITLE_MAX_CHARS} characters (got {n})"));
    } else if !has_visible_char(&title) {
        // Kept as typed rather than cleaned up, so a title that shows nothing is
        // refused instead of silently becoming something else.
        errors.push("title", "must contain a visible character");
    }
    title
}

/// Trims a description and checks it; an empty one is none.
pub fn validate_description(raw: Option<&str>, errors: &mut ValidationErrors) -> Option<String> {
    let d = check_text("description", raw?.trim(), errors);
    let n = d.chars().count();
    if n > DESCRIPTION_MAX_CHARS {
        errors.push("description", format!("must be at most {DESCRIPTION_MAX_CHARS} characters (got {n})"));
    }
    (!d.is_empty()).then_some(d)
}

/// A due date an answer can carry: RFC 3339 (the `date-time` of the API) has
/// four-digit years, and a valid one with a far offset (`9999-12-31T23:59:59-23:59`)
/// lands outside them in UTC.
pub fn validate_due_at(due: Option<DateTime<Utc>>, errors: &mut ValidationErrors) {
    if let Some(d) = due
        && !(0..=9999).contains(&d.year())
    {
        errors.push("due_at", "must be from year 0000 to 9999 in UTC");
    }
}

/// An all-day date a response can carry: four-digit years, like `due_at`.
pub fn validate_due_date(due: Option<NaiveDate>, errors: &mut ValidationErrors) {
    if let Some(d) = due
        && !(0..=9999).contains(&d.year())
    {
        errors.push("due_date", "must be from year 0000 to 9999");
    }
}

/// A task is due either at an instant or on a day, never both.
fn check_one_due(at: bool, date: bool, errors: &mut ValidationErrors) {
    if at && date {
        errors.push("due_date", "give either due_at (a date-time) or due_date (an all-day date), not both");
    }
}

/// Lower-cases a tag, turns inner whitespace into `-` and drops a leading `#`.
pub fn normalize_tag(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_start_matches('#');
    let tag = trimmed.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase();
    let n = tag.chars().count();
    if n == 0 {
        return Err("must not be empty".into());
    }
    if n > TAG_MAX_CHARS {
        return Err(format!("must be at most {TAG_MAX_CHARS} characters"));
    }
    if let Some(bad) = tag.chars().find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(format!("may contain only letters, digits, '-' and '_' (found {bad:?})"));
    }
    Ok(tag)
}

/// Normalises every tag, drops duplicates and checks their number; each bad tag is named by its index.
pub fn validate_tags(raw: &[String], errors: &mut ValidationErrors) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        match normalize_tag(t) {
            Ok(tag) if !tags.contains(&tag) => tags.push(tag),
            Ok(_) => {}
            Err(msg) => errors.push(format!("tags[{i}]"), msg),
        }
    }
    if tags.len() > MAX_TAGS {
        errors.push("tags", format!("at most {MAX_TAGS} tags (got {})", tags.len()));
    }
    tags
}

impl TaskInput {
    /// Checks every field of a whole task, naming each problem.
    pub fn validate(&self) -> Result<TaskDraft, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        validate_due_at(self.due_at, &mut errors);
        validate_due_date(self.due_date, &mut errors);
        check_one_due(self.due_at.is_some(), self.due_date.is_some(), &mut errors);
        let draft = TaskDraft {
            title: validate_title(&self.title, &mut errors),
            description: validate_description(self.description.as_deref(), &mut errors),
            priority: self.priority.unwrap_or_default(),
            tags: validate_tags(self.tags.as_deref().unwrap_or_default(), &mut errors),
            due_at: self.due_at,
            due_date: self.due_date,
            completed: self.completed,
            repeat: validate_repeat(
                self.repeat.as_deref(),
                self.due_at.is_some() || self.due_date.is_some(),
                &mut errors,
            ),
        };
        errors.into_result(draft)
    }
}

impl TaskPatchInput {
    /// Checks every field sent, naming each problem; a body that changes nothing is refused.
    pub fn validate(&self) -> Result<TaskChanges, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        validate_due_at(self.due_at.flatten(), &mut errors);
        validate_due_date(self.due_date.flatten(), &mut errors);
        check_one_due(self.due_at.flatten().is_some(), self.due_date.flatten().is_some(), &mut errors);
        // Setting one kind of due date clears the other.
        let (due_at, due_date) = match (self.due_at, self.due_date) {
            (Some(Some(at)), _) => (Some(Some(at)), Some(None)),
            (_, Some(Some(day))) => (Some(None), Some(Some(day))),
            other => other,
        };
        let changes = TaskChanges {
            title: self.title.as_deref().map(|t| validate_title(t, &mut errors)),
            description: self.description.as_ref().map(|d| validate_description(d.as_deref(), &mut errors)),
            priority: self.priority,
            tags: self.tags.as_deref().map(|t| validate_tags(t, &mut errors)),
            due_at,
            due_date,
            completed: self.completed,
            // Whether the task has a due is only known with the task: the
            // store checks that in the update's transaction (a conflict).
            repeat: self.repeat.as_ref().map(|r| validate_repeat(r.as_deref(), true, &mut errors)),
        };
        if errors.is_empty() && changes.is_empty() {
            errors.push("body", "at least one field to change is required");
        }
        errors.into_result(changes)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "lowercase"))]
/// Which tasks a list shows by completion.
pub enum StatusFilter {
    #[default]
    /// Every task.
    All,
    /// Tasks not done yet.
    Pending,
    /// Tasks done.
    Completed,
}

impl StatusFilter {
    /// A status from its name (`done` is `completed`, empty is `all`), in any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" | "" => Some(Self::All),
            "pending" => Some(Self::Pending),
            "completed" | "done" => Some(Self::Completed),
            _ => None,
        }
    }
}

/// overdue (past due and not completed), today, or week (due within the next 7 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "lowercase"))]
pub enum DueFilter {
    /// Past due and not completed.
    Overdue,
    /// Due today in the user's time zone (an all-day task on today's date, or a timed one before the next local midnight).
    Today,
    /// Due within the next 7 days, today included.
    Week,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "lowercase"))]
/// What a task list is sorted by.
pub enum SortField {
    #[default]
    /// Creation time (the default).
    Created,
    /// Time of the last change.
    Updated,
    /// Due date.
    Due,
    /// Priority.
    Priority,
    /// Title, ignoring case.
    Title,
}

impl SortField {
    /// The order a person expects when they pick this sort and no direction.
    pub fn default_order(self) -> SortOrder {
        match self {
            SortField::Created | SortField::Updated | SortField::Priority => SortOrder::Desc,
            SortField::Due | SortField::Title => SortOrder::Asc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "lowercase"))]
/// The direction of a sort.
pub enum SortOrder {
    /// Smallest, oldest or A first.
    Asc,
    /// Largest, newest or Z first.
    Desc,
}

/// Query string of `GET /tasks`, as sent. Every value is parsed by
/// [`TaskListParams::validate`] so that errors name the parameter.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TaskListParams {
    /// all (default), pending or completed (also `done`; case-insensitive).
    #[cfg_attr(feature = "openapi", param(value_type = Option<StatusFilter>, inline))]
    pub status: Option<String>,
    /// low, medium, high or urgent.
    #[cfg_attr(feature = "openapi", param(value_type = Option<Priority>, inline))]
    pub priority: Option<String>,
    /// Only tasks carrying this tag.
    #[cfg_attr(feature = "openapi", param(schema_with = crate::openapi::tag))]
    pub tag: Option<String>,
    /// Case-insensitive text searched in title and description, up to 200 characters.
    #[cfg_attr(feature = "openapi", param(schema_with = crate::openapi::search))]
    pub q: Option<String>,
    /// overdue (past due and not completed), today, or week (due within the next 7 days).
    #[cfg_attr(feature = "openapi", param(value_type = Option<DueFilter>, inline))]
    pub due: Option<String>,
    /// created (default), updated, due, priority or title (also `created_at`, `updated_at`, `due_at`).
    #[cfg_attr(feature = "openapi", param(value_type = Option<SortField>, inline))]
    pub sort: Option<String>,
    /// asc or desc; the default depends on `sort` (newest, most urgent, soonest due, A-Z first).
    #[cfg_attr(feature = "openapi", param(value_type = Option<SortOrder>, inline))]
    pub order: Option<String>,
    /// 1-100, default 50.
    #[cfg_attr(feature = "openapi", param(schema_with = crate::openapi::limit))]
    pub limit: Option<String>,
    /// Number of tasks to skip, default 0.
    #[cfg_attr(feature = "openapi", param(schema_with = crate::openapi::offset))]
    pub offset: Option<String>,
    /// Deprecated: a fixed UTC offset in minutes (for example 60 or -300) to use instead of the user's time zone for `due`. Default: the user's `time_zone`.
    #[cfg_attr(feature = "openapi", param(schema_with = crate::openapi::utc_offset))]
    pub utc_offset: Option<String>,
    /// Where the page starts: the `X-Next-Cursor` of the page before (also in its
    /// `Link: rel="next"`), with the same `sort` and `order`; not with `offset`.
    #[cfg_attr(feature = "openapi", param(schema_with = crate::openapi::cursor))]
    pub cursor: Option<String>,
}

/// A validated task query.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFilter {
    /// Which tasks by completion.
    pub status: StatusFilter,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only tasks with this (normalised) tag.
    pub tag: Option<String>,
    /// Only tasks whose title or description contains this text, ignoring case.
    pub search: Option<String>,
    /// Only tasks in this due-date window.
    pub due: Option<DueFilter>,
    /// The sort key.
    pub sort: SortField,
    /// The sort direction.
    pub order: SortOrder,
    /// Page size.
    pub limit: u32,
    /// Tasks skipped.
    pub offset: u32,
    /// A fixed UTC offset in minutes the client asked for instead of its zone.
    pub utc_offset_minutes: Option<i32>,
    /// The user's time zone, which decides where "today" starts; filled in
    /// by the store from the account when the client sent no offset.
    pub time_zone: Option<jiff::tz::TimeZone>,
    /// Start after this task's sort key instead of at `offset`.
    pub after: Option<crate::PageCursor>,
}

impl Default for TaskFilter {
    fn default() -> Self {
        TaskFilter {
            status: StatusFilter::All,
            priority: None,
            tag: None,
            search: None,
            due: None,
            sort: SortField::Created,
            order: SortOrder::Desc,
            limit: LIST_DEFAULT_LIMIT,
            offset: 0,
            utc_offset_minutes: None,
            time_zone: None,
            after: None,
        }
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl TaskListParams {
    /// Parses every parameter, naming each one that is wrong.
    pub fn validate(&self) -> Result<TaskFilter, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut f = TaskFilter::default();
        if let Some(s) = non_empty(&self.status) {
            match StatusFilter::parse(s) {
                Some(v) => f.status = v,
                None => errors.push("status", "must be one of all, pending, completed"),
            }
        }
        if let Some(s) = non_empty(&self.priority) {
            match Priority::parse(s) {
                Some(p) => f.priority = Some(p),
                None => errors.push("priority", "must be one of low, medium, high, urgent"),
            }
        }
        if let Some(s) = non_empty(&self.tag) {
            match normalize_tag(s) {
                Ok(t) => f.tag = Some(t),
                Err(msg) => errors.push("tag", msg),
            }
        }
        if let Some(s) = non_empty(&self.q) {
            match clean_text(s) {
                Err(msg) => errors.push("q", msg),
                Ok(q) if q.chars().count() > SEARCH_MAX_CHARS => {
                    errors.push("q", format!("must be at most {SEARCH_MAX_CHARS} characters"))
                }
                Ok(q) => f.search = Some(q),
            }
        }
        if let Some(s) = non_empty(&self.due) {
            match s.to_ascii_lowercase().as_str() {
                "overdue" => f.due = Some(DueFilter::Overdue),
                "today" => f.due = Some(DueFilter::Today),
                "week" => f.due = Some(DueFilter::Week),
                _ => errors.push("due", "must be one of overdue, today, week"),
            }
        }
        if let Some(s) = non_empty(&self.sort) {
            match s.to_ascii_lowercase().as_str() {
                "created" | "created_at" => f.sort = SortField::Created,
                "updated" | "updated_at" => f.sort = SortField::Updated,
                "due" | "due_at" => f.sort = SortField::Due,
                "priority" => f.sort = SortField::Priority,
                "title" => f.sort = SortField::Title,
                _ => errors.push("sort", "must be one of created, updated, due, priority, title"),
            }
        }
        f.order = f.sort.default_order();
        if let Some(s) = non_empty(&self.order) {
            match s.to_ascii_lowercase().as_str() {
                "asc" => f.order = SortOrder::Asc,
                "desc" => f.order = SortOrder::Desc,
                _ => errors.push("order", "must be asc or desc"),
            }
        }
        if let Some(s) = non_empty(&self.limit) {
            match s.parse::<u32>() {
                Ok(n) if (1..=LIST_MAX_LIMIT).contains(&n) => f.limit = n,
                _ => errors.push("limit", format!("must be an integer from 1 to {LIST_MAX_LIMIT}")),
            }
        }
        if let Some(s) = non_empty(&self.offset) {
            match s.parse::<u32>() {
                Ok(n) => f.offset = n,
                Err(_) => errors.push("offset", "must be a non-negative integer"),
            }
        }
        if let Some(s) = non_empty(&self.utc_offset) {
            match s.parse::<i32>() {
                Ok(n) if (-UTC_OFFSET_MAX_MINUTES..=UTC_OFFSET_MAX_MINUTES).contains(&n) => {
                    f.utc_offset_minutes = Some(n)
                }
                _ => errors.push("utc_offset", "must be an integer number of minutes from -840 to 840"),
            }
        }
        if let Some(s) = non_empty(&self.cursor) {
            if f.offset > 0 {
                errors.push("cursor", "cannot be combined with offset: a cursor already says where the page starts");
            }
            match crate::PageCursor::decode(s, f.sort, f.order) {
                Ok(c) => f.after = Some(c),
                Err(msg) => errors.push("cursor", msg),
            }
        }
        errors.into_result(f)
    }
}

impl TaskFilter {
    /// The zone the due filters and the due sort work in: the fixed offset the
    /// client asked for, else the user's zone, else UTC.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        if let Some(minutes) = self.utc_offset_minutes {
            return jiff::tz::Offset::from_seconds(minutes * 60)
                .map(jiff::tz::TimeZone::fixed)
                .unwrap_or(jiff::tz::TimeZone::UTC);
        }
        self.time_zone.clone().unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Whether answering needs the user's zone: a due filter or a sort by due date.
    pub fn needs_zone(&self) -> bool {
        self.utc_offset_minutes.is_none()
            && self.time_zone.is_none()
            && (self.due.is_some() || matches!(self.sort, SortField::Due | SortField::Priority))
    }

    /// The half-open due-date window `[from, to)` of timed tasks a due filter
    /// selects, relative to `now`, between local midnights of [`TaskFilter::zone`]
    /// (so a week across a daylight-saving change is 167 or 169 hours).
    /// `Overdue` has no lower bound and ends at `now`.
    pub fn due_window(&self, now: DateTime<Utc>) -> Option<(Option<DateTime<Utc>>, DateTime<Utc>)> {
        let due = self.due?;
        let tz = self.zone();
        let today = crate::zone::local_date(now, &tz);
        let midnight =
            |days: u64| today.checked_add_days(chrono::Days::new(days)).map(|d| crate::zone::start_of_day(d, &tz));
        Some(match due {
            DueFilter::Overdue => (None, now),
            DueFilter::Today => (Some(midnight(0)?), midnight(1)?),
            DueFilter::Week => (Some(midnight(0)?), midnight(7)?),
        })
    }

    /// The half-open window `[from, to)` of all-day dates a due filter selects:
    /// an all-day task is due during its whole local day, so it is today's on
    /// that date and overdue from the next local midnight.
    pub fn due_days(&self, now: DateTime<Utc>) -> Option<(Option<NaiveDate>, NaiveDate)> {
        let due = self.due?;
        let today = crate::zone::local_date(now, &self.zone());
        let plus = |n| today.checked_add_days(chrono::Days::new(n));
        Some(match due {
            DueFilter::Overdue => (None, today),
            DueFilter::Today => (Some(today), plus(1)?),
            DueFilter::Week => (Some(today), plus(7)?),
        })
    }
}

/// How many of the user's tasks each view of the task page has, counted in
/// one query (`GET /api/{user_id}/tasks/counts`), in the user's time zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskCounts {
    /// Every task.
    pub all: i64,
    /// Not completed.
    pub pending: i64,
    /// Completed.
    pub completed: i64,
    /// Not completed and past due (as `due=overdue`).
    pub overdue: i64,
    /// Not completed and due before the next local midnight: today's and the overdue ones (the Today view).
    pub today: i64,
    /// Not completed and due within the next 7 days, today included (as `due=week`; the Upcoming view).
    pub upcoming: i64,
}

/// One page of a task list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskPage {
    /// The tasks of this page.
    pub tasks: Vec<Task>,
    /// How many tasks match, over all pages; past the store's bound (10,000)
    /// the bound itself, a lower bound.
    pub total: i64,
    /// False when `total` is a lower bound: more tasks match than were counted.
    pub total_exact: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, FixedOffset};

    fn params(pairs: &[(&str, &str)]) -> TaskListParams {
        let mut p = TaskListParams::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "status" => p.status = v,
                "priority" => p.priority = v,
                "tag" => p.tag = v,
                "q" => p.q = v,
                "due" => p.due = v,
                "sort" => p.sort = v,
                "order" => p.order = v,
                "limit" => p.limit = v,
                "offset" => p.offset = v,
                "utc_offset" => p.utc_offset = v,
                _ => panic!("unknown {k}"),
            }
        }
        p
    }

    fn fields(e: ValidationErrors) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn title_is_trimmed_and_bounded() {
        let mut e = ValidationErrors::default();
        assert_eq!(validate_title("  Buy milk \n", &mut e), "Buy milk");
        assert!(e.is_empty());
        validate_title("   ", &mut e);
        validate_title(&"x".repeat(201), &mut e);
        assert_eq!(fields(e), ["title", "title"]);
        let mut ok = ValidationErrors::default();
        validate_title(&"é".repeat(200), &mut ok);
        assert!(ok.is_empty(), "200 multi-byte characters are allowed");
    }

    #[test]
    fn control_characters_and_invisible_titles_are_refused() {
        for bad in ["Buy\0milk", "\u{1b}[31mred", "bell\u{7}", "\u{200b}", "\u{feff}", "\u{200b} \u{feff}", "\u{2800}"]
        {
            let mut e = ValidationErrors::default();
            validate_title(bad, &mut e);
            assert_eq!(fields(e), ["title"], "{bad:?}");
        }
        let mut e = ValidationErrors::default();
        assert_eq!(validate_title("\u{200b}Buy milk", &mut e), "\u{200b}Buy milk", "kept as typed");
        assert_eq!(validate_title("Tab\there", &mut e), "Tab\there");
        assert!(e.is_empty());
        assert_eq!(validate_description(Some("a\r\nb"), &mut e), Some("a\nb".into()));
        assert!(e.is_empty());
        validate_description(Some("a\0b"), &mut e);
        assert_eq!(fields(e), ["description"]);
        let p: TaskPatchInput = serde_json::from_str(r#"{"title": "x\u0000", "description": "\u0000"}"#).unwrap();
        assert_eq!(fields(p.validate().unwrap_err()), ["title", "description"]);
        assert_eq!(fields(params(&[("q", "milk\0")]).validate().unwrap_err()), ["q"]);
        assert_eq!(fields(params(&[("tag", "home\0")]).validate().unwrap_err()), ["tag"]);
    }

    #[test]
    fn description_empty_means_none_and_is_bounded() {
        let mut e = ValidationErrors::default();
        assert_eq!(validate_description(Some("  "), &mut e), None);
        assert_eq!(validate_description(None, &mut e), None);
        assert_eq!(validate_description(Some(" a "), &mut e), Some("a".into()));
        assert!(e.is_empty());
        validate_description(Some(&"d".repeat(1001)), &mut e);
        assert_eq!(fields(e), ["description"]);
    }

    #[test]
    fn tags_are_normalised_deduplicated_and_bounded() {
        let mut e = ValidationErrors::default();
        let tags = validate_tags(&["  Work ".into(), "#home".into(), "work".into(), "Deep  Focus".into()], &mut e);
        assert_eq!(tags, ["work", "home", "deep-focus"]);
        assert!(e.is_empty());

        let mut e = ValidationErrors::default();
        validate_tags(&["ok".into(), "".into(), "a\"b".into(), "x".repeat(33)], &mut e);
        assert_eq!(fields(e), ["tags[1]", "tags[2]", "tags[3]"]);

        let mut e = ValidationErrors::default();
        let many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        validate_tags(&many, &mut e);
        assert_eq!(fields(e), ["tags"]);
    }

    #[test]
    fn task_input_collects_every_error() {
        let input = TaskInput {
            title: "".into(),
            description: Some("d".repeat(1001)),
            tags: Some(vec!["bad tag!".into()]),
            ..Default::default()
        };
        assert_eq!(fields(input.validate().unwrap_err()), ["title", "description", "tags[0]"]);
    }

    #[test]
    fn task_input_defaults() {
        let d = TaskInput { title: "t".into(), ..Default::default() }.validate().unwrap();
        assert_eq!(d.priority, Priority::Medium);
        assert!(d.tags.is_empty() && d.description.is_none() && d.completed.is_none());
    }

    #[test]
    fn patch_distinguishes_null_from_absent() {
        let p: TaskPatchInput = serde_json::from_str(r#"{"description": null}"#).unwrap();
        assert_eq!(p.validate().unwrap().description, Some(None));
        let p: TaskPatchInput = serde_json::from_str(r#"{"title": "x"}"#).unwrap();
        let c = p.validate().unwrap();
        assert_eq!(c.description, None);
        assert_eq!(c.title.as_deref(), Some("x"));
        let p: TaskPatchInput = serde_json::from_str("{}").unwrap();
        assert_eq!(fields(p.validate().unwrap_err()), ["body"]);
        assert!(serde_json::from_str::<TaskPatchInput>(r#"{"titel": "x"}"#).is_err());
    }

    #[test]
    fn due_at_stays_within_four_digit_years() {
        let due = |s: &str| {
            let mut e = ValidationErrors::default();
            validate_due_at(Some(s.parse::<DateTime<FixedOffset>>().unwrap().to_utc()), &mut e);
            e.is_empty()
        };
        assert!(due("0000-01-01T00:00:00Z") && due("9999-12-31T23:59:59.999999999Z"));
        assert!(due("0001-01-01T00:00:00+23:59") && due("9998-12-31T23:59:59-23:59"));
        assert!(!due("9999-12-31T23:59:59-23:59") && !due("0000-01-01T00:00:00+00:01"));
    }

    #[test]
    fn repeat_is_canonical_needs_a_due_and_bad_rules_name_the_field() {
        let day: NaiveDate = "2026-12-07".parse().unwrap();
        let input = |repeat: &str, due_date: Option<NaiveDate>| TaskInput {
            title: "t".into(),
            due_date,
            repeat: Some(repeat.into()),
            ..Default::default()
        };
        let d = input("rrule:byday=mo;freq=weekly", Some(day)).validate().unwrap();
        assert_eq!(d.repeat.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO"));
        assert_eq!(input("  ", None).validate().unwrap().repeat, None, "blank is no repeat");
        for (rule, due) in [("FREQ=WEEKLY", None), ("FREQ=HOURLY", Some(day)), ("FREQ=DAILY;COUNT=3", Some(day))] {
            let e = input(rule, due).validate().unwrap_err();
            assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["repeat"], "{rule}");
        }
        let patch: TaskPatchInput = serde_json::from_str(r#"{"repeat": "freq=daily"}"#).unwrap();
        assert_eq!(patch.validate().unwrap().repeat, Some(Some("FREQ=DAILY".into())));
        let patch: TaskPatchInput = serde_json::from_str(r#"{"repeat": null}"#).unwrap();
        assert_eq!(patch.validate().unwrap().repeat, Some(None));
        let patch: TaskPatchInput = serde_json::from_str(r#"{"repeat": "FREQ=SECONDLY"}"#).unwrap();
        assert_eq!(patch.validate().unwrap_err().0[0].field, "repeat");
    }

    #[test]
    fn completing_sets_and_clears_completed_at() {
        let now = Utc::now();
        let t = Task {
            id: 1,
            user_id: "u".into(),
            title: "t".into(),
            description: None,
            completed: false,
            priority: Priority::Low,
            tags: vec![],
            due_at: None,
            due_date: None,
            created_at: now,
            updated_at: now,
            completed_at: None,
            repeat: None,
        };
        let later = now + Duration::seconds(5);
        let done = TaskChanges { completed: Some(true), ..Default::default() }.apply(&t, later);
        assert!(done.completed && done.completed_at == Some(later) && done.updated_at == later);
        let again =
            TaskChanges { completed: Some(true), ..Default::default() }.apply(&done, later + Duration::seconds(1));
        assert_eq!(again.completed_at, Some(later), "completing twice keeps the first time");
        let undone = TaskChanges { completed: Some(false), ..Default::default() }.apply(&done, later);
        assert!(!undone.completed && undone.completed_at.is_none());
    }

    #[test]
    fn list_params_defaults() {
        let f = TaskListParams::default().validate().unwrap();
        assert_eq!(f, TaskFilter::default());
    }

    #[test]
    fn list_params_parse_every_field() {
        let f = params(&[
            ("status", "Pending"),
            ("priority", "HIGH"),
            ("tag", "Work"),
            ("q", " milk "),
            ("due", "week"),
            ("sort", "due"),
            ("limit", "100"),
            ("offset", "20"),
            ("utc_offset", "-300"),
        ])
        .validate()
        .unwrap();
        assert_eq!(f.status, StatusFilter::Pending);
        assert_eq!(f.priority, Some(Priority::High));
        assert_eq!(f.tag.as_deref(), Some("work"));
        assert_eq!(f.search.as_deref(), Some("milk"));
        assert_eq!(f.due, Some(DueFilter::Week));
        assert_eq!((f.sort, f.order), (SortField::Due, SortOrder::Asc));
        assert_eq!((f.limit, f.offset, f.utc_offset_minutes), (100, 20, Some(-300)));
        let f = params(&[("sort", "title"), ("order", "desc")]).validate().unwrap();
        assert_eq!((f.sort, f.order), (SortField::Title, SortOrder::Desc));
    }

    #[test]
    fn list_params_name_each_bad_field() {
        let e = params(&[
            ("status", "open"),
            ("priority", "max"),
            ("due", "later"),
            ("sort", "size"),
            ("order", "up"),
            ("limit", "101"),
            ("offset", "-1"),
            ("utc_offset", "9999"),
        ])
        .validate()
        .unwrap_err();
        assert_eq!(fields(e), ["status", "priority", "due", "sort", "order", "limit", "offset", "utc_offset"]);
        assert_eq!(fields(params(&[("limit", "0")]).validate().unwrap_err()), ["limit"]);
        assert_eq!(fields(params(&[("limit", "abc")]).validate().unwrap_err()), ["limit"]);
    }

    #[test]
    fn due_windows_follow_the_client_day() {
        let now: DateTime<Utc> = "2026-03-10T02:30:00Z".parse().unwrap();
        let mut f = TaskFilter { due: Some(DueFilter::Today), ..Default::default() };
        let (from, to) = f.due_window(now).unwrap();
        assert_eq!(from.unwrap().to_rfc3339(), "2026-03-10T00:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-03-11T00:00:00+00:00");
        // At 02:30 UTC it is still the 9th in New York (UTC-5).
        f.utc_offset_minutes = Some(-300);
        let (from, to) = f.due_window(now).unwrap();
        assert_eq!(from.unwrap().to_rfc3339(), "2026-03-09T05:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-03-10T05:00:00+00:00");
        f.due = Some(DueFilter::Week);
        assert_eq!(f.due_window(now).unwrap().1.to_rfc3339(), "2026-03-16T05:00:00+00:00");
        f.due = Some(DueFilter::Overdue);
        assert_eq!(f.due_window(now).unwrap(), (None, now));
        f.due = None;
        assert!(f.due_window(now).is_none());
    }

    #[test]
    fn due_windows_run_between_local_midnights_across_daylight_saving_changes() {
        let la = crate::lookup_time_zone("America/Los_Angeles").unwrap().1;
        let f = |due| TaskFilter { due: Some(due), time_zone: Some(la.clone()), ..Default::default() };
        // 07:30 UTC on 8 March 2026 is 23:30 PST on the 7th; the 8th is 23 hours long.
        let now: DateTime<Utc> = "2026-03-08T09:30:00Z".parse().unwrap();
        let (from, to) = f(DueFilter::Today).due_window(now).unwrap();
        assert_eq!(
            (from.unwrap().to_rfc3339(), to.to_rfc3339()),
            ("2026-03-08T08:00:00+00:00".into(), "2026-03-09T07:00:00+00:00".into())
        );
        let (_, week_end) = f(DueFilter::Week).due_window(now).unwrap();
        assert_eq!(week_end.to_rfc3339(), "2026-03-15T07:00:00+00:00");
        let before: DateTime<Utc> = "2026-03-08T07:30:00Z".parse().unwrap();
        assert_eq!(
            f(DueFilter::Today).due_days(before).unwrap(),
            (Some("2026-03-07".parse().unwrap()), "2026-03-08".parse().unwrap())
        );
        // 1 November is 25 hours long.
        let now: DateTime<Utc> = "2026-11-01T12:00:00Z".parse().unwrap();
        let (from, to) = f(DueFilter::Today).due_window(now).unwrap();
        assert_eq!((to - from.unwrap()).num_hours(), 25);
        assert_eq!(f(DueFilter::Overdue).due_days(now).unwrap(), (None, "2026-11-01".parse().unwrap()));
        assert_eq!(
            f(DueFilter::Week).due_days(now).unwrap(),
            (Some("2026-11-01".parse().unwrap()), "2026-11-08".parse().unwrap())
        );
        // A fixed offset the client sends still wins over the zone.
        let fixed = TaskFilter { utc_offset_minutes: Some(540), ..f(DueFilter::Today) };
        assert_eq!(fixed.due_days(now).unwrap().0, Some("2026-11-01".parse().unwrap()));
        assert_eq!(fixed.due_window(now).unwrap().0.unwrap().to_rfc3339(), "2026-10-31T15:00:00+00:00");
    }

    #[test]
    fn a_task_is_due_at_an_instant_or_on_a_day_never_both() {
        let both: TaskInput =
            serde_json::from_str(r#"{"title": "t", "due_at": "2026-12-04T17:00:00Z", "due_date": "2026-12-04"}"#)
                .unwrap();
        assert_eq!(fields(both.validate().unwrap_err()), ["due_date"]);
        let day: TaskInput = serde_json::from_str(r#"{"title": "t", "due_date": "2026-12-04"}"#).unwrap();
        assert_eq!(day.validate().unwrap().due_date, Some("2026-12-04".parse().unwrap()));
        assert!(serde_json::from_str::<TaskInput>(r#"{"title": "t", "due_date": "2026-12-04T10:00:00Z"}"#).is_err());
        let p: TaskPatchInput = serde_json::from_str(r#"{"due_date": "2026-12-04"}"#).unwrap();
        let c = p.validate().unwrap();
        assert_eq!((c.due_at, c.due_date), (Some(None), Some(Some("2026-12-04".parse().unwrap()))));
        let p: TaskPatchInput = serde_json::from_str(r#"{"due_at": "2026-12-04T10:00:00Z"}"#).unwrap();
        assert_eq!(p.validate().unwrap().due_date, Some(None), "a time replaces the day");
        let p: TaskPatchInput =
            serde_json::from_str(r#"{"due_at": "2026-12-04T10:00:00Z", "due_date": "2026-12-04"}"#).unwrap();
        assert_eq!(fields(p.validate().unwrap_err()), ["due_date"]);
        let p: TaskPatchInput = serde_json::from_str(r#"{"due_at": null, "due_date": "2026-12-04"}"#).unwrap();
        assert!(p.validate().is_ok());
    }

    #[test]
    fn priority_round_trips_through_rank() {
        for p in Priority::ALL {
            assert_eq!(Priority::from_rank(p.rank()), p);
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert!(Priority::Urgent > Priority::Low);
    }
}
