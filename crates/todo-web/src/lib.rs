//! The todo-app web frontend as a library: server-rendered pages over the
//! todo-api REST API. The `todo-web` binary and the all-in-one launcher are thin
//! wrappers around [`router`] / [`Application`].

pub mod api;
pub mod app;
pub mod assets;
pub mod config;
pub mod handlers;
pub mod metrics;
pub mod session;
pub mod state;
pub mod telemetry;
pub mod views;

pub use app::{Application, router, shutdown_signal};
pub use config::{ConfigError, WebArgs, WebConfig};
pub use state::WebState;
