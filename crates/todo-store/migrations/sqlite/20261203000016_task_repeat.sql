-- Recurring tasks: `repeat` is the task's recurrence rule (RFC 5545 RRULE
-- text without "RRULE:", canonical, only on a task with a due); the trash
-- keeps it so a restore brings it back. `repeat_next` is the number of the
-- occurrence that completing this one created: set once, in the complete's
-- transaction, so completing again (after an un-complete, or concurrently on
-- another replica) never creates a second one. The trash does not keep it.
ALTER TABLE tasks ADD COLUMN repeat TEXT;
ALTER TABLE tasks ADD COLUMN repeat_next BIGINT;
ALTER TABLE deleted_tasks ADD COLUMN repeat TEXT;
