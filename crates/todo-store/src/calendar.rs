//! Calendar feeds: one private feed token per user, stored as its hash.

use chrono::Utc;

use crate::db::from_row_by_position;
use crate::{Arg, Store, StoreError};

struct OwnerRow {
    user_id: String,
}
from_row_by_position!(OwnerRow { user_id });

impl Store {
    /// Sets the user's feed token hash, replacing (and so revoking) any
    /// earlier one in the same statement. [`StoreError::NotFound`] if the user
    /// does not exist.
    pub async fn set_calendar_token(&self, user_id: &str, token_hash: &str) -> Result<(), StoreError> {
        let n = self
            .db
            .execute(
                "INSERT INTO calendar_feeds (user_id, token_hash, created_at) \
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
                 ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
                &[Arg::Text(user_id.into()), Arg::Text(token_hash.into()), Arg::I64(Utc::now().timestamp_millis())],
            )
            .await?;
        if n > 0 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    /// Revokes the user's feed; false if there was none.
    pub async fn revoke_calendar_token(&self, user_id: &str) -> Result<bool, StoreError> {
        let n = self.db.execute("DELETE FROM calendar_feeds WHERE user_id = $1", &[Arg::Text(user_id.into())]).await?;
        Ok(n > 0)
    }

    /// The owner of the feed whose token has this hash, if it is live.
    pub async fn calendar_owner(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        let row: Option<OwnerRow> = self
            .db
            .fetch_optional("SELECT user_id FROM calendar_feeds WHERE token_hash = $1", &[Arg::Text(token_hash.into())])
            .await?;
        Ok(row.map(|r| r.user_id))
    }
}
