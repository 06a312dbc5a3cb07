//! The task page and the delete confirmation.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use jiff::tz::TimeZone;
use maud::{Markup, html};
use todo_domain::zone::local_datetime;
use todo_domain::{Priority, Task, TaskCounts};

use super::list_query::{ListQuery, PAGE_SIZE, notice_text};
use crate::chat::{ChatView, chat_panel};
use crate::layout::{FormErrors, csrf_input, described, error_for, invalid, layout};
use crate::session::Ctx;

pub(crate) fn confirm_delete(ctx: &Ctx, task: &Task, back: &str) -> Markup {
    let body = html! {
        section.error-card aria-labelledby="confirm-heading" {
            h1 #confirm-heading { "Delete this task?" }
            p { "“" strong { (task.title) } "” will be deleted. This cannot be undone." }
            form #confirm-delete-form method="post" action=(format!("/tasks/{}/delete", task.id)) {
                (csrf_input(ctx))
                input type="hidden" name="back" value=(back);
                button.btn.btn-danger #confirm-delete type="submit" { "Delete task" }
                " "
                a.btn #cancel-delete href=(format!("/tasks?{back}")) { "Cancel" }
            }
        }
    };
    layout("Delete task", ctx, body)
}

/// Values of a task form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct TaskForm {
    pub(crate) csrf: String,
    pub(crate) back: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) priority: String,
    pub(crate) tags: String,
    pub(crate) due_date: String,
    /// Optional: with a time the task is due at that instant, without it all day.
    pub(crate) due_time: String,
}

impl TaskForm {
    pub(crate) fn from_task(t: &Task, tz: &TimeZone) -> TaskForm {
        let local = t.due_at.map(|d| local_datetime(d, tz));
        let (due_date, due_time) = match (t.due_date, local) {
            (Some(day), _) => (day.format("%Y-%m-%d").to_string(), String::new()),
            (None, Some(l)) => (l.format("%Y-%m-%d").to_string(), l.format("%H:%M").to_string()),
            (None, None) => (String::new(), String::new()),
        };
        TaskForm {
            title: t.title.clone(),
            description: t.description.clone().unwrap_or_default(),
            priority: t.priority.as_str().into(),
            tags: t.tags.join(", "),
            due_date,
            due_time,
            ..Default::default()
        }
    }
}

/// A heading of the list and how many of the view's tasks (in order) are under it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskGroup {
    /// Part of the ids: `overdue`, `today`, or the day (`2026-12-04`).
    pub(crate) key: String,
    pub(crate) heading: String,
    pub(crate) len: usize,
}

pub(crate) struct TasksView {
    pub(crate) query: ListQuery,
    /// Every task on the page, group after group.
    pub(crate) tasks: Vec<Task>,
    pub(crate) total: i64,
    /// The headings of Today and Upcoming; empty for All (one plain list).
    pub(crate) groups: Vec<TaskGroup>,
    /// The numbers in the navigation.
    pub(crate) counts: TaskCounts,
    pub(crate) add: TaskForm,
    pub(crate) add_errors: FormErrors,
    pub(crate) edit: Option<(i64, TaskForm, FormErrors)>,
    pub(crate) chat: ChatView,
    pub(crate) now: DateTime<Utc>,
    /// The user's zone: every badge shows local dates and times.
    pub(crate) tz: TimeZone,
    /// The API rejected the filters (e.g. a tag with spaces).
    pub(crate) filter_error: Option<String>,
}

pub(crate) fn tasks_page(ctx: &Ctx, v: &TasksView) -> Markup {
    let body = html! {
        div.workspace {
            section #task-panel .panel aria-labelledby="tasks-heading" {
                (task_panel(ctx, v))
            }
            section #chat .panel .chat aria-labelledby="chat-heading" {
                (chat_panel(ctx, v))
            }
        }
    };
    layout("Your tasks", ctx, body)
}

