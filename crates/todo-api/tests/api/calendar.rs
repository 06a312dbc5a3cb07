//! The private calendar feed, on SQLite and PostgreSQL: created, rotated and
//! revoked by API (an old URL answers 404), served without a token, only the
//! owner's tasks with a due, all-day and timed (UTC instants, right across a
//! daylight-saving change); recurring tasks' RRULEs expanded by a real
//! iCalendar reader (Python's icalendar + recurring-ical-events) exactly as
//! the app expands them, across Europe/Berlin's change to summer time.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestApp, User, expect_problem};

on_both_databases!(
    a_feed_is_created_rotated_and_revoked,
    a_feed_shows_its_owners_dated_tasks_only,
    recurring_tasks_expand_in_a_real_icalendar_reader_as_the_app_expands_them,
);

async fn create_feed(app: &TestApp, user: &User) -> String {
    let res = app.as_user(Method::POST, user, "/api/auth/calendar-feed").send().await.unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    let token = v["token"].as_str().unwrap();
    assert_eq!(token.len(), 64, "256 bits, hex");
    assert_eq!(v["path"], format!("/api/calendar/{token}.ics"));
    v["path"].as_str().unwrap().to_string()
}

/// The feed's body, fetched with no credentials at all.
async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.req(Method::GET, path).send().await.unwrap()
}

async fn a_feed_is_created_rotated_and_revoked(app: TestApp) {
    let user = app.sign_up("feed@example.com").await;
    // No feed yet: nothing to revoke, and a made-up token is not found.
    let res = app.as_user(Method::DELETE, &user, "/api/auth/calendar-feed").send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
    expect_problem(fetch(&app, &format!("/api/calendar/{}.ics", "a".repeat(64))).await, 404, "not_found").await;
    expect_problem(fetch(&app, "/api/calendar/short.ics").await, 404, "not_found").await;
    // Creating needs a signed-in user.
    let res = app.req(Method::POST, "/api/auth/calendar-feed").send().await.unwrap();
    expect_problem(res, 401, "unauthorized").await;

    let first = create_feed(&app, &user).await;
    let res = fetch(&app, &first).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/calendar; charset=utf-8");
    assert!(res.headers()["cache-control"].to_str().unwrap().starts_with("private"));
    assert!(res.text().await.unwrap().starts_with("BEGIN:VCALENDAR\r\n"));

    // Rotating: the new URL works, the old one is gone.
    let second = create_feed(&app, &user).await;
    assert_ne!(first, second);
    expect_problem(fetch(&app, &first).await, 404, "not_found").await;
    assert_eq!(fetch(&app, &second).await.status(), 200);

    // Revoking: gone too.
    let res = app.as_user(Method::DELETE, &user, "/api/auth/calendar-feed").send().await.unwrap();
    assert_eq!(res.status(), 204);
    expect_problem(fetch(&app, &second).await, 404, "not_found").await;
}

/// The physical lines unfolded into content lines.
fn content_lines(body: &str) -> Vec<String> {
    body.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect()
}

