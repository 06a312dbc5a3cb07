//! What every request shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::api::Backend;
use crate::config::WebConfig;
use crate::metrics::Metrics;

/// Shared by every request: configuration, the API client, metrics and the
/// shutdown flag. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    pub(crate) config: Arc<WebConfig>,
    pub(crate) backend: Backend,
    pub(crate) metrics: Arc<Metrics>,
    shutting_down: Arc<AtomicBool>,
}

impl WebState {
    /// The state of a web service with its own metrics registry.
    pub fn new(cfg: &WebConfig) -> WebState {
        WebState::with_metrics(cfg, Metrics::new())
    }

    /// With metrics kept elsewhere (see [`Metrics::in_registry`]).
    pub fn with_metrics(cfg: &WebConfig, metrics: Metrics) -> WebState {
        let metrics = Arc::new(metrics);
        let backend = Backend::new(&cfg.backend_url, cfg.backend_timeout, cfg.request_timeout, metrics.clone());
        WebState { config: Arc::new(cfg.clone()), backend, metrics, shutting_down: Arc::new(AtomicBool::new(false)) }
    }

    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