fn priority_label(p: &str) -> &'static str {
    match p {
        "low" => "Low",
        "high" => "High",
        "urgent" => "Urgent",
        _ => "Medium",
    }
}

fn task_panel(ctx: &Ctx, v: &TasksView) -> Markup {
    let q = &v.query;
    let back = q.query_string();
    html! {
        div.panel-head {
            h1 #tasks-heading { "Your tasks" }
            p.count #task-count { (v.total) " " (if v.total == 1 { "task" } else { "tasks" }) @if q.filtered() { " match" } }
        }
        div #status .status role="status" aria-live="polite" {
            @if let Some(n) = notice_text(&q.notice) {
                span.notice-text { (n) }
                @if let Some((what, id)) = q.undo() { " " (undo_form(ctx, what, id, &back)) }
            }
        }
        (add_form(ctx, &v.add, &v.add_errors, &back))
        (views_nav(v))
        form #filters .filters method="get" action="/tasks" role="search" aria-label="Search and filter tasks" {
            @if q.view() != "all" { input type="hidden" name="view" value=(q.view()); }
            @if q.status() != "pending" { input type="hidden" name="status" value=(q.status()); }
            @if !q.c.is_empty() { input type="hidden" name="c" value=(q.c); }
            div.field.grow {
                label for="filter-q" { "Search" }
                input #filter-q type="search" name="q" value=(q.q) placeholder="Title or description" maxlength="200";
            }
            div.field {
                label for="filter-priority" { "Priority" }
                select #filter-priority name="priority" {
                    option value="" selected[q.priority.is_empty()] { "Any" }
                    @for p in Priority::ALL {
                        option value=(p.as_str()) selected[q.priority == p.as_str()] { (priority_label(p.as_str())) }
                    }
                }
            }
            div.field {
                label for="filter-tag" { "Tag" }
                input #filter-tag type="text" name="tag" value=(q.tag) list="tag-options" placeholder="Any" maxlength="32";
                datalist #tag-options {
                    @for t in all_tags(&v.tasks) { option value=(t) {} }
                }
            }
            div.field {
                label for="filter-sort" { "Sort by" }
                select #filter-sort name="sort" {
                    @for (value, label) in [("created", "Newest"), ("due", "Due date"), ("priority", "Priority"), ("title", "Title"), ("updated", "Recently changed")] {
                        option value=(value) selected[q.sort == value || (q.sort.is_empty() && value == "created")] { (label) }
                    }
                }
            }
            div.field.filter-actions {
                button.btn #apply-filters type="submit" { "Apply" }
                @if q.filtered() || !q.sort.is_empty() {
                    a.btn.btn-ghost #clear-filters href=(q.href_with(|q| { *q = ListQuery { c: q.c.clone(), ..Default::default() }; })) { "Clear" }
                }
            }
        }
        @if let Some(e) = &v.filter_error { p.form-error #filter-error role="alert" { (e) } }
        @if v.tasks.is_empty() && v.total > 0 {
            div.empty #empty-state {
                p.empty-title { "This page is past the end of the list." }
                p { a #page-last href=(q.href_with(|q| q.page = last_page(v.total).to_string())) { "Go to the last page" } "." }
            }
        } @else if v.tasks.is_empty() {
            div.empty #empty-state {
                @if q.filtered() {
                    p.empty-title { "No tasks match these filters." }
                    p { "Try another search, or " a href=(q.href_with(|q| { *q = ListQuery { c: q.c.clone(), ..Default::default() }; })) { "clear the filters" } "." }
                } @else if v.counts.all > 0 {
                    p.empty-title { (match (q.view(), q.status()) {
                        ("today", _) => "Nothing due today.",
                        ("upcoming", _) => "Nothing due in the next 7 days.",
                        (_, "completed") => "No completed tasks.",
                        _ => "Nothing left to do.",
                    }) }
                    @if q.status() == "pending" && v.counts.completed > 0 {
                        p { "Completed tasks are hidden: " a href=(q.href_with(|q| q.status = "all".into())) { "show them" } "." }
                    }
                } @else {
                    p.empty-title { "No tasks yet." }
                    p { "Add your first task with the form above, or ask the assistant: “add a task to buy milk tomorrow”." }
                }
            }
        } @else {
            @if v.groups.is_empty() {
                ul #task-list .task-list aria-label="Tasks" {
                    @for t in &v.tasks { (task_row(ctx, v, t, &back)) }
                }
            } @else {
                div #task-list .task-groups {
                    @for (g, tasks) in grouped(v) {
                        section.task-group id=(format!("group-{}", g.key)) aria-labelledby=(format!("group-{}-heading", g.key)) {
                            h2.group-heading id=(format!("group-{}-heading", g.key)) {
                                (g.heading) " " span.group-count { "(" (g.len) ")" }
                            }
                            ul.task-list {
                                @for t in tasks { (task_row(ctx, v, t, &back)) }
                            }
                        }
                    }
                }
            }
            @if q.view() == "all" && (v.tasks.len() as i64) < v.total {
                (pager(q, v.tasks.len(), v.total))
            } @else if (v.tasks.len() as i64) < v.total {
                p.more #view-more { "Showing the first " (v.tasks.len()) " of " (v.total) ". "
                    a href=(q.href_with(|q| { q.view.clear(); q.sort = "due".into(); })) { "See them all by due date" } "." }
            }
        }
    }
}

