//! The phrase -> intent table: `tests/fixtures/intents.txt`, one case a line, every failing line
//! reported at once.
//!
//! Each case is `"<phrase>" => <intent>`: the phrase as a JSON string (so quotes, leading spaces
//! and the empty message can be written), then the intent in the notation [`render`] produces.
//! Lines starting with `#` and blank lines are comments. A bare `help` or `clarify` accepts any
//! opening or question; everything else must match exactly.

use chrono::NaiveDate;

use super::{DueFilter, Intent, ListQuery, NotDone, Target, parse};
use crate::dates::Due;

const FIXTURE_PATH: &str = "tests/fixtures/intents.txt";
const FIXTURE: &str = include_str!("../../tests/fixtures/intents.txt");

/// The day relative dates in the fixture are read against (a Wednesday).
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 10).expect("a valid date")
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn target(t: &Target) -> String {
    match t {
        Target::Id(id) => format!("#{id}"),
        Target::Title(words) => quoted(words),
        Target::It => "it".to_string(),
    }
}

fn due(d: &Due) -> String {
    if let Some(m) = d.minutes_from_now {
        return format!("+{m}min");
    }
    match d.time {
        Some(t) => format!("{}T{}", d.date, t.format("%H:%M")),
        None => d.date.to_string(),
    }
}

fn list(q: &ListQuery) -> String {
    let mut s = format!("list status={}", q.status.as_str());
    if let Some(d) = q.due {
        let d = match d {
            DueFilter::Overdue => "overdue",
            DueFilter::Today => "today",
            DueFilter::Tomorrow => "tomorrow",
            DueFilter::Week => "week",
        };
        s.push_str(&format!(" due={d}"));
    }
    if let Some(p) = q.priority {
        s.push_str(&format!(" priority={p}"));
    }
    if let Some(t) = &q.tag {
        s.push_str(&format!(" #{t}"));
    }
    if let Some(text) = &q.q {
        s.push_str(&format!(" q={}", quoted(text)));
    }
    s
}

/// One line of the fixture's notation for an intent, every field included:
/// `help "Hi! "`, `clarify "..."`, `add "Title" description="..." priority=high due=2026-06-11 #tag`,
/// `list status=pending due=overdue priority=high #tag q="words"`, `complete #3`,
/// `reopen "title words"`, `delete #2`, `update #1 title="..." description="..." priority=low
/// due=2026-06-11T09:30`, `tags #3 +added -removed`.
fn render(intent: &Intent) -> String {
    match intent {
        Intent::Help { opening } => format!("help {}", quoted(opening)),
        Intent::Clarify(question) => format!("clarify {}", quoted(question)),
        Intent::Add(task) => {
            let mut s = format!("add {}", quoted(&task.title));
            if let Some(d) = &task.description {
                s.push_str(&format!(" description={}", quoted(d)));
            }
            if let Some(p) = task.priority {
                s.push_str(&format!(" priority={p}"));
            }
            if let Some(d) = &task.due {
                s.push_str(&format!(" due={}", due(d)));
            }
            for tag in &task.tags {
                s.push_str(&format!(" #{tag}"));
            }
            if let Some(r) = &task.repeat {
                s.push_str(&format!(" repeat={r}"));
            }
            s
        }
        Intent::List(q) => list(q),
        Intent::Sequence(steps) => steps.iter().map(render).collect::<Vec<_>>().join(" ; "),
        Intent::Partly { intent, not_done } => {
            let mut s = render(intent);
            for n in not_done {
                match n {
                    NotDone::Repeat(phrase) => s.push_str(&format!(" !repeat={}", quoted(phrase))),
                    NotDone::Reminder => s.push_str(" !reminder"),
                    NotDone::Unclear(words) => s.push_str(&format!(" !unclear={}", quoted(words))),
                }
            }
            s
        }
        Intent::Complete(t) => format!("complete {}", target(t)),
        Intent::Reopen(t) => format!("reopen {}", target(t)),
        Intent::Delete(t) => format!("delete {}", target(t)),
        Intent::Update(t, c) => {
            let mut s = format!("update {}", target(t));
            if let Some(title) = &c.title {
                s.push_str(&format!(" title={}", quoted(title)));
            }
            if let Some(d) = &c.description {
                s.push_str(&format!(" description={}", quoted(d)));
            }
            if let Some(p) = c.priority {
                s.push_str(&format!(" priority={p}"));
            }
            if let Some(d) = &c.due {
                s.push_str(&format!(" due={}", due(d)));
            }
            if let Some(r) = &c.repeat {
                s.push_str(&format!(" repeat={r}"));
            }
            s
        }
        Intent::Tags { target: t, add, remove } => {
            let mut s = format!("tags {}", target(t));
            for tag in add {
                s.push_str(&format!(" +{tag}"));
            }
            for tag in remove {
                s.push_str(&format!(" -{tag}"));
            }
            s
        }
    }
}

