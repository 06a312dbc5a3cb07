//! Turns one English message into an [`Intent`]. Pure: no tools are called here.

use chrono::NaiveDate;

use crate::dates::{self, Due};
use crate::text::{
    capitalize, contains_any, cut, find_phrase, find_quoted, normalize, number, phrase_at, rfind_phrase,
    strip_prefix_any, strip_prefixes_repeatedly, strip_suffix_any, strip_suffixes_repeatedly, trim_lead, trim_punct,
    trim_tail, unquote,
};

/// How a command names its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// "task 3", "#3", "number three"
    Id(i64),
    /// Words to search titles for: "the meeting task" -> "meeting".
    Title(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTask {
    pub title: String,
    pub description: Option<String>,
    pub priority: Option<&'static str>,
    pub tags: Vec<String>,
    pub due: Option<Due>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    All,
    Pending,
    Completed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::All => "all",
            Status::Pending => "pending",
            Status::Completed => "completed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    Overdue,
    Today,
    Tomorrow,
    Week,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Status,
    pub priority: Option<&'static str>,
    pub tag: Option<String>,
    pub q: Option<String>,
    pub due: Option<DueFilter>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<&'static str>,
    pub due: Option<Due>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Greeting, thanks, help or something not understood: no tool calls.
    Help {
        opening: &'static str,
    },
    /// A question back to the user (missing or unreadable part); no tool calls.
    Clarify(String),
    Add(NewTask),
    List(ListQuery),
    Complete(Target),
    Reopen(Target),
    Delete(Target),
    Update(Target, Changes),
    Tags {
        target: Target,
        add: Vec<String>,
        remove: Vec<String>,
    },
}

const POLITE: &[&str] = &[
    "please",
    "pls",
    "plz",
    "kindly",
    "hey",
    "hi",
    "hello",
    "ok",
    "okay",
    "so",
    "um",
    "uh",
    "well",
    "now",
    "also",
    "and",
    "then",
    "just",
    "quickly",
    "can you please",
    "could you please",
    "would you please",
    "can you",
    "could you",
    "would you",
    "will you",
    "can u",
    "could u",
    "i want you to",
    "i'd like you to",
    "i would like you to",
    "i need you to",
    "help me",
    "let's",
    "lets",
    "let me",
    "go ahead and",
    "assistant",
    "bot",
    "yo",
    "hey there",
    "hi there",
    "good morning",
    "good afternoon",
    "good evening",
];
const WANT: &[&str] = &["i want to", "i'd like to", "i would like to", "i wanna", "id like to", "i'd love to"];
const NEED: &[&str] = &[
    "i need to",
    "i have to",
    "i've got to",
    "ive got to",
    "i got to",
    "i gotta",
    "i must",
    "i should",
    "need to",
    "have to",
    "gotta",
    "we need to",
    "we have to",
    "we must",
    "i'll need to",
    "i will need to",
    "i ought to",
    "i still need to",
    "i also need to",
    "i really need to",
    "i still have to",
    "i also have to",
    "must",
];
const ADD: &[&str] = &[
    "add",
    "create",
    "new task",
    "new todo",
    "new to-do",
    "new item",
    "new reminder",
    "remind me to",
    "remind me",
    "remember to",
    "remember",
    "don't forget to",
    "dont forget to",
    "do not forget to",
    "don't let me forget to",
    "note to self",
    "note down",
    "jot down",
    "write down",
    "todo:",
    "to-do:",
    "task:",
    "set a reminder to",
    "set reminder to",
    "set a reminder for",
    "set a reminder",
    "make a new task",
    "make a task",
    "make a todo",
    "make a to-do",
    "make a note to",
    "make a reminder to",
    "make note to",
    "put down",
    "please remember to",
    "i need a task to",
    "add in",
    "add on",
];
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "yo",
    "hiya",
    "howdy",
    "good morning",
    "good afternoon",
    "good evening",
    "greetings",
    "hi there",
    "hello there",
    "hey there",
    "sup",
    "what's up",
    "whats up",
];
const THANKS: &[&str] =
    &["thanks", "thank you", "thx", "ty", "cheers", "thanks a lot", "thank you so much", "great thanks"];
const HELP: &[&str] = &[
    "help",
    "what can you do",
    "what do you do",
    "how does this work",
    "how do i use this",
    "who are you",
    "what are you",
    "commands",
    "menu",
    "usage",
    "options",
];

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
    if let Some(intent) = parse_command(s, today) {
        return intent;
    }
    if wanted {
        return parse_add(s, today);
    }
    Intent::Help { opening: "Sorry, I didn't understand that. " }
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

// ---------------------------------------------------------------------------------------------
// Targets

/// Parses how a command names its task.
pub fn parse_target(raw: &str) -> Option<Target> {
    let s = trim_punct(raw);
    let s = strip_suffixes_repeatedly(
        s,
        &[
            "from my list",
            "from the list",
            "off my list",
            "off the list",
            "from my tasks",
            "from my todo list",
            "from my to-do list",
            "from the todo list",
            "on my list",
            "please",
            "for me",
            "now",
            "already",
            "finally",
            "too",
            "as well",
        ],
    );
    let s = trim_punct(s);
    if s.is_empty() {
        return None;
    }
    if let Some((_, _, inner)) = find_quoted(s) {
        let inner = trim_punct(inner);
        return (!inner.is_empty()).then(|| Target::Title(inner.to_string()));
    }
    if let Some(id) = parse_id(s) {
        return Some(Target::Id(id));
    }
    let q = title_words(s);
    if q.is_empty() || matches!(q.to_ascii_lowercase().as_str(), "it" | "that" | "this" | "them" | "one" | "task") {
        return None;
    }
    Some(Target::Title(q))
}

/// "task 3", "task #3", "#3", "number 3", "task number three", "3", "the 3rd task"? (no: ordinals are positions).
fn parse_id(s: &str) -> Option<i64> {
    let low = s.to_ascii_lowercase();
    let words: Vec<&str> = low.split_whitespace().collect();
    let mut k = 0;
    while k < words.len()
        && matches!(
            words[k],
            "the" | "my" | "task" | "todo" | "to-do" | "item" | "number" | "no" | "no." | "id" | "#" | "with"
        )
    {
        k += 1;
    }
    if k + 1 != words.len() && !(k + 2 == words.len() && matches!(words[k + 1], "task" | "todo" | "item")) {
        return None;
    }
    let w = words.get(k)?.trim_start_matches('#');
    let had_marker = k > 0 || words[k].starts_with('#');
    let n = number(w)?;
    // A bare number word on its own ("three") is too loose; digits or a marker are required.
    if !had_marker && !w.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(i64::from(n))
}