async fn a_feed_shows_its_owners_dated_tasks_only(app: TestApp) {
    let owner = app.sign_up("owner@example.com").await;
    let other = app.sign_up("other@example.com").await;
    // Either side of Europe/Berlin's change to summer time (2027-03-28 01:00 UTC).
    app.create_task(&owner, json!({"title": "Before the change, 09:00 CET", "due_at": "2027-03-27T08:00:00Z"})).await;
    app.create_task(&owner, json!({"title": "After the change, 09:00 CEST", "due_at": "2027-03-29T07:00:00Z"})).await;
    let done = app
        .create_task(&owner, json!({"title": "All day; with, commas", "due_date": "2027-03-28", "tags": ["home"]}))
        .await;
    let res = app
        .as_user(Method::PATCH, &owner, &format!("/api/{{me}}/tasks/{}", done["id"]))
        .json(&json!({"completed": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.create_task(&owner, json!({"title": "No due"})).await;
    app.create_task(&other, json!({"title": "Someone else's", "due_date": "2027-03-28"})).await;

    let owner_feed = create_feed(&app, &owner).await;
    let other_feed = create_feed(&app, &other).await;
    let body = fetch(&app, &owner_feed).await.text().await.unwrap();
    for physical in body.split("\r\n") {
        assert!(physical.len() <= 75, "folded: {physical:?}");
    }
    let lines = content_lines(&body);
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 3, "{body}");
    assert!(has("DTSTART:20270327T080000Z"), "{body}");
    assert!(has("DTSTART:20270329T070000Z"), "{body}");
    assert!(has("DTSTART;VALUE=DATE:20270328") && has("DTEND;VALUE=DATE:20270329"), "{body}");
    assert!(has("SUMMARY:✓ All day\\; with\\, commas") && has("TRANSP:TRANSPARENT"), "{body}");
    assert!(has("CATEGORIES:home"));
    assert!(!body.contains("No due") && !body.contains("Someone else"), "{body}");

    let body = fetch(&app, &other_feed).await.text().await.unwrap();
    assert!(body.contains("Someone else's") && !body.contains("Before the change"), "{body}");
}

/// Parses the feed with icalendar and expands it with recurring-ical-events
/// over [2027-03-01, 2027-06-01) in Europe/Berlin; prints `{uid: [start, ...]}`,
/// timed starts as UTC `YYYY-MM-DDTHH:MM:SSZ`, all-day ones as `YYYY-MM-DD`.
const EXPAND: &str = r#"
import datetime, json, sys, zoneinfo
import icalendar, recurring_ical_events
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
events = list(cal.walk("VEVENT"))
assert events, "no VEVENT"
for e in events:
    assert e.get("UID") and e.get("DTSTART") is not None, e
    e.decoded("DTSTART")
berlin = zoneinfo.ZoneInfo("Europe/Berlin")
# The feed's own VTIMEZONE says what the zone database says, for 10 years.
vtz = [c for c in cal.walk("VTIMEZONE") if str(c["TZID"]) == "Europe/Berlin"]
assert len(vtz) == 1, "one VTIMEZONE for the TZID"
own = vtz[0].to_tz(lookup_tzid=False)
t = datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc)
while t.year < 2036:
    assert t.astimezone(own).utcoffset() == t.astimezone(berlin).utcoffset(), t
    t += datetime.timedelta(hours=6)
start = datetime.datetime(2027, 3, 1, tzinfo=berlin)
end = datetime.datetime(2027, 6, 1, tzinfo=berlin)
out = {}
for e in recurring_ical_events.of(cal).between(start, end):
    s = e.decoded("DTSTART")
    if isinstance(s, datetime.datetime):
        s = s.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        s = s.isoformat()
    out.setdefault(str(e["UID"]), []).append(s)
print(json.dumps({k: sorted(v) for k, v in out.items()}))
"#;

async fn recurring_tasks_expand_in_a_real_icalendar_reader_as_the_app_expands_them(app: TestApp) {
    use chrono::{DateTime, NaiveDate, Utc};
    use todo_domain::{Due, Recurrence};
    let python = std::env::var("TODO_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("TODO_TEST_PYTHON is not set: run ./scripts/test.sh, which creates the test venv (scripts/lib/python-venv.sh)")
    });
    let body = json!({"email": "feed-rrule@example.com", "password": "correct horse", "name": "B", "time_zone": "Europe/Berlin"});
    let v: Value = app.req(Method::POST, "/api/auth/sign-up").json(&body).send().await.unwrap().json().await.unwrap();
    let user = User {
        id: v["user"]["id"].as_str().unwrap().into(),
        email: "feed-rrule@example.com".into(),
        token: v["token"].as_str().unwrap().into(),
    };
    // Summer time starts in Berlin on 2027-03-28.
    let tasks = [
        json!({"title": "Standup", "due_at": "2027-03-15T08:00:00Z", "repeat": "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270419"}),
        json!({"title": "Weekdays", "due_at": "2027-03-24T17:30:00Z", "repeat": "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"}),
        json!({"title": "Fortnightly", "due_at": "2027-03-10T06:15:00Z", "repeat": "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270505T041500Z"}),
        json!({"title": "Rent", "due_date": "2027-03-31", "repeat": "FREQ=MONTHLY;BYMONTHDAY=31"}),
        json!({"title": "Last day", "due_date": "2027-03-31", "repeat": "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20270501T120000Z"}),
        json!({"title": "Daily", "due_date": "2027-03-26", "repeat": "FREQ=DAILY;INTERVAL=3;UNTIL=20270410"}),
        json!({"title": "Yearly", "due_date": "2027-04-01", "repeat": "FREQ=YEARLY"}),
        json!({"title": "Once", "due_at": "2027-03-29T07:00:00Z"}),
    ];
    let mut created = Vec::new();
    for t in tasks {
        created.push(app.create_task(&user, t).await);
    }
    let feed = create_feed(&app, &user).await;
    let text = fetch(&app, &feed).await.text().await.unwrap();
    let lines = content_lines(&text);
    assert!(lines.iter().any(|l| l == "DTSTART;TZID=Europe/Berlin:20270315T090000"), "{text}");
    assert!(lines.iter().any(|l| l == "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270419T215959Z"), "UNTIL in UTC: {text}");
    assert!(lines.iter().any(|l| l == "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20270501"), "UNTIL a DATE: {text}");
    assert!(lines.iter().any(|l| l == "DTSTART:20270329T070000Z"), "a one-off stays UTC: {text}");

    let dir = crate::common::temp_dir("feed-rrule");
    let file = dir.join("feed.ics");
    std::fs::write(&file, &text).unwrap();
    let out = std::process::Command::new(&python).arg("-c").arg(EXPAND).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expanded: std::collections::BTreeMap<String, Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();

    let tz = todo_domain::lookup_time_zone("Europe/Berlin").unwrap().1;
    let end = todo_domain::zone::start_of_day(NaiveDate::from_ymd_opt(2027, 6, 1).unwrap(), &tz)
        - chrono::Duration::seconds(1);
    for t in &created {
        let uid = format!("task-{}-{}@todo-app", t["id"], user.id);
        let got = expanded.get(&uid).cloned().unwrap_or_default();
        let want: Vec<String> = match t["repeat"].as_str() {
            None => vec![t["due_at"].as_str().unwrap().to_string()],
            Some(rule) => {
                let rule = Recurrence::parse(rule).unwrap();
                let (start, until) = match t["due_at"].as_str() {
                    Some(at) => (Due::At(at.parse::<DateTime<Utc>>().unwrap()), Due::At(end)),
                    None => (
                        Due::Date(t["due_date"].as_str().unwrap().parse().unwrap()),
                        Due::Date(NaiveDate::from_ymd_opt(2027, 5, 31).unwrap()),
                    ),
                };
                rule.occurrences(start, until, 500, &tz)
                    .into_iter()
                    .map(|d| match d {
                        Due::At(at) => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        Due::Date(day) => day.to_string(),
                    })
                    .collect()
            }
        };
        assert!(want.len() > 1 || t["repeat"].is_null() || t["title"] == "Yearly", "{t}: {want:?}");
        assert_eq!(got, want, "{}: the reader and the app disagree", t["title"]);
    }
    std::fs::remove_dir_all(dir).ok();
}
