//! Runs one SQL text on whichever pool the store holds.

use sqlx::{Connection, FromRow, PgConnection, SqliteConnection};

use crate::pool::{Pool, Pooled};
use crate::{Arg, StoreError};

#[derive(Clone)]
pub(crate) enum Db {
    Postgres(Pool<PgConnection>),
    Sqlite(Pool<SqliteConnection>),
}

/// Runs `$op` (an expression on `conn`, a `&mut` connection) on a connection of
/// `$pool`, which goes back to the pool if the statement finished.
macro_rules! on_connection {
    ($pool:expr, |$conn:ident| $op:expr) => {{
        let mut pooled = $pool.acquire().await?;
        let $conn = &mut *pooled;
        let outcome = $op.await;
        pooled.keep_if(&outcome);
        outcome
    }};
}
pub(crate) use on_connection;

/// Implements `sqlx::FromRow` for both databases, reading the struct's fields by
/// position, in declaration order, which must be the order of the SELECT's
/// columns. `try_get` checks each value's type, so a column list out of order
/// fails loudly; `try_get_unchecked` skips that check, for the hot task rows.
macro_rules! from_row_by_position {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        from_row_by_position!(@both try_get, $ty { $($field),+ });
    };
    (unchecked $ty:ident { $($field:ident),+ $(,)? }) => {
        from_row_by_position!(@both try_get_unchecked, $ty { $($field),+ });
    };
    (@both $get:ident, $ty:ident { $($field:ident),+ }) => {
        from_row_by_position!(@one sqlx::postgres::PgRow, $get, $ty { $($field),+ });
        from_row_by_position!(@one sqlx::sqlite::SqliteRow, $get, $ty { $($field),+ });
    };
    (@one $row:ty, $get:ident, $ty:ident { $($field:ident),+ }) => {
        impl<'r> sqlx::FromRow<'r, $row> for $ty {
            #[allow(unused_assignments)]
            fn from_row(r: &'r $row) -> sqlx::Result<Self> {
                use sqlx::Row;
                let mut i = 0usize;
                Ok($ty { $($field: { let v = r.$get(i)?; i += 1; v }),+ })
            }
        }
    };
}
pub(crate) use from_row_by_position;

macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                Arg::I64(v) => q.bind(*v),
                Arg::I16(v) => q.bind(*v),
                Arg::Bool(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::OptText(v) => q.bind(v.as_deref()),
                Arg::OptI64(v) => q.bind(*v),
            };
        }
        q
    }};
}

impl Db {
    pub(crate) async fn fetch_all<T>(&self, sql: &str, args: &[Arg]) -> Result<Vec<T>, StoreError>
    where
        T: Send + Unpin + for<'r> FromRow<'r, sqlx::postgres::PgRow> + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        Ok(match self {
            Db::Postgres(p) => on_connection!(p, |c| bind_args!(sqlx::query_as::<_, T>(sql), args).fetch_all(c))?,
            Db::Sqlite(p) => on_connection!(p, |c| bind_args!(sqlx::query_as::<_, T>(sql), args).fetch_all(c))?,
        })
    }

    pub(crate) async fn fetch_optional<T>(&self, sql: &str, args: &[Arg]) -> Result<Option<T>, StoreError>
    where
        T: Send + Unpin + for<'r> FromRow<'r, sqlx::postgres::PgRow> + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        Ok(match self {
            Db::Postgres(p) => on_connection!(p, |c| bind_args!(sqlx::query_as::<_, T>(sql), args).fetch_optional(c))?,
            Db::Sqlite(p) => on_connection!(p, |c| bind_args!(sqlx::query_as::<_, T>(sql), args).fetch_optional(c))?,
        })
    }

    pub(crate) async fn fetch_count(&self, sql: &str, args: &[Arg]) -> Result<i64, StoreError> {
        Ok(match self {
            Db::Postgres(p) => on_connection!(p, |c| bind_args!(sqlx::query_scalar::<_, i64>(sql), args).fetch_one(c))?,
            Db::Sqlite(p) => on_connection!(p, |c| bind_args!(sqlx::query_scalar::<_, i64>(sql), args).fetch_one(c))?,
        })
    }

    /// Runs a statement and returns the number of rows it touched.
    pub(crate) async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        Ok(match self {
            Db::Postgres(p) => on_connection!(p, |c| bind_args!(sqlx::query(sql), args).execute(c))?.rows_affected(),
            Db::Sqlite(p) => on_connection!(p, |c| bind_args!(sqlx::query(sql), args).execute(c))?.rows_affected(),
        })
    }

    /// Runs the statements in one transaction, all or none, and returns the
    /// number of rows each touched. A connection whose transaction failed is
    /// closed rather than reused, so no half-finished transaction survives.
    pub(crate) async fn execute_all(&self, statements: &[(&str, &[Arg])]) -> Result<Vec<u64>, StoreError> {
        macro_rules! in_transaction {
            ($pool:expr) => {{
                let mut pooled = $pool.acquire().await?;
                let outcome = async {
                    let mut tx = pooled.begin().await?;
                    let mut touched = Vec::with_capacity(statements.len());
                    for (sql, args) in statements {
                        touched.push(bind_args!(sqlx::query(sql), *args).execute(&mut *tx).await?.rows_affected());
                    }
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(touched)
                }
                .await;
                pooled.keep_only_if_ok(&outcome);
                outcome?
            }};
        }
        Ok(match self {
            Db::Postgres(p) => in_transaction!(p),
            Db::Sqlite(p) => in_transaction!(p),
        })
    }
}

