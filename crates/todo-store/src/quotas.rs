//! The per-user counts the [`crate::Quotas`] compare, in `user_quotas`.

use crate::db::{Tx, from_row_by_position};
use crate::{Arg, StoreError};

/// Creates the user's `user_quotas` row if there is none.
async fn create_row(tx: &mut Tx, user_id: &str) -> Result<(), StoreError> {
    let sql = "INSERT INTO user_quotas (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING";
    tx.execute(sql, &[Arg::Text(user_id.into())]).await?;
    Ok(())
}

/// Runs a conditional UPDATE of the user's row (`args[0]` is the user); when it
/// matched nothing because the user has no row yet, creates the row and runs
/// it once more. The first statement of a transaction is thus always a write,
/// which on SQLite takes the write lock before anything is read.
async fn update_row(tx: &mut Tx, sql: &str, args: &[Arg]) -> Result<bool, StoreError> {
    if tx.execute(sql, args).await? == 1 {
        return Ok(true);
    }
    let Some(Arg::Text(user_id)) = args.first() else {
        return Err(StoreError::Internal("quota statement without its user".into()));
    };
    // Created here or, in the meantime, by a concurrent transaction (which
    // PostgreSQL waited for): either way the row is there now.
    create_row(tx, user_id).await?;
    Ok(tx.execute(sql, args).await? == 1)
}

/// Holds the user's row until the transaction ends, if its `column` is below
/// `limit` (0: no limit); false when the limit is reached. On PostgreSQL the
/// UPDATE waits for any other transaction holding the row and then checks the
/// condition again on the committed count, so concurrent creates (on any
/// replica) are counted one after the other.
pub(crate) async fn hold_below(tx: &mut Tx, user_id: &str, column: Column, limit: u32) -> Result<bool, StoreError> {
    let c = column.name();
    let sql = format!("UPDATE user_quotas SET {c} = {c} WHERE user_id = $1 AND ($2 = 0 OR {c} < $2)");
    update_row(tx, &sql, &[Arg::Text(user_id.into()), Arg::I64(limit.into())]).await
}

/// The user's count in `column`, as this transaction sees it (its own inserts
/// included, which the triggers counted).
pub(crate) async fn count(tx: &mut Tx, user_id: &str, column: Column) -> Result<i64, StoreError> {
    let sql = format!("SELECT {} FROM user_quotas WHERE user_id = $1", column.name());
    let rows: Vec<CountRow> = tx.fetch_all(&sql, &[Arg::Text(user_id.into())]).await?;
    Ok(rows.first().map(|r| r.count).unwrap_or(0))
}

struct CountRow {
    count: i64,
}
from_row_by_position!(CountRow { count });

/// The counted columns of `user_quotas` (kept by triggers on insert and delete).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column {
    Tasks,
    Conversations,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Tasks => "tasks",
            Column::Conversations => "conversations",
        }
    }
}

/// Length of the chat-turn window.
pub(crate) const CHAT_WINDOW_MS: i64 = 60_000;

/// Counts one chat turn in the user's current one-minute window (starting a
/// new window when the last one is over), unless `limit` turns are already in
/// it. `Err(seconds)` says when the window ends.
pub(crate) async fn count_chat_turn(
    tx: &mut Tx,
    user_id: &str,
    limit: u32,
    now_ms: i64,
) -> Result<Result<(), u64>, StoreError> {
    let user = Arg::Text(user_id.into());
    let counted = update_row(
        tx,
        "UPDATE user_quotas SET \
           chat_turns = CASE WHEN chat_window_start <= $2 - $4 THEN 1 ELSE chat_turns + 1 END, \
           chat_window_start = CASE WHEN chat_window_start <= $2 - $4 THEN $2 ELSE chat_window_start END \
         WHERE user_id = $1 AND ($3 = 0 OR chat_window_start <= $2 - $4 OR chat_turns < $3)",
        &[user.clone(), Arg::I64(now_ms), Arg::I64(limit.into()), Arg::I64(CHAT_WINDOW_MS)],
    )
    .await?;
    if counted {
        return Ok(Ok(()));
    }
    let rows: Vec<WindowRow> =
        tx.fetch_all("SELECT chat_window_start FROM user_quotas WHERE user_id = $1", &[user]).await?;
    let start = rows.first().map(|r| r.chat_window_start).unwrap_or(now_ms);
    // `now_ms` was taken before waiting for the row, so another turn may have
    // started the window a little after it: never more than one window.
    let wait_ms = (start + CHAT_WINDOW_MS - now_ms).clamp(1, CHAT_WINDOW_MS);
    Ok(Err((wait_ms as u64).div_ceil(1000)))
}

struct WindowRow {
    chat_window_start: i64,
}
from_row_by_position!(WindowRow { chat_window_start });
