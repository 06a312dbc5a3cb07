//! The task and user model of todo-app and the validation rules that every entry
//! point (REST API, chat tools, MCP) shares, so a rule is written exactly once.
#![forbid(unsafe_code)]

mod chat;
#[cfg(feature = "openapi")]
pub mod openapi;
mod task;
mod text;
pub mod timestamp;
mod user;
mod validation;

pub use chat::*;
pub use task::*;
pub use text::*;
pub use user::*;
pub use validation::{FieldError, ValidationErrors};
