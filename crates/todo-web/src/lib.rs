//! The todo-app web frontend as a library: server-rendered pages over the
//! todo-api REST API. The `todo-web` binary and the all-in-one launcher are thin
//! wrappers around [`router`] / [`Application`].
#![forbid(unsafe_code)]

mod api;
mod app;
mod assets;
mod auth;
mod chat;
pub mod config;
mod extract;
mod layout;
pub mod metrics;
mod ops;
mod page;
mod session;
mod settings;
mod state;
mod tasks;

pub use app::{Application, router};
pub use config::{ConfigError, WebArgs, WebConfig};
pub use state::WebState;
pub use todo_service::shutdown_signal;

/// Logging for the web binary (see [`todo_service::init_logging`]).
pub mod telemetry {
    /// Starts logging in `format`, at info level unless RUST_LOG says otherwise.
    pub fn init(format: todo_service::LogFormat) {
        todo_service::init_logging(format, "info,tower_http=info");
    }
}
