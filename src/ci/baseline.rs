//! The baseline (quarantine): a committed file listing known order-dependent and flaky tests,
//! so that they do not fail the gate while new ones do, and fixed ones are reported.
//!
//! File format: [`Baseline`] of `report::schema` (JSON, schema `cargo-shuffle/baseline/v1`):
//! `{"schema": "…", "known": [{"test": "BINARY_ID TEST_NAME", "kind": "od-victim",
//! "polluters": [...], "state_setters": [...], "note": "..."}]}`, sorted by test id.

use crate::report::record::{Applied, RunRecord};
use crate::report::schema::{BASELINE_SCHEMA, parse_baseline};
pub(crate) use crate::report::schema::{Baseline, Known};
use crate::triage::{Finding, FindingKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Reading or writing a baseline failed; names the file.
#[derive(Debug, thiserror::Error)]
#[error("baseline {path}: {problem}")]
pub(crate) struct BaselineError {
    /// The file.
    pub(crate) path: String,
    /// What went wrong and what to do.
    pub(crate) problem: String,
}

fn quarantinable(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::OdVictim | FindingKind::Brittle | FindingKind::NodFlaky
    )
}

impl Baseline {
    /// Reads a baseline; a missing file is an error (pass a path that exists, or create one
    /// with `cargo shuffle baseline --update`).
    pub(crate) fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let err = |problem: String| BaselineError {
            path: path.display().to_string(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            err(format!(
                "cannot read it ({e}); create it with `cargo shuffle baseline --update --from REPORT --baseline {}`",
                path.display()
            ))
        })?;
        parse_baseline(path, &text).map_err(|e| err(e.problem))
    }

    /// Ids of the known tests.
    pub(crate) fn ids(&self) -> BTreeSet<&str> {
        self.known.iter().map(|k| k.test.as_str()).collect()
    }

    /// Adds the quarantinable findings (OD victims, brittle, NOD flaky) not yet known; returns
    /// how many were added.
    pub(crate) fn add(&mut self, findings: &[Finding]) -> usize {
        let mut by: BTreeMap<String, Known> =
            self.known.drain(..).map(|k| (k.test.clone(), k)).collect();
        let before = by.len();
        for f in findings.iter().filter(|f| quarantinable(f.kind)) {
            by.entry(f.test.clone()).or_insert_with(|| Known {
                test: f.test.clone(),
                kind: f.kind,
                polluters: f.polluters.clone(),
                state_setters: f.state_setters.clone(),
                note: f.note.clone(),
            });
        }
        let added = by.len() - before;
        self.known = by.into_values().collect();
        added
    }

    /// Removes the given tests; returns how many were removed.
    pub(crate) fn remove(&mut self, tests: &BTreeSet<String>) -> usize {
        let before = self.known.len();
        self.known.retain(|k| !tests.contains(&k.test));
        before - self.known.len()
    }

    /// The file's JSON text.
    pub(crate) fn to_json(&self) -> String {
        let mut b = self.clone();
        b.schema = BASELINE_SCHEMA.to_string();
        serde_json::to_string_pretty(&b).expect("JSON values serialise") + "\n"
    }
}

/// Applies the baseline to a run: findings of known tests (OD, brittle, NOD) are taken out of
/// `record.findings` and their failures no longer count; returns what was quarantined and
/// which known tests now pass.
pub(crate) fn apply(baseline: &Baseline, record: &mut RunRecord) -> Applied {
    let known = baseline.ids();
    let mut applied = Applied::default();
    if let Some(findings) = &mut record.findings {
        findings.retain(|f| {
            let q = quarantinable(f.kind) && known.contains(f.test.as_str());
            if q {
                applied.quarantined.push(f.test.clone());
            }
            !q
        });
    }
    let quarantined: BTreeSet<&String> = applied.quarantined.iter().collect();
    // Where each test ran, to tell "passed because its polluters did not run first" (proves
    // nothing) from "passed although they did" (fixed).
    let at: BTreeMap<String, (u32, u32)> = record
        .results
        .iter()
        .filter(|r| r.shard != 0)
        .map(|r| (r.test.id(), (r.shard, r.position)))
        .collect();
    let ran_before =
        |t: &str, shard: u32, pos: u32| at.get(t).is_some_and(|&(s, p)| s == shard && p < pos);
    let by_id: BTreeMap<&str, &Known> = baseline
        .known
        .iter()
        .map(|k| (k.test.as_str(), k))
        .collect();
    let mut fixed = Vec::new();
    for r in &record.results {
        let id = r.test.id();
        let Some(k) = by_id.get(id.as_str()) else {
            continue;
        };
        if r.outcome != crate::events::Outcome::Passed || r.is_flaky() {
            continue;
        }
        let is_fixed = match k.kind {
            FindingKind::OdVictim => {
                !k.polluters.is_empty()
                    && k.polluters
                        .iter()
                        .all(|p| ran_before(p, r.shard, r.position))
            }
            FindingKind::Brittle => !k
                .state_setters
                .iter()
                .any(|p| ran_before(p, r.shard, r.position)),
            // One pass of a non-deterministic test proves nothing.
            _ => false,
        };
        if is_fixed {
            fixed.push(id);
        }
    }
    applied.fixed = fixed;
    for r in &mut record.results {
        if quarantined.contains(&r.test.id()) && (r.outcome.is_failure() || r.is_flaky()) {
            r.quarantined = true;
        }
    }
    applied.fixed.sort();
    applied.fixed.dedup();
    applied.fixed.retain(|t| !quarantined.contains(t));
    applied
}
