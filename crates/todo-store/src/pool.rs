//! A connection pool over sqlx connections that takes a connection back without
//! a round trip to the database.
//!
//! sqlx's own pool pings every connection it takes back (a spawned task and a
//! Sync/ReadyForQuery exchange with PostgreSQL per query), to catch connections
//! left mid-statement by a cancelled query. Here the query's outcome decides
//! instead: a connection whose statement finished (successfully or with an error
//! the database reported) goes straight back; one whose query was cancelled (the
//! client went away) is pinged first, as sqlx does, so it is back in step before
//! reuse; one that failed on the wire is dropped. Measured on the benchmark:
//! get-one and the cached task list answer 15-30% more requests per second.
//!
//! Otherwise it behaves like sqlx's: at most `max` connections, opened on demand,
//! handed out most-recently-used first, tested with a ping only after sitting idle
//! for a while, closed after `IDLE_TIMEOUT` idle or `MAX_LIFETIME` in use; a
//! request waits up to `acquire_timeout` (in FIFO order) and then gets
//! [`sqlx::Error::PoolTimedOut`].

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sqlx::{ConnectOptions, Connection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A connection idle for this long may have been closed by the server or a proxy
/// meanwhile, so it is pinged before use; one released moments ago is not.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);
const PING_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) struct Pool<C: Connection> {
    inner: Arc<Inner<C>>,
}

impl<C: Connection> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Pool { inner: self.inner.clone() }
    }
}

struct Inner<C: Connection> {
    options: C::Options,
    /// Most recently released last.
    idle: Mutex<Vec<Idle<C>>>,
    /// One permit per connection that may be in use.
    permits: Arc<Semaphore>,
    /// Open connections, idle or in use (see [`Counted`]).
    size: Arc<AtomicU32>,
    max: u32,
    acquire_timeout: Duration,
    closed: AtomicBool,
}

struct Idle<C> {
    conn: Counted<C>,
    since: Instant,
}

/// An open connection, counted in the pool's size until it is dropped, however
/// that happens (released broken, cancelled mid-connect, pool closed).
struct Counted<C> {
    conn: C,
    opened: Instant,
    counted: SizeGuard,
}

struct SizeGuard(Arc<AtomicU32>);

impl Drop for SizeGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<C> Counted<C> {
    fn new(conn: C, size: &Arc<AtomicU32>) -> Counted<C> {
        size.fetch_add(1, Ordering::SeqCst);
        Counted { conn, opened: Instant::now(), counted: SizeGuard(size.clone()) }
    }
}

impl<C: Connection> Counted<C> {
    /// Says goodbye to the server, then stops counting the connection.
    async fn close(self) {
        let Counted { conn, counted, .. } = self;
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.close()).await;
        drop(counted);
    }
}

