//! The built-in assistant of todo-app: a deterministic English command interpreter.
//!
//! It understands short requests such as "Add a task to buy groceries", "What's pending?",
//! "Mark task 3 as complete", "Delete the meeting task" or "Change task 1 to 'Call mom tonight'"
//! and carries them out by calling the same task tools the LLM agent uses, through a
//! [`ToolRunner`] that the caller implements (the real store in the agent, a fake in tests).
//! No model, network or database is involved, so it works on any machine and is the default
//! assistant when no LLM provider is configured, and the fallback when one fails.
//!
//! It never drops part of a request silently: two changes in one sentence are both made, and
//! what it cannot do (a repeat it cannot store, reminders, a part it cannot read) is said in the reply
//! while the rest is done. Which assistant answered is not part of the text: the chat API
//! reports it beside the reply, and the web UI shows it as a label.
//! Every date it reads or says is in the user's time zone: "friday" is an all-day task on the
//! user's Friday, "friday 5pm" the instant it is 17:00 there (see [`dates`]).
#![forbid(unsafe_code)]

pub mod dates;
mod intent;
mod text;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};

use crate::dates::Due;
use crate::intent::{Changes, DueFilter, Intent, ListQuery, NewTask, NotDone, Status, Target};

/// Executes one tool for the authenticated user. Implemented by the agent (real store) and by
/// tests (in-memory fake).
pub trait ToolRunner: Send {
    /// Runs the tool `name` with `args`; the error is the message the user sees.
    fn call(
        &mut self,
        name: &str,
        args: serde_json::Value,
    ) -> impl std::future::Future<Output = Result<serde_json::Value, String>> + Send;
}

/// One tool call the interpreter made, with its result, in order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MadeCall {
    /// The tool's name.
    pub name: String,
    /// The arguments it was given.
    pub arguments: serde_json::Value,
    /// What the tool returned, or `{"error": "..."}` when it failed.
    pub result: serde_json::Value,
}

/// The assistant's answer to one message.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reply {
    /// What the assistant says.
    pub text: String,
    /// The tools it called, in order.
    pub calls: Vec<MadeCall>,
}

/// Interprets one user message sent at `now` by a user in `tz`: "today", "tomorrow",
/// "next friday", "at 5pm" and "in 2 hours" are read, and dates are told, in that zone.
pub async fn respond(message: &str, now: DateTime<Utc>, tz: &TimeZone, tools: &mut impl ToolRunner) -> Reply {
    let clock = Clock { now, tz: tz.clone() };
    let today = clock.local(now).date();
    let intent = intent::parse(message, today);
    let mut session = Session { tools, calls: Vec::new(), today, clock, last: None, failed: false };
    let text = Box::pin(session.run(intent)).await;
    Reply { text, calls: session.calls }
}

/// The eight example commands of the specification, as written there.
pub const SPEC_COMMANDS: [&str; 8] = [
    "Add a task to buy groceries",
    "Show me all my tasks",
    "What's pending?",
    "Mark task 3 as complete",
    "Delete the meeting task",
    "Change task 1 to 'Call mom tonight'",
    "I need to remember to pay bills",
    "What have I completed?",
];

/// Whether the interpreter reads `message` with certainty: a request it can do
/// in full (the specification's commands and their kin) or a greeting. Help,
/// questions back, messages it does not understand and requests it can only do
/// in part are not certain: with builtin-first routing those go to the model.
pub fn understands(message: &str, now: DateTime<Utc>, tz: &TimeZone) -> bool {
    let today = Clock { now, tz: tz.clone() }.local(now).date();
    certain(&intent::parse(message, today))
}

const GREETING_OPENINGS: [&str; 2] = ["Hi! ", "You're welcome! "];

fn certain(intent: &Intent) -> bool {
    match intent {
        // A greeting or thanks; "help" and what it did not understand are not.
        Intent::Help { opening } => GREETING_OPENINGS.contains(opening),
        Intent::Clarify(_) | Intent::Partly { .. } => false,
        Intent::Sequence(steps) => steps.iter().all(certain),
        Intent::Add(_)
        | Intent::List(_)
        | Intent::Complete(_)
        | Intent::Reopen(_)
        | Intent::Delete(_)
        | Intent::Update(..)
        | Intent::Tags { .. } => true,
    }
}

