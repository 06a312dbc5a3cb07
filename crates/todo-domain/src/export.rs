//! The export of an account's data (`GET /api/auth/export`) and the import of
//! such a document into an account (`POST /api/auth/import`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    CONVERSATION_TITLE_MAX_CHARS, ChatMessage, Priority, Role, Task, TaskDraft, TaskInput, ToolCallRecord, User,
    ValidationErrors,
};

/// The version of the export document this build writes and reads.
pub const EXPORT_VERSION: u32 = 1;

/// Everything of one account, as one JSON document.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountExport {
    /// The document's format, [`EXPORT_VERSION`].
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub version: u32,
    /// When it was made.
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub exported_at: DateTime<Utc>,
    /// The account (never its password hash).
    pub account: User,
    /// Every task, oldest first, with every field.
    pub tasks: Vec<Task>,
    /// Every conversation, oldest first, with its messages.
    pub conversations: Vec<ConversationExport>,
    /// The deleted tasks that can still be restored (the trash), by number.
    pub deleted_tasks: Vec<Task>,
}

/// A conversation with all its messages (and their tool calls), oldest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationExport {
    /// Its id on the exporting server.
    pub id: i64,
    /// The start of the first message.
    pub title: String,
    /// When its first message was sent.
    pub created_at: DateTime<Utc>,
    /// When its last message was added.
    pub updated_at: DateTime<Utc>,
    /// Its messages, oldest first.
    pub messages: Vec<ChatMessage>,
}

/// Body of `POST /api/auth/import`: an export document. The account, the
/// ids, numbers and timestamps of tasks are the exporting server's and are
/// not imported (tasks get new numbers in the document's order).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportDocument {
    /// Must be [`EXPORT_VERSION`].
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::export_version))]
    pub version: u32,
    /// Ignored: the data goes into the signed-in account.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub account: Option<serde_json::Value>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub exported_at: Option<serde_json::Value>,
    /// The tasks to create, in this order.
    #[serde(default)]
    pub tasks: Vec<ImportTask>,
    /// The conversations to create, in this order.
    #[serde(default)]
    pub conversations: Vec<ImportConversation>,
    /// Ignored: the exporting account's trash is not imported.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub deleted_tasks: Option<serde_json::Value>,
}

/// A task of an import: the fields of a task as the export writes them.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportTask {
    /// As in a created task.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::title))]
    pub title: String,
    /// As in a created task.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::description))]
    pub description: Option<String>,
    /// As in a created task.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// As in a created task.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::tags))]
    pub tags: Option<Vec<String>>,
    /// As in a created task.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::due_at))]
    pub due_at: Option<DateTime<Utc>>,
    /// As in a created task (not together with `due_at`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::due_date))]
    pub due_date: Option<NaiveDate>,
    /// As in a created task.
    #[serde(default)]
    pub completed: Option<bool>,
    /// As in a created task (needs a due).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::repeat))]
    pub repeat: Option<String>,
    /// Ignored (the task gets the next number of the account).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub id: Option<serde_json::Value>,
    /// Ignored.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub created_at: Option<serde_json::Value>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub updated_at: Option<serde_json::Value>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub completed_at: Option<serde_json::Value>,
}

/// A conversation of an import.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportConversation {
    /// Its title (cut to 80 characters).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::free_text))]
    pub title: String,
    /// Its messages, oldest first.
    #[serde(default)]
    pub messages: Vec<ImportMessage>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub id: Option<serde_json::Value>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub created_at: Option<serde_json::Value>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub updated_at: Option<serde_json::Value>,
}

/// A message of an imported conversation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::free_text))]
    pub content: String,
    /// The tools the assistant called before it.
    #[serde(default)]
    pub tool_calls: Vec<ToolCallRecord>,
    /// When it was written (kept); omitted: now.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Which assistant wrote it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::free_text_or_null))]
    pub assistant: Option<String>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub id: Option<serde_json::Value>,
    /// Ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub conversation_id: Option<serde_json::Value>,
}

/// A validated import: what to create, in order.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// The tasks, as validated creates.
    pub tasks: Vec<TaskDraft>,
    /// The conversations.
    pub conversations: Vec<ImportedConversation>,
}

/// A conversation to create with its messages.
#[derive(Debug, Clone)]
pub struct ImportedConversation {
    /// Its title, trimmed and cut to [`CONVERSATION_TITLE_MAX_CHARS`].
    pub title: String,
    /// Its messages, oldest first.
    pub messages: Vec<ImportMessage>,
}

impl ImportDocument {
    /// Checks the version and every task by the rules of a created task,
    /// naming each problem by its place (`tasks[2].title`).
    pub fn validate(self) -> Result<ImportPlan, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if self.version != EXPORT_VERSION {
            errors.push("version", format!("must be {EXPORT_VERSION} (the export format this server reads)"));
        }
        let mut tasks = Vec::with_capacity(self.tasks.len());
        for (i, t) in self.tasks.into_iter().enumerate() {
            let input = TaskInput {
                title: t.title,
                description: t.description,
                priority: t.priority,
                tags: t.tags,
                due_at: t.due_at,
                due_date: t.due_date,
                completed: t.completed,
                repeat: t.repeat,
            };
            match input.validate() {
                Ok(draft) => tasks.push(draft),
                Err(e) => {
                    for f in e.0 {
                        errors.push(format!("tasks[{i}].{}", f.field), f.message);
                    }
                }
            }
        }
        // Text is stored as sent, so it obeys the rules of every other text (no
        // NUL, which PostgreSQL cannot store), and a tool call's result is an
        // object, as the messages' schema says when they are read back.
        let mut conversations = Vec::with_capacity(self.conversations.len());
        for (i, c) in self.conversations.into_iter().enumerate() {
            let title = crate::text::check_text(&format!("conversations[{i}].title"), &c.title, &mut errors);
            let title: String = title.trim().chars().take(CONVERSATION_TITLE_MAX_CHARS).collect();
            let title = if title.is_empty() { "Imported conversation".to_string() } else { title };
            let mut messages = c.messages;
            for (j, m) in messages.iter_mut().enumerate() {
                let at = format!("conversations[{i}].messages[{j}]");
                m.content = crate::text::check_text(&format!("{at}.content"), &m.content, &mut errors);
                if let Some(a) = &m.assistant {
                    m.assistant = Some(crate::text::check_text(&format!("{at}.assistant"), a, &mut errors));
                }
                for (k, call) in m.tool_calls.iter().enumerate() {
                    if !call.result.is_object() {
                        errors.push(format!("{at}.tool_calls[{k}].result"), "must be an object");
                    }
                }
            }
            conversations.push(ImportedConversation { title, messages });
        }
        errors.into_result(ImportPlan { tasks, conversations })
    }
}
