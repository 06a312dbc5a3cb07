//! The built-in assistant against an in-memory fake of the task tools that behaves like the
//! real ones (ids, filters, errors for unknown ids and bad arguments).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test: a panic is the test failing")]

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use jiff::tz::TimeZone;
use serde_json::{Value, json};
use todo_builtin::{MadeCall, Reply, ToolRunner, respond};

#[derive(Debug, Clone)]
struct FakeTask {
    id: i64,
    title: String,
    description: Option<String>,
    completed: bool,
    priority: String,
    tags: Vec<String>,
    due_at: Option<DateTime<Utc>>,
    due_date: Option<NaiveDate>,
    repeat: Option<String>,
}

/// A rule in words, as the real tools say it, for the rules these tests use.
fn repeat_words(rule: &str) -> String {
    match rule {
        "FREQ=DAILY" => "daily".into(),
        "FREQ=WEEKLY" => "every week".into(),
        "FREQ=WEEKLY;BYDAY=MO" => "every week on Monday".into(),
        "FREQ=MONTHLY;BYMONTHDAY=1" => "every month on the 1st".into(),
        other => other.into(),
    }
}

impl FakeTask {
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "completed": self.completed,
            "priority": self.priority,
            "tags": self.tags,
            "due_at": self.due_at.map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            "due_date": self.due_date.map(|d| d.to_string()),
            "repeat": self.repeat,
            "repeats": self.repeat.as_deref().map(repeat_words),
        })
    }

    /// The result of add_task / update_task: what the real tools say.
    fn summary(&self, status: &str) -> Value {
        let mut v = json!({"task_id": self.id, "status": status, "title": self.title});
        if let Some(rule) = &self.repeat {
            v["repeat"] = json!(rule);
            v["repeats"] = json!(repeat_words(rule));
        }
        v
    }
}

struct Fake {
    tasks: Vec<FakeTask>,
    next_id: i64,
    now: DateTime<Utc>,
    /// The user's zone, which the fake's due filters use like the real store.
    tz: TimeZone,
    fail_all: bool,
}

/// Wednesday.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 10).unwrap()
}

impl Fake {
    fn new() -> Fake {
        Fake {
            tasks: Vec::new(),
            next_id: 1,
            now: today().and_hms_opt(12, 0, 0).unwrap().and_utc(),
            tz: TimeZone::UTC,
            fail_all: false,
        }
    }

    /// A user in `zone` at the UTC instant `now`.
    fn at(zone: &str, now: &str) -> Fake {
        Fake { tz: jiff::tz::db().get(zone).unwrap(), now: now.parse().unwrap(), ..Fake::new() }
    }

    fn local_today(&self) -> NaiveDate {
        let ts = jiff::Timestamp::from_millisecond(self.now.timestamp_millis()).unwrap();
        let d = self.tz.to_datetime(ts).date();
        NaiveDate::from_ymd_opt(d.year().into(), d.month() as u32, d.day() as u32).unwrap()
    }

    fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let d = jiff::civil::date(day.year() as i16, day.month() as i8, day.day() as i8);
        let z = d.to_zoned(self.tz.clone()).unwrap();
        DateTime::from_timestamp_millis(z.timestamp().as_millisecond()).unwrap()
    }

    fn with(titles: &[&str]) -> Fake {
        let mut f = Fake::new();
        for t in titles {
            f.seed(t, |_| {});
        }
        f
    }

    fn seed(&mut self, title: &str, edit: impl FnOnce(&mut FakeTask)) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut t = FakeTask {
            id,
            title: title.into(),
            description: None,
            completed: false,
            priority: "medium".into(),
            tags: vec![],
            due_at: None,
            due_date: None,
            repeat: None,
        };
        edit(&mut t);
        self.tasks.push(t);
        id
    }

    fn get(&self, id: i64) -> Option<&FakeTask> {
        self.tasks.iter().find(|t| t.id == id)
    }

    fn task_id(args: &Value) -> Result<i64, String> {
        args.get("task_id").and_then(Value::as_i64).ok_or_else(|| "task_id must be an integer".to_string())
    }

    fn priority(args: &Value) -> Result<Option<String>, String> {
        match args.get("priority") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(p)) if ["low", "medium", "high", "urgent"].contains(&p.as_str()) => Ok(Some(p.clone())),
            Some(_) => Err("priority must be one of low, medium, high, urgent".into()),
        }
    }

    fn due(args: &Value) -> Result<Option<DateTime<Utc>>, String> {
        match args.get("due_at") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|_| "due_at must be an RFC 3339 date-time".into()),
            Some(_) => Err("due_at must be a string".into()),
        }
    }

    fn due_date(args: &Value) -> Result<Option<NaiveDate>, String> {
        match args.get("due_date") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| "due_date must be YYYY-MM-DD".into())
            }
            Some(_) => Err("due_date must be a string".into()),
        }
    }

    fn tags(args: &Value) -> Result<Option<Vec<String>>, String> {
        match args.get("tags") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|t| t.as_str().map(str::to_lowercase).ok_or_else(|| "tags must be strings".to_string()))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err("tags must be an array".into()),
        }
    }

    fn title(args: &Value, required: bool) -> Result<Option<String>, String> {
        match args.get("title") {
            None | Some(Value::Null) if !required => Ok(None),
            Some(Value::String(t)) if !t.trim().is_empty() && t.chars().count() <= 200 => Ok(Some(t.trim().into())),
            Some(Value::String(t)) if !t.trim().is_empty() => Err("title must be at most 200 characters".into()),
            _ => Err("title is required".into()),
        }
    }

    fn not_found(id: i64) -> String {
        format!("task {id} doesn't exist")
    }

    fn exec(&mut self, name: &str, args: &Value) -> Result<Value, String> {
        if self.fail_all {
            return Err("database unavailable".into());
        }
        match name {
            "add_task" => {
                let title = Self::title(args, true)?.unwrap_or_default();
                let priority = Self::priority(args)?.unwrap_or_else(|| "medium".into());
                let due_at = Self::due(args)?;
                let due_date = Self::due_date(args)?;
                if due_at.is_some() && due_date.is_some() {
                    return Err("give either due_at or due_date, not both".into());
                }
                let tags = Self::tags(args)?.unwrap_or_default();
                let description = args.get("description").and_then(Value::as_str).map(str::to_string);
                let repeat = args.get("repeat").and_then(Value::as_str).map(str::to_string);
                if repeat.is_some() && due_at.is_none() && due_date.is_none() {
                    return Err("repeat: needs a due_date or due_at to count from".into());
                }
                let id = self.seed(&title, |t| {
                    t.priority = priority;
                    t.due_at = due_at;
                    t.due_date = due_date;
                    t.tags = tags;
                    t.description = description;
                    t.repeat = repeat;
                });
                Ok(self.get(id).unwrap().summary("created"))
            }
            "list_tasks" => {
                let status = args.get("status").and_then(Value::as_str).unwrap_or("all");
                if !["all", "pending", "completed"].contains(&status) {
                    return Err("status must be one of all, pending, completed".into());
                }
                let priority = Self::priority(args)?;
                let tag = args.get("tag").and_then(Value::as_str).map(str::to_lowercase);
                let q = args.get("q").and_then(Value::as_str).map(str::to_lowercase);
                let due = args.get("due").and_then(Value::as_str);
                let local_today = self.local_today();
                let start_of_today = self.start_of(local_today);
                let start_of_day = |n: u64| self.start_of(local_today + chrono::Days::new(n));
                let mut out: Vec<&FakeTask> = self
                    .tasks
                    .iter()
                    .filter(|t| match status {
                        "pending" => !t.completed,
                        "completed" => t.completed,
                        _ => true,
                    })
                    .filter(|t| priority.as_ref().is_none_or(|p| &t.priority == p))
                    .filter(|t| tag.as_ref().is_none_or(|g| t.tags.contains(g)))
                    .filter(|t| {
                        q.as_ref().is_none_or(|q| {
                            t.title.to_lowercase().contains(q)
                                || t.description.as_ref().is_some_and(|d| d.to_lowercase().contains(q))
                        })
                    })
                    .filter(|t| match (due, t.due_at, t.due_date) {
                        (None, _, _) => true,
                        (Some("overdue"), Some(d), _) => d < self.now && !t.completed,
                        (Some("today"), Some(d), _) => d >= start_of_today && d < start_of_day(1),
                        (Some("week"), Some(d), _) => d >= start_of_today && d < start_of_day(7),
                        (Some("overdue"), None, Some(d)) => d < local_today && !t.completed,
                        (Some("today"), None, Some(d)) => d == local_today,
                        (Some("week"), None, Some(d)) => d >= local_today && d < local_today + chrono::Days::new(7),
                        _ => false,
                    })
                    .collect();
                out.sort_by_key(|t| std::cmp::Reverse(t.id));
                Ok(json!({"tasks": out.iter().map(|t| t.json()).collect::<Vec<_>>(), "count": out.len()}))
            }
            "complete_task" => {
                let id = Self::task_id(args)?;
                let t = self.tasks.iter_mut().find(|t| t.id == id).ok_or_else(|| Self::not_found(id))?;
                let was_done = std::mem::replace(&mut t.completed, true);
                let mut result = json!({"task_id": id, "status": "completed", "title": t.title});
                // Weekly all-day tasks only: the next one a week on, as the store makes it.
                if !was_done
                    && let (Some(rule), Some(day)) = (t.repeat.clone(), t.due_date)
                    && rule.starts_with("FREQ=WEEKLY")
                {
                    let (title, next_day) = (t.title.clone(), day + chrono::Days::new(7));
                    let next = self.seed(&title, |n| {
                        n.due_date = Some(next_day);
                        n.repeat = Some(rule);
                    });
                    result["next_task_id"] = json!(next);
                    result["next_due_date"] = json!(next_day.to_string());
                }
                Ok(result)
            }
            "delete_task" => {
                let id = Self::task_id(args)?;
                let i = self.tasks.iter().position(|t| t.id == id).ok_or_else(|| Self::not_found(id))?;
                let t = self.tasks.remove(i);
                Ok(json!({"task_id": id, "status": "deleted", "title": t.title}))
            }
            "update_task" => {
                let id = Self::task_id(args)?;
                let title = Self::title(args, false)?;
                let priority = Self::priority(args)?;
                let due_at = Self::due(args)?;
                let due_date = Self::due_date(args)?;
                let tags = Self::tags(args)?;
                let t = self.tasks.iter_mut().find(|t| t.id == id).ok_or_else(|| Self::not_found(id))?;
                if let Some(x) = title {
                    t.title = x;
                }
                if let Some(x) = args.get("description").and_then(Value::as_str) {
                    t.description = Some(x.into());
                }
                if let Some(x) = priority {
                    t.priority = x;
                }
                if let Some(x) = due_at {
                    t.due_at = Some(x);
                    t.due_date = None;
                }
                if let Some(x) = due_date {
                    t.due_date = Some(x);
                    t.due_at = None;
                }
                if let Some(x) = tags {
                    t.tags = x;
                }
                if let Some(x) = args.get("repeat").and_then(Value::as_str) {
                    if t.due_at.is_none() && t.due_date.is_none() {
                        return Err("repeat: the task has no due_date or due_at to count from".into());
                    }
                    t.repeat = Some(x.into());
                }
                Ok(t.summary("updated"))
            }
            other => Err(format!("unknown tool {other}")),
        }
    }
}

impl ToolRunner for Fake {
    async fn call(&mut self, name: &str, args: Value) -> Result<Value, String> {
        self.exec(name, &args)
    }
}

async fn say(fake: &mut Fake, message: &str) -> Reply {
    let (now, tz) = (fake.now, fake.tz.clone());
    let reply = respond(message, now, &tz, fake).await;
    // Which assistant answered is the chat API's `assistant` field and a label in the UI, not
    // text repeated in every message.
    assert!(!reply.text.starts_with('('), "no prefix before the reply: {}", reply.text);
    assert!(!reply.text.contains("{") || reply.text.contains("\""), "no raw JSON in replies: {}", reply.text);
    reply
}

/// (name, arguments) of each call.
fn calls(reply: &Reply) -> Vec<(String, Value)> {
    reply.calls.iter().map(|c| (c.name.clone(), c.arguments.clone())).collect()
}

