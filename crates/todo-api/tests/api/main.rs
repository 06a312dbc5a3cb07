//! The API's integration tests, one binary: the real application on a random
//! port against a fresh database (SQLite and PostgreSQL), and the real
//! `todo-api` binary. One module per area; one link instead of one per file.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test: a panic is the test failing")]

#[macro_use]
mod common;

mod account_settings;
mod accounts;
mod cache_control;
mod calendar;
mod chat;
mod config_doc;
mod cursor_paging;
mod jwks;
mod list_total;
mod mcp;
mod operations;
mod process;
mod quotas;
mod repeat;
mod resilience;
mod search;
mod sessions;
mod sqlite_files;
mod task_cache;
mod task_numbers;
mod tasks;
mod text_input;
mod throttle;
mod time_zones;
mod trash_and_bulk;