impl<C: Connection + 'static> Pool<C> {
    /// A pool that opens nothing until asked (like sqlx's `connect_lazy`).
    pub(crate) fn new(options: C::Options, max: u32, acquire_timeout: Duration) -> Pool<C> {
        let pool = Pool {
            inner: Arc::new(Inner {
                options,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max as usize)),
                size: Arc::new(AtomicU32::new(0)),
                max,
                acquire_timeout,
                closed: AtomicBool::new(false),
            }),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(close_idle_connections(Arc::downgrade(&pool.inner)));
        }
        pool
    }

    /// A connection for one statement; mark it with [`Pooled::keep_if`] after use.
    pub(crate) async fn acquire(&self) -> Result<Pooled<C>, sqlx::Error> {
        if self.inner.closed.load(Ordering::SeqCst) {
            return Err(sqlx::Error::PoolClosed);
        }
        match tokio::time::timeout(self.inner.acquire_timeout, self.acquire_now()).await {
            Ok(result) => result,
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    async fn acquire_now(&self) -> Result<Pooled<C>, sqlx::Error> {
        let permit = self.inner.permits.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let idle = self.inner.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(Idle { mut conn, since }) = idle else {
                let opened = self.inner.options.connect().await?;
                return Ok(self.lend(Counted::new(opened, &self.inner.size), permit));
            };
            if conn.opened.elapsed() >= MAX_LIFETIME || since.elapsed() >= IDLE_TIMEOUT {
                // Closed while holding the permit, so the replacement opened next
                // never makes more than `max` sessions.
                conn.close().await;
                continue;
            }
            if since.elapsed() >= PING_IF_IDLE_FOR {
                // A half-open connection must not use up the whole acquire timeout.
                match tokio::time::timeout(PING_TIMEOUT, conn.conn.ping()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "an idle database connection failed its ping; opening another");
                        continue;
                    }
                    Err(_) => {
                        tracing::warn!("an idle database connection did not answer its ping; opening another");
                        continue;
                    }
                }
            }
            return Ok(self.lend(conn, permit));
        }
    }

    /// Opens connections until `n` (at most `max`) are open and leaves them
    /// idle: a replica that starts under load then serves its first requests
    /// without waiting for connection set-up (DNS, TCP, authentication), which
    /// on a busy node can take longer than the acquire timeout.
    pub(crate) async fn warm(&self, n: u32) -> Result<(), sqlx::Error> {
        let mut held = Vec::new();
        while self.size() < n.min(self.inner.max) {
            let mut conn = self.acquire().await?;
            conn.keep();
            held.push(conn);
        }
        Ok(())
    }

    fn lend(&self, conn: Counted<C>, permit: OwnedSemaphorePermit) -> Pooled<C> {
        Pooled { conn: Some(conn), state: Outcome::Unfinished, pool: self.inner.clone(), permit: Some(permit) }
    }

    /// Open connections, idle or in use.
    pub(crate) fn size(&self) -> u32 {
        self.inner.size.load(Ordering::SeqCst)
    }

    pub(crate) fn num_idle(&self) -> u32 {
        self.inner.idle.lock().unwrap_or_else(|e| e.into_inner()).len() as u32
    }

    pub(crate) fn max(&self) -> u32 {
        self.inner.max
    }

    /// Refuses further requests, closes idle connections, and closes those in use
    /// as they come back.
    pub(crate) async fn close(&self) {
        let idle = {
            // Under the idle lock, so a connection coming back sees either the
            // pool open (and is taken here) or closed (and closes itself).
            let mut idle = self.inner.idle.lock().unwrap_or_else(|e| e.into_inner());
            self.inner.closed.store(true, Ordering::SeqCst);
            std::mem::take(&mut *idle)
        };
        self.inner.permits.close();
        for Idle { conn, .. } in idle {
            conn.close().await;
        }
    }
}

impl<C: Connection + 'static> Inner<C> {
    /// Makes a connection ready for the next request, or closes it if the pool
    /// is closed.
    fn put_back(&self, conn: Counted<C>) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(Ordering::SeqCst) {
            drop(idle);
            close_in_background(conn);
        } else {
            idle.push(Idle { conn, since: Instant::now() });
        }
    }
}

fn close_in_background<C: Connection + 'static>(conn: Counted<C>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(conn.close());
    }
}

/// Closes connections idle for [`IDLE_TIMEOUT`] (the oldest are at the bottom of
/// the stack) until the pool is dropped.
async fn close_idle_connections<C: Connection + 'static>(pool: Weak<Inner<C>>) {
    loop {
        tokio::time::sleep(IDLE_TIMEOUT / 4).await;
        let Some(inner) = pool.upgrade() else { return };
        let expired: Vec<Idle<C>> = {
            let mut idle = inner.idle.lock().unwrap_or_else(|e| e.into_inner());
            let keep_from = idle.iter().position(|i| i.since.elapsed() < IDLE_TIMEOUT).unwrap_or(idle.len());
            idle.drain(..keep_from).collect()
        };
        for Idle { conn, .. } in expired {
            close_in_background(conn);
        }
    }
}

/// A connection lent by a [`Pool`]. Dropped, it goes back to the pool as
/// [`Pooled::keep_if`] decided (unfinished: after a ping).
pub(crate) struct Pooled<C: Connection + 'static> {
    conn: Option<Counted<C>>,
    state: Outcome,
    pool: Arc<Inner<C>>,
    permit: Option<OwnedSemaphorePermit>,
}

/// How the last statement on a lent connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Ready for the next statement.
    Finished,
    /// Cancelled or never marked: replies may still be on the way.
    Unfinished,
    /// The connection itself failed.
    Broken,
}

/// How long a connection left mid-statement may take to get back in step.
const RESYNC_TIMEOUT: Duration = Duration::from_secs(2);

