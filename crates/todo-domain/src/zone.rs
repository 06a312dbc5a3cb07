//! Users' IANA time zones and the local-calendar arithmetic every date filter,
//! badge and assistant reply shares.
//!
//! The rules come from the IANA database bundled into the binary by `jiff`
//! (ADR 0008), never from the host, so every replica and image agrees. The rest
//! of the workspace speaks chrono; the conversions happen here.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use jiff::tz::TimeZone;

use crate::ValidationErrors;

/// The zone of an account that never chose one (every account created before
/// zones existed, and clients that send none).
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// Longest zone name accepted (the longest IANA name is 32 characters).
pub const TIME_ZONE_MAX_CHARS: usize = 64;

/// The zone called `name` in the bundled database, with its canonical spelling;
/// `None` for anything the database does not have.
pub fn lookup_time_zone(name: &str) -> Option<(String, TimeZone)> {
    let name = name.trim();
    if name.is_empty() || name.len() > TIME_ZONE_MAX_CHARS {
        return None;
    }
    let tz = jiff::tz::db().get(name).ok()?;
    // The lookup ignores case; the stored name is the database's spelling.
    let canonical = tz.iana_name().unwrap_or(name).to_string();
    Some((canonical, tz))
}

/// Every zone name of the bundled database that [`lookup_time_zone`] accepts, sorted.
pub fn time_zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| lookup_time_zone(n).is_some_and(|(canonical, _)| &canonical == n))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Checks an IANA zone name under `field`; returns it in the database's spelling.
pub fn validate_time_zone(field: &str, raw: &str, errors: &mut ValidationErrors) -> String {
    match lookup_time_zone(raw) {
        Some((name, _)) => name,
        None => {
            errors.push(field, "must be an IANA time zone such as Europe/Berlin, America/Los_Angeles or UTC");
            raw.trim().to_string()
        }
    }
}

/// The zone a stored name means; UTC for a name the database no longer knows
/// (which validation never lets in).
pub fn time_zone_or_utc(name: &str) -> TimeZone {
    lookup_time_zone(name).map(|(_, tz)| tz).unwrap_or(TimeZone::UTC)
}

fn to_timestamp(t: DateTime<Utc>) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(t.timestamp_millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn to_chrono(t: jiff::Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.as_millisecond()).unwrap_or_default()
}

fn to_civil(d: NaiveDate) -> Option<jiff::civil::Date> {
    use chrono::Datelike;
    jiff::civil::Date::new(i16::try_from(d.year()).ok()?, d.month() as i8, d.day() as i8).ok()
}

fn from_civil(d: jiff::civil::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year().into(), d.month() as u32, d.day() as u32)
}

/// The wall-clock date and time of `t` in `tz`.
pub fn local_datetime(t: DateTime<Utc>, tz: &TimeZone) -> NaiveDateTime {
    let dt = tz.to_datetime(to_timestamp(t));
    let date = from_civil(dt.date()).unwrap_or_default();
    let time = NaiveTime::from_hms_opt(dt.hour() as u32, dt.minute() as u32, dt.second() as u32).unwrap_or_default();
    date.and_time(time)
}

/// The date `t` falls on in `tz`.
pub fn local_date(t: DateTime<Utc>, tz: &TimeZone) -> NaiveDate {
    local_datetime(t, tz).date()
}

/// The first instant of `date` in `tz`: local midnight, or the end of the gap
/// on the days a transition skips midnight (America/Santiago, for example).
pub fn start_of_day(date: NaiveDate, tz: &TimeZone) -> DateTime<Utc> {
    match to_civil(date).and_then(|d| d.to_zoned(tz.clone()).ok()) {
        Some(z) => to_chrono(z.timestamp()),
        None => date.and_time(NaiveTime::MIN).and_utc(),
    }
}

/// The instant a wall-clock time names in `tz`. A time skipped by a forward
/// change means the same time after the jump (02:30 on a spring-forward day is
/// 03:30); a repeated one means its first occurrence. This is RFC 5545's and
/// `Temporal`'s "compatible" rule, what calendar apps do.
pub fn local_instant(date: NaiveDate, time: NaiveTime, tz: &TimeZone) -> DateTime<Utc> {
    use chrono::Timelike;
    let civil = to_civil(date).and_then(|d| {
        let t = jiff::civil::Time::new(time.hour() as i8, time.minute() as i8, time.second() as i8, 0).ok()?;
        Some(d.to_datetime(t))
    });
    match civil.and_then(|dt| tz.to_ambiguous_zoned(dt).compatible().ok()) {
        Some(z) => to_chrono(z.timestamp()),
        None => date.and_time(time).and_utc(),
    }
}

/// The offset from UTC of `tz` at `t`, in seconds (east positive).
pub fn utc_offset_seconds(t: DateTime<Utc>, tz: &TimeZone) -> i32 {
    tz.to_offset(to_timestamp(t)).seconds()
}

