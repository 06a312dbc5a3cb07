-- Each user's IANA time zone (validated by the application against the tzdb it
-- bundles); every account from before is in UTC, which is what the dates it
-- saw were computed in.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
-- An all-day due date, as days since 1970-01-01 of the proleptic Gregorian
-- calendar: a day of the owner's calendar, not an instant, so it means the same
-- day whatever zone the owner moves to. At most one of due_at and due_day is
-- set (the application writes them together).
ALTER TABLE tasks ADD COLUMN due_day BIGINT;
