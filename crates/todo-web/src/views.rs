//! HTML, rendered with maud (every interpolation is escaped). No inline script or
//! style: behaviour lives in /assets/app.js and looks in /assets/app.css.

use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, Utc};
use maud::{DOCTYPE, Markup, html};
use todo_domain::{ChatMessage, Conversation, Priority, Role, Task, ToolCallRecord};

use crate::assets;
use crate::session::{CSRF_FIELD, Ctx};

/// Errors of one form: a general message and messages by field.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    pub general: Option<String>,
    pub fields: Vec<(String, String)>,
}

impl FormErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.fields.push((field.to_string(), message.into()));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.general.is_none() && self.fields.is_empty()
    }
}

pub fn layout(title: &str, ctx: &Ctx, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="csrf-token" content=(ctx.csrf());
                title { (title) " · Todo" }
                link rel="icon" href=(assets::url("icon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(assets::url("app.css"));
                script src=(assets::url("app.js")) defer {}
            }
            body {
                a.skip-link href="#main" { "Skip to content" }
                header.topbar {
                    a.brand href="/" { span.logo aria-hidden="true" { "✓" } " Todo" }
                    @if let Some(s) = &ctx.session {
                        div.account {
                            span.who { "Signed in as " strong { (s.name) } }
                            form method="post" action="/sign-out" {
                                (csrf_input(ctx))
                                button.btn.btn-ghost #sign-out type="submit" { "Sign out" }
                            }
                            form method="post" action="/sign-out-everywhere" {
                                (csrf_input(ctx))
                                button.btn.btn-ghost #sign-out-everywhere type="submit"
                                    title="Also sign out on every other browser and device" { "Sign out everywhere" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

pub fn csrf_input(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf()); }
}

fn error_for(id: &str, msg: Option<&str>) -> Markup {
    html! { @if let Some(m) = msg { p.field-error id=(format!("{id}-error")) { (m) } } }
}

fn described(id: &str, msg: Option<&str>) -> Option<String> {
    msg.map(|_| format!("{id}-error"))
}

fn invalid(msg: Option<&str>) -> Option<&'static str> {
    msg.map(|_| "true")
}

// ---------------------------------------------------------------- accounts

#[derive(Debug, Clone, Default)]
pub struct AccountForm {
    pub name: String,
    pub email: String,
}

pub fn sign_in(ctx: &Ctx, form: &AccountForm, errors: &FormErrors, notice: Option<&str>) -> Markup {
    let body = html! {
        section.auth-card aria-labelledby="auth-heading" {
            h1 #auth-heading { "Sign in" }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            @if let Some(g) = &errors.general { p.form-error #form-error role="alert" { (g) } }
            form #sign-in-form method="post" action="/sign-in" novalidate {
                (csrf_input(ctx))
                (text_field("email", "email", "Email", "email", &form.email, errors.get("email"), "email"))
                (text_field("password", "password", "Password", "password", "", errors.get("password"), "current-password"))
                button.btn.btn-primary #sign-in-submit type="submit" { "Sign in" }
            }
            p.switch { "New here? " a #to-sign-up href="/sign-up" { "Create an account" } }
        }
    };
    layout("Sign in", ctx, body)
}

pub fn sign_up(ctx: &Ctx, form: &AccountForm, errors: &FormErrors) -> Markup {
    let body = html! {
        section.auth-card aria-labelledby="auth-heading" {
            h1 #auth-heading { "Create your account" }
            @if let Some(g) = &errors.general { p.form-error #form-error role="alert" { (g) } }
            form #sign-up-form method="post" action="/sign-up" novalidate {
                (csrf_input(ctx))
                (text_field("name", "name", "Name", "text", &form.name, errors.get("name"), "name"))
                (text_field("email", "email", "Email", "email", &form.email, errors.get("email"), "email"))
                (text_field("password", "password", "Password (at least 8 characters)", "password", "", errors.get("password"), "new-password"))
                button.btn.btn-primary #sign-up-submit type="submit" { "Create account" }
            }
            p.switch { "Already have an account? " a #to-sign-in href="/sign-in" { "Sign in" } }
        }
    };
    layout("Sign up", ctx, body)
}

#[allow(clippy::too_many_arguments)]
fn text_field(
    id: &str,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    err: Option<&str>,
    autocomplete: &str,
) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value) autocomplete=(autocomplete) required
                aria-invalid=[invalid(err)] aria-describedby=[described(id, err)];
            (error_for(id, err))
        }
    }
}

// ---------------------------------------------------------------- errors

pub fn error_page(ctx: &Ctx, title: &str, message: &str, retry: bool) -> Markup {
    let body = html! {
        section.error-card aria-labelledby="error-heading" {
            h1 #error-heading { (title) }
            p { (message) }
            p.actions {
                @if retry { a.btn.btn-primary #retry href="" { "Try again" } " " }
                a.btn #go-home href="/" { "Go to your tasks" }
            }
        }
    };
    layout(title, ctx, body)
}

pub fn confirm_delete(ctx: &Ctx, task: &Task, back: &str) -> Markup {
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

// ---------------------------------------------------------------- tasks

/// Tasks per page of the task list (the API's largest page).
pub const PAGE_SIZE: u32 = 100;

/// The list query of the task page (also the "back" of every form on it).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub q: String,
    pub priority: String,
    pub tag: String,
    pub sort: String,
    pub c: String,
    /// 1-based page of the list, [`PAGE_SIZE`] tasks each.
    pub page: String,
    pub notice: String,
    /// The task whose edit form is open (never kept in `back`).
    pub edit: String,
}

impl ListQuery {
    pub fn status(&self) -> &str {
        match self.status.as_str() {
            "pending" | "completed" => &self.status,
            _ => "all",
        }
    }

    /// At most the last page whose offset the API accepts (a u32); anything
    /// past the end of the list shows the way back.
    pub fn page(&self) -> u32 {
        let last_allowed = u64::from(u32::MAX / PAGE_SIZE + 1);
        self.page.trim().parse::<u64>().ok().filter(|p| *p >= 1).map_or(1, |p| p.min(last_allowed) as u32)
    }

    /// Offset of the first task of this page in the whole list.
    pub fn offset(&self) -> u64 {
        u64::from(self.page() - 1) * u64::from(PAGE_SIZE)
    }

    pub fn editing(&self) -> Option<i64> {
        self.edit.trim().parse().ok()
    }

    /// The page with one task's edit form open, scrolled to it.
    pub fn edit_href(&self, id: i64) -> String {
        let s = self.query_string();
        if s.is_empty() { format!("/tasks?edit={id}#task-{id}") } else { format!("/tasks?{s}&edit={id}#task-{id}") }
    }

    pub fn conversation(&self) -> Option<i64> {
        self.c.trim().parse().ok()
    }

    pub fn filtered(&self) -> bool {
        self.status() != "all" || !self.q.trim().is_empty() || !self.priority.is_empty() || !self.tag.trim().is_empty()
    }

    /// The query string (no leading `?`), without the notice.
    pub fn query_string(&self) -> String {
        let mut url = reqwest::Url::parse("http://x/tasks").expect("static URL");
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in [
                ("status", self.status().to_string()),
                ("q", self.q.trim().to_string()),
                ("priority", self.priority.clone()),
                ("tag", self.tag.trim().to_string()),
                ("sort", self.sort.clone()),
                ("c", self.c.trim().to_string()),
                ("page", if self.page() > 1 { self.page().to_string() } else { String::new() }),
            ] {
                if !(v.is_empty() || k == "status" && v == "all") {
                    q.append_pair(k, &v);
                }
            }
        }
        url.query().unwrap_or("").to_string()
    }

    /// Parses a `back` query string into a clean query (nothing but our parameters).
    pub fn from_back(back: &str) -> ListQuery {
        let url = reqwest::Url::parse(&format!("http://x/tasks?{back}")).ok();
        let mut q = ListQuery::default();
        for (k, v) in url.iter().flat_map(|u| u.query_pairs()) {
            let v = v.into_owned();
            match k.as_ref() {
                "status" => q.status = v,
                "q" => q.q = v,
                "priority" => q.priority = v,
                "tag" => q.tag = v,
                "sort" => q.sort = v,
                "c" => q.c = v,
                "page" => q.page = v,
                _ => {}
            }
        }
        q
    }

    pub fn href_with(&self, f: impl FnOnce(&mut ListQuery)) -> String {
        let mut q = self.clone();
        f(&mut q);
        let mut s = q.query_string();
        if let Some(n) = notice_text(&q.notice).map(|_| &q.notice) {
            s = if s.is_empty() { format!("notice={n}") } else { format!("{s}&notice={n}") };
        }
        if s.is_empty() { "/tasks".into() } else { format!("/tasks?{s}") }
    }
}

/// Values of a task form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TaskForm {
    pub csrf: String,
    pub back: String,
    pub title: String,
    pub description: String,
    pub priority: String,
    pub tags: String,
    pub due_date: String,
}

impl TaskForm {
    pub fn from_task(t: &Task, offset: FixedOffset) -> TaskForm {
        TaskForm {
            title: t.title.clone(),
            description: t.description.clone().unwrap_or_default(),
            priority: t.priority.as_str().into(),
            tags: t.tags.join(", "),
            due_date: t.due_at.map(|d| d.with_timezone(&offset).format("%Y-%m-%d").to_string()).unwrap_or_default(),
            ..Default::default()
        }
    }
}

pub struct ChatView {
    pub conversations: Vec<Conversation>,
    pub current: Option<i64>,
    pub messages: Vec<ChatMessage>,
    pub draft: String,
    pub error: Option<String>,
}

pub struct TasksView {
    pub query: ListQuery,
    pub tasks: Vec<Task>,
    pub total: i64,
    pub add: TaskForm,
    pub add_errors: FormErrors,
    pub edit: Option<(i64, TaskForm, FormErrors)>,
    pub chat: ChatView,
    pub now: DateTime<Utc>,
    pub offset: FixedOffset,
    /// The API rejected the filters (e.g. a tag with spaces).
    pub filter_error: Option<String>,
}

pub fn tasks_page(ctx: &Ctx, v: &TasksView) -> Markup {
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

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "added" => "Task added.",
        "saved" => "Task saved.",
        "toggled" => "Task updated.",
        "deleted" => "Task deleted.",
        "conversation-deleted" => "Conversation deleted.",
        "not-found" => "That task was not found. It may have been deleted.",
        "conversation-not-found" => "That conversation was not found. It may have been deleted.",
        _ => return None,
    })
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
            @if let Some(n) = notice_text(&q.notice) { (n) }
        }
        (add_form(ctx, &v.add, &v.add_errors, &back))
        nav.tabs aria-label="Filter by status" {
            @for (value, label) in [("all", "All"), ("pending", "Pending"), ("completed", "Completed")] {
                a.tab id=(format!("tab-{value}")) href=(q.href_with(|q| { q.status = value.into(); q.page.clear(); }))
                    aria-current=[(q.status() == value).then_some("page")] { (label) }
            }
        }
        form #filters .filters method="get" action="/tasks" role="search" aria-label="Search and filter tasks" {
            @if q.status() != "all" { input type="hidden" name="status" value=(q.status()); }
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
                } @else {
                    p.empty-title { "No tasks yet." }
                    p { "Add your first task with the form above, or ask the assistant: “add a task to buy milk tomorrow”." }
                }
            }
        } @else {
            ul #task-list .task-list aria-label="Tasks" {
                @for t in &v.tasks { (task_row(ctx, v, t, &back)) }
            }
            @if (v.tasks.len() as i64) < v.total {
                (pager(q, v.tasks.len(), v.total))
            }
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

