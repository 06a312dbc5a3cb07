//! The JSON of tasks as the API last rendered them, keyed by owner and task
//! number and checked against the task's revision in the database on every use.
//!
//! A task list still asks the database which tasks are on the page, but only for
//! their numbers and revisions (two numbers per task instead of twelve values); when
//! every task on the page has been rendered at that revision before, the body is
//! put together from this cache. Rendering 100 tasks from full rows was half of
//! the server's CPU time and most of PostgreSQL's for a list (README,
//! "Performance"). A stale entry is never served: every update of a task raises
//! its revision, so the entry no longer matches and the page is read in full.
//! Numbers are per user (every account has a task 1), so the key is the owner
//! and the number: a lookup by anyone else misses.
//!
//! The cache is bounded by bytes: a weighted concurrent cache (`quick_cache`,
//! sharded, with a scan-resistant CLOCK-Pro policy) holds the entries, each
//! weighing its JSON, its owner id and a fixed overhead. It replaced a
//! hand-written LRU whose eviction sorted every entry under one global mutex
//! (docs/adr/0002-task-json-cache.md has the measurement).

use std::sync::Arc;

use axum::body::Bytes;
use quick_cache::sync::Cache;
use quick_cache::{Equivalent, Weighter};
use todo_store::TaskRef;

/// Bookkeeping bytes per entry on top of the JSON and the owner id.
const ENTRY_OVERHEAD: usize = 64;

/// A rough size of one task's JSON, to size the cache's tables for its budget.
const TYPICAL_ENTRY_BYTES: usize = 400;

/// Rendered JSON of listed tasks, keyed by owner and task number and checked by
/// revision, within a byte budget: a revision the database no longer has is
/// never served.
pub struct TaskJsonCache {
    budget: usize,
    entries: Option<Cache<Key, Arc<Entry>, EntryWeight>>,
}

/// The owner and the task's number.
type Key = (Box<str>, i64);

/// A [`Key`] to look up without allocating the owner; it hashes as the tuple does.
#[derive(Hash)]
struct KeyRef<'a>(&'a str, i64);

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.1 == key.1 && self.0 == &*key.0
    }
}

/// Shared, so that a lookup (which clones the value out of the cache) costs one
/// reference count instead of one per field.
struct Entry {
    revision: i64,
    json: Bytes,
}

/// An entry's weight: the bytes it holds.
#[derive(Clone)]
struct EntryWeight;

impl Weighter<Key, Arc<Entry>> for EntryWeight {
    fn weight(&self, key: &Key, e: &Arc<Entry>) -> u64 {
        (e.json.len() + key.0.len() + ENTRY_OVERHEAD) as u64
    }
}

impl TaskJsonCache {
    /// A cache holding at most `budget` bytes; 0 keeps nothing.
    pub fn new(budget: usize) -> TaskJsonCache {
        let entries = (budget > 0).then(|| {
            let items = (budget / TYPICAL_ENTRY_BYTES).max(16);
            Cache::with_weighter(items, budget as u64, EntryWeight)
        });
        TaskJsonCache { budget, entries }
    }

    /// False when the budget is 0: lists then skip asking for revisions.
    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// Appends the JSON of every task in `refs`, comma-separated and in order, to
    /// `out` if all of them are cached at these revisions for `owner`. Otherwise
    /// leaves `out` as it was and returns false.
    pub fn append_page(&self, owner: &str, refs: &[TaskRef], out: &mut Vec<u8>) -> bool {
        let Some(entries) = &self.entries else { return refs.is_empty() };
        let start = out.len();
        for (i, r) in refs.iter().enumerate() {
            match entries.get(&KeyRef(owner, r.number)) {
                Some(e) if e.revision == r.revision => {
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

    /// Remembers `json` as the rendering of task `r` of `owner`; an entry over a
    /// quarter of the budget is not kept.
    pub fn insert(&self, owner: &str, r: TaskRef, json: Bytes) {
        let Some(entries) = &self.entries else { return };
        let key: Key = (owner.into(), r.number);
        let entry = Arc::new(Entry { revision: r.revision, json });
        if EntryWeight.weight(&key, &entry) > (self.budget / 4) as u64 {
            return;
        }
        entries.insert(key, entry);
    }

    /// Bytes held, for tests and metrics.
    pub fn bytes(&self) -> usize {
        self.entries.as_ref().map_or(0, |c| c.weight() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(number: i64, revision: i64) -> TaskRef {
        TaskRef { number, revision }
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
        assert!(!cache.append_page("u", &[r(1, 0)], &mut out), "an owner that is a prefix misses");
        assert!(cache.append_page("u1", &[], &mut out), "an empty page needs nothing");
        assert_eq!(out, b"[");
    }

    #[test]
    fn every_user_has_their_own_task_one() {
        let cache = TaskJsonCache::new(1 << 20);
        cache.insert("u1", r(1, 0), Bytes::from_static(b"mine"));
        cache.insert("u2", r(1, 0), Bytes::from_static(b"theirs"));
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        assert!(cache.append_page("u1", &[r(1, 0)], &mut mine));
        assert!(cache.append_page("u2", &[r(1, 0)], &mut theirs));
        assert_eq!((&mine[..], &theirs[..]), (&b"mine"[..], &b"theirs"[..]));
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
        let entry = 10 + 2 + ENTRY_OVERHEAD;
        let budget = 100 * entry;
        let cache = TaskJsonCache::new(budget);
        for id in 0..100 {
            cache.insert("u1", r(id, 0), Bytes::from(vec![b'x'; 10]));
        }
        assert!(cache.bytes() <= budget && cache.bytes() >= budget / 2, "{} of {budget}", cache.bytes());
        // Task 0 is used again, so it is hot when a scan of new tasks overflows the budget.
        assert!(cache.append_page("u1", &[r(0, 0)], &mut Vec::new()));
        for id in 100..300 {
            cache.insert("u1", r(id, 0), Bytes::from(vec![b'x'; 10]));
            assert!(cache.bytes() <= budget, "{} of {budget}", cache.bytes());
        }
        assert!(cache.append_page("u1", &[r(0, 0)], &mut Vec::new()), "a recently used task stays");
        let kept = (1..100).filter(|&id| cache.append_page("u1", &[r(id, 0)], &mut Vec::new())).count();
        assert!(kept < 99, "older unused entries make room ({kept} of 99 kept)");
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
