//! The todo-app backend as a library: configuration, the HTTP router, and the
//! application lifecycle. The `todo-api` binary and the all-in-one launcher are
//! thin wrappers around [`Application`].
#![forbid(unsafe_code)]

pub mod app;
pub mod config;
pub mod error;
pub mod extract;
pub use todo_service::healthcheck;
pub mod mcp;
pub mod metrics;
pub mod routes;
pub mod sessions;
/// What every handler shares: the store, the caches, authentication, metrics.
pub mod state;
pub mod task_cache;

pub use app::Application;
pub use config::{ApiArgs, ApiConfig};
pub use todo_service::shutdown_signal;

/// Logging for the API binaries (see [`todo_service::init_local_logging`]).
pub mod telemetry {
    /// What is logged unless `RUST_LOG` says otherwise: in JSON (containers)
    /// or with `log_requests`, everything at `info`, a line per request included;
    /// on a terminal, start-up and shutdown, warnings and errors.
    pub const FILTERS: todo_service::LogFilters<'static> = todo_service::LogFilters {
        requests: "info,sqlx=warn,tower_http=info",
        quiet: "warn,todo_service=info,todo_store=info",
    };

    /// Starts logging in the given format (see [`FILTERS`]).
    pub fn init(format: todo_service::LogFormat, log_requests: bool) {
        todo_service::init_local_logging(format, log_requests, FILTERS);
    }
}
