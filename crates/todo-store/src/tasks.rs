use chrono::{DateTime, Datelike, TimeZone, Utc};
use todo_domain::{CursorValue, Due, DueFilter, PageCursor, Priority, Recurrence, Task, TaskChanges, TaskCounts};
use todo_domain::{TaskDraft, TaskFilter, TaskPage, search_fold};

use crate::db::from_row_by_position;
use crate::quotas;
use crate::sql::{TASK_COLUMN_COUNT, TASK_COLUMNS, TOTAL_BOUND, day_number, day_of_number};
use crate::{Arg, COUNT_QUOTA_RETRY_AFTER_SECS, Quota, Store, StoreError, TaskQuery, build_task_query};

/// One row of [`TASK_COLUMNS`], decoded by position and without sqlx's per-value
/// type check: by name, sqlx hashes every column name of every row, and the check
/// compares type descriptors; together about 10% of a 100-task list's CPU. The
/// columns and their types are ours, and every integration test decodes them on
/// both databases.
struct TaskRow {
    number: i64,
    user_id: String,
    title: String,
    description: Option<String>,
    completed: bool,
    priority: i16,
    tags: String,
    due_at: Option<i64>,
    due_day: Option<i64>,
    created_at: i64,
    updated_at: i64,
    completed_at: Option<i64>,
    revision: i64,
    repeat: Option<String>,
}

/// A row of a list page: the task and the total number of matches.
struct ListedTaskRow {
    task: TaskRow,
    total: i64,
    key: Vec<CursorValue>,
}

from_row_by_position!(unchecked TaskRow {
    number, user_id, title, description, completed, priority, tags, due_at, due_day, created_at, updated_at, completed_at, revision,
    repeat,
});

/// The number a create took from the user's counter.
struct NumberRow {
    number: i64,
}
from_row_by_position!(NumberRow { number });

/// The row of [`Store::task_counts`].
struct CountsRow {
    all: i64,
    completed: i64,
    overdue: i64,
    today: i64,
    upcoming: i64,
}
from_row_by_position!(CountsRow { all, completed, overdue, today, upcoming });

/// A row of [`crate::TaskQuery::refs_sql`].
struct TaskRefRow {
    number: i64,
    revision: i64,
    total: i64,
    key: Vec<CursorValue>,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for TaskRefRow
where
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(r: &'r R) -> sqlx::Result<Self> {
        Ok(TaskRefRow { number: r.try_get(0)?, revision: r.try_get(1)?, total: r.try_get(2)?, key: sort_key(r, 3)? })
    }
}

/// The sort key a page row carries from column `first` on (see
/// [`crate::sql::TaskQuery`]): numbers, or the text of a title sort. The type
/// check tells them apart, on both databases.
fn sort_key<'r, R: sqlx::Row>(r: &'r R, first: usize) -> sqlx::Result<Vec<CursorValue>>
where
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    (first..r.len())
        .map(|i| match r.try_get::<i64, _>(i) {
            Ok(n) => Ok(CursorValue::Int(n)),
            Err(_) => r.try_get::<String, _>(i).map(CursorValue::Text),
        })
        .collect()
}

/// One exact state of one of a user's tasks: its number and how many times it
/// has been changed. A user's numbers are never reused (the counter in
/// `user_quotas` only goes up) and every update adds one to the revision, so
/// for one user equal refs mean equal tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaskRef {
    /// The task's number among its user's tasks.
    pub number: i64,
    /// How many times it has been changed.
    pub revision: i64,
}

/// A page of a task list as [`TaskRef`]s, with the total number of matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRefPage {
    /// The page, in list order.
    pub refs: Vec<TaskRef>,
    /// How many tasks match, over all pages, up to [`crate::TOTAL_BOUND`].
    pub total: i64,
    /// False when more than [`crate::TOTAL_BOUND`] tasks match: `total` is
    /// then the bound, a lower bound of the matches.
    pub total_exact: bool,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
}

/// A page of tasks with each task's revision (`revisions[i]` is `page.tasks[i]`'s).
#[derive(Debug, Clone)]
pub struct RevisedTaskPage {
    /// The tasks and the total.
    pub page: TaskPage,
    /// Each task's revision, in page order.
    pub revisions: Vec<i64>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
}