/// Reduces "the meeting task" to "meeting", "the task called buy milk" to "buy milk".
fn title_words(s: &str) -> String {
    let lead = &[
        "the",
        "my",
        "our",
        "a",
        "an",
        "that",
        "this",
        "those",
        "these",
        "task called",
        "task named",
        "task titled",
        "task about",
        "task for",
        "task to",
        "todo called",
        "todo about",
        "todo to",
        "one called",
        "one about",
        "item called",
        "task",
        "todo",
        "to-do",
        "item",
        "entry",
        "called",
        "named",
        "titled",
        "about",
        "with",
        "reminder to",
        "reminder about",
        "reminder",
        "thing",
        "for",
    ];
    let tail =
        &["task", "tasks", "todo", "to-do", "item", "one", "entry", "thing", "reminder", "on my list", "in my list"];
    let mut t = trim_punct(s);
    loop {
        let before = t.len();
        t = strip_prefixes_repeatedly(t, lead);
        t = strip_suffixes_repeatedly(t, tail);
        t = trim_punct(unquote(t));
        if t.len() == before {
            break;
        }
    }
    t.to_string()
}

// ---------------------------------------------------------------------------------------------
// Complete / reopen

const DONE_WORDS: &[&str] = &[
    "as done",
    "as complete",
    "as completed",
    "as finished",
    "as checked",
    "as ticked",
    "as closed",
    "as resolved",
    "done",
    "complete",
    "completed",
    "finished",
    "off",
    "checked",
    "checked off",
    "resolved",
];
const UNDONE_WORDS: &[&str] = &[
    "as not done",
    "as incomplete",
    "as pending",
    "as undone",
    "as open",
    "as not complete",
    "as not completed",
    "as uncompleted",
    "as unfinished",
    "as todo",
    "as to do",
    "as active",
    "as not finished",
    "not done",
    "incomplete",
    "undone",
    "pending",
    "uncompleted",
    "unfinished",
    "not complete",
    "not completed",
    "open",
];

fn parse_mark(s: &str, today: NaiveDate) -> Option<Intent> {
    let (_, rest) = strip_prefix_any(s, &["mark", "flag", "tag"])?;
    if let Some((_, t)) = strip_prefix_any(rest, &["off"]) {
        return Some(target_or_ask(t, "Which task should I mark as done?", Intent::Complete));
    }
    if let Some(t) = strip_suffix_any(rest, UNDONE_WORDS) {
        return Some(target_or_ask(t, "Which task should I reopen?", Intent::Reopen));
    }
    if let Some(t) = strip_suffix_any(rest, DONE_WORDS) {
        return Some(target_or_ask(t, "Which task should I mark as done?", Intent::Complete));
    }
    // "mark task 2 as urgent", "mark task 2 high priority", "mark task 4 as due friday"
    let t = strip_suffix_any(rest, &["as"]).unwrap_or(rest);
    if let Some((prio, start)) = trailing_priority(t) {
        let tgt = strip_suffix_any(&t[..start], &["as"]).unwrap_or(&t[..start]);
        return Some(target_or_ask(tgt, "Which task should I change?", |target| {
            Intent::Update(target, Changes { priority: Some(prio), ..Default::default() })
        }));
    }
    if let Some(f) = dates::extract(rest, today)
        && trim_punct(&rest[f.end..]).is_empty()
    {
        let tgt = strip_suffixes_repeatedly(&rest[..f.start], &["as", "due"]);
        return Some(target_or_ask(tgt, "Which task should I change?", |target| {
            Intent::Update(target, Changes { due: Some(f.due), ..Default::default() })
        }));
    }
    if phrase_at(s, 0, "mark") {
        return Some(target_or_ask(rest, "Which task should I mark as done?", Intent::Complete));
    }
    None
}

fn target_or_ask(t: &str, question: &str, make: impl FnOnce(Target) -> Intent) -> Intent {
    match parse_target(t) {
        Some(target) => make(target),
        None => Intent::Clarify(format!("{question} Name it by number (\"task 3\") or by its title.")),
    }
}

const COMPLETE_VERBS: &[&str] = &[
    "i've finished",
    "i have finished",
    "i finished",
    "i've completed",
    "i have completed",
    "i completed",
    "i'm done with",
    "i am done with",
    "im done with",
    "i'm finished with",
    "i am finished with",
    "i did",
    "i've done",
    "i have done",
    "ive done",
    "ive finished",
    "ive completed",
    "done with",
    "finished with",
    "finished",
    "finish",
    "completed",
    "complete",
    "close",
    "check off",
    "tick off",
    "cross off",
    "done:",
    "done",
    "i just finished",
    "i just completed",
    "just finished",
    "just did",
    "i just did",
    "i already did",
    "i already finished",
];

