//! The commit gate: turns a finished run (results plus triage findings) into the documented
//! exit code.

use crate::exit;
use crate::report::record::RunRecord;
use crate::triage::FindingKind;

/// Gate policy (from `--fail-flaky`).
#[derive(Clone, Debug, Default)]
pub struct GatePolicy {
    /// NOD-flaky tests fail the gate (exit [`exit::FLAKY`]) instead of passing with a warning.
    pub fail_flaky: bool,
}

/// The exit code of a finished run: interrupted → 130; any failing test that triage did not
/// explain as order-dependent or flaky (or no triage) → 100; else order-dependent tests (OD
/// victims, brittle tests) → 102; else NOD flaky only → 105 with `--fail-flaky`, 0 without;
/// else 0.
pub fn exit_code(record: &RunRecord, policy: &GatePolicy) -> i32 {
    if record.interrupted {
        return exit::INTERRUPTED;
    }
    if !record.has_failures() {
        return exit::OK;
    }
    let Some(findings) = &record.findings else {
        return exit::TESTS_FAILED;
    };
    let failing = record
        .results
        .iter()
        .filter(|r| r.outcome.is_failure())
        .count();
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
