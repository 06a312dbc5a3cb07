//! Documentation that cannot drift from what it documents:
//!
//! - docs/assistant.md lists what the built-in assistant understands, generated
//!   from its phrase fixture (crates/todo-builtin/tests/fixtures/intents.txt),
//!   whose every line the builtin's own test checks against the parser. So each
//!   example in the doc is a tested case, and a phrase added to (or changed in)
//!   the fixture fails this test until the doc is regenerated:
//!   `UPDATE_DOCS=1 cargo test --test docs`.
//! - README.md shows exactly the screenshots in docs/images/, which the browser
//!   tests write (crates/todo-web/e2e/tests/readme-screenshots.test.mjs, which
//!   also checks the README names exactly the files it wrote).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test: a panic is the test failing")]

use std::path::Path;

const FIXTURE: &str = include_str!("../crates/todo-builtin/tests/fixtures/intents.txt");
const BEGIN: &str = "<!-- BEGIN generated from crates/todo-builtin/tests/fixtures/intents.txt by tests/docs.rs (UPDATE_DOCS=1 cargo test --test docs); do not edit by hand -->";
const END: &str = "<!-- END generated -->";

/// One section of the fixture: `# --- name ---`, its first comment line, its cases.
struct Section {
    name: String,
    about: String,
    cases: Vec<(String, String)>,
}

/// A JSON string at the start of `s`, and the rest after it.
fn json_string(s: &str) -> Option<(String, &str)> {
    let mut it = serde_json::Deserializer::from_str(s).into_iter::<String>();
    let value = it.next()?.ok()?;
    Some((value, &s[it.byte_offset()..]))
}

fn sections(fixture: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in fixture.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("# --- ").and_then(|l| l.strip_suffix(" ---")) {
            out.push(Section { name: name.to_string(), about: String::new(), cases: Vec::new() });
        } else if let Some(comment) = line.strip_prefix('#') {
            if let Some(s) = out.last_mut().filter(|s| s.about.is_empty() && s.cases.is_empty()) {
                // "Add: the title is ..." under the heading "Add": "The title is ...".
                let about = comment.trim();
                let about = match about.split_once(": ") {
                    Some((lead, rest)) if lead.eq_ignore_ascii_case(&s.name) => {
                        let mut c = rest.chars();
                        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
                    }
                    _ => about.to_string(),
                };
                s.about = about;
            }
        } else if line.starts_with('"') {
            let (phrase, rest) =
                json_string(line).unwrap_or_else(|| panic!("a phrase that is not a JSON string: {line}"));
            let intent = rest.trim_start().strip_prefix("=>").unwrap_or_else(|| panic!("no => in: {line}")).trim();
            let section = out.last_mut().unwrap_or_else(|| panic!("a case before any `# --- section ---`: {line}"));
            section.cases.push((phrase, intent.to_string()));
        }
    }
    out
}

/// The intent notation's tokens: `(key, value)`, key empty for positional
/// ones (`"Title"`, `#3`, `#tag`, `+tag`, `status=all` gives `("status", "all")`).
fn tokens(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return out;
        }
        if s.starts_with('"') {
            let (v, rest) = json_string(s).unwrap_or_else(|| panic!("a bad string in {s}"));
            out.push((String::new(), v));
            s = rest;
            continue;
        }
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        match s[..end].split_once('=') {
            Some((key, _)) if s[key.len() + 1..].starts_with('"') => {
                let (v, rest) = json_string(&s[key.len() + 1..]).unwrap_or_else(|| panic!("a bad string in {s}"));
                out.push((key.to_string(), v));
                s = rest;
            }
            Some((key, value)) => {
                out.push((key.to_string(), value.to_string()));
                s = &s[end..];
            }
            None => {
                out.push((String::new(), s[..end].to_string()));
                s = &s[end..];
            }
        }
    }
}

fn target(t: &str) -> String {
    match t.strip_prefix('#') {
        Some(n) => format!("task {n}"),
        None => format!("the task matching “{t}”"),
    }
}

fn due(d: &str) -> String {
    d.replace('T', " at ")
}