fn parse_complete(s: &str) -> Option<Intent> {
    if let Some((verb, rest)) = strip_prefix_any(s, COMPLETE_VERBS) {
        let rest = trim_punct(rest);
        let listy = rest.is_empty()
            || rest.split_whitespace().all(|w| {
                matches!(
                    w.to_ascii_lowercase().as_str(),
                    "tasks" | "ones" | "items" | "todos" | "stuff" | "things" | "my" | "all"
                )
            });
        if listy && matches!(verb, "completed" | "finished" | "done") {
            return Some(Intent::List(ListQuery { status: Status::Completed, ..Default::default() }));
        }
        // "finished tasks" -> list; "close the app"? still a completion attempt, answered gracefully.
        let rest = strip_suffix_any(rest, &["off"]).unwrap_or(rest);
        return Some(target_or_ask(rest, "Which task should I mark as done?", Intent::Complete));
    }
    // "task 3 is done", "the groceries task is finished", "task 5 done"
    let suffixes = &[
        "is done",
        "is complete",
        "is completed",
        "is finished",
        "are done",
        "has been done",
        "has been completed",
        "is done now",
        "is now done",
        "can be marked done",
        "done",
        "complete",
        "completed",
        "finished",
        "is over",
    ];
    if let Some(t) = strip_suffix_any(s, suffixes) {
        let named_like_task = parse_id(t).is_some()
            || find_phrase(t, "task", 0).is_some()
            || find_phrase(t, "todo", 0).is_some()
            || find_quoted(t).is_some();
        if named_like_task && let Some(target) = parse_target(t) {
            return Some(Intent::Complete(target));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Delete

const DELETE_VERBS: &[&str] = &[
    "delete",
    "remove",
    "cancel",
    "drop",
    "erase",
    "trash",
    "discard",
    "get rid of",
    "scrap",
    "forget about",
    "forget",
    "throw away",
    "throw out",
    "bin",
    "nuke",
    "kill",
    "clear",
    "wipe",
];

fn parse_delete(s: &str) -> Option<Intent> {
    let (_, rest) = strip_prefix_any(s, DELETE_VERBS)?;
    let low = rest.to_ascii_lowercase();
    let bulk = ["all", "everything", "every", "all tasks", "my tasks", "the tasks", "tasks", "all my tasks"];
    let first = low.split_whitespace().next().unwrap_or("");
    if matches!(first, "all" | "everything" | "every")
        || bulk.contains(&trim_punct(&low))
        || low.starts_with("completed tasks")
    {
        return Some(Intent::Clarify(
            "For safety I delete one task at a time. Say, for example, \"delete task 3\" or \"delete the meeting task\"."
                .into(),
        ));
    }
    Some(target_or_ask(rest, "Which task should I delete?", Intent::Delete))
}

// ---------------------------------------------------------------------------------------------
// Update

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Description,
    Priority,
    Due,
}

const FIELD_WORDS: &[(&str, Field)] = &[
    ("title", Field::Title),
    ("name", Field::Title),
    ("description", Field::Description),
    ("details", Field::Description),
    ("notes", Field::Description),
    ("note", Field::Description),
    ("priority", Field::Priority),
    ("priority level", Field::Priority),
    ("importance", Field::Priority),
    ("due date", Field::Due),
    ("deadline", Field::Due),
    ("due", Field::Due),
    ("date", Field::Due),
    ("due time", Field::Due),
    ("time", Field::Due),
];

fn field_words() -> Vec<&'static str> {
    FIELD_WORDS.iter().map(|(w, _)| *w).collect()
}

fn field_of(w: &str) -> Option<Field> {
    FIELD_WORDS.iter().find(|(x, _)| x.eq_ignore_ascii_case(w)).map(|(_, f)| *f)
}

const UPDATE_VERBS: &[&str] = &[
    "rename",
    "retitle",
    "move",
    "reschedule",
    "postpone",
    "push",
    "push back",
    "defer",
    "delay",
    "bump",
    "prioritize",
    "prioritise",
    "deprioritize",
    "deprioritise",
    "make",
    "set",
    "change",
    "update",
    "edit",
    "modify",
    "adjust",
    "switch",
    "alter",
    "reword",
    "retitle",
    "describe",
    "give",
];

fn parse_update(s: &str, today: NaiveDate) -> Option<Intent> {
    let (verb, rest) = strip_prefix_any(s, UPDATE_VERBS)?;
    let ask = |what: &str| Some(Intent::Clarify(what.to_string()));
    match verb {
        "prioritize" | "prioritise" | "deprioritize" | "deprioritise" => {
            let prio = if verb.starts_with("de") { "low" } else { "high" };
            return Some(target_or_ask(rest, "Which task should I change?", |t| {
                Intent::Update(t, Changes { priority: Some(prio), ..Default::default() })
            }));
        }
        "rename" | "retitle" | "reword" => {
            let Some((left, value, quoted)) = split_value(rest, &["to", "as", "into"]) else {
                return ask("What should the new title be? Say, for example, \"rename task 1 to 'Call mom'\".");
            };
            let title = if quoted { value.to_string() } else { capitalize(trim_punct(value)) };
            return Some(target_or_ask(left, "Which task should I rename?", |t| {
                Intent::Update(t, Changes { title: Some(title), ..Default::default() })
            }));
        }
        "move" | "reschedule" | "postpone" | "push" | "push back" | "defer" | "delay" | "bump" => {
            let rest = strip_prefix_any(rest, &["back"]).map_or(rest, |(_, r)| r);
            // "bump task 3 to urgent"
            if let Some((left, value, false)) = split_value(rest, &["to", "until", "till", "til", "for"]) {
                let left = strip_suffix_any(left, &["back", "out"]).unwrap_or(left);
                if let Some(p) = priority_exact(value) {
                    return Some(target_or_ask(left, "Which task should I change?", |t| {
                        Intent::Update(t, Changes { priority: Some(p), ..Default::default() })
                    }));
                }
                if let Some(due) = dates::parse_exact(value, today) {
                    return Some(target_or_ask(left, "Which task should I move?", |t| {
                        Intent::Update(t, Changes { due: Some(due), ..Default::default() })
                    }));
                }
            }
            if let Some(f) = dates::extract(rest, today) {
                let left = trim_tail(&rest[..f.start]);
                let left = strip_suffixes_repeatedly(left, &["to", "back", "out"]);
                return Some(target_or_ask(left, "Which task should I move?", |t| {
                    Intent::Update(t, Changes { due: Some(f.due), ..Default::default() })
                }));
            }
            if matches!(verb, "postpone" | "push back" | "defer" | "delay") || phrase_at(s, 0, "push back") {
                return ask(
                    "When should it be due instead? Say, for example, \"move task 4 to tomorrow\" or \"postpone task 4 to next monday\".",
                );
            }
            return None;
        }
        "make" | "give" => {
            // "make task 2 high priority", "give task 3 a high priority", "make the groceries task due friday", "make task 3 urgent"
            let body = strip_prefix_any(rest, &["a", "an"]).map_or(rest, |(_, r)| r);
            if let Some((prio, start)) = trailing_priority(body) {
                let left = strip_suffixes_repeatedly(&body[..start], &["a", "an", "as"]);
                if parse_target(left).is_some() {
                    return Some(target_or_ask(left, "Which task?", |t| {
                        Intent::Update(t, Changes { priority: Some(prio), ..Default::default() })
                    }));
                }
            }
            if let Some(f) = dates::extract(body, today)
                && trim_punct(&body[f.end..]).is_empty()
            {
                let left = strip_suffixes_repeatedly(
                    &body[..f.start],
                    &["be", "due", "of", "date", "a", "deadline", "due date", "the", "on", "by", "for"],
                );
                if parse_target(left).is_some() {
                    return Some(target_or_ask(left, "Which task?", |t| {
                        Intent::Update(t, Changes { due: Some(f.due), ..Default::default() })
                    }));
                }
            }
            return None;
        }
        "describe" => {
            let (left, value, _) = split_value(rest, &["as", "with", "to"])?;
            let desc = value.to_string();
            return Some(target_or_ask(left, "Which task?", |t| {
                Intent::Update(t, Changes { description: Some(desc), ..Default::default() })
            }));
        }
        _ => {}
    }
    // set / change / update / edit / modify
    if let Some(reminder) = strip_prefix_any(rest, &["a reminder to", "a reminder for", "a reminder", "reminder to"]) {
        return Some(parse_add(reminder.1, today));
    }
    // "the priority of task 2 to high", "the due date for the report task to friday"
    let (field, rest) = match leading_field(rest) {
        Some((f, r)) => (Some(f), r),
        None => (None, rest),
    };
    if let Some((left, value, quoted)) = split_value(rest, &["to", "as", "=", "into"]) {
        let (field, left) = match field {
            Some(f) => (Some(f), left),
            None => match trailing_field(left) {
                Some((f, l)) => (Some(f), l),
                None => (None, left),
            },
        };
        return Some(match changes_for(field, value, quoted, today) {
            Ok(changes) => target_or_ask(left, "Which task should I change?", |t| Intent::Update(t, changes)),
            Err(msg) => Intent::Clarify(msg),
        });
    }
    // No "to": "set task 3 due tomorrow", "update task 2 high priority", "change task 3 priority high"
    let (changes, left) = extract_changes(rest, today);
    if !changes.is_empty() {
        let left = left.as_str();
        let left = match trailing_field(left) {
            Some((_, l)) => l,
            None => left,
        };
        return Some(target_or_ask(left, "Which task should I change?", |t| Intent::Update(t, changes)));
    }
    if parse_target(rest).is_some() {
        return ask(
            "What should I change? Say, for example, \"change task 1 to 'Call mom'\", \"set task 2 priority to high\" or \"move task 4 to tomorrow\".",
        );
    }
    None
}

/// "the priority of X" / "priority for X" -> (Priority, "X").
fn leading_field(s: &str) -> Option<(Field, &str)> {
    let t = strip_prefix_any(s, &["the", "its"]).map_or(s, |(_, r)| r);
    let words = field_words();
    let (w, rest) = strip_prefix_any(t, &words)?;
    let (_, rest) = strip_prefix_any(rest, &["of", "for", "on", "in"])?;
    Some((field_of(w)?, rest))
}

/// "task 2 priority" / "task 2's due date" -> (Priority, "task 2").
fn trailing_field(s: &str) -> Option<(Field, &str)> {
    let s = trim_tail(s);
    let words = field_words();
    let mut best: Option<(usize, &str)> = None;
    for w in &words {
        if let Some(left) = strip_suffix_any(s, &[w])
            && best.is_none_or(|(n, _)| w.len() > n)
        {
            best = Some((w.len(), left));
        }
    }
    let (n, left) = best?;
    let w = &s[s.len() - n..];
    let left = left.strip_suffix("'s").unwrap_or(left);
    let left = strip_suffix_any(left, &["the", "its"]).unwrap_or(left);
    Some((field_of(w)?, trim_tail(left)))
}

/// Splits "TARGET to VALUE". A quoted value wins; otherwise the first separator after something
/// that reads as a target ("task 3", "... task") is used. Returns (target, value, value_was_quoted).
fn split_value<'a>(s: &'a str, seps: &[&str]) -> Option<(&'a str, &'a str, bool)> {
    if let Some((qs, qe, inner)) = find_quoted(s)
        && qs > 0
        && trim_punct(&s[qe..]).is_empty()
    {
        let left = trim_tail(&s[..qs]);
        for sep in seps {
            if let Some(l) = strip_suffix_any(left, &[sep]) {
                return Some((l, inner, true));
            }
        }
        if left.ends_with(':') || s[..qs].trim_end().ends_with(':') {
            return Some((trim_tail(left), inner, true));
        }
    }
    let mut candidates: Vec<usize> = Vec::new();
    for sep in seps {
        let mut from = 0;
        while let Some(i) = find_phrase(s, sep, from) {
            candidates.push(i);
            from = i + sep.len();
        }
    }
    candidates.sort_unstable();
    let sep_len = |i: usize| seps.iter().find(|p| phrase_at(s, i, p)).map_or(1, |p| p.len());
    let good = candidates.iter().copied().find(|&i| {
        let left = trim_tail(&s[..i]);
        parse_id(left).is_some()
            || trailing_field(left)
                .is_some_and(|(_, l)| parse_id(l).is_some() || l.to_ascii_lowercase().ends_with("task"))
            || ["task", "todo", "item", "one"].iter().any(|w| strip_suffix_any(left, &[w]).is_some())
            || find_quoted(left).is_some()
    });
    let i = good.or_else(|| candidates.first().copied())?;
    let left = trim_tail(&s[..i]);
    let value = trim_punct(&s[i + sep_len(i)..]);
    if left.is_empty() || value.is_empty() {
        return None;
    }
    Some((left, unquote(value), value.starts_with(['"', '\'']) && value.len() > 1 && find_quoted(value).is_some()))
}

