use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use todo_auth::Authenticator;
use todo_store::Store;

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
}

impl AppState {
    pub fn new(store: Store, auth: Authenticator, sign_in_max_failures: u32) -> AppState {
        AppState {
            store,
            auth,
            metrics: Arc::new(Metrics::new()),
            shutting_down: Arc::new(AtomicBool::new(false)),
            sign_in_max_failures,
        }
    }

    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