/// Whether `got` satisfies `expected`: equal, or `expected` is a bare `help` / `clarify`.
fn matches(expected: &str, got: &str) -> bool {
    match expected {
        "help" | "clarify" => got.split(' ').next() == Some(expected),
        _ => expected == got,
    }
}

/// One case: its line number, the phrase and the expected notation.
struct Case {
    line: usize,
    phrase: String,
    expected: String,
}

/// Reads the fixture; a line that is neither a comment nor a case is an error, not skipped.
fn cases(text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| format!("{FIXTURE_PATH}:{}: {why}: {raw}", i + 1);
        let mut stream = serde_json::Deserializer::from_str(line).into_iter::<String>();
        let phrase = match stream.next() {
            Some(Ok(phrase)) => phrase,
            _ => return Err(bad("expected a phrase as a JSON string")),
        };
        let rest = line[stream.byte_offset()..].trim_start();
        let Some(expected) = rest.strip_prefix("=>") else {
            return Err(bad("expected `=>` after the phrase"));
        };
        let expected = expected.trim();
        if expected.is_empty() {
            return Err(bad("expected an intent after `=>`"));
        }
        cases.push(Case { line: i + 1, phrase, expected: expected.to_string() });
    }
    Ok(cases)
}

/// Every case that fails, as `file:line: "phrase"` with what was expected and what came out.
fn failures(cases: &[Case]) -> Vec<String> {
    cases
        .iter()
        .filter_map(|c| {
            let got = render(&parse(&c.phrase, today()));
            (!matches(&c.expected, &got)).then(|| {
                format!(
                    "{FIXTURE_PATH}:{}: {}\n    expected: {}\n    got:      {got}",
                    c.line,
                    quoted(&c.phrase),
                    c.expected
                )
            })
        })
        .collect()
}

#[test]
fn phrases_parse_to_the_intents_in_the_fixture() {
    let cases = cases(FIXTURE).unwrap_or_else(|e| panic!("{e}"));
    assert!(!cases.is_empty(), "{FIXTURE_PATH} has no cases");
    let failed = failures(&cases);
    assert!(
        failed.is_empty(),
        "{} of {} phrases parsed differently:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}

#[test]
fn every_failing_line_is_reported() {
    let fixture = "# a comment\n\
                   \"add a task to buy milk\" => add \"Buy milk\"\n\
                   \"delete task 3\" => delete #4\n\
                   \n\
                   \"hello\" => clarify\n\
                   \"mark task 2 as done\" => complete #2\n";
    let cases = cases(fixture).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cases.len(), 4);
    let failed = failures(&cases);
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed[0].starts_with(&format!("{FIXTURE_PATH}:3: \"delete task 3\"")), "{}", failed[0]);
    assert!(failed[0].contains("expected: delete #4") && failed[0].contains("got:      delete #3"), "{}", failed[0]);
    assert!(failed[1].contains(":5: \"hello\"") && failed[1].contains("got:      help \"Hi! \""), "{}", failed[1]);
}

#[test]
fn malformed_lines_are_errors() {
    for line in ["add a task", "\"add a task\"", "\"add a task\" add \"A task\"", "\"add a task\" =>  "] {
        assert!(cases(line).is_err(), "{line:?} was accepted");
    }
}