/// What a value means for a field (or, without a field, what it looks like).
fn changes_for(field: Option<Field>, value: &str, quoted: bool, today: NaiveDate) -> Result<Changes, String> {
    let mut c = Changes::default();
    let title = || if quoted { value.to_string() } else { capitalize(trim_punct(value)) };
    match field {
        Some(Field::Title) => c.title = Some(title()),
        Some(Field::Description) => c.description = Some(value.to_string()),
        Some(Field::Priority) => {
            c.priority =
                Some(priority_exact(value).ok_or_else(|| {
                    format!("I don't know the priority \"{value}\". Use low, medium, high or urgent.")
                })?)
        }
        Some(Field::Due) => {
            c.due = Some(dates::parse_exact(value, today).ok_or_else(|| {
                format!(
                    "I couldn't read the date \"{value}\". Try \"tomorrow\", \"friday\", \"Dec 3\" or \"2026-12-03\"."
                )
            })?)
        }
        None if quoted => c.title = Some(value.to_string()),
        None if priority_exact(value).is_some() => c.priority = priority_exact(value),
        None if dates::parse_exact(value, today).is_some() => c.due = dates::parse_exact(value, today),
        None => {
            let (extracted, rest) = extract_changes(value, today);
            if !extracted.is_empty() && trim_punct(&rest).is_empty() {
                return Ok(extracted);
            }
            c.title = Some(title());
        }
    }
    Ok(c)
}

/// Pulls a priority and a due date out of `s`; returns them and what is left.
fn extract_changes(s: &str, today: NaiveDate) -> (Changes, String) {
    let mut c = Changes::default();
    let mut text = s.to_string();
    if let Some((p, start, end)) = find_priority(&text) {
        c.priority = Some(p);
        text = cut(&text, start, end);
    }
    if let Some(f) = dates::extract(&text, today) {
        c.due = Some(f.due);
        text = cut(&text, f.start, f.end);
    }
    let left = strip_suffixes_repeatedly(trim_punct(&text), &["and", "with", "as", "to", "be", "due", "make it", "it"]);
    (c, left.to_string())
}

// ---------------------------------------------------------------------------------------------
// Tags

fn tag_words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).to_lowercase())
        .filter(|w| {
            !w.is_empty() && !matches!(w.as_str(), "and" | "with" | "as" | "the" | "tag" | "tags" | "label" | "labels")
        })
        .collect()
}

fn parse_tags(s: &str) -> Option<Intent> {
    // "add tag work to task 3", "add the tags #a #b to the report task", "add #work to task 3"
    if let Some((_, rest)) = strip_prefix_any(s, &["add", "put"]) {
        let (left, target) = split_at_last(rest, &["to", "on", "onto"])?;
        let tagged = strip_prefix_any(left, &["the tags", "the tag", "tags", "tag", "labels", "label", "the label"]);
        let tags = match tagged {
            Some((_, t)) => tag_words(t),
            None if !left.is_empty() && left.split_whitespace().all(|w| w.starts_with('#') && w.len() > 1) => {
                tag_words(left)
            }
            None => return None,
        };
        let target = parse_target(target)?;
        return (!tags.is_empty()).then_some(Intent::Tags { target, add: tags, remove: vec![] });
    }
    // "remove the tag work from task 3"
    if let Some((_, rest)) = strip_prefix_any(s, &["remove", "delete", "drop", "clear"]) {
        let (_, after) =
            strip_prefix_any(rest, &["the tags", "the tag", "tags", "tag", "labels", "label", "the label"])
                .or_else(|| rest.starts_with('#').then_some(("", rest)))?;
        let (left, target) = split_at_last(after, &["from", "off"])?;
        let tags = tag_words(left);
        let target = parse_target(target)?;
        return (!tags.is_empty()).then_some(Intent::Tags { target, add: vec![], remove: tags });
    }
    // "tag task 3 with work", "tag the report task as #urgent #q3"
    if let Some((_, rest)) = strip_prefix_any(s, &["tag", "label"]) {
        let (left, tags) = split_at_first(rest, &["with", "as"]).or_else(|| {
            let i = rest.find('#')?;
            Some((trim_tail(&rest[..i]), &rest[i..]))
        })?;
        let target = parse_target(left)?;
        let tags = tag_words(tags);
        return (!tags.is_empty()).then_some(Intent::Tags { target, add: tags, remove: vec![] });
    }
    None
}

