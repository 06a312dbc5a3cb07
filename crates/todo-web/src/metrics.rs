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

pub struct Metrics {
    registry: Registry,
    pub http: Arc<HttpMetrics>,
    backend: Family<BackendLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let http = HttpMetrics::register(&mut registry);
        let backend = Family::<BackendLabels, Counter>::default();
        registry.register(
            "backend_requests",
            "Calls to the API by outcome (ok, client_error, unavailable)",
            backend.clone(),
        );
        Metrics { registry, http, backend }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }

    pub fn backend_call(&self, outcome: &str) {
        self.backend.get_or_create(&BackendLabels { outcome: outcome.to_string() }).inc();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