/// Cuts the extra row a page query reads (see [`crate::sql::TaskQuery`]) and
/// makes the cursor of the next page from the last row kept.
fn next_page<T>(
    rows: &mut Vec<T>,
    filter: &TaskFilter,
    q: &TaskQuery,
    key: impl Fn(&T) -> &[CursorValue],
) -> Option<PageCursor> {
    let limit = filter.limit as usize;
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    let last = rows.last()?;
    Some(PageCursor {
        sort: filter.sort,
        order: filter.order,
        zone_offset_ms: q.zone_offset_ms,
        key: key(last).to_vec(),
    })
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for ListedTaskRow
where
    TaskRow: sqlx::FromRow<'r, R>,
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(r: &'r R) -> sqlx::Result<Self> {
        Ok(ListedTaskRow {
            task: TaskRow::from_row(r)?,
            total: r.try_get(TASK_COLUMN_COUNT)?,
            key: sort_key(r, TASK_COLUMN_COUNT + 1)?,
        })
    }
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl From<TaskRow> for Task {
    fn from(r: TaskRow) -> Task {
        Task {
            id: r.number,
            user_id: r.user_id,
            title: r.title,
            description: r.description,
            completed: r.completed,
            priority: Priority::from_rank(r.priority),
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            due_at: r.due_at.map(from_millis),
            due_date: r.due_day.and_then(day_of_number),
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
            completed_at: r.completed_at.map(from_millis),
            repeat: r.repeat,
        }
    }
}

/// The start of a `search_revision = CASE WHEN ... OR <cond> THEN ...` clause of
/// an UPDATE that raises `revision`: the folded columns stay current when they
/// were (every UPDATE of the app sets them with the texts it changes), or when
/// `<cond>` says the statement sets both; a row another writer changed stays
/// stale until [`Store::refresh_search_columns`] recomputes it.
const KEEP_SEARCH_FRESH_UNLESS: &str = "search_revision = CASE WHEN search_revision = revision OR";

fn folded_description(description: Option<&str>) -> String {
    description.map(search_fold).unwrap_or_default()
}

/// A task whose folded search columns are missing or stale.
struct StaleSearchRow {
    id: i64,
    revision: i64,
    title: String,
    description: Option<String>,
}
from_row_by_position!(StaleSearchRow { id, revision, title, description });

/// Rows recomputed per round trip of [`Store::refresh_search_columns`].
const REFRESH_BATCH: i64 = 500;

/// A counted total (which counts at most one past the bound) as the total
/// clients see and whether it is exact.
fn bounded(counted: i64) -> (i64, bool) {
    (counted.min(TOTAL_BOUND), counted <= TOTAL_BOUND)
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Creates a task for a user, within the user's task quota, with the next
    /// number of the user's counter.
    pub async fn create_task(&self, user_id: &str, draft: &TaskDraft) -> Result<Task, StoreError> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.db.begin().await?;
        let row = insert_task(&mut tx, user_id, draft, now).await?;
        self.commit_within_task_quota(tx, user_id).await?;
        Ok(row)
    }

    /// Every task of the user, by number (for the export).
    pub async fn all_tasks(&self, user_id: &str) -> Result<Vec<Task>, StoreError> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE user_id = $1 ORDER BY number");
        let rows: Vec<TaskRow> = self.db.fetch_all(&sql, &[Arg::Text(user_id.into())]).await?;
        Ok(rows.into_iter().map(Task::from).collect())
    }

    /// One of the user's tasks; [`StoreError::NotFound`] for any other.
    pub async fn get_task(&self, user_id: &str, id: i64) -> Result<Task, StoreError> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE number = $1 AND user_id = $2");
        let row: Option<TaskRow> = self.db.fetch_optional(&sql, &[Arg::I64(id), Arg::Text(user_id.into())]).await?;
        row.map(Task::from).ok_or(StoreError::NotFound)
    }

    /// One page of the user's tasks that match the filter, with the total.
    pub async fn list_tasks(&self, user_id: &str, filter: &TaskFilter) -> Result<TaskPage, StoreError> {
        Ok(self.list_tasks_revised(user_id, filter).await?.page)
    }

    /// [`Store::list_tasks`], with each task's revision.
    pub async fn list_tasks_revised(&self, user_id: &str, filter: &TaskFilter) -> Result<RevisedTaskPage, StoreError> {
        let filter = &self.with_zone(user_id, filter).await?;
        let q = build_task_query(user_id, filter, Utc::now());
        let mut rows: Vec<ListedTaskRow> = self.db.fetch_all(&q.select_sql, &q.page_args).await?;
        let first_total = rows.first().map(|r| r.total);
        let (total, total_exact) = bounded(self.total_of_page(&q, filter, first_total).await?);
        let next = next_page(&mut rows, filter, &q, |r| &r.key);
        let revisions = rows.iter().map(|r| r.task.revision).collect();
        let tasks = rows.into_iter().map(|r| Task::from(r.task)).collect();
        Ok(RevisedTaskPage { page: TaskPage { tasks, total, total_exact }, revisions, next })
    }

    /// The same page as [`Store::list_tasks`], as ids and revisions only: about a
    /// sixth of the values to send and decode.
    pub async fn list_task_refs(&self, user_id: &str, filter: &TaskFilter) -> Result<TaskRefPage, StoreError> {
        let filter = &self.with_zone(user_id, filter).await?;
        let q = build_task_query(user_id, filter, Utc::now());
        let mut rows: Vec<TaskRefRow> = self.db.fetch_all(&q.refs_sql, &q.page_args).await?;
        let (total, total_exact) = bounded(self.total_of_page(&q, filter, rows.first().map(|r| r.total)).await?);
        let next = next_page(&mut rows, filter, &q, |r| &r.key);
        Ok(TaskRefPage {
            refs: rows.iter().map(|r| TaskRef { number: r.number, revision: r.revision }).collect(),
            total,
            total_exact,
            next,
        })
    }

    /// `filter` with the user's time zone filled in when answering needs it
    /// and the caller has not (see [`TaskFilter::needs_zone`]); a caller that
    /// lists twice fills it once with [`Store::resolve_zone`].
    async fn with_zone<'f>(
        &self,
        user_id: &str,
        filter: &'f TaskFilter,
    ) -> Result<std::borrow::Cow<'f, TaskFilter>, StoreError> {
        if !filter.needs_zone() {
            return Ok(std::borrow::Cow::Borrowed(filter));
        }
        let mut f = filter.clone();
        f.time_zone = Some(self.user_time_zone(user_id).await?);
        Ok(std::borrow::Cow::Owned(f))
    }

    /// Fills in the user's time zone when the filter needs it, so that several
    /// lists with it read the account once.
    pub async fn resolve_zone(&self, user_id: &str, filter: &mut TaskFilter) -> Result<(), StoreError> {
        if filter.needs_zone() {
            filter.time_zone = Some(self.user_time_zone(user_id).await?);
        }
        Ok(())
    }

    /// The total a page's first row carries; a page past the end has none, so it
    /// is counted separately.
    async fn total_of_page(
        &self,
        q: &TaskQuery,
        filter: &TaskFilter,
        first_row_total: Option<i64>,
    ) -> Result<i64, StoreError> {
        match first_row_total {
            Some(total) => Ok(total),
            None if filter.offset == 0 && filter.after.is_none() => Ok(0),
            None => self.db.fetch_count(&q.count_sql, &q.filter_args).await,
        }
    }

    /// Applies `changes` in one statement, so concurrent updates never interleave
    /// halfway and `completed_at` follows `completed` atomically; see
    /// [`Store::update_task_next`] for what completing a recurring task does.
    pub async fn update_task(&self, user_id: &str, id: i64, changes: &TaskChanges) -> Result<Task, StoreError> {
        Ok(self.update_task_next(user_id, id, changes).await?.task)
    }

    /// [`Store::update_task`], with the next occurrence it created: completing a
    /// recurring task (pending until now) creates its next occurrence in the
    /// same transaction, within the task quota (over it, nothing changes).
    /// Setting a rule on a task that has no due is a [`StoreError::Conflict`]
    /// starting with [`REPEAT_NEEDS_DUE`].
    pub async fn update_task_next(
        &self,
        user_id: &str,
        id: i64,
        changes: &TaskChanges,
    ) -> Result<UpdatedTask, StoreError> {
        let now = Utc::now().timestamp_millis();
        let completes = changes.completed == Some(true);
        if !completes && !matches!(changes.repeat, Some(Some(_))) {
            let (sql, args) = update_statement(user_id, id, changes, now);
            let row: Option<TaskRow> = self.db.fetch_optional(&sql, &args).await?;
            return row.map(|r| UpdatedTask { task: Task::from(r), next: None }).ok_or(StoreError::NotFound);
        }
        let tz = if completes { Some(self.user_time_zone(user_id).await?) } else { None };
        let mut tx = self.db.begin().await?;
        match update_in_tx(&mut tx, user_id, id, changes, now, tz.as_ref()).await? {
            Ok(updated) => {
                self.commit_creating(tx, user_id, updated.next.is_some()).await?;
                Ok(updated)
            }
            Err(rejection) => {
                tx.rollback().await?;
                Err(rejection.into())
            }
        }
    }

    /// Flips `completed` (and `completed_at`) in one statement; completing a
    /// recurring task creates its next occurrence as [`Store::update_task_next`] does.
    pub async fn toggle_task(&self, user_id: &str, id: i64) -> Result<Task, StoreError> {
        Ok(self.toggle_task_next(user_id, id).await?.task)
    }

    /// [`Store::toggle_task`], with the next occurrence it created.
    pub async fn toggle_task_next(&self, user_id: &str, id: i64) -> Result<UpdatedTask, StoreError> {
        let sql = format!(
            "UPDATE tasks SET completed = NOT completed, \
               completed_at = CASE WHEN completed THEN NULL ELSE $3 END, updated_at = $3, \
               {KEEP_SEARCH_FRESH_UNLESS} FALSE THEN revision + 1 ELSE search_revision END, \
               revision = revision + 1 \
             WHERE number = $1 AND user_id = $2 RETURNING {TASK_COLUMNS}"
        );
        let now = Utc::now().timestamp_millis();
        let tz = self.user_time_zone(user_id).await?;
        let args = [Arg::I64(id), Arg::Text(user_id.into()), Arg::I64(now)];
        let mut tx = self.db.begin().await?;
        let Some(task) = tx.fetch_optional::<TaskRow>(&sql, &args).await?.map(Task::from) else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        // The statement holds the row until the commit, and each toggle flips
        // it: of two concurrent toggles one completes and one un-completes.
        let next = if task.completed { create_next(&mut tx, user_id, &task, &tz, now).await? } else { None };
        self.commit_creating(tx, user_id, next.is_some()).await?;
        Ok(UpdatedTask { task, next })
    }

    /// Computes the folded search columns of the tasks that lack them (written
    /// before they existed, or since changed by another writer, such as an
    /// older replica during a rolling upgrade). Run at start, after the
    /// migrations; returns how many tasks it updated. Each row is updated only
    /// if it is still at the revision it was read at, so concurrent writers
    /// (or replicas starting together) never get an outdated value.
    pub async fn refresh_search_columns(&self) -> Result<u64, StoreError> {
        let mut after = 0i64;
        let mut refreshed = 0;
        loop {
            let rows: Vec<StaleSearchRow> = self
                .db
                .fetch_all(
                    "SELECT id, revision, title, description FROM tasks \
                     WHERE (search_revision IS NULL OR search_revision <> revision) AND id > $1 ORDER BY id LIMIT $2",
                    &[Arg::I64(after), Arg::I64(REFRESH_BATCH)],
                )
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for r in &rows {
                // The revision goes up with search_revision: an UPDATE that left
                // it alone would be raised by the tasks_revision trigger.
                refreshed += self
                    .db
                    .execute(
                        "UPDATE tasks SET title_folded = $3, description_folded = $4, \
                           search_revision = revision + 1, revision = revision + 1 \
                         WHERE id = $1 AND revision = $2",
                        &[
                            Arg::I64(r.id),
                            Arg::I64(r.revision),
                            Arg::Text(search_fold(&r.title)),
                            Arg::Text(folded_description(r.description.as_deref())),
                        ],
                    )
                    .await?;
            }
        }
        Ok(refreshed)
    }

    /// Deletes one of the user's tasks and returns it as it was. The task goes
    /// to the trash, from which [`Store::restore_task`] can bring it back for
    /// [`TRASH_RETENTION_MS`].
    pub async fn delete_task(&self, user_id: &str, id: i64) -> Result<Task, StoreError> {
        let mut tx = self.db.begin().await?;
        let Some(task) = trash_task(&mut tx, user_id, id, Utc::now().timestamp_millis()).await? else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        tx.commit().await?;
        Ok(task)
    }

    /// Brings a deleted task back from the trash: its number, dates, tags and
    /// completed state as they were. [`StoreError::NotFound`] when it was never
    /// deleted, has been restored already (so two restores at once make one
    /// task) or was deleted longer ago than [`TRASH_RETENTION_MS`]; within the
    /// task quota like a create.
    pub async fn restore_task(&self, user_id: &str, id: i64) -> Result<Task, StoreError> {
        let mut tx = self.db.begin().await?;
        let Some(task) = untrash_task(&mut tx, user_id, id, Utc::now().timestamp_millis()).await? else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        self.commit_within_task_quota(tx, user_id).await?;
        Ok(task)
    }

    /// Commits `tx`, within the task quota when it `created` a task.
    async fn commit_creating(&self, tx: crate::db::Tx, user_id: &str, created: bool) -> Result<(), StoreError> {
        if created { self.commit_within_task_quota(tx, user_id).await } else { tx.commit().await }
    }

    /// Commits `tx` unless the user's task count, raised by its inserts, is
    /// over the quota (then nothing is written).
    async fn commit_within_task_quota(&self, mut tx: crate::db::Tx, user_id: &str) -> Result<(), StoreError> {
        let limit = self.quotas.tasks_per_user;
        if limit > 0 && quotas::count(&mut tx, user_id, quotas::Column::Tasks).await? > i64::from(limit) {
            tx.rollback().await?;
            return Err(StoreError::QuotaExceeded {
                quota: Quota::Tasks,
                limit,
                retry_after_secs: COUNT_QUOTA_RETRY_AFTER_SECS,
            });
        }
        tx.commit().await
    }

    /// How many tasks each view has, in one query, with "today" in the user's zone.
    pub async fn task_counts(&self, user_id: &str) -> Result<TaskCounts, StoreError> {
        let now = Utc::now();
        let filter = |due| TaskFilter { due: Some(due), ..Default::default() };
        let mut today = filter(DueFilter::Today);
        self.resolve_zone(user_id, &mut today).await?;
        let week = TaskFilter { due: Some(DueFilter::Week), ..today.clone() };
        let (Some((Some(today_start), tomorrow)), Some((Some(today_day), tomorrow_day))) =
            (today.due_window(now), today.due_days(now))
        else {
            return Err(StoreError::Internal("no today window".into()));
        };
        let (Some((_, week_end)), Some((_, week_end_day))) = (week.due_window(now), week.due_days(now)) else {
            return Err(StoreError::Internal("no week window".into()));
        };
        let sql = "SELECT COUNT(*), COUNT(*) FILTER (WHERE completed), \
              COUNT(*) FILTER (WHERE NOT completed AND (due_at < $2 OR due_day < $3)), \
              COUNT(*) FILTER (WHERE NOT completed AND (due_at < $4 OR due_day < $5)), \
              COUNT(*) FILTER (WHERE NOT completed AND ((due_at >= $6 AND due_at < $7) OR (due_day >= $3 AND due_day < $8))) \
            FROM tasks WHERE user_id = $1";
        let args = [
            Arg::Text(user_id.into()),
            Arg::I64(now.timestamp_millis()),
            Arg::I64(day_number(today_day)),
            Arg::I64(tomorrow.timestamp_millis()),
            Arg::I64(day_number(tomorrow_day)),
            Arg::I64(today_start.timestamp_millis()),
            Arg::I64(week_end.timestamp_millis()),
            Arg::I64(day_number(week_end_day)),
        ];
        let rows: Vec<CountsRow> = self.db.fetch_all(sql, &args).await?;
        let r = rows.first().ok_or(StoreError::Internal("no count row".into()))?;
        Ok(TaskCounts {
            all: r.all,
            pending: r.all - r.completed,
            completed: r.completed,
            overdue: r.overdue,
            today: r.today,
            upcoming: r.upcoming,
        })
    }

    /// The user's deleted tasks that can still be restored, by number (for the export).
    pub async fn trashed_tasks(&self, user_id: &str) -> Result<Vec<Task>, StoreError> {
        let sql =
            format!("SELECT {TASK_COLUMNS} FROM deleted_tasks WHERE user_id = $1 AND deleted_at >= $2 ORDER BY number");
        let since = Utc::now().timestamp_millis() - TRASH_RETENTION_MS;
        let rows: Vec<TaskRow> = self.db.fetch_all(&sql, &[Arg::Text(user_id.into()), Arg::I64(since)]).await?;
        Ok(rows.into_iter().map(Task::from).collect())
    }

    /// Applies one action to several of the user's tasks in one transaction:
    /// all of them or, when one is missing (or would break a rule), none.
    pub async fn bulk_tasks(&self, user_id: &str, items: &[(i64, BulkAction)]) -> Result<BulkResult, StoreError> {
        let now = Utc::now().timestamp_millis();
        let completes = items.iter().any(|(_, a)| matches!(a, BulkAction::Update(c) if c.completed == Some(true)));
        let tz = if completes { Some(self.user_time_zone(user_id).await?) } else { None };
        let mut tx = self.db.begin().await?;
        let mut before = Vec::with_capacity(items.len());
        let mut after = Vec::with_capacity(items.len());
        let mut next = Vec::new();
        let mut restored = false;
        for (id, action) in items {
            let id = *id;
            let current = match action {
                BulkAction::Restore => None,
                _ => {
                    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE number = $1 AND user_id = $2");
                    let row: Option<TaskRow> =
                        tx.fetch_optional(&sql, &[Arg::I64(id), Arg::Text(user_id.into())]).await?;
                    match row {
                        Some(r) => Some(Task::from(r)),
                        None => {
                            tx.rollback().await?;
                            return Ok(Err(BulkRejection::NotFound(id)));
                        }
                    }
                }
            };
            let changed = match action {
                BulkAction::Update(changes) => {
                    match update_in_tx(&mut tx, user_id, id, changes, now, tz.as_ref()).await? {
                        Ok(updated) => {
                            next.extend(updated.next);
                            Some(updated.task)
                        }
                        Err(rejection) => {
                            tx.rollback().await?;
                            return Ok(Err(match rejection {
                                UpdateRejection::NotFound => BulkRejection::NotFound(id),
                                UpdateRejection::RepeatNeedsDue => BulkRejection::RepeatNeedsDue(id),
                            }));
                        }
                    }
                }
                BulkAction::AddTags(tags) => {
                    let mut merged = current.as_ref().map(|t| t.tags.clone()).unwrap_or_default();
                    for t in tags {
                        if !merged.contains(t) {
                            merged.push(t.clone());
                        }
                    }
                    if merged.len() > todo_domain::MAX_TAGS {
                        tx.rollback().await?;
                        return Ok(Err(BulkRejection::TooManyTags(id)));
                    }
                    let changes = TaskChanges { tags: Some(merged), ..Default::default() };
                    let (sql, args) = update_statement(user_id, id, &changes, now);
                    tx.fetch_optional::<TaskRow>(&sql, &args).await?.map(Task::from)
                }
                BulkAction::Delete => trash_task(&mut tx, user_id, id, now).await?,
                BulkAction::Restore => {
                    restored = true;
                    untrash_task(&mut tx, user_id, id, now).await?
                }
            };
            let Some(changed) = changed else {
                tx.rollback().await?;
                return Ok(Err(BulkRejection::NotFound(id)));
            };
            before.push(current.unwrap_or_else(|| changed.clone()));
            after.push(changed);
        }
        self.commit_creating(tx, user_id, restored || !next.is_empty()).await?;
        Ok(Ok(BulkOutcome { before, after, next }))
    }
}