/// What the built-in assistant can do, in one paragraph.
pub fn help_text() -> &'static str {
    "I'm the built-in assistant. I can add tasks (\"add a task to buy groceries tomorrow, high priority #shopping\"), \
     show them (\"what's pending?\", \"show overdue tasks\", \"what have I completed?\", \"search dentist\"), \
     complete them (\"mark task 3 as complete\", \"I finished the groceries task\"), change them \
     (\"change task 1 to 'Call mom tonight'\", \"set task 2 priority to high\", \"move task 4 to friday\"), \
     make them repeat (\"add pay rent every month on the 1st\", \"make task 2 repeat every monday\") \
     and delete them (\"delete the meeting task\")."
}

/// The moment of the message and the user's zone: every conversion between the user's
/// wall clock and instants.
struct Clock {
    now: DateTime<Utc>,
    tz: TimeZone,
}

impl Clock {
    fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        let ts = jiff::Timestamp::from_millisecond(t.timestamp_millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let dt = self.tz.to_datetime(ts);
        let date = NaiveDate::from_ymd_opt(dt.year().into(), dt.month() as u32, dt.day() as u32).unwrap_or_default();
        date.and_time(NaiveTime::from_hms_opt(dt.hour() as u32, dt.minute() as u32, 0).unwrap_or_default())
    }

    /// The instant a local wall-clock time names; a time a daylight-saving change skips is
    /// read as the same time after the jump, a repeated one as its first occurrence.
    fn instant(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        use chrono::Timelike;
        let civil = jiff::civil::date(date.year() as i16, date.month() as i8, date.day() as i8).at(
            time.hour() as i8,
            time.minute() as i8,
            0,
            0,
        );
        match self.tz.to_ambiguous_zoned(civil).compatible() {
            Ok(z) => DateTime::from_timestamp_millis(z.timestamp().as_millisecond()).unwrap_or_default(),
            Err(_) => date.and_time(time).and_utc(),
        }
    }

    /// RFC 3339 with the user's offset then: `2026-12-04T17:00:00-08:00`.
    fn rfc3339(&self, t: DateTime<Utc>) -> String {
        let ts = jiff::Timestamp::from_millisecond(t.timestamp_millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let offset = self.tz.to_offset(ts).seconds();
        match chrono::FixedOffset::east_opt(offset) {
            Some(o) => t.with_timezone(&o).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            None => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// A due phrase in the user's calendar, resolved: "in 2 hours" becomes the local time then.
    fn resolve(&self, due: &Due) -> Resolved {
        if let Some(m) = due.minutes_from_now {
            let at = self.now + chrono::Duration::minutes(m);
            let local = self.local(at);
            return Resolved { date: local.date(), time: Some(local.time()), at: Some(at) };
        }
        Resolved { date: due.date, time: due.time, at: due.time.map(|t| self.instant(due.date, t)) }
    }
}

/// A due date ready to send and to say: the local day, the local time of a timed one and its instant.
struct Resolved {
    date: NaiveDate,
    time: Option<NaiveTime>,
    at: Option<DateTime<Utc>>,
}

/// When a listed task is due.
#[derive(Debug, Clone, Copy)]
enum TaskDue {
    At(DateTime<Utc>),
    Day(NaiveDate),
}

/// A task as `list_tasks` returns it (parsed leniently).
#[derive(Debug, Clone)]
struct TaskInfo {
    id: i64,
    title: String,
    completed: bool,
    priority: String,
    tags: Vec<String>,
    due: Option<TaskDue>,
    /// How it repeats, in words, as the tools say it.
    repeats: Option<String>,
}

impl TaskInfo {
    fn from_json(v: &Value) -> Option<TaskInfo> {
        let id = v.get("id").or_else(|| v.get("task_id")).and_then(Value::as_i64)?;
        Some(TaskInfo {
            id,
            title: v.get("title").and_then(Value::as_str).unwrap_or("(untitled)").to_string(),
            completed: v.get("completed").and_then(Value::as_bool).unwrap_or(false),
            priority: v.get("priority").and_then(Value::as_str).unwrap_or("medium").to_string(),
            repeats: v.get("repeats").and_then(Value::as_str).map(str::to_string),
            tags: v
                .get("tags")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
            due: v
                .get("due_at")
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| TaskDue::At(d.with_timezone(&Utc)))
                .or_else(|| {
                    let day = v.get("due_date").and_then(Value::as_str)?;
                    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok().map(TaskDue::Day)
                }),
        })
    }
}

fn tasks_of(v: &Value) -> Vec<TaskInfo> {
    let list = v.get("tasks").and_then(Value::as_array).or_else(|| v.as_array());
    list.map(|a| a.iter().filter_map(TaskInfo::from_json).collect()).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Complete,
    Delete,
    Update,
    Tag,
}

impl Op {
    fn question(self) -> &'static str {
        match self {
            Op::Complete => "Which one should I mark as done?",
            Op::Delete => "Which one should I delete?",
            Op::Update => "Which one should I change?",
            Op::Tag => "Which one should I tag?",
        }
    }

    fn example(self, id: i64) -> String {
        match self {
            Op::Complete => format!("mark task {id} as complete"),
            Op::Delete => format!("delete task {id}"),
            Op::Update => format!("change task {id} to ..."),
            Op::Tag => format!("tag task {id} with ..."),
        }
    }

    fn failed(self) -> &'static str {
        match self {
            Op::Complete => "mark that task as done",
            Op::Delete => "delete that task",
            Op::Update => "change that task",
            Op::Tag => "tag that task",
        }
    }
}

