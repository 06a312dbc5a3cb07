//! The OpenAPI schemas of the constrained inputs, built from the same constants
//! as the validation, so the document cannot promise more or less than the
//! server accepts.
//!
//! JSON Schema cannot say "after trimming": a length here counts the characters
//! as sent, which is never more than the server counts after trimming, so every
//! value these schemas allow is accepted. Patterns are written for both regex
//! dialects clients use with JSON Schema (ECMA-262, and Python's `re` in
//! generators such as schemathesis), so they avoid `\p{..}` classes and spell out
//! what each dialect's `\s` misses: Rust's `char::is_whitespace` (what `trim`
//! removes) also covers U+0085, which ECMA-262's `\s` does not.
//!
//! Used as `#[schema(schema_with = ...)]` / `#[param(schema_with = ...)]`.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};

use crate::{
    CHAT_MESSAGE_MAX_CHARS, DESCRIPTION_MAX_CHARS, EMAIL_MAX_CHARS, LIST_MAX_LIMIT, MAX_TAGS, NAME_MAX_CHARS,
    PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, SEARCH_MAX_CHARS, TAG_MAX_CHARS, TITLE_MAX_CHARS,
};

/// The characters no text may contain ([`crate::text::is_forbidden_char`]),
/// as the inside of a regex class. Carriage returns are allowed: the server
/// turns them into line feeds before it checks.
const FORBIDDEN_CLASS: &str = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F";

/// Free text without the forbidden control characters.
pub fn text_pattern() -> String {
    format!("^[^{FORBIDDEN_CLASS}]*$")
}

/// Free text without the forbidden control characters, with at least one
/// character that shows ([`crate::text::has_visible_char`]): titles, names,
/// chat messages.
pub fn visible_text_pattern() -> &'static str {
    static PATTERN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| format!("^[^{FORBIDDEN_CLASS}]*{}[^{FORBIDDEN_CLASS}]*$", visible_class()))
}

/// A regex class of the characters of the Basic Multilingual Plane that
/// [`crate::text::has_visible_char`] counts as visible, computed from the same
/// function (and so from the same Unicode data) as ranges of `\uXXXX` escapes,
/// which ECMA-262 and Python's `re` read alike. Characters beyond the BMP
/// (emoji, for one) are left out because ECMA-262 without the `u` flag cannot
/// name them in a class: the document is stricter than the server only for a
/// text whose every visible character lies beyond the BMP.
fn visible_class() -> String {
    let mut class = String::from("[");
    let mut range: Option<(u32, u32)> = None;
    let flush = |class: &mut String, (lo, hi): (u32, u32)| {
        if lo == hi {
            class.push_str(&format!("\\u{lo:04X}"));
        } else {
            class.push_str(&format!("\\u{lo:04X}-\\u{hi:04X}"));
        }
    };
    for c in (0u32..=0xFFFF).filter_map(char::from_u32) {
        let cp = c as u32;
        if crate::text::has_visible_char(c.encode_utf8(&mut [0; 4])) {
            range = match range {
                Some((lo, hi)) if hi + 1 == cp => Some((lo, cp)),
                Some(done) => {
                    flush(&mut class, done);
                    Some((cp, cp))
                }
                None => Some((cp, cp)),
            };
        }
    }
    if let Some(done) = range {
        flush(&mut class, done);
    }
    class.push(']');
    class
}

/// A tag as sent: optional leading `#`s, then 1-32 ASCII letters, digits, `-` or
/// `_`. The server also takes other Unicode letters and digits and turns inner
/// spaces into `-`; the pattern keeps to what every client can match and what
/// lower-casing cannot lengthen.
pub fn tag_pattern() -> String {
    format!("^#*[A-Za-z0-9_-]{{1,{TAG_MAX_CHARS}}}$")
}