/// The views (with their counts from `GET /tasks/counts`), the Completed
/// list, and the link that shows or hides completed tasks in a view.
fn views_nav(v: &TasksView) -> Markup {
    let q = &v.query;
    let c = &v.counts;
    let completed_only = q.status() == "completed";
    let tabs = [
        ("today", "Today", c.today, q.view() == "today" && !completed_only),
        ("upcoming", "Upcoming", c.upcoming, q.view() == "upcoming" && !completed_only),
        ("all", "All", c.pending, q.view() == "all" && !completed_only),
    ];
    html! {
        div.views-bar {
            nav.tabs #views aria-label="Views" {
                @for (value, label, count, current) in tabs {
                    a.tab id=(format!("view-{value}")) aria-current=[current.then_some("page")]
                        href=(q.href_with(|q| { q.view = value.into(); if q.status() == "completed" { q.status.clear(); } q.page.clear(); })) {
                        (label) " " span.tab-count { (count) } span.sr-only { " open" }
                    }
                }
                a.tab #tab-completed aria-current=[completed_only.then_some("page")]
                    href=(q.href_with(|q| { q.view.clear(); q.status = "completed".into(); q.page.clear(); })) {
                    "Completed " span.tab-count { (c.completed) }
                }
            }
            @if !completed_only {
                @if q.status() == "all" {
                    a.btn.btn-ghost.btn-small #show-completed href=(q.href_with(|q| { q.status.clear(); q.page.clear(); })) { "Hide completed" }
                } @else {
                    a.btn.btn-ghost.btn-small #show-completed href=(q.href_with(|q| { q.status = "all".into(); q.page.clear(); })) { "Show completed" }
                }
            }
        }
    }
}

/// Each group with its tasks.
fn grouped(v: &TasksView) -> Vec<(&TaskGroup, &[Task])> {
    let mut rest = v.tasks.as_slice();
    v.groups
        .iter()
        .map(|g| {
            let (head, tail) = rest.split_at(g.len.min(rest.len()));
            rest = tail;
            (g, head)
        })
        .collect()
}

