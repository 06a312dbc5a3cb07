//! RFC 3339 serialization of timestamps without `core::fmt`.
//!
//! A list of 100 tasks carries up to 400 timestamps, and chrono's `Display`-based
//! serializer was about 12% of the API's CPU time for that request (perf, list-100
//! benchmark). The output is byte-for-byte what chrono writes
//! (`SecondsFormat::AutoSi` with `Z`): no fraction for whole seconds, otherwise
//! 3, 6 or 9 digits. Values outside the fast path (years before 0 or after 9999)
//! go through chrono.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::Serializer;

/// Longest fast-path output: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const MAX_LEN: usize = 30;

fn two(buf: &mut [u8], at: usize, v: u32) {
    buf[at] = b'0' + (v / 10) as u8;
    buf[at + 1] = b'0' + (v % 10) as u8;
}

/// Writes `t` into `buf` and returns the length, or `None` outside the fast path.
fn write_rfc3339(t: &DateTime<Utc>, buf: &mut [u8; MAX_LEN]) -> Option<usize> {
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return None;
    }
    let year = year as u32;
    two(buf, 0, year / 100);
    two(buf, 2, year % 100);
    buf[4] = b'-';
    two(buf, 5, t.month());
    buf[7] = b'-';
    two(buf, 8, t.day());
    buf[10] = b'T';
    two(buf, 11, t.hour());
    buf[13] = b':';
    two(buf, 14, t.minute());
    buf[16] = b':';
    // A leap second is stored as nanoseconds >= 1e9 on second 59; chrono prints
    // it as second 60.
    let mut nanos = t.nanosecond();
    let mut second = t.second();
    if nanos >= 1_000_000_000 {
        second += 1;
        nanos -= 1_000_000_000;
    }
    two(buf, 17, second);
    let mut len = 19;
    if nanos != 0 {
        let (digits, value) = if nanos.is_multiple_of(1_000_000) {
            (3, nanos / 1_000_000)
        } else if nanos.is_multiple_of(1_000) {
            (6, nanos / 1_000)
        } else {
            (9, nanos)
        };
        buf[len] = b'.';
        let mut v = value;
        for i in (0..digits).rev() {
            buf[len + 1 + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        len += 1 + digits;
    }
    buf[len] = b'Z';
    Some(len + 1)
}

/// The RFC 3339 text of `t`, as chrono's `to_rfc3339_opts(AutoSi, true)` writes it.
pub fn to_rfc3339(t: &DateTime<Utc>) -> String {
    let mut buf = [0u8; MAX_LEN];
    match write_rfc3339(t, &mut buf) {
        // The buffer holds ASCII digits and separators only.
        Some(len) => String::from_utf8_lossy(&buf[..len]).into_owned(),
        None => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    }
}

/// `#[serde(serialize_with = "timestamp::serialize")]`
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; MAX_LEN];
    match write_rfc3339(t, &mut buf) {
        Some(len) => s.serialize_str(std::str::from_utf8(&buf[..len]).unwrap_or_default()),
        None => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

/// `#[serde(serialize_with = "timestamp::serialize_opt")]`
pub fn serialize_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn chrono_text(t: &DateTime<Utc>) -> String {
        serde_json::to_value(t).unwrap().as_str().unwrap().to_string()
    }

    fn ours(t: &DateTime<Utc>) -> String {
        #[derive(serde::Serialize)]
        struct W<'a>(#[serde(serialize_with = "serialize")] &'a DateTime<Utc>);
        let text = serde_json::to_value(W(t)).unwrap().as_str().unwrap().to_string();
        assert_eq!(text, to_rfc3339(t));
        text
    }

    #[test]
    fn matches_chrono_on_whole_seconds_and_every_fraction_width() {
        let base = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
        for nanos in [0, 1, 7, 999, 1_000, 450_000, 1_000_000, 500_000_000, 120_000_000, 999_999_999, 10_000] {
            let t = base + chrono::Duration::nanoseconds(nanos);
            assert_eq!(ours(&t), chrono_text(&t), "nanos {nanos}");
        }
        assert_eq!(ours(&base), "2030-01-02T03:04:05Z");
        assert_eq!(ours(&(base + chrono::Duration::milliseconds(7))), "2030-01-02T03:04:05.007Z");
    }

    #[test]
    fn matches_chrono_across_the_range_of_milliseconds_since_the_epoch() {
        // A deterministic walk over ~80 000 years of millisecond timestamps,
        // including the edges of the fast path.
        let mut ms: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00Z
        let end: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
        let mut step: i64 = 1;
        while ms <= end {
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            assert_eq!(ours(&t), chrono_text(&t), "ms {ms}");
            ms += step;
            step = step * 7 % 10_000_000_019 + 1;
        }
        for ms in [0, -1, 1, end, -62_167_219_200_000, 951_782_400_000 /* 2000-02-29 */] {
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            assert_eq!(ours(&t), chrono_text(&t), "ms {ms}");
        }
    }

    #[test]
    fn falls_back_to_chrono_outside_four_digit_years() {
        for t in [
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59).unwrap(),
        ] {
            assert_eq!(ours(&t), chrono_text(&t));
        }
    }

    #[test]
    fn leap_second_prints_as_second_60_like_chrono() {
        let leap =
            NaiveDate::from_ymd_opt(2016, 12, 31).unwrap().and_hms_milli_opt(23, 59, 59, 1_500).unwrap().and_utc();
        assert_eq!(ours(&leap), chrono_text(&leap));
    }
}