fn call(name: &str, args: Value) -> (String, Value) {
    (name.to_string(), args)
}

fn assert_words(text: &str, words: &[&str]) {
    let low = text.to_lowercase();
    for w in words {
        assert!(low.contains(&w.to_lowercase()), "expected {w:?} in reply: {text}");
    }
}

fn added(fake: &Fake, reply: &Reply) -> Value {
    assert_eq!(reply.calls.len(), 1, "{:?}", reply.calls);
    assert_eq!(reply.calls[0].name, "add_task");
    assert!(fake.get(reply.calls[0].result["task_id"].as_i64().unwrap()).is_some());
    reply.calls[0].arguments.clone()
}

// --- The eight example commands of the specification, exactly as written ---------------------

#[tokio::test]
async fn add_a_task_to_buy_groceries() {
    let mut fake = Fake::new();
    let reply = say(&mut fake, "Add a task to buy groceries").await;
    assert_eq!(
        reply.calls,
        vec![MadeCall {
            name: "add_task".into(),
            arguments: json!({"title": "Buy groceries"}),
            result: json!({"task_id": 1, "status": "created", "title": "Buy groceries"}),
        }]
    );
    assert_words(&reply.text, &["added", "Buy groceries", "task 1"]);
    assert_eq!(fake.tasks[0].title, "Buy groceries");
}

#[tokio::test]
async fn show_me_all_my_tasks() {
    let mut fake = Fake::with(&["Buy milk", "Walk the dog", "Team meeting"]);
    fake.tasks[1].completed = true;
    fake.tasks[0].priority = "high".into();
    fake.tasks[0].due_date = Some("2026-12-01".parse().unwrap());
    let reply = say(&mut fake, "Show me all my tasks").await;
    assert_eq!(calls(&reply), vec![call("list_tasks", json!({"status": "all"}))]);
    assert_eq!(reply.calls[0].result["count"], 3);
    assert_words(
        &reply.text,
        &["3 tasks", "#1 Buy milk (due Dec 1, high)", "#2 Walk the dog (done)", "#3 Team meeting"],
    );
}

#[tokio::test]
async fn whats_pending() {
    let mut fake = Fake::with(&["Buy milk", "Walk the dog", "Team meeting"]);
    fake.tasks[1].completed = true;
    let reply = say(&mut fake, "What's pending?").await;
    assert_eq!(calls(&reply), vec![call("list_tasks", json!({"status": "pending"}))]);
    assert_words(&reply.text, &["2 pending tasks", "#1 Buy milk", "#3 Team meeting"]);
    assert!(!reply.text.contains("Walk the dog"), "{}", reply.text);
}

#[tokio::test]
async fn mark_task_3_as_complete() {
    let mut fake = Fake::with(&["Buy milk", "Walk the dog", "Call the plumber"]);
    let reply = say(&mut fake, "Mark task 3 as complete").await;
    assert_eq!(
        reply.calls,
        vec![MadeCall {
            name: "complete_task".into(),
            arguments: json!({"task_id": 3}),
            result: json!({"task_id": 3, "status": "completed", "title": "Call the plumber"}),
        }]
    );
    assert_words(&reply.text, &["Call the plumber", "task 3", "complete"]);
    assert!(fake.get(3).unwrap().completed);
}

#[tokio::test]
async fn delete_the_meeting_task() {
    let mut fake = Fake::with(&["Buy milk", "Team meeting", "Walk the dog"]);
    let reply = say(&mut fake, "Delete the meeting task").await;
    assert_eq!(
        calls(&reply),
        vec![call("list_tasks", json!({"status": "all", "q": "meeting"})), call("delete_task", json!({"task_id": 2}))]
    );
    assert_eq!(reply.calls[1].result, json!({"task_id": 2, "status": "deleted", "title": "Team meeting"}));
    assert_words(&reply.text, &["deleted", "Team meeting"]);
    assert!(fake.get(2).is_none());
    assert_eq!(fake.tasks.len(), 2);
}

#[tokio::test]
async fn change_task_1_to_call_mom_tonight() {
    let mut fake = Fake::with(&["Call mom"]);
    let reply = say(&mut fake, "Change task 1 to 'Call mom tonight'").await;
    assert_eq!(
        reply.calls,
        vec![MadeCall {
            name: "update_task".into(),
            arguments: json!({"task_id": 1, "title": "Call mom tonight"}),
            result: json!({"task_id": 1, "status": "updated", "title": "Call mom tonight"}),
        }]
    );
    assert_words(&reply.text, &["task 1", "Call mom tonight"]);
    assert_eq!(fake.get(1).unwrap().title, "Call mom tonight");
    assert_eq!(fake.get(1).unwrap().due_at, None, "a quoted title is not read for dates");
    assert_eq!(fake.get(1).unwrap().due_date, None);
}

#[tokio::test]
async fn i_need_to_remember_to_pay_bills() {
    let mut fake = Fake::new();
    let reply = say(&mut fake, "I need to remember to pay bills").await;
    assert_eq!(calls(&reply), vec![call("add_task", json!({"title": "Pay bills"}))]);
    assert_eq!(reply.calls[0].result, json!({"task_id": 1, "status": "created", "title": "Pay bills"}));
    assert_words(&reply.text, &["added", "Pay bills"]);
}

#[tokio::test]
async fn what_have_i_completed() {
    let mut fake = Fake::with(&["Buy milk", "Walk the dog", "File taxes"]);
    fake.tasks[1].completed = true;
    fake.tasks[2].completed = true;
    let reply = say(&mut fake, "What have I completed?").await;
    assert_eq!(calls(&reply), vec![call("list_tasks", json!({"status": "completed"}))]);
    assert_words(&reply.text, &["completed 2 tasks", "#2 Walk the dog", "#3 File taxes"]);
    assert!(!reply.text.contains("Buy milk"));
    // Completed tasks are not marked "done" again when only completed ones are listed.
    assert!(!reply.text.contains("(done)"));
}

// --- Adding: priorities, due dates, tags ------------------------------------------------------