/// A repeat in words: the tool's (`repeats`), or the rule as sent when it says none.
fn repeat_words(result: &Value, sent: Option<&str>) -> Option<String> {
    result.get("repeats").and_then(Value::as_str).map(str::to_string).or_else(|| sent.map(str::to_string))
}

/// The task a command acts on.
struct Picked {
    id: i64,
    info: Option<TaskInfo>,
}

struct Session<'t, T: ToolRunner> {
    tools: &'t mut T,
    calls: Vec<MadeCall>,
    today: NaiveDate,
    clock: Clock,
    /// The task the last step acted on: what "it" means in the next one.
    last: Option<(i64, Option<TaskInfo>)>,
    /// Whether a step could not be done (the steps after it are not tried).
    failed: bool,
}

impl<T: ToolRunner> Session<'_, T> {
    async fn call(&mut self, name: &str, args: Value) -> Result<Value, String> {
        let outcome = self.tools.call(name, args.clone()).await;
        let result = match &outcome {
            Ok(v) => v.clone(),
            Err(e) => json!({ "error": e }),
        };
        self.calls.push(MadeCall { name: name.to_string(), arguments: args, result });
        outcome
    }

    /// A reply that says the step was not done.
    fn fail(&mut self, reply: String) -> String {
        self.failed = true;
        reply
    }

    async fn run(&mut self, intent: Intent) -> String {
        match intent {
            Intent::Sequence(steps) => {
                let mut said = Vec::new();
                let total = steps.len();
                for (i, step) in steps.into_iter().enumerate() {
                    said.push(Box::pin(self.run(step)).await);
                    if self.failed && i + 1 < total {
                        said.push("I stopped there and didn't do the rest of your request.".to_string());
                        break;
                    }
                }
                said.join(" ")
            }
            Intent::Partly { intent, not_done } => {
                let added = matches!(*intent, Intent::Add(_));
                let mut out = Box::pin(self.run(*intent)).await;
                if self.failed {
                    return out;
                }
                for n in not_done {
                    out.push(' ');
                    out.push_str(&match n {
                        NotDone::Repeat(phrase) if added => format!(
                            "I can't repeat a task \"{phrase}\" (only daily, weekly, monthly or yearly), so I added it once."
                        ),
                        NotDone::Repeat(phrase) => format!(
                            "I can't repeat a task \"{phrase}\" (only daily, weekly, monthly or yearly), so it doesn't repeat."
                        ),
                        NotDone::Reminder if added => {
                            "I can't send reminders yet, so it's a task on your list instead of a reminder.".to_string()
                        }
                        NotDone::Reminder => "I can't send reminders yet, so there is no reminder.".to_string(),
                        NotDone::Unclear(words) => {
                            format!("I didn't understand \"{words}\", so I didn't do that part.")
                        }
                    });
                }
                out
            }
            Intent::Help { opening } => format!("{opening}{}", help_text()),
            Intent::Clarify(question) => question,
            Intent::Add(task) => self.add(task).await,
            Intent::List(query) => self.list(query).await,
            Intent::Complete(target) => self.complete(target).await,
            Intent::Reopen(target) => {
                let which = match target {
                    Target::Id(id) => format!("task {id}"),
                    Target::Title(t) => format!("\"{t}\""),
                    Target::It => match &self.last {
                        Some((id, _)) => format!("task {id}"),
                        None => "it".to_string(),
                    },
                };
                format!(
                    "I can't reopen {which}: I can only mark tasks as done. You can reopen it from your task list in the app."
                )
            }
            Intent::Delete(target) => self.delete(target).await,
            Intent::Update(target, changes) => self.update(target, changes).await,
            Intent::Tags { target, add, remove } => self.tag(target, add, remove).await,
        }
    }

    async fn add(&mut self, task: NewTask) -> String {
        let mut args = Map::new();
        args.insert("title".into(), json!(task.title));
        if let Some(d) = &task.description {
            args.insert("description".into(), json!(d));
        }
        if let Some(p) = task.priority {
            args.insert("priority".into(), json!(p));
        }
        if !task.tags.is_empty() {
            args.insert("tags".into(), json!(task.tags));
        }
        if let Some(due) = &task.due {
            let (key, value) = self.due_arg(due);
            args.insert(key.into(), value);
        }
        if let Some(rule) = &task.repeat {
            args.insert("repeat".into(), json!(rule));
        }
        match self.call("add_task", Value::Object(args)).await {
            Ok(v) => {
                let title = v.get("title").and_then(Value::as_str).unwrap_or(&task.title).to_string();
                let id = v.get("task_id").and_then(Value::as_i64);
                self.last = id.map(|id| (id, None));
                let mut details = Vec::new();
                if let Some(due) = task.due {
                    details.push(format!("due {}", self.due_words(&due)));
                }
                if let Some(p) = task.priority {
                    details.push(format!("{p} priority"));
                }
                if !task.tags.is_empty() {
                    details.push(format!("tagged {}", hash_tags(&task.tags)));
                }
                if let Some(words) = repeat_words(&v, task.repeat.as_deref()) {
                    details.push(format!("repeating {words}"));
                }
                let mut out = format!("I've added \"{title}\" to your list");
                if let Some(id) = id {
                    out.push_str(&format!(" as task {id}"));
                }
                if !details.is_empty() {
                    out.push_str(&format!(": {}", details.join(", ")));
                }
                out.push('.');
                out
            }
            Err(e) => {
                let reply = format!("Sorry, I couldn't add \"{}\": {}.", task.title, trim_err(&e));
                self.fail(reply)
            }
        }
    }

    async fn list(&mut self, query: ListQuery) -> String {
        let mut args = Map::new();
        args.insert("status".into(), json!(query.status.as_str()));
        if let Some(p) = query.priority {
            args.insert("priority".into(), json!(p));
        }
        if let Some(t) = &query.tag {
            args.insert("tag".into(), json!(t));
        }
        if let Some(q) = &query.q {
            args.insert("q".into(), json!(q));
        }
        if let Some(d) = query.due {
            let due = match d {
                DueFilter::Overdue => "overdue",
                DueFilter::Today => "today",
                DueFilter::Tomorrow | DueFilter::Week => "week",
            };
            args.insert("due".into(), json!(due));
        }
        let v = match self.call("list_tasks", Value::Object(args)).await {
            Ok(v) => v,
            Err(e) => return format!("Sorry, I couldn't look up your tasks: {}.", trim_err(&e)),
        };
        let mut tasks = tasks_of(&v);
        let mut total = v.get("count").and_then(Value::as_u64).map_or(tasks.len(), |c| c as usize).max(tasks.len());
        if query.due == Some(DueFilter::Tomorrow) {
            let tomorrow = self.today.succ_opt();
            tasks.retain(|t| t.due.map(|d| self.local_day(d)) == tomorrow);
            total = tasks.len();
        }
        let what = describe_query(&query);
        if tasks.is_empty() {
            let filtered = query.priority.is_some() || query.tag.is_some() || query.q.is_some() || query.due.is_some();
            return match (query.status, filtered) {
                (Status::All, false) => "Your list is empty. Try \"add a task to buy groceries\".".to_string(),
                (Status::Pending, false) => "You have no pending tasks. Nice work!".to_string(),
                (Status::Completed, false) => "You haven't completed any tasks yet.".to_string(),
                _ => format!("You have no {what}."),
            };
        }
        let show_done = query.status == Status::All;
        let lines: Vec<String> = tasks.iter().map(|t| self.task_line(t, show_done)).collect();
        let mut out = match (query.status, tasks.len()) {
            (Status::Completed, n) => format!("You've completed {n} {}:", what_for(&query, n)),
            (_, n) => format!("You have {n} {}:", what_for(&query, n)),
        };
        out.push('\n');
        out.push_str(&lines.join("\n"));
        if total > tasks.len() {
            out.push_str(&format!("\n(Showing the first {} of {total}.)", tasks.len()));
        }
        out
    }

    async fn complete(&mut self, target: Target) -> String {
        let picked = match self.resolve(&target, Op::Complete).await {
            Ok(p) => p,
            Err(reply) => return reply,
        };
        match self.call("complete_task", json!({ "task_id": picked.id })).await {
            Ok(v) => {
                let title = result_title(&v, &picked);
                let mut out = format!("Nice work! I've marked \"{title}\" (task {}) as complete.", picked.id);
                let next = json!({
                    "id": v.get("next_task_id"),
                    "title": title,
                    "due_at": v.get("next_due_at"),
                    "due_date": v.get("next_due_date"),
                });
                if let Some(info) = v.get("next_task_id").and_then(|_| TaskInfo::from_json(&next)) {
                    out.push_str(&format!(" It repeats: the next one is {}.", self.task_line(&info, false)));
                }
                out
            }
            Err(e) => {
                let reply = friendly_error(Op::Complete, picked.id, &e);
                self.fail(reply)
            }
        }
    }

    async fn delete(&mut self, target: Target) -> String {
        let picked = match self.resolve(&target, Op::Delete).await {
            Ok(p) => p,
            Err(reply) => return reply,
        };
        match self.call("delete_task", json!({ "task_id": picked.id })).await {
            Ok(v) => {
                let title = result_title(&v, &picked);
                format!("I've deleted \"{title}\" (task {}) from your list.", picked.id)
            }
            Err(e) => {
                let reply = friendly_error(Op::Delete, picked.id, &e);
                self.fail(reply)
            }
        }
    }

    async fn update(&mut self, target: Target, changes: Changes) -> String {
        let picked = match self.resolve(&target, Op::Update).await {
            Ok(p) => p,
            Err(reply) => return reply,
        };
        let mut args = Map::new();
        args.insert("task_id".into(), json!(picked.id));
        let mut said = Vec::new();
        if let Some(t) = &changes.title {
            args.insert("title".into(), json!(t));
        }
        if let Some(d) = &changes.description {
            args.insert("description".into(), json!(d));
            said.push("updated its description".to_string());
        }
        if let Some(p) = changes.priority {
            args.insert("priority".into(), json!(p));
            said.push(format!("set its priority to {p}"));
        }
        if let Some(due) = changes.due {
            let (key, value) = self.due_arg(&due);
            args.insert(key.into(), value);
            said.push(format!("made it due {}", self.due_words(&due)));
        }
        if let Some(rule) = &changes.repeat {
            args.insert("repeat".into(), json!(rule));
        }
        match self.call("update_task", Value::Object(args)).await {
            Ok(v) => {
                if let Some(words) = repeat_words(&v, changes.repeat.as_deref()).filter(|_| changes.repeat.is_some()) {
                    said.push(format!("made it repeat {words}"));
                }
                let title = result_title(&v, &picked);
                let id = picked.id;
                match (&changes.title, said.is_empty()) {
                    (Some(_), true) => format!("I've renamed task {id} to \"{title}\"."),
                    (Some(_), false) => format!("I've renamed task {id} to \"{title}\" and {}.", join_and(&said)),
                    (None, _) => format!("I've updated \"{title}\" (task {id}): {}.", join_and(&said)),
                }
            }
            Err(e) => {
                let reply = friendly_error(Op::Update, picked.id, &e);
                self.fail(reply)
            }
        }
    }

    async fn tag(&mut self, target: Target, add: Vec<String>, remove: Vec<String>) -> String {
        let picked = match self.resolve(&target, Op::Tag).await {
            Ok(p) => p,
            Err(reply) => return reply,
        };
        let current = picked.info.as_ref().map(|i| i.tags.clone()).unwrap_or_default();
        let mut tags: Vec<String> = current.iter().filter(|t| !remove.contains(t)).cloned().collect();
        for t in &add {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        if tags == current {
            let title = picked.info.as_ref().map_or(String::new(), |i| format!(" (\"{}\")", i.title));
            return format!("Task {}{title} already has those tags: nothing to change.", picked.id);
        }
        match self.call("update_task", json!({ "task_id": picked.id, "tags": tags })).await {
            Ok(v) => {
                let title = result_title(&v, &picked);
                if tags.is_empty() {
                    format!("I've removed all tags from \"{title}\" (task {}).", picked.id)
                } else {
                    format!("\"{title}\" (task {}) is now tagged {}.", picked.id, hash_tags(&tags))
                }
            }
            Err(e) => {
                let reply = friendly_error(Op::Tag, picked.id, &e);
                self.fail(reply)
            }
        }
    }

    /// Finds the task a command names. `Err` carries the reply to give instead (not found,
    /// ambiguous, already done, lookup failed).
    async fn resolve(&mut self, target: &Target, op: Op) -> Result<Picked, String> {
        let picked = self.resolve_target(target, op).await;
        match picked {
            Ok(p) => {
                self.last = Some((p.id, p.info.clone()));
                Ok(p)
            }
            Err(reply) => Err(self.fail(reply)),
        }
    }

    async fn resolve_target(&mut self, target: &Target, op: Op) -> Result<Picked, String> {
        let words = match target {
            Target::It => {
                return match self.last.clone() {
                    Some((id, info)) if op != Op::Tag || info.is_some() => Ok(Picked { id, info }),
                    Some((id, _)) => Box::pin(self.resolve_target(&Target::Id(id), op)).await,
                    None => Err("Which task do you mean? Say, for example, \"task 3\".".to_string()),
                };
            }
            Target::Id(id) if op != Op::Tag => return Ok(Picked { id: *id, info: None }),
            Target::Id(id) => {
                // Tag changes need the current tags.
                let v = self.call("list_tasks", json!({ "status": "all" })).await.map_err(lookup_failed)?;
                return match tasks_of(&v).into_iter().find(|t| t.id == *id) {
                    Some(info) => Ok(Picked { id: *id, info: Some(info) }),
                    None => Err(format!(
                        "I couldn't find task {id}. Say \"show my tasks\" to see your tasks and their numbers."
                    )),
                };
            }
            Target::Title(words) => words.clone(),
        };
        let v = self.call("list_tasks", json!({ "status": "all", "q": words })).await.map_err(lookup_failed)?;
        let mut found = tasks_of(&v);
        if found.is_empty() {
            // Second chance: word-by-word ("buying groceries" finds "Buy groceries").
            let v = self.call("list_tasks", json!({ "status": "all" })).await.map_err(lookup_failed)?;
            found = tasks_of(&v).into_iter().filter(|t| fuzzy_match(&words, &t.title)).collect();
        }
        if found.is_empty() {
            return Err(format!(
                "I couldn't find a task matching \"{words}\". Say \"show my tasks\" to see what's on your list."
            ));
        }
        if op == Op::Complete {
            let open: Vec<TaskInfo> = found.iter().filter(|t| !t.completed).cloned().collect();
            if open.is_empty() {
                return Err(match found.as_slice() {
                    [t] => format!("\"{}\" (task {}) is already complete.", t.title, t.id),
                    _ => format!("All the tasks matching \"{words}\" are already complete."),
                });
            }
            found = open;
        }
        if found.len() > 1 {
            let exact: Vec<&TaskInfo> = found.iter().filter(|t| t.title.eq_ignore_ascii_case(&words)).collect();
            if let [t] = exact.as_slice() {
                return Ok(Picked { id: t.id, info: Some((*t).clone()) });
            }
            // "Which one should I delete: #3 Pay rent, #7 Pay rent deposit (due Jun 12)?"
            let candidates: Vec<String> = found.iter().map(|t| self.task_line(t, true)).collect();
            return Err(format!(
                "I found {} tasks matching \"{words}\". {}: {}? Say, for example, \"{}\".",
                found.len(),
                op.question().trim_end_matches('?'),
                candidates.join(", "),
                op.example(found[0].id)
            ));
        }
        let t = found.remove(0);
        Ok(Picked { id: t.id, info: Some(t) })
    }

    /// "3. Buy milk (due Dec 1, high)"
    fn task_line(&self, t: &TaskInfo, show_done: bool) -> String {
        let mut details = Vec::new();
        if show_done && t.completed {
            details.push("done".to_string());
        }
        if let Some(due) = t.due {
            let date = self.local_day(due);
            let mut s = if date == self.today {
                "due today".to_string()
            } else if Some(date) == self.today.succ_opt() {
                "due tomorrow".to_string()
            } else {
                format!("due {}", short_date(date, self.today))
            };
            if let TaskDue::At(at) = due {
                s.push_str(&format!(" at {}", self.clock.local(at).format("%H:%M")));
            }
            // An all-day task is overdue from the next local midnight, a timed one from its instant.
            let overdue = match due {
                TaskDue::At(at) => at < self.clock.now,
                TaskDue::Day(day) => day < self.today,
            };
            if !t.completed && overdue {
                s.push_str(", overdue");
            }
            details.push(s);
        }
        if t.priority != "medium" && !t.priority.is_empty() {
            details.push(t.priority.clone());
        }
        if !t.tags.is_empty() {
            details.push(hash_tags(&t.tags));
        }
        if let Some(words) = &t.repeats {
            details.push(format!("repeats {words}"));
        }
        if details.is_empty() {
            format!("#{} {}", t.id, t.title)
        } else {
            format!("#{} {} ({})", t.id, t.title, details.join(", "))
        }
    }

    /// The local day a listed task is due on.
    fn local_day(&self, due: TaskDue) -> NaiveDate {
        match due {
            TaskDue::At(at) => self.clock.local(at).date(),
            TaskDue::Day(day) => day,
        }
    }

    /// The tool argument of a due phrase: `due_date` for a day, `due_at` (with the user's
    /// offset) for a time.
    fn due_arg(&self, due: &Due) -> (&'static str, Value) {
        let r = self.clock.resolve(due);
        match r.at {
            Some(at) => ("due_at", json!(self.clock.rfc3339(at))),
            None => ("due_date", json!(r.date.format("%Y-%m-%d").to_string())),
        }
    }

    /// "tomorrow (Thu, Jun 11)", "Fri, Dec 4 at 09:30", in the user's zone.
    fn due_words(&self, due: &Due) -> String {
        let r = self.clock.resolve(due);
        let day = r.date.format("%a, %b %-d").to_string();
        let day = if r.date.year() == self.today.year() { day } else { format!("{day}, {}", r.date.year()) };
        let rel = if r.date == self.today {
            format!("today ({day})")
        } else if Some(r.date) == self.today.succ_opt() {
            format!("tomorrow ({day})")
        } else {
            day
        };
        match r.time {
            Some(t) => format!("{rel} at {}", t.format("%H:%M")),
            None => rel,
        }
    }
}

