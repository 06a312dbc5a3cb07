-- Timestamps are Unix epoch milliseconds and tags a JSON array in TEXT,
-- so PostgreSQL and SQLite run the very same queries.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sign_in_failures (
    email        TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

-- user_id is not a foreign key: users signed in through an external issuer
-- (AUTH_JWKS_URL) own tasks without a local account.
CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT,
    completed    BOOLEAN NOT NULL DEFAULT 0,
    priority     SMALLINT NOT NULL DEFAULT 1,
    tags         TEXT NOT NULL DEFAULT '[]',
    due_at       INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    completed_at INTEGER
);

CREATE INDEX tasks_user_created ON tasks (user_id, created_at);
CREATE INDEX tasks_user_due ON tasks (user_id, due_at);
