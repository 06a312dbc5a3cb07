-- PostgreSQL builds this index concurrently at start instead (crates/todo-store/src/indexes.rs).
-- Keyset paging by title (sort=title orders by LOWER(title), then number).
CREATE INDEX IF NOT EXISTS tasks_user_title_number ON tasks (user_id, LOWER(title), number);