/// Extra fields of an intent, in words ("priority high, due 2026-06-11, tag #work").
fn details(fields: &[(String, String)]) -> Vec<String> {
    fields
        .iter()
        .map(|(k, v)| match (k.as_str(), v.as_str()) {
            ("", tag) if tag.starts_with('#') => format!("tag {tag}"),
            ("", other) => other.to_string(),
            ("priority", p) => format!("priority {p}"),
            ("due", d) => format!("due {}", due(d)),
            ("repeat", r) => format!("repeating “{r}”"),
            ("description", d) => format!("description “{d}”"),
            (k, v) => format!("{k} {v}"),
        })
        .collect()
}

/// The notation of one intent, in words.
fn describe(intent: &str) -> String {
    let (verb, rest) = intent.split_once(' ').unwrap_or((intent, ""));
    let t = tokens(rest);
    let first = t.first().map(|(_, v)| v.as_str()).unwrap_or("");
    let with = |words: String, fields: &[(String, String)]| {
        let d = details(fields);
        if d.is_empty() { words } else { format!("{words} ({})", d.join(", ")) }
    };
    match verb {
        "add" => with(format!("adds the task “{first}”"), t.get(1..).unwrap_or(&[])),
        "list" => {
            // "lists pending urgent-priority tasks due today, tagged #work"
            let (mut before, mut after) = (Vec::new(), Vec::new());
            let mut status = "all".to_string();
            for (k, v) in &t {
                match (k.as_str(), v.as_str()) {
                    ("status", s) => status = s.to_string(),
                    ("due", "overdue") => before.push("overdue".to_string()),
                    ("due", "week") => after.push("due this week".to_string()),
                    ("due", d) => after.push(format!("due {d}")),
                    ("priority", p) => before.push(format!("{p}-priority")),
                    ("q", q) => after.push(format!("containing “{q}”")),
                    ("", tag) if tag.starts_with('#') => after.push(format!("tagged {tag}")),
                    (k, v) => after.push(format!("{k} {v}")),
                }
            }
            let mut words = format!("lists {status} ");
            for b in before {
                words.push_str(&b);
                words.push(' ');
            }
            words.push_str("tasks");
            if !after.is_empty() {
                words.push(' ');
                words.push_str(&after.join(", "));
            }
            words
        }
        "complete" => format!("marks {} done", target(first)),
        "reopen" => format!("marks {} not done", target(first)),
        "delete" => format!("deletes {}", target(first)),
        "update" => {
            let changes: Vec<String> = t
                .iter()
                .skip(1)
                .map(|(k, v)| match k.as_str() {
                    "title" => format!("renames it “{v}”"),
                    "description" => format!("sets its description to “{v}”"),
                    "priority" => format!("sets its priority to {v}"),
                    "due" => format!("moves it to {}", due(v)),
                    "repeat" => format!("makes it repeat “{v}”"),
                    _ => format!("sets its {k} to {v}"),
                })
                .collect();
            format!("changes {}: {}", target(first), changes.join(", "))
        }
        "tags" => {
            let changes: Vec<String> = t
                .iter()
                .skip(1)
                .map(|(_, v)| match (v.strip_prefix('+'), v.strip_prefix('-')) {
                    (Some(tag), _) => format!("adds the tag #{tag}"),
                    (_, Some(tag)) => format!("removes the tag #{tag}"),
                    _ => v.clone(),
                })
                .collect();
            format!("on {}: {}", target(first), changes.join(", "))
        }
        "clarify" if t.is_empty() => "asks a question back".to_string(),
        "clarify" => format!("asks back: “{first}”"),
        "help" if first.trim().is_empty() => "shows what it understands".to_string(),
        "help" => format!("answers “{}” and shows what it understands", first.trim()),
        _ => format!("`{intent}`"),
    }
}

fn code(phrase: &str) -> String {
    let shown = phrase.trim();
    if shown.is_empty() {
        return "(an empty message)".into();
    }
    let shown = shown.replace('|', "\\|");
    if shown.contains('`') { format!("`` {shown} ``") } else { format!("`{shown}`") }
}

