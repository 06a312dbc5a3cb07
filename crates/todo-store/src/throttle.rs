//! Throttle counters for sign-in and sign-up, kept in the database so that they
//! hold across replicas, and changed only by single statements so that they hold
//! under concurrency.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::db::from_row_by_position;
use crate::{Arg, Store, StoreError};

/// Longest lock a run of failures earns.
pub const MAX_LOCK: Duration = Duration::minutes(15);

/// Whether a sign-in attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted; go ahead. `attempts` includes this one.
    Admitted {
        /// Attempts in the current run of failures, this one included.
        attempts: i32,
    },
    /// Refused without being counted, until `until`.
    Locked {
        /// When the lock lifts.
        until: DateTime<Utc>,
    },
}

/// A fixed-window count of events for one key (such as sign-ups per address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateSlot {
    /// Counted within the limit.
    Taken,
    /// Over the limit until the window ends at `until`.
    Exhausted {
        /// When the window ends.
        until: DateTime<Utc>,
    },
}

struct AdmitRow {
    attempts: i32,
    locked_until: i64,
    admitted_by: String,
}
from_row_by_position!(AdmitRow { attempts, locked_until, admitted_by });

struct RateRow {
    attempts: i32,
    window_start: i64,
}
from_row_by_position!(RateRow { attempts, window_start });

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The number of attempts after this one, as the UPSERT sees it: unchanged while
/// locked, starting over when the window has passed.
const NEXT_ATTEMPTS: &str = "CASE WHEN auth_throttle.locked_until > $2 THEN auth_throttle.attempts \
     WHEN auth_throttle.window_start < $3 THEN 1 ELSE auth_throttle.attempts + 1 END";

impl Store {
    /// Counts one sign-in attempt for `key` unless the key is locked, in one
    /// statement. From the `max_attempts`-th attempt on, each admitted attempt
    /// locks the key for `first_lock`, doubling up to [`MAX_LOCK`] (or
    /// `first_lock` if longer): so at most `max_attempts` attempts are ever
    /// admitted before the first lock ends, however many arrive at once, and one
    /// per lock period after it. Counts start over `window` after they began. A
    /// successful sign-in calls [`Store::sign_in_succeeded`].
    pub async fn admit_sign_in(
        &self,
        key: &str,
        max_attempts: u32,
        first_lock: Duration,
        window: Duration,
    ) -> Result<Admission, StoreError> {
        let now = Utc::now().timestamp_millis();
        let stale_before = now - window.num_milliseconds();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let n = NEXT_ATTEMPTS;
        let first_ms = first_lock.num_milliseconds().max(1);
        let max_ms = MAX_LOCK.num_milliseconds().max(first_ms);
        // first_lock × 2^(attempts - max) once attempts reach max, capped. The
        // shift stops at 20 (2^20 ms > MAX_LOCK) so it cannot overflow.
        let doubled = format!("$6 * (1 << CAST(({n}) - $4 AS INTEGER))");
        let lock = format!("CASE WHEN ({n}) - $4 >= 20 THEN $7 WHEN {doubled} > $7 THEN $7 ELSE {doubled} END");
        let sql = format!(
            "INSERT INTO auth_throttle (key, attempts, window_start, locked_until, admitted_by) \
             VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $2 + $6 ELSE 0 END, $5) \
             ON CONFLICT (key) DO UPDATE SET \
               attempts = {n}, \
               window_start = CASE WHEN auth_throttle.locked_until <= $2 AND auth_throttle.window_start < $3 \
                 THEN $2 ELSE auth_throttle.window_start END, \
               locked_until = CASE WHEN auth_throttle.locked_until > $2 THEN auth_throttle.locked_until \
                 WHEN ({n}) >= $4 THEN $2 + {lock} ELSE 0 END, \
               admitted_by = CASE WHEN auth_throttle.locked_until > $2 THEN auth_throttle.admitted_by ELSE $5 END \
             RETURNING attempts, locked_until, admitted_by"
        );
        let args = [
            Arg::Text(key.into()),
            Arg::I64(now),
            Arg::I64(stale_before),
            Arg::I64(max_attempts.max(1).into()),
            Arg::Text(nonce.clone()),
            Arg::I64(first_ms),
            Arg::I64(max_ms),
        ];
        let row: Option<AdmitRow> = self.db.fetch_optional(&sql, &args).await?;
        let row = row.ok_or_else(|| StoreError::Internal("throttle upsert returned no row".into()))?;
        Ok(if row.admitted_by == nonce {
            Admission::Admitted { attempts: row.attempts }
        } else {
            Admission::Locked { until: at(row.locked_until) }
        })
    }