#[tokio::test]
async fn priorities_are_extracted_from_the_title() {
    let cases = [
        ("Add an urgent task to call the bank", "Call the bank", "urgent"),
        ("add buy milk, high priority", "Buy milk", "high"),
        ("Add a high priority task to renew the passport", "Renew the passport", "high"),
        ("add pay taxes, it's important", "Pay taxes", "high"),
        ("add water the plants with low priority", "Water the plants", "low"),
        ("remind me to clean the garage, not important", "Clean the garage", "low"),
        ("create task fix the sink asap", "Fix the sink", "urgent"),
        ("add a medium priority task to read a book", "Read a book", "medium"),
    ];
    for (message, title, priority) in cases {
        let mut fake = Fake::new();
        let reply = say(&mut fake, message).await;
        assert_eq!(added(&fake, &reply), json!({"title": title, "priority": priority}), "{message}");
        assert_words(&reply.text, &[title, &format!("{priority} priority")]);
    }
}

#[tokio::test]
async fn due_dates_are_relative_to_today() {
    // today is Wednesday 2026-06-10
    // A day without a time is all day (due_date); until this change it was 17:00 UTC, a
    // clock time the user never said.
    let cases = [
        ("Add a task to submit the report by friday", "Submit the report", "due_date", "2026-06-12"),
        ("add call the dentist tomorrow", "Call the dentist", "due_date", "2026-06-11"),
        ("remind me to call mom tomorrow at 6pm", "Call mom", "due_at", "2026-06-11T18:00:00Z"),
        ("add water plants today", "Water plants", "due_date", "2026-06-10"),
        ("add take out the trash tonight", "Take out the trash", "due_at", "2026-06-10T20:00:00Z"),
        ("add renew passport on Dec 3", "Renew passport", "due_date", "2026-12-03"),
        ("add pay rent by 2026-12-03", "Pay rent", "due_date", "2026-12-03"),
        ("add dentist appointment next monday", "Dentist appointment", "due_date", "2026-06-15"),
        ("add send the invoice in 3 days", "Send the invoice", "due_date", "2026-06-13"),
        ("I need to book flights on friday", "Book flights", "due_date", "2026-06-12"),
        ("add a task to plan the party next week", "Plan the party", "due_date", "2026-06-15"),
        ("add finish slides by the end of the month", "Finish slides", "due_date", "2026-06-30"),
    ];
    for (message, title, key, due) in cases {
        let mut fake = Fake::new();
        let reply = say(&mut fake, message).await;
        assert_eq!(added(&fake, &reply), json!({"title": title, key: due}), "{message}");
        assert_words(&reply.text, &[title, "due"]);
    }
    let mut fake = Fake::new();
    let reply = say(&mut fake, "add call the dentist tomorrow").await;
    assert_words(&reply.text, &["due tomorrow (Thu, Jun 11)"]);
}

/// The same phrases said at the same instant (Wednesday 2026-12-02 05:00 UTC) by a user in Los
/// Angeles (Tuesday 21:00) and one in Tokyo (Wednesday 14:00): each means the user's own day and
/// wall clock, a day alone is all day and a time is the instant it is there.
#[tokio::test]
async fn dates_and_times_are_the_users_local_ones() {
    let now = "2026-12-02T05:00:00Z";
    let la: &[(&str, &str, &str, &str)] = &[
        ("add pay rent today", "due_date", "2026-12-01", "due today (Tue, Dec 1)"),
        ("add call the dentist tomorrow", "due_date", "2026-12-02", "due tomorrow (Wed, Dec 2)"),
        ("add submit the report friday", "due_date", "2026-12-04", "due Fri, Dec 4"),
        ("add plan the party next week", "due_date", "2026-12-07", "due Mon, Dec 7"),
        ("add dinner with sam at 5pm", "due_at", "2026-12-01T17:00:00-08:00", "due today (Tue, Dec 1) at 17:00"),
        ("add call mom in 2 hours", "due_at", "2026-12-01T23:00:00-08:00", "due today (Tue, Dec 1) at 23:00"),
        ("add submit the report friday 5pm", "due_at", "2026-12-04T17:00:00-08:00", "due Fri, Dec 4 at 17:00"),
    ];
    let tokyo: &[(&str, &str, &str, &str)] = &[
        ("add pay rent today", "due_date", "2026-12-02", "due today (Wed, Dec 2)"),
        ("add call the dentist tomorrow", "due_date", "2026-12-03", "due tomorrow (Thu, Dec 3)"),
        ("add submit the report friday", "due_date", "2026-12-04", "due Fri, Dec 4"),
        ("add plan the party next week", "due_date", "2026-12-07", "due Mon, Dec 7"),
        ("add dinner with sam at 5pm", "due_at", "2026-12-02T17:00:00+09:00", "due today (Wed, Dec 2) at 17:00"),
        ("add call mom in 2 hours", "due_at", "2026-12-02T16:00:00+09:00", "due today (Wed, Dec 2) at 16:00"),
        ("add submit the report friday 5pm", "due_at", "2026-12-04T17:00:00+09:00", "due Fri, Dec 4 at 17:00"),
    ];
    for (zone, cases) in [("America/Los_Angeles", la), ("Asia/Tokyo", tokyo)] {
        for (message, key, due, words) in cases {
            let mut fake = Fake::at(zone, now);
            let reply = say(&mut fake, message).await;
            let args = added(&fake, &reply);
            assert_eq!(args[key], *due, "{zone}: {message}");
            assert_eq!(args.as_object().unwrap().len(), 2, "{zone}: {message}: one due field only: {args}");
            assert_words(&reply.text, &[words]);
            assert!(!reply.text.contains("UTC"), "{zone}: {}", reply.text);
        }
    }
}

/// "tomorrow at 5pm" on the eve of a daylight-saving change is 17:00 on the new offset.
#[tokio::test]
async fn a_time_across_a_daylight_saving_change_uses_that_days_offset() {
    // Saturday 2026-03-07 20:00 PST; clocks spring forward that night.
    let mut fake = Fake::at("America/Los_Angeles", "2026-03-08T04:00:00Z");
    let reply = say(&mut fake, "add brunch tomorrow at 5pm").await;
    assert_eq!(added(&fake, &reply)["due_at"], "2026-03-08T17:00:00-07:00");
    assert_eq!(fake.tasks[0].due_at.unwrap().to_rfc3339(), "2026-03-09T00:00:00+00:00");
    // Berlin falls back on Sunday 2026-10-25.
    let mut fake = Fake::at("Europe/Berlin", "2026-10-24T10:00:00Z");
    let reply = say(&mut fake, "add call grandma tomorrow at 9am").await;
    assert_eq!(added(&fake, &reply)["due_at"], "2026-10-25T09:00:00+01:00");
}