/// The Undo button of a notice: a form, so it works without JavaScript too.
fn undo_form(ctx: &Ctx, what: &str, id: i64, back: &str) -> Markup {
    let (action, completed) = match what {
        "delete" => (format!("/tasks/{id}/restore"), None),
        "complete" => (format!("/tasks/{id}/completed"), Some("false")),
        _ => (format!("/tasks/{id}/completed"), Some("true")),
    };
    html! {
        form #undo-form .undo-form method="post" action=(action) data-enhance data-undo {
            (csrf_input(ctx))
            input type="hidden" name="back" value=(back);
            @if let Some(c) = completed { input type="hidden" name="completed" value=(c); }
            button.btn.btn-small #undo type="submit" { "Undo" span.sr-only { " (task " (id) ")" } }
        }
    }
}

/// The number of the last page of a list of `total` tasks (1 when empty).
fn last_page(total: i64) -> u64 {
    (total.max(0) as u64).div_ceil(u64::from(PAGE_SIZE)).max(1)
}

/// "Showing 101–200 of 250" with links to the previous and next pages.
fn pager(q: &ListQuery, shown: usize, total: i64) -> Markup {
    let first = q.offset() + 1;
    let last = q.offset() + shown as u64;
    let pages = last_page(total);
    let page = u64::from(q.page());
    html! {
        nav.pager #pager aria-label="Pages of tasks" {
            @if page > 1 {
                a.btn.btn-ghost #page-prev rel="prev" href=(q.href_with(|q| q.page = (page - 1).to_string())) { span aria-hidden="true" { "← " } "Previous" }
            }
            p.more #page-status { "Showing " (first) "–" (last) " of " (total) " (page " (page) " of " (pages) ")" }
            @if page < pages {
                a.btn.btn-ghost #page-next rel="next" href=(q.href_with(|q| q.page = (page + 1).to_string())) { "Next" span aria-hidden="true" { " →" } }
            }
        }
    }
}

fn all_tags(tasks: &[Task]) -> Vec<&str> {
    let mut tags: Vec<&str> = tasks.iter().flat_map(|t| t.tags.iter().map(String::as_str)).collect();
    tags.sort_unstable();
    tags.dedup();
    tags
}

fn priority_select(id: &str, value: &str) -> Markup {
    let value = if value.is_empty() { "medium" } else { value };
    html! {
        select id=(id) name="priority" {
            @for p in Priority::ALL {
                option value=(p.as_str()) selected[value == p.as_str()] { (priority_label(p.as_str())) }
            }
        }
    }
}

/// The fields shared by the add and edit forms; `prefix` makes the ids unique.
fn task_fields(prefix: &str, f: &TaskForm, e: &FormErrors) -> Markup {
    let id = |name: &str| format!("{prefix}-{name}");
    html! {
        div.field.field-title {
            label for=(id("title")) { "Title" }
            input id=(id("title")) name="title" type="text" value=(f.title) required maxlength="200"
                aria-invalid=[invalid(e.get("title"))] aria-describedby=[described(&id("title"), e.get("title"))];
            (error_for(&id("title"), e.get("title")))
        }
        div.field.field-description {
            label for=(id("description")) { "Description " span.optional { "(optional)" } }
            textarea id=(id("description")) name="description" rows="2" maxlength="1000"
                aria-invalid=[invalid(e.get("description"))] aria-describedby=[described(&id("description"), e.get("description"))] { (f.description) }
            (error_for(&id("description"), e.get("description")))
        }
        div.field-row {
            div.field {
                label for=(id("priority")) { "Priority" }
                (priority_select(&id("priority"), &f.priority))
                (error_for(&id("priority"), e.get("priority")))
            }
            div.field {
                label for=(id("tags")) { "Tags " span.optional { "(comma-separated)" } }
                input id=(id("tags")) name="tags" type="text" value=(f.tags) placeholder="home, errands"
                    aria-invalid=[invalid(e.get("tags"))] aria-describedby=[described(&id("tags"), e.get("tags"))];
                (error_for(&id("tags"), e.get("tags")))
            }
            div.field {
                label for=(id("due")) { "Due date" }
                input id=(id("due")) name="due_date" type="date" value=(f.due_date)
                    aria-invalid=[invalid(e.get("due_date"))] aria-describedby=[described(&id("due"), e.get("due_date"))];
                (error_for(&id("due"), e.get("due_date")))
            }
            div.field {
                label for=(id("due-time")) { "Time " span.optional { "(optional: all day without)" } }
                input id=(id("due-time")) name="due_time" type="time" value=(f.due_time)
                    aria-invalid=[invalid(e.get("due_time"))] aria-describedby=[described(&id("due-time"), e.get("due_time"))];
                (error_for(&id("due-time"), e.get("due_time")))
            }
        }
    }
}