/// How long a deleted task stays in the trash and can be restored: one day.
/// Older rows are never restored, and each delete purges its user's.
pub const TRASH_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// What [`Store::bulk_tasks`] does to one task.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkAction {
    /// Change these fields.
    Update(TaskChanges),
    /// Add these (valid, normalised) tags to the task's.
    AddTags(Vec<String>),
    /// Move to the trash.
    Delete,
    /// Bring back from the trash.
    Restore,
}

/// The tasks of a bulk action before and after it, in request order (for a
/// delete, after is the task as it was deleted; for a restore, before is as
/// it was restored).
#[derive(Debug, Clone)]
pub struct BulkOutcome {
    /// Each task as it was.
    pub before: Vec<Task>,
    /// Each task as it is now.
    pub after: Vec<Task>,
    /// The next occurrences that completing recurring tasks created, in request order.
    pub next: Vec<Task>,
}

/// Why a bulk action changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkRejection {
    /// This task is not the user's (or, for a restore, not in the trash).
    NotFound(i64),
    /// Adding the tags would give this task more than `MAX_TAGS`.
    TooManyTags(i64),
    /// The changes give this task a `repeat` but it has no due.
    RepeatNeedsDue(i64),
}

/// The start of the conflict's message when a change sets a `repeat` on a
/// task without a due (the field the client must fix comes first).
pub const REPEAT_NEEDS_DUE: &str = "repeat: the task has no due_date or due_at to count from";

