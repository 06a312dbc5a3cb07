-- Each user's private calendar feed (GET /api/calendar/<token>.ics). Only the
-- SHA-256 of the token is kept, like a password: a copy of the database does
-- not reveal a working feed URL. One feed per user; rotating replaces the
-- hash, revoking deletes the row, so an old URL answers 404 at once on every
-- replica. A deleted user's feed goes with the user.
CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