impl<C: Connection + 'static> Pooled<C> {
    /// Records how the statement run on this connection ended: finished (with
    /// rows, none, or an error the database sent) leaves it ready for the next
    /// statement; a broken or desynchronised connection does not.
    pub(crate) fn keep_if<T>(&mut self, outcome: &Result<T, sqlx::Error>) {
        use sqlx::Error as E;
        self.state = match outcome {
            Ok(_) => Outcome::Finished,
            Err(E::Database(e)) if ends_the_session(e.as_ref()) => Outcome::Broken,
            Err(E::Database(_) | E::RowNotFound | E::ColumnDecode { .. } | E::ColumnNotFound(_)) => Outcome::Finished,
            Err(E::ColumnIndexOutOfBounds { .. } | E::TypeNotFound { .. } | E::Decode(_)) => Outcome::Finished,
            Err(_) => Outcome::Broken,
        };
    }

    /// Returns the connection to the pool when dropped.
    /// Marks the connection as back in step (no statement was left running).
    pub(crate) fn keep(&mut self) {
        self.state = Outcome::Finished;
    }

    /// Closes the connection when dropped unless marked otherwise later: for a
    /// transaction, which must not go back to the pool still open if the
    /// request is cancelled or a statement fails halfway.
    pub(crate) fn discard_on_drop(&mut self) {
        self.state = Outcome::Broken;
    }

    /// For work that may leave session state behind on failure: returns the
    /// connection to the pool on success, closes it otherwise.
    pub(crate) fn keep_only_if_ok<T, E>(&mut self, outcome: &Result<T, E>) {
        self.state = if outcome.is_ok() { Outcome::Finished } else { Outcome::Broken };
    }
}

impl<C: Connection + 'static> Deref for Pooled<C> {
    type Target = C;
    #[allow(clippy::expect_used, reason = "`conn` is only taken in `drop`, after which no deref can happen")]
    fn deref(&self) -> &C {
        &self.conn.as_ref().expect("connection present until drop").conn
    }
}

impl<C: Connection + 'static> DerefMut for Pooled<C> {
    #[allow(clippy::expect_used, reason = "`conn` is only taken in `drop`, after which no deref can happen")]
    fn deref_mut(&mut self) -> &mut C {
        &mut self.conn.as_mut().expect("connection present until drop").conn
    }
}

impl<C: Connection + 'static> Drop for Pooled<C> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else { return };
        match self.state {
            // The permit is released after this (fields drop after `drop`), so
            // the next request in line finds the connection idle.
            Outcome::Finished => self.pool.put_back(conn),
            Outcome::Unfinished => {
                // Back in step first, still holding the permit, so the pool never
                // lends more than its size. Without a runtime (shutting down) the
                // connection is simply dropped.
                let (pool, permit) = (self.pool.clone(), self.permit.take());
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        if let Ok(Ok(())) = tokio::time::timeout(RESYNC_TIMEOUT, conn.conn.ping()).await {
                            pool.put_back(conn);
                        }
                        drop(permit);
                    });
                }
            }
            // Not gracefully: a broken connection gets no more messages; the
            // server sees the socket close and ends its session.
            Outcome::Broken => {}
        }
    }
}

