-- What search compares: the case-folded, normalised title and description
-- (todo_domain::search_fold), computed by the application, because the
-- databases' LOWER() differ outside ASCII (SQLite lowers only A-Z). NULL until
-- the application has computed them: it backfills rows from before this
-- migration at start. search_revision is the revision they were computed for;
-- any other writer raises revision without it (tasks_revision trigger), so a
-- stale row is recognised, searched with LOWER() until the next start
-- recomputes it.
ALTER TABLE tasks ADD COLUMN title_folded TEXT;
ALTER TABLE tasks ADD COLUMN description_folded TEXT;
ALTER TABLE tasks ADD COLUMN search_revision BIGINT;
