//! What a user does to the whole account: change its password, delete it.

use chrono::Utc;

use crate::db::from_row_by_position;
use crate::{Arg, Store, StoreError};

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
const DELETE_BY_ID: [&str; 5] = [
    "DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE user_id = $1)",
    "DELETE FROM conversations WHERE user_id = $1",
    "DELETE FROM tasks WHERE user_id = $1",
    "DELETE FROM sessions WHERE user_id = $1",
    "DELETE FROM user_quotas WHERE user_id = $1",
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
