-- Counts the changes of a task: every UPDATE of a task adds one. A task's id and
-- revision name one exact state of it, which lets the API reuse the JSON it
-- rendered for that state (see todo-api's task JSON cache) after checking only
-- these two numbers in the database.
ALTER TABLE tasks ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

-- The application raises it in its own UPDATEs; this raises it for any other
-- writer too (an older version of the app, a fix made by hand in sqlite3), so
-- no cached JSON outlives a change.
CREATE TRIGGER tasks_revision AFTER UPDATE ON tasks
    FOR EACH ROW WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE tasks SET revision = OLD.revision + 1 WHERE id = NEW.id;
END;