/// The zone's IANA name, for messages ("UTC" for a fixed or unnamed zone).
pub fn zone_name(tz: &TimeZone) -> &str {
    tz.iana_name().unwrap_or(DEFAULT_TIME_ZONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZone {
        lookup_time_zone(name).unwrap().1
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn names_are_checked_against_the_bundled_database() {
        assert_eq!(lookup_time_zone("america/los_angeles").unwrap().0, "America/Los_Angeles");
        assert_eq!(lookup_time_zone(" UTC ").unwrap().0, "UTC");
        assert!(lookup_time_zone("Asia/Tokyo").is_some() && lookup_time_zone("Europe/Berlin").is_some());
        for bad in ["", "Mars/Olympus_Mons", "+09:00", "../../etc/passwd", &"A".repeat(65)] {
            assert!(lookup_time_zone(bad).is_none(), "{bad:?}");
        }
        let mut e = ValidationErrors::default();
        validate_time_zone("time_zone", "Nowhere/Else", &mut e);
        assert_eq!(e.0[0].field, "time_zone");
    }

    #[test]
    fn the_listed_names_are_exactly_the_accepted_canonical_ones() {
        let names = time_zone_names();
        assert!(names.len() > 300, "{}", names.len());
        for n in ["America/Los_Angeles", "Asia/Tokyo", "Europe/Berlin", "UTC"] {
            assert!(names.iter().any(|x| x == n), "{n}");
        }
        assert!(names.iter().all(|n| lookup_time_zone(n).is_some_and(|(c, _)| &c == n)));
    }

    #[test]
    fn days_around_los_angeles_daylight_saving_changes_are_23_and_25_hours() {
        let la = zone("America/Los_Angeles");
        // 2026-03-08: clocks go from 02:00 PST to 03:00 PDT.
        let spring = start_of_day(date("2026-03-08"), &la);
        assert_eq!(spring.to_rfc3339(), "2026-03-08T08:00:00+00:00");
        assert_eq!((start_of_day(date("2026-03-09"), &la) - spring).num_hours(), 23);
        // 2026-11-01: clocks go from 02:00 PDT back to 01:00 PST.
        let fall = start_of_day(date("2026-11-01"), &la);
        assert_eq!(fall.to_rfc3339(), "2026-11-01T07:00:00+00:00");
        assert_eq!((start_of_day(date("2026-11-02"), &la) - fall).num_hours(), 25);
        assert_eq!(start_of_day(date("2026-11-02"), &la).to_rfc3339(), "2026-11-02T08:00:00+00:00");
    }

    #[test]
    fn wall_clock_times_across_the_changes_follow_the_compatible_rule() {
        let la = zone("America/Los_Angeles");
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        // 17:00 on each side of the spring change is one hour apart in UTC.
        assert_eq!(local_instant(date("2026-03-07"), t(17, 0), &la).to_rfc3339(), "2026-03-08T01:00:00+00:00");
        assert_eq!(local_instant(date("2026-03-08"), t(17, 0), &la).to_rfc3339(), "2026-03-09T00:00:00+00:00");
        // 02:30 does not exist on 8 March: it is 03:30 PDT.
        assert_eq!(local_instant(date("2026-03-08"), t(2, 30), &la).to_rfc3339(), "2026-03-08T10:30:00+00:00");
        // 01:30 happens twice on 1 November: the first, PDT.
        assert_eq!(local_instant(date("2026-11-01"), t(1, 30), &la).to_rfc3339(), "2026-11-01T08:30:00+00:00");
        let berlin = zone("Europe/Berlin");
        // Berlin springs forward on 2026-03-29 and falls back on 2026-10-25.
        assert_eq!(start_of_day(date("2026-03-29"), &berlin).to_rfc3339(), "2026-03-28T23:00:00+00:00");
        assert_eq!(start_of_day(date("2026-03-30"), &berlin).to_rfc3339(), "2026-03-29T22:00:00+00:00");
        assert_eq!(start_of_day(date("2026-10-26"), &berlin).to_rfc3339(), "2026-10-25T23:00:00+00:00");
        let late = "2026-10-25T22:59:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(local_date(late, &berlin), date("2026-10-25"));
        assert_eq!(local_datetime(late, &berlin).to_string(), "2026-10-25 23:59:00");
        assert_eq!(utc_offset_seconds(late, &berlin), 3600);
    }

    #[test]
    fn local_dates_differ_by_zone_for_one_instant() {
        let t = "2026-12-01T20:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(local_date(t, &zone("Asia/Tokyo")), date("2026-12-02"));
        assert_eq!(local_date(t, &zone("America/Los_Angeles")), date("2026-12-01"));
        assert_eq!(local_date(t, &TimeZone::UTC), date("2026-12-01"));
        assert_eq!(zone_name(&zone("asia/tokyo")), "Asia/Tokyo");
    }
}
