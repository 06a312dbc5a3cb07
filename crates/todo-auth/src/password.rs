use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::AuthError;

/// Argon2id hashing and verification (the crate's defaults: 19 MiB, 2 passes),
/// at most `concurrency` at a time.
///
/// Each hash in flight holds its 19 MiB: without a cap, 150 concurrent
/// unauthenticated sign-ins took the process to 2.9 GB. With it, memory for
/// hashing is bounded by `concurrency × 19 MiB`; callers beyond the cap wait up to
/// `wait` for a slot, then get [`AuthError::Busy`] (a 503 with Retry-After), which
/// costs nothing. Hashing runs on the blocking pool, so a burst of sign-ins
/// cannot stall the async workers.
#[derive(Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl Passwords {
    /// `concurrency` 0 means one slot per available core.
    pub fn new(concurrency: usize, wait: Duration) -> Passwords {
        let concurrency = match concurrency {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n,
        };
        Passwords { slots: Arc::new(Semaphore::new(concurrency)), wait }
    }

    /// A PHC string for `password` with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<String, AuthError> {
        self.run(move || hash_blocking(&password)).await
    }

    /// Checks a password against a stored PHC hash. With no hash (unknown email)
    /// it still spends the time of one verification, so response times do not
    /// reveal which emails have accounts.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AuthError> {
        self.run(move || {
            let hash = hash.as_deref().unwrap_or_else(|| dummy_hash());
            let parsed = PasswordHash::new(hash).map_err(|e| AuthError::Hashing(e.to_string()))?;
            Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|_| AuthError::Busy)?;
        // The permit moves into the blocking task: if the request is cancelled
        // while the hash runs, the slot stays taken until the memory is freed.
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|e| AuthError::Hashing(e.to_string()))?
    }
}

fn hash_blocking(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("timing-equaliser").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let p = Passwords::new(0, Duration::from_secs(30));
        let h = p.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify("correct horse".into(), Some(h.clone())).await.unwrap());
        assert!(!p.verify("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!p.verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_beyond_the_cap_are_turned_away_after_the_wait() {
        // One slot, and no time to wait for it: of several concurrent hashes,
        // exactly one runs while the others are refused at once.
        let p = Passwords::new(1, Duration::ZERO);
        let results = futures::future::join_all((0..4).map(|_| p.hash("pw".into()))).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let busy = results.iter().filter(|r| matches!(r, Err(AuthError::Busy))).count();
        assert_eq!((ok, busy), (1, 3), "{results:?}");
        // The slot is free again afterwards.
        assert!(p.hash("pw".into()).await.is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_callers_get_the_slot_when_it_frees() {
        let p = Passwords::new(1, Duration::from_secs(60));
        let results = futures::future::join_all((0..3).map(|_| p.hash("pw".into()))).await;
        assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    }
}
