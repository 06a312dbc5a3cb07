//! The todo-app backend as a library: configuration, the HTTP router, and the
//! application lifecycle. The `todo-api` binary and the all-in-one launcher are
//! thin wrappers around [`Application`].

pub mod app;
pub mod config;
pub mod error;
pub mod extract;
pub use todo_probe as healthcheck;
pub mod mcp;
pub mod metrics;
pub mod routes;
pub mod state;
pub mod telemetry;

pub use app::{Application, shutdown_signal};
pub use config::{ApiArgs, ApiConfig};
