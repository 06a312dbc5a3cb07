-- Per-user quotas (see the store's Quotas). One row per user holds what the
-- limits compare: the number of tasks and conversations, kept exact by
-- triggers whoever writes (an older version, a fix made by hand in sqlite3),
-- and the chat-turn window. A create updates its user's row in the
-- transaction that inserts (SQLite runs one writer at a time), so the limits
-- hold under concurrency. user_id is no foreign key: users of an external
-- issuer (AUTH_JWKS_URL) have no local account.
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

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
BEGIN
    INSERT OR IGNORE INTO user_quotas (user_id) VALUES (NEW.user_id);
    UPDATE user_quotas SET tasks = tasks + 1 WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
BEGIN
    UPDATE user_quotas SET tasks = tasks - 1 WHERE user_id = OLD.user_id AND tasks > 0;
END;

CREATE TRIGGER conversations_count_insert AFTER INSERT ON conversations
BEGIN
    INSERT OR IGNORE INTO user_quotas (user_id) VALUES (NEW.user_id);
    UPDATE user_quotas SET conversations = conversations + 1 WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER conversations_count_delete AFTER DELETE ON conversations
BEGIN
    UPDATE user_quotas SET conversations = conversations - 1 WHERE user_id = OLD.user_id AND conversations > 0;
END;

INSERT INTO user_quotas (user_id, tasks, conversations)
SELECT u.user_id,
       (SELECT COUNT(*) FROM tasks t WHERE t.user_id = u.user_id),
       (SELECT COUNT(*) FROM conversations c WHERE c.user_id = u.user_id)
FROM (SELECT user_id FROM tasks UNION SELECT user_id FROM conversations) u;

UPDATE conversations SET message_count = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id);
