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

/// Contains at least one character that trimming keeps (unanchored: a search).
pub const NOT_BLANK_PATTERN: &str = r"[^\s\u0085]";

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

/// One `@`, something before it, and a domain with an inner dot, no whitespace.
pub const EMAIL_PATTERN: &str = r"^[^@\s\u0085]+@[^@\s\u0085.][^@\s\u0085]*\.[^@\s\u0085]*[^@\s\u0085.]$";

fn string(nullable: bool) -> ObjectBuilder {
    let ty: SchemaType = if nullable { [Type::String, Type::Null].into_iter().collect() } else { Type::String.into() };
    ObjectBuilder::new().schema_type(ty)
}

fn not_blank(max: usize, description: &str) -> ObjectBuilder {
    string(false).min_length(Some(1)).max_length(Some(max)).pattern(Some(NOT_BLANK_PATTERN)).description(Some(format!(
        "{description} 1-{max} characters after trimming surrounding whitespace (at least one that is not)."
    )))
}

pub fn title() -> ObjectBuilder {
    not_blank(TITLE_MAX_CHARS, "The task's title.")
}

/// Nullable: empty, blank or `null` means no description.
pub fn description() -> ObjectBuilder {
    string(true)
        .max_length(Some(DESCRIPTION_MAX_CHARS))
        .description(Some(format!("Up to {DESCRIPTION_MAX_CHARS} characters; empty, blank or null means none.")))
}

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

pub fn sign_up_email() -> ObjectBuilder {
    string(false).max_length(Some(EMAIL_MAX_CHARS)).pattern(Some(EMAIL_PATTERN)).description(Some(format!(
        "An email address like name@example.com, at most {EMAIL_MAX_CHARS} characters; trimmed and lower-cased."
    )))
}

pub fn sign_up_password() -> ObjectBuilder {
    string(false)
        .min_length(Some(PASSWORD_MIN_CHARS))
        .max_length(Some(PASSWORD_MAX_CHARS))
        .description(Some(format!("{PASSWORD_MIN_CHARS}-{PASSWORD_MAX_CHARS} characters.")))
}

pub fn name() -> ObjectBuilder {
    not_blank(NAME_MAX_CHARS, "The name shown to the user.")
}

pub fn sign_in_email() -> ObjectBuilder {
    string(false)
        .min_length(Some(1))
        .pattern(Some(NOT_BLANK_PATTERN))
        .description(Some("The account's email (case and surrounding whitespace do not matter)."))
}

pub fn sign_in_password() -> ObjectBuilder {
    string(false).min_length(Some(1))
}

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

pub fn search() -> ObjectBuilder {
    string(false).max_length(Some(SEARCH_MAX_CHARS)).description(Some(format!(
        "Case-insensitive text searched in title and description, up to {SEARCH_MAX_CHARS} characters."
    )))
}

pub fn limit() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(LIST_MAX_LIMIT))
        .default(Some(crate::LIST_DEFAULT_LIMIT.into()))
        .description(Some(format!("How many to return, 1-{LIST_MAX_LIMIT}.")))
}

pub fn offset() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(u32::MAX))
        .default(Some(0.into()))
        .description(Some("How many to skip."))
}

pub fn utc_offset() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(-crate::UTC_OFFSET_MAX_MINUTES))
        .maximum(Some(crate::UTC_OFFSET_MAX_MINUTES))
        .default(Some(0.into()))
        .description(Some(
            "The client's UTC offset in minutes (for example 60 or -300), which decides what \"today\" is.",
        ))
}

/// What the derives cannot say, set on the finished document: a partial update
/// must change something. (`#[schema(min_properties = 1)]` is written as
/// `maxProperties` by utoipa-gen 5.5.)
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, Schema};
    let Some(components) = doc.components.as_mut() else { return };
    if let Some(RefOr::T(Schema::Object(patch))) = components.schemas.get_mut("TaskPatchInput") {
        patch.min_properties = Some(1);
    }
}