fn add_form(ctx: &Ctx, f: &TaskForm, e: &FormErrors, back: &str) -> Markup {
    html! {
        form #add-task .card.add-task method="post" action="/tasks" data-enhance aria-labelledby="add-heading" {
            h2 #add-heading .sr-only { "Add a task" }
            (csrf_input(ctx))
            input type="hidden" name="back" value=(back);
            @if let Some(g) = &e.general { p.form-error role="alert" { (g) } }
            (task_fields("new", f, e))
            button.btn.btn-primary #add-task-submit type="submit" { "Add task" }
        }
    }
}

/// The badge of a due date in the user's zone: its text (one format for every
/// date: "Fri 4 Dec", the year when not this one, ", 17:00" for a timed task),
/// whether it is overdue and whether it is due today. An all-day task is due
/// today during its whole local day and overdue from the next local midnight.
fn due_info(t: &Task, now: DateTime<Utc>, tz: &TimeZone) -> Option<(String, bool, bool)> {
    let today = local_datetime(now, tz).date();
    let (day, time, overdue): (NaiveDate, Option<NaiveDateTime>, bool) = match (t.due_date, t.due_at) {
        (Some(day), _) => (day, None, day < today),
        (None, Some(at)) => {
            let local = local_datetime(at, tz);
            // The web form used to save a day as 23:59:59 of it: still shown as the day.
            const LAST_MINUTE: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 0) {
                Some(t) => t,
                None => NaiveTime::MIN,
            };
            let time = (local.time() < LAST_MINUTE).then_some(local);
            (local.date(), time, at < now)
        }
        (None, None) => return None,
    };
    let overdue = !t.completed && overdue;
    let is_today = !t.completed && day == today;
    let mut text = if day.year() == today.year() {
        day.format("%a %-d %b").to_string()
    } else {
        day.format("%a %-d %b %Y").to_string()
    };
    if let Some(local) = time {
        text.push_str(&local.format(", %H:%M").to_string());
    }
    Some((text, overdue, is_today && !overdue))
}

