//! Persistence for todo-app. One [`Store`] talks to either PostgreSQL (production)
//! or an embedded SQLite file (local default) through typed sqlx pools, running
//! the same SQL text on both: timestamps are epoch milliseconds, tags a JSON array,
//! and placeholders `$n`, which both drivers understand.
#![forbid(unsafe_code)]

mod accounts;
mod calendar;
pub mod check;
mod conversations;
mod db;
pub mod files;
mod indexes;
mod migrations;
mod pool;
mod quotas;
mod sessions;
mod sql;
mod tasks;
mod throttle;
mod turn_keys;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

pub use accounts::ImportCounts;
pub use conversations::TurnStart;
pub use sessions::{ActiveSession, NewSession};
pub use sql::TOTAL_BOUND;
pub(crate) use sql::{Arg, TaskQuery, build_task_query};
pub use tasks::{
    BulkAction, BulkOutcome, BulkRejection, BulkResult, REPEAT_NEEDS_DUE, RevisedTaskPage, TRASH_RETENTION_MS, TaskRef,
    TaskRefPage, UpdatedTask,
};
pub use throttle::{Admission, MAX_LOCK, RateSlot};
pub use turn_keys::TurnClaim;
pub use users::StoredUser;

use db::{Db, on_connection};
use pool::Pool;

/// Errors of the storage layer, sorted by what the caller should tell the client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    /// No such row for this user (another user's rows are not found either).
    NotFound,
    #[error("already exists: {0}")]
    /// A unique value is taken, such as an account's email.
    Conflict(String),
    /// The database is unreachable, overloaded or restarting: worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    /// Anything else: a bug or a database in a state the code does not expect.
    Internal(String),
    /// A per-user limit of [`Quotas`] is reached; nothing was written.
    #[error("{}", quota.explain(*limit, *retry_after_secs))]
    QuotaExceeded {
        /// Which limit.
        quota: Quota,
        /// Its value.
        limit: u32,
        /// When trying again may succeed, in seconds.
        retry_after_secs: u64,
    },
}

/// Per-user limits, so one account cannot fill the database or the model
/// provider's bill; 0 means unlimited. They hold under concurrency and across
/// replicas: the counts live in the database (`user_quotas`,
/// `conversations.message_count`) and each create checks and writes in one
/// transaction that holds its user's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quotas {
    /// Tasks one account may have.
    pub tasks_per_user: u32,
    /// Conversations one account may keep.
    pub conversations_per_user: u32,
    /// Messages of one conversation, the assistant's replies included (a turn
    /// needs room for two).
    pub messages_per_conversation: u32,
    /// Chat turns a user may start per minute (a fixed one-minute window).
    pub chat_turns_per_minute: u32,
}

/// Which limit of [`Quotas`] was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// [`Quotas::tasks_per_user`].
    Tasks,
    /// [`Quotas::conversations_per_user`].
    Conversations,
    /// [`Quotas::messages_per_conversation`].
    MessagesPerConversation,
    /// [`Quotas::chat_turns_per_minute`].
    ChatTurnsPerMinute,
}

/// How long a client is told to wait after a count limit, which only lifts
/// when something is deleted (or, for a conversation, never: start a new one).
pub const COUNT_QUOTA_RETRY_AFTER_SECS: u64 = 60;

impl Quota {
    /// What the user is told: the limit and what to do about it.
    pub fn explain(self, limit: u32, retry_after_secs: u64) -> String {
        match self {
            Quota::Tasks => format!("this account has reached its limit of {limit} tasks; delete some to add more"),
            Quota::Conversations => {
                format!("this account has reached its limit of {limit} conversations; delete some to start a new one")
            }
            Quota::MessagesPerConversation => {
                format!("this conversation has reached its limit of {limit} messages; start a new conversation")
            }
            Quota::ChatTurnsPerMinute => format!(
                "too many messages to the assistant: at most {limit} per minute; try again in {retry_after_secs} s"
            ),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &e {
            E::RowNotFound => StoreError::NotFound,
            E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed | E::Protocol(_) => {
                StoreError::Unavailable(e.to_string())
            }
            E::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_string()),
            E::Database(db) if is_transient(db.code().as_deref()) => StoreError::Unavailable(db.message().to_string()),
            _ => StoreError::Internal(e.to_string()),
        }
    }
}

/// PostgreSQL connection/shutdown classes (08, 57P0x, 53 resources) and SQLite
/// BUSY/LOCKED: the statement may succeed if retried later.
fn is_transient(code: Option<&str>) -> bool {
    match code {
        Some(c) => c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") || c == "5" || c == "6",
        None => false,
    }
}

#[derive(Debug, Clone)]
/// Where the database is and how the pool uses it.
pub struct StoreConfig {
    /// `postgres://...` or `sqlite://path` (`sqlite:` URLs create the file if needed).
    pub url: String,
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long a request waits for a pooled connection (or a new one) before the
    /// store reports [`StoreError::Unavailable`].
    pub acquire_timeout: Duration,
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL, for deployments with more than one replica.
    Postgres,
    /// An embedded SQLite file, for one process on one machine.
    Sqlite,
}

impl Backend {
    /// The backend of a `postgres://`, `postgresql://` or `sqlite:` URL; none for anything else.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else {
            None
        }
    }

    /// Its name in logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Pool occupancy, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open.
    pub size: u32,
    /// Of those, the ones waiting for a query.
    pub idle: u32,
    /// Most connections the pool may open.
    pub max: u32,
}