fn short_date(date: NaiveDate, today: NaiveDate) -> String {
    if date.year() == today.year() { date.format("%b %-d").to_string() } else { date.format("%b %-d, %Y").to_string() }
}

fn hash_tags(tags: &[String]) -> String {
    tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" ")
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn result_title(v: &Value, picked: &Picked) -> String {
    v.get("title")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| picked.info.as_ref().map(|i| i.title.clone()))
        .unwrap_or_else(|| format!("task {}", picked.id))
}

fn trim_err(e: &str) -> &str {
    e.trim().trim_end_matches('.')
}

fn lookup_failed(e: String) -> String {
    format!("Sorry, I couldn't look up your tasks: {}.", trim_err(&e))
}

/// Turns a tool error into a sentence.
fn friendly_error(op: Op, id: i64, e: &str) -> String {
    let low = e.to_ascii_lowercase();
    if ["doesn't exist", "does not exist", "not found", "no task", "no such", "unknown task"]
        .iter()
        .any(|p| low.contains(p))
    {
        format!(
            "I couldn't find task {id}: it doesn't exist. Say \"show my tasks\" to see your tasks and their numbers."
        )
    } else {
        format!("Sorry, I couldn't {}: {}.", op.failed(), trim_err(e))
    }
}

/// "pending tasks", "high-priority tasks due today matching \"milk\"".
fn what_for(query: &ListQuery, n: usize) -> String {
    let mut s = String::new();
    if query.status == Status::Pending {
        s.push_str("pending ");
    }
    if let Some(DueFilter::Overdue) = query.due {
        s.push_str("overdue ");
    }
    if let Some(p) = query.priority {
        s.push_str(p);
        s.push_str("-priority ");
    }
    s.push_str(if n == 1 { "task" } else { "tasks" });
    match query.due {
        Some(DueFilter::Today) => s.push_str(" due today"),
        Some(DueFilter::Tomorrow) => s.push_str(" due tomorrow"),
        Some(DueFilter::Week) => s.push_str(" due in the next 7 days"),
        _ => {}
    }
    if let Some(t) = &query.tag {
        s.push_str(&format!(" tagged #{t}"));
    }
    if let Some(q) = &query.q {
        s.push_str(&format!(" matching \"{q}\""));
    }
    s
}

