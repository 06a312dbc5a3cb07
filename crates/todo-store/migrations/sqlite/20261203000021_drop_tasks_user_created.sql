-- PostgreSQL builds this index concurrently at start instead (crates/todo-store/src/indexes.rs).
-- A prefix of tasks_user_created_number: every query it served, that one serves.
DROP INDEX IF EXISTS tasks_user_created;
