//! JUnit XML from the run record: one `<testsuite>` per test binary, one `<testcase>` per test
//! with `classname` = binary id (unique across the workspace together with `name`), `time` in
//! seconds; failures carry the message, and their cleaned, capped output is the testcase's
//! `<system-out>` (stdout and stderr as one stream, in their true interleaving: `<system-err>`
//! stays empty), as is a passing test's with `--junit-store-success-output`; every testsuite
//! carries the run's properties (seed, shards, partition, version, repro command).
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

/// The testcase of result `r`; a passing test's output goes to `<system-out>` only with
/// `store_success` (a failing test's always does).
fn testcase(r: &TestResult, store_success: bool) -> TestCase {
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
            // The full reason (the message attribute is read as one line by some viewers).
            if let Some(m) = &r.message {
                s.set_description(clean_text(m));
            }
            // Never passed: one <failure> plus a <rerunFailure> per earlier attempt.
            s.add_reruns(r.previous_attempts.iter().map(rerun));
            s
        }
    };
    let mut tc = TestCase::new(clean_text(&r.test.name), status);
    let store = r.outcome.is_failure() || r.outcome == Outcome::Passed && store_success;
    if store && !r.output.is_empty() {
        tc.set_system_out(clean_text(&r.output));
    }
    tc.set_classname(clean_text(&r.test.binary_id));
    tc.set_time(r.duration);
    if r.shard != 0 {
        tc.add_property(Property::new("shard", r.shard.to_string()));
        tc.add_property(Property::new("position", r.position.to_string()));
    }
    if r.leaked {
        tc.add_property(Property::new("leaked", "true"));
    }
    if r.slow {
        tc.add_property(Property::new("slow", "true"));
    }
    if r.output_dropped > 0 {
        tc.add_property(Property::new(
            "output-dropped-bytes",
            r.output_dropped.to_string(),
        ));
    }
    tc
}

/// The name of the testcase that stands for a binary that could not be listed.
pub(crate) const LISTING_CASE: &str = "(listing)";

/// The testcase of a binary that could not be listed: `classname` = its id, name
/// [`LISTING_CASE`], an `<error>` of type `list-error` whose message is the error's first line
/// (naming the binary, quoting what it printed) and whose text is the whole error with its hint.
fn listing_error(binary_id: &str, error: &str) -> TestCase {
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
    s.set_message(clean_text(error.lines().next().unwrap_or(error)));
    s.set_type("list-error");
    s.set_description(clean_text(error));
    let mut tc = TestCase::new(LISTING_CASE, s);
    tc.set_classname(clean_text(binary_id));
    tc.set_time(std::time::Duration::ZERO);
    tc
}

