//! SQL text built from validated filters. Only fixed fragments chosen by enums are
//! spliced into the text; every user-supplied value travels as a bound argument.

use chrono::{DateTime, NaiveDate, Utc};
use todo_domain::{CursorValue, SortField, SortOrder, StatusFilter, TaskFilter, search_fold};

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    I64(i64),
    I16(i16),
    Bool(bool),
    Text(String),
    OptText(Option<String>),
    OptI64(Option<i64>),
}

/// The columns of a task as clients see it: `number` is its `id` there (the
/// row's own `id` is internal, only a tie-breaker of the list order).
pub(crate) const TASK_COLUMNS: &str = "number, user_id, title, description, completed, priority, tags, due_at, due_day, created_at, updated_at, completed_at, revision, repeat";

/// Number of columns in [`TASK_COLUMNS`]; a page row carries the total after them.
pub(crate) const TASK_COLUMN_COUNT: usize = 14;

/// Days from 1970-01-01 to `d`: how an all-day date is stored (`due_day`).
pub(crate) fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::default()).num_days()
}

/// The date of a stored `due_day`.
pub(crate) fn day_of_number(n: i64) -> Option<NaiveDate> {
    NaiveDate::default().checked_add_signed(chrono::Duration::try_days(n)?)
}

/// Up to how many matches a list's total is exact; past it the total says "at
/// least this many" ([`crate::TaskRefPage::total_exact`] is false). Counting
/// stops at one more than the bound, so a user with 100,000 tasks pays for
/// 10,001 index entries per page, not for all of them, and a cached
/// sequential-scan plan (few users, one of them owning most rows) stops after
/// as many matches instead of reading the whole table.
pub const TOTAL_BOUND: i64 = 10_000;

/// The statements a task list needs. `select_sql` returns one page of rows (and
/// one more, if there is a next page), each carrying the total number of matches
/// (an uncorrelated subquery, which both databases evaluate once), so a list
/// costs one round trip, then its sort key (for the next page's cursor).
/// `refs_sql` is the same page as `number, revision, total` only. `count_sql` is only
/// for a page past the end, which has no row to carry it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskQuery {
    pub(crate) select_sql: String,
    pub(crate) refs_sql: String,
    pub(crate) count_sql: String,
    /// Arguments of `count_sql`.
    pub(crate) filter_args: Vec<Arg>,
    /// Arguments of `select_sql` and `refs_sql`: the filter's, the cursor's
    /// key, then limit (one more than the page) and offset.
    pub(crate) page_args: Vec<Arg>,
    /// The zone offset the due sort placed all-day tasks with (for the next cursor).
    pub(crate) zone_offset_ms: i64,
}

