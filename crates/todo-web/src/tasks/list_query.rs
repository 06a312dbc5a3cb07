//! The list query of the task page, which is also the `back` of every form on it.

/// Tasks per page of the task list (the API's largest page).
pub(crate) const PAGE_SIZE: u32 = 100;

/// The list query of the task page (also the "back" of every form on it).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct ListQuery {
    /// today (due today and overdue), upcoming (the next 7 days by day) or all (the default).
    pub(crate) view: String,
    /// pending (the default: completed tasks hidden), all (shown too) or completed (only them).
    pub(crate) status: String,
    pub(crate) q: String,
    pub(crate) priority: String,
    pub(crate) tag: String,
    pub(crate) sort: String,
    pub(crate) c: String,
    /// 1-based page of the list, [`PAGE_SIZE`] tasks each.
    pub(crate) page: String,
    pub(crate) notice: String,
    /// What the notice's Undo button undoes (`delete-<id>`, `complete-<id>`,
    /// `reopen-<id>`); like the notice, never kept in `back`.
    pub(crate) undo: String,
    /// The task whose edit form is open (never kept in `back`).
    pub(crate) edit: String,
}

impl ListQuery {
    pub(crate) fn status(&self) -> &str {
        match self.status.as_str() {
            "all" | "completed" => &self.status,
            _ => "pending",
        }
    }

    pub(crate) fn view(&self) -> &str {
        match self.view.as_str() {
            "today" | "upcoming" => &self.view,
            _ => "all",
        }
    }

    /// The undo the notice offers: what was done, and to which task.
    pub(crate) fn undo(&self) -> Option<(&str, i64)> {
        let (what, id) = self.undo.split_once('-')?;
        let id = id.parse().ok().filter(|id| *id > 0)?;
        matches!(what, "delete" | "complete" | "reopen").then_some((what, id))
    }

    /// At most the last page whose offset the API accepts (a u32); anything
    /// past the end of the list shows the way back.
    pub(crate) fn page(&self) -> u32 {
        let last_allowed = u64::from(u32::MAX / PAGE_SIZE + 1);
        self.page.trim().parse::<u64>().ok().filter(|p| *p >= 1).map_or(1, |p| p.min(last_allowed) as u32)
    }

    /// Offset of the first task of this page in the whole list.
    pub(crate) fn offset(&self) -> u64 {
        u64::from(self.page() - 1) * u64::from(PAGE_SIZE)
    }

    pub(crate) fn editing(&self) -> Option<i64> {
        self.edit.trim().parse().ok()
    }

    /// The page with one task's edit form open, scrolled to it.
    pub(crate) fn edit_href(&self, id: i64) -> String {
        let s = self.query_string();
        if s.is_empty() { format!("/tasks?edit={id}#task-{id}") } else { format!("/tasks?{s}&edit={id}#task-{id}") }
    }

    pub(crate) fn conversation(&self) -> Option<i64> {
        self.c.trim().parse().ok()
    }

    pub(crate) fn filtered(&self) -> bool {
        self.status() == "completed"
            || !self.q.trim().is_empty()
            || !self.priority.is_empty()
            || !self.tag.trim().is_empty()
    }

    /// The query string (no leading `?`), without the notice.
    pub(crate) fn query_string(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("view", self.view().to_string()),
            ("status", self.status().to_string()),
            ("q", self.q.trim().to_string()),
            ("priority", self.priority.clone()),
            ("tag", self.tag.trim().to_string()),
            ("sort", self.sort.clone()),
            ("c", self.c.trim().to_string()),
            ("page", if self.page() > 1 { self.page().to_string() } else { String::new() }),
        ] {
            if !(v.is_empty() || k == "status" && v == "pending" || k == "view" && v == "all") {
                q.append_pair(k, &v);
            }
        }
        q.finish()
    }

    /// Parses a `back` query string into a clean query (nothing but our parameters).
    pub(crate) fn from_back(back: &str) -> ListQuery {
        let mut q = ListQuery::default();
        for (k, v) in form_urlencoded::parse(back.as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "view" => q.view = v,
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

    pub(crate) fn href_with(&self, f: impl FnOnce(&mut ListQuery)) -> String {
        let mut q = self.clone();
        f(&mut q);
        let mut s = q.query_string();
        if let Some(n) = notice_text(&q.notice).map(|_| &q.notice) {
            s = if s.is_empty() { format!("notice={n}") } else { format!("{s}&notice={n}") };
            if let Some((what, id)) = q.undo() {
                s = format!("{s}&undo={what}-{id}");
            }
        }
        if s.is_empty() { "/tasks".into() } else { format!("/tasks?{s}") }
    }
}

pub(crate) fn back_to(back: &str, f: impl FnOnce(&mut ListQuery)) -> String {
    ListQuery::from_back(back).href_with(f)
}

pub(crate) fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "added" => "Task added.",
        "saved" => "Task saved.",
        "toggled" => "Task updated.",
        "completed" => "Task completed.",
        "reopened" => "Task marked as not done.",
        "deleted" => "Task deleted.",
        "restored" => "Task restored.",
        "undone" => "Undone.",
        "conversation-deleted" => "Conversation deleted.",
        "not-found" => "That task was not found. It may have been deleted.",
        "conversation-not-found" => "That conversation was not found. It may have been deleted.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_is_reduced_to_our_parameters() {
        let q = ListQuery::from_back("view=today&status=all&q=milk+%26+eggs&evil=1&c=7&undo=delete-3");
        assert_eq!(q.href_with(|_| {}), "/tasks?view=today&status=all&q=milk+%26+eggs&c=7");
        // The defaults are left out: All, completed hidden.
        assert_eq!(ListQuery::from_back("view=all&status=pending").href_with(|_| {}), "/tasks");
        assert_eq!(ListQuery::from_back("status=bogus&view=bogus").query_string(), "");
        for hostile in ["//evil.example/x", "\r\nSet-Cookie: a=b", "https://evil.example"] {
            let href = ListQuery::from_back(hostile).href_with(|q| q.notice = "added".into());
            assert!(href.starts_with("/tasks"), "{href}");
            assert!(!href.contains('\n') && !href.contains("//"), "{href}");
        }
        assert_eq!(ListQuery::default().href_with(|q| q.notice = "bogus".into()), "/tasks");
        assert_eq!(ListQuery::default().href_with(|q| q.notice = "added".into()), "/tasks?notice=added");
        let undo = |u: &str| {
            ListQuery::default().href_with(|q| {
                q.notice = "deleted".into();
                q.undo = u.into();
            })
        };
        assert_eq!(undo("delete-7"), "/tasks?notice=deleted&undo=delete-7");
        for bad in ["drop-7", "delete-x", "delete--1", "delete-0", "delete"] {
            assert_eq!(undo(bad), "/tasks?notice=deleted", "{bad}");
        }
    }
}
