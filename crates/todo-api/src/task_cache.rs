//! The JSON of tasks as the API last rendered them, keyed by task id and checked
//! against the task's revision in the database on every use.
//!
//! A task list still asks the database which tasks are on the page, but only for
//! their ids and revisions (two numbers per task instead of twelve values); when
//! every task on the page has been rendered at that revision before, the body is
//! put together from this cache. Rendering 100 tasks from full rows was half of
//! the server's CPU time and most of PostgreSQL's for a list (README,
//! "Performance"). A stale entry is never served: every update of a task raises
//! its revision, so the entry no longer matches and the page is read in full.
//! Entries also carry their owner, and a lookup by anyone else misses.
//!
//! The cache is bounded by bytes; when full, the least recently used quarter of
//! the budget is dropped at once (amortised, instead of a linked list per entry).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use todo_store::TaskRef;

/// Bookkeeping bytes per entry on top of the JSON and the owner id.
const ENTRY_OVERHEAD: usize = 64;

/// Rendered JSON of listed tasks, keyed by task id and revision, within a byte budget:
/// a revision the database no longer has is never served.
pub struct TaskJsonCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<i64, Entry>,
    bytes: usize,
    clock: u64,
}

struct Entry {
    owner: Box<str>,
    revision: i64,
    json: Bytes,
    last_used: u64,
}

impl Entry {
    fn size(&self) -> usize {
        self.json.len() + self.owner.len() + ENTRY_OVERHEAD
    }
}

impl TaskJsonCache {
    /// A cache holding at most `budget` bytes; 0 keeps nothing.
    pub fn new(budget: usize) -> TaskJsonCache {
        TaskJsonCache { budget, inner: Mutex::new(Inner::default()) }
    }

    /// False when the budget is 0: lists then skip asking for revisions.
    pub fn is_enabled(&self) -> bool {
        self.budget > 0
    }

    /// Appends the JSON of every task in `refs`, comma-separated and in order, to
    /// `out` if all of them are cached at these revisions for `owner`. Otherwise
    /// leaves `out` as it was and returns false.
    pub fn append_page(&self, owner: &str, refs: &[TaskRef], out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        for (i, r) in refs.iter().enumerate() {
            match inner.entries.get_mut(&r.id) {
                Some(e) if e.revision == r.revision && &*e.owner == owner => {
                    e.last_used = now;
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(&e.json);
                }
                _ => {
                    out.truncate(start);
                    return false;
                }
            }
        }
        true
    }

    /// Remembers `json` as the rendering of task `r` of `owner`.
    pub fn insert(&self, owner: &str, r: TaskRef, json: Bytes) {
        let entry = Entry { owner: owner.into(), revision: r.revision, json, last_used: 0 };
        if entry.size() > self.budget / 4 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let entry = Entry { last_used: inner.clock, ..entry };
        inner.bytes += entry.size();
        if let Some(old) = inner.entries.insert(r.id, entry) {
            inner.bytes -= old.size();
        }
        if inner.bytes > self.budget {
            inner.evict_down_to(self.budget - self.budget / 4);
        }
    }

    /// Bytes held, for tests and metrics.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

impl Inner {
    /// Drops the least recently used entries until at most `target` bytes remain.
    fn evict_down_to(&mut self, target: usize) {
        let mut by_age: Vec<(u64, i64, usize)> =
            self.entries.iter().map(|(id, e)| (e.last_used, *id, e.size())).collect();
        by_age.sort_unstable();
        for (_, id, size) in by_age {
            if self.bytes <= target {
                break;
            }
            self.entries.remove(&id);
            self.bytes -= size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: i64, revision: i64) -> TaskRef {
        TaskRef { id, revision }
    }

    fn json(id: i64) -> Bytes {
        Bytes::from(format!("{{\"id\":{id}}}"))
    }

    #[test]
    fn a_page_is_served_only_when_every_task_matches() {
        let cache = TaskJsonCache::new(1 << 20);
        cache.insert("u1", r(1, 0), json(1));
        cache.insert("u1", r(2, 3), json(2));

        let mut out = b"[".to_vec();
        assert!(cache.append_page("u1", &[r(2, 3), r(1, 0)], &mut out));
        assert_eq!(out, br#"[{"id":2},{"id":1}"#);

        let mut out = b"[".to_vec();
        assert!(!cache.append_page("u1", &[r(1, 0), r(2, 4)], &mut out), "a newer revision misses");
        assert_eq!(out, b"[", "a miss leaves the buffer as it was");
        assert!(!cache.append_page("u1", &[r(1, 0), r(3, 0)], &mut out), "an unknown task misses");
        assert!(!cache.append_page("u2", &[r(1, 0)], &mut out), "another user's lookup misses");
        assert!(cache.append_page("u1", &[], &mut out), "an empty page needs nothing");
        assert_eq!(out, b"[");
    }

    #[test]
    fn a_new_revision_replaces_the_old_one() {
        let cache = TaskJsonCache::new(1 << 20);
        cache.insert("u1", r(1, 0), Bytes::from_static(b"old"));
        let one = cache.bytes();
        cache.insert("u1", r(1, 1), Bytes::from_static(b"new"));
        assert_eq!(cache.bytes(), one);
        let mut out = Vec::new();
        assert!(cache.append_page("u1", &[r(1, 1)], &mut out));
        assert_eq!(out, b"new");
        assert!(!cache.append_page("u1", &[r(1, 0)], &mut out));
    }

    #[test]
    fn the_budget_holds_and_recently_used_tasks_stay() {
        let budget = 100 * (10 + 2 + ENTRY_OVERHEAD);
        let cache = TaskJsonCache::new(budget);
        for id in 0..100 {
            cache.insert("u1", r(id, 0), Bytes::from(vec![b'x'; 10]));
        }
        assert_eq!(cache.bytes(), budget);
        // Task 0 is used again, so it is the most recent when the budget overflows.
        assert!(cache.append_page("u1", &[r(0, 0)], &mut Vec::new()));
        cache.insert("u1", r(100, 0), Bytes::from(vec![b'x'; 10]));
        assert!(cache.bytes() <= budget - budget / 4);
        assert!(cache.append_page("u1", &[r(0, 0), r(100, 0)], &mut Vec::new()));
        assert!(!cache.append_page("u1", &[r(1, 0)], &mut Vec::new()), "the oldest entries went first");
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = TaskJsonCache::new(0);
        assert!(!cache.is_enabled());
        cache.insert("u1", r(1, 0), json(1));
        assert_eq!(cache.bytes(), 0);
        assert!(!cache.append_page("u1", &[r(1, 0)], &mut Vec::new()));
    }
}