/// A task as an update left it, and the next occurrence the update created
/// when it completed a recurring task.
#[derive(Debug, Clone)]
pub struct UpdatedTask {
    /// The task, changed.
    pub task: Task,
    /// The recurring task's next occurrence, when this update created it.
    pub next: Option<Task>,
}

/// Why [`update_in_tx`] changed nothing (the caller rolls back).
enum UpdateRejection {
    NotFound,
    RepeatNeedsDue,
}

impl From<UpdateRejection> for StoreError {
    fn from(r: UpdateRejection) -> StoreError {
        match r {
            UpdateRejection::NotFound => StoreError::NotFound,
            UpdateRejection::RepeatNeedsDue => StoreError::Conflict(REPEAT_NEEDS_DUE.into()),
        }
    }
}

/// Applies `changes` in the caller's transaction; when they complete a task
/// that was pending (`tz`, the user's zone, is then given), creates the next
/// occurrence of a recurring one. Which of several concurrent completes
/// creates it is decided by a conditional UPDATE (`... AND NOT completed`):
/// it holds the row until the commit, so a second complete waits for the
/// first and then finds the task completed; and the number of the occurrence
/// created is kept on the task (`repeat_next`), so completing it again after
/// an un-complete creates none either.
async fn update_in_tx(
    tx: &mut crate::db::Tx,
    user_id: &str,
    id: i64,
    changes: &TaskChanges,
    now: i64,
    tz: Option<&jiff::tz::TimeZone>,
) -> Result<Result<UpdatedTask, UpdateRejection>, StoreError> {
    let mut won = false;
    if let (Some(true), Some(_)) = (changes.completed, tz) {
        let sql = format!(
            "UPDATE tasks SET completed = TRUE, completed_at = $3, updated_at = $3, \
               {KEEP_SEARCH_FRESH_UNLESS} FALSE THEN revision + 1 ELSE search_revision END, \
               revision = revision + 1 \
             WHERE number = $1 AND user_id = $2 AND NOT completed"
        );
        won = tx.execute(&sql, &[Arg::I64(id), Arg::Text(user_id.into()), Arg::I64(now)]).await? > 0;
    }
    let (sql, args) = update_statement(user_id, id, changes, now);
    let Some(task) = tx.fetch_optional::<TaskRow>(&sql, &args).await?.map(Task::from) else {
        return Ok(Err(UpdateRejection::NotFound));
    };
    if matches!(changes.repeat, Some(Some(_))) && task.repeat.is_none() {
        return Ok(Err(UpdateRejection::RepeatNeedsDue));
    }
    let next = match tz {
        Some(tz) if won => create_next(tx, user_id, &task, tz, now).await?,
        _ => None,
    };
    Ok(Ok(UpdatedTask { task, next }))
}