/// RFC 3339 date-times of the years 0001-9998: any offset keeps them within the
/// years 0000-9999 in UTC, which the server requires of a due date.
pub const DUE_AT_PATTERN: &str = r"^(?:[1-8]\d{3}|9[0-8]\d{2}|99[0-8]\d|999[0-8]|0[1-9]\d{2}|00[1-9]\d|000[1-9])-";

/// Something that trimming keeps, and no control characters.
pub const SIGN_IN_EMAIL_PATTERN: &str =
    r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\u0085\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// One `@`, something before it, and a domain with an inner dot, no whitespace
/// and no control characters.
pub const EMAIL_PATTERN: &str = r"^[^@\s\u0085\x00-\x1F\x7F-\x9F]+@[^@\s\u0085\x00-\x1F\x7F-\x9F.][^@\s\u0085\x00-\x1F\x7F-\x9F]*\.[^@\s\u0085\x00-\x1F\x7F-\x9F]*[^@\s\u0085\x00-\x1F\x7F-\x9F.]$";

fn string(nullable: bool) -> ObjectBuilder {
    let ty: SchemaType = if nullable { [Type::String, Type::Null].into_iter().collect() } else { Type::String.into() };
    ObjectBuilder::new().schema_type(ty)
}

fn not_blank(max: usize, description: &str) -> ObjectBuilder {
    string(false).min_length(Some(1)).max_length(Some(max)).pattern(Some(visible_text_pattern())).description(Some(
        format!(
            "{description} 1-{max} characters after trimming surrounding whitespace, at least one of them visible \
             (not white space, zero-width or a combining mark alone); no control characters but tab and line breaks."
        ),
    ))
}

/// A task's title.
pub fn title() -> ObjectBuilder {
    not_blank(TITLE_MAX_CHARS, "The task's title.")
}

/// Nullable: empty, blank or `null` means no description.
pub fn description() -> ObjectBuilder {
    string(true).max_length(Some(DESCRIPTION_MAX_CHARS)).pattern(Some(text_pattern())).description(Some(format!(
        "Up to {DESCRIPTION_MAX_CHARS} characters, no control characters but tab and line breaks; empty, blank or \
         null means none."
    )))
}

/// Text stored as sent (imported messages, conversation titles): no control
/// characters but tab and line breaks.
pub fn free_text() -> ObjectBuilder {
    string(false).pattern(Some(text_pattern())).description(Some("No control characters but tab and line breaks."))
}

/// [`free_text`], or `null`.
pub fn free_text_or_null() -> ObjectBuilder {
    string(true).pattern(Some(text_pattern())).description(Some("No control characters but tab and line breaks."))
}

/// One tag, as sent.
pub fn tag() -> ObjectBuilder {
    string(false).pattern(Some(tag_pattern())).description(Some(format!(
        "1-{TAG_MAX_CHARS} letters, digits, `-` or `_` (a leading `#` is dropped); stored lower-cased."
    )))
}

fn tag_list(nullable: bool) -> ArrayBuilder {
    let ty: SchemaType = if nullable { [Type::Array, Type::Null].into_iter().collect() } else { Type::Array.into() };
    ArrayBuilder::new().schema_type(ty).items(tag()).max_items(Some(MAX_TAGS)).description(Some(format!(
        "Up to {MAX_TAGS} tags; they are lower-cased, inner spaces become `-`, duplicates are dropped."
    )))
}

/// The tags of a whole task (`null` or omitted: none).
pub fn tags() -> ArrayBuilder {
    tag_list(true)
}

/// The tags of a partial update: present means replace them all.
pub fn tags_patch() -> ArrayBuilder {
    tag_list(false)
}

/// The email of a new account.
pub fn sign_up_email() -> ObjectBuilder {
    string(false).max_length(Some(EMAIL_MAX_CHARS)).pattern(Some(EMAIL_PATTERN)).description(Some(format!(
        "An email address like name@example.com, at most {EMAIL_MAX_CHARS} characters; trimmed and lower-cased."
    )))
}

