//! The task and user model of todo-app and the validation rules that every entry
//! point (REST API, chat tools, MCP) shares, so a rule is written exactly once.
#![forbid(unsafe_code)]

mod chat;
mod cursor;
mod export;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod recurrence;
mod task;
mod text;
pub mod timestamp;
mod user;
mod validation;
pub mod zone;

pub use chat::*;
pub use cursor::{CURSOR_MAX_CHARS, CursorValue, PageCursor};
pub use export::*;
pub use recurrence::{Due, Recurrence, validate_repeat};
pub use task::*;
pub use text::*;
pub use user::*;
pub use validation::{FieldError, ValidationErrors};
pub use zone::{DEFAULT_TIME_ZONE, lookup_time_zone, time_zone_or_utc, validate_time_zone};