fn split_at_last<'a>(s: &'a str, seps: &[&str]) -> Option<(&'a str, &'a str)> {
    let (i, sep) = seps.iter().filter_map(|p| rfind_phrase(s, p).map(|i| (i, *p))).max_by_key(|(i, _)| *i)?;
    Some((trim_tail(&s[..i]), trim_lead(&s[i + sep.len()..])))
}

fn split_at_first<'a>(s: &'a str, seps: &[&str]) -> Option<(&'a str, &'a str)> {
    let (i, sep) = seps.iter().filter_map(|p| find_phrase(s, p, 0).map(|i| (i, *p))).min_by_key(|(i, _)| *i)?;
    Some((trim_tail(&s[..i]), trim_lead(&s[i + sep.len()..])))
}

// ---------------------------------------------------------------------------------------------
// Priority

/// Phrases and the priority they mean. Earliest match in the text wins; ties go to the longest.
const PRIORITY_PHRASES: &[(&str, &str)] = &[
    ("not important", "low"),
    ("not urgent", "low"),
    ("unimportant", "low"),
    ("low priority", "low"),
    ("low-priority", "low"),
    ("low prio", "low"),
    ("lowest priority", "low"),
    ("priority low", "low"),
    ("priority: low", "low"),
    ("medium priority", "medium"),
    ("medium-priority", "medium"),
    ("normal priority", "medium"),
    ("priority medium", "medium"),
    ("priority: medium", "medium"),
    ("priority normal", "medium"),
    ("high priority", "high"),
    ("high-priority", "high"),
    ("high prio", "high"),
    ("priority high", "high"),
    ("priority: high", "high"),
    ("top priority", "high"),
    ("very important", "high"),
    ("important", "high"),
    ("urgent priority", "urgent"),
    ("highest priority", "urgent"),
    ("priority urgent", "urgent"),
    ("priority: urgent", "urgent"),
    ("urgently", "urgent"),
    ("urgent", "urgent"),
    ("asap", "urgent"),
    ("as soon as possible", "urgent"),
    ("critical", "urgent"),
];

/// Words in front of a priority phrase that go with it: "with high priority", "mark it as urgent".
const PRIORITY_LEADS: &[&str] = &[
    "with",
    "as",
    "marked as",
    "marked",
    "make it",
    "mark it as",
    "mark it",
    "it's",
    "it is",
    "this is",
    "set to",
    "and",
    "at",
    "and it's",
    "and make it",
    "and mark it",
    "priority is",
    "which is",
    "that is",
    "and is",
];

/// Finds a priority phrase: (priority, start, end) including its lead-in words.
pub fn find_priority(s: &str) -> Option<(&'static str, usize, usize)> {
    let mut best: Option<(usize, usize, &'static str)> = None;
    for (phrase, prio) in PRIORITY_PHRASES {
        if let Some(i) = find_phrase(s, phrase, 0) {
            let better = match best {
                None => true,
                Some((bi, bl, _)) => i < bi || (i == bi && phrase.len() > bl),
            };
            if better {
                best = Some((i, phrase.len(), prio));
            }
        }
    }
    let (mut start, len, prio) = best?;
    let end = start + len;
    loop {
        let before = trim_tail(&s[..start]);
        match strip_suffix_any(before, PRIORITY_LEADS) {
            Some(b) if b.len() < before.len() => start = b.len(),
            _ => break,
        }
    }
    // Keep a separating space if we swallowed lead words.
    Some((prio, start, end))
}

/// A priority phrase at the end of `s`: (priority, start of the phrase and its lead words).
fn trailing_priority(s: &str) -> Option<(&'static str, usize)> {
    let (p, start, end) = find_priority(s)?;
    trim_punct(&s[end..]).is_empty().then_some((p, start))
}

/// The whole text as a priority: "high", "high priority", "urgent", "a low priority".
pub fn priority_exact(s: &str) -> Option<&'static str> {
    let low = trim_punct(unquote(s)).to_ascii_lowercase();
    let words: Vec<&str> = low
        .split_whitespace()
        .filter(|w| !matches!(*w, "a" | "the" | "be" | "as" | "priority" | "prio" | "level" | "it" | "its" | "to"))
        .collect();
    let p = match words.as_slice() {
        ["low" | "lowest" | "minor" | "unimportant"] | ["not", "important" | "urgent"] => "low",
        ["medium" | "normal" | "mid" | "moderate" | "regular" | "default"] => "medium",
        ["high" | "important" | "top" | "higher" | "very", ..] if words.len() <= 2 => "high",
        ["urgent" | "highest" | "critical" | "asap" | "max" | "maximum"] => "urgent",
        _ => return None,
    };
    Some(p)
}

// ---------------------------------------------------------------------------------------------
// Add

/// Parses the body of an add command ("a task to buy groceries tomorrow #home").
pub fn parse_add(body: &str, today: NaiveDate) -> Intent {
    let mut text = trim_punct(body).to_string();
    let mut task = NewTask::default();

    // A quoted title is taken literally; everything else is read for details.
    let mut quoted_title: Option<String> = None;
    if let Some((qs, qe, inner)) = find_quoted(&text) {
        let inner = inner.trim().to_string();
        if !inner.is_empty() {
            quoted_title = Some(inner);
            text = cut(&text, qs, qe);
        }
    }
    // Description: "... with description X", "... description: X", "... notes: X"
    for marker in [
        "with the description",
        "with description",
        "with a description",
        "with a note",
        "with the note",
        "with notes",
        "with note",
        "with details",
        "description:",
        "description",
        "notes:",
        "note:",
        "details:",
    ] {
        if let Some(i) = find_phrase(&text, marker, 0) {
            let desc = trim_punct(unquote(trim_lead(&text[i + marker.len()..]))).to_string();
            if !desc.is_empty() {
                task.description = Some(desc);
                text = trim_tail(&text[..i]).to_string();
                break;
            }
        }
    }
    // Tags: "#work", "tagged work", "with tag work"
    let mut kept = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let lw = w.to_ascii_lowercase();
        if w.starts_with('#') && w.chars().nth(1).is_some_and(char::is_alphabetic) {
            push_tag(&mut task.tags, w);
        } else if matches!(lw.as_str(), "tagged" | "tag") && words.peek().is_some() {
            if let Some(next) = words.next() {
                let next = if next.eq_ignore_ascii_case("as") || next.eq_ignore_ascii_case("with") {
                    words.next().unwrap_or("")
                } else {
                    next
                };
                push_tag(&mut task.tags, next);
            }
            if kept.last().is_some_and(|k: &&str| k.eq_ignore_ascii_case("with")) {
                kept.pop();
            }
            if kept.last().is_some_and(|k: &&str| k.eq_ignore_ascii_case("the")) {
                kept.pop();
                if kept.last().is_some_and(|k: &&str| k.eq_ignore_ascii_case("with")) {
                    kept.pop();
                }
            }
        } else {
            kept.push(w);
        }
    }
    text = kept.join(" ");
    // Priority
    if let Some((p, start, end)) = find_priority(&text) {
        task.priority = Some(p);
        text = cut(&text, start, end);
    }
    // Due date
    if let Some(f) = dates::extract(&text, today) {
        task.due = Some(f.due);
        text = cut(&text, f.start, f.end);
    }
    let title = match quoted_title {
        Some(q) => q,
        None => clean_title(&text),
    };
    if title.is_empty() {
        return Intent::Clarify(
            "What should the task be called? Say, for example, \"add a task to buy groceries\".".into(),
        );
    }
    task.title = title;
    Intent::Add(task)
}