/// Escapes `%`, `_` and `\` so a user's text matches literally in `LIKE ... ESCAPE '\'`.
pub(crate) fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn build_task_query(user_id: &str, f: &TaskFilter, now: DateTime<Utc>) -> TaskQuery {
    let mut args = vec![Arg::Text(user_id.to_string())];
    let mut conds = vec!["user_id = $1".to_string()];
    let mut push = |cond: &dyn Fn(usize) -> String, arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        conds.push(cond(args.len()));
    };

    match f.status {
        StatusFilter::All => {}
        StatusFilter::Pending => push(&|n| format!("completed = ${n}"), Arg::Bool(false), &mut args),
        StatusFilter::Completed => push(&|n| format!("completed = ${n}"), Arg::Bool(true), &mut args),
    }
    if let Some(p) = f.priority {
        push(&|n| format!("priority = ${n}"), Arg::I16(p.rank()), &mut args);
    }
    if let Some(tag) = &f.tag {
        let pattern = format!("%{}%", like_literal(&format!("\"{tag}\"")));
        push(&|n| format!("tags LIKE ${n} ESCAPE '\\'"), Arg::Text(pattern), &mut args);
    }
    if let Some(q) = &f.search {
        // The folded columns give the same answer on both databases; a row
        // whose columns are stale (another writer changed it since) falls back
        // to LOWER() until the next start recomputes them.
        let pattern = format!("%{}%", like_literal(&search_fold(q)));
        push(
            &|n| {
                format!(
                    "(CASE WHEN search_revision = revision \
                       THEN (title_folded LIKE ${n} ESCAPE '\\' OR description_folded LIKE ${n} ESCAPE '\\') \
                       ELSE (LOWER(title) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(description, '')) LIKE ${n} ESCAPE '\\') END)"
                )
            },
            Arg::Text(pattern),
            &mut args,
        );
    }
    if let (Some((from, to)), Some((from_day, to_day))) = (f.due_window(now), f.due_days(now)) {
        // A timed task is in the window by its instant, an all-day one by its
        // day; both windows end at the same local midnight (or, for overdue,
        // at now and at the start of today: an all-day task is overdue only
        // once its whole local day has passed).
        let n = args.len();
        match (from, from_day) {
            (Some(from), Some(from_day)) => {
                args.extend([
                    Arg::I64(from.timestamp_millis()),
                    Arg::I64(to.timestamp_millis()),
                    Arg::I64(day_number(from_day)),
                    Arg::I64(day_number(to_day)),
                ]);
                conds.push(format!(
                    "((due_at >= ${} AND due_at < ${}) OR (due_day >= ${} AND due_day < ${}))",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4
                ));
            }
            _ => {
                // Overdue: past due and still open.
                args.extend([Arg::Bool(false), Arg::I64(to.timestamp_millis()), Arg::I64(day_number(to_day))]);
                conds.push(format!("completed = ${} AND (due_at < ${} OR due_day < ${})", n + 1, n + 2, n + 3));
            }
        }
    }

    // Tasks without a due date go last whichever the direction; ties break on
    // the task's number so pages never overlap. An all-day task sorts at the
    // start of its day in the user's zone: its day's UTC midnight less the
    // zone's offset now (or the offset of the walk's first page, which its
    // cursor carries, so every page compares the same keys). The offset is a
    // number we computed, not the user's text; across a daylight-saving change
    // it can place the day's start an hour off, which reorders it only against
    // a timed task due within that hour after midnight.
    let zone_offset_ms = match &f.after {
        Some(c) => c.zone_offset_ms,
        None => i64::from(todo_domain::zone::utc_offset_seconds(now, &f.zone())) * 1000,
    };
    let keys = sort_keys(f.sort, f.order, zone_offset_ms);
    let order_by =
        keys.iter().map(|k| format!("{} {}", k.expr, if k.desc { "DESC" } else { "ASC" })).collect::<Vec<_>>();
    let order_by = order_by.join(", ");
    let key_columns = keys.iter().map(|k| k.column()).collect::<Vec<_>>().join(", ");

    let where_sql = conds.join(" AND ");
    let count =
        format!("SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE {where_sql} LIMIT {}) AS bounded", TOTAL_BOUND + 1);
    // The page starts after the cursor's key; the total still counts every match.
    let mut page_where = where_sql.clone();
    let mut page_args = args.clone();
    if let Some(c) = &f.after {
        page_where = format!("{page_where} AND {}", after_condition(&keys, &c.key, &mut page_args));
    }
    let n = page_args.len();
    let page_sql = |columns: &str| {
        format!(
            "SELECT {columns}, ({count}) AS total, {key_columns} \
             FROM tasks WHERE {page_where} ORDER BY {order_by} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        )
    };
    // One row more than the page: whether it comes says whether there is a
    // next page, so the last page has no cursor to an empty one.
    page_args.extend([Arg::I64(i64::from(f.limit) + 1), Arg::I64(f.offset.into())]);
    TaskQuery {
        select_sql: page_sql(TASK_COLUMNS),
        refs_sql: page_sql("number, revision"),
        count_sql: count.clone(),
        filter_args: args,
        page_args,
        zone_offset_ms,
    }
}

/// One column of a list's order.
struct SortKey {
    expr: String,
    desc: bool,
    text: bool,
}

impl SortKey {
    fn new(expr: impl Into<String>, desc: bool) -> SortKey {
        SortKey { expr: expr.into(), desc, text: false }
    }

