//! Test groups (`[test-groups.NAME] max-threads = N` in the config file): counting semaphores,
//! one per group, shared by every sequence that runs at the same time — the executor's workers,
//! the shards of a hunt's side-by-side batch, triage reruns — because every one of them runs
//! with a clone of the same [`ExecOptions`](crate::runner::options::ExecOptions), whose
//! [`TestGroups`] is one `Arc`.
//!
//! A test (process isolation) or a libtest process (shared isolation: one slot of each group
//! any of its tests belongs to, for the process's whole life) takes its slots before it starts
//! and gives them back when it has been reaped, so the run record's start and end times of a
//! group's tests never overlap more than `max-threads` deep. Slots are taken all at once or
//! not at all, and a holder waits for nothing while it holds them, so waiting cannot deadlock.
//! Groups change when a test starts, never its shard or position: the plan stays a function
//! of the seed.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The groups of a run: each name's `max-threads`, and how many of its slots are taken.
#[derive(Debug, Default)]
pub(crate) struct TestGroups {
    /// `max-threads` by group name, each at least 1.
    limits: BTreeMap<String, u32>,
    /// Slots taken, by group name (absent = 0).
    taken: Mutex<BTreeMap<String, u32>>,
    /// Woken whenever slots are given back.
    freed: Condvar,
}

/// Slots taken by [`TestGroups::acquire`]; given back when dropped.
#[derive(Debug)]
pub(crate) struct Slots<'g> {
    /// The groups the slots are of.
    groups: &'g TestGroups,
    /// One slot of each of these group names.
    names: Vec<String>,
}

impl TestGroups {
    /// Groups with these `max-threads` limits (a limit of 0 is taken as 1).
    pub(crate) fn new(limits: BTreeMap<String, u32>) -> Arc<TestGroups> {
        Arc::new(TestGroups {
            limits: limits.into_iter().map(|(k, v)| (k, v.max(1))).collect(),
            ..TestGroups::default()
        })
    }

    /// Whether any group is defined (without groups, [`acquire`](Self::acquire) never waits).
    pub(crate) fn is_empty(&self) -> bool {
        self.limits.is_empty()
    }

    /// Takes one slot of each group in `names` (unknown names and duplicates are ignored),
    /// waiting until all are free at once. `stop` is asked every 50 ms while waiting; when it
    /// says true, gives up and returns `None` (the run was interrupted).
    pub(crate) fn acquire<'g>(
        &'g self,
        names: &[&str],
        stop: &dyn Fn() -> bool,
    ) -> Option<Slots<'g>> {
        let mut names: Vec<String> = names
            .iter()
            .filter(|n| self.limits.contains_key(**n))
            .map(|n| n.to_string())
            .collect();
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Some(Slots {
                groups: self,
                names,
            });
        }
        let mut taken = self.taken.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let free = names
                .iter()
                .all(|n| taken.get(n).copied().unwrap_or(0) < self.limits[n]);
            if free {
                for n in &names {
                    *taken.entry(n.clone()).or_insert(0) += 1;
                }
                return Some(Slots {
                    groups: self,
                    names,
                });
            }
            if stop() {
                return None;
            }
            taken = self
                .freed
                .wait_timeout(taken, Duration::from_millis(50))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
impl Slots<'_> {
    /// The groups these slots are of, sorted (empty when the test is in none).
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }
}

impl Drop for Slots<'_> {
    fn drop(&mut self) {
        if self.names.is_empty() {
            return;
        }
        let mut taken = self.groups.taken.lock().unwrap_or_else(|p| p.into_inner());
        for n in &self.names {
            if let Some(c) = taken.get_mut(n) {
                *c = c.saturating_sub(1);
            }
        }
        drop(taken);
        self.groups.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn a_group_never_holds_more_than_max_threads() {
        for max in [1, 2] {
            let groups = TestGroups::new(BTreeMap::from([("db".to_string(), max)]));
            let inside = AtomicU32::new(0);
            let most = AtomicU32::new(0);
            std::thread::scope(|s| {
                for _ in 0..6 {
                    s.spawn(|| {
                        for _ in 0..20 {
                            let _slot = groups.acquire(&["db"], &|| false).unwrap();
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::yield_now();
                            inside.fetch_sub(1, Ordering::SeqCst);
                        }
                    });
                }
            });
            assert_eq!(most.load(Ordering::SeqCst), max);
        }
    }

    #[test]
    fn slots_are_taken_all_at_once_and_given_back_on_drop() {
        let groups = TestGroups::new(BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 1)]));
        let held = groups
            .acquire(&["b", "a", "a", "unknown"], &|| false)
            .unwrap();
        assert_eq!(held.names(), ["a", "b"]);
        // Full: a waiter gives up when told to stop, and takes nothing.
        assert!(groups.acquire(&["a"], &|| true).is_none());
        assert!(groups.acquire(&["b", "a"], &|| true).is_none());
        // No group (or only unknown ones): never waits.
        assert!(groups.acquire(&["unknown"], &|| true).is_some());
        drop(held);
        let again = groups.acquire(&["a", "b"], &|| true).unwrap();
        assert_eq!(again.names(), ["a", "b"]);
    }
}
