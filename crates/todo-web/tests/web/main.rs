//! todo-web's integration tests, one binary: the real web service in front of
//! the real API on a random port (SQLite and PostgreSQL), and the real
//! `todo-web` binary. One module per area; one link instead of one per file.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test: a panic is the test failing")]

mod common;

mod cache_control;
mod config_doc;
mod pages;
mod process;
mod text_input;
mod views;