fn push_tag(tags: &mut Vec<String>, raw: &str) {
    let t: String = raw
        .trim_start_matches('#')
        .trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .to_lowercase();
    if !t.is_empty() && !tags.contains(&t) {
        tags.push(t);
    }
}

/// "a task to buy groceries" -> "Buy groceries".
fn clean_title(text: &str) -> String {
    let leads = &[
        "to",
        "that i need to",
        "that i have to",
        "i need to",
        "i have to",
        "remember to",
        "me to",
        "to remember to",
        "that",
        "to-do:",
        "todo:",
        "task:",
        "reminder:",
        "to my list:",
        "to the list:",
        "to my list",
        "to the list",
        "to my todo list",
        "to my to-do list",
        "to my todo list:",
        "to do",
        "about",
        "for me to",
        "please",
        "remind me to",
        "need to",
        "have to",
        "i must",
        "i should",
        "don't forget to",
        "gotta",
    ];
    let tails = &[
        "to my list",
        "to my todo list",
        "to my to-do list",
        "to the list",
        "to my tasks",
        "to the todo list",
        "on my list",
        "to my task list",
        "to the task list",
        "to my todos",
        "please",
        "for me",
        "as a task",
        "as a todo",
        "as a new task",
        "to my to do list",
        "and",
        "with",
        "on",
        "by",
        "due",
        "for",
        "at",
        "it",
        "make it",
        "mark it",
        "and make it",
        "and mark it",
        "set",
        "thanks",
    ];
    let mut t = trim_punct(text);
    loop {
        let before = t.len();
        t = strip_task_noun(t);
        t = strip_prefixes_repeatedly(t, leads);
        t = strip_suffixes_repeatedly(t, tails);
        t = trim_punct(unquote(t));
        if t.len() == before {
            break;
        }
    }
    capitalize(t)
}

/// Strips "(a|an|the|another|one more) (new|quick) (task|todo|item|reminder|note) (to|for|called|:)".
fn strip_task_noun(s: &str) -> &str {
    let mut t = s;
    if let Some((_, r)) = strip_prefix_any(t, &["a", "an", "the", "another", "one more", "my", "some"]) {
        t = r;
    }
    if let Some((_, r)) = strip_prefix_any(t, &["new", "quick", "small", "simple", "separate"]) {
        t = r;
    }
    match strip_prefix_any(t, &["task", "tasks", "todo", "to-do", "item", "reminder", "note", "entry"]) {
        Some((_, r)) => match strip_prefix_any(
            r,
            &["to", "for", "called", "named", "titled", "that says", "saying", "about", "which is", ":"],
        ) {
            Some((_, r2)) => r2,
            None => r,
        },
        None => s,
    }
}

// ---------------------------------------------------------------------------------------------
// List

const LIST_VERBS: &[&str] = &[
    "show",
    "show me",
    "list",
    "see",
    "view",
    "display",
    "give me",
    "get",
    "tell me",
    "print",
    "bring up",
    "pull up",
    "let me see",
    "can i see",
    "read",
    "read me",
    "check",
    "review",
];
const SEARCH_VERBS: &[&str] = &[
    "search",
    "search for",
    "find",
    "find me",
    "look for",
    "look up",
    "search my tasks for",
    "find tasks with",
    "lookup",
];
const QUESTIONS: &[&str] = &[
    "what",
    "what's",
    "whats",
    "what is",
    "what are",
    "which",
    "how many",
    "do i have",
    "have i",
    "are there",
    "is there",
    "any",
    "anything",
    "did i",
    "where",
    "when",
];
const TASK_WORDS: &[&str] = &[
    "task",
    "tasks",
    "todo",
    "todos",
    "to-do",
    "to-dos",
    "to do",
    "list",
    "pending",
    "completed",
    "complete",
    "done",
    "finished",
    "overdue",
    "due",
    "left",
    "remaining",
    "open",
    "outstanding",
    "have to",
    "need to",
    "on my plate",
    "agenda",
    "priority",
    "urgent",
    "important",
    "everything",
    "items",
    "incomplete",
    "unfinished",
    "late",
    "closed",
    "active",
    "upcoming",
    "reminders",
    "stuff",
    "things",
    "today",
    "tomorrow",
    "this week",
    "should i",
];
const PENDING_WORDS: &[&str] = &[
    "pending",
    "open",
    "remaining",
    "left",
    "outstanding",
    "incomplete",
    "unfinished",
    "uncompleted",
    "not done",
    "not completed",
    "not finished",
    "to do",
    "need to",
    "have to",
    "still",
    "active",
    "undone",
    "current",
    "overdue",
    "late",
    "upcoming",
    "due",
    "yet to",
    "should i",
];
const COMPLETED_WORDS: &[&str] =
    &["completed", "complete", "done", "finished", "closed", "accomplished", "achieved", "ticked off", "checked off"];
const SEARCH_MARKERS: &[&str] = &[
    "about",
    "mentioning",
    "containing",
    "matching",
    "related to",
    "regarding",
    "called",
    "named",
    "titled",
    "that mention",
    "that mentions",
    "with the word",
    "with the words",
    "that contain",
    "that contains",
    "that say",
    "that says",
    "concerning",
    "involving",
    "for the word",
];

