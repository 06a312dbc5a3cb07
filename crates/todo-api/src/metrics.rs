//! Prometheus metrics of the API: the shared HTTP metrics plus database pool
//! gauges, the task JSON cache's use and the session checks, in a registry the
//! app state owns.

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use todo_service::HttpMetrics;

/// The API's Prometheus registry and the handles its code updates.
pub struct Metrics {
    registry: Registry,
    /// Requests by route template, method and status, and their latency.
    pub http: Arc<HttpMetrics>,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    task_cache_pages: Family<[(&'static str, &'static str); 1], Counter>,
    task_cache_bytes: Gauge,
    /// Token checks by where the session came from: `cache` or `database`.
    pub session_checks: Family<[(&'static str, &'static str); 1], Counter>,
}

impl Metrics {
    /// A registry with every API metric family registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let http = HttpMetrics::register(&mut registry);
        let (pool_size, pool_idle, pool_max): (Gauge, Gauge, Gauge) = Default::default();
        registry.register("db_pool_connections", "Open database connections", pool_size.clone());
        registry.register("db_pool_idle_connections", "Idle database connections", pool_idle.clone());
        registry.register("db_pool_max_connections", "Configured pool size", pool_max.clone());
        let task_cache_pages = Family::<[(&'static str, &'static str); 1], Counter>::default();
        registry.register(
            "task_json_cache_pages",
            "Task list pages served from the task JSON cache (hit) or read and rendered in full (miss)",
            task_cache_pages.clone(),
        );
        let task_cache_bytes = Gauge::default();
        registry.register("task_json_cache_bytes", "Bytes held by the task JSON cache", task_cache_bytes.clone());
        let session_checks = Family::<[(&'static str, &'static str); 1], Counter>::default();
        registry.register(
            "session_checks",
            "Session checks of tokens this service issued, by where the session came from: the session cache or the database",
            session_checks.clone(),
        );
        Metrics { registry, http, pool_size, pool_idle, pool_max, task_cache_pages, task_cache_bytes, session_checks }
    }

    /// The registry, to add another service's metrics before the state is built:
    /// the all-in-one launcher serves the web UI's metrics in this one exposition
    /// (a second registry would repeat the HTTP families' HELP and TYPE lines).
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Counts one task list page looked up in the task JSON cache.
    pub fn task_cache_page(&self, hit: bool) {
        self.task_cache_pages.get_or_create(&[("result", if hit { "hit" } else { "miss" })]).inc();
    }

    /// The text exposition, with the pool and cache gauges read just now.
    pub fn render(&self, pool: todo_store::PoolStats, task_cache_bytes: usize) -> String {
        self.task_cache_bytes.set(task_cache_bytes as i64);
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