/// The `repeat_next` of a task.
struct RepeatNextRow {
    repeat_next: Option<i64>,
}
from_row_by_position!(RepeatNextRow { repeat_next });

/// Creates the next occurrence of `task`, just completed in this transaction
/// (which holds its row), unless it does not repeat, its rule has no
/// occurrence after this one (UNTIL), or an earlier complete created one
/// already. The copy keeps the title, description, priority, tags and rule;
/// its due is the rule's next after the task's, in the user's zone `tz` (a
/// time of day stays the same wall-clock time across a DST change).
async fn create_next(
    tx: &mut crate::db::Tx,
    user_id: &str,
    task: &Task,
    tz: &jiff::tz::TimeZone,
    now: i64,
) -> Result<Option<Task>, StoreError> {
    let Some(rule_text) = &task.repeat else { return Ok(None) };
    let Ok(rule) = Recurrence::parse(rule_text) else { return Ok(None) };
    let start = match (task.due_at, task.due_date) {
        (Some(at), _) => Due::At(at),
        (None, Some(day)) => Due::Date(day),
        (None, None) => return Ok(None),
    };
    let (due_at, due_date) = match rule.next_after(start, start, tz) {
        Some(Due::At(at)) if (0..=9999).contains(&at.year()) => (Some(at), None),
        Some(Due::Date(day)) if (0..=9999).contains(&day.year()) => (None, Some(day)),
        _ => return Ok(None),
    };
    let args = [Arg::I64(task.id), Arg::Text(user_id.into())];
    let rows: Vec<RepeatNextRow> =
        tx.fetch_all("SELECT repeat_next FROM tasks WHERE number = $1 AND user_id = $2", &args).await?;
    if rows.first().is_none_or(|r| r.repeat_next.is_some()) {
        return Ok(None);
    }
    let draft = TaskDraft {
        title: task.title.clone(),
        description: task.description.clone(),
        priority: task.priority,
        tags: task.tags.clone(),
        due_at,
        due_date,
        completed: None,
        repeat: Some(rule_text.clone()),
    };
    let next = insert_task(tx, user_id, &draft, now).await?;
    let sql = format!(
        "UPDATE tasks SET repeat_next = $3, \
           {KEEP_SEARCH_FRESH_UNLESS} FALSE THEN revision + 1 ELSE search_revision END, revision = revision + 1 \
         WHERE number = $1 AND user_id = $2"
    );
    tx.execute(&sql, &[Arg::I64(task.id), Arg::Text(user_id.into()), Arg::I64(next.id)]).await?;
    Ok(Some(next))
}