fn task_row(ctx: &Ctx, v: &TasksView, t: &Task, back: &str) -> Markup {
    let due = due_info(t, v.now, &v.tz);
    let overdue = due.as_ref().is_some_and(|d| d.1);
    let today = due.as_ref().is_some_and(|d| d.2);
    let editing = v.edit.as_ref().filter(|(id, _, _)| *id == t.id);
    let prefix = format!("edit-{}", t.id);
    html! {
        li.task id=(format!("task-{}", t.id)) data-testid=(format!("task-{}", t.id)) data-task-id=(t.id)
            .done[t.completed] .overdue[overdue] .due-today[today] {
            form.toggle method="post" action=(format!("/tasks/{}/toggle", t.id)) data-enhance {
                (csrf_input(ctx))
                input type="hidden" name="back" value=(back);
                button.check id=(format!("toggle-{}", t.id)) type="submit" aria-pressed=(if t.completed { "true" } else { "false" })
                    aria-label=(format!("{} “{}” as {}", "Mark", t.title, if t.completed { "not done" } else { "done" })) {
                    span.box aria-hidden="true" { @if t.completed { "✓" } }
                }
            }
            div.task-body {
                p.task-title { (t.title) }
                @if let Some(d) = &t.description { p.task-desc { (d) } }
                div.task-meta {
                    // The number the user says to the assistant ("task 3"), the {id} of the API.
                    span.badge.task-number title=(format!("Task {}: say “task {}” to the assistant", t.id, t.id)) { "#" (t.id) }
                    span class=(format!("badge prio prio-{}", t.priority.as_str())) { (priority_label(t.priority.as_str())) " priority" }
                    @if let Some((text, _, _)) = &due {
                        span.badge.due {
                            @if overdue { strong { "Overdue" } " · " } @else if today { strong { "Due today" } " · " } @else { "Due " }
                            time datetime=(due_attr(t)) data-all-day=[t.due_date.is_some().then_some("true")] { (text) }
                        }
                    }
                    @if t.completed { span.badge.done-badge { "Done" } }
                    @for tag in &t.tags {
                        a.tag href=(v.query.href_with(|q| q.tag = tag.clone())) aria-label=(format!("Show tasks tagged {tag}")) { "#" (tag) }
                    }
                }
            }
            div.task-actions {
                @if editing.is_none() {
                    a.btn.btn-ghost.btn-small id=(format!("edit-toggle-{}", t.id)) href=(v.query.edit_href(t.id)) data-edit=(t.id) {
                        "Edit" span.sr-only { " “" (t.title) "”" }
                    }
                }
                // No confirmation: the notice after it offers Undo (the task waits in the trash).
                form.delete-form method="post" action=(format!("/tasks/{}/delete", t.id)) data-enhance {
                    (csrf_input(ctx))
                    input type="hidden" name="back" value=(back);
                    button.btn.btn-ghost.btn-small.btn-danger-text id=(format!("delete-{}", t.id)) type="submit" {
                        "Delete" span.sr-only { " “" (t.title) "”" }
                    }
                }
            }
            @if let Some((_, values, errors)) = editing {
                form.edit-form id=(format!("edit-form-{}", t.id)) method="post" action=(format!("/tasks/{}", t.id)) data-enhance
                    aria-label=(format!("Edit “{}”", t.title)) {
                    (csrf_input(ctx))
                    input type="hidden" name="back" value=(back);
                    @if let Some(g) = &errors.general { p.form-error role="alert" { (g) } }
                    (task_fields(&prefix, values, errors))
                    div.edit-actions {
                        button.btn.btn-primary id=(format!("save-{}", t.id)) type="submit" { "Save changes" }
                        a.btn.btn-ghost id=(format!("cancel-edit-{}", t.id)) href=(v.query.href_with(|_| {})) { "Cancel" }
                    }
                }
            }
        }
    }
}

/// The local day a task is due on, in the user's zone.
fn due_day(t: &Task, tz: &TimeZone) -> Option<NaiveDate> {
    t.due_date.or_else(|| t.due_at.map(|at| local_datetime(at, tz).date()))
}

