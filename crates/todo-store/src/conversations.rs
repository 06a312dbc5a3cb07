use chrono::{DateTime, TimeZone, Utc};
use todo_domain::{ChatMessage, Conversation, Role, ToolCallRecord};

use crate::db::from_row_by_position;
use crate::{Arg, Store, StoreError};

struct ConversationRow {
    id: i64,
    title: String,
    created_at: i64,
    updated_at: i64,
}
from_row_by_position!(ConversationRow { id, title, created_at, updated_at });

struct MessageRow {
    id: i64,
    conversation_id: i64,
    role: String,
    content: String,
    tool_calls: String,
    created_at: i64,
}
from_row_by_position!(MessageRow { id, conversation_id, role, content, tool_calls, created_at });

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl From<ConversationRow> for Conversation {
    fn from(r: ConversationRow) -> Self {
        Conversation { id: r.id, title: r.title, created_at: at(r.created_at), updated_at: at(r.updated_at) }
    }
}

impl From<MessageRow> for ChatMessage {
    fn from(r: MessageRow) -> Self {
        ChatMessage {
            id: r.id,
            conversation_id: r.conversation_id,
            role: if r.role == "user" { Role::User } else { Role::Assistant },
            content: r.content,
            tool_calls: serde_json::from_str(&r.tool_calls).unwrap_or_default(),
            created_at: at(r.created_at),
        }
    }
}

const CONVERSATION_COLUMNS: &str = "id, title, created_at, updated_at";
const MESSAGE_COLUMNS: &str = "id, conversation_id, role, content, tool_calls, created_at";

impl Store {
    pub async fn create_conversation(&self, user_id: &str, title: &str) -> Result<Conversation, StoreError> {
        let now = Utc::now().timestamp_millis();
        let sql = format!(
            "INSERT INTO conversations (user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING {CONVERSATION_COLUMNS}"
        );
        let row: Option<ConversationRow> =
            self.db.fetch_optional(&sql, &[Arg::Text(user_id.into()), Arg::Text(title.into()), Arg::I64(now)]).await?;
        row.map(Conversation::from).ok_or(StoreError::Internal("insert returned no row".into()))
    }

    /// The user's conversation; another user's is [`StoreError::NotFound`].
    pub async fn get_conversation(&self, user_id: &str, id: i64) -> Result<Conversation, StoreError> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 AND user_id = $2");
        let row: Option<ConversationRow> =
            self.db.fetch_optional(&sql, &[Arg::I64(id), Arg::Text(user_id.into())]).await?;
        row.map(Conversation::from).ok_or(StoreError::NotFound)
    }

    /// Most recently active first.
    pub async fn list_conversations(
        &self,
        user_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Conversation>, StoreError> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3"
        );
        let rows: Vec<ConversationRow> = self
            .db
            .fetch_all(&sql, &[Arg::Text(user_id.into()), Arg::I64(limit.into()), Arg::I64(offset.into())])
            .await?;
        Ok(rows.into_iter().map(Conversation::from).collect())
    }

    /// Deletes a conversation; its messages go with it (ON DELETE CASCADE, with
    /// SQLite's foreign keys switched on by the store).
    pub async fn delete_conversation(&self, user_id: &str, id: i64) -> Result<(), StoreError> {
        let n = self
            .db
            .execute(
                "DELETE FROM conversations WHERE id = $1 AND user_id = $2",
                &[Arg::I64(id), Arg::Text(user_id.into())],
            )
            .await?;
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Appends a message to a conversation (which the caller has checked belongs to
    /// the user) and marks the conversation active.
    pub async fn add_message(
        &self,
        conversation_id: i64,
        role: Role,
        content: &str,
        tool_calls: &[ToolCallRecord],
    ) -> Result<ChatMessage, StoreError> {
        let now = Utc::now().timestamp_millis();
        let calls = serde_json::to_string(tool_calls).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "INSERT INTO messages (conversation_id, role, content, tool_calls, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {MESSAGE_COLUMNS}"
        );
        let args = [
            Arg::I64(conversation_id),
            Arg::Text(role.as_str().into()),
            Arg::Text(content.into()),
            Arg::Text(calls),
            Arg::I64(now),
        ];
        let row: Option<MessageRow> = self.db.fetch_optional(&sql, &args).await?;
        self.db
            .execute(
                "UPDATE conversations SET updated_at = $2 WHERE id = $1",
                &[Arg::I64(conversation_id), Arg::I64(now)],
            )
            .await?;
        row.map(ChatMessage::from).ok_or(StoreError::Internal("insert returned no row".into()))
    }

    /// The last `limit` messages of a conversation, oldest first.
    pub async fn recent_messages(&self, conversation_id: i64, limit: u32) -> Result<Vec<ChatMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM (SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2) recent ORDER BY id ASC"
        );
        let rows: Vec<MessageRow> =
            self.db.fetch_all(&sql, &[Arg::I64(conversation_id), Arg::I64(limit.into())]).await?;
        Ok(rows.into_iter().map(ChatMessage::from).collect())
    }

    /// A page of a user's conversation, oldest first.
    pub async fn list_messages(
        &self,
        user_id: &str,
        conversation_id: i64,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        self.get_conversation(user_id, conversation_id).await?;
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY id ASC LIMIT $2 OFFSET $3"
        );
        let rows: Vec<MessageRow> = self
            .db
            .fetch_all(&sql, &[Arg::I64(conversation_id), Arg::I64(limit.into()), Arg::I64(offset.into())])
            .await?;
        Ok(rows.into_iter().map(ChatMessage::from).collect())
    }
}