/// The password of a new account.
pub fn sign_up_password() -> ObjectBuilder {
    string(false)
        .min_length(Some(PASSWORD_MIN_CHARS))
        .max_length(Some(PASSWORD_MAX_CHARS))
        .description(Some(format!("{PASSWORD_MIN_CHARS}-{PASSWORD_MAX_CHARS} characters.")))
}

/// The display name of a new account.
pub fn name() -> ObjectBuilder {
    not_blank(NAME_MAX_CHARS, "The name shown to the user.")
}

/// The email given at sign-in (any case, any surrounding whitespace).
pub fn sign_in_email() -> ObjectBuilder {
    string(false)
        .min_length(Some(1))
        .pattern(Some(SIGN_IN_EMAIL_PATTERN))
        .description(Some("The account's email (case and surrounding whitespace do not matter)."))
}

/// The password given at sign-in: anything non-empty (a wrong one is a 401, not a 422).
pub fn sign_in_password() -> ObjectBuilder {
    string(false).min_length(Some(1))
}

/// A chat message.
pub fn chat_message() -> ObjectBuilder {
    not_blank(CHAT_MESSAGE_MAX_CHARS, "What the user says.")
}

/// A positive 64-bit id (tasks, conversations).
pub fn id() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(i64::MAX))
}

/// The export format version an import accepts: exactly [`crate::export::EXPORT_VERSION`].
pub fn export_version() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(crate::export::EXPORT_VERSION))
        .maximum(Some(crate::export::EXPORT_VERSION))
        .description(Some(format!("The export format; this server reads {}.", crate::export::EXPORT_VERSION)))
}

/// The conversation a chat turn continues.
pub fn conversation_id() -> ObjectBuilder {
    id().schema_type([Type::Integer, Type::Null].into_iter().collect::<SchemaType>())
        .description(Some("Continue this conversation; omit (or null) to start a new one."))
}

/// Nullable: `null` (or omitted on a whole task) means no due date.
pub fn due_at() -> ObjectBuilder {
    string(true)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
        .pattern(Some(DUE_AT_PATTERN))
        .description(Some(
            "RFC 3339 date-time, for example `2026-12-01T17:00:00Z`; in UTC from year 0000 to 9999. Null: none.",
        ))
}

/// A task's recurrence rule: the subset [`crate::Recurrence`] reads, as
/// `NAME=VALUE` parts joined by `;` (FREQ required, each name at most once,
/// BYDAY with DAILY/WEEKLY and BYMONTHDAY with MONTHLY only). The pattern
/// covers the part syntax and FREQ; the combination rules are in the
/// description (a lookahead per rule would need a regex dialect both
/// clients read alike).
pub fn repeat() -> ObjectBuilder {
    string(true).max_length(Some(crate::recurrence::REPEAT_MAX_CHARS)).pattern(Some(REPEAT_PATTERN)).description(Some(
        "How the task repeats: an RFC 5545 recurrence rule (RRULE) without `RRULE:`, such as \
             `FREQ=WEEKLY;BYDAY=MO`, `FREQ=MONTHLY;BYMONTHDAY=15` or `FREQ=DAILY;UNTIL=20261231`. \
             Supported: FREQ=DAILY|WEEKLY|MONTHLY|YEARLY, INTERVAL=1..999, BYDAY=MO,TU,... (DAILY or WEEKLY), \
             BYMONTHDAY=1..31 or -1 (MONTHLY), UNTIL=YYYYMMDD or YYYYMMDDTHHMMSSZ. Needs `due_at` or `due_date`. \
             Null: no repeat. Completing the task creates its next occurrence.",
    ))
}