fn parse_list(s: &str) -> Option<Intent> {
    let (kind, body) = if let Some((_, r)) = strip_prefix_any(s, SEARCH_VERBS) {
        ("search", r)
    } else if let Some((_, r)) = strip_prefix_any(s, LIST_VERBS) {
        ("show", r)
    } else if let Some((_, r)) = strip_prefix_any(s, QUESTIONS) {
        ("question", r)
    } else {
        ("bare", s)
    };
    let whole = s.to_ascii_lowercase();
    if kind != "search" && !contains_any(&whole, TASK_WORDS) && !body.contains('#') {
        return None;
    }
    let mut query = ListQuery::default();
    // Search text: "tasks about X", "search X"
    let mut rest = body.to_string();
    for m in SEARCH_MARKERS {
        if let Some(i) = find_phrase(&rest, m, 0) {
            let q = title_words(trim_punct(&rest[i + m.len()..]));
            if !q.is_empty() {
                query.q = Some(q);
                rest = trim_tail(&rest[..i]).to_string();
                break;
            }
        }
    }
    // Tags
    let mut kept = Vec::new();
    let mut iter = rest.split_whitespace().peekable();
    while let Some(w) = iter.next() {
        let lw = w.to_ascii_lowercase();
        if w.starts_with('#') && w.chars().nth(1).is_some_and(char::is_alphabetic) {
            query.tag = Some(w.trim_start_matches('#').trim_end_matches(|c: char| !c.is_alphanumeric()).to_lowercase());
        } else if matches!(lw.as_str(), "tagged" | "tag" | "label" | "labelled" | "labeled") && iter.peek().is_some() {
            let mut next = iter.next().unwrap_or("");
            if next.eq_ignore_ascii_case("as") || next.eq_ignore_ascii_case("with") {
                next = iter.next().unwrap_or("");
            }
            query.tag =
                Some(next.trim_start_matches('#').trim_end_matches(|c: char| !c.is_alphanumeric()).to_lowercase());
        } else {
            kept.push(w);
        }
    }
    rest = kept.join(" ");
    let rl = rest.to_ascii_lowercase();
    // Status
    let wants_all = contains_any(&rl, &["all", "every", "everything", "both"]);
    if contains_any(&rl, PENDING_WORDS) && !contains_any(&rl, &["all done", "done so far"]) {
        query.status = Status::Pending;
    } else if contains_any(&rl, COMPLETED_WORDS) {
        query.status = Status::Completed;
    }
    if wants_all
        && query.status != Status::Completed
        && !contains_any(
            &rl,
            &[
                "all pending",
                "all open",
                "all my pending",
                "all of my pending",
                "all the pending",
                "all remaining",
                "all overdue",
            ],
        )
    {
        // "show me all my tasks" -> all; "all pending tasks" keeps pending.
        if !contains_any(&rl, &["pending", "open", "remaining", "outstanding", "incomplete", "unfinished", "left"]) {
            query.status = Status::All;
        }
    }
    // Due window
    if contains_any(&rl, &["overdue", "late", "past due", "missed", "past their due date"]) {
        query.due = Some(DueFilter::Overdue);
    } else if contains_any(&rl, &["today", "tonight", "today's"]) {
        query.due = Some(DueFilter::Today);
    } else if contains_any(&rl, &["tomorrow", "tmrw"]) {
        query.due = Some(DueFilter::Tomorrow);
    } else if contains_any(
        &rl,
        &["this week", "week", "next 7 days", "next seven days", "upcoming", "due soon", "soon", "coming up"],
    ) {
        query.due = Some(DueFilter::Week);
    }
    // "what's due?" without a window: anything open with a date soon
    if query.due.is_none() && contains_any(&rl, &["due"]) && query.q.is_none() {
        query.due = Some(DueFilter::Week);
    }
    // Only "overdue" etc. made the status pending implicitly; keep it explicit only when asked.
    if query.due.is_some()
        && !contains_any(
            &rl,
            &[
                "pending",
                "open",
                "remaining",
                "left",
                "outstanding",
                "incomplete",
                "unfinished",
                "not done",
                "to do",
                "need to",
                "have to",
                "still",
                "should i",
            ],
        )
        && query.status == Status::Pending
    {
        query.status = Status::All;
    }
    if let Some((p, _, _)) = find_priority(&rl) {
        query.priority = Some(p);
    }
    if kind == "search" && query.q.is_none() {
        let q = residue(&rest);
        if !q.is_empty() {
            query.q = Some(q);
        }
    } else if kind == "show" && query.q.is_none() {
        // "show my work tasks" -> search "work"
        let q = residue(&rest);
        if !q.is_empty() && q.split_whitespace().count() <= 3 {
            query.q = Some(q);
        }
    }
    Some(Intent::List(query))
}

