//! What a user does to the whole account: change its password, delete it,
//! export it, import an export into it.

use chrono::Utc;
use todo_domain::{AccountExport, EXPORT_VERSION, ImportPlan};

use crate::db::from_row_by_position;
use crate::quotas;
use crate::{Arg, Quota, Store, StoreError};

struct IdRow {
    id: String,
}
from_row_by_position!(IdRow { id });

struct EmailRow {
    email: String,
}
from_row_by_position!(EmailRow { email });

/// Every statement that deletes a user's rows, children before parents and
/// the quota counters after the rows whose triggers decrement them; `$1` is
/// the user id. Then by the account's email: the sign-in throttle keys its
/// per-account rows by email (`sign-in:<address>:<email>`), and the old
/// `sign_in_failures` table by email alone.
const DELETE_BY_ID: [&str; 7] = [
    "DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE user_id = $1)",
    "DELETE FROM conversations WHERE user_id = $1",
    "DELETE FROM tasks WHERE user_id = $1",
    "DELETE FROM deleted_tasks WHERE user_id = $1",
    "DELETE FROM sessions WHERE user_id = $1",
    "DELETE FROM user_quotas WHERE user_id = $1",
    "DELETE FROM chat_turn_keys WHERE user_id = $1",
];
const DELETE_BY_EMAIL: [&str; 2] = [
    "DELETE FROM auth_throttle WHERE key LIKE 'sign-in:%' AND length(key) > length($1) + 8 \
     AND substr(key, length(key) - length($1)) = ':' || $1",
    "DELETE FROM sign_in_failures WHERE email = $1",
];

impl Store {
    /// Sets a new password hash and ends every other active session of the
    /// user in one transaction, so no session outlives the old password and
    /// the password never changes without them ending. Returns the ended
    /// sessions' ids; [`StoreError::NotFound`] if the account is gone.
    pub async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep_session: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.db.begin().await?;
        let changed = tx
            .execute(
                "UPDATE users SET password_hash = $2 WHERE id = $1",
                &[Arg::Text(user_id.into()), Arg::Text(password_hash.into())],
            )
            .await?;
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        let ended: Vec<IdRow> = tx
            .fetch_all(
                "UPDATE sessions SET revoked_at = $2 \
                 WHERE user_id = $1 AND revoked_at IS NULL AND id <> $3 RETURNING id",
                &[Arg::Text(user_id.into()), Arg::I64(Utc::now().timestamp_millis()), Arg::Text(keep_session.into())],
            )
            .await?;
        tx.commit().await?;
        Ok(ended.into_iter().map(|r| r.id).collect())
    }

    /// Deletes the account and every row of it, in every table, in one
    /// transaction. Returns the ids of its sessions (to drop from caches);
    /// [`StoreError::NotFound`] if there was no such account.
    pub async fn delete_account(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let mut tx = self.db.begin().await?;
        // A write first, so SQLite takes the write lock before the reads.
        let locked = tx.execute("UPDATE users SET name = name WHERE id = $1", &[Arg::Text(user_id.into())]).await?;
        let email: Option<EmailRow> =
            tx.fetch_optional("SELECT email FROM users WHERE id = $1", &[Arg::Text(user_id.into())]).await?;
        let Some(EmailRow { email }) = email.filter(|_| locked == 1) else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        let sessions: Vec<IdRow> =
            tx.fetch_all("SELECT id FROM sessions WHERE user_id = $1", &[Arg::Text(user_id.into())]).await?;
        let by_id = [Arg::Text(user_id.into())];
        for statement in DELETE_BY_ID {
            tx.execute(statement, &by_id).await?;
        }
        let by_email = [Arg::Text(email)];
        for statement in DELETE_BY_EMAIL {
            tx.execute(statement, &by_email).await?;
        }
        tx.execute("DELETE FROM users WHERE id = $1", &by_id).await?;
        tx.commit().await?;
        Ok(sessions.into_iter().map(|r| r.id).collect())
    }
}

/// What an import created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportCounts {
    /// Tasks created.
    pub tasks: usize,
    /// Conversations created.
    pub conversations: usize,
    /// Messages created.
    pub messages: usize,
}

impl Store {
    /// Everything of the account as one document.
    pub async fn export_account(&self, user_id: &str) -> Result<AccountExport, StoreError> {
        let account = self.get_user(user_id).await?;
        let tasks = self.all_tasks(user_id).await?;
        let conversations = self.export_conversations(user_id).await?;
        let deleted_tasks = self.trashed_tasks(user_id).await?;
        Ok(AccountExport {
            version: EXPORT_VERSION,
            exported_at: Utc::now(),
            account,
            tasks,
            conversations,
            deleted_tasks,
        })
    }

    /// Creates the plan's tasks (with the account's next numbers, in order)
    /// and conversations in one transaction: all of it, or, when a quota of
    /// the store would be exceeded, nothing ([`StoreError::QuotaExceeded`]).
    pub async fn import_account(&self, user_id: &str, plan: &ImportPlan) -> Result<ImportCounts, StoreError> {
        let q = self.quotas;
        let exceeded = |quota, limit| StoreError::QuotaExceeded {
            quota,
            limit,
            retry_after_secs: crate::COUNT_QUOTA_RETRY_AFTER_SECS,
        };
        let limit = q.messages_per_conversation;
        if limit > 0 && plan.conversations.iter().any(|c| c.messages.len() > limit as usize) {
            return Err(exceeded(Quota::MessagesPerConversation, limit));
        }
        let now = Utc::now().timestamp_millis();
        let mut tx = self.db.begin().await?;
        for draft in &plan.tasks {
            crate::tasks::insert_task(&mut tx, user_id, draft, now).await?;
        }
        for c in &plan.conversations {
            crate::conversations::import_conversation(&mut tx, user_id, c, now).await?;
        }
        // The counts the insert triggers raised, within this transaction.
        for (column, quota, limit) in [
            (quotas::Column::Tasks, Quota::Tasks, q.tasks_per_user),
            (quotas::Column::Conversations, Quota::Conversations, q.conversations_per_user),
        ] {
            if limit > 0 && quotas::count(&mut tx, user_id, column).await? > i64::from(limit) {
                tx.rollback().await?;
                return Err(exceeded(quota, limit));
            }
        }
        tx.commit().await?;
        Ok(ImportCounts {
            tasks: plan.tasks.len(),
            conversations: plan.conversations.len(),
            messages: plan.conversations.iter().map(|c| c.messages.len()).sum(),
        })
    }
}