    /// The key as a page row carries it: BIGINT on both databases (PostgreSQL's
    /// CASE and SMALLINT would otherwise decode as other integer types).
    fn column(&self) -> String {
        if self.text { self.expr.clone() } else { format!("CAST({} AS BIGINT)", self.expr) }
    }
}

/// The order of each sort, as [`todo_domain::SortField::key_is_text`] shapes
/// its cursor: every key is a column or an expression of one row, the last is
/// the task's number (unique per user), so the order is total.
fn sort_keys(sort: SortField, order: SortOrder, zone_offset_ms: i64) -> Vec<SortKey> {
    let desc = order == SortOrder::Desc;
    // Undated last in both directions; COALESCE to 0 so that undated rows have a
    // key equal to each other (NULL equals nothing) and the cursor can compare it.
    let undated = || SortKey::new("CASE WHEN due_at IS NULL AND due_day IS NULL THEN 1 ELSE 0 END", false);
    let due = |desc| SortKey::new(format!("COALESCE(due_at, due_day * 86400000 - {zone_offset_ms}, 0)"), desc);
    match sort {
        SortField::Created => vec![SortKey::new("created_at", desc), SortKey::new("number", desc)],
        SortField::Updated => vec![SortKey::new("updated_at", desc), SortKey::new("number", desc)],
        SortField::Due => vec![undated(), due(desc), SortKey::new("number", false)],
        SortField::Priority => {
            vec![SortKey::new("priority", desc), undated(), due(false), SortKey::new("number", true)]
        }
        SortField::Title => {
            vec![SortKey { expr: "LOWER(title)".into(), desc, text: true }, SortKey::new("number", desc)]
        }
    }
}

