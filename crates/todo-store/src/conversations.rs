use chrono::{DateTime, TimeZone, Utc};
use todo_domain::{ChatMessage, Conversation, ConversationExport, ImportedConversation, Role, ToolCallRecord};

use crate::db::{Tx, from_row_by_position};
use crate::quotas;
use crate::{Arg, COUNT_QUOTA_RETRY_AFTER_SECS, Quota, Store, StoreError};

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
    assistant: Option<String>,
}
from_row_by_position!(MessageRow { id, conversation_id, role, content, tool_calls, created_at, assistant });

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
            assistant: r.assistant,
        }
    }
}

const CONVERSATION_COLUMNS: &str = "id, title, created_at, updated_at";
const MESSAGE_COLUMNS: &str = "id, conversation_id, role, content, tool_calls, created_at, assistant";

/// A chat turn begun by [`Store::begin_turn`].
#[derive(Debug, Clone)]
pub struct TurnStart {
    /// The conversation the turn belongs to (just created when none was given).
    pub conversation: Conversation,
    /// The messages before the user's new one, oldest first.
    pub history: Vec<ChatMessage>,
}

async fn insert_message(
    tx: &mut Tx,
    conversation_id: i64,
    role: Role,
    content: &str,
    tool_calls: &[ToolCallRecord],
    assistant: Option<&str>,
    now: i64,
) -> Result<ChatMessage, StoreError> {
    let calls = serde_json::to_string(tool_calls).unwrap_or_else(|_| "[]".into());
    let sql = format!(
        "INSERT INTO messages (conversation_id, role, content, tool_calls, created_at, assistant) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {MESSAGE_COLUMNS}"
    );
    let args = [
        Arg::I64(conversation_id),
        Arg::Text(role.as_str().into()),
        Arg::Text(content.into()),
        Arg::Text(calls),
        Arg::I64(now),
        Arg::OptText(assistant.map(str::to_string)),
    ];
    let row: Option<MessageRow> = tx.fetch_optional(&sql, &args).await?;
    row.map(ChatMessage::from).ok_or(StoreError::Internal("insert returned no row".into()))
}

impl Store {
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
        // The user's quota row first, as a chat turn takes it before the
        // conversation's: in the other order the two could deadlock on
        // PostgreSQL (the delete trigger updates the quota row).
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE user_quotas SET conversations = conversations WHERE user_id = $1",
            &[Arg::Text(user_id.into())],
        )
        .await?;
        let n = tx
            .execute(
                "DELETE FROM conversations WHERE id = $1 AND user_id = $2",
                &[Arg::I64(id), Arg::Text(user_id.into())],
            )
            .await?;
        tx.commit().await?;
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Starts a chat turn in one transaction: counts it in the user's chat-turn
    /// window, opens the conversation (`conversation_id`, which must be the
    /// user's) or starts one titled `title`, reserves room for the message and
    /// the reply, reads the last `history` messages and stores the user's
    /// `message`. Each limit of the store's [`crate::Quotas`] reached is
    /// [`StoreError::QuotaExceeded`], with nothing written.
    pub async fn begin_turn(
        &self,
        user_id: &str,
        conversation_id: Option<i64>,
        title: &str,
        message: &str,
        history: u32,
    ) -> Result<TurnStart, StoreError> {
        let q = self.quotas;
        let now = Utc::now().timestamp_millis();
        let mut tx = self.db.begin().await?;
        if let Err(retry_after_secs) = quotas::count_chat_turn(&mut tx, user_id, q.chat_turns_per_minute, now).await? {
            tx.rollback().await?;
            let limit = q.chat_turns_per_minute;
            return Err(StoreError::QuotaExceeded { quota: Quota::ChatTurnsPerMinute, limit, retry_after_secs });
        }
        let conversation = match conversation_id {
            Some(id) => match Self::reserve_turn(&mut tx, user_id, id, q.messages_per_conversation, now).await? {
                Ok(c) => c,
                Err(e) => {
                    tx.rollback().await?;
                    return Err(e);
                }
            },
            None => {
                let limit = q.conversations_per_user;
                if !quotas::hold_below(&mut tx, user_id, quotas::Column::Conversations, limit).await? {
                    tx.rollback().await?;
                    return Err(StoreError::QuotaExceeded {
                        quota: Quota::Conversations,
                        limit,
                        retry_after_secs: COUNT_QUOTA_RETRY_AFTER_SECS,
                    });
                }
                let sql = format!(
                    "INSERT INTO conversations (user_id, title, created_at, updated_at, message_count) \
                     VALUES ($1, $2, $3, $3, 2) RETURNING {CONVERSATION_COLUMNS}"
                );
                let args = [Arg::Text(user_id.into()), Arg::Text(title.into()), Arg::I64(now)];
                let row: Option<ConversationRow> = tx.fetch_optional(&sql, &args).await?;
                row.map(Conversation::from).ok_or(StoreError::Internal("insert returned no row".into()))?
            }
        };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM (SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2) recent ORDER BY id ASC"
        );
        let rows: Vec<MessageRow> = tx.fetch_all(&sql, &[Arg::I64(conversation.id), Arg::I64(history.into())]).await?;
        insert_message(&mut tx, conversation.id, Role::User, message, &[], None, now).await?;
        tx.commit().await?;
        Ok(TurnStart { conversation, history: rows.into_iter().map(ChatMessage::from).collect() })
    }

    /// Counts a turn's two messages in the user's conversation `id`, if they fit.
    async fn reserve_turn(
        tx: &mut Tx,
        user_id: &str,
        id: i64,
        limit: u32,
        now: i64,
    ) -> Result<Result<Conversation, StoreError>, StoreError> {
        let sql = format!(
            "UPDATE conversations SET message_count = message_count + 2, updated_at = $3 \
             WHERE id = $1 AND user_id = $2 AND ($4 = 0 OR message_count + 2 <= $4) RETURNING {CONVERSATION_COLUMNS}"
        );
        let args = [Arg::I64(id), Arg::Text(user_id.into()), Arg::I64(now), Arg::I64(limit.into())];
        let row: Option<ConversationRow> = tx.fetch_optional(&sql, &args).await?;
        if let Some(row) = row {
            return Ok(Ok(row.into()));
        }
        let exists: Vec<ConversationRow> = tx
            .fetch_all(
                &format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 AND user_id = $2"),
                &[Arg::I64(id), Arg::Text(user_id.into())],
            )
            .await?;
        Ok(Err(if exists.is_empty() {
            StoreError::NotFound
        } else {
            StoreError::QuotaExceeded {
                quota: Quota::MessagesPerConversation,
                limit,
                retry_after_secs: COUNT_QUOTA_RETRY_AFTER_SECS,
            }
        }))
    }

    /// Appends a message to a conversation (which the caller has checked belongs
    /// to the user) and marks the conversation active. Not counted against the
    /// message limit: it is for the reply, whose room [`Store::begin_turn`]
    /// reserved.
    pub async fn add_message(
        &self,
        conversation_id: i64,
        role: Role,
        content: &str,
        tool_calls: &[ToolCallRecord],
        assistant: Option<&str>,
    ) -> Result<ChatMessage, StoreError> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.db.begin().await?;
        let message = insert_message(&mut tx, conversation_id, role, content, tool_calls, assistant, now).await?;
        tx.execute(
            "UPDATE conversations SET updated_at = $2 WHERE id = $1",
            &[Arg::I64(conversation_id), Arg::I64(now)],
        )
        .await?;
        tx.commit().await?;
        Ok(message)
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

