//! Duration history: how long each test took in earlier runs, kept next to the build
//! (`<target>/<profile>/cargo-shuffle-durations.json`), so that the executor can start the
//! longest shards first. Shard contents and in-shard order never depend on it: only which free
//! worker takes which shard first, which balances skewed suites without touching the plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Test id → last observed duration in milliseconds.
pub(crate) type Durations = BTreeMap<String, f64>;

/// Where the history of the build containing `exe` lives: its profile directory, when `exe`
/// is in cargo's `…/<profile>/deps/` (binaries given elsewhere have no history).
pub(crate) fn path_for(exe: &Path) -> Option<PathBuf> {
    let deps = exe.parent()?;
    (deps.file_name()? == "deps").then(|| {
        deps.parent()
            .map(|p| p.join("cargo-shuffle-durations.json"))
    })?
}

/// Reads a history file; a missing or unreadable one is empty (it is only a hint).
pub(crate) fn load(path: &Path) -> Durations {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Updates the history with this run's durations and writes it back (best effort: a
/// read-only target directory just means no history).
pub(crate) fn save(path: &Path, mut old: Durations, new: impl Iterator<Item = (String, f64)>) {
    old.extend(new);
    if let Ok(text) = serde_json::to_vec(&old) {
        let _ = crate::files::write_file(path, &text);
    }
}

/// Estimates the wall time of sequences of tests from a history: recorded durations, and for
/// tests without a record the median of the recorded ones (or 10 ms with no history at all).
pub(crate) struct Estimator<'h> {
    history: &'h Durations,
    fallback: f64,
}

impl<'h> Estimator<'h> {
    /// An estimator over `history` (the median is computed once here).
    pub(crate) fn new(history: &'h Durations) -> Estimator<'h> {
        Estimator {
            history,
            fallback: median(history).unwrap_or(10.0),
        }
    }

    /// Estimated milliseconds for running the tests `ids` one after another.
    pub(crate) fn estimate<'a>(&self, ids: impl Iterator<Item = &'a str>) -> f64 {
        ids.map(|id| self.history.get(id).copied().unwrap_or(self.fallback))
            .sum()
    }
}

fn median(h: &Durations) -> Option<f64> {
    let mut v: Vec<f64> = h.values().copied().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lives_in_the_profile_dir() {
        assert_eq!(
            path_for(Path::new("/t/debug/deps/api-0123456789abcdef")),
            Some(PathBuf::from("/t/debug/cargo-shuffle-durations.json"))
        );
        assert_eq!(path_for(Path::new("/usr/bin/x")), None);
    }

    #[test]
    fn estimates_use_the_median_for_unknown_tests() {
        let h: Durations = [
            ("a".to_string(), 100.0),
            ("b".into(), 2.0),
            ("c".into(), 4.0),
        ]
        .into();
        assert_eq!(Estimator::new(&h).estimate(["a", "x"].into_iter()), 104.0);
        let empty = Durations::new();
        assert_eq!(
            Estimator::new(&empty).estimate(["x", "y"].into_iter()),
            20.0
        );
    }

    #[test]
    fn save_merges() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.json");
        save(&p, Durations::new(), [("a".to_string(), 1.0)].into_iter());
        save(&p, load(&p), [("b".to_string(), 2.0)].into_iter());
        assert_eq!(load(&p).len(), 2);
    }
}