/// Renders the JUnit document for `record`: `<testsuites>` has the run's start and wall time, each
/// `<testsuite>` the span of its tests (first start to last end, never longer than the run) and
/// its first test's start. A record read back from JSON (`merge`) has no captured output: its
/// failures carry the message but no output (and no timestamps if the record has no start time,
/// as records of older versions).
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
        let mut tc = testcase(r, record.junit_store_success_output);
        if let Some(f) = findings.get(id.as_str()) {
            // Findings go on their testcase, where CI shows them next to the failure.
            tc.add_property(Property::new("finding", f.label()));
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
    // Planned tests of the selected shards that never ran (interrupted run, or stopped by
    // --max-fail): still one testcase each, skipped, so the report shows what is missing.
    for (i, shard) in record.plan.iter().enumerate() {
        if !record.stopped_early() || !record.shard_selected(i as u32 + 1) {
            continue;
        }
        for id in shard.iter().filter(|id| !reported.contains(*id)) {
            let (bin, name) = id.split_once(' ').unwrap_or((id, ""));
            let mut status = TestCaseStatus::skipped();
            status.set_message(record.not_run_reason());
            let mut tc = TestCase::new(clean_text(name), status);
            tc.set_classname(clean_text(bin));
            tc.set_time(std::time::Duration::ZERO);
            tc.add_property(Property::new("shard", (i + 1).to_string()));
            suites.entry(bin).or_default().push(tc);
        }
    }
    // A binary that could not be listed: one `<error>` testcase in its own testsuite, so CI
    // shows it among the failures although none of its tests ran.
    for e in &record.list_errors {
        suites
            .entry(&e.binary_id)
            .or_default()
            .push(listing_error(&e.binary_id, &e.error));
    }
    let props = [
        ("seed", record.seed.to_string()),
        ("shards", record.shard_count.to_string()),
        (
            "partition",
            record.partition.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("version", env!("CARGO_PKG_VERSION").to_string()),
        ("profile", record.profile.clone().unwrap_or_default()),
        ("repro", record.repro.clone()),
        ("interrupted", record.interrupted.to_string()),
        ("max-fail-reached", record.max_fail_reached.to_string()),
    ];
    // A testsuite's time is the wall-clock span of its tests (first start to last end; they
    // ran in parallel shards, so the sum of their times can exceed the run's), its timestamp
    // its first test's start.
    let mut spans: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for r in record.results.iter().filter(|r| r.shard != 0) {
        let s = spans
            .entry(&r.test.binary_id)
            .or_insert((r.start_ms, r.end_ms));
        *s = (s.0.min(r.start_ms), s.1.max(r.end_ms.max(r.start_ms)));
    }
    for (bin, mut cases) in suites {
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        let mut suite = TestSuite::new(clean_text(bin));
        let (first, last) = spans.get(bin).copied().unwrap_or_default();
        suite.set_time(std::time::Duration::from_millis(last - first).min(record.elapsed));
        if let Some(t) = record.started_at {
            suite.set_timestamp(chrono_like(t + std::time::Duration::from_millis(first)));
        }
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
    use crate::report::record::RunRecord;
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
        // The output is the testcase's <system-out>; the failure's text is the whole reason.
        assert_eq!(failure.text(), Some("assertion failed"));
        let out = |n: roxmltree::Node<'_, '_>| {
            n.children()
                .find(|c| c.has_tag_name("system-out"))
                .and_then(|c| c.text())
                .map(String::from)
        };
        assert_eq!(out(victim).as_deref(), Some("captured"));
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
        assert_eq!(
            doc.root_element().attribute("timestamp"),
            Some("2026-12-01T10:00:00.123+00:00"),
            "a record's start time is the report's timestamp"
        );
        let mut old = RunRecordDoc::example();
        old.started_at = None;
        let xml = render(&RunRecord::from_doc(&old));
        assert!(
            !xml.contains("timestamp"),
            "no start time, no timestamps: {xml}"
        );
    }

    #[test]
    fn a_passing_tests_output_is_stored_only_when_asked() {
        let mut d = RunRecordDoc::example();
        d.tests = vec![
            TestDoc::example("b pass", Outcome::Passed),
            TestDoc::example("b fail", Outcome::Failed),
        ];
        let mut record = RunRecord::from_doc(&d);
        record.results[0].output = "PASS_MARKER\n".into();
        record.results[1].output = "FAIL_MARKER\n".into();
        for store in [false, true] {
            record.junit_store_success_output = store;
            let xml = render(&record);
            let doc = roxmltree::Document::parse(&xml).unwrap();
            let out = |name: &str| {
                case(&doc, name)
                    .children()
                    .find(|c| c.has_tag_name("system-out"))
                    .and_then(|c| c.text())
                    .map(String::from)
            };
            assert_eq!(out("fail").as_deref(), Some("FAIL_MARKER\n"), "always");
            assert_eq!(out("pass").is_some(), store, "{xml}");
            assert_eq!(xml.matches("PASS_MARKER").count(), usize::from(store));
        }
    }

    #[test]
    fn a_testsuite_spans_its_tests_first_start_to_last_end_inside_the_run() {
        let mut d = RunRecordDoc::example();
        d.elapsed_ms = 1500;
        let timed = |id: &str, shard: u32, start_ms: u64, end_ms: u64| {
            let mut t = TestDoc::example(id, Outcome::Passed);
            t.shard = shard;
            (t.start_ms, t.end_ms) = (start_ms, end_ms);
            t.duration_ms = (end_ms - start_ms) as f64;
            t
        };
        // Two shards of binary b side by side: 0.9 s + 1.1 s of tests within 1.2 s.
        d.tests = vec![
            timed("b one", 1, 0, 900),
            timed("b two", 2, 100, 1200),
            timed("c three", 1, 950, 1010),
        ];
        d.plan = vec![];
        let xml = render(&RunRecord::from_doc(&d));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("time"), Some("1.500"));
        let suite = |name: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(name))
                .unwrap()
        };
        assert_eq!(suite("b").attribute("time"), Some("1.200"), "not 2.000");
        assert_eq!(
            suite("b").attribute("timestamp"),
            Some("2026-12-01T10:00:00.123+00:00")
        );
        assert_eq!(suite("c").attribute("time"), Some("0.060"));
        assert_eq!(
            suite("c").attribute("timestamp"),
            Some("2026-12-01T10:00:01.073+00:00")
        );
        // A test that ended after the run's recorded end cannot make its suite outlast it.
        d.tests[1].end_ms = 1700;
        let xml = render(&RunRecord::from_doc(&d));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let b = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("b"))
            .unwrap();
        assert_eq!(b.attribute("time"), Some("1.500"));
    }

    #[test]
    fn a_binary_that_could_not_be_listed_is_an_error_testcase_quoting_its_line() {
        let mut d = RunRecordDoc::example();
        let mut e = crate::report::schema::ListErrorDoc::example();
        e.error = e.error.replace("Finishing", "Fin\u{1b}[1mish\u{0}ing <&>");
        d.list_errors = vec![e];
        let xml = render(&RunRecord::from_doc(&d));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let tc = case(&doc, LISTING_CASE);
        assert_eq!(tc.attribute("classname"), Some("junk"));
        let err = tc.children().find(|n| n.has_tag_name("error")).unwrap();
        assert_eq!(err.attribute("type"), Some("list-error"));
        assert_eq!(
            err.attribute("message"),
            Some(
                "test binary `junk` printed a line that is not a libtest listing: \"Finishing <&> up...\""
            )
        );
        assert!(err.text().unwrap().contains("hint: a custom test harness"));
        let suite = tc.parent().unwrap();
        assert_eq!(suite.attribute("name"), Some("junk"));
        assert_eq!(suite.attribute("errors"), Some("1"));
    }
}