/// The rows after `key` in the order of `keys`. Where every key runs the same
/// way this is one row-value comparison, which both databases answer with an
/// index range; otherwise "greater on the first key, or equal on it and greater
/// on the next...". The key's values travel as arguments.
fn after_condition(keys: &[SortKey], key: &[CursorValue], args: &mut Vec<Arg>) -> String {
    let mut placeholders = Vec::with_capacity(keys.len());
    for v in key {
        args.push(match v {
            CursorValue::Int(n) => Arg::I64(*n),
            CursorValue::Text(t) => Arg::Text(t.clone()),
        });
        placeholders.push(format!("${}", args.len()));
    }
    let op = |k: &SortKey| if k.desc { "<" } else { ">" };
    if keys.iter().all(|k| k.desc == keys[0].desc) {
        let exprs = keys.iter().map(|k| k.expr.as_str()).collect::<Vec<_>>().join(", ");
        return format!("({exprs}) {} ({})", op(&keys[0]), placeholders.join(", "));
    }
    let alternatives = (0..keys.len()).map(|i| {
        let mut parts: Vec<String> = (0..i).map(|j| format!("{} = {}", keys[j].expr, placeholders[j])).collect();
        parts.push(format!("{} {} {}", keys[i].expr, op(&keys[i]), placeholders[i]));
        format!("({})", parts.join(" AND "))
    });
    format!("({})", alternatives.collect::<Vec<_>>().join(" OR "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use todo_domain::{DueFilter, Priority, TaskListParams};

    fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn column_count_matches_the_column_list() {
        assert_eq!(TASK_COLUMNS.split(',').count(), TASK_COLUMN_COUNT);
    }

    #[test]
    fn default_query_lists_newest_first() {
        let q = build_task_query("u1", &TaskFilter::default(), now());
        assert_eq!(
            q.select_sql,
            format!(
                "SELECT {TASK_COLUMNS}, (SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE user_id = $1 LIMIT 10001) AS bounded) AS total, \
                 CAST(created_at AS BIGINT), CAST(number AS BIGINT) \
                 FROM tasks WHERE user_id = $1 ORDER BY created_at DESC, number DESC LIMIT $2 OFFSET $3"
            )
        );
        assert_eq!(
            q.refs_sql,
            "SELECT number, revision, (SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE user_id = $1 LIMIT 10001) AS bounded) AS total, \
             CAST(created_at AS BIGINT), CAST(number AS BIGINT) \
             FROM tasks WHERE user_id = $1 ORDER BY created_at DESC, number DESC LIMIT $2 OFFSET $3"
        );
        assert_eq!(q.count_sql, "SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE user_id = $1 LIMIT 10001) AS bounded");
        assert_eq!(q.filter_args, [Arg::Text("u1".into())]);
        assert_eq!(q.page_args, [Arg::Text("u1".into()), Arg::I64(51), Arg::I64(0)], "one row past the page");
    }

    #[test]
    fn every_filter_adds_one_numbered_condition() {
        let f = TaskFilter {
            status: StatusFilter::Pending,
            priority: Some(Priority::Urgent),
            tag: Some("home_work".into()),
            search: Some("50% MILCH STRASSE".into()),
            due: Some(DueFilter::Today),
            ..Default::default()
        };
        let q = build_task_query("u1", &f, now());
        assert!(q.count_sql.ends_with(
            "WHERE user_id = $1 AND completed = $2 AND priority = $3 AND tags LIKE $4 ESCAPE '\\' AND \
             (CASE WHEN search_revision = revision \
               THEN (title_folded LIKE $5 ESCAPE '\\' OR description_folded LIKE $5 ESCAPE '\\') \
               ELSE (LOWER(title) LIKE $5 ESCAPE '\\' OR LOWER(COALESCE(description, '')) LIKE $5 ESCAPE '\\') END) \
             AND ((due_at >= $6 AND due_at < $7) OR (due_day >= $8 AND due_day < $9)) LIMIT 10001) AS bounded"
        ));
        assert!(q.select_sql.ends_with("LIMIT $10 OFFSET $11"));
        assert_eq!(q.filter_args[1], Arg::Bool(false));
        assert_eq!(q.filter_args[2], Arg::I16(3));
        assert_eq!(q.filter_args[3], Arg::Text("%\"home\\_work\"%".into()));
        assert_eq!(q.filter_args[4], Arg::Text("%50\\% milch strasse%".into()), "folded like the stored texts");
        let day = "2026-03-10T00:00:00Z".parse::<DateTime<Utc>>().unwrap().timestamp_millis();
        assert_eq!(q.filter_args[5], Arg::I64(day));
        assert_eq!(q.filter_args[6], Arg::I64(day + 86_400_000));
        let day_number = day / 86_400_000;
        assert_eq!(q.filter_args[7..], [Arg::I64(day_number), Arg::I64(day_number + 1)]);
    }

    #[test]
    fn overdue_means_open_and_past_due() {
        let f = TaskFilter { due: Some(DueFilter::Overdue), ..Default::default() };
        let q = build_task_query("u1", &f, now());
        assert!(
            q.count_sql
                .ends_with("user_id = $1 AND completed = $2 AND (due_at < $3 OR due_day < $4) LIMIT 10001) AS bounded")
        );
        assert_eq!(q.filter_args[2], Arg::I64(now().timestamp_millis()));
        assert_eq!(q.filter_args[3], Arg::I64(now().timestamp_millis() / 86_400_000), "before today, all day");
    }

    #[test]
    fn sort_orders_are_fixed_fragments() {
        let undated = "CASE WHEN due_at IS NULL AND due_day IS NULL THEN 1 ELSE 0 END ASC";
        let cases = [
            ("created", "", "created_at DESC, number DESC".to_string()),
            ("updated", "asc", "updated_at ASC, number ASC".into()),
            ("due", "", format!("{undated}, COALESCE(due_at, due_day * 86400000 - 0, 0) ASC, number ASC")),
            ("due", "desc", format!("{undated}, COALESCE(due_at, due_day * 86400000 - 0, 0) DESC, number ASC")),
            (
                "priority",
                "",
                format!("priority DESC, {undated}, COALESCE(due_at, due_day * 86400000 - 0, 0) ASC, number DESC"),
            ),
            ("title", "", "LOWER(title) ASC, number ASC".into()),
            ("title", "desc", "LOWER(title) DESC, number DESC".into()),
        ];
        for (sort, order, expected) in cases {
            let p = TaskListParams {
                sort: Some(sort.into()),
                order: (!order.is_empty()).then(|| order.to_string()),
                ..Default::default()
            };
            let q = build_task_query("u", &p.validate().unwrap(), now());
            assert!(q.select_sql.contains(&format!("ORDER BY {expected} LIMIT")), "{sort} {order}: {}", q.select_sql);
        }
    }

    #[test]
    fn all_day_tasks_sort_at_the_start_of_their_day_in_the_users_zone() {
        let tokyo = todo_domain::lookup_time_zone("Asia/Tokyo").unwrap().1;
        let f =
            TaskFilter { sort: SortField::Due, order: SortOrder::Asc, time_zone: Some(tokyo), ..Default::default() };
        let q = build_task_query("u", &f, now());
        // Tokyo is UTC+9: a day starts 9 hours before its UTC midnight.
        assert!(q.select_sql.contains("COALESCE(due_at, due_day * 86400000 - 32400000, 0) ASC"), "{}", q.select_sql);
        assert_eq!(q.zone_offset_ms, 32_400_000);
        assert_eq!(day_of_number(day_number("2026-12-04".parse().unwrap())), Some("2026-12-04".parse().unwrap()));
        assert_eq!(day_number("1970-01-02".parse().unwrap()), 1);
    }

    #[test]
    fn a_cursor_starts_the_page_after_its_key() {
        let after = |sort, order, key| {
            let f = TaskFilter {
                sort,
                order,
                after: Some(todo_domain::PageCursor { sort, order, zone_offset_ms: 3_600_000, key }),
                ..Default::default()
            };
            build_task_query("u", &f, now())
        };
        use todo_domain::CursorValue::{Int, Text};
        // One direction: a row-value comparison, which an index range answers.
        let q = after(SortField::Created, SortOrder::Desc, vec![Int(5), Int(7)]);
        assert!(
            q.select_sql.contains("WHERE user_id = $1 AND (created_at, number) < ($2, $3) ORDER BY"),
            "{}",
            q.select_sql
        );
        assert_eq!(q.page_args, [Arg::Text("u".into()), Arg::I64(5), Arg::I64(7), Arg::I64(51), Arg::I64(0)]);
        assert!(q.count_sql.ends_with("WHERE user_id = $1 LIMIT 10001) AS bounded"), "the total ignores the cursor");
        let q = after(SortField::Title, SortOrder::Asc, vec![Text("b".into()), Int(2)]);
        assert!(q.select_sql.contains("(LOWER(title), number) > ($2, $3)"), "{}", q.select_sql);
        // Mixed directions: greater on the first key, or equal on it and so on.
        let q = after(SortField::Due, SortOrder::Desc, vec![Int(0), Int(99), Int(4)]);
        let undated = "CASE WHEN due_at IS NULL AND due_day IS NULL THEN 1 ELSE 0 END";
        let due = "COALESCE(due_at, due_day * 86400000 - 3600000, 0)";
        assert!(
            q.select_sql.contains(&format!(
                "(({undated} > $2) OR ({undated} = $2 AND {due} < $3) OR ({undated} = $2 AND {due} = $3 AND number > $4))"
            )),
            "{}",
            q.select_sql
        );
        assert_eq!(q.zone_offset_ms, 3_600_000, "the walk keeps its first page's offset");
    }

    #[test]
    fn every_sort_has_the_key_its_cursor_has() {
        for sort in [SortField::Created, SortField::Updated, SortField::Due, SortField::Priority, SortField::Title] {
            let keys = sort_keys(sort, SortOrder::Asc, 0);
            let text: Vec<bool> = keys.iter().map(|k| k.text).collect();
            assert_eq!(text, sort.key_is_text(), "{sort:?}");
            assert_eq!(keys.last().map(|k| k.expr.as_str()), Some("number"), "{sort:?}: ties break on the number");
        }
    }

    #[test]
    fn like_literal_escapes_wildcards() {
        assert_eq!(like_literal(r"a%b_c\d"), r"a\%b\_c\\d");
    }
}
