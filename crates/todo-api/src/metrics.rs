//! Prometheus metrics of the API: the shared HTTP metrics plus database pool
//! gauges, in a registry the app state owns.

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use todo_service::HttpMetrics;

pub struct Metrics {
    registry: Registry,
    pub http: Arc<HttpMetrics>,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let http = HttpMetrics::register(&mut registry);
        let (pool_size, pool_idle, pool_max): (Gauge, Gauge, Gauge) = Default::default();
        registry.register("db_pool_connections", "Open database connections", pool_size.clone());
        registry.register("db_pool_idle_connections", "Idle database connections", pool_idle.clone());
        registry.register("db_pool_max_connections", "Configured pool size", pool_max.clone());
        Metrics { registry, http, pool_size, pool_idle, pool_max }
    }

    pub fn render(&self, pool: todo_store::PoolStats) -> String {
        self.pool_size.set(pool.size.into());
        self.pool_idle.set(pool.idle.into());
        self.pool_max.set(pool.max.into());
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
