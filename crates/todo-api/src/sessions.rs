//! Sessions: every token this service issues names a row of the `sessions`
//! table (its `sid` claim), and a token is accepted only while that session is
//! active, so signing out ends it for good, on every replica.
//!
//! Looking the session up on every request would add a query to every request.
//! Instead each replica keeps what it last read about a session for a short
//! TTL (`SESSION_CACHE_TTL_MS`, 5 s by default) in a bounded cache
//! ([`moka`]): a session revoked through one replica is refused there at once
//! (it drops its own entry) and by every other replica once its entry is older
//! than the TTL. Concurrent requests with one session share one lookup.
//! `session_checks_total{source="cache"|"database"}` counts where checks went.
//!
//! Tokens of an external issuer (`AUTH_JWKS_URL`) have no session here: that
//! issuer decides how long they live.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use moka::future::Cache;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use todo_store::{NewSession, Store, StoreError};

use crate::error::ApiError;
use crate::state::AppState;

/// `last_seen_at` is only refreshed when it is older than this, so an active
/// session costs one small write per replica every few minutes, not one per
/// request.
const LAST_SEEN_RESOLUTION: chrono::Duration = chrono::Duration::minutes(5);

/// What the body of every refused token says; the reason goes to the log.
pub const INVALID_TOKEN: &str = "invalid token";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user id of the token's subject.
    pub user_id: String,
    /// The session of a token this service issued; `None` for external tokens.
    pub session_id: Option<String>,
}

#[derive(Debug, Clone)]
enum Looked {
    Active {
        user_id: Arc<str>,
        expires_at_ms: i64,
    },
    /// Revoked, expired, unknown or of a deleted user: never active again.
    Ended,
}

/// The replica's short-lived view of sessions.
pub struct SessionCache {
    /// `None`: TTL 0, every check asks the database.
    cache: Option<Cache<String, Looked>>,
    /// `session_checks_total{source}`, resolved once: no label lookup per request.
    from_cache: Counter,
    from_database: Counter,
}

impl SessionCache {
    /// A cache keeping each looked-up session for `ttl` (none when `ttl` or `capacity` is 0), counting checks in `checks`.
    pub fn new(
        ttl: Duration,
        capacity: u64,
        checks: Family<[(&'static str, &'static str); 1], Counter>,
    ) -> SessionCache {
        let cache =
            (!ttl.is_zero() && capacity > 0).then(|| Cache::builder().max_capacity(capacity).time_to_live(ttl).build());
        let from_cache = checks.get_or_create(&[("source", "cache")]).clone();
        let from_database = checks.get_or_create(&[("source", "database")]).clone();
        SessionCache { cache, from_cache, from_database }
    }

    /// The user of the session if it is active.
    pub async fn user_of(&self, store: &Store, session_id: &str) -> Result<Option<Arc<str>>, StoreError> {
        let (looked, from_database) = match &self.cache {
            None => (look_up(store, session_id).await?, true),
            Some(cache) => {
                let entry = cache
                    .entry_by_ref(session_id)
                    .or_try_insert_with(look_up(store, session_id))
                    .await
                    .map_err(|e: Arc<StoreError>| unshare(&e))?;
                let fresh = entry.is_fresh();
                (entry.into_value(), fresh)
            }
        };
        if from_database { &self.from_database } else { &self.from_cache }.inc();
        Ok(match looked {
            Looked::Active { user_id, expires_at_ms } if expires_at_ms > Utc::now().timestamp_millis() => Some(user_id),
            _ => None,
        })
    }

    /// Drops what this replica knows about these sessions (after revoking them),
    /// so it refuses them at once rather than after the TTL. A lookup of the
    /// same session that read the row before the revocation and finishes after
    /// this may still put it back as active: then this replica, like the
    /// others, refuses it once that entry is older than the TTL.
    pub async fn forget(&self, session_ids: &[String]) {
        if let Some(cache) = &self.cache {
            for id in session_ids {
                cache.invalidate(id).await;
            }
        }
    }
}

async fn look_up(store: &Store, session_id: &str) -> Result<Looked, StoreError> {
    let Some(session) = store.active_session(session_id).await? else {
        return Ok(Looked::Ended);
    };
    let now = Utc::now();
    if now - session.last_seen_at >= LAST_SEEN_RESOLUTION {
        // Off the request's path: a failed refresh costs nothing but accuracy.
        let (store, id) = (store.clone(), session_id.to_string());
        tokio::spawn(async move {
            if let Err(error) = store.touch_session(&id, now).await {
                tracing::debug!(%error, "could not refresh a session's last_seen_at");
            }
        });
    }
    Ok(Looked::Active { user_id: session.user_id.into(), expires_at_ms: session.expires_at.timestamp_millis() })
}

/// A lookup's error as shared by the waiters of one lookup.
fn unshare(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict(m) => StoreError::Conflict(m.clone()),
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::Internal(m) => StoreError::Internal(m.clone()),
        StoreError::QuotaExceeded { quota, limit, retry_after_secs } => {
            StoreError::QuotaExceeded { quota: *quota, limit: *limit, retry_after_secs: *retry_after_secs }
        }
    }
}

/// Verifies a bearer token: its signature and claims, and for tokens of this
/// service, that its session is active and belongs to its subject.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let verified = state.auth.verify(token).await?;
    let user_id = verified.claims.sub;
    let Some(session_id) = verified.session_id else {
        return Ok(Caller { user_id, session_id: None });
    };
    match state.sessions.user_of(&state.store, &session_id).await? {
        Some(owner) if *owner == *user_id => Ok(Caller { user_id, session_id: Some(session_id) }),
        Some(_) => refuse("the token's session belongs to another user"),
        None => refuse("the token's session has ended (signed out, expired, or the user is gone)"),
    }
}

fn refuse<T>(reason: &'static str) -> Result<T, ApiError> {
    tracing::info!(reason, "token refused");
    Err(ApiError::Unauthorized(INVALID_TOKEN.into()))
}

/// A token for a new session of `user_id`, and the session to record with it.
pub fn new_session(state: &AppState, user_id: &str) -> Result<(String, NewSession), ApiError> {
    let session_id = uuid::Uuid::new_v4().to_string();
    let issued = state.auth.issue(user_id, &session_id)?;
    let session = NewSession { id: session_id, user_id: user_id.to_string(), expires_at: issued.expires_at };
    Ok((issued.token, session))
}

/// Signs `user_id` in: records a new session and returns its token.
pub async fn start(state: &AppState, user_id: &str) -> Result<String, ApiError> {
    let (token, session) = new_session(state, user_id)?;
    match state.store.create_session(&session).await {
        Ok(()) => Ok(token),
        // The account was deleted after its password was checked.
        Err(StoreError::NotFound) => Err(ApiError::Unauthorized("invalid email or password".into())),
        Err(e) => Err(e.into()),
    }
}
