//! What the API and the web service share as HTTP services: their environment
//! and log-format settings, logging with a request id on every line, per-route
//! HTTP metrics, serving with a graceful, bounded shutdown, and the binaries'
//! shared start-up (`healthcheck`, configuration errors).

mod binary;
pub mod config_doc;
mod metrics;
mod serve;
mod telemetry;

pub use binary::{HealthcheckArgs, Server, config_or_exit, run_server};
pub use metrics::{HttpMetrics, track_requests};
pub use serve::{serve, shutdown_signal};
pub use telemetry::{REQUEST_ID, init_logging, with_request_tracing};

/// `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AppEnv {
    Development,
    Production,
}

/// `LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// JSON when stdout is not a terminal (containers), pretty otherwise.
    Auto,
    Json,
    Pretty,
}
