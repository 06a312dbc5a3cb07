-- Sign-ins. Every token this service issues names its session (the `sid`
-- claim), and the API accepts it only while that session is active: signing
-- out sets revoked_at, which every replica sees at its next look (the API keeps
-- a few seconds' cache of these rows, SESSION_CACHE_TTL_MS). A deleted user's
-- sessions go with the user. last_seen_at is coarse (refreshed at most every
-- few minutes), so checking a session does not write on every request.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

CREATE INDEX sessions_user ON sessions (user_id);
