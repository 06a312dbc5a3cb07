-- PostgreSQL builds this index concurrently at start instead (crates/todo-store/src/indexes.rs).
-- Keyset paging by creation time (sort=created): the list's order is
-- (created_at, number) per user, so a page past a cursor is one index range.
CREATE INDEX IF NOT EXISTS tasks_user_created_number ON tasks (user_id, created_at, number);
