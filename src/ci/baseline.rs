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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Outcome;
    use crate::report::schema::{RunRecordDoc, TestDoc};

    /// A record of one shard whose tests ran in the order given, with `(id, outcome)` each and
    /// `findings` from triage.
    fn record(tests: &[(&str, Outcome)], findings: Vec<Finding>) -> RunRecord {
        let mut doc = RunRecordDoc::example();
        doc.tests = tests
            .iter()
            .enumerate()
            .map(|(i, (id, o))| {
                let mut t = TestDoc::example(id, *o);
                t.position = i as u32;
                t.failed_attempts.clear();
                t
            })
            .collect();
        doc.findings = findings;
        RunRecord::from_doc(&doc)
    }

    fn known(test: &str, kind: FindingKind, before: &[&str]) -> Known {
        let before: Vec<String> = before.iter().map(|s| s.to_string()).collect();
        Known {
            test: test.into(),
            kind,
            polluters: if kind == FindingKind::OdVictim {
                before.clone()
            } else {
                vec![]
            },
            state_setters: if kind == FindingKind::Brittle {
                before
            } else {
                vec![]
            },
            note: String::new(),
        }
    }

    #[test]
    fn known_findings_are_quarantined_and_new_ones_kept() {
        use FindingKind::*;
        let b = Baseline {
            schema: BASELINE_SCHEMA.into(),
            known: vec![
                known("b v", OdVictim, &["b p"]),
                known("b n", NodFlaky, &[]),
            ],
        };
        let mut r = record(
            &[
                ("b p", Outcome::Passed),
                ("b v", Outcome::Failed),
                ("b w", Outcome::Failed),
                ("b n", Outcome::Failed),
            ],
            vec![
                Finding::example("b v", OdVictim),
                Finding::example("b w", OdVictim),
                // A known test that now fails plainly is not quarantined.
                Finding::example("b n", Failure),
            ],
        );
        let applied = apply(&b, &mut r);
        assert_eq!(applied.quarantined, vec!["b v".to_string()]);
        assert!(applied.fixed.is_empty());
        let kept: Vec<&str> = r
            .findings
            .iter()
            .flatten()
            .map(|f| f.test.as_str())
            .collect();
        assert_eq!(kept, ["b w", "b n"]);
        let q: Vec<&str> = r
            .results
            .iter()
            .filter(|t| t.quarantined)
            .map(|t| t.test.name.as_str())
            .collect();
        assert_eq!(q, ["v"]);
    }

    #[test]
    fn a_known_test_is_fixed_only_when_it_passes_where_it_used_to_fail() {
        use FindingKind::*;
        let b = Baseline {
            schema: BASELINE_SCHEMA.into(),
            known: vec![
                known("b v", OdVictim, &["b p"]),
                known("b alone", OdVictim, &["b absent"]),
                known("b br", Brittle, &["b setter"]),
                known("b br2", Brittle, &["b p"]),
                known("b n", NodFlaky, &[]),
            ],
        };
        let mut r = record(
            &[
                ("b p", Outcome::Passed),
                ("b v", Outcome::Passed),
                ("b alone", Outcome::Passed),
                ("b br", Outcome::Passed),
                ("b br2", Outcome::Passed),
                ("b n", Outcome::Passed),
            ],
            vec![],
        );
        let applied = apply(&b, &mut r);
        // `b v` passed after its polluter, `b br` without its state-setter: fixed. `b alone`
        // passed without its polluter (proves nothing), `b br2` with its state-setter before
        // it, `b n` is non-deterministic: not fixed.
        assert_eq!(applied.fixed, vec!["b br".to_string(), "b v".to_string()]);
        assert!(applied.quarantined.is_empty());
    }

    #[test]
    fn add_keeps_quarantinable_kinds_sorted_and_known_ones_once() {
        use FindingKind::*;
        let mut b = Baseline::default();
        let added = b.add(&[
            Finding::example("b z", NodFlaky),
            Finding::example("b a", Brittle),
            Finding::example("b f", Failure),
            Finding::example("b u", Unfinished),
        ]);
        assert_eq!(added, 2);
        assert_eq!(b.add(&[Finding::example("b a", OdVictim)]), 0);
        let ids: Vec<(&str, FindingKind)> =
            b.known.iter().map(|k| (k.test.as_str(), k.kind)).collect();
        assert_eq!(ids, [("b a", Brittle), ("b z", NodFlaky)]);
        let text = b.to_json();
        assert!(
            text.contains(BASELINE_SCHEMA) && text.contains("\"nod-flaky\""),
            "{text}"
        );
        assert_eq!(b.remove(&["b a".to_string()].into()), 1);
    }
}