/// The list's "today" and "overdue" follow the user's day: an all-day task is today's during
/// its whole local day and overdue from the next local midnight; a timed one from its instant.
#[tokio::test]
async fn listed_dates_and_overdue_markers_are_local() {
    for (zone, bill, call) in [
        ("America/Los_Angeles", "#1 Pay the bill (due today)", "#2 Call the bank (due today at 17:00, overdue)"),
        ("Asia/Tokyo", "#1 Pay the bill (due Dec 1, overdue)", "#2 Call the bank (due today at 10:00, overdue)"),
    ] {
        let mut fake = Fake::at(zone, "2026-12-02T05:00:00Z");
        fake.seed("Pay the bill", |t| t.due_date = Some("2026-12-01".parse().unwrap()));
        fake.seed("Call the bank", |t| t.due_at = Some("2026-12-02T01:00:00Z".parse().unwrap()));
        let reply = say(&mut fake, "show me all my tasks").await;
        assert_words(&reply.text, &[bill, call]);
        let reply = say(&mut fake, "show overdue tasks").await;
        let overdue = if zone == "Asia/Tokyo" { 2 } else { 1 };
        assert_eq!(reply.calls[0].result["count"], overdue, "{zone}: {}", reply.text);
        let reply = say(&mut fake, "what's due today?").await;
        assert_words(&reply.text, &[if zone == "Asia/Tokyo" { "Call the bank" } else { "Pay the bill" }]);
    }
}

#[tokio::test]
async fn tags_priority_date_and_description_together() {
    let mut fake = Fake::new();
    let reply = say(&mut fake, "Add an urgent task to prepare slides for the review by friday #work #Q3").await;
    assert_eq!(
        added(&fake, &reply),
        json!({
            "title": "Prepare slides for the review",
            "priority": "urgent",
            "tags": ["work", "q3"],
            "due_date": "2026-06-12",
        })
    );
    assert_words(&reply.text, &["Prepare slides for the review", "#work #q3", "urgent priority", "Fri, Jun 12"]);

    let mut fake = Fake::new();
    let reply = say(&mut fake, "add buy paint tagged home with description white, matte finish").await;
    assert_eq!(
        added(&fake, &reply),
        json!({"title": "Buy paint", "tags": ["home"], "description": "white, matte finish"})
    );
}

#[tokio::test]
async fn add_phrasings() {
    let cases = [
        ("add milk to my list", "Milk"),
        ("Create a new task: call the plumber", "Call the plumber"),
        ("remember to water the plants!", "Water the plants"),
        ("please add \"Renew passport\"", "Renew passport"),
        ("Hey, can you add a task to book the car service?", "Book the car service"),
        ("new task: email Sarah", "Email Sarah"),
        ("I have to pick up the kids", "Pick up the kids"),
        ("don't forget to feed the cat", "Feed the cat"),
        ("remember to delete old emails", "Delete old emails"),
        ("add 'Read \"Dune\"'", "Read \"Dune\""),
    ];
    for (message, title) in cases {
        let mut fake = Fake::new();
        let reply = say(&mut fake, message).await;
        assert_eq!(added(&fake, &reply), json!({"title": title}), "{message}");
    }
}

#[tokio::test]
async fn add_without_a_title_asks_and_too_long_a_title_is_explained() {
    let mut fake = Fake::new();
    let reply = say(&mut fake, "add a task").await;
    assert!(reply.calls.is_empty());
    assert_words(&reply.text, &["what should the task be called"]);

    let long = format!("add {}", "x".repeat(250));
    let reply = say(&mut fake, &long).await;
    assert_eq!(reply.calls.len(), 1);
    assert_eq!(reply.calls[0].result, json!({"error": "title must be at most 200 characters"}));
    assert_words(&reply.text, &["couldn't add", "at most 200 characters"]);
    assert!(fake.tasks.is_empty());
}

// --- Listing ----------------------------------------------------------------------------------

#[tokio::test]
async fn list_filters() {
    let mut fake = Fake::with(&["Buy milk", "Pay rent", "Dentist appointment", "Team meeting"]);
    fake.tasks[0].due_date = Some("2026-06-08".parse().unwrap()); // overdue
    fake.tasks[1].due_date = Some("2026-06-10".parse().unwrap()); // today
    fake.tasks[1].priority = "high".into();
    fake.tasks[2].tags = vec!["health".into()];
    fake.tasks[3].completed = true;
    let cases: &[(&str, Value, &[&str])] = &[
        ("show overdue tasks", json!({"status": "all", "due": "overdue"}), &["#1 Buy milk (due Jun 8, overdue)"]),
        ("what's due today?", json!({"status": "all", "due": "today"}), &["#2 Pay rent (due today, high)"]),
        ("show high priority tasks", json!({"status": "all", "priority": "high"}), &["#2 Pay rent"]),
        ("search dentist", json!({"status": "all", "q": "dentist"}), &["#3 Dentist appointment (#health)"]),
        ("show me tasks about the meeting", json!({"status": "all", "q": "meeting"}), &["#4 Team meeting (done)"]),
        ("show #health tasks", json!({"status": "all", "tag": "health"}), &["#3 Dentist appointment"]),
        ("list my pending tasks", json!({"status": "pending"}), &["3 pending tasks"]),
        ("what do I still need to do?", json!({"status": "pending"}), &["3 pending tasks"]),
        ("show completed tasks", json!({"status": "completed"}), &["#4 Team meeting"]),
        ("what's due this week", json!({"status": "all", "due": "week"}), &["#2 Pay rent"]),
        ("what should I do today?", json!({"status": "pending", "due": "today"}), &["1 pending task due today"]),
    ];
    for (message, args, words) in cases {
        let reply = say(&mut fake, message).await;
        assert_eq!(calls(&reply), vec![call("list_tasks", args.clone())], "{message}");
        assert_words(&reply.text, words);
    }
}

