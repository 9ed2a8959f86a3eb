//! Order-dependence triage: reruns each failing test in chosen orders to tell *why* it failed,
//! and finds the tests responsible. Vocabulary and classification follow iDFlakies (Lam et al.,
//! ICST 2019) and iFixFlakies (Shi et al., FSE 2019):
//!
//! - **OD victim**: passes alone, fails after its **polluter(s)**; found by rerunning the tests
//!   that ran before it in its shard, then minimised by delta debugging (Zeller & Hildebrandt,
//!   TSE 2002) — a single polluter among n predecessors in at most ⌈log2 n⌉ + 3 reruns.
//! - **brittle**: fails alone, passes after its **state-setter(s)**: looked for in the reference
//!   order (the order `cargo test` uses: its binary's tests alphabetically), then among the
//!   tests that ran before it in an order it passed in (when known: another run of a hunt), then
//!   among every other test of the run (a state-setter in another binary, or one that sorts
//!   after it), in one rerun shared by all of the run's tests that get that far (the batch);
//!   last, its binary's tests in one process with it (a state-setter that acts only inside the
//!   process, which process isolation cannot satisfy: `in_process_state`).
//! - **NOD flaky**: the same order gives a different outcome (nothing reproduces the failure).
//! - **failure**: fails alone, in the reference order, after every other test of the run and in
//!   one process after its binary's tests: an ordinary failing test.
//! - **cleaner**: a test that, run between the polluters and the victim, makes the victim pass.
//!
//! Every rerun is one sequence in a fresh sandbox (see `runner::executor::SequenceRunner`),
//! recorded as evidence. Reruns are capped by a count and a time budget; what could not be
//! finished is reported as such.
//!
//! This module owns triage's vocabulary: its inputs (options, the run's view, the runners), its
//! output (findings with their evidence), and the merging of findings across runs. The work is
//! layered on top of it, each file importing only the ones above it in this list and this
//! module (never the other way, so there is no import cycle):
//! - [`search`]: reruns under the budget, and the search for a 1-minimal set of culprits
//!   (binary search, then delta debugging, then pruning);
//! - [`classify`]: the classification of one failing test from its reruns, with confirmations
//!   and cleaners;
//! - [`run`]: triage of a whole run — which tests, which candidate orders, the one batch rerun
//!   of its plain failures, the process check;
//! - [`outlived`]: after a hunt run, a plain failure that passed in an earlier run (state that
//!   outlives the run: a fixed path, a database), with its candidate polluters.

pub(crate) mod classify;
pub(crate) mod outlived;
pub(crate) mod run;
pub(crate) mod search;

use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::runner::executor::SequenceRunner;
use std::fmt::Write as _;
use std::time::Duration;

/// Limits and switches of triage (validated; from `--triage-*` flags).
#[derive(Clone, Debug)]
pub(crate) struct TriageOptions {
    /// Wall-time budget for all of triage; `None` = unlimited.
    pub(crate) budget: Option<Duration>,
    /// Maximum reruns per failing test.
    pub(crate) max_reruns: usize,
    /// Extra confirmations of an OD or brittle finding (each: polluters+victim fails once more
    /// and the victim alone passes once more; for a brittle test the other way round). They
    /// guard against reporting a NOD test as order-dependent.
    pub(crate) confirmations: u32,
    /// Look for cleaners among the other tests of the run (one rerun per candidate, capped by
    /// `max_reruns`).
    pub(crate) find_cleaners: bool,
}

/// The class of a finding.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FindingKind {
    /// Passes alone, fails after its polluters.
    OdVictim,
    /// Fails alone, passes after its state-setters.
    Brittle,
    /// Fails or passes in the same order: not order-dependent.
    NodFlaky,
    /// Fails alone and in the reference order.
    Failure,
    /// Triage ran out of budget before it could classify the test.
    Unfinished,
}

impl FindingKind {
    /// The kind's name in the JSON documents and the baseline: `od-victim`, `brittle`,
    /// `nod-flaky`, `failure`, `unfinished`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FindingKind::OdVictim => "od-victim",
            FindingKind::Brittle => "brittle",
            FindingKind::NodFlaky => "nod-flaky",
            FindingKind::Failure => "failure",
            FindingKind::Unfinished => "unfinished",
        }
    }

    /// Human label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            FindingKind::OdVictim => "order-dependent victim",
            FindingKind::Brittle => "brittle (needs a state-setter)",
            FindingKind::NodFlaky => "non-deterministic (NOD) flaky",
            FindingKind::Failure => "failure (fails alone too)",
            FindingKind::Unfinished => "unfinished (triage budget exhausted)",
        }
    }
}

