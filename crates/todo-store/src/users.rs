use chrono::{DateTime, TimeZone, Utc};
use todo_domain::User;

use crate::db::from_row_by_position;
use crate::{Arg, Store, StoreError};

struct UserRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    created_at: i64,
}
from_row_by_position!(UserRow { id, email, name, password_hash, created_at });

/// A user with the password hash, for sign-in only.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
}

impl From<UserRow> for StoredUser {
    fn from(r: UserRow) -> Self {
        StoredUser {
            user: User {
                id: r.id,
                email: r.email,
                name: r.name,
                created_at: Utc.timestamp_millis_opt(r.created_at).single().unwrap_or_default(),
            },
            password_hash: r.password_hash,
        }
    }
}

/// The sign-in throttle state of one email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLock {
    pub failures: i32,
    pub locked_until: DateTime<Utc>,
}

struct LockRow {
    failures: i32,
    locked_until: i64,
}
from_row_by_position!(LockRow { failures, locked_until });

const USER_COLUMNS: &str = "id, email, name, password_hash, created_at";

impl Store {
    /// Creates an account; a taken email is [`StoreError::Conflict`].
    pub async fn create_user(
        &self,
        id: &str,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        let sql = format!(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
        );
        let args = [
            Arg::Text(id.into()),
            Arg::Text(email.into()),
            Arg::Text(name.into()),
            Arg::Text(password_hash.into()),
            Arg::I64(Utc::now().timestamp_millis()),
        ];
        let row: Option<UserRow> = self.db.fetch_optional(&sql, &args).await.map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict("an account with this email already exists".into()),
            other => other,
        })?;
        row.map(|r| StoredUser::from(r).user).ok_or(StoreError::Internal("insert returned no row".into()))
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<StoredUser>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> = self.db.fetch_optional(&sql, &[Arg::Text(email.into())]).await?;
        Ok(row.map(StoredUser::from))
    }

    pub async fn get_user(&self, id: &str) -> Result<User, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = self.db.fetch_optional(&sql, &[Arg::Text(id.into())]).await?;
        row.map(|r| StoredUser::from(r).user).ok_or(StoreError::NotFound)
    }

    pub async fn sign_in_lock(&self, email: &str) -> Result<Option<SignInLock>, StoreError> {
        let row: Option<LockRow> = self
            .db
            .fetch_optional(
                "SELECT failures, locked_until FROM sign_in_failures WHERE email = $1",
                &[Arg::Text(email.into())],
            )
            .await?;
        Ok(row.map(|r| SignInLock {
            failures: r.failures,
            locked_until: Utc.timestamp_millis_opt(r.locked_until).single().unwrap_or_default(),
        }))
    }

    /// Counts one failed sign-in and locks the email until `lock_for(failures)` from now.
    pub async fn record_sign_in_failure(
        &self,
        email: &str,
        lock_for: impl Fn(i32) -> chrono::Duration,
    ) -> Result<SignInLock, StoreError> {
        let now = Utc::now();
        let failures: i64 = self
            .db
            .fetch_count(
                "INSERT INTO sign_in_failures (email, failures, locked_until) VALUES ($1, 1, $2) \
                 ON CONFLICT (email) DO UPDATE SET failures = sign_in_failures.failures + 1 \
                 RETURNING CAST(failures AS BIGINT)",
                &[Arg::Text(email.into()), Arg::I64(now.timestamp_millis())],
            )
            .await?;
        let failures = failures as i32;
        let locked_until = now + lock_for(failures);
        self.db
            .execute(
                "UPDATE sign_in_failures SET locked_until = $2 WHERE email = $1",
                &[Arg::Text(email.into()), Arg::I64(locked_until.timestamp_millis())],
            )
            .await?;
        Ok(SignInLock { failures, locked_until })
    }

    pub async fn clear_sign_in_failures(&self, email: &str) -> Result<(), StoreError> {
        self.db.execute("DELETE FROM sign_in_failures WHERE email = $1", &[Arg::Text(email.into())]).await?;
        Ok(())
    }
}
