-- Throttle counters for sign-in and sign-up, one row per key: "sign-in" per
-- email and client address, "sign-in" per client address across emails, and
-- "sign-up" per client address. A sign-in attempt is counted when it is admitted,
-- before its password is checked, in one statement, so concurrent guesses on any
-- number of replicas cannot all pass a check made before any of them failed.
-- sign_in_failures (the per-email counter of earlier versions) is no longer
-- read; it stays so that a replica of the previous version keeps working during
-- a rolling upgrade.
CREATE TABLE auth_throttle (
    key           TEXT PRIMARY KEY,
    attempts      INTEGER NOT NULL,
    -- When counting started (ms since the epoch); counts older than the
    -- throttle's window start over.
    window_start  BIGINT NOT NULL,
    -- Until when attempts are refused (ms since the epoch; 0: not locked).
    locked_until  BIGINT NOT NULL,
    -- A random value written by the last admitted attempt, so that the attempt
    -- can tell from the returned row that it, and not a concurrent one, was let in.
    admitted_by   TEXT NOT NULL
);
