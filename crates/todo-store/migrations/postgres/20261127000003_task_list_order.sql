-- The default list order is created_at, then id (both in one direction). With id
-- in the index, a page is read straight off the index, newest first, instead of
-- sorting every task of the user on each request.
CREATE INDEX tasks_user_created_id ON tasks (user_id, created_at, id);
DROP INDEX tasks_user_created;
