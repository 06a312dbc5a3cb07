-- PostgreSQL builds this index concurrently at start instead (crates/todo-store/src/indexes.rs).
-- The list broke ties on the row's id; it breaks them on the task's number now
-- (tasks_user_created_number), so this index only cost writes.
DROP INDEX IF EXISTS tasks_user_created_id;
