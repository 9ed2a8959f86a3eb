//! State that outlives the run: a test that passed earlier in a hunt and now fails even alone.
//! Every rerun of triage starts in a fresh sandbox (`TMPDIR`), so a test that passes alone on a
//! clean machine fails alone only if something outside the sandbox remembers an earlier test:
//! a fixed path (`/tmp/app.lock`, `~/.cache/…`), a database, a server. Triage cannot rerun it
//! clean, so it ends as a plain `failure`; this module adds what is true to such a finding —
//! where it last passed, the tests that ran between that pass and this failure (among them its
//! polluter), and the `--reset-cmd` that lets triage start every rerun clean.

use super::{Finding, FindingKind};
use crate::events::{Outcome, TestResult};

/// Most candidate polluters named in a finding's note (the typed field has them all).
const NOTE_CANDIDATES: usize = 5;

/// Why a plain failure is likely an order-dependent victim of state outside the sandbox: it
/// passed in an earlier run of the same hunt and fails alone now. In the JSON report as
/// `persistent_state` of a `failure` finding.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PersistentState {
    /// The hunt run (1-based) it last passed in.
    pub(crate) passed_in_run: u32,
    /// The hunt run (1-based) it failed in (the finding's).
    pub(crate) failed_in_run: u32,
    /// Test ids that ran after its last pass and before this failure, in the order they ran
    /// (the tests after it in the run it passed in, every test of the runs between, the tests
    /// before it in this run), without repeats: its polluter is among them.
    pub(crate) candidate_polluters: Vec<String>,
    /// A command line that reruns the hunt with a reset before every sequence and rerun
    /// (`--reset-cmd`), for the user to complete with the state the tests leave behind.
    pub(crate) reset_example: String,
}

/// The ids of `results` (one run) in the order they ran: by start time, then shard and
/// position (ignored and never-run tests, shard 0, left out).
fn ran_order(results: &[TestResult]) -> Vec<&TestResult> {
    let mut ran: Vec<&TestResult> = results
        .iter()
        .filter(|r| r.shard != 0 && r.outcome != Outcome::Ignored)
        .collect();
    ran.sort_by_key(|r| (r.start_ms, r.shard, r.position));
    ran
}

/// Marks each `failure` finding of hunt run `run` (1-based; `results` are its results) whose
/// test passed in one of the `earlier` runs (runs 1, 2, … in order, all finished before this
/// one started) with a [`PersistentState`], and says so in its note. `reset_example` is the
/// command to suggest. A finding of a test that did not run to a result (an error) is left
/// alone: that is not a verdict on the test.
pub(crate) fn mark_persistent_state(
    findings: &mut [Finding],
    run: u32,
    results: &[TestResult],
    earlier: &[&[TestResult]],
    reset_example: &str,
) {
    let now = ran_order(results);
    for f in findings
        .iter_mut()
        .filter(|f| f.kind == FindingKind::Failure)
    {
        let Some(fail_at) = now
            .iter()
            .position(|r| r.test.id() == f.test && r.outcome.is_failure())
        else {
            continue;
        };
        if now[fail_at].outcome == Outcome::Error {
            continue;
        }
        let Some((passed, at)) = earlier.iter().enumerate().rev().find_map(|(j, res)| {
            let seq = ran_order(res);
            seq.iter()
                .rposition(|r| r.test.id() == f.test && r.outcome == Outcome::Passed)
                .map(|i| (j, i))
        }) else {
            continue;
        };
        let mut between: Vec<String> = Vec::new();
        let mut push = |r: &TestResult| {
            let id = r.test.id();
            if id != f.test && !between.contains(&id) {
                between.push(id);
            }
        };
        ran_order(earlier[passed])[at + 1..]
            .iter()
            .for_each(|r| push(r));
        for res in &earlier[passed + 1..] {
            ran_order(res).iter().for_each(|r| push(r));
        }
        now[..fail_at].iter().for_each(|r| push(r));
        let state = PersistentState {
            passed_in_run: passed as u32 + 1,
            failed_in_run: run,
            candidate_polluters: between,
            reset_example: reset_example.to_string(),
        };
        f.note = persistent_note(&state);
        f.persistent_state = Some(Box::new(state));
    }
}

/// The note of a failure whose state outlives the run.
fn persistent_note(p: &PersistentState) -> String {
    let n = p.candidate_polluters.len();
    let named = p.candidate_polluters[..n.min(NOTE_CANDIDATES)].join(", ");
    format!(
        "passed in run {} of this hunt and now fails even alone: state outside the sandbox \
         outlives the run (a fixed path, a database, a server), so triage's reruns cannot start \
         clean; likely an order-dependent victim whose polluter is among the {} test{} that ran \
         between its last pass and this failure ({}{}); give --reset-cmd a command that deletes \
         that state, e.g. {}",
        p.passed_in_run,
        n,
        if n == 1 { "" } else { "s" },
        named,
        if n > NOTE_CANDIDATES { ", …" } else { "" },
        p.reset_example
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::list::TestCase;

    fn result(name: &str, pos: u32, outcome: Outcome) -> TestResult {
        let mut r = TestResult::new(TestCase::new("b", name), outcome);
        r.shard = 1;
        r.position = pos;
        r.start_ms = u64::from(pos);
        r
    }

    fn failure(name: &str) -> Finding {
        Finding::example(&format!("b {name}"), FindingKind::Failure)
    }

    #[test]
    fn a_failure_that_passed_in_an_earlier_run_names_the_tests_between_as_candidate_polluters() {
        let run1 = vec![
            result("x", 0, Outcome::Passed),
            result("victim", 1, Outcome::Passed),
            result("polluter", 2, Outcome::Passed),
        ];
        let run2 = vec![
            result("y", 0, Outcome::Passed),
            result("polluter", 1, Outcome::Passed),
            result("victim", 2, Outcome::Failed),
        ];
        let run3 = vec![
            result("z", 0, Outcome::Passed),
            result("victim", 1, Outcome::Failed),
        ];
        let mut f = vec![failure("victim"), failure("other")];
        mark_persistent_state(
            &mut f,
            3,
            &run3,
            &[&run1, &run2],
            "cargo shuffle hunt --reset-cmd 'rm -rf STATE'",
        );
        let p = f[0].persistent_state.as_ref().expect("marked");
        assert_eq!((p.passed_in_run, p.failed_in_run), (1, 3));
        assert_eq!(p.candidate_polluters, ["b polluter", "b y", "b z"]);
        assert!(
            f[0].note
                .contains("passed in run 1 of this hunt and now fails even alone")
        );
        assert!(
            f[0].note.contains("--reset-cmd 'rm -rf STATE'"),
            "{}",
            f[0].note
        );
        // A test that never ran before is left alone.
        assert_eq!(f[1].persistent_state, None);
    }

    #[test]
    fn only_plain_failures_that_ran_to_a_result_and_passed_before_are_marked() {
        let run1 = vec![
            result("v", 0, Outcome::Failed),
            result("e", 1, Outcome::Passed),
        ];
        let run2 = vec![
            result("v", 0, Outcome::Failed),
            result("e", 1, Outcome::Error),
        ];
        let mut f = vec![failure("v"), failure("e")];
        let mut brittle = Finding::example("b e", FindingKind::Brittle);
        mark_persistent_state(&mut f, 2, &run2, &[&run1], "x");
        mark_persistent_state(std::slice::from_mut(&mut brittle), 2, &run2, &[&run1], "x");
        assert_eq!(f[0].persistent_state, None, "never passed");
        assert_eq!(f[1].persistent_state, None, "an error is not a verdict");
        assert_eq!(brittle.persistent_state, None);
    }
}
