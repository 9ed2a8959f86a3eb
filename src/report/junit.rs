//! JUnit XML from the run record: one `<testsuite>` per test binary, one `<testcase>` per test
//! with `classname` = binary id (unique across the workspace together with `name`), `time` in
//! seconds; failures carry the message and the cleaned, capped output; every testsuite carries
//! the run's properties (seed, shards, partition, version, repro command).
//!
//! Built with `quick-junit` rather than `junit-report`: junit-report cannot express testsuite
//! properties or the `flakyFailure`/`rerunFailure` elements the retry support needs.

use super::record::RunRecord;
use crate::events::{Outcome, TestResult};
use crate::runner::output::clean_text;
use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};
use std::collections::BTreeMap;

/// A failed attempt as a JUnit rerun element (`flakyFailure`/`rerunFailure` or the `Error`
/// variants, by outcome).
fn rerun(a: &crate::events::Attempt) -> TestRerun {
    let kind = if a.outcome == Outcome::Failed {
        NonSuccessKind::Failure
    } else {
        NonSuccessKind::Error
    };
    let mut rr = TestRerun::new(kind);
    rr.set_time(std::time::Duration::from_secs_f64(a.duration_ms / 1000.0));
    rr.set_message(clean_text(
        a.message.as_deref().unwrap_or(a.outcome.label()),
    ));
    rr.set_type(a.outcome.name());
    rr.set_system_out(clean_text(&a.output));
    rr
}

fn testcase(r: &TestResult) -> TestCase {
    let status = match r.outcome {
        // Passed on a retry: no <failure>, one <flakyFailure> per failed attempt.
        Outcome::Passed => TestCaseStatus::Success {
            flaky_runs: r.previous_attempts.iter().map(rerun).collect(),
        },
        Outcome::Ignored => TestCaseStatus::skipped(),
        o => {
            let kind = if o == Outcome::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut s = TestCaseStatus::non_success(kind);
            let msg = r.message.clone().unwrap_or_else(|| o.name().to_string());
            s.set_message(clean_text(&msg));
            s.set_type(match (&r.signal, o) {
                (Some(sig), Outcome::Crashed) => sig.clone(),
                _ => o.name().to_string(),
            });
            s.set_description(clean_text(&r.output));
            // Never passed: one <failure> plus a <rerunFailure> per earlier attempt.
            s.add_reruns(r.previous_attempts.iter().map(rerun));
            s
        }
    };
    let mut tc = TestCase::new(clean_text(&r.test.name), status);
    tc.set_classname(clean_text(&r.test.binary_id));
    tc.set_time(r.duration);
    if r.shard != 0 {
        tc.add_property(Property::new("shard", r.shard.to_string()));
        tc.add_property(Property::new("position", r.position.to_string()));
    }
    if r.leaked {
        tc.add_property(Property::new("leaked", "true"));
    }
    if r.output_dropped > 0 {
        tc.add_property(Property::new(
            "output-dropped-bytes",
            r.output_dropped.to_string(),
        ));
    }
    tc
}

/// Renders the JUnit document for `record`. A record read back from JSON (`merge`) has no
/// captured output and no start time: its failures carry the message but no output, and the
/// report no timestamp.
pub(crate) fn render(record: &RunRecord) -> String {
    let mut report = Report::new("cargo-shuffle");
    report.set_time(record.elapsed);
    if let Some(t) = record.started_at {
        report.set_timestamp(chrono_like(t));
    }
    let mut suites: BTreeMap<&str, Vec<TestCase>> = BTreeMap::new();
    let mut reported = std::collections::HashSet::new();
    let findings: std::collections::HashMap<&str, &crate::triage::Finding> = record
        .findings
        .iter()
        .flatten()
        .map(|f| (f.test.as_str(), f))
        .collect();
    for r in &record.results {
        let id = r.test.id();
        let mut tc = testcase(r);
        if let Some(f) = findings.get(id.as_str()) {
            // Findings go on their testcase, where CI shows them next to the failure.
            tc.add_property(Property::new("finding", f.kind.label()));
            for (k, v) in [
                ("polluters", &f.polluters),
                ("state-setters", &f.state_setters),
                ("cleaners", &f.cleaners),
            ] {
                if !v.is_empty() {
                    tc.add_property(Property::new(k, clean_text(&v.join(", "))));
                }
            }
            if f.in_process_state {
                tc.add_property(Property::new("in-process-state", "true"));
            }
            tc.add_property(Property::new("repro", clean_text(&f.repro)));
        }
        if r.quarantined {
            tc.add_property(Property::new("quarantined", "true"));
        }
        reported.insert(id);
        suites.entry(&r.test.binary_id).or_default().push(tc);
    }
    // Planned tests of the selected shards that never ran (interrupted run): still one testcase
    // each, skipped, so the report shows what is missing.
    for (i, shard) in record.plan.iter().enumerate() {
        if !record.interrupted || !record.shard_selected(i as u32 + 1) {
            continue;
        }
        for id in shard.iter().filter(|id| !reported.contains(*id)) {
            let (bin, name) = id.split_once(' ').unwrap_or((id, ""));
            let mut status = TestCaseStatus::skipped();
            status.set_message("not run: the run was interrupted");
            let mut tc = TestCase::new(clean_text(name), status);
            tc.set_classname(clean_text(bin));
            tc.set_time(std::time::Duration::ZERO);
            tc.add_property(Property::new("shard", (i + 1).to_string()));
            suites.entry(bin).or_default().push(tc);
        }
    }
    let props = [
        ("seed", record.seed.to_string()),
        ("shards", record.shard_count.to_string()),
        (
            "partition",
            record.partition.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("version", env!("CARGO_PKG_VERSION").to_string()),
        ("repro", record.repro.clone()),
        ("interrupted", record.interrupted.to_string()),
    ];
    for (bin, mut cases) in suites {
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        let mut suite = TestSuite::new(clean_text(bin));
        suite.set_time(cases.iter().filter_map(|c| c.time).sum());
        for (k, v) in &props {
            suite.add_property(Property::new(*k, clean_text(v)));
        }
        suite.add_test_cases(cases);
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .expect("serialising to a String cannot fail")
}

/// `SystemTime` as the UTC `DateTime` quick-junit wants.
fn chrono_like(t: std::time::SystemTime) -> chrono::DateTime<chrono::FixedOffset> {
    let since = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    chrono::DateTime::from_timestamp(since.as_secs() as i64, since.subsec_millis() * 1_000_000)
        .unwrap_or_default()
        .fixed_offset()
}
