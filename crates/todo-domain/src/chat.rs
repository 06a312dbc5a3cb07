use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ValidationErrors;

pub const CHAT_MESSAGE_MAX_CHARS: usize = 4000;
pub const CONVERSATION_TITLE_MAX_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    pub id: i64,
    /// The start of the first message.
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// A tool the assistant called during a turn, with what it returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ToolCallRecord {
    /// The provider's call id (or one we made up for the built-in assistant).
    pub id: String,
    pub tool: String,
    #[schema(value_type = Object)]
    pub arguments: serde_json::Value,
    /// The tool's result, or `{"error": "..."}`.
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChatMessage {
    pub id: i64,
    pub conversation_id: i64,
    pub role: Role,
    pub content: String,
    pub tool_calls: Vec<ToolCallRecord>,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /api/{user_id}/chat`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// Continue this conversation; omit to start a new one.
    #[serde(default)]
    #[schema(schema_with = crate::openapi::conversation_id)]
    pub conversation_id: Option<i64>,
    /// 1-4000 characters.
    #[schema(schema_with = crate::openapi::chat_message)]
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChatResponse {
    pub conversation_id: i64,
    pub response: String,
    pub tool_calls: Vec<ToolCallRecord>,
}

impl ChatRequest {
    /// The trimmed message, or the field error.
    pub fn validate(&self) -> Result<String, ValidationErrors> {
        let m = self.message.trim();
        let n = m.chars().count();
        if n == 0 {
            return Err(ValidationErrors::single("message", "must not be empty"));
        }
        if n > CHAT_MESSAGE_MAX_CHARS {
            return Err(ValidationErrors::single(
                "message",
                format!("must be at most {CHAT_MESSAGE_MAX_CHARS} characters"),
            ));
        }
        Ok(m.to_string())
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
    }

    #[test]
    fn titles_are_one_short_line() {
        assert_eq!(conversation_title("Add a task\nto buy  milk"), "Add a task to buy milk");
        let long = conversation_title(&"word ".repeat(40));
        assert_eq!(long.chars().count(), 80);
        assert!(long.ends_with('…'));
    }
}
