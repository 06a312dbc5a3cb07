use chrono::{DateTime, Utc};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::ValidationErrors;
use crate::text::{clean_text, has_visible_char};

/// Longest chat message a user may send, in characters.
pub const CHAT_MESSAGE_MAX_CHARS: usize = 4000;
/// Longest conversation title, in characters: the start of its first message.
pub const CONVERSATION_TITLE_MAX_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
/// A conversation with the assistant, without its messages.
pub struct Conversation {
    /// Its id, unique across all users.
    pub id: i64,
    /// The start of the first message.
    pub title: String,
    /// When its first message was sent.
    pub created_at: DateTime<Utc>,
    /// When its last message was added.
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
/// Who wrote a message.
pub enum Role {
    /// The person using the app.
    User,
    /// The assistant (a model or the built-in interpreter).
    Assistant,
}

impl Role {
    /// The name stored in the database and sent to model providers.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// A tool the assistant called during a turn, with what it returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallRecord {
    /// The provider's call id (or one we made up for the built-in assistant).
    pub id: String,
    /// The tool's name, such as `add_task`.
    pub tool: String,
    /// What the model passed: usually an object, or the raw text when it was not
    /// valid JSON (the result then says so).
    pub arguments: serde_json::Value,
    /// The tool's result, or `{"error": "..."}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub result: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
/// One message of a conversation.
pub struct ChatMessage {
    /// Its id, increasing in the order messages were written.
    pub id: i64,
    /// The conversation it belongs to.
    pub conversation_id: i64,
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: String,
    /// The tools the assistant called before this reply (empty for the user's messages).
    pub tool_calls: Vec<ToolCallRecord>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Which assistant wrote this reply: `builtin` (the built-in interpreter) or the
    /// model provider's name (e.g. `openai`); null for the user's messages and for
    /// notes no assistant wrote (a provider that failed).
    #[serde(default)]
    pub assistant: Option<String>,
}

/// Body of `POST /api/{user_id}/chat`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// Continue this conversation; omit to start a new one.
    #[serde(default, deserialize_with = "json_integer")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::conversation_id))]
    pub conversation_id: Option<i64>,
    /// 1-4000 characters.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::chat_message))]
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
/// The answer to one chat turn.
pub struct ChatResponse {
    /// The conversation the turn belongs to (new when none was given).
    pub conversation_id: i64,
    /// The assistant's reply.
    pub response: String,
    /// The tools it called, in order, with their results.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Which assistant answered: `builtin` (the built-in interpreter, also when it
    /// stood in for a provider that failed) or the model provider's name.
    #[serde(default)]
    pub assistant: String,
}

/// An optional `i64` sent as any JSON integer, `3.0` included: JSON Schema, and
/// so the OpenAPI document, counts a number with a zero fraction as an integer.
fn json_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct Integer;
    impl<'de> Visitor<'de> for Integer {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a 64-bit integer")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v).map(Some).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // [-2^63, 2^63): every such f64 with no fraction is an exact i64.
            if v.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
                Ok(Some(v as i64))
            } else {
                Err(E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_option(Integer)
}

/// Longest idempotency key of a chat turn.
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 200;

/// Checks an idempotency key: 1-200 visible ASCII characters.
pub fn validate_idempotency_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > IDEMPOTENCY_KEY_MAX_CHARS || !key.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
        return Err(format!("must be 1-{IDEMPOTENCY_KEY_MAX_CHARS} visible ASCII characters"));
    }
    Ok(())
}

impl ChatRequest {
    /// The trimmed message, or the field error.
    pub fn validate(&self) -> Result<String, ValidationErrors> {
        let m = clean_text(self.message.trim()).map_err(|msg| ValidationErrors::single("message", msg))?;
        let n = m.chars().count();
        if n == 0 || !has_visible_char(&m) {
            return Err(ValidationErrors::single("message", "must not be empty"));
        }
        if n > CHAT_MESSAGE_MAX_CHARS {
            return Err(ValidationErrors::single(
                "message",
                format!("must be at most {CHAT_MESSAGE_MAX_CHARS} characters"),
            ));
        }
        Ok(m)
    }
}

/// A conversation title from its first message.
pub fn conversation_title(first_message: &str) -> String {
    let one_line = first_message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= CONVERSATION_TITLE_MAX_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(CONVERSATION_TITLE_MAX_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_message_is_trimmed_and_bounded() {
        let r = |m: &str| ChatRequest { conversation_id: None, message: m.into() }.validate();
        assert_eq!(r("  hi ").unwrap(), "hi");
        assert!(r("   ").is_err());
        assert!(r(&"x".repeat(4001)).is_err());
        assert!(r(&"x".repeat(4000)).is_ok());
        assert!(r("hi\0").unwrap_err().summary().contains("U+0000"));
        assert!(r("\u{7}").is_err());
        assert!(r("\u{200b}\u{feff}").is_err());
        assert_eq!(r("line one\r\nline two\tend").unwrap(), "line one\nline two\tend");
    }

    #[test]
    fn conversation_id_is_any_json_integer() {
        let id = |json: &str| serde_json::from_str::<ChatRequest>(json).map(|r| r.conversation_id);
        assert_eq!(id(r#"{"message": "m"}"#).unwrap(), None);
        assert_eq!(id(r#"{"message": "m", "conversation_id": null}"#).unwrap(), None);
        assert_eq!(id(r#"{"message": "m", "conversation_id": 7}"#).unwrap(), Some(7));
        assert_eq!(id(r#"{"message": "m", "conversation_id": 7.0}"#).unwrap(), Some(7));
        assert_eq!(id(r#"{"message": "m", "conversation_id": -9223372036854775808}"#).unwrap(), Some(i64::MIN));
        assert_eq!(id(r#"{"message": "m", "conversation_id": 9223372036854775807}"#).unwrap(), Some(i64::MAX));
        for bad in ["7.5", "9223372036854775808", "9.3e18", "-1e19", "\"7\"", "true", "[7]"] {
            assert!(id(&format!(r#"{{"message": "m", "conversation_id": {bad}}}"#)).is_err(), "{bad}");
        }
    }

    #[test]
    fn titles_are_one_short_line() {
        assert_eq!(conversation_title("Add a task\nto buy  milk"), "Add a task to buy milk");
        let long = conversation_title(&"word ".repeat(40));
        assert_eq!(long.chars().count(), 80);
        assert!(long.ends_with('…'));
    }
}
