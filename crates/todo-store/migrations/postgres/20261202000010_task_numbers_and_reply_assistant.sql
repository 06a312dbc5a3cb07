-- Task numbers people can say ("task 3"): each user's tasks are numbered 1, 2,
-- 3... in creation order, and a number is never given twice, not even after its
-- task is deleted. user_quotas.last_task_number is the highest number the user
-- was given; a create raises it with an upsert in the transaction that inserts
-- the task, which holds the user's row until the commit, so concurrent creates
-- on any number of replicas are numbered one after the other. The counter is in
-- user_quotas rather than users because users of an external issuer
-- (AUTH_JWKS_URL) own tasks without a local account. UNIQUE (user_id, number)
-- makes a duplicate impossible whatever writes.

-- Writers of an older version wait until the numbers are assigned and the
-- trigger below is in place (the migration runs in one transaction, under
-- sqlx's advisory lock, so replicas starting together apply it once).
LOCK TABLE tasks, user_quotas IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE tasks ADD COLUMN number BIGINT;
ALTER TABLE user_quotas ADD COLUMN last_task_number BIGINT NOT NULL DEFAULT 0;

-- Existing tasks: numbered per user by creation order.
UPDATE tasks SET number = numbered.n
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created_at, id) AS n FROM tasks) numbered
WHERE tasks.id = numbered.id;

INSERT INTO user_quotas (user_id) SELECT DISTINCT user_id FROM tasks ON CONFLICT (user_id) DO NOTHING;
UPDATE user_quotas SET last_task_number =
    COALESCE((SELECT MAX(t.number) FROM tasks t WHERE t.user_id = user_quotas.user_id), 0);

CREATE UNIQUE INDEX tasks_user_number ON tasks (user_id, number);

-- The application always sets the number; this numbers a task any other writer
-- inserts without one (a replica of the previous version during a rolling
-- upgrade), so every task has a number.
CREATE FUNCTION tasks_assign_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.number IS NULL THEN
        INSERT INTO user_quotas (user_id, last_task_number) VALUES (NEW.user_id, 1)
            ON CONFLICT (user_id) DO UPDATE SET last_task_number = user_quotas.last_task_number + 1
            RETURNING last_task_number INTO NEW.number;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER tasks_number BEFORE INSERT ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_assign_number();

-- Which assistant wrote a reply: "builtin", or the model provider's name (NULL for the
-- user's messages and for notes that no assistant wrote). The web UI shows it as a small
-- label; the built-in assistant used to start every reply with "(built-in assistant) "
-- instead, which the replies stored so far lose here (the prefix is 21 characters).
ALTER TABLE messages ADD COLUMN assistant TEXT;
UPDATE messages SET assistant = 'builtin', content = SUBSTR(content, 22)
    WHERE role = 'assistant' AND content LIKE '(built-in assistant) %';