/// A database error after which PostgreSQL closes the session (FATAL or PANIC:
/// the server shutting down, `pg_terminate_backend`, an idle session timeout).
fn ends_the_session(e: &(dyn sqlx::error::DatabaseError + 'static)) -> bool {
    use sqlx::postgres::{PgDatabaseError, PgSeverity};
    e.try_downcast_ref::<PgDatabaseError>()
        .is_some_and(|pg| matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::SqliteConnection;
    use sqlx::sqlite::SqliteConnectOptions;

    use super::*;

    fn pool(max: u32, acquire_timeout: Duration) -> (Pool<SqliteConnection>, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("todo-pool-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.join("p.db").display()))
            .unwrap()
            .create_if_missing(true);
        (Pool::new(opts, max, acquire_timeout), dir)
    }

    async fn select_one(p: &Pool<SqliteConnection>) -> Result<i64, sqlx::Error> {
        let mut c = p.acquire().await?;
        let outcome = sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&mut *c).await;
        c.keep_if(&outcome);
        outcome
    }

    #[tokio::test]
    async fn finished_statements_reuse_one_connection() {
        let (p, _dir) = pool(4, Duration::from_secs(1));
        assert_eq!((p.size(), p.num_idle()), (0, 0), "nothing opened before the first use");
        for _ in 0..5 {
            assert_eq!(select_one(&p).await.unwrap(), 1);
        }
        assert_eq!((p.size(), p.num_idle()), (1, 1));
        // A statement the database rejects leaves the connection usable.
        let mut c = p.acquire().await.unwrap();
        let outcome = sqlx::query("SELECT * FROM no_such_table").execute(&mut *c).await;
        assert!(matches!(outcome, Err(sqlx::Error::Database(_))));
        c.keep_if(&outcome);
        drop(c);
        assert_eq!((p.size(), p.num_idle()), (1, 1));
        assert_eq!(select_one(&p).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_broken_connection_is_closed_and_an_unfinished_one_resynced() {
        let (p, _dir) = pool(4, Duration::from_secs(1));
        let mut c = p.acquire().await.unwrap();
        c.keep_if::<()>(&Err(sqlx::Error::Io(std::io::ErrorKind::BrokenPipe.into())));
        drop(c);
        assert_eq!((p.size(), p.num_idle()), (0, 0));

        let c = p.acquire().await.unwrap();
        drop(c); // never marked, as when a request is cancelled mid-statement
        assert_eq!((p.size(), p.num_idle()), (1, 0), "pinged in the background first");
        until_idle(&p, 1).await;
        assert_eq!(select_one(&p).await.unwrap(), 1);
        assert_eq!((p.size(), p.num_idle()), (1, 1), "and then reused");
    }

    async fn until_idle(p: &Pool<SqliteConnection>, n: u32) {
        until(|| p.num_idle() == n).await;
    }

    /// Waits for work the pool does in the background (resync, close).
    async fn until(done: impl Fn() -> bool) {
        for _ in 0..500 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the pool did not get there in 5 s");
    }

    #[tokio::test]
    async fn warming_opens_connections_up_to_max_and_leaves_them_idle() {
        let (p, _dir) = pool(4, Duration::from_secs(1));
        p.warm(3).await.unwrap();
        assert_eq!((p.size(), p.num_idle()), (3, 3));
        p.warm(2).await.unwrap();
        assert_eq!((p.size(), p.num_idle()), (3, 3), "enough open already");
        p.warm(10).await.unwrap();
        assert_eq!((p.size(), p.num_idle()), (4, 4), "never more than max");
        assert_eq!(select_one(&p).await.unwrap(), 1);
        assert_eq!((p.size(), p.num_idle()), (4, 4), "a warm connection served the query");
    }

    #[tokio::test]
    async fn at_most_max_connections_then_a_timeout() {
        let (p, _dir) = pool(2, Duration::from_millis(200));
        let a = p.acquire().await.unwrap();
        let mut b = p.acquire().await.unwrap();
        assert_eq!(p.size(), 2);
        assert!(matches!(p.acquire().await, Err(sqlx::Error::PoolTimedOut)));
        // A waiting request gets the connection released before its timeout.
        let waiter = tokio::spawn({
            let p = p.clone();
            async move { select_one(&p).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        b.keep();
        drop(b);
        assert_eq!(waiter.await.unwrap().unwrap(), 1);
        assert_eq!(p.size(), 2);
        drop(a);
        until_idle(&p, 2).await;
        assert_eq!(p.size(), 2);
    }

    #[tokio::test]
    async fn closing_refuses_new_requests_and_closes_connections() {
        let (p, _dir) = pool(2, Duration::from_secs(1));
        select_one(&p).await.unwrap();
        let mut in_use = p.acquire().await.unwrap();
        p.close().await;
        assert!(matches!(p.acquire().await, Err(sqlx::Error::PoolClosed)));
        assert_eq!(p.size(), 1, "the idle one is closed");
        in_use.keep();
        drop(in_use);
        until(|| (p.size(), p.num_idle()) == (0, 0)).await; // the one in use is closed on return
    }

    /// On PostgreSQL (`TEST_DATABASE_URL`, which scripts/test.sh sets): the
    /// server ends an idle connection's session; the ping before its next use
    /// notices, and the request gets a new connection instead of an error.
    #[tokio::test]
    async fn an_idle_connection_the_server_closed_is_replaced() {
        use sqlx::PgConnection;
        use sqlx::postgres::PgConnectOptions;
        let url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL (scripts/test.sh starts PostgreSQL)");
        let p: Pool<PgConnection> = Pool::new(PgConnectOptions::from_str(&url).unwrap(), 2, Duration::from_secs(5));
        let backend_pid = |p: Pool<PgConnection>| async move {
            let mut c = p.acquire().await.unwrap();
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *c).await.unwrap();
            c.keep();
            pid
        };
        let first = backend_pid(p.clone()).await;
        let mut admin = PgConnection::connect(&url).await.unwrap();
        sqlx::query("SELECT pg_terminate_backend($1)").bind(first).execute(&mut admin).await.unwrap();
        p.inner.idle.lock().unwrap()[0].since = Instant::now() - PING_IF_IDLE_FOR;

        let second = backend_pid(p.clone()).await;
        assert_ne!(first, second);
        assert_eq!((p.size(), p.num_idle()), (1, 1), "the dead connection is no longer counted");

        // Ended while in use: the statement fails (FATAL from the server, or the
        // closed socket), and the connection is not put back.
        let mut c = p.acquire().await.unwrap();
        sqlx::query("SELECT pg_terminate_backend($1)").bind(second).execute(&mut admin).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let outcome = sqlx::query("SELECT 1").execute(&mut *c).await;
        assert!(outcome.is_err());
        c.keep_if(&outcome);
        drop(c);
        assert_eq!((p.size(), p.num_idle()), (0, 0), "{outcome:?}");
    }

    /// The measurement behind docs/adr/0001 (`./scripts/bench.sh --pool`, not
    /// part of the test run): one-row queries from 32 concurrent tasks through
    /// this pool and through sqlx's with `test_before_acquire(false)` (sqlx 0.8
    /// still pings every connection it takes back), both of 16 connections on the
    /// same PostgreSQL, in alternating rounds; prints queries/s and the ratio.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a benchmark: ./scripts/bench.sh --pool"]
    async fn bench_against_sqlx_pool() {
        use sqlx::PgConnection;
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        const TASKS: usize = 32;
        const QUERIES_PER_TASK: usize = 500;
        const ROUNDS: usize = 5;
        let url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL: a PostgreSQL to measure against");
        let options = PgConnectOptions::from_str(&url).unwrap();
        let ours: Pool<PgConnection> = Pool::new(options.clone(), 16, Duration::from_secs(30));
        let theirs = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(16)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .unwrap();

        async fn run<F, Fut>(query: F) -> f64
        where
            F: Fn(i64) -> Fut + Clone + Send + 'static,
            Fut: std::future::Future<Output = i64> + Send,
        {
            let start = Instant::now();
            let tasks: Vec<_> = (0..TASKS)
                .map(|t| {
                    let query = query.clone();
                    tokio::spawn(async move {
                        for i in 0..QUERIES_PER_TASK {
                            let n = (t * QUERIES_PER_TASK + i) as i64;
                            assert_eq!(query(n).await, n + 1);
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            (TASKS * QUERIES_PER_TASK) as f64 / start.elapsed().as_secs_f64()
        }
        let q_ours = {
            let p = ours.clone();
            move |n: i64| {
                let p = p.clone();
                async move {
                    let mut c = p.acquire().await.unwrap();
                    let outcome = sqlx::query_scalar::<_, i64>("SELECT $1::int8 + 1").bind(n).fetch_one(&mut *c).await;
                    c.keep_if(&outcome);
                    outcome.unwrap()
                }
            }
        };
        let q_theirs = {
            let p = theirs.clone();
            move |n: i64| {
                let p = p.clone();
                async move { sqlx::query_scalar::<_, i64>("SELECT $1::int8 + 1").bind(n).fetch_one(&p).await.unwrap() }
            }
        };
        // Warm both: every connection open, statements prepared.
        run(q_ours.clone()).await;
        run(q_theirs.clone()).await;
        let mut ratios = Vec::new();
        for round in 1..=ROUNDS {
            let (a, b) = if round % 2 == 1 {
                let a = run(q_ours.clone()).await;
                (a, run(q_theirs.clone()).await)
            } else {
                let b = run(q_theirs.clone()).await;
                (run(q_ours.clone()).await, b)
            };
            println!("round {round}: own pool {a:.0} q/s, sqlx pool {b:.0} q/s, own/sqlx {:.2}", a / b);
            ratios.push(a / b);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "own/sqlx queries per second: median {:.2} (min {:.2}, max {:.2}) over {ROUNDS} rounds of {} queries",
            ratios[ROUNDS / 2],
            ratios[0],
            ratios[ROUNDS - 1],
            TASKS * QUERIES_PER_TASK
        );
    }
}