    /// After a correct password: forgets the attempts of `clear_key` (the
    /// account's email at this address) and takes back the one attempt this
    /// sign-in counted against `uncount_key` (the address across emails, whose
    /// count should only grow with failures).
    pub async fn sign_in_succeeded(&self, clear_key: &str, uncount_key: &str) -> Result<(), StoreError> {
        self.db.execute("DELETE FROM auth_throttle WHERE key = $1", &[Arg::Text(clear_key.into())]).await?;
        self.db
            .execute(
                "UPDATE auth_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
                &[Arg::Text(uncount_key.into())],
            )
            .await?;
        Ok(())
    }

    /// Takes one of `limit` slots of the fixed window of `key`; refused slots
    /// count too (they are attempts). One statement, so the limit holds under
    /// concurrency and across replicas.
    pub async fn take_rate_slot(&self, key: &str, limit: u32, window: Duration) -> Result<RateSlot, StoreError> {
        let now = Utc::now().timestamp_millis();
        let sql = "INSERT INTO auth_throttle (key, attempts, window_start, locked_until, admitted_by) \
                   VALUES ($1, 1, $2, 0, '') \
                   ON CONFLICT (key) DO UPDATE SET \
                     attempts = CASE WHEN auth_throttle.window_start < $3 THEN 1 ELSE auth_throttle.attempts + 1 END, \
                     window_start = CASE WHEN auth_throttle.window_start < $3 THEN $2 ELSE auth_throttle.window_start END \
                   RETURNING attempts, window_start";
        let args = [Arg::Text(key.into()), Arg::I64(now), Arg::I64(now - window.num_milliseconds())];
        let row: Option<RateRow> = self.db.fetch_optional(sql, &args).await?;
        let row = row.ok_or_else(|| StoreError::Internal("throttle upsert returned no row".into()))?;
        Ok(if i64::from(row.attempts) > i64::from(limit) {
            RateSlot::Exhausted { until: at(row.window_start) + window }
        } else {
            RateSlot::Taken
        })
    }

    /// Deletes counters that no longer matter: unlocked and older than `window`.
    /// Attackers trying many emails create many rows; callers run this now and
    /// then, not per request.
    pub async fn prune_auth_throttle(&self, window: Duration) -> Result<u64, StoreError> {
        let now = Utc::now().timestamp_millis();
        self.db
            .execute(
                "DELETE FROM auth_throttle WHERE locked_until <= $1 AND window_start < $2",
                &[Arg::I64(now), Arg::I64(now - window.num_milliseconds())],
            )
            .await
    }
}

#[cfg(test)]
mod tests {

    use sqlx::Connection;

    use super::*;
    use crate::StoreConfig;

