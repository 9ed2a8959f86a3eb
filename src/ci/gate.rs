//! The commit gate: turns a finished run (results plus triage findings) into the documented
//! exit code.

use crate::exit;
use crate::report::record::RunRecord;
use crate::triage::{Finding, FindingKind};
use std::collections::BTreeSet;

/// Gate policy (from `--allow-flaky`).
#[derive(Clone, Debug, Default)]
pub(crate) struct GatePolicy {
    /// NOD-flaky tests pass the gate (with a warning) instead of failing it with
    /// [`exit::FLAKY`]. Off by default: a new flaky test is blocked like any other failure
    /// until it is fixed or quarantined in the baseline.
    pub(crate) allow_flaky: bool,
}

/// What the gate counts, from the results of one run or of several (a hunt's runs): the one
/// place that decides which tests fail the gate and which passed only on a retry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GateInputs {
    /// Some run was stopped early.
    pub(crate) interrupted: bool,
    /// Some run was stopped by `--max-fail`: its remaining tests never ran.
    pub(crate) max_fail_reached: bool,
    /// Ids of the tests that failed, crashed, timed out, errored or were interrupted in any
    /// run, except those the baseline quarantined.
    pub(crate) failing: BTreeSet<String>,
    /// Ids of the tests that passed only on a retry (`--retries`) in any run, except those the
    /// baseline quarantined.
    pub(crate) flaky_passes: BTreeSet<String>,
    /// Ids of the test binaries that could not be listed in any run: their tests never ran.
    pub(crate) unlisted: BTreeSet<String>,
}

impl GateInputs {
    /// The gate's inputs over every result of `records` (one record for `run` and `merge`,
    /// every run for `hunt`); a test counts once however many runs it failed in.
    pub(crate) fn of<'a>(records: impl IntoIterator<Item = &'a RunRecord>) -> GateInputs {
        let mut inputs = GateInputs::default();
        for record in records {
            inputs.interrupted |= record.interrupted;
            inputs.max_fail_reached |= record.max_fail_reached;
            inputs
                .unlisted
                .extend(record.list_errors.iter().map(|e| e.binary_id.clone()));
            for r in record.results.iter().filter(|r| !r.quarantined) {
                if r.outcome.is_failure() {
                    inputs.failing.insert(r.test.id());
                } else if r.is_flaky() {
                    inputs.flaky_passes.insert(r.test.id());
                }
            }
        }
        inputs
    }

    /// The exit code for these inputs and `findings` (`None`: triage did not run), see
    /// [`decide`], except that a binary that could not be listed gives
    /// [`exit::LIST_FAILED`] (104) whatever its tests' code would be, unless the run was
    /// interrupted (130): its tests never ran, and a code a CI job may tolerate (102, 105, or
    /// 0) must not hide that. A run stopped by `--max-fail` keeps the code of the failures it
    /// saw (100, or 102 when triage found them order-dependent), except that 0 and 105 (the
    /// failures seen were quarantined or allowed flaky) become [`exit::INCOMPLETE`] (103):
    /// tests never ran, so the gate is not green.
    pub(crate) fn exit_code(&self, findings: Option<&[Finding]>, policy: &GatePolicy) -> i32 {
        let code = decide(
            self.interrupted,
            self.failing.len(),
            self.flaky_passes.len(),
            findings,
            policy,
        );
        if code != exit::INTERRUPTED && !self.unlisted.is_empty() {
            exit::LIST_FAILED
        } else if self.max_fail_reached && (code == exit::OK || code == exit::FLAKY) {
            exit::INCOMPLETE
        } else {
            code
        }
    }
}

/// The exit code of a finished run: [`GateInputs::of`] the record, with its findings.
pub(crate) fn exit_code(record: &RunRecord, policy: &GatePolicy) -> i32 {
    GateInputs::of([record]).exit_code(record.findings.as_deref(), policy)
}