fn due_info(t: &Task, now: DateTime<Utc>, offset: FixedOffset) -> Option<(String, bool, bool)> {
    let due = t.due_at?;
    let local = due.with_timezone(&offset);
    let today = now.with_timezone(&offset).date_naive();
    let overdue = !t.completed && due < now;
    let is_today = !t.completed && local.date_naive() == today;
    let end_of_day = local.time() >= NaiveTime::from_hms_opt(23, 59, 0).expect("valid time");
    let mut text = if local.year() == today.year() {
        local.format("%a %-d %b").to_string()
    } else {
        local.format("%a %-d %b %Y").to_string()
    };
    if !end_of_day {
        text.push_str(&local.format(", %H:%M").to_string());
    }
    Some((text, overdue, is_today && !overdue))
}

fn task_row(ctx: &Ctx, v: &TasksView, t: &Task, back: &str) -> Markup {
    let due = due_info(t, v.now, v.offset);
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
                    span class=(format!("badge prio prio-{}", t.priority.as_str())) { (priority_label(t.priority.as_str())) " priority" }
                    @if let Some((text, _, _)) = &due {
                        span.badge.due {
                            @if overdue { strong { "Overdue" } " · " } @else if today { strong { "Due today" } " · " } @else { "Due " }
                            time datetime=(t.due_at.map(|d| d.to_rfc3339()).unwrap_or_default()) { (text) }
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
                a.btn.btn-ghost.btn-small.btn-danger-text id=(format!("delete-{}", t.id))
                    href=(format!("/tasks/{}/delete?back={}", t.id, urlencode(back))) data-confirm-delete=(t.title) {
                    "Delete" span.sr-only { " “" (t.title) "”" }
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

pub fn urlencode(s: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("static URL");
    url.query_pairs_mut().append_pair("v", s);
    url.query().unwrap_or("v=").trim_start_matches("v=").to_string()
}

// ---------------------------------------------------------------- chat

/// A tool call as a line a person reads: "Added 'Buy groceries'".
pub fn tool_line(call: &ToolCallRecord) -> String {
    let r = &call.result;
    if let Some(err) = r.get("error").and_then(|e| e.as_str()) {
        return format!("Could not {}: {err}", call.tool.replace('_', " "));
    }
    let title = r.get("title").and_then(|t| t.as_str()).unwrap_or("a task");
    match call.tool.as_str() {
        "add_task" => format!("Added '{title}'"),
        "complete_task" => format!("Completed '{title}'"),
        "delete_task" => format!("Deleted '{title}'"),
        "update_task" => format!("Updated '{title}'"),
        "list_tasks" => {
            let n = r.get("count").and_then(|c| c.as_i64()).unwrap_or(0);
            format!("Looked at your tasks ({n} found)")
        }
        other => format!("Used {}", other.replace('_', " ")),
    }
}

fn message(m: &ChatMessage) -> Markup {
    let user = m.role == Role::User;
    html! {
        div.msg .msg-user[user] .msg-assistant[!user] {
            p.msg-who { @if user { "You" } @else { "Assistant" } }
            @if !m.tool_calls.is_empty() {
                ul.tools { @for c in &m.tool_calls { li { (tool_line(c)) } } }
            }
            p.msg-text { (m.content) }
        }
    }
}

fn chat_panel(ctx: &Ctx, v: &TasksView) -> Markup {
    let c = &v.chat;
    let back = v.query.query_string();
    html! {
        h2 #chat-heading { "Assistant" }
        div #chat-log .chat-log role="log" aria-live="polite" aria-label="Conversation" tabindex="0" {
            @if c.messages.is_empty() {
                p.chat-hint #chat-empty { "Ask me to manage your tasks: “add a task to buy groceries”, “what's pending?”, “complete the groceries task”." }
            }
            @for m in &c.messages { (message(m)) }
        }
        @if let Some(e) = &c.error { p.form-error #chat-error role="alert" { (e) } }
        form #chat-form .chat-form method="post" action="/chat" {
            (csrf_input(ctx))
            input type="hidden" name="back" value=(back);
            input #chat-conversation type="hidden" name="conversation_id" value=(c.current.map(|i| i.to_string()).unwrap_or_default());
            label for="chat-message" { "Message the assistant" }
            textarea #chat-message name="message" rows="2" maxlength="4000" required placeholder="Add a task to buy milk tomorrow" { (c.draft) }
            button.btn.btn-primary #chat-send type="submit" { "Send" }
        }
        section #history .history aria-labelledby="history-heading" {
            div.history-head {
                h3 #history-heading { "Conversations" }
                a.btn.btn-ghost.btn-small #new-conversation href=(format!("{}#chat", v.query.href_with(|q| q.c.clear()))) { "New conversation" }
            }
            @if c.conversations.is_empty() {
                p.chat-hint { "Your past conversations will be listed here." }
            } @else {
                ul #conversation-list .conversations {
                    @for conv in &c.conversations {
                        li data-testid=(format!("conversation-{}", conv.id)) {
                            a href=(format!("{}#chat", v.query.href_with(|q| q.c = conv.id.to_string())))
                                aria-current=[(c.current == Some(conv.id)).then_some("true")] { (conv.title) }
                            form method="post" action=(format!("/conversations/{}/delete", conv.id)) data-enhance {
                                (csrf_input(ctx))
                                input type="hidden" name="back" value=(back);
                                button.btn.btn-ghost.btn-small.btn-danger-text type="submit" id=(format!("delete-conversation-{}", conv.id)) {
                                    "Delete" span.sr-only { " conversation “" (conv.title) "”" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn back_is_reduced_to_our_parameters() {
        let q = ListQuery::from_back("status=pending&q=milk+%26+eggs&evil=1&c=7");
        assert_eq!(q.href_with(|_| {}), "/tasks?status=pending&q=milk+%26+eggs&c=7");
        for hostile in ["//evil.example/x", "\r\nSet-Cookie: a=b", "https://evil.example"] {
            let href = ListQuery::from_back(hostile).href_with(|q| q.notice = "added".into());
            assert!(href.starts_with("/tasks"), "{href}");
            assert!(!href.contains('\n') && !href.contains("//"), "{href}");
        }
        assert_eq!(ListQuery::default().href_with(|q| q.notice = "bogus".into()), "/tasks");
        assert_eq!(ListQuery::default().href_with(|q| q.notice = "added".into()), "/tasks?notice=added");
    }

    #[test]
    fn tool_calls_read_as_sentences() {
        let call = |tool: &str, result: serde_json::Value| ToolCallRecord {
            id: "1".into(),
            tool: tool.into(),
            arguments: json!({}),
            result,
        };
        assert_eq!(
            tool_line(&call("add_task", json!({"task_id": 1, "status": "created", "title": "Buy groceries"}))),
            "Added 'Buy groceries'"
        );
        assert_eq!(tool_line(&call("complete_task", json!({"title": "X"}))), "Completed 'X'");
        assert_eq!(tool_line(&call("delete_task", json!({"title": "X"}))), "Deleted 'X'");
        assert_eq!(tool_line(&call("update_task", json!({"title": "X"}))), "Updated 'X'");
        assert_eq!(tool_line(&call("list_tasks", json!({"tasks": [], "count": 3}))), "Looked at your tasks (3 found)");
        assert_eq!(
            tool_line(&call("delete_task", json!({"error": "task 9 doesn't exist"}))),
            "Could not delete task: task 9 doesn't exist"
        );
    }

    #[test]
    fn due_dates_know_today_and_overdue() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z").unwrap().with_timezone(&Utc);
        let utc = FixedOffset::east_opt(0).unwrap();
        let task = |due: &str, completed: bool| Task {
            id: 1,
            user_id: "u".into(),
            title: "t".into(),
            description: None,
            completed,
            priority: Priority::Medium,
            tags: vec![],
            due_at: Some(DateTime::parse_from_rfc3339(due).unwrap().with_timezone(&Utc)),
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        let (text, overdue, today) = due_info(&task("2026-11-26T23:59:59Z", false), now, utc).unwrap();
        assert_eq!((text.as_str(), overdue, today), ("Thu 26 Nov", false, true));
        let (text, overdue, _) = due_info(&task("2026-11-25T09:30:00Z", false), now, utc).unwrap();
        assert_eq!((text.as_str(), overdue), ("Wed 25 Nov, 09:30", true));
        let (_, overdue, today) = due_info(&task("2026-11-25T09:30:00Z", true), now, utc).unwrap();
        assert!(!overdue && !today, "done tasks never stand out");
        // Local offset: 23:59 UTC on the 26th is already the 27th in UTC+2.
        let plus2 = FixedOffset::east_opt(2 * 3600).unwrap();
        let (text, _, today) = due_info(&task("2026-11-26T23:59:59Z", false), now, plus2).unwrap();
        assert_eq!((text.as_str(), today), ("Fri 27 Nov, 01:59", false));
        let (text, _, _) = due_info(&task("2027-01-02T23:59:59Z", false), now, utc).unwrap();
        assert_eq!(text, "Sat 2 Jan 2027");
    }
}