#[derive(Clone)]
/// The application's data on PostgreSQL or SQLite, through one set of SQL texts:
/// every query takes the user id, so a user reaches only their own rows.
pub struct Store {
    db: Db,
    quotas: Quotas,
}

impl Store {
    /// Builds the pool without connecting: the first query (or [`Store::migrate`])
    /// connects, so the service can start and report readiness while the database
    /// is still coming up.
    pub fn connect_lazy(cfg: &StoreConfig) -> Result<Store, StoreError> {
        let backend = Backend::of_url(&cfg.url).ok_or_else(|| {
            StoreError::Internal("DATABASE_URL must start with postgres://, postgresql:// or sqlite:".into())
        })?;
        let db = match backend {
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(&cfg.url)
                    .map_err(|e| StoreError::Internal(format!("invalid DATABASE_URL: {}", redact(&e.to_string()))))?
                    .application_name("todo-api");
                Db::Postgres(Pool::new(opts, cfg.max_connections, cfg.acquire_timeout))
            }
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(&cfg.url)
                    .map_err(|e| StoreError::Internal(format!("invalid DATABASE_URL: {e}")))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true);
                if !is_in_memory(&cfg.url) {
                    let file = opts.get_filename();
                    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                        files::create_private_dir(dir).map_err(|e| {
                            StoreError::Internal(format!("cannot create database directory {}: {e}", dir.display()))
                        })?;
                    }
                    files::make_database_file_private(file).map_err(|e| {
                        StoreError::Internal(format!("cannot make database file {} private: {e}", file.display()))
                    })?;
                }
                Db::Sqlite(Pool::new(opts, cfg.max_connections, cfg.acquire_timeout))
            }
        };
        Ok(Store { db, quotas: Quotas::default() })
    }

    /// The same store, enforcing `quotas` (none by default).
    pub fn with_quotas(mut self, quotas: Quotas) -> Store {
        self.quotas = quotas;
        self
    }

    /// The per-user limits this store enforces.
    pub fn quotas(&self) -> Quotas {
        self.quotas
    }

    /// Which database it talks to.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Postgres(_) => Backend::Postgres,
            Db::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Applies pending migrations, then fills in what they cannot compute in SQL
    /// (see [`Store::refresh_search_columns`]). On PostgreSQL sqlx holds an advisory lock while
    /// migrating, so replicas starting together apply each migration once. A
    /// failed migration may leave its session holding that lock (sqlx returns
    /// early without unlocking), so its connection is never reused.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = migrations::migrator(self.backend()).await.map_err(|e| StoreError::Internal(e.to_string()))?;
        let result = match &self.db {
            Db::Postgres(p) => {
                let mut conn = p.acquire().await?;
                let result = migrator.run(&mut *conn).await;
                conn.keep_only_if_ok(&result);
                result
            }
            Db::Sqlite(p) => {
                let mut conn = p.acquire().await?;
                let result = migrator.run(&mut *conn).await;
                conn.keep_only_if_ok(&result);
                result
            }
        };
        result.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => StoreError::from(inner),
            other => StoreError::Internal(other.to_string()),
        })?;
        let refreshed = self.refresh_search_columns().await?;
        if refreshed > 0 {
            tracing::info!(tasks = refreshed, "computed the search columns of tasks written without them");
        }
        Ok(())
    }

    /// Opens connections until `n` are open (at most the pool's maximum), for a
    /// start under load: see the pool's `warm`.
    pub async fn warm(&self, n: u32) -> Result<(), StoreError> {
        match &self.db {
            Db::Postgres(p) => p.warm(n).await?,
            Db::Sqlite(p) => p.warm(n).await?,
        }
        Ok(())
    }

    /// A round trip to the database, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Postgres(p) => on_connection!(p, |c| sqlx::query("SELECT 1").execute(c)).map(drop)?,
            Db::Sqlite(p) => on_connection!(p, |c| sqlx::query("SELECT 1").execute(c)).map(drop)?,
        }
        Ok(())
    }

    /// How full the pool is, for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        match &self.db {
            Db::Postgres(p) => PoolStats { size: p.size(), idle: p.num_idle(), max: p.max() },
            Db::Sqlite(p) => PoolStats { size: p.size(), idle: p.num_idle(), max: p.max() },
        }
    }

    /// Closes every connection, waiting for the ones in use to come back.
    pub async fn close(&self) {
        match &self.db {
            Db::Postgres(p) => p.close().await,
            Db::Sqlite(p) => p.close().await,
        }
    }
}

/// `sqlite::memory:` and `?mode=memory` databases have no file.
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The SQLite URL used when no `DATABASE_URL` is given: a file under `dir`.
pub fn default_sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("todo.db").display())
}

/// Hides the password in a database URL (`postgres://user:***@host/db`).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/todo"), "postgres://app:***@db:5432/todo");
        assert_eq!(redact("postgres://db/todo"), "postgres://db/todo");
        assert_eq!(redact("sqlite://data/todo.db"), "sqlite://data/todo.db");
    }

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(Backend::of_url("postgresql://x"), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("mysql://x"), None);
    }

    #[test]
    fn transient_codes() {
        assert!(is_transient(Some("57P01")));
        assert!(is_transient(Some("08006")));
        assert!(is_transient(Some("5")));
        assert!(!is_transient(Some("23505")));
        assert!(!is_transient(None));
    }
}
