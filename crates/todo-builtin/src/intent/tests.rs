//! Parser tests.

use super::priority::{find_priority, priority_exact};
use super::target::parse_target;
use super::*;
use crate::dates::Due;

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
