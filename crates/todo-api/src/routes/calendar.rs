//! The private calendar feed: `GET /api/calendar/<token>.ics`, an iCalendar
//! (RFC 5545) document of every task of the token's owner that has a due, so
//! Google Calendar, Apple Calendar or Thunderbird can subscribe to it.
//!
//! Tasks are VEVENTs, not VTODOs: Google Calendar ignores VTODO in
//! subscriptions and Apple Calendar shows them only in Reminders, while every
//! client shows events. All-day dues are DATE values (the day of the owner's
//! calendar); timed dues are UTC instants, which every client shows in its own
//! zone and which stay right across a daylight-saving change without a
//! VTIMEZONE.
//!
//! A recurring task's event carries its rule (RRULE). A recurring timed task
//! starts at its wall-clock time in the owner's zone (`DTSTART;TZID=...`), so
//! the series keeps 09:00 across daylight-saving changes as the app does; the
//! feed then has that zone's VTIMEZONE, its transitions listed from the
//! earliest such task to [`VTIMEZONE_YEARS`] years ahead. UNTIL is a UTC time
//! for a timed task and a DATE for an all-day one (RFC 5545 3.3.10).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use jiff::tz::TimeZone;
use serde::Serialize;
use sha2::{Digest, Sha256};
use todo_domain::recurrence::Until;
use todo_domain::{Recurrence, Task};
use utoipa::ToSchema;

use super::doc::{Unauthorized, Unavailable};
use crate::error::{ApiError, ApiResult, NotFoundAs};
use crate::extract::AuthUser;
use crate::state::AppState;

/// Most events in one feed, so one feed's size stays bounded whatever the
/// task quota is.
pub const FEED_MAX_EVENTS: usize = 2000;
/// How long a timed task's event lasts in the calendar.
const TIMED_EVENT_MINUTES: i64 = 30;
/// How many years ahead of now (or of the earliest recurring timed task) the
/// feed's VTIMEZONE lists the zone's transitions; clients keep the last
/// offset after that.
pub const VTIMEZONE_YEARS: i64 = 10;

/// A newly created feed: its secret token and where it is served. The token is
/// shown only now; the server keeps just its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeed {
    /// 256 random bits, hex-encoded.
    pub token: String,
    /// The feed's path on this server: `/api/calendar/<token>.ics`.
    pub path: String,
}

fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Create the signed-in user's calendar feed, or rotate it: a new token
/// replaces the old one, whose URL answers 404 from then on.
#[utoipa::path(post, path = "/api/auth/calendar-feed", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 201, description = "The feed's new token and path (shown only now)", body = CalendarFeed),
        (status = 401, response = Unauthorized),
        (status = 404, description = "The token's account no longer exists (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn create_feed(State(state): State<AppState>, user: AuthUser) -> ApiResult<(StatusCode, Json<CalendarFeed>)> {
    let token = new_token();
    state.store.set_calendar_token(&user.user_id, &hash(&token)).await.not_found_as("user")?;
    tracing::info!(user_id = %user.user_id, "calendar feed created");
    let path = format!("/api/calendar/{token}.ics");
    Ok((StatusCode::CREATED, Json(CalendarFeed { token, path })))
}

/// Revoke the signed-in user's calendar feed: its URL answers 404 from then on.
#[utoipa::path(delete, path = "/api/auth/calendar-feed", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = Unauthorized),
        (status = 404, description = "There is no feed (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn revoke_feed(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    if state.store.revoke_calendar_token(&user.user_id).await? {
        tracing::info!(user_id = %user.user_id, "calendar feed revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("calendar feed"))
    }
}