/// Puts the lists the API returned for a view into the page's order and
/// headings: Today is the overdue tasks, then today's (a task due earlier
/// today is in both lists, and shown once, as overdue); Upcoming is one
/// heading per local day.
pub(crate) fn group(
    view: &str,
    lists: Vec<(Vec<Task>, i64)>,
    now: DateTime<Utc>,
    tz: &TimeZone,
) -> (Vec<Task>, i64, Vec<TaskGroup>) {
    let mut lists = lists.into_iter();
    match view {
        "today" => {
            let (overdue, overdue_total) = lists.next().unwrap_or_default();
            let (mut today, today_total) = lists.next().unwrap_or_default();
            let before = today.len();
            today.retain(|t| !overdue.iter().any(|o| o.id == t.id));
            let total = overdue_total + today_total - (before - today.len()) as i64;
            let mut groups = Vec::new();
            for (key, heading, len) in [("overdue", "Overdue", overdue.len()), ("today", "Today", today.len())] {
                if len > 0 {
                    groups.push(TaskGroup { key: key.into(), heading: heading.into(), len });
                }
            }
            let mut tasks = overdue;
            tasks.extend(today);
            (tasks, total, groups)
        }
        "upcoming" => {
            let (mut tasks, total) = lists.next().unwrap_or_default();
            let today = local_datetime(now, tz).date();
            // The API orders timed and all-day tasks by their own keys: order by local day here.
            tasks.sort_by_key(|t| due_day(t, tz));
            let mut groups: Vec<TaskGroup> = Vec::new();
            for t in &tasks {
                let day = due_day(t, tz).unwrap_or(today);
                let key = day.format("%Y-%m-%d").to_string();
                match groups.last_mut() {
                    Some(g) if g.key == key => g.len += 1,
                    _ => {
                        let date = day.format("%a %-d %b");
                        let heading = match (day - today).num_days() {
                            0 => format!("Today · {date}"),
                            1 => format!("Tomorrow · {date}"),
                            _ => date.to_string(),
                        };
                        groups.push(TaskGroup { key, heading, len: 1 });
                    }
                }
            }
            (tasks, total, groups)
        }
        _ => {
            let (tasks, total) = lists.next().unwrap_or_default();
            (tasks, total, Vec::new())
        }
    }
}