fn describe_query(query: &ListQuery) -> String {
    let mut s = String::new();
    if query.status == Status::Completed {
        s.push_str("completed ");
    }
    s.push_str(&what_for(query, 2));
    s
}

/// Every significant word of `query` appears (by stem) among the title's words.
fn fuzzy_match(query: &str, title: &str) -> bool {
    const STOP: &[&str] = &["the", "and", "for", "with", "task", "todo", "about", "that", "this", "one", "from"];
    let stems = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|w| w.chars().count() >= 3 && !STOP.contains(&w.as_str()))
            .map(|w| stem(&w))
            .collect()
    };
    let q = stems(query);
    let t = stems(title);
    !q.is_empty()
        && q.iter().all(|qw| {
            t.iter().any(|tw| {
                tw == qw
                    || (qw.len() >= 3 && tw.len() >= 3 && (tw.starts_with(qw.as_str()) || qw.starts_with(tw.as_str())))
            })
        })
}

fn stem(w: &str) -> String {
    for (suffix, repl) in [("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")] {
        if let Some(base) = w.strip_suffix(suffix)
            && base.chars().count() >= 3
        {
            return format!("{base}{repl}");
        }
    }
    w.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn understands_the_commands_and_leaves_the_rest_to_a_model() {
        let now = Utc::now();
        for m in
            SPEC_COMMANDS.iter().chain(&["hi", "thanks!", "complete task 3 and delete task 4", "show overdue tasks"])
        {
            assert!(understands(m, now, &TimeZone::UTC), "{m}");
        }
        for m in ["What is the capital of France?", "help", "", "plan my week around the dentist", "blorp"] {
            assert!(!understands(m, now, &TimeZone::UTC), "{m}");
        }
    }

    #[test]
    fn fuzzy() {
        assert!(fuzzy_match("buying groceries", "Buy groceries"));
        assert!(fuzzy_match("meetings", "Team meeting"));
        assert!(!fuzzy_match("dentist", "Buy groceries"));
        assert!(!fuzzy_match("the", "The thing"));
    }

    #[test]
    fn lists_join() {
        assert_eq!(join_and(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    }

    #[test]
    fn friendly_errors() {
        assert!(friendly_error(Op::Delete, 7, "task 7 doesn't exist").contains("couldn't find task 7"));
        assert_eq!(
            friendly_error(Op::Update, 2, "title is too long."),
            "Sorry, I couldn't change that task: title is too long."
        );
    }

    #[test]
    fn respond_future_is_send() {
        struct Nothing;
        impl ToolRunner for Nothing {
            async fn call(&mut self, _: &str, _: Value) -> Result<Value, String> {
                Err("no".into())
            }
        }
        fn assert_send<F: std::future::Future + Send>(_: F) {}
        let mut t = Nothing;
        assert_send(respond("hi", Utc::now(), &TimeZone::UTC, &mut t));
    }
}