/// How the note of a `failure` that was not triaged starts (the JSON documents keep the note,
/// so a report read back labels it the same).
pub(crate) const NOT_TRIAGED: &str = "not triaged: ";

/// One rerun made as evidence.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub(crate) struct Rerun {
    /// Why it was run: `alone`, `prefix`, `cross-shard`, `replay`, `bisect`, `prune`, `confirm`,
    /// `confirm-alone`, `reference` (any candidate order of state-setters: the reference order,
    /// an order it passed in, the run's batch up to the test), `cleaner`, `process-check`, `retry`
    /// (the list a report is read back against is `report::schema::RERUN_PURPOSES`, where
    /// `Rerun` is deserialised).
    pub(crate) purpose: &'static str,
    /// Test ids in the order they ran; the last is the test under triage (a batch shared by
    /// several tests is recorded up to and including each one).
    pub(crate) order: Vec<String>,
    /// The outcome of the test under triage.
    pub(crate) outcome: Outcome,
    /// Wall time of the whole sequence, milliseconds.
    pub(crate) duration_ms: f64,
}

/// What triage found out about one failing test. Written in the run record's `findings`, the
/// hunt report and the event stream; read back by `merge` and `baseline --update`, where `kind`
/// and `test` are required (an unknown kind is an error) and the other fields default to empty.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Finding {
    /// Classification.
    pub(crate) kind: FindingKind,
    /// The test (`BINARY_ID TEST_NAME`).
    pub(crate) test: String,
    /// Minimal set of tests that make it fail when run before it (OD victims), in run order.
    #[serde(default)]
    pub(crate) polluters: Vec<String>,
    /// Minimal set of tests it needs before it to pass (brittle tests).
    #[serde(default)]
    pub(crate) state_setters: Vec<String>,
    /// Tests that, run between the polluters and the victim, make it pass.
    #[serde(default)]
    pub(crate) cleaners: Vec<String>,
    /// Shell command that reproduces the failure (runs exactly the given order).
    #[serde(default)]
    pub(crate) repro: String,
    /// Every rerun made, in order.
    #[serde(default)]
    pub(crate) evidence: Vec<Rerun>,
    /// Reruns used in all.
    #[serde(default)]
    pub(crate) reruns: usize,
    /// Reruns used to find the polluters/state-setters (search + one confirmation), the part
    /// bounded by ⌈log2 n⌉ + 3 for a single polluter among n predecessors.
    #[serde(default)]
    pub(crate) search_reruns: usize,
    /// One-line explanation.
    #[serde(default)]
    pub(crate) note: String,
    /// The isolation mode the finding was made in.
    #[serde(default)]
    pub(crate) isolation: crate::runner::executor::Isolation,
    /// The state is inside the process (statics, env vars, the current directory, …): found in
    /// shared isolation but not reproduced with one process per test, or (a brittle test in
    /// process isolation) its state-setters make it pass only when they run in its process.
    #[serde(default)]
    pub(crate) in_process_state: bool,
    /// A `failure` that passed in an earlier run of the same hunt and now fails even alone:
    /// state outside the sandbox outlives the run (see [`outlived`]). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) persistent_state: Option<Box<outlived::PersistentState>>,
}

/// The sequence runners triage uses.
pub(crate) struct Runners<'r, 'a> {
    /// Runs reruns (in shared isolation with the target last in its process).
    pub(crate) main: &'r SequenceRunner<'a>,
    /// Shared isolation: replays a shard's processes exactly as the run had them.
    pub(crate) replay: Option<&'r SequenceRunner<'a>>,
    /// Shared isolation: one process per test, to tell in-process state apart.
    pub(crate) process_check: Option<&'r SequenceRunner<'a>>,
    /// Process isolation: a shared-isolation runner (a binary's tests in one process, the
    /// target last), to find a plain failure's state-setters inside its process (in shared
    /// isolation `main` is that runner).
    pub(crate) in_process: Option<&'r SequenceRunner<'a>>,
}

/// What triage needs to know about the run that failed.
pub(crate) struct RunView<'a> {
    /// Test ids per shard in plan order (index 0 = shard 1).
    pub(crate) plan: &'a [Vec<String>],
    /// Results of the run.
    pub(crate) results: &'a [TestResult],
    /// Every listed test (for the reference order and cleaner candidates).
    pub(crate) all_tests: &'a [TestCase],
    /// Whether the run's shards shared one `TMPDIR` (what a polluter from another shard acted
    /// through).
    pub(crate) sandbox: crate::runner::options::SandboxScope,
}

/// The note of a finding that triage could not finish; it names the flags that give it more room.
const UNFINISHED_NOTE: &str = "triage budget exhausted (or interrupted) before the test was classified; raise --triage-budget / --triage-max-reruns";

