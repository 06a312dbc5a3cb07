-- Idempotency keys of chat turns: a client that sends the same key again (a retry
-- after a timeout or a lost connection) gets the first answer back instead of a
-- second run of the turn, which would repeat its actions (add a task twice). In
-- the database, so that it holds whichever replica the retry reaches. `answer`
-- is NULL while the turn runs; `status` and `answer` are then the HTTP status
-- and the JSON body (a reply or a problem) the first request was given.
CREATE TABLE chat_turn_keys (
    user_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    status BIGINT,
    answer TEXT,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX chat_turn_keys_claimed_at ON chat_turn_keys (claimed_at);
