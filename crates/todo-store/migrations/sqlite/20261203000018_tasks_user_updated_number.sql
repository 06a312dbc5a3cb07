-- PostgreSQL builds this index concurrently at start instead (crates/todo-store/src/indexes.rs).
-- Keyset paging by time of change (sort=updated).
CREATE INDEX IF NOT EXISTS tasks_user_updated_number ON tasks (user_id, updated_at, number);
