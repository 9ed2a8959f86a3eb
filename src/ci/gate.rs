//! The commit gate: turns a finished run (results plus triage findings) into the documented
//! exit code.

use crate::exit;
use crate::report::record::RunRecord;
use crate::triage::{Finding, FindingKind};

/// Gate policy (from `--allow-flaky`).
#[derive(Clone, Debug, Default)]
pub(crate) struct GatePolicy {
    /// NOD-flaky tests pass the gate (with a warning) instead of failing it with
    /// [`exit::FLAKY`]. Off by default: a new flaky test is blocked like any other failure
    /// until it is fixed or quarantined in the baseline.
    pub(crate) allow_flaky: bool,
}

/// The exit code of a finished run (see [`decide`]).
pub(crate) fn exit_code(record: &RunRecord, policy: &GatePolicy) -> i32 {
    let failing: std::collections::BTreeSet<String> = record
        .results
        .iter()
        .filter(|r| r.outcome.is_failure() && !r.quarantined)
        .map(|r| r.test.id())
        .collect();
    decide(
        record.interrupted,
        failing.len(),
        record.flaky_passes(),
        record.findings.as_deref(),
        policy,
    )
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

    fn f(kind: FindingKind) -> Finding {
        Finding::example("t", kind)
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