/// The result of [`Store::bulk_tasks`]: done, or rejected with nothing written.
pub type BulkResult = Result<BulkOutcome, BulkRejection>;

/// The UPDATE of [`Store::update_task`], for a transaction too.
fn update_statement(user_id: &str, id: i64, changes: &TaskChanges, now: i64) -> (String, Vec<Arg>) {
    let sql = format!(
        "UPDATE tasks SET \
           title = COALESCE($3, title), \
           description = CASE WHEN $4 THEN $5 ELSE description END, \
           priority = COALESCE($6, priority), \
           tags = COALESCE($7, tags), \
           due_at = CASE WHEN $8 THEN $9 ELSE due_at END, \
           due_day = CASE WHEN $15 THEN $16 ELSE due_day END, \
           repeat = CASE WHEN (CASE WHEN $8 THEN $9 ELSE due_at END) IS NULL \
                          AND (CASE WHEN $15 THEN $16 ELSE due_day END) IS NULL THEN NULL \
                         WHEN $17 THEN $18 ELSE repeat END, \
           completed_at = CASE WHEN $10 AND $11 AND NOT completed THEN $12 \
                               WHEN $10 AND NOT $11 THEN NULL ELSE completed_at END, \
           completed = CASE WHEN $10 THEN $11 ELSE completed END, \
           title_folded = CASE WHEN $3 IS NULL THEN title_folded ELSE $13 END, \
           description_folded = CASE WHEN $4 THEN $14 ELSE description_folded END, \
           {KEEP_SEARCH_FRESH_UNLESS} ($3 IS NOT NULL AND $4) THEN revision + 1 ELSE search_revision END, \
           updated_at = $12, revision = revision + 1 \
         WHERE number = $1 AND user_id = $2 RETURNING {TASK_COLUMNS}"
    );
    let args = vec![
        Arg::I64(id),
        Arg::Text(user_id.into()),
        Arg::OptText(changes.title.clone()),
        Arg::Bool(changes.description.is_some()),
        Arg::OptText(changes.description.clone().flatten()),
        Arg::OptI64(changes.priority.map(|p| p.rank().into())),
        Arg::OptText(changes.tags.as_deref().map(tags_json)),
        Arg::Bool(changes.due_at.is_some()),
        Arg::OptI64(changes.due_at.flatten().map(|d| d.timestamp_millis())),
        Arg::Bool(changes.completed.is_some()),
        Arg::Bool(changes.completed.unwrap_or(false)),
        Arg::I64(now),
        Arg::OptText(changes.title.as_deref().map(search_fold)),
        Arg::Text(folded_description(changes.description.clone().flatten().as_deref())),
        Arg::Bool(changes.due_date.is_some()),
        Arg::OptI64(changes.due_date.flatten().map(day_number)),
        Arg::Bool(changes.repeat.is_some()),
        Arg::OptText(changes.repeat.clone().flatten()),
    ];
    (sql, args)
}

