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

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use todo_domain::Task;
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
    let body = ics(&tasks, Utc::now());
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "private, max-age=300")],
        body,
    ))
}

/// The iCalendar document of `tasks` (those with a due), stamped `now`.
pub fn ics(tasks: &[Task], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for line in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//todo-app//calendar feed//EN", "CALSCALE:GREGORIAN"] {
        push_line(&mut out, line);
    }
    push_line(&mut out, "X-WR-CALNAME:Tasks");
    let stamp = utc(now);
    for task in tasks.iter().filter(|t| t.due_at.is_some() || t.due_date.is_some()).take(FEED_MAX_EVENTS) {
        for line in component(task, &stamp) {
            push_line(&mut out, &line);
        }
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// The VEVENT of one task with a due, as unfolded content lines; the one place
/// that maps a task to its calendar component.
pub fn component(task: &Task, stamp: &str) -> Vec<String> {
    let mut lines = vec!["BEGIN:VEVENT".to_string()];
    lines.push(format!("UID:task-{}-{}@todo-app", task.id, task.user_id));
    lines.push(format!("DTSTAMP:{stamp}"));
    if let Some(at) = task.due_at {
        lines.push(format!("DTSTART:{}", utc(at)));
        lines.push(format!("DTEND:{}", utc(at + chrono::Duration::minutes(TIMED_EVENT_MINUTES))));
    } else if let Some(day) = task.due_date {
        lines.push(format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
        if let Some(next) = day.succ_opt() {
            lines.push(format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
        }
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
