//! Turns one English message into an [`Intent`]. Pure: no tools are called here.
//!
//! This module holds the intent types and the dispatcher ([`parse`]); each command has its own
//! module (`add`, `list`, `complete`, `update`, `tags`, `delete`), with what they share in
//! `target` (how a command names its task), `priority` (priority phrases) and `words` (the
//! politeness, greeting and help word lists the dispatcher strips or answers).

mod add;
mod clauses;
mod complete;
mod delete;
mod list;
mod priority;
mod tags;
mod target;
mod unsupported;
mod update;
mod words;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

use crate::dates::Due;
use crate::text::{
    normalize, strip_prefix_any, strip_prefixes_repeatedly, strip_suffix_any, strip_suffixes_repeatedly, trim_punct,
};

use self::add::{ADD, parse_add};
use self::complete::{parse_complete, parse_mark};
use self::delete::parse_delete;
use self::list::parse_list;
use self::tags::parse_tags;
use self::update::parse_update;
use self::words::{GREETINGS, HELP, NEED, POLITE, THANKS, WANT};

/// How a command names its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// "task 3", "#3", "number three"
    Id(i64),
    /// Words to search titles for: "the meeting task" -> "meeting".
    Title(String),
    /// "it": the task the request before in the same message acted on.
    It,
}

/// A part of a request the interpreter cannot carry out; the reply names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDone {
    /// A repeat that says no rule the app can store: "every hour", "recurring" (the phrase, lowercased).
    Repeat(String),
    /// There are no reminders yet ("remind me ...").
    Reminder,
    /// A second part of the sentence that reads as nothing ("share it with Bob").
    Unclear(String),
}

/// A task to add, as read from the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTask {
    /// The cleaned-up title ("a task to buy milk" -> "Buy milk").
    pub title: String,
    /// From "with description ...", "notes: ...".
    pub description: Option<String>,
    /// "low", "medium", "high" or "urgent".
    pub priority: Option<&'static str>,
    /// Lowercased, without the `#`, in the order given.
    pub tags: Vec<String>,
    /// The due date (and time) read from the message.
    pub due: Option<Due>,
    /// How it repeats, as the `repeat` tool argument (`FREQ=WEEKLY;BYDAY=MO`).
    pub repeat: Option<String>,
}

/// Which tasks a list asks for, by completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Open and completed.
    #[default]
    All,
    /// Not completed.
    Pending,
    /// Completed.
    Completed,
}

impl Status {
    /// The `status` argument of `list_tasks`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::All => "all",
            Status::Pending => "pending",
            Status::Completed => "completed",
        }
    }
}

/// The due-date window a list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    /// Past its due date.
    Overdue,
    /// Due today.
    Today,
    /// Due tomorrow (the tool has no such window: the week is asked for and filtered).
    Tomorrow,
    /// Due in the next 7 days.
    Week,
}

/// A list or search request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// By completion.
    pub status: Status,
    /// Only this priority.
    pub priority: Option<&'static str>,
    /// Only tasks with this tag (lowercased, without the `#`).
    pub tag: Option<String>,
    /// Words to search for (the `q` argument of `list_tasks`).
    pub q: Option<String>,
    /// Only tasks due in this window.
    pub due: Option<DueFilter>,
}