/// The rules [`repeat`] documents, as a regex: FREQ first, then the other
/// parts in the canonical order, each once (the server also takes them in
/// any order and case, with an `RRULE:` prefix).
pub const REPEAT_PATTERN: &str = concat!(
    "^FREQ=(DAILY(;INTERVAL=([1-9]|[1-9][0-9]|[1-9][0-9][0-9]))?(;BYDAY=(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*)?",
    "|WEEKLY(;INTERVAL=([1-9]|[1-9][0-9]|[1-9][0-9][0-9]))?(;BYDAY=(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*)?",
    "|MONTHLY(;INTERVAL=([1-9]|[1-9][0-9]|[1-9][0-9][0-9]))?(;BYMONTHDAY=([1-9]|[12][0-9]|3[01]|-1))?",
    "|YEARLY(;INTERVAL=([1-9]|[1-9][0-9]|[1-9][0-9][0-9]))?)",
    "(;UNTIL=[0-9]{4}((0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])(29|30)|(0[13578]|1[02])31)(T([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]Z)?)?$"
);

/// An all-day due date.
pub fn due_date() -> ObjectBuilder {
    string(true)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Date)))
        .pattern(Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
        .description(Some(
            "All-day due date `YYYY-MM-DD` (year 0000 to 9999): due during that whole day in the user's time zone. Not together with `due_at`. Null: none.",
        ))
}

/// An IANA time zone name: one of the bundled database's (the server also
/// takes them in any case).
pub fn time_zone() -> ObjectBuilder {
    string(false)
        .enum_values(Some(crate::zone::time_zone_names()))
        .description(Some("An IANA time zone name such as `Europe/Berlin`, `America/Los_Angeles` or `UTC`."))
}

/// The search text of a task list.
pub fn search() -> ObjectBuilder {
    string(false).max_length(Some(SEARCH_MAX_CHARS)).pattern(Some(text_pattern())).description(Some(format!(
        "Case-insensitive text searched in title and description, up to {SEARCH_MAX_CHARS} characters, no control \
         characters."
    )))
}

/// The page size of a list.
pub fn limit() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(LIST_MAX_LIMIT))
        .default(Some(crate::LIST_DEFAULT_LIMIT.into()))
        .description(Some(format!("How many to return, 1-{LIST_MAX_LIMIT}.")))
}

/// A keyset cursor: opaque, URL-safe, as a page's `X-Next-Cursor` gives it.
pub fn cursor() -> ObjectBuilder {
    string(false).max_length(Some(crate::CURSOR_MAX_CHARS)).pattern(Some("^[A-Za-z0-9_-]*$")).description(Some(
        "Where the page starts: the `X-Next-Cursor` header of the page before (also its `Link: rel=\"next\"`), \
             sent with the same `sort` and `order`. Opaque; a cursor the server did not make, or of another sort, is \
             refused (422). Not with `offset`.",
    ))
}

/// The number of items a list skips.
pub fn offset() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(u32::MAX))
        .default(Some(0.into()))
        .description(Some("How many to skip."))
}

/// The client's UTC offset for the due-date filters.
pub fn utc_offset() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(-crate::UTC_OFFSET_MAX_MINUTES))
        .maximum(Some(crate::UTC_OFFSET_MAX_MINUTES))
        .description(Some(
            "Deprecated: a fixed UTC offset in minutes (for example 60 or -300) that decides what \"today\" is instead of the user's time zone (the default).",
        ))
}

/// What utoipa cannot say, added to the served JSON: a task body may not
/// carry both a `due_at` and a `due_date` (either may be null or absent), and
/// a whole task with a `repeat` needs one of them.
pub fn finish_json(doc: &mut serde_json::Value) {
    for name in ["TaskInput", "TaskPatchInput", "ImportTask"] {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")).and_then(|s| s.as_object_mut()) {
            schema.insert(
                "not".into(),
                serde_json::json!({
                    "required": ["due_at", "due_date"],
                    "properties": {"due_at": {"type": "string"}, "due_date": {"type": "string"}},
                }),
            );
        }
    }
    // A whole task with a rule has a due to count from.
    for name in ["TaskInput", "ImportTask"] {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")).and_then(|s| s.as_object_mut()) {
            schema.insert(
                "anyOf".into(),
                serde_json::json!([
                    {"properties": {"repeat": {"type": "null"}}},
                    {"required": ["due_at"], "properties": {"due_at": {"type": "string"}}},
                    {"required": ["due_date"], "properties": {"due_date": {"type": "string"}}},
                ]),
            );
        }
    }
}

