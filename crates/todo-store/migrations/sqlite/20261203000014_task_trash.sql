-- The trash: a deleted task is moved here (in the delete's transaction) so an
-- undo can put it back with its number, dates, tags and completed state. The
-- columns are the task's as the app reads them (TASK_COLUMNS); the folded
-- search columns are recomputed when it comes back. A task stays restorable
-- for a bounded time (the store's TRASH_RETENTION, one day): older rows are
-- never restored and are purged on the user's next delete; deleting the
-- account purges them, the export includes them.
CREATE TABLE deleted_tasks (
    user_id      TEXT NOT NULL,
    number       BIGINT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT,
    completed    BOOLEAN NOT NULL,
    priority     SMALLINT NOT NULL,
    tags         TEXT NOT NULL,
    due_at       BIGINT,
    due_day      BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    completed_at BIGINT,
    revision     BIGINT NOT NULL,
    deleted_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, number)
);

CREATE INDEX deleted_tasks_user_deleted ON deleted_tasks (user_id, deleted_at);