/// A finding of `kind` for `target` with no culprits and no evidence yet, made in process
/// isolation (the caller sets the isolation it really ran in).
impl Finding {
    /// The finding's label for people: its kind's ([`FindingKind::label`]), except that a
    /// `failure` whose note starts with [`NOT_TRIAGED`] was never rerun (it did not run to a
    /// result, e.g. it could not start), so it is not said to fail alone.
    pub(crate) fn label(&self) -> &'static str {
        if self.kind == FindingKind::Failure && self.note.starts_with(NOT_TRIAGED) {
            "failure (not triaged: it did not run to a result)"
        } else {
            self.kind.label()
        }
    }

    /// A finding of `kind` for `target` with `repro` and nothing else (unit tests of readers).
    #[cfg(test)]
    pub(crate) fn new_for_tests(kind: FindingKind, target: &TestCase, repro: &str) -> Finding {
        finding(kind, target, repro.to_string(), String::new())
    }
}

fn finding(kind: FindingKind, target: &TestCase, repro: String, note: String) -> Finding {
    Finding {
        kind,
        test: target.id(),
        polluters: vec![],
        state_setters: vec![],
        cleaners: vec![],
        repro,
        evidence: vec![],
        reruns: 0,
        search_reruns: 0,
        note,
        isolation: crate::runner::executor::Isolation::Process,
        in_process_state: false,
        persistent_state: None,
    }
}

impl Finding {
    /// A finding with no evidence, for tests of what consumes findings.
    #[cfg(test)]
    pub(crate) fn example(test: &str, kind: FindingKind) -> Finding {
        let mut f = finding(kind, &TestCase::new("b", "t"), String::new(), String::new());
        f.test = test.to_string();
        f
    }
}

/// The finding for a test that failed and then passed on a retry in place (`--retries`): NOD
/// flaky, with the failed attempts as evidence. `repro` reruns its shard.
pub(crate) fn flaky_on_retry(r: &TestResult, repro: &str) -> Finding {
    let mut f = finding(
        FindingKind::NodFlaky,
        &r.test,
        repro.to_string(),
        format!(
            "failed {} time{}, then passed on a retry in the same place of the same order",
            r.previous_attempts.len(),
            if r.previous_attempts.len() > 1 {
                "s"
            } else {
                ""
            }
        ),
    );
    f.evidence = r
        .previous_attempts
        .iter()
        .map(|a| Rerun {
            purpose: "retry",
            order: vec![r.test.id()],
            outcome: a.outcome,
            duration_ms: a.duration_ms,
        })
        .collect();
    f
}

/// Merges the findings of several runs into one per test. Order-dependence must be
/// deterministic, so a test that any run found NOD-flaky is reported NOD-flaky (with the other
/// classification in its note); otherwise the most specific classification wins
/// (OD victim, brittle, failure, unfinished).
pub(crate) fn aggregate<'a>(runs: impl Iterator<Item = &'a [Finding]>) -> Vec<Finding> {
    let mut by_test: std::collections::BTreeMap<String, Finding> = Default::default();
    for f in runs.flatten() {
        let Some(old) = by_test.get_mut(&f.test) else {
            by_test.insert(f.test.clone(), f.clone());
            continue;
        };
        let nod = FindingKind::NodFlaky;
        if old.kind == f.kind {
            continue;
        }
        if f.kind == nod || old.kind == nod {
            let other = if f.kind == nod { old.kind } else { f.kind };
            if old.kind != nod {
                *old = f.clone();
            }
            if !old.note.contains("another run classified") {
                let _ = write!(
                    old.note,
                    "; another run classified it as {}, but order dependence must be deterministic",
                    other.label()
                );
            }
        } else if f.kind < old.kind {
            *old = f.clone();
        }
    }
    by_test.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(test: &str, kind: FindingKind) -> Finding {
        Finding::example(test, kind)
    }

    #[test]
    fn aggregation_prefers_nod_over_od_and_specific_over_plain() {
        use FindingKind::*;
        let run1 = vec![f("a", OdVictim), f("b", Failure), f("c", Unfinished)];
        let run2 = vec![
            f("a", NodFlaky),
            f("b", Brittle),
            f("c", Failure),
            f("d", OdVictim),
        ];
        let agg = aggregate([run1.as_slice(), run2.as_slice()].into_iter());
        let kinds: Vec<(&str, FindingKind)> =
            agg.iter().map(|x| (x.test.as_str(), x.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("a", NodFlaky),
                ("b", Brittle),
                ("c", Failure),
                ("d", OdVictim)
            ]
        );
        assert!(agg[0].note.contains("order-dependent victim"));
    }
}
