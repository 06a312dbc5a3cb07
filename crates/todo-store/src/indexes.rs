//! The list's indexes on PostgreSQL, built while the application serves.
//!
//! `CREATE INDEX` in a migration would block every write to `tasks` for as long
//! as the build takes (seconds to minutes on a large table). `CONCURRENTLY`
//! does not block writes, but it cannot run in a migration: sqlx holds an
//! advisory lock while it migrates, another replica starting at the same moment
//! waits for that lock inside a statement, and the concurrent build waits for
//! that statement to end: a deadlock (PostgreSQL detects it and fails one of
//! them; `tests/api/operations.rs`, `replicas_starting_together_migrate_once`,
//! showed it). So after migrating, each replica calls [`Store::build_indexes`]
//! in the background: whichever replica takes the (non-blocking) advisory lock
//! first builds what is missing, the others go on without waiting. An index
//! that a killed build left invalid is dropped and built again. SQLite builds
//! the same indexes in its migrations (a local file, one writer).

use std::time::Instant;

use crate::{Store, StoreError, db::Db};

/// The list's indexes: name and definition. Every sort of the list is a range
/// of one of them (`sql::sort_keys`); the due and priority sorts compute their
/// key from the user's zone and read the user's rows instead.
pub(crate) const LIST_INDEXES: &[(&str, &str)] = &[
    ("tasks_user_created_number", "tasks (user_id, created_at, number)"),
    ("tasks_user_updated_number", "tasks (user_id, updated_at, number)"),
    ("tasks_user_title_number", "tasks (user_id, LOWER(title), number)"),
];

/// Indexes no query uses any more, dropped (concurrently) once the new ones exist:
/// ties broke on the row's id before the task's number, and `(user_id,
/// created_at)` is a prefix of `tasks_user_created_number`.
pub(crate) const RETIRED_INDEXES: &[&str] = &["tasks_user_created_id", "tasks_user_created"];

/// The advisory lock key of the index builder (any constant other than sqlx's).
const BUILD_LOCK: i64 = 0x746f_646f_696e_6478; // "todoindx"

impl Store {
    /// Builds the list's missing indexes on PostgreSQL without blocking writes,
    /// rebuilds invalid ones and drops retired ones; returns how many it built
    /// or dropped (0 when another replica is doing it, or on SQLite).
    pub async fn build_indexes(&self) -> Result<usize, StoreError> {
        let Db::Postgres(pool) = &self.db else { return Ok(0) };
        let mut conn = pool.acquire().await?;
        let result = build_on(&mut conn).await;
        // A failure mid-way may leave the session holding the lock.
        conn.keep_only_if_ok(&result);
        result.map_err(StoreError::from)
    }
}

async fn build_on(conn: &mut sqlx::PgConnection) -> Result<usize, sqlx::Error> {
    let locked: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(BUILD_LOCK).fetch_one(&mut *conn).await?;
    if !locked {
        return Ok(0);
    }
    let outcome = build_locked(conn).await;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(BUILD_LOCK).execute(&mut *conn).await?;
    outcome
}

async fn build_locked(conn: &mut sqlx::PgConnection) -> Result<usize, sqlx::Error> {
    let mut done = 0;
    for (name, definition) in LIST_INDEXES {
        let valid: Option<bool> = sqlx::query_scalar(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname = $1 AND pg_table_is_visible(c.oid)",
        )
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
        match valid {
            Some(true) => continue,
            Some(false) => {
                tracing::warn!(index = name, "an earlier build of this index did not finish; building it again");
                sqlx::query(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}")).execute(&mut *conn).await?;
            }
            None => {}
        }
        let start = Instant::now();
        tracing::info!(index = name, "building a list index (CONCURRENTLY: writes go on meanwhile)");
        sqlx::query(&format!("CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}"))
            .execute(&mut *conn)
            .await?;
        tracing::info!(index = name, seconds = start.elapsed().as_secs_f64(), "list index built");
        done += 1;
    }
    for name in RETIRED_INDEXES {
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_class WHERE relname = $1 AND relkind = 'i'")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
        if exists.is_some() {
            sqlx::query(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}")).execute(&mut *conn).await?;
            tracing::info!(index = name, "dropped an index no query uses");
            done += 1;
        }
    }
    Ok(done)
}