/// What an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The new title.
    pub title: Option<String>,
    /// The new description.
    pub description: Option<String>,
    /// The new priority.
    pub priority: Option<&'static str>,
    /// The new due date.
    pub due: Option<Due>,
    /// A new repeat rule, as the `repeat` tool argument.
    pub repeat: Option<String>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// What one message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Greeting, thanks, help or something not understood: no tool calls.
    Help {
        /// Said before the help text ("Hi! ", "You're welcome! ", or nothing).
        opening: &'static str,
    },
    /// A question back to the user (missing or unreadable part); no tool calls.
    Clarify(String),
    /// Add a task.
    Add(NewTask),
    /// List or search tasks.
    List(ListQuery),
    /// Mark a task as done.
    Complete(Target),
    /// Mark a task as not done (answered with where to do it: the tools cannot).
    Reopen(Target),
    /// Delete one task.
    Delete(Target),
    /// Change a task's title, description, priority or due date.
    Update(Target, Changes),
    /// Several requests of one sentence, in order ("complete task 3 and delete task 4").
    Sequence(Vec<Intent>),
    /// A request with parts that cannot be done: the rest is done and the reply says what was not.
    Partly {
        /// What can be done.
        intent: Box<Intent>,
        /// What cannot, in the order said.
        not_done: Vec<NotDone>,
    },
    /// Add tags to a task and remove others.
    Tags {
        /// The task.
        target: Target,
        /// Tags to add.
        add: Vec<String>,
        /// Tags to remove.
        remove: Vec<String>,
    },
}

/// Parses one message.
pub fn parse(message: &str, today: NaiveDate) -> Intent {
    let norm = normalize(message);
    let s = trim_punct(&norm);
    let low = s.to_ascii_lowercase();
    if s.is_empty() {
        return Intent::Help { opening: "" };
    }
    if THANKS.contains(&low.as_str()) || strip_suffix_any(&low, THANKS).is_some_and(|r| r.is_empty()) {
        return Intent::Help { opening: "You're welcome! " };
    }
    if GREETINGS.contains(&low.as_str()) {
        return Intent::Help { opening: "Hi! " };
    }
    if HELP.iter().any(|h| low.starts_with(h) && trim_punct(&low[h.len()..]).is_empty()) {
        return Intent::Help { opening: "" };
    }
    let s = strip_prefixes_repeatedly(s, POLITE);
    let s = strip_suffixes_repeatedly(s, &["please", "pls", "thanks", "thank you", "for me", "now"]);
    let s = trim_punct(s);
    let (wanted, s) = match strip_prefix_any(s, WANT) {
        Some((_, rest)) => (true, strip_prefixes_repeatedly(rest, POLITE)),
        None => (false, s),
    };
    if s.is_empty() {
        return Intent::Help { opening: "" };
    }
    // Repeats and reminders are read out first, so that the rest is read as usual; they count
    // only for requests that make or change a task ("show my daily tasks" is just a list).
    let found = unsupported::find(s, today);
    if !found.not_done.is_empty() || found.rule.is_some() {
        let text = trim_punct(&found.text);
        let (mut intent, mut not_done) = parse_request(text, wanted, today);
        if !changes_tasks(&intent)
            && found.rule.is_some()
            && let Some(target) = repeat_target(text)
        {
            // "make task 3 repeat weekly": the repeat is the whole change.
            (intent, not_done) = (Intent::Update(target, Changes::default()), Vec::new());
        }
        if changes_tasks(&intent) {
            let intent = due_on_first_day(intent, found.first_day, today);
            let intent = match &found.rule {
                Some(rule) => with_rule(intent, rule, today).0,
                None => intent,
            };
            not_done.splice(0..0, found.not_done);
            return partly(intent, not_done);
        }
    }
    let (intent, not_done) = parse_request(s, wanted, today);
    partly(intent, not_done)
}

/// One request, or several joined by "and" / "then".
fn parse_request(s: &str, wanted: bool, today: NaiveDate) -> (Intent, Vec<NotDone>) {
    if let Some(several) = clauses::parse_clauses(s, today) {
        return several;
    }
    if let Some(intent) = parse_command(s, today) {
        return (intent, Vec::new());
    }
    if wanted {
        return (parse_add(s, today), Vec::new());
    }
    (Intent::Help { opening: "Sorry, I didn't understand that. " }, Vec::new())
}

fn partly(intent: Intent, not_done: Vec<NotDone>) -> Intent {
    if not_done.is_empty() { intent } else { Intent::Partly { intent: Box::new(intent), not_done } }
}