/// The words of a list request that are not filler or filters: the search text, if any.
fn residue(s: &str) -> String {
    const FILLER: &[&str] = &[
        "me",
        "my",
        "all",
        "the",
        "a",
        "an",
        "of",
        "i",
        "have",
        "has",
        "what",
        "whats",
        "what's",
        "is",
        "are",
        "do",
        "does",
        "there",
        "any",
        "tasks",
        "task",
        "todos",
        "todo",
        "to-do",
        "to-dos",
        "list",
        "lists",
        "items",
        "item",
        "stuff",
        "things",
        "everything",
        "please",
        "now",
        "currently",
        "right",
        "on",
        "in",
        "for",
        "plate",
        "agenda",
        "that",
        "which",
        "you",
        "can",
        "could",
        "show",
        "see",
        "give",
        "tell",
        "get",
        "view",
        "display",
        "let",
        "us",
        "with",
        "still",
        "got",
        "am",
        "it",
        "them",
        "so",
        "far",
        "yet",
        "been",
        "already",
        "ever",
        "recently",
        "up",
        "out",
        "mine",
        "our",
        "your",
        "we",
        "need",
        "to",
        "left",
        "remaining",
        "pending",
        "open",
        "outstanding",
        "completed",
        "complete",
        "done",
        "finished",
        "closed",
        "overdue",
        "late",
        "due",
        "today",
        "tonight",
        "tomorrow",
        "week",
        "this",
        "next",
        "days",
        "upcoming",
        "soon",
        "high",
        "low",
        "medium",
        "urgent",
        "important",
        "priority",
        "every",
        "one",
        "ones",
        "incomplete",
        "unfinished",
        "not",
        "and",
        "or",
        "by",
        "just",
        "only",
        "again",
        "entire",
        "whole",
        "full",
        "current",
        "active",
        "past",
        "how",
        "many",
        "much",
        "should",
        "must",
        "at",
        "from",
        "for",
        "about",
        "both",
        "some",
        "these",
        "those",
        "else",
    ];
    let words: Vec<&str> = s
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'')))
        .filter(|w| !w.is_empty() && !FILLER.contains(&w.to_ascii_lowercase().as_str()))
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 10).unwrap()
    }

    fn p(s: &str) -> Intent {
        parse(s, today())
    }

    fn add(title: &str) -> Intent {
        Intent::Add(NewTask { title: title.into(), ..Default::default() })
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target("task 3"), Some(Target::Id(3)));
        assert_eq!(parse_target("task #3"), Some(Target::Id(3)));
        assert_eq!(parse_target("#12"), Some(Target::Id(12)));
        assert_eq!(parse_target("number 4"), Some(Target::Id(4)));
        assert_eq!(parse_target("task number three"), Some(Target::Id(3)));
        assert_eq!(parse_target("7"), Some(Target::Id(7)));
        assert_eq!(parse_target("the meeting task"), Some(Target::Title("meeting".into())));
        assert_eq!(parse_target("the task called buy milk"), Some(Target::Title("buy milk".into())));
        assert_eq!(parse_target("'buy milk'"), Some(Target::Title("buy milk".into())));
        assert_eq!(parse_target("the groceries one"), Some(Target::Title("groceries".into())));
        assert_eq!(parse_target("it"), None);
        assert_eq!(parse_target(""), None);
    }

    #[test]
    fn adds() {
        assert_eq!(p("Add a task to buy groceries"), add("Buy groceries"));
        assert_eq!(p("I need to remember to pay bills"), add("Pay bills"));
        assert_eq!(p("add buy milk to my list"), add("Buy milk"));
        assert_eq!(p("remind me to water the plants."), add("Water the plants"));
        assert_eq!(p("Create a new task: call the plumber"), add("Call the plumber"));
        assert_eq!(p("please add \"Renew passport\""), add("Renew passport"));
        assert_eq!(p("I want to learn Rust"), add("Learn Rust"));
        assert_eq!(p("remember to delete old emails"), add("Delete old emails"));
        match p("Add an urgent task to call the bank tomorrow #finance") {
            Intent::Add(t) => {
                assert_eq!(t.title, "Call the bank");
                assert_eq!(t.priority, Some("urgent"));
                assert_eq!(t.tags, vec!["finance".to_string()]);
                assert_eq!(t.due.map(|d| d.date), NaiveDate::from_ymd_opt(2026, 6, 11));
            }
            other => panic!("{other:?}"),
        }
        match p("add buy milk with high priority by friday") {
            Intent::Add(t) => {
                assert_eq!(t.title, "Buy milk");
                assert_eq!(t.priority, Some("high"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(p("add a task"), Intent::Clarify(_)));
    }

    #[test]
    fn commands() {
        assert_eq!(p("Mark task 3 as complete"), Intent::Complete(Target::Id(3)));
        assert_eq!(p("I finished the groceries task"), Intent::Complete(Target::Title("groceries".into())));
        assert_eq!(p("task 5 is done"), Intent::Complete(Target::Id(5)));
        assert_eq!(p("done with #4"), Intent::Complete(Target::Id(4)));
        assert_eq!(p("Delete the meeting task"), Intent::Delete(Target::Title("meeting".into())));
        assert_eq!(p("remove task 2 from my list"), Intent::Delete(Target::Id(2)));
        assert_eq!(p("I need to delete task 3"), Intent::Delete(Target::Id(3)));
        assert_eq!(p("mark task 2 as not done"), Intent::Reopen(Target::Id(2)));
        assert!(matches!(p("delete everything"), Intent::Clarify(_)));
        assert_eq!(
            p("Change task 1 to 'Call mom tonight'"),
            Intent::Update(Target::Id(1), Changes { title: Some("Call mom tonight".into()), ..Default::default() })
        );
        assert_eq!(
            p("rename the groceries task to buy food"),
            Intent::Update(
                Target::Title("groceries".into()),
                Changes { title: Some("Buy food".into()), ..Default::default() }
            )
        );
        let prio = |t: Target, p: &'static str| Intent::Update(t, Changes { priority: Some(p), ..Default::default() });
        assert_eq!(p("set task 2 priority to high"), prio(Target::Id(2), "high"));
        assert_eq!(p("set the priority of task 2 to low"), prio(Target::Id(2), "low"));
        assert_eq!(p("make task 2 urgent"), prio(Target::Id(2), "urgent"));
        assert_eq!(p("mark task 2 as high priority"), prio(Target::Id(2), "high"));
        assert_eq!(p("change task 2 to high priority"), prio(Target::Id(2), "high"));
        let due = |t: Target, y, m, d| {
            Intent::Update(
                t,
                Changes { due: Some(Due::on(NaiveDate::from_ymd_opt(y, m, d).unwrap())), ..Default::default() },
            )
        };
        assert_eq!(p("move task 4 to tomorrow"), due(Target::Id(4), 2026, 6, 11));
        assert_eq!(p("postpone the report task to next monday"), due(Target::Title("report".into()), 2026, 6, 15));
        assert_eq!(p("set task 4 due friday"), due(Target::Id(4), 2026, 6, 12));
        assert_eq!(p("change the due date of task 4 to Dec 3"), due(Target::Id(4), 2026, 12, 3));
        assert_eq!(
            p("add tag #work to task 3"),
            Intent::Tags { target: Target::Id(3), add: vec!["work".into()], remove: vec![] }
        );
        assert_eq!(
            p("remove the tag home from task 3"),
            Intent::Tags { target: Target::Id(3), add: vec![], remove: vec!["home".into()] }
        );
        assert_eq!(
            p("tag task 3 with urgent-stuff"),
            Intent::Tags { target: Target::Id(3), add: vec!["urgent-stuff".into()], remove: vec![] }
        );
    }

    #[test]
    fn lists() {
        let l = |status, due, priority, q: Option<&str>, tag: Option<&str>| {
            Intent::List(ListQuery { status, due, priority, q: q.map(Into::into), tag: tag.map(Into::into) })
        };
        assert_eq!(p("Show me all my tasks"), l(Status::All, None, None, None, None));
        assert_eq!(p("What's pending?"), l(Status::Pending, None, None, None, None));
        assert_eq!(p("What have I completed?"), l(Status::Completed, None, None, None, None));
        assert_eq!(p("show completed tasks"), l(Status::Completed, None, None, None, None));
        assert_eq!(p("list my tasks"), l(Status::All, None, None, None, None));
        assert_eq!(p("what do I need to do?"), l(Status::Pending, None, None, None, None));
        assert_eq!(p("show overdue tasks"), l(Status::All, Some(DueFilter::Overdue), None, None, None));
        assert_eq!(p("what's due today?"), l(Status::All, Some(DueFilter::Today), None, None, None));
        assert_eq!(p("show high priority tasks"), l(Status::All, None, Some("high"), None, None));
        assert_eq!(p("show pending urgent tasks"), l(Status::Pending, None, Some("urgent"), None, None));
        assert_eq!(p("show tasks about groceries"), l(Status::All, None, None, Some("groceries"), None));
        assert_eq!(p("search dentist"), l(Status::All, None, None, Some("dentist"), None));
        assert_eq!(p("find tasks tagged work"), l(Status::All, None, None, None, Some("work")));
        assert_eq!(p("show #home tasks"), l(Status::All, None, None, None, Some("home")));
        assert_eq!(p("completed tasks"), l(Status::Completed, None, None, None, None));
        assert_eq!(p("pending"), l(Status::Pending, None, None, None, None));
    }

    #[test]
    fn help_and_nonsense() {
        assert!(matches!(p("hello"), Intent::Help { .. }));
        assert!(matches!(p("thanks!"), Intent::Help { .. }));
        assert!(matches!(p("asdf qwerty"), Intent::Help { .. }));
        assert!(matches!(p("what is the meaning of life?"), Intent::Help { .. }));
        assert!(matches!(p(""), Intent::Help { .. }));
        assert!(matches!(p("   ?!  "), Intent::Help { .. }));
        assert!(matches!(p("help"), Intent::Help { .. }));
    }

    #[test]
    fn priorities() {
        assert_eq!(priority_exact("high"), Some("high"));
        assert_eq!(priority_exact("High priority"), Some("high"));
        assert_eq!(priority_exact("urgent"), Some("urgent"));
        assert_eq!(priority_exact("a low priority"), Some("low"));
        assert_eq!(priority_exact("not important"), Some("low"));
        assert_eq!(priority_exact("call mom"), None);
        assert_eq!(find_priority("buy milk, not important").map(|x| x.0), Some("low"));
        assert_eq!(find_priority("pay rent, it's important").map(|x| (x.0, x.1)), Some(("high", 8)));
        assert_eq!(find_priority("buy milk with low priority").map(|x| (x.0, x.1)), Some(("low", 8)));
    }
}
