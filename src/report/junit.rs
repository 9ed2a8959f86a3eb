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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::schema::{RunRecordDoc, TestDoc};
    use crate::triage::{Finding, FindingKind};

    fn case<'a>(doc: &'a roxmltree::Document<'_>, name: &str) -> roxmltree::Node<'a, 'a> {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}"))
    }

    fn props(n: roxmltree::Node<'_, '_>) -> Vec<String> {
        n.descendants()
            .filter(|p| p.has_tag_name("property"))
            .map(|p| {
                format!(
                    "{}={}",
                    p.attribute("name").unwrap(),
                    p.attribute("value").unwrap()
                )
            })
            .collect()
    }

    #[test]
    fn outcomes_retries_findings_and_unrun_tests_become_testcases() {
        let mut d = RunRecordDoc::example();
        let mut flaky = TestDoc::example("b flaky", Outcome::Passed);
        flaky.position = 1;
        let mut victim = TestDoc::example("b victim", Outcome::Failed);
        victim.failed_attempts.clear();
        victim.position = 2;
        victim.message = Some("assertion \u{1b}[31mfailed".into());
        let mut crash = TestDoc::example("c crash", Outcome::Crashed);
        crash.signal = Some("SIGSEGV".into());
        crash.output_dropped_bytes = 7;
        crash.leaked = true;
        crash.position = 3;
        d.tests = vec![flaky, victim, crash];
        d.plan[0].tests = vec![
            "b flaky".into(),
            "b victim".into(),
            "c crash".into(),
            "c never".into(),
        ];
        d.interrupted = true;
        let mut f = Finding::example("b victim", FindingKind::OdVictim);
        f.polluters = vec!["b flaky".into()];
        f.repro = "cargo shuffle run --order x".into();
        d.findings = vec![f];
        let mut record = crate::report::record::RunRecord::from_doc(&d);
        record.results[1].output = "captured".into();
        let xml = render(&record);
        let doc = roxmltree::Document::parse(&xml).unwrap();

        let flaky = case(&doc, "flaky");
        assert_eq!(flaky.attribute("classname"), Some("b"));
        assert!(flaky.children().all(|c| !c.has_tag_name("failure")));
        let rerun = flaky
            .children()
            .find(|c| c.has_tag_name("flakyFailure"))
            .unwrap();
        assert_eq!(rerun.attribute("message"), Some("first"));
        assert_eq!(props(flaky), ["shard=1", "position=1"]);

        let victim = case(&doc, "victim");
        let failure = victim
            .children()
            .find(|c| c.has_tag_name("failure"))
            .unwrap();
        assert_eq!(
            failure.attribute("message"),
            Some("assertion failed"),
            "escapes removed"
        );
        assert_eq!(failure.attribute("type"), Some("failed"));
        assert!(failure.text().unwrap_or_default().contains("captured"));
        let p = props(victim);
        assert!(
            p.contains(&"finding=order-dependent victim".to_string()),
            "{p:?}"
        );
        assert!(p.contains(&"polluters=b flaky".to_string()), "{p:?}");
        assert!(
            p.contains(&"repro=cargo shuffle run --order x".to_string()),
            "{p:?}"
        );

        let crash = case(&doc, "crash");
        let error = crash.children().find(|c| c.has_tag_name("error")).unwrap();
        assert_eq!(error.attribute("type"), Some("SIGSEGV"));
        let p = props(crash);
        assert!(
            p.contains(&"leaked=true".to_string())
                && p.contains(&"output-dropped-bytes=7".to_string()),
            "{p:?}"
        );

        // Interrupted: the planned test that never ran is a skipped testcase.
        let never = case(&doc, "never");
        let skipped = never
            .children()
            .find(|c| c.has_tag_name("skipped"))
            .unwrap();
        assert_eq!(
            skipped.attribute("message"),
            Some("not run: the run was interrupted")
        );

        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        let sp = props(suite);
        assert!(
            sp.contains(&format!("seed={}", u64::MAX))
                && sp.contains(&"partition=slice:2/3".to_string()),
            "{sp:?}"
        );
        assert!(sp.contains(&"interrupted=true".to_string()), "{sp:?}");
        assert!(
            doc.root_element().attribute("timestamp").is_none(),
            "a record read back has no start time"
        );
    }
}
