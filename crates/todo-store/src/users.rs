use chrono::{TimeZone, Utc};
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
                created_at: Utc.timestamp_millis_opt(r.created_at).single().unwrap_or_default(),
            },
            password_hash: r.password_hash,
        }
    }
}

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

    /// The account with this (normalised) email, with its password hash.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<StoredUser>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> = self.db.fetch_optional(&sql, &[Arg::Text(email.into())]).await?;
        Ok(row.map(StoredUser::from))
    }

    /// An account by id.
    pub async fn get_user(&self, id: &str) -> Result<User, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = self.db.fetch_optional(&sql, &[Arg::Text(id.into())]).await?;
        row.map(|r| StoredUser::from(r).user).ok_or(StoreError::NotFound)
    }
}
