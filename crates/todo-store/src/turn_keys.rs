//! Idempotency keys of chat turns, in the database so that a retry reaching any
//! replica finds them; claimed by one statement so that two requests with the
//! same key at once run the turn once.

use chrono::{Duration, Utc};

use crate::db::from_row_by_position;
use crate::{Arg, Store, StoreError};

/// What [`Store::claim_turn_key`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnClaim {
    /// The key is this request's: run the turn, then [`Store::finish_turn_key`].
    Claimed,
    /// Another request with this key is running its turn.
    Running,
    /// The turn ran: the HTTP status and JSON body its request was given.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The JSON body.
        answer: String,
    },
}

struct KeyRow {
    status: Option<i64>,
    answer: Option<String>,
}
from_row_by_position!(KeyRow { status, answer });

impl Store {
    /// Claims `key` for a turn of `user_id`. A claim left unanswered for longer
    /// than `stale` (its replica died mid-turn) is taken over; answered keys
    /// older than `keep` are forgotten on the way.
    pub async fn claim_turn_key(
        &self,
        user_id: &str,
        key: &str,
        stale: Duration,
        keep: Duration,
    ) -> Result<TurnClaim, StoreError> {
        let now = Utc::now().timestamp_millis();
        self.db
            .execute(
                "DELETE FROM chat_turn_keys WHERE claimed_at < $1",
                &[Arg::I64(now - keep.num_milliseconds().max(stale.num_milliseconds()))],
            )
            .await?;
        let args = [Arg::Text(user_id.into()), Arg::Text(key.into()), Arg::I64(now)];
        let inserted = self
            .db
            .execute(
                "INSERT INTO chat_turn_keys (user_id, idem_key, claimed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, idem_key) DO NOTHING",
                &args,
            )
            .await?;
        if inserted == 1 {
            return Ok(TurnClaim::Claimed);
        }
        let taken_over = self
            .db
            .execute(
                "UPDATE chat_turn_keys SET claimed_at = $3 \
                 WHERE user_id = $1 AND idem_key = $2 AND answer IS NULL AND claimed_at < $4",
                &[
                    Arg::Text(user_id.into()),
                    Arg::Text(key.into()),
                    Arg::I64(now),
                    Arg::I64(now - stale.num_milliseconds()),
                ],
            )
            .await?;
        if taken_over == 1 {
            return Ok(TurnClaim::Claimed);
        }
        let row: Option<KeyRow> = self
            .db
            .fetch_optional(
                "SELECT status, answer FROM chat_turn_keys WHERE user_id = $1 AND idem_key = $2",
                &args[..2],
            )
            .await?;
        Ok(match row {
            Some(KeyRow { status: Some(status), answer: Some(answer) }) => {
                TurnClaim::Answered { status: u16::try_from(status).unwrap_or(500), answer }
            }
            Some(_) => TurnClaim::Running,
            // Forgotten between the statements: a new claim.
            None => Box::pin(self.claim_turn_key(user_id, key, stale, keep)).await?,
        })
    }

    /// Records the answer a claimed key's turn was given.
    pub async fn finish_turn_key(&self, user_id: &str, key: &str, status: u16, answer: &str) -> Result<(), StoreError> {
        self.db
            .execute(
                "UPDATE chat_turn_keys SET status = $3, answer = $4 WHERE user_id = $1 AND idem_key = $2",
                &[Arg::Text(user_id.into()), Arg::Text(key.into()), Arg::I64(status.into()), Arg::Text(answer.into())],
            )
            .await?;
        Ok(())
    }

    /// Gives a claimed key back when its turn did not start (a refused request):
    /// a retry may then run it.
    pub async fn release_turn_key(&self, user_id: &str, key: &str) -> Result<(), StoreError> {
        self.db
            .execute(
                "DELETE FROM chat_turn_keys WHERE user_id = $1 AND idem_key = $2 AND answer IS NULL",
                &[Arg::Text(user_id.into()), Arg::Text(key.into())],
            )
            .await?;
        Ok(())
    }
}
