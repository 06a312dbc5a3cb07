//! Sessions: one row per sign-in, named by the `sid` claim of its token.

use chrono::{DateTime, TimeZone, Utc};
use todo_domain::User;

use crate::db::from_row_by_position;
use crate::{Arg, Store, StoreError};

/// A session to record together with the token that names it.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session id, also the token's `sid` claim.
    pub id: String,
    /// Whose session it is.
    pub user_id: String,
    /// When it ends, as its token does.
    pub expires_at: DateTime<Utc>,
}

/// A session that is neither revoked nor expired, of a user that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    /// Whose session it is.
    pub user_id: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
    /// When it was last used (to a resolution of minutes).
    pub last_seen_at: DateTime<Utc>,
}

struct ActiveRow {
    user_id: String,
    expires_at: i64,
    last_seen_at: i64,
}
from_row_by_position!(ActiveRow { user_id, expires_at, last_seen_at });

struct IdRow {
    id: String,
}
from_row_by_position!(IdRow { id });

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

const INSERT_SESSION: &str = "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) \
     SELECT $1, $2, $3, $3, $4 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)";
/// Expired sessions of the user are dropped whenever the user signs in, so the
/// table holds about one row per live sign-in without a sweeper.
const PRUNE_EXPIRED: &str = "DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2";

fn insert_args(s: &NewSession, now: i64) -> [Arg; 4] {
    [Arg::Text(s.id.clone()), Arg::Text(s.user_id.clone()), Arg::I64(now), Arg::I64(s.expires_at.timestamp_millis())]
}

impl Store {
    /// Creates an account and its first session in one transaction: either both
    /// exist afterwards or neither. A taken email is [`StoreError::Conflict`].
    pub async fn create_user_with_session(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        time_zone: &str,
        session: &NewSession,
    ) -> Result<User, StoreError> {
        let now = Utc::now().timestamp_millis();
        let user_args = [
            Arg::Text(session.user_id.clone()),
            Arg::Text(email.into()),
            Arg::Text(name.into()),
            Arg::Text(password_hash.into()),
            Arg::I64(now),
            Arg::Text(time_zone.into()),
        ];
        self.db
            .execute_all(&[
                (
                    "INSERT INTO users (id, email, name, password_hash, created_at, time_zone) VALUES ($1, $2, $3, $4, $5, $6)",
                    &user_args,
                ),
                (INSERT_SESSION, &insert_args(session, now)),
            ])
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => StoreError::Conflict("an account with this email already exists".into()),
                other => other,
            })?;
        Ok(User {
            id: session.user_id.clone(),
            email: email.into(),
            name: name.into(),
            time_zone: time_zone.into(),
            created_at: at(now),
        })
    }

    /// Records a new session of an existing user (sign-in), dropping the user's
    /// expired ones in the same transaction. [`StoreError::NotFound`] if the
    /// user does not exist (any more).
    pub async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        let now = Utc::now().timestamp_millis();
        let prune = [Arg::Text(session.user_id.clone()), Arg::I64(now)];
        let touched =
            self.db.execute_all(&[(PRUNE_EXPIRED, &prune), (INSERT_SESSION, &insert_args(session, now))]).await?;
        if touched.last() == Some(&1) { Ok(()) } else { Err(StoreError::NotFound) }
    }

    /// The session if it is active: not revoked, not expired, and its user
    /// still exists.
    pub async fn active_session(&self, id: &str) -> Result<Option<ActiveSession>, StoreError> {
        let row: Option<ActiveRow> = self
            .db
            .fetch_optional(
                "SELECT s.user_id, s.expires_at, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
                &[Arg::Text(id.into()), Arg::I64(Utc::now().timestamp_millis())],
            )
            .await?;
        Ok(row.map(|r| ActiveSession {
            user_id: r.user_id,
            expires_at: at(r.expires_at),
            last_seen_at: at(r.last_seen_at),
        }))
    }

    /// Notes that the session was used at `when`.
    pub async fn touch_session(&self, id: &str, when: DateTime<Utc>) -> Result<(), StoreError> {
        self.db
            .execute(
                "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2",
                &[Arg::Text(id.into()), Arg::I64(when.timestamp_millis())],
            )
            .await?;
        Ok(())
    }

    /// Ends one session of the user (sign-out); false if it had already ended
    /// or is not the user's.
    pub async fn revoke_session(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let n = self
            .db
            .execute(
                "UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
                &[Arg::Text(id.into()), Arg::Text(user_id.into()), Arg::I64(Utc::now().timestamp_millis())],
            )
            .await?;
        Ok(n > 0)
    }

    /// Ends every active session of the user (sign out everywhere) and returns
    /// their ids.
    pub async fn revoke_user_sessions(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        self.revoke_sessions_except(user_id, None).await
    }

    /// Ends every active session of the user but `keep` (for a password
    /// change: the session that made it stays signed in) and returns their ids.
    pub async fn revoke_other_sessions(&self, user_id: &str, keep: &str) -> Result<Vec<String>, StoreError> {
        self.revoke_sessions_except(user_id, Some(keep)).await
    }

    async fn revoke_sessions_except(&self, user_id: &str, keep: Option<&str>) -> Result<Vec<String>, StoreError> {
        // One statement, so a session is either revoked by it or not: a
        // concurrent sign-in either lands before (and is revoked) or after.
        let rows: Vec<IdRow> = self
            .db
            .fetch_all(
                "UPDATE sessions SET revoked_at = $2 \
                 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND ($3 IS NULL OR id <> $3) \
                 RETURNING id",
                &[
                    Arg::Text(user_id.into()),
                    Arg::I64(Utc::now().timestamp_millis()),
                    Arg::OptText(keep.map(str::to_string)),
                ],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}
