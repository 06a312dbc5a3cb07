-- Counts the changes of a task: every UPDATE of a task adds one. A task's id and
-- revision name one exact state of it, which lets the API reuse the JSON it
-- rendered for that state (see todo-api's task JSON cache) after checking only
-- these two numbers in the database.
ALTER TABLE tasks ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

-- The application raises it in its own UPDATEs; this raises it for any other
-- writer too (a replica of an older version during a rolling upgrade, a fix
-- made by hand in psql), so no cached JSON outlives a change.
CREATE FUNCTION tasks_raise_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revision = OLD.revision THEN
        NEW.revision := OLD.revision + 1;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER tasks_revision BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_raise_revision();
