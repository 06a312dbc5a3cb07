use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Requests by route template, method and status; latency by route; requests in
/// flight. Registered in a registry the service owns (not a global recorder), so
/// tests can run many services in one process.
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    in_flight: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms .. ~8 s
    Histogram::new(exponential_buckets(0.00025, 2.0, 16))
}

impl HttpMetrics {
    /// Registers the HTTP metric families in `registry` and returns their handles.
    pub fn register(registry: &mut Registry) -> Arc<HttpMetrics> {
        let m = HttpMetrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            in_flight: Gauge::default(),
        };
        registry.register("http_requests", "HTTP requests by route, method and status", m.requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", m.latency.clone());
        registry.register("http_requests_in_flight", "HTTP requests being served", m.in_flight.clone());
        Arc::new(m)
    }
}

/// Middleware (`axum::middleware::from_fn_with_state(metrics, track_requests)`)
/// counting every response by its route template, never the raw path, so ids do
/// not explode the label set.
pub async fn track_requests(State(m): State<Arc<HttpMetrics>>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    m.in_flight.inc();
    let start = Instant::now();
    let res = next.run(req).await;
    m.in_flight.dec();
    m.latency
        .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
        .observe(start.elapsed().as_secs_f64());
    m.requests.get_or_create(&RequestLabels { method, route, status: res.status().as_u16() }).inc();
    res
}