#[tokio::test]
async fn empty_lists_say_so() {
    let mut fake = Fake::new();
    let reply = say(&mut fake, "Show me all my tasks").await;
    assert_eq!(reply.calls.len(), 1);
    assert_words(&reply.text, &["list is empty"]);
    let reply = say(&mut fake, "What's pending?").await;
    assert_words(&reply.text, &["no pending tasks"]);
    let reply = say(&mut fake, "What have I completed?").await;
    assert_words(&reply.text, &["haven't completed any"]);
    let reply = say(&mut fake, "search dentist").await;
    assert_words(&reply.text, &["no tasks matching \"dentist\""]);
}

// --- Completing, deleting, updating by id and by title ---------------------------------------

#[tokio::test]
async fn complete_by_title() {
    let mut fake = Fake::with(&["Buy groceries", "Walk the dog"]);
    let reply = say(&mut fake, "I finished the groceries task").await;
    assert_eq!(
        calls(&reply),
        vec![
            call("list_tasks", json!({"status": "all", "q": "groceries"})),
            call("complete_task", json!({"task_id": 1}))
        ]
    );
    assert_words(&reply.text, &["Buy groceries", "complete"]);
    assert!(fake.get(1).unwrap().completed);

    // Saying it again: already done, nothing changed.
    let reply = say(&mut fake, "I finished the groceries task").await;
    assert_eq!(reply.calls.len(), 1);
    assert_words(&reply.text, &["already complete"]);
}

#[tokio::test]
async fn complete_by_title_with_other_word_forms() {
    let mut fake = Fake::with(&["Buy groceries", "Walk the dog"]);
    let reply = say(&mut fake, "I'm done with buying groceries").await;
    assert_eq!(
        calls(&reply),
        vec![
            call("list_tasks", json!({"status": "all", "q": "buying groceries"})),
            call("list_tasks", json!({"status": "all"})),
            call("complete_task", json!({"task_id": 1})),
        ]
    );
    assert!(fake.get(1).unwrap().completed);
}

#[tokio::test]
async fn completion_phrasings() {
    for message in
        ["done with task 2", "complete #2", "task 2 is done", "finished task 2", "mark task 2 done", "check off task 2"]
    {
        let mut fake = Fake::with(&["Buy milk", "Walk the dog"]);
        let reply = say(&mut fake, message).await;
        assert_eq!(calls(&reply), vec![call("complete_task", json!({"task_id": 2}))], "{message}");
    }
}

#[tokio::test]
async fn ambiguous_titles_ask_which_one() {
    let mut fake = Fake::with(&["Team meeting", "Buy milk", "Meeting notes"]);
    let reply = say(&mut fake, "Delete the meeting task").await;
    assert_eq!(calls(&reply), vec![call("list_tasks", json!({"status": "all", "q": "meeting"}))]);
    assert_words(&reply.text, &["found 2 tasks", "#1 Team meeting", "#3 Meeting notes", "which one", "delete task"]);
    assert_eq!(fake.tasks.len(), 3, "nothing deleted");

    // An exact title among several matches is taken.
    let reply = say(&mut fake, "delete 'Team meeting'").await;
    assert_eq!(
        calls(&reply),
        vec![
            call("list_tasks", json!({"status": "all", "q": "Team meeting"})),
            call("delete_task", json!({"task_id": 1}))
        ]
    );
}

#[tokio::test]
async fn unknown_titles_say_so() {
    let mut fake = Fake::with(&["Buy milk"]);
    let reply = say(&mut fake, "Delete the dentist task").await;
    assert_eq!(
        calls(&reply),
        vec![
            call("list_tasks", json!({"status": "all", "q": "dentist"})),
            call("list_tasks", json!({"status": "all"})),
        ]
    );
    assert_words(&reply.text, &["couldn't find a task matching \"dentist\""]);
    assert_eq!(fake.tasks.len(), 1);
}

#[tokio::test]
async fn unknown_task_ids_get_a_friendly_sentence() {
    let mut fake = Fake::with(&["Buy milk"]);
    for (message, tool) in [
        ("Mark task 42 as complete", "complete_task"),
        ("Delete task 42", "delete_task"),
        ("Change task 42 to 'Something else'", "update_task"),
    ] {
        let reply = say(&mut fake, message).await;
        assert_eq!(reply.calls.len(), 1, "{message}");
        assert_eq!(reply.calls[0].name, tool);
        assert_eq!(reply.calls[0].result, json!({"error": "task 42 doesn't exist"}));
        assert_words(&reply.text, &["couldn't find task 42", "doesn't exist", "show my tasks"]);
    }
    assert_eq!(fake.get(1).unwrap().title, "Buy milk");
}

