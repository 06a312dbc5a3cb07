//! What the API and the web service share as HTTP services: their environment
//! and log-format settings, logging with a request id on every line, per-route
//! HTTP metrics, serving HTTP/1.1 with header-read and keep-alive timeouts, a
//! connection cap and a graceful, bounded shutdown, the binaries' shared
//! start-up (`healthcheck`, configuration errors), and the client's address
//! behind trusted proxies.

mod allocator;
mod binary;
mod client_addr;
pub mod config_doc;
pub mod healthcheck;
mod metrics;
mod serve;
mod telemetry;

pub use allocator::return_large_allocations_to_the_os;
pub use binary::{HealthcheckArgs, Server, config_or_exit, run_server};
pub use client_addr::{DEFAULT_TRUSTED_PROXIES, TrustedProxies, throttle_key};
pub use metrics::{HttpMetrics, track_requests};
pub use serve::{ConnectionArgs, ConnectionLimits, serve, shutdown_signal};
pub use telemetry::{LogFilters, REQUEST_ID, default_filter, init_local_logging, init_logging, with_request_tracing};

/// `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AppEnv {
    /// Local development on one machine.
    Development,
    /// A deployment (staging or production).
    Production,
}

/// `LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// JSON when stdout is not a terminal (containers), pretty otherwise.
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Pretty,
}