/// The calendar feed of a token: no cookie or bearer token, the URL is the
/// secret. An unknown, rotated or revoked token answers 404.
#[utoipa::path(get, path = "/api/calendar/{file}", tag = "auth",
    params(("file" = String, Path, description = "`<token>.ics`")),
    responses(
        (status = 200, description = "The feed (`Cache-Control: private`)", body = String, content_type = "text/calendar"),
        (status = 404, description = "No such feed (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> ApiResult<impl IntoResponse> {
    let token = file.strip_suffix(".ics").filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    let Some(token) = token else { return Err(ApiError::NotFound("calendar feed")) };
    let Some(user_id) = state.store.calendar_owner(&hash(&token.to_ascii_lowercase())).await? else {
        return Err(ApiError::NotFound("calendar feed"));
    };
    let tasks = state.store.all_tasks(&user_id).await?;
    let tz = state.store.user_time_zone(&user_id).await?;
    let body = ics(&tasks, Utc::now(), &tz);
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "private, max-age=300")],
        body,
    ))
}

/// The iCalendar document of `tasks` (those with a due), stamped `now`, for
/// an owner in `tz`.
pub fn ics(tasks: &[Task], now: DateTime<Utc>, tz: &TimeZone) -> String {
    let mut out = String::new();
    for line in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//todo-app//calendar feed//EN", "CALSCALE:GREGORIAN"] {
        push_line(&mut out, line);
    }
    push_line(&mut out, "X-WR-CALNAME:Tasks");
    let stamp = utc(now);
    let dated: Vec<&Task> =
        tasks.iter().filter(|t| t.due_at.is_some() || t.due_date.is_some()).take(FEED_MAX_EVENTS).collect();
    let zone = local_zone(tz);
    let earliest_local = dated.iter().filter(|t| t.repeat.is_some()).filter_map(|t| t.due_at).min();
    if let (Some(name), Some(from)) = (zone, earliest_local) {
        let to = now.max(from) + chrono::Duration::days(366 * VTIMEZONE_YEARS);
        for line in vtimezone(name, tz, from, to) {
            push_line(&mut out, &line);
        }
    }
    for task in dated {
        for line in component(task, &stamp, tz) {
            push_line(&mut out, &line);
        }
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// The zone's name for TZID, unless it is UTC (whose instants need none).
fn local_zone(tz: &TimeZone) -> Option<&str> {
    let name = todo_domain::zone::zone_name(tz);
    let utc_like = tz.following(jiff::Timestamp::UNIX_EPOCH).next().is_none()
        && tz.to_offset(jiff::Timestamp::UNIX_EPOCH).seconds() == 0;
    (!utc_like).then_some(name)
}

/// The VEVENT of one task with a due, as unfolded content lines; the one place
/// that maps a task to its calendar component. `tz` is the owner's zone, the
/// one a recurring timed task repeats in.
pub fn component(task: &Task, stamp: &str, tz: &TimeZone) -> Vec<String> {
    let mut lines = vec!["BEGIN:VEVENT".to_string()];
    lines.push(format!("UID:task-{}-{}@todo-app", task.id, task.user_id));
    lines.push(format!("DTSTAMP:{stamp}"));
    let rule = task.repeat.as_deref().and_then(|r| Recurrence::parse(r).ok());
    if let Some(at) = task.due_at {
        match (local_zone(tz), &rule) {
            (Some(name), Some(_)) => {
                let local = |t: DateTime<Utc>| todo_domain::zone::local_datetime(t, tz).format("%Y%m%dT%H%M%S");
                lines.push(format!("DTSTART;TZID={name}:{}", local(at)));
                lines.push(format!("DTEND;TZID={name}:{}", local(at + chrono::Duration::minutes(TIMED_EVENT_MINUTES))));
            }
            _ => {
                lines.push(format!("DTSTART:{}", utc(at)));
                lines.push(format!("DTEND:{}", utc(at + chrono::Duration::minutes(TIMED_EVENT_MINUTES))));
            }
        }
    } else if let Some(day) = task.due_date {
        lines.push(format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
        if let Some(next) = day.succ_opt() {
            lines.push(format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
        }
    }
    if let Some(rule) = &rule {
        lines.push(format!("RRULE:{}", rrule(rule, task.due_at.is_some(), tz)));
    }
    let title = if task.completed { format!("✓ {}", task.title) } else { task.title.clone() };
    lines.push(format!("SUMMARY:{}", escape(&title)));
    if let Some(d) = &task.description {
        lines.push(format!("DESCRIPTION:{}", escape(d)));
    }
    if !task.tags.is_empty() {
        let tags: Vec<String> = task.tags.iter().map(|t| escape(t)).collect();
        lines.push(format!("CATEGORIES:{}", tags.join(",")));
    }
    // Events have no completed state; TRANSPARENT keeps a done task from
    // showing the owner as busy, and the summary's check mark shows it.
    lines.push(format!("TRANSP:{}", if task.completed { "TRANSPARENT" } else { "OPAQUE" }));
    lines.push(format!("LAST-MODIFIED:{}", utc(task.updated_at)));
    lines.push("END:VEVENT".into());
    lines
}

/// The rule as an RRULE value for an event that starts at a time (`timed`) or
/// on a day: UNTIL a UTC time for the one, a DATE for the other, as RFC 5545
/// requires, meaning the same last occurrence as the app's.
fn rrule(rule: &Recurrence, timed: bool, tz: &TimeZone) -> String {
    let mut rule = rule.clone();
    rule.until = match (rule.until, timed) {
        // Through the end of that day in the owner's zone.
        (Some(Until::Date(day)), true) => day
            .succ_opt()
            .map(|next| Until::At(todo_domain::zone::start_of_day(next, tz) - chrono::Duration::seconds(1))),
        (Some(Until::At(at)), false) => Some(Until::Date(todo_domain::zone::local_date(at, tz))),
        (other, _) => other,
    };
    rule.to_string()
}

/// The VTIMEZONE of `tz` (named `name`), its transitions from the one in
/// force at `from` through `to`, each as its own observance (no RRULE, so it
/// says exactly what the bundled database says).
fn vtimezone(name: &str, tz: &TimeZone, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
    let ts = |t: DateTime<Utc>| jiff::Timestamp::from_millisecond(t.timestamp_millis()).unwrap_or_default();
    let (from, to) = (ts(from), ts(to));
    let mut lines = vec!["BEGIN:VTIMEZONE".to_string(), format!("TZID:{name}")];
    let first = tz.preceding(from).next();
    let mut before = first.as_ref().and_then(|t| tz.preceding(t.timestamp()).next()).map(|t| t.offset());
    let observances = first.into_iter().chain(tz.following(from).take_while(|t| t.timestamp() <= to));
    for t in observances {
        let offset = t.offset();
        let from_offset = before.unwrap_or(offset);
        let kind = if t.dst().is_dst() { "DAYLIGHT" } else { "STANDARD" };
        // An observance's DTSTART is the local time in the offset before it.
        let onset = t.timestamp().to_zoned(TimeZone::fixed(from_offset)).datetime();
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", onset.strftime("%Y%m%dT%H%M%S")));
        lines.push(format!("TZOFFSETFROM:{}", ical_offset(from_offset)));
        lines.push(format!("TZOFFSETTO:{}", ical_offset(offset)));
        lines.push(format!("TZNAME:{}", escape(t.abbreviation())));
        lines.push(format!("END:{kind}"));
        before = Some(offset);
    }
    if before.is_none() {
        // A zone without transitions: its one offset.
        let offset = ical_offset(tz.to_offset(from));
        lines.extend([
            "BEGIN:STANDARD".to_string(),
            "DTSTART:19700101T000000".to_string(),
            format!("TZOFFSETFROM:{offset}"),
            format!("TZOFFSETTO:{offset}"),
            "END:STANDARD".to_string(),
        ]);
    }
    lines.push("END:VTIMEZONE".into());
    lines
}

/// A UTC offset as RFC 5545 writes it: `+0100`, `-0330`, `+053728`.
fn ical_offset(offset: jiff::tz::Offset) -> String {
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 { format!("{sign}{h:02}{m:02}") } else { format!("{sign}{h:02}{m:02}{s:02}") }
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping of RFC 5545 3.3.11.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets (RFC 5545 3.1), never inside a
/// UTF-8 character, ended by CRLF.
fn push_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        push_line(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{physical:?}");
        }
        assert_eq!(out.replace("\r\n ", ""), format!("SUMMARY:{}\r\n", "é".repeat(60)));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