/// The gate: interrupted → 130; no failing test → 0 (105 if some test only passed on a retry); any failing test that triage did not
/// explain as order-dependent or flaky (or no triage) → 100; else order-dependent tests (OD
/// victims, brittle tests) → 102; else NOD flaky only → 105 (0 with `--allow-flaky`).
/// `failing` counts distinct failing tests; `findings` has at most one per failing test.
/// `flaky_passes` counts tests that passed only on a retry (not quarantined): with no failing
/// test they give 105 (0 with `--allow-flaky`).
pub(crate) fn decide(
    interrupted: bool,
    failing: usize,
    flaky_passes: usize,
    findings: Option<&[Finding]>,
    policy: &GatePolicy,
) -> i32 {
    if interrupted {
        return exit::INTERRUPTED;
    }
    if failing == 0 {
        // Tests that passed only on a retry (`--retries`) are flaky too.
        return if flaky_passes > 0 && !policy.allow_flaky {
            exit::FLAKY
        } else {
            exit::OK
        };
    }
    let Some(findings) = findings else {
        return exit::TESTS_FAILED;
    };
    let kinds: Vec<FindingKind> = findings.iter().map(|f| f.kind).collect();
    let plain = kinds
        .iter()
        .any(|k| matches!(k, FindingKind::Failure | FindingKind::Unfinished));
    if plain || findings.len() < failing {
        return exit::TESTS_FAILED;
    }
    if kinds
        .iter()
        .any(|k| matches!(k, FindingKind::OdVictim | FindingKind::Brittle))
    {
        return exit::ORDER_DEPENDENT;
    }
    if policy.allow_flaky {
        exit::OK
    } else {
        exit::FLAKY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Outcome, TestResult};
    use crate::report::schema::{RunRecordDoc, TestDoc};

    fn f(kind: FindingKind) -> Finding {
        Finding::example("t", kind)
    }

    fn result(id: &str, outcome: Outcome, retried: bool, quarantined: bool) -> TestResult {
        let mut doc = TestDoc::example(id, outcome);
        if !retried {
            doc.failed_attempts.clear();
        }
        doc.quarantined = quarantined;
        let mut record = RunRecordDoc::example();
        record.tests = vec![doc];
        RunRecord::from_doc(&record).results.remove(0)
    }

    fn record(results: Vec<TestResult>, interrupted: bool) -> RunRecord {
        let mut r = RunRecord::from_doc(&RunRecordDoc::example());
        r.results = results;
        r.interrupted = interrupted;
        r.findings = None;
        r
    }

    #[test]
    fn a_run_stopped_by_max_fail_keeps_its_failures_code_but_is_never_green() {
        use Outcome::*;
        let mut failed = record(vec![result("b fails", Failed, false, false)], false);
        failed.max_fail_reached = true;
        assert_eq!(
            exit_code(&failed, &GatePolicy::default()),
            exit::TESTS_FAILED
        );
        // The only failure seen was quarantined: 103, not 0, since tests never ran.
        let mut known = record(vec![result("b known", Failed, false, true)], false);
        known.max_fail_reached = true;
        assert_eq!(exit_code(&known, &GatePolicy::default()), exit::INCOMPLETE);
        known.max_fail_reached = false;
        assert_eq!(exit_code(&known, &GatePolicy::default()), exit::OK);
        // An interrupt still wins.
        known.max_fail_reached = true;
        known.interrupted = true;
        assert_eq!(exit_code(&known, &GatePolicy::default()), exit::INTERRUPTED);
    }

    #[test]
    fn inputs_count_distinct_unquarantined_failures_and_retried_passes() {
        use Outcome::*;
        let one = record(
            vec![
                result("b fails", Failed, false, false),
                result("b crashes", Crashed, true, false),
                result("b known", TimedOut, false, true),
                result("b flaky", Passed, true, false),
                result("b known-flaky", Passed, true, true),
                result("b fine", Passed, false, false),
                result("b skipped", Ignored, false, false),
            ],
            false,
        );
        let two = record(
            vec![
                result("b fails", Failed, false, false),
                result("b fine", Interrupted, false, false),
            ],
            true,
        );
        let ids = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<BTreeSet<_>>();
        let i = GateInputs::of([&one]);
        assert_eq!(i.failing, ids(&["b crashes", "b fails"]));
        assert_eq!(i.flaky_passes, ids(&["b flaky"]));
        assert!(!i.interrupted);
        assert_eq!(exit_code(&one, &GatePolicy::default()), exit::TESTS_FAILED);
        let both = GateInputs::of([&one, &two]);
        assert_eq!(both.failing, ids(&["b crashes", "b fails", "b fine"]));
        assert!(both.interrupted);
        assert_eq!(
            both.exit_code(None, &GatePolicy::default()),
            exit::INTERRUPTED
        );
        // A binary that could not be listed: 104 over every test code but an interrupt.
        let mut unlisted = one.clone();
        unlisted.list_errors = vec![crate::report::schema::ListErrorDoc::example()];
        let i = GateInputs::of([&unlisted]);
        assert_eq!(i.unlisted, ids(&["junk"]));
        assert_eq!(
            exit_code(&unlisted, &GatePolicy::default()),
            exit::LIST_FAILED
        );
        unlisted.results.clear();
        assert_eq!(
            exit_code(&unlisted, &GatePolicy::default()),
            exit::LIST_FAILED,
            "even when every test passed"
        );
        assert_eq!(
            GateInputs::of([&unlisted, &two]).exit_code(None, &GatePolicy::default()),
            exit::INTERRUPTED
        );
        let flaky = record(vec![result("b flaky", Passed, true, false)], false);
        assert_eq!(exit_code(&flaky, &GatePolicy::default()), exit::FLAKY);
        assert_eq!(
            exit_code(&flaky, &GatePolicy { allow_flaky: true }),
            exit::OK
        );
    }

    #[test]
    fn gate_codes() {
        let strict = GatePolicy::default();
        let p = GatePolicy { allow_flaky: true };
        use FindingKind::*;
        assert_eq!(decide(false, 0, 0, None, &p), exit::OK);
        assert_eq!(decide(true, 0, 0, None, &p), exit::INTERRUPTED);
        assert_eq!(decide(false, 1, 0, None, &strict), exit::TESTS_FAILED);
        assert_eq!(
            decide(false, 1, 0, Some(&[f(OdVictim)]), &p),
            exit::ORDER_DEPENDENT
        );
        assert_eq!(
            decide(false, 1, 0, Some(&[f(Brittle)]), &p),
            exit::ORDER_DEPENDENT
        );
        assert_eq!(
            decide(false, 2, 0, Some(&[f(OdVictim), f(Failure)]), &p),
            exit::TESTS_FAILED
        );
        assert_eq!(
            decide(false, 2, 0, Some(&[f(OdVictim)]), &p),
            exit::TESTS_FAILED
        );
        assert_eq!(decide(false, 1, 0, Some(&[f(NodFlaky)]), &p), exit::OK);
        // A pass on a retry is flaky: 105 unless allowed, even with no failing test.
        assert_eq!(decide(false, 0, 1, None, &strict), exit::FLAKY);
        assert_eq!(decide(false, 0, 1, None, &p), exit::OK);
        assert_eq!(decide(true, 0, 1, None, &strict), exit::INTERRUPTED);
        assert_eq!(
            decide(false, 1, 0, Some(&[f(NodFlaky)]), &strict),
            exit::FLAKY
        );
        assert_eq!(
            decide(false, 2, 0, Some(&[f(NodFlaky), f(OdVictim)]), &strict),
            exit::ORDER_DEPENDENT
        );
        assert_eq!(
            decide(false, 1, 0, Some(&[f(Unfinished)]), &p),
            exit::TESTS_FAILED
        );
    }
}