#[tokio::test]
async fn updates() {
    let mut fake = Fake::with(&["Buy groceries", "Write report", "Call mom", "Pay rent"]);
    let reply = say(&mut fake, "rename the groceries task to buy food").await;
    assert_eq!(
        calls(&reply),
        vec![
            call("list_tasks", json!({"status": "all", "q": "groceries"})),
            call("update_task", json!({"task_id": 1, "title": "Buy food"})),
        ]
    );
    assert_words(&reply.text, &["renamed task 1", "Buy food"]);

    let reply = say(&mut fake, "set task 2 priority to high").await;
    assert_eq!(calls(&reply), vec![call("update_task", json!({"task_id": 2, "priority": "high"}))]);
    assert_words(&reply.text, &["Write report", "priority to high"]);

    let reply = say(&mut fake, "move task 4 to tomorrow").await;
    assert_eq!(calls(&reply), vec![call("update_task", json!({"task_id": 4, "due_date": "2026-06-11"}))]);
    assert_words(&reply.text, &["Pay rent", "due tomorrow"]);

    let reply = say(&mut fake, "make task 3 urgent").await;
    assert_eq!(calls(&reply), vec![call("update_task", json!({"task_id": 3, "priority": "urgent"}))]);

    let reply = say(&mut fake, "set task 3 to low").await;
    assert_eq!(calls(&reply), vec![call("update_task", json!({"task_id": 3, "priority": "low"}))]);

    let reply = say(&mut fake, "give task 3 a due date of friday").await;
    assert_eq!(calls(&reply), vec![call("update_task", json!({"task_id": 3, "due_date": "2026-06-12"}))]);

    let reply = say(&mut fake, "push task 4 back to next week").await;
    assert_eq!(calls(&reply), vec![call("update_task", json!({"task_id": 4, "due_date": "2026-06-15"}))]);

    let reply = say(&mut fake, "postpone the report task to next monday").await;
    assert_eq!(
        calls(&reply),
        vec![
            call("list_tasks", json!({"status": "all", "q": "report"})),
            call("update_task", json!({"task_id": 2, "due_date": "2026-06-15"})),
        ]
    );

    let reply = say(&mut fake, "change the description of task 3 to ask about the holidays").await;
    assert_eq!(
        calls(&reply),
        vec![call("update_task", json!({"task_id": 3, "description": "ask about the holidays"}))]
    );

    let reply = say(&mut fake, "change task 3 to high priority due friday").await;
    assert_eq!(
        calls(&reply),
        vec![call("update_task", json!({"task_id": 3, "priority": "high", "due_date": "2026-06-12"}))]
    );

    let reply = say(&mut fake, "set the due date of task 1 to someday maybe").await;
    assert!(reply.calls.is_empty());
    assert_words(&reply.text, &["couldn't read the date"]);

    let f = &fake;
    assert_eq!(f.get(1).unwrap().title, "Buy food");
    assert_eq!(f.get(2).unwrap().priority, "high");
    assert_eq!(f.get(3).unwrap().priority, "high");
}

#[tokio::test]
async fn tags_on_existing_tasks() {
    let mut fake = Fake::with(&["Buy milk"]);
    fake.tasks[0].tags = vec!["errands".into()];
    let reply = say(&mut fake, "add tag #home to task 1").await;
    assert_eq!(
        calls(&reply),
        vec![
            call("list_tasks", json!({"status": "all"})),
            call("update_task", json!({"task_id": 1, "tags": ["errands", "home"]})),
        ]
    );
    assert_words(&reply.text, &["#errands #home"]);
    let reply = say(&mut fake, "remove the tag errands from task 1").await;
    assert_eq!(reply.calls[1].arguments, json!({"task_id": 1, "tags": ["home"]}));
}

// --- Conversation, nonsense, failures ----------------------------------------------------------

#[tokio::test]
async fn nonsense_and_greetings_make_no_calls() {
    let mut fake = Fake::with(&["Buy milk"]);
    for message in [
        "asdf qwerty",
        "hello",
        "Hi!",
        "what is the meaning of life?",
        "",
        "   ",
        "help",
        "thanks!",
        "the weather is nice",
        "42",
        "!!!???",
        "🍕🍕🍕",
        "delete",
        "mark it as done",
    ] {
        let reply = say(&mut fake, message).await;
        assert!(reply.calls.is_empty(), "{message:?} made calls: {:?}", reply.calls);
        assert!(reply.text.len() > 10, "{message:?}: {}", reply.text);
    }
    let reply = say(&mut fake, "blorp").await;
    assert_words(
        &reply.text,
        &["built-in assistant", "add a task", "what's pending", "mark task 3 as complete", "delete"],
    );
    assert_eq!(fake.tasks.len(), 1);
}

#[tokio::test]
async fn tool_failures_become_sentences() {
    let mut fake = Fake::with(&["Buy milk"]);
    fake.fail_all = true;
    let reply = say(&mut fake, "What's pending?").await;
    assert_eq!(reply.calls[0].result, json!({"error": "database unavailable"}));
    assert_words(&reply.text, &["couldn't look up your tasks", "database unavailable"]);
    let reply = say(&mut fake, "Delete the milk task").await;
    assert_eq!(reply.calls.len(), 1);
    assert_words(&reply.text, &["couldn't look up"]);
    let reply = say(&mut fake, "Add a task to buy groceries").await;
    assert_words(&reply.text, &["couldn't add \"Buy groceries\""]);
}

#[tokio::test]
async fn bulk_deletes_are_refused() {
    let mut fake = Fake::with(&["Buy milk", "Walk the dog"]);
    let reply = say(&mut fake, "delete all my tasks").await;
    assert!(reply.calls.is_empty());
    assert_words(&reply.text, &["one task at a time"]);
    assert_eq!(fake.tasks.len(), 2);
}

#[tokio::test]
async fn replies_serialize_for_the_chat_api() {
    let mut fake = Fake::new();
    let reply = say(&mut fake, "Add a task to buy groceries").await;
    let v = serde_json::to_value(&reply).unwrap();
    assert_eq!(v["calls"][0]["name"], "add_task");
    assert_eq!(v["calls"][0]["arguments"]["title"], "Buy groceries");
    assert_eq!(v["calls"][0]["result"]["status"], "created");
}

/// One request of the table below: the tasks there are (numbered from 1), what is said, words
/// the reply must contain, and the fields the tasks must have afterwards (`"-"`: deleted; a due
/// date is compared by its start, the date).
struct Case {
    tasks: &'static [&'static str],
    say: &'static str,
    reply: &'static [&'static str],
    after: &'static [(i64, &'static str, &'static str)],
}

