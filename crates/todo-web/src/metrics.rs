//! Prometheus metrics of the web service: the shared HTTP metrics plus calls to
//! the API by outcome, in a registry the state owns.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use todo_service::HttpMetrics;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BackendLabels {
    outcome: String,
}

/// The web service's metrics: HTTP requests by route and API calls by outcome.
pub struct Metrics {
    registry: Registry,
    pub(crate) http: Arc<HttpMetrics>,
    backend: Family<BackendLabels, Counter>,
}

impl Metrics {
    /// Metrics in a registry of their own, served at the web's /metrics.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let http = HttpMetrics::register(&mut registry);
        let backend = register_backend(&mut registry);
        Metrics { registry, http, backend }
    }

    /// Metrics kept in another service's registry with its HTTP metrics: the
    /// all-in-one launcher serves one /metrics for the web UI and the API, so the
    /// web routes are counted in the same `http_requests` family (their route
    /// templates tell them apart). [`Metrics::render`] then renders nothing.
    pub fn in_registry(registry: &mut Registry, http: Arc<HttpMetrics>) -> Metrics {
        let backend = register_backend(registry);
        Metrics { registry: Registry::default(), http, backend }
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }

    pub(crate) fn backend_call(&self, outcome: &str) {
        self.backend.get_or_create(&BackendLabels { outcome: outcome.to_string() }).inc();
    }
}

fn register_backend(registry: &mut Registry) -> Family<BackendLabels, Counter> {
    let backend = Family::<BackendLabels, Counter>::default();
    registry.register(
        "backend_requests",
        "Calls to the API by outcome (ok, client_error, unavailable)",
        backend.clone(),
    );
    backend
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
