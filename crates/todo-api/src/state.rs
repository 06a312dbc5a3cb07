use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use todo_auth::Authenticator;
use todo_store::Store;

use crate::config::ApiConfig;
use crate::metrics::Metrics;

/// What every handler may use. Cheap to clone; holds no per-user state, so any
/// replica can serve any request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub auth: Authenticator,
    pub metrics: Arc<Metrics>,
    shutting_down: Arc<AtomicBool>,
    pub sign_in_max_failures: u32,
    pub assistant: todo_agent::Assistant,
    pub chat_history_messages: u32,
}

impl AppState {
    pub fn new(store: Store, auth: Authenticator, cfg: &ApiConfig) -> AppState {
        let a = &cfg.assistant;
        AppState {
            store,
            auth,
            metrics: Arc::new(Metrics::new()),
            shutting_down: Arc::new(AtomicBool::new(false)),
            sign_in_max_failures: cfg.sign_in_max_failures,
            assistant: todo_agent::Assistant::new(
                a.provider.clone().map(todo_agent::Provider::new),
                a.fallback_builtin,
                a.max_tool_rounds,
            ),
            chat_history_messages: a.history_messages,
        }
    }

    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
