use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use todo_auth::Authenticator;
use todo_store::Store;

use crate::metrics::Metrics;
use crate::sessions::SessionCache;
use crate::task_cache::TaskJsonCache;

/// What every handler may use. Cheap to clone; holds no per-user state that another
/// replica could miss (the task JSON cache is checked against the database, the
/// session cache expires within seconds), so any replica can serve any request.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Rendered task JSON, checked against revisions on use (see [`TaskJsonCache`]).
    pub task_json: Arc<TaskJsonCache>,
    /// Issues and verifies tokens.
    pub auth: Authenticator,
    /// A few seconds' view of sessions, so verifying a token rarely queries
    /// (see [`crate::sessions`]).
    pub sessions: Arc<SessionCache>,
    /// The metrics the handlers update.
    pub metrics: Arc<Metrics>,
    pub(crate) shutting_down: Arc<AtomicBool>,
    /// Sign-in and sign-up limits and which proxies name the client.
    pub throttle: crate::config::ThrottleSettings,
    /// Argon2 hashing, capped in concurrency (memory).
    pub passwords: todo_auth::Passwords,
    /// The chat assistant: a model provider or the built-in interpreter.
    pub assistant: todo_agent::Assistant,
    /// How many earlier messages of a conversation the model sees.
    pub chat_history_messages: u32,
}

impl AppState {
    /// Marks the replica as draining: readiness fails so load balancers stop sending requests.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Whether [`AppState::begin_shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
