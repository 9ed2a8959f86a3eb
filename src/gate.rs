//! The commit gate: turns a finished run (results plus triage findings) into the documented
//! exit code.

use crate::exit;
use crate::report::record::RunRecord;
use crate::triage::{Finding, FindingKind};

/// Gate policy (from `--fail-flaky`).
#[derive(Clone, Debug, Default)]
pub struct GatePolicy {
    /// NOD-flaky tests fail the gate (exit [`exit::FLAKY`]) instead of passing with a warning.
    pub fail_flaky: bool,
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
    if code == exit::OK && policy.fail_flaky && record.flaky_passes() > 0 {
        exit::FLAKY
    } else {
        code
    }
}

/// The gate: interrupted → 130; no failing test → 0; any failing test that triage did not
/// explain as order-dependent or flaky (or no triage) → 100; else order-dependent tests (OD
/// victims, brittle tests) → 102; else NOD flaky only → 105 with `--fail-flaky`, 0 without.
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
    if policy.fail_flaky {
        exit::FLAKY
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: FindingKind) -> Finding {
        Finding {
            kind,
            test: "b t".into(),
            polluters: vec![],
            state_setters: vec![],
            cleaners: vec![],
            repro: String::new(),
            evidence: vec![],
            reruns: 0,
            search_reruns: 0,
            note: String::new(),
            isolation: crate::execute::Isolation::Process,
            in_process_state: false,
        }
    }

    #[test]
    fn gate_codes() {
        let p = GatePolicy::default();
        let strict = GatePolicy { fail_flaky: true };
        use FindingKind::*;
        assert_eq!(decide(false, 0, None, &p), exit::OK);
        assert_eq!(decide(true, 0, None, &p), exit::INTERRUPTED);
        assert_eq!(decide(false, 1, None, &p), exit::TESTS_FAILED);
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
