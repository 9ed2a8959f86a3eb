//! The commit gate: turns a finished run (results plus triage findings) into the documented
//! exit code.

use crate::exit;
use crate::report::record::RunRecord;
use crate::triage::{Finding, FindingKind};

/// Gate policy (from `--allow-flaky`).
#[derive(Clone, Debug, Default)]
pub struct GatePolicy {
    /// NOD-flaky tests pass the gate (with a warning) instead of failing it with
    /// [`exit::FLAKY`]. Off by default: a new flaky test is blocked like any other failure
    /// until it is fixed or quarantined in the baseline.
    pub allow_flaky: bool,
}

/// The exit code of a finished run (see [`decide`]).
pub fn exit_code(record: &RunRecord, policy: &GatePolicy) -> i32 {
    let failing: std::collections::BTreeSet<String> = record
        .results
        .iter()
        .filter(|r| r.outcome.is_failure() && !r.quarantined)
        .map(|r| r.test.id())
        .collect();
    let code = decide(
        record.interrupted,
        failing.len(),
        record.findings.as_deref(),
        policy,
    );
    // Tests that passed only on a retry (`--retries`) are flaky too.
    if code == exit::OK && !policy.allow_flaky && record.flaky_passes() > 0 {
        exit::FLAKY
    } else {
        code
    }
}

/// The gate: interrupted → 130; no failing test → 0; any failing test that triage did not
/// explain as order-dependent or flaky (or no triage) → 100; else order-dependent tests (OD
/// victims, brittle tests) → 102; else NOD flaky only → 105 (0 with `--allow-flaky`).
/// `failing` counts distinct failing tests; `findings` has at most one per failing test.
pub fn decide(
    interrupted: bool,
    failing: usize,
    findings: Option<&[Finding]>,
    policy: &GatePolicy,
) -> i32 {
    if interrupted {
        return exit::INTERRUPTED;
    }
    if failing == 0 {
        return exit::OK;
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
        assert_eq!(decide(false, 0, None, &p), exit::OK);
        assert_eq!(decide(true, 0, None, &p), exit::INTERRUPTED);
        assert_eq!(decide(false, 1, None, &strict), exit::TESTS_FAILED);
        assert_eq!(
            decide(false, 1, Some(&[f(OdVictim)]), &p),
            exit::ORDER_DEPENDENT
        );
        assert_eq!(
            decide(false, 1, Some(&[f(Brittle)]), &p),
            exit::ORDER_DEPENDENT
        );
        assert_eq!(
            decide(false, 2, Some(&[f(OdVictim), f(Failure)]), &p),
            exit::TESTS_FAILED
        );
        assert_eq!(
            decide(false, 2, Some(&[f(OdVictim)]), &p),
            exit::TESTS_FAILED
        );
        assert_eq!(decide(false, 1, Some(&[f(NodFlaky)]), &p), exit::OK);
        assert_eq!(decide(false, 1, Some(&[f(NodFlaky)]), &strict), exit::FLAKY);
        assert_eq!(
            decide(false, 2, Some(&[f(NodFlaky), f(OdVictim)]), &strict),
            exit::ORDER_DEPENDENT
        );
        assert_eq!(
            decide(false, 1, Some(&[f(Unfinished)]), &p),
            exit::TESTS_FAILED
        );
    }
}