/// The generated part of docs/assistant.md.
fn generate(fixture: &str) -> String {
    let mut out = String::new();
    for s in sections(fixture) {
        let mut name = s.name.clone();
        if let Some(first) = name.get(..1) {
            name = first.to_uppercase() + &name[1..];
        }
        out.push_str(&format!("\n### {name}\n\n"));
        if !s.about.is_empty() {
            out.push_str(&format!("{}\n\n", s.about));
        }
        out.push_str("| You type | The assistant |\n|---|---|\n");
        for (phrase, intent) in &s.cases {
            out.push_str(&format!("| {} | {} |\n", code(phrase), describe(intent).replace('|', "\\|")));
        }
    }
    out
}

#[test]
fn the_assistant_doc_lists_the_phrase_fixture() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/assistant.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = doc.split_once(BEGIN).expect("docs/assistant.md has the BEGIN marker");
    let (_, tail) = rest.split_once(END).expect("docs/assistant.md has the END marker");
    let fresh = format!("{head}{BEGIN}\n{}\n{END}{tail}", generate(FIXTURE));
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    assert!(
        doc == fresh,
        "docs/assistant.md is not what crates/todo-builtin/tests/fixtures/intents.txt gives: run `UPDATE_DOCS=1 cargo test --test docs` and commit it"
    );
}

#[test]
fn every_fixture_case_is_in_the_doc_in_words() {
    let s = sections(FIXTURE);
    assert!(s.len() >= 8, "the fixture's sections: {}", s.len());
    let all: Vec<&(String, String)> = s.iter().flat_map(|s| &s.cases).collect();
    assert!(all.len() >= 50, "cases: {}", all.len());
    for (phrase, intent) in all {
        let words = describe(intent);
        assert!(!words.starts_with('`'), "{phrase:?} => {intent}: a verb the doc does not put in words");
        assert!(!words.contains("=") || words.contains('“'), "{phrase:?} => {intent}: {words}");
    }
}

#[test]
fn the_notation_reads_as_words() {
    assert_eq!(
        describe(r#"add "Call the bank" priority=urgent due=2026-06-11 #finance"#),
        "adds the task “Call the bank” (priority urgent, due 2026-06-11, tag #finance)"
    );
    assert_eq!(describe(r#"list status=pending priority=urgent"#), "lists pending urgent-priority tasks");
    assert_eq!(describe(r#"list status=all due=overdue"#), "lists all overdue tasks");
    assert_eq!(describe(r#"list status=all due=today #work"#), "lists all tasks due today, tagged #work");
    assert_eq!(describe(r#"list status=all q="groceries""#), "lists all tasks containing “groceries”");
    assert_eq!(describe(r#"update #1 title="Call mom tonight""#), "changes task 1: renames it “Call mom tonight”");
    assert_eq!(describe(r#"update #4 due=2026-06-11T09:30"#), "changes task 4: moves it to 2026-06-11 at 09:30");
    assert_eq!(describe(r#"tags #3 +work -home"#), "on task 3: adds the tag #work, removes the tag #home");
    assert_eq!(describe(r#"complete "groceries""#), "marks the task matching “groceries” done");
    assert_eq!(describe(r#"help "Hi! ""#), "answers “Hi!” and shows what it understands");
    assert_eq!(describe(r#"snooze #2 until=friday"#), "`snooze #2 until=friday`", "unknown verbs as written");
}

/// The README's screenshots are the files in docs/images/, no more, no less.
#[test]
fn the_readme_shows_exactly_the_committed_screenshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut referenced: Vec<String> = readme
        .split("docs/images/")
        .skip(1)
        .filter_map(|rest| rest.split_once(".png").map(|(name, _)| format!("{name}.png")))
        .collect();
    referenced.sort();
    referenced.dedup();
    let mut files: Vec<String> = std::fs::read_dir(root.join("docs/images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".png"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "docs/images/ has the screenshots the browser tests write");
    assert_eq!(referenced, files, "README.md's docs/images/*.png and the files in docs/images/");
}