const CASES: &[Case] = &[
    // Two changes in one sentence: both made, in one update.
    Case {
        tasks: &["Renew passport", "Buy milk"],
        say: "move the passport task to friday and make it urgent",
        reply: &["Renew passport", "task 1", "due Fri, Jun 12", "priority to urgent"],
        after: &[(1, "priority", "urgent"), (1, "due_date", "2026-06-12"), (2, "priority", "medium")],
    },
    Case {
        tasks: &["Write report"],
        say: "make task 1 high priority and move it to next monday",
        reply: &["priority to high", "Mon, Jun 15"],
        after: &[(1, "priority", "high"), (1, "due_date", "2026-06-15")],
    },
    Case {
        tasks: &[],
        say: "add buy milk and make it urgent",
        reply: &["Buy milk", "task 1", "urgent priority"],
        after: &[(1, "title", "Buy milk"), (1, "priority", "urgent")],
    },
    Case {
        tasks: &["Buy milk", "Walk the dog", "Pay rent"],
        say: "complete task 1 and delete task 3",
        reply: &["marked \"Buy milk\" (task 1) as complete", "deleted \"Pay rent\" (task 3)"],
        after: &[(1, "completed", "true"), (2, "completed", "false"), (3, "-", "")],
    },
    Case {
        tasks: &["Walk the dog", "Call mom"],
        say: "move the dog task to friday and mark it as done",
        reply: &["Walk the dog", "due Fri, Jun 12", "as complete"],
        after: &[(1, "due_date", "2026-06-12"), (1, "completed", "true"), (2, "completed", "false")],
    },
    // A part that cannot be read is named, the rest is done.
    Case {
        tasks: &["Renew passport"],
        say: "move the passport task to friday and share it with Bob",
        reply: &["due Fri, Jun 12", "didn't understand \"share it with Bob\""],
        after: &[(1, "due_date", "2026-06-12")],
    },
    // A first step that fails stops the rest, and the reply says so.
    Case {
        tasks: &["Buy milk"],
        say: "complete task 9 and delete task 1",
        reply: &["couldn't find task 9", "didn't do the rest"],
        after: &[(1, "completed", "false")],
    },
    // A repeat is the task's rule (due on its first day); what cannot be done (a reminder, a
    // repeat with no rule) is said plainly, the rest done.
    Case {
        tasks: &[],
        say: "remind me every monday to water the plants",
        reply: &["Water the plants", "due Mon, Jun 15", "repeating every week on Monday", "can't send reminders"],
        after: &[
            (1, "title", "Water the plants"),
            (1, "due_date", "2026-06-15"),
            (1, "repeat", "FREQ=WEEKLY;BYDAY=MO"),
        ],
    },
    Case {
        tasks: &[],
        say: "add pay rent every month on the 1st, high priority",
        reply: &["Pay rent", "high priority", "due Wed, Jul 1", "repeating every month on the 1st"],
        after: &[(1, "title", "Pay rent"), (1, "priority", "high"), (1, "repeat", "FREQ=MONTHLY;BYMONTHDAY=1")],
    },
    Case {
        tasks: &[],
        say: "add check the mail every hour",
        reply: &["Check the mail", "can't repeat a task \"every hour\"", "added it once"],
        after: &[(1, "title", "Check the mail"), (1, "repeat", "null")],
    },
    Case {
        tasks: &["Water the plants"],
        say: "make task 1 repeat every monday",
        reply: &["couldn't change that task", "repeat: the task has no due"],
        after: &[(1, "repeat", "null")],
    },
    Case {
        tasks: &[],
        say: "remind me to call mom tomorrow at 6pm",
        reply: &["Call mom", "tomorrow", "can't send reminders yet"],
        after: &[(1, "title", "Call mom"), (1, "due_at", "2026-06-11")],
    },
    Case {
        tasks: &["Water the plants"],
        say: "move task 1 to friday and make it repeat weekly",
        reply: &["due Fri, Jun 12", "made it repeat every week"],
        after: &[(1, "due_date", "2026-06-12"), (1, "repeat", "FREQ=WEEKLY")],
    },
    // An ambiguous title: a question listing the candidates with their numbers; nothing changed.
    Case {
        tasks: &["Pay rent", "Buy milk", "Pay rent deposit"],
        say: "move the rent task to friday and make it urgent",
        reply: &["Which one should I change: #3 Pay rent deposit, #1 Pay rent?"],
        after: &[(1, "priority", "medium"), (3, "priority", "medium"), (1, "due_at", "null")],
    },
    Case {
        tasks: &["Pay rent", "Pay rent deposit"],
        say: "mark the rent task as done",
        reply: &["Which one should I mark as done: #2 Pay rent deposit, #1 Pay rent?", "mark task 2 as complete"],
        after: &[(1, "completed", "false"), (2, "completed", "false")],
    },
    Case {
        tasks: &["Pay rent", "Pay rent deposit"],
        say: "delete the pay rent task",
        reply: &["deleted \"Pay rent\" (task 1)"],
        after: &[(1, "-", ""), (2, "title", "Pay rent deposit")],
    },
];

#[tokio::test]
async fn multi_change_unsupported_and_ambiguous_requests() {
    let mut failed = Vec::new();
    for case in CASES {
        let mut fake = Fake::with(case.tasks);
        let reply = say(&mut fake, case.say).await;
        let low = reply.text.to_lowercase();
        for w in case.reply {
            if !low.contains(&w.to_lowercase()) {
                failed.push(format!("{:?}: expected {w:?} in the reply: {}", case.say, reply.text));
            }
        }
        for &(id, field, want) in case.after {
            let got = match fake.get(id) {
                None => "-".to_string(),
                Some(t) => match &t.json()[field] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            };
            let ok = if field == "-" { got == "-" } else { got.starts_with(want) };
            if !ok {
                failed.push(format!(
                    "{:?}: task {id} {field}: expected {want:?}, got {got:?} ({})",
                    case.say, reply.text
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{} failures:\n{}", failed.len(), failed.join("\n"));
}

/// A weekly task: added with its rule, listed with it in words, and completing it says which
/// task is next.
#[tokio::test]
async fn a_repeating_task_is_listed_in_words_and_completing_names_the_next() {
    let mut fake = Fake::new();
    let reply = say(&mut fake, "add take out the trash every monday").await;
    assert!(reply.text.contains("repeating every week on Monday"), "{}", reply.text);
    assert_eq!(calls(&reply)[0].1["repeat"], "FREQ=WEEKLY;BYDAY=MO");
    let reply = say(&mut fake, "what's pending?").await;
    assert!(reply.text.contains("#1 Take out the trash (due Jun 15, repeats every week on Monday)"), "{}", reply.text);
    let reply = say(&mut fake, "complete task 1").await;
    assert!(reply.text.contains("the next one is #2 Take out the trash (due Jun 22"), "{}", reply.text);
    assert_eq!(fake.get(2).unwrap().due_date, NaiveDate::from_ymd_opt(2026, 6, 22));
}