/// The machine-readable due date of a badge: the day, or the instant.
fn due_attr(t: &Task) -> String {
    match (t.due_date, t.due_at) {
        (Some(day), _) => day.format("%Y-%m-%d").to_string(),
        (None, Some(at)) => todo_domain::timestamp::to_rfc3339(&at),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_know_today_and_overdue() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z").unwrap().with_timezone(&Utc);
        let utc = &TimeZone::UTC;
        let task = |due: &str, completed: bool| Task {
            id: 1,
            user_id: "u".into(),
            title: "t".into(),
            description: None,
            completed,
            priority: Priority::Medium,
            tags: vec![],
            due_at: Some(DateTime::parse_from_rfc3339(due).unwrap().with_timezone(&Utc)),
            due_date: None,
            created_at: now,
            updated_at: now,
            completed_at: None,
            repeat: None,
        };
        let (text, overdue, today) = due_info(&task("2026-11-26T23:59:59Z", false), now, utc).unwrap();
        assert_eq!((text.as_str(), overdue, today), ("Thu 26 Nov", false, true));
        let (text, overdue, _) = due_info(&task("2026-11-25T09:30:00Z", false), now, utc).unwrap();
        assert_eq!((text.as_str(), overdue), ("Wed 25 Nov, 09:30", true));
        let (_, overdue, today) = due_info(&task("2026-11-25T09:30:00Z", true), now, utc).unwrap();
        assert!(!overdue && !today, "done tasks never stand out");
        // Local offset: 23:59 UTC on the 26th is already the 27th in UTC+2.
        let plus2 = &todo_domain::lookup_time_zone("Etc/GMT-2").unwrap().1;
        let (text, _, today) = due_info(&task("2026-11-26T23:59:59Z", false), now, plus2).unwrap();
        assert_eq!((text.as_str(), today), ("Fri 27 Nov, 01:59", false));
        let (text, _, _) = due_info(&task("2027-01-02T23:59:59Z", false), now, utc).unwrap();
        assert_eq!(text, "Sat 2 Jan 2027");
    }

    #[test]
    fn all_day_tasks_are_today_during_the_local_day_and_overdue_after_it() {
        let tokyo = &todo_domain::lookup_time_zone("Asia/Tokyo").unwrap().1;
        let la = &todo_domain::lookup_time_zone("America/Los_Angeles").unwrap().1;
        // 2026-12-02 05:00 UTC: Wednesday 14:00 in Tokyo, Tuesday 21:00 in Los Angeles.
        let now = DateTime::parse_from_rfc3339("2026-12-02T05:00:00Z").unwrap().with_timezone(&Utc);
        let task = |day: &str, at: Option<&str>| Task {
            id: 1,
            user_id: "u".into(),
            title: "t".into(),
            description: None,
            completed: false,
            priority: Priority::Medium,
            tags: vec![],
            due_at: at.map(|a| DateTime::parse_from_rfc3339(a).unwrap().with_timezone(&Utc)),
            due_date: (!day.is_empty()).then(|| day.parse().unwrap()),
            created_at: now,
            updated_at: now,
            completed_at: None,
            repeat: None,
        };
        let bill = task("2026-12-01", None);
        assert_eq!(due_info(&bill, now, la).unwrap(), ("Tue 1 Dec".into(), false, true));
        assert_eq!(due_info(&bill, now, tokyo).unwrap(), ("Tue 1 Dec".into(), true, false));
        let call = task("", Some("2026-12-02T08:00:00Z"));
        assert_eq!(due_info(&call, now, la).unwrap(), ("Wed 2 Dec, 00:00".into(), false, false));
        assert_eq!(due_info(&call, now, tokyo).unwrap(), ("Wed 2 Dec, 17:00".into(), false, true));
        assert_eq!(due_attr(&bill), "2026-12-01");
        assert_eq!(due_attr(&call), "2026-12-02T08:00:00Z");
    }

    #[test]
    fn today_is_overdue_then_today_once_and_upcoming_is_by_local_day() {
        let la = &todo_domain::lookup_time_zone("America/Los_Angeles").unwrap().1;
        // Tuesday 1 Dec 21:00 in Los Angeles.
        let now = DateTime::parse_from_rfc3339("2026-12-02T05:00:00Z").unwrap().with_timezone(&Utc);
        let task = |id: i64, day: &str, at: Option<&str>| Task {
            id,
            user_id: "u".into(),
            title: format!("t{id}"),
            description: None,
            completed: false,
            priority: Priority::Medium,
            tags: vec![],
            due_at: at.map(|a| DateTime::parse_from_rfc3339(a).unwrap().with_timezone(&Utc)),
            due_date: (!day.is_empty()).then(|| day.parse().unwrap()),
            created_at: now,
            updated_at: now,
            completed_at: None,
            repeat: None,
        };
        // Task 2 was due at 18:00 today: overdue, and in today's list as well.
        let overdue = vec![task(1, "2026-11-30", None), task(2, "", Some("2026-12-02T02:00:00Z"))];
        let today = vec![task(2, "", Some("2026-12-02T02:00:00Z")), task(3, "2026-12-01", None)];
        let (tasks, total, groups) = group("today", vec![(overdue, 2), (today, 2)], now, la);
        assert_eq!(tasks.iter().map(|t| t.id).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(total, 3);
        assert_eq!(groups.iter().map(|g| (g.key.as_str(), g.len)).collect::<Vec<_>>(), [("overdue", 2), ("today", 1)]);
        // 06:00 UTC on the 3rd is still the 2nd in Los Angeles: tomorrow, beside the all-day task.
        let week = vec![
            task(4, "2026-12-01", None),
            task(5, "2026-12-04", None),
            task(6, "", Some("2026-12-03T06:00:00Z")),
            task(7, "2026-12-02", None),
        ];
        let (tasks, _, groups) = group("upcoming", vec![(week, 4)], now, la);
        assert_eq!(tasks.iter().map(|t| t.id).collect::<Vec<_>>(), [4, 6, 7, 5]);
        assert_eq!(
            groups.iter().map(|g| (g.heading.as_str(), g.len)).collect::<Vec<_>>(),
            [("Today · Tue 1 Dec", 1), ("Tomorrow · Wed 2 Dec", 2), ("Fri 4 Dec", 1)]
        );
        let (_, _, groups) = group("all", vec![(vec![task(8, "", None)], 1)], now, la);
        assert!(groups.is_empty(), "All is one plain list");
    }
}