/// What the derives cannot say, set on the finished document: a partial update
/// must change something. (`#[schema(min_properties = 1)]` is written as
/// `maxProperties` by utoipa-gen 5.5.)
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, Schema};
    let Some(components) = doc.components.as_mut() else { return };
    for name in ["TaskPatchInput", "UserPatchInput"] {
        if let Some(RefOr::T(Schema::Object(patch))) = components.schemas.get_mut(name) {
            patch.min_properties = Some(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{has_visible_char, is_forbidden_char};

    fn regex(pattern: &str) -> regex::Regex {
        regex::Regex::new(pattern).unwrap()
    }

    /// Every rule the `repeat` pattern allows is one the server takes (the
    /// pattern is stricter: one part order, no 29 February in UNTIL).
    #[test]
    fn the_repeat_pattern_only_allows_rules_the_server_takes() {
        let re = regex(REPEAT_PATTERN);
        let mut allowed = 0;
        for freq in ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY"] {
            for interval in ["", ";INTERVAL=1", ";INTERVAL=999", ";INTERVAL=0", ";INTERVAL=1000"] {
                for by in ["", ";BYDAY=MO", ";BYDAY=SU,MO,MO", ";BYMONTHDAY=31", ";BYMONTHDAY=-1", ";BYMONTHDAY=0"] {
                    for until in
                        ["", ";UNTIL=20261231", ";UNTIL=20260230", ";UNTIL=20261231T235959Z", ";UNTIL=20261301"]
                    {
                        let rule = format!("FREQ={freq}{interval}{by}{until}");
                        if re.is_match(&rule) {
                            allowed += 1;
                            crate::Recurrence::parse(&rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
                        }
                    }
                }
            }
        }
        assert!(allowed > 50, "{allowed}");
        assert!(re.is_match("FREQ=WEEKLY;BYDAY=MO") && !re.is_match("FREQ=WEEKLY;BYMONTHDAY=1"));
    }

    /// The document's text patterns say exactly what the validation does, for
    /// every character of the BMP (beyond it the document is stricter).
    #[test]
    fn text_patterns_agree_with_the_validation_for_every_bmp_character() {
        let (free, visible) = (regex(&text_pattern()), regex(visible_text_pattern()));
        for c in (0u32..=0xFFFF).filter_map(char::from_u32) {
            let one = c.to_string();
            let allowed = !is_forbidden_char(c) || c == '\r';
            assert_eq!(free.is_match(&one), allowed, "free text {c:?}");
            assert_eq!(visible.is_match(&one), allowed && has_visible_char(&one), "visible text {c:?}");
            let in_a_title = format!("a{c}b");
            assert_eq!(visible.is_match(&in_a_title), allowed, "inside a title {c:?}");
        }
        assert!(visible.is_match("\u{200b}Milk\r\n\tand eggs"));
        assert!(!visible.is_match("\u{200b}\u{301} \u{2800}"), "nothing shows");
        assert!(!visible.is_match("Milk\u{0}"), "NUL");
        assert!(!visible.is_match("\u{1F383}"), "stricter than the server beyond the BMP");
        assert!(free.is_match("") && free.is_match("line\nbreak"));
    }

    #[test]
    fn email_patterns_refuse_control_characters() {
        let (up, sign_in) = (regex(EMAIL_PATTERN), regex(SIGN_IN_EMAIL_PATTERN));
        assert!(up.is_match("ann@example.com") && sign_in.is_match(" Ann@Example.com "));
        for bad in ["ann\u{0}@example.com", "ann@exa\u{1b}mple.com", "ann@example.com\u{85}"] {
            assert!(!up.is_match(bad) && !sign_in.is_match(bad), "{bad:?}");
        }
        assert!(!sign_in.is_match(" \t "), "blank");
    }
}
