-- Per-user quotas (see the store's Quotas). One row per user holds what the
-- limits compare: the number of tasks and conversations, kept exact by
-- triggers whoever writes (an older replica during a rolling upgrade, a fix
-- by hand), and the chat-turn window. A create locks its user's row with a
-- conditional UPDATE in the transaction that inserts, so the limits hold
-- under concurrency and across replicas. user_id is no foreign key: users of
-- an external issuer (AUTH_JWKS_URL) have no local account.
CREATE TABLE user_quotas (
    user_id           TEXT PRIMARY KEY,
    tasks             BIGINT NOT NULL DEFAULT 0,
    conversations     BIGINT NOT NULL DEFAULT 0,
    -- Start (epoch ms) of the current one-minute window and the chat turns in it.
    chat_window_start BIGINT NOT NULL DEFAULT 0,
    chat_turns        BIGINT NOT NULL DEFAULT 0
);

-- Messages of a conversation, counted by the application when a turn starts
-- (the user's message and the reply it reserves room for).
ALTER TABLE conversations ADD COLUMN message_count BIGINT NOT NULL DEFAULT 0;

-- Writers of an older version wait until the counts below are taken and the
-- triggers are in place, so none is missed.
LOCK TABLE tasks, conversations, messages IN SHARE ROW EXCLUSIVE MODE;

CREATE FUNCTION user_quotas_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF TG_TABLE_NAME = 'tasks' THEN
            INSERT INTO user_quotas (user_id, tasks) VALUES (NEW.user_id, 1)
                ON CONFLICT (user_id) DO UPDATE SET tasks = user_quotas.tasks + 1;
        ELSE
            INSERT INTO user_quotas (user_id, conversations) VALUES (NEW.user_id, 1)
                ON CONFLICT (user_id) DO UPDATE SET conversations = user_quotas.conversations + 1;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'tasks' THEN
        UPDATE user_quotas SET tasks = tasks - 1 WHERE user_id = OLD.user_id AND tasks > 0;
    ELSE
        UPDATE user_quotas SET conversations = conversations - 1 WHERE user_id = OLD.user_id AND conversations > 0;
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER tasks_count AFTER INSERT OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION user_quotas_count();
CREATE TRIGGER conversations_count AFTER INSERT OR DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION user_quotas_count();

INSERT INTO user_quotas (user_id, tasks, conversations)
SELECT u.user_id,
       (SELECT COUNT(*) FROM tasks t WHERE t.user_id = u.user_id),
       (SELECT COUNT(*) FROM conversations c WHERE c.user_id = u.user_id)
FROM (SELECT user_id FROM tasks UNION SELECT user_id FROM conversations) u;

UPDATE conversations SET message_count = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id);