/// A transaction on one pooled connection: `BEGIN` when made, then statements
/// until [`Tx::commit`] or [`Tx::rollback`]. Dropped before either (an error
/// returned with `?`, a cancelled request), its connection is closed instead
/// of going back to the pool, and the database rolls the transaction back.
pub(crate) enum Tx {
    Postgres(Pooled<PgConnection>),
    Sqlite(Pooled<SqliteConnection>),
}

impl Db {
    /// Begins a transaction. On SQLite the first statement should be a write,
    /// so the transaction takes the write lock (waiting for it, with the busy
    /// timeout) before it reads anything a concurrent writer could change.
    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        let mut tx = match self {
            Db::Postgres(p) => Tx::Postgres(p.acquire().await?),
            Db::Sqlite(p) => Tx::Sqlite(p.acquire().await?),
        };
        match &mut tx {
            Tx::Postgres(c) => c.discard_on_drop(),
            Tx::Sqlite(c) => c.discard_on_drop(),
        }
        tx.execute("BEGIN", &[]).await?;
        Ok(tx)
    }
}

impl Tx {
    pub(crate) async fn fetch_all<T>(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<T>, StoreError>
    where
        T: Send + Unpin + for<'r> FromRow<'r, sqlx::postgres::PgRow> + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        Ok(match self {
            Tx::Postgres(c) => bind_args!(sqlx::query_as::<_, T>(sql), args).fetch_all(&mut **c).await?,
            Tx::Sqlite(c) => bind_args!(sqlx::query_as::<_, T>(sql), args).fetch_all(&mut **c).await?,
        })
    }

    pub(crate) async fn fetch_optional<T>(&mut self, sql: &str, args: &[Arg]) -> Result<Option<T>, StoreError>
    where
        T: Send + Unpin + for<'r> FromRow<'r, sqlx::postgres::PgRow> + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        Ok(match self {
            Tx::Postgres(c) => bind_args!(sqlx::query_as::<_, T>(sql), args).fetch_optional(&mut **c).await?,
            Tx::Sqlite(c) => bind_args!(sqlx::query_as::<_, T>(sql), args).fetch_optional(&mut **c).await?,
        })
    }

    /// Runs a statement and returns the number of rows it touched.
    pub(crate) async fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        Ok(match self {
            Tx::Postgres(c) => bind_args!(sqlx::query(sql), args).execute(&mut **c).await?.rows_affected(),
            Tx::Sqlite(c) => bind_args!(sqlx::query(sql), args).execute(&mut **c).await?.rows_affected(),
        })
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.finish("COMMIT").await
    }

    /// Undoes the transaction and keeps the connection, for a transaction that
    /// decided not to go on (a quota reached).
    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        self.finish("ROLLBACK").await
    }

    async fn finish(mut self, statement: &str) -> Result<(), StoreError> {
        self.execute(statement, &[]).await?;
        let done: Result<(), ()> = Ok(());
        match &mut self {
            Tx::Postgres(c) => c.keep_only_if_ok(&done),
            Tx::Sqlite(c) => c.keep_only_if_ok(&done),
        }
        Ok(())
    }
}