    async fn store(postgres: bool) -> Store {
        let name = format!("todo_throttle_{}", uuid::Uuid::new_v4().simple());
        let url = if postgres {
            let admin =
                std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL (scripts/test.sh starts PostgreSQL)");
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
            format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
        } else {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}", dir.join("todo.db").display())
        };
        let store = Store::connect_lazy(&StoreConfig {
            url,
            max_connections: 8,
            acquire_timeout: std::time::Duration::from_secs(10),
        })
        .unwrap();
        store.migrate().await.unwrap();
        store
    }

    async fn lock_secs(s: &Store, key: &str) -> Option<i64> {
        match s.admit_sign_in(key, 3, Duration::seconds(1), Duration::hours(1)).await.unwrap() {
            Admission::Admitted { .. } => None,
            Admission::Locked { until } => Some((until - Utc::now()).num_milliseconds().div_euclid(1000) + 1),
        }
    }

    async fn schedule(postgres: bool) {
        let s = store(postgres).await;
        let admitted = |a: Admission| matches!(a, Admission::Admitted { .. });
        for n in 1..=3 {
            assert_eq!(
                s.admit_sign_in("k", 3, Duration::seconds(1), Duration::hours(1)).await.unwrap(),
                Admission::Admitted { attempts: n }
            );
        }
        // The third attempt locked the key for 1 s; the next is refused, not counted.
        assert_eq!(lock_secs(&s, "k").await, Some(1));
        // Another key is untouched.
        assert!(admitted(s.admit_sign_in("other", 3, Duration::seconds(1), Duration::hours(1)).await.unwrap()));
        // Once the lock has passed, one more attempt, then twice as long.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(
            s.admit_sign_in("k", 3, Duration::seconds(1), Duration::hours(1)).await.unwrap(),
            Admission::Admitted { attempts: 4 }
        );
        assert_eq!(lock_secs(&s, "k").await, Some(2));
        // A success forgets the key and takes one attempt back from the other.
        s.sign_in_succeeded("k", "other").await.unwrap();
        assert_eq!(
            s.admit_sign_in("k", 3, Duration::seconds(1), Duration::hours(1)).await.unwrap(),
            Admission::Admitted { attempts: 1 }
        );
        assert_eq!(
            s.admit_sign_in("other", 3, Duration::seconds(1), Duration::hours(1)).await.unwrap(),
            Admission::Admitted { attempts: 1 }
        );
        // A window that has passed starts the count over.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(
            s.admit_sign_in("k", 3, Duration::seconds(1), Duration::zero()).await.unwrap(),
            Admission::Admitted { attempts: 1 }
        );
        // Long runs stop doubling at MAX_LOCK.
        for _ in 0..40 {
            sqlx_free_lock(&s, "long").await;
        }
        assert!(admitted(s.admit_sign_in("long", 3, Duration::seconds(1), Duration::hours(1)).await.unwrap()));
        let until = match s.admit_sign_in("long", 3, Duration::seconds(1), Duration::hours(1)).await.unwrap() {
            Admission::Locked { until } => until,
            other => panic!("{other:?}"),
        };
        assert!(until - Utc::now() <= MAX_LOCK && until - Utc::now() > MAX_LOCK - Duration::minutes(1));
        // Pruning keeps locked rows.
        s.prune_auth_throttle(Duration::zero()).await.unwrap();
        assert!(!admitted(s.admit_sign_in("long", 3, Duration::seconds(1), Duration::hours(1)).await.unwrap()));
    }

    /// Admits one attempt on `key` and then clears its lock by hand, so a test
    /// can run up the count without waiting.
    async fn sqlx_free_lock(s: &Store, key: &str) {
        s.admit_sign_in(key, 3, Duration::seconds(1), Duration::hours(1)).await.unwrap();
        s.db.execute("UPDATE auth_throttle SET locked_until = 0 WHERE key = $1", &[Arg::Text(key.into())])
            .await
            .unwrap();
    }

    async fn concurrent_attempts_never_exceed_the_limit(postgres: bool) {
        let s = store(postgres).await;
        let results = futures_join((0..40).map(|_| {
            let s = s.clone();
            async move { s.admit_sign_in("burst", 5, Duration::seconds(1), Duration::hours(1)).await.unwrap() }
        }))
        .await;
        let admitted = results.iter().filter(|a| matches!(a, Admission::Admitted { .. })).count();
        assert_eq!(admitted, 5, "{results:?}");

        let slots = futures_join((0..40).map(|_| {
            let s = s.clone();
            async move { s.take_rate_slot("signups", 7, Duration::hours(1)).await.unwrap() }
        }))
        .await;
        assert_eq!(slots.iter().filter(|r| **r == RateSlot::Taken).count(), 7, "{slots:?}");
    }

    async fn futures_join<T: Send + 'static>(
        futs: impl Iterator<Item = impl std::future::Future<Output = T> + Send + 'static>,
    ) -> Vec<T> {
        let handles: Vec<_> = futs.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn schedule_sqlite() {
        schedule(false).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn schedule_postgres() {
        schedule(true).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_sqlite() {
        concurrent_attempts_never_exceed_the_limit(false).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_postgres() {
        concurrent_attempts_never_exceed_the_limit(true).await
    }
}
