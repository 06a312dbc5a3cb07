-- Counts the changes of a task: every UPDATE of a task adds one. A task's id and
-- revision name one exact state of it, which lets the API reuse the JSON it
-- rendered for that state (see todo-api's task JSON cache) after checking only
-- these two numbers in the database.
ALTER TABLE tasks ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