impl Store {
    /// Every conversation of the user with all its messages, oldest first
    /// (for the export).
    pub async fn export_conversations(&self, user_id: &str) -> Result<Vec<ConversationExport>, StoreError> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE user_id = $1 ORDER BY id");
        let conversations: Vec<ConversationRow> = self.db.fetch_all(&sql, &[Arg::Text(user_id.into())]).await?;
        let sql = format!(
            "SELECT m.{} FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE c.user_id = $1 ORDER BY m.id",
            MESSAGE_COLUMNS.replace(", ", ", m.")
        );
        let messages: Vec<MessageRow> = self.db.fetch_all(&sql, &[Arg::Text(user_id.into())]).await?;
        let mut by_conversation: std::collections::HashMap<i64, Vec<ChatMessage>> = std::collections::HashMap::new();
        for m in messages {
            by_conversation.entry(m.conversation_id).or_default().push(m.into());
        }
        Ok(conversations
            .into_iter()
            .map(|r| ConversationExport {
                id: r.id,
                title: r.title,
                created_at: at(r.created_at),
                updated_at: at(r.updated_at),
                messages: by_conversation.remove(&r.id).unwrap_or_default(),
            })
            .collect())
    }
}

/// Creates a conversation with its messages in the caller's transaction
/// (which checks the quotas before it commits).
pub(crate) async fn import_conversation(
    tx: &mut Tx,
    user_id: &str,
    conversation: &ImportedConversation,
    now: i64,
) -> Result<(), StoreError> {
    let first = conversation.messages.iter().filter_map(|m| m.created_at).map(|t| t.timestamp_millis()).min();
    let last = conversation.messages.iter().filter_map(|m| m.created_at).map(|t| t.timestamp_millis()).max();
    let count = i64::try_from(conversation.messages.len()).unwrap_or(i64::MAX);
    let row: Option<ConversationRow> = tx
        .fetch_optional(
            &format!(
                "INSERT INTO conversations (user_id, title, created_at, updated_at, message_count) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING {CONVERSATION_COLUMNS}"
            ),
            &[
                Arg::Text(user_id.into()),
                Arg::Text(conversation.title.clone()),
                Arg::I64(first.unwrap_or(now)),
                Arg::I64(last.unwrap_or(now)),
                Arg::I64(count),
            ],
        )
        .await?;
    let id = row.map(|r| r.id).ok_or(StoreError::Internal("insert returned no row".into()))?;
    for m in &conversation.messages {
        let when = m.created_at.map(|t| t.timestamp_millis()).unwrap_or(now);
        insert_message(tx, id, m.role, &m.content, &m.tool_calls, m.assistant.as_deref(), when).await?;
    }
    Ok(())
}