/// Moves one of the user's tasks into the trash in the caller's transaction,
/// purging the user's trash older than [`TRASH_RETENTION_MS`]; `None` when the
/// user has no such task. The DELETE comes first: it locks the row, so of two
/// concurrent deletes one finds nothing.
async fn trash_task(tx: &mut crate::db::Tx, user_id: &str, id: i64, now: i64) -> Result<Option<Task>, StoreError> {
    let sql = format!("DELETE FROM tasks WHERE number = $1 AND user_id = $2 RETURNING {TASK_COLUMNS}");
    let row: Option<TaskRow> = tx.fetch_optional(&sql, &[Arg::I64(id), Arg::Text(user_id.into())]).await?;
    let Some(r) = row else { return Ok(None) };
    tx.execute(
        "DELETE FROM deleted_tasks WHERE user_id = $1 AND (deleted_at < $2 OR number = $3)",
        &[Arg::Text(user_id.into()), Arg::I64(now - TRASH_RETENTION_MS), Arg::I64(id)],
    )
    .await?;
    let sql = format!(
        "INSERT INTO deleted_tasks ({TASK_COLUMNS}, deleted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    tx.execute(&sql, &row_args(&r, now)).await?;
    Ok(Some(Task::from(r)))
}

/// Moves one of the user's tasks back from the trash in the caller's
/// transaction, re-inserting it with what every insert maintains (the folded
/// search columns; the count and number triggers); `None` when the trash has
/// no restorable row for it. The trash row is deleted first, so of two
/// concurrent restores one finds nothing.
///
/// Everything a restore must re-create lives here (a table derived from tasks
/// belongs next to the INSERT).
async fn untrash_task(tx: &mut crate::db::Tx, user_id: &str, id: i64, now: i64) -> Result<Option<Task>, StoreError> {
    let sql = format!(
        "DELETE FROM deleted_tasks WHERE user_id = $1 AND number = $2 AND deleted_at >= $3 RETURNING {TASK_COLUMNS}"
    );
    let args = [Arg::Text(user_id.into()), Arg::I64(id), Arg::I64(now - TRASH_RETENTION_MS)];
    let row: Option<TaskRow> = tx.fetch_optional(&sql, &args).await?;
    let Some(r) = row else { return Ok(None) };
    // A new revision: a cache keyed by number and revision never mistakes the
    // restored row for one it saw before the delete.
    let mut args = row_args(&r, now);
    args.pop();
    if let Some(Arg::I64(rev)) = args.get_mut(REVISION_ARG) {
        *rev += 1;
    }
    args.push(Arg::Text(search_fold(&r.title)));
    args.push(Arg::Text(folded_description(r.description.as_deref())));
    let sql = format!(
        "INSERT INTO tasks ({TASK_COLUMNS}, title_folded, description_folded, search_revision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $13) RETURNING {TASK_COLUMNS}"
    );
    let row: Option<TaskRow> = tx.fetch_optional(&sql, &args).await?;
    row.map(Task::from).map(Some).ok_or(StoreError::Internal("insert returned no row".into()))
}

/// The index of `revision` in [`row_args`] (the 13th of [`TASK_COLUMNS`]).
const REVISION_ARG: usize = 12;

/// A row's [`TASK_COLUMNS`] values, in order, then `now`.
fn row_args(r: &TaskRow, now: i64) -> Vec<Arg> {
    vec![
        Arg::I64(r.number),
        Arg::Text(r.user_id.clone()),
        Arg::Text(r.title.clone()),
        Arg::OptText(r.description.clone()),
        Arg::Bool(r.completed),
        Arg::I16(r.priority),
        Arg::Text(r.tags.clone()),
        Arg::OptI64(r.due_at),
        Arg::OptI64(r.due_day),
        Arg::I64(r.created_at),
        Arg::I64(r.updated_at),
        Arg::OptI64(r.completed_at),
        Arg::I64(r.revision),
        Arg::OptText(r.repeat.clone()),
        Arg::I64(now),
    ]
}

/// Inserts a task with the next number of the user's counter, in the caller's
/// transaction (which checks the quota before it commits).
pub(crate) async fn insert_task(
    tx: &mut crate::db::Tx,
    user_id: &str,
    draft: &TaskDraft,
    now: i64,
) -> Result<Task, StoreError> {
    let completed = draft.completed.unwrap_or(false);
    let sql = format!(
        "INSERT INTO tasks (number, user_id, title, description, completed, priority, tags, due_at, created_at, updated_at, \
               completed_at, title_folded, description_folded, search_revision, due_day, repeat) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, 0, $13, $14) RETURNING {TASK_COLUMNS}"
    );
    // The counter is raised first: the upsert holds the user's row until the
    // commit (on SQLite, as a first write, the database's write lock), so
    // concurrent creates on any replica take their numbers one after the
    // other. A create rolled back (over the quota, a failed insert) gives
    // its number back with it: no task ever had it.
    let numbered: Vec<NumberRow> = tx
        .fetch_all(
            "INSERT INTO user_quotas (user_id, last_task_number) VALUES ($1, 1) \
                 ON CONFLICT (user_id) DO UPDATE SET last_task_number = user_quotas.last_task_number + 1 \
                 RETURNING last_task_number",
            &[Arg::Text(user_id.into())],
        )
        .await?;
    let number = numbered.first().map(|r| r.number).ok_or(StoreError::Internal("no task number".into()))?;
    let args = [
        Arg::I64(number),
        Arg::Text(user_id.into()),
        Arg::Text(draft.title.clone()),
        Arg::OptText(draft.description.clone()),
        Arg::Bool(completed),
        Arg::I16(draft.priority.rank()),
        Arg::Text(tags_json(&draft.tags)),
        Arg::OptI64(draft.due_at.map(|d| d.timestamp_millis())),
        Arg::I64(now),
        Arg::OptI64(completed.then_some(now)),
        Arg::Text(search_fold(&draft.title)),
        Arg::Text(folded_description(draft.description.as_deref())),
        Arg::OptI64(draft.due_date.map(day_number)),
        // The rule counts from the due: none without one.
        Arg::OptText(draft.repeat.clone().filter(|_| draft.due_at.is_some() || draft.due_date.is_some())),
    ];
    let row: Option<TaskRow> = tx.fetch_optional(&sql, &args).await?;
    row.map(Task::from).ok_or(StoreError::Internal("insert returned no row".into()))
}