fn changes_tasks(intent: &Intent) -> bool {
    match intent {
        Intent::Add(_) | Intent::Update(..) | Intent::Tags { .. } => true,
        Intent::Sequence(steps) => steps.iter().any(changes_tasks),
        _ => false,
    }
}

/// The task of "make task 3" / "set it to" once "repeat weekly" was read out of it.
fn repeat_target(text: &str) -> Option<Target> {
    let (_, rest) = strip_prefix_any(text, &["make", "set", "have", "let", "change"])?;
    let rest = strip_suffixes_repeatedly(trim_punct(rest), &["to", "so it", "so that it"]);
    self::target::parse_target(rest)
}

/// Gives the first task-changing step of `intent` the rule; an added task without a due
/// gets the rule's first occurrence from today (a rule counts from the due). Returns
/// whether a step took it.
fn with_rule(intent: Intent, rule: &unsupported::Rule, today: NaiveDate) -> (Intent, bool) {
    match intent {
        Intent::Add(mut task) => {
            task.repeat = Some(rule.text());
            task.due.get_or_insert_with(|| Due::on(first_due(rule, today)));
            (Intent::Add(task), true)
        }
        Intent::Update(target, mut changes) => {
            changes.repeat = Some(rule.text());
            (Intent::Update(target, changes), true)
        }
        Intent::Sequence(steps) => {
            let mut taken = false;
            let steps = steps
                .into_iter()
                .map(|step| {
                    if taken {
                        return step;
                    }
                    let (step, took) = with_rule(step, rule, today);
                    taken = took;
                    step
                })
                .collect();
            (Intent::Sequence(steps), taken)
        }
        other => (other, false),
    }
}

/// The first day a rule falls on from `today` when the message gives no date: the next
/// "15th" for a day of the month, the next Monday to Friday for "every weekday", else today.
fn first_due(rule: &unsupported::Rule, today: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let matches = |d: NaiveDate| match (rule.month_day, rule.weekdays_only) {
        (Some(day), _) => d.day() == day,
        (None, true) => d.weekday().num_days_from_monday() < 5,
        (None, false) => true,
    };
    today.iter_days().take(400).find(|d| matches(*d)).unwrap_or(today)
}

/// "every monday": the task is added (or moved) once, due on the next Monday, unless the
/// message gives a date.
fn due_on_first_day(intent: Intent, day: Option<&str>, today: NaiveDate) -> Intent {
    let Some(due) = day.and_then(|d| crate::dates::parse_exact(d, today)) else { return intent };
    match intent {
        Intent::Add(mut task) if task.due.is_none() => {
            task.due = Some(due);
            Intent::Add(task)
        }
        other => other,
    }
}

fn parse_command(s: &str, today: NaiveDate) -> Option<Intent> {
    if let Some(intent) = parse_tags(s) {
        return Some(intent);
    }
    if let Some((_, rest)) = strip_prefix_any(s, ADD) {
        // "add tag ..." was handled above; "add 'x'", "add a task to x".
        return Some(parse_add(rest, today));
    }
    if let Some((_, rest)) = strip_prefix_any(s, NEED) {
        // "I need to delete task 3" is a command; "I need to call mom" is a new task.
        if let Some(intent) = parse_action(rest, today)
            && matches!(
                &intent,
                Intent::Complete(Target::Id(_)) | Intent::Delete(Target::Id(_)) | Intent::Update(Target::Id(_), _)
            )
        {
            return Some(intent);
        }
        return Some(parse_add(rest, today));
    }
    if let Some(intent) = parse_action(s, today) {
        return Some(intent);
    }
    parse_list(s)
}

/// Complete, delete and update commands.
fn parse_action(s: &str, today: NaiveDate) -> Option<Intent> {
    if let Some(i) = parse_mark(s, today) {
        return Some(i);
    }
    if let Some(i) = parse_complete(s) {
        return Some(i);
    }
    if let Some(i) = parse_delete(s) {
        return Some(i);
    }
    parse_update(s, today)
}
