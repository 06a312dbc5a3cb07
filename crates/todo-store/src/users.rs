use chrono::{TimeZone, Utc};
use todo_domain::{User, UserChanges};

use crate::db::from_row_by_position;
use crate::{Arg, Store, StoreError};

struct UserRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    created_at: i64,
    time_zone: String,
}
from_row_by_position!(UserRow { id, email, name, password_hash, created_at, time_zone });

struct ZoneRow {
    time_zone: String,
}
from_row_by_position!(ZoneRow { time_zone });

/// A user with the password hash, for sign-in only.
#[derive(Debug, Clone)]
pub struct StoredUser {
    /// The account.
    pub user: User,
    /// Its Argon2 PHC string.
    pub password_hash: String,
}

impl From<UserRow> for StoredUser {
    fn from(r: UserRow) -> Self {
        StoredUser {
            user: User {
                id: r.id,
                email: r.email,
                name: r.name,
                time_zone: r.time_zone,
                created_at: Utc.timestamp_millis_opt(r.created_at).single().unwrap_or_default(),
            },
            password_hash: r.password_hash,
        }
    }
}

const USER_COLUMNS: &str = "id, email, name, password_hash, created_at, time_zone";

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

    /// The account with this (normalised) email, with its password hash.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<StoredUser>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> = self.db.fetch_optional(&sql, &[Arg::Text(email.into())]).await?;
        Ok(row.map(StoredUser::from))
    }

    /// Changes an account's name or time zone in one statement.
    pub async fn update_user(&self, id: &str, changes: &UserChanges) -> Result<User, StoreError> {
        let sql = format!(
            "UPDATE users SET name = COALESCE($2, name), time_zone = COALESCE($3, time_zone) \
             WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let args = [Arg::Text(id.into()), Arg::OptText(changes.name.clone()), Arg::OptText(changes.time_zone.clone())];
        let row: Option<UserRow> = self.db.fetch_optional(&sql, &args).await?;
        row.map(|r| StoredUser::from(r).user).ok_or(StoreError::NotFound)
    }

    /// The time zone of an account; UTC for a user without an account row
    /// (the subject of an external issuer's token).
    pub async fn user_time_zone(&self, id: &str) -> Result<jiff::tz::TimeZone, StoreError> {
        let rows: Vec<ZoneRow> =
            self.db.fetch_all("SELECT time_zone FROM users WHERE id = $1", &[Arg::Text(id.into())]).await?;
        Ok(rows.first().map(|r| todo_domain::time_zone_or_utc(&r.time_zone)).unwrap_or(jiff::tz::TimeZone::UTC))
    }

    /// An account by id.
    pub async fn get_user(&self, id: &str) -> Result<User, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = self.db.fetch_optional(&sql, &[Arg::Text(id.into())]).await?;
        row.map(|r| StoredUser::from(r).user).ok_or(StoreError::NotFound)
    }
}
