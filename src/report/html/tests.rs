//! Unit tests of the HTML report: escaping of hostile names and output in a whole page, the
//! timeline's lanes, failing bars and arrows, the hunt and merge views, and the size of a
//! 10 000-test page.

use super::*;
use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::plan::Plan;
use crate::plan::seed::Seed;
use crate::report::schema::HuntRunCoverageDoc;
use crate::triage::{Finding, FindingKind};
use std::time::Duration;

/// A result of `bin name` with `outcome`, run by `worker` in `shard` at `position`, from
/// `start` to `end` ms.
fn result(id: &str, outcome: Outcome, place: (u32, u32, u32), span: (u64, u64)) -> TestResult {
    let (bin, name) = id.split_once(' ').unwrap();
    let mut r = TestResult::new(TestCase::new(bin, name), outcome)
        .with_place(place.1, place.2)
        .with_times(span.0, span.1, Duration::from_millis(span.1 - span.0))
        .with_output("out\n".into(), 4, 0);
    r.worker = place.0;
    r
}

fn record(results: Vec<TestResult>, findings: Vec<Finding>) -> RunRecord {
    let plan = Plan::new(Seed(42), 2, None, vec![], vec![]);
    let mut rec = RunRecord::new(&plan, 2, "cargo shuffle run --seed 42 --shards 2".into());
    rec.results = results;
    rec.findings = Some(findings);
    rec.elapsed = Duration::from_millis(100);
    rec
}

fn meta(code: i32) -> Meta {
    Meta {
        command: "run",
        seed_source: "from --seed".into(),
        isolation: Some(Isolation::Process),
        exit_code: code,
        repro: "cargo shuffle run --seed 42 --shards 2".into(),
    }
}

/// A run with a polluter (worker 1, shard 1) and its victim (worker 2, shard 2).
fn od_run() -> RunRecord {
    let mut f = Finding::example("b victim", FindingKind::OdVictim);
    f.polluters = vec!["b polluter".into()];
    f.repro = "cargo shuffle run --order 'b polluter' 'b victim'".into();
    record(
        vec![
            result("b polluter", Outcome::Passed, (1, 1, 0), (0, 10)),
            result("b other", Outcome::Passed, (1, 1, 1), (10, 20)),
            result("b victim", Outcome::Failed, (2, 2, 0), (12, 40)),
            TestResult::new(TestCase::new("b", "skipped"), Outcome::Ignored),
        ],
        vec![f],
    )
}

fn count(page: &str, s: &str) -> usize {
    page.matches(s).count()
}

#[test]
fn hostile_names_and_output_never_become_markup() {
    let evil = "<script>alert(1)</script>\"'&]]></style></script><!--";
    let lossy = String::from_utf8_lossy(b"bytes \xff\xfe end").into_owned();
    let mut r = result(&format!("b\"&' {evil}"), Outcome::Failed, (1, 1, 0), (0, 5));
    r.output = format!("{evil}\x1b[31mred\x1b[0m\x00\x07\x0b\x7f {lossy}\n");
    r.message = Some(format!("panicked: {evil}"));
    let mut f = Finding::example(&r.test.id(), FindingKind::Failure);
    f.note = evil.into();
    f.repro = format!("cargo shuffle run --order '{evil}'");
    let mut rec = record(vec![r], vec![f]);
    rec.profile = Some(evil.into());
    let page = render(&rec, &meta(100), View::Run);
    // Only the page's own elements: four scripts (error catcher, data, script, self-check)
    // and one stylesheet.
    assert_eq!(count(&page, "<script"), 4, "{page}");
    assert_eq!(count(&page, "</script>"), 4);
    assert_eq!(count(&page, "<style"), 1);
    assert_eq!(count(&page, "</style>"), 1);
    assert_eq!(count(&page, "<!--"), 0);
    assert!(!page.contains("alert(1)</"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;]]&gt;"));
    assert!(
        page.contains("\\u003cscript\\u003ealert(1)"),
        "the data block escapes it too"
    );
    assert!(page.contains('\u{fffd}'));
    assert!(page.contains("red"));
    assert!(
        !page
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control characters are removed"
    );
}

#[test]
fn one_lane_per_worker_failing_bars_and_an_arrow_from_the_polluter() {
    let page = render(&od_run(), &meta(102), View::Run);
    assert_eq!(count(&page, "<g class=\"lane\""), 2);
    assert!(page.contains(">worker 1<") && page.contains(">worker 2<"));
    assert_eq!(count(&page, "class=\"bar fail o-failed\""), 1);
    assert_eq!(count(&page, "class=\"arrow polluter\""), 1);
    assert!(page.contains("polluter b polluter → b victim"));
    // Shard boundaries: each lane starts a shard.
    assert_eq!(count(&page, "class=\"shard-edge\""), 2);
    // The failing bar links to its output, which is on the page.
    assert!(page.contains("href=\"#t2\"") && page.contains("id=\"t2\""));
    // Header: seed and source, verdict and exit code, repro with a copy button.
    assert!(page.contains("<code>42</code> <span class=\"dim\">from --seed</span>"));
    assert!(page.contains("order-dependent tests found · exit 102"));
    assert!(page.contains("<code>cargo shuffle run --order &#39;b polluter&#39; &#39;b victim&#39;</code><button class=\"copy\""));
    assert!(page.contains("<!DOCTYPE html>") && page.ends_with("</html>\n"));
}

#[test]
fn nod_and_plain_failures_are_listed_apart_from_order_dependent_ones() {
    let mut rec = od_run();
    rec.results
        .push(result("b nod", Outcome::Failed, (1, 1, 2), (20, 30)));
    rec.results
        .push(result("b plain", Outcome::Crashed, (2, 2, 1), (40, 50)));
    rec.results
        .push(result("b unknown", Outcome::Failed, (2, 2, 2), (50, 60)));
    let fs = rec.findings.as_mut().unwrap();
    fs.push(Finding::example("b nod", FindingKind::NodFlaky));
    fs.push(Finding::example("b plain", FindingKind::Failure));
    let page = render(&rec, &meta(100), View::Run);
    let od = page.find("Order-dependent (1)").unwrap();
    let nod = page.find("NOD flaky (1)").unwrap();
    let plain = page.find("Failures (1)").unwrap();
    assert!(od < nod && nod < plain);
    assert!(page[nod..plain].contains("b nod"));
    assert!(page[plain..].contains("b plain"));
    assert!(page.contains("Failing without a finding (1)"));
    assert_eq!(count(&page, "class=\"bar fail "), 4);
}

#[test]
fn a_record_without_workers_packs_its_tests_into_lanes_that_never_overlap() {
    let mut rec = od_run();
    for r in &mut rec.results {
        r.worker = 0;
    }
    let page = render(&rec, &meta(102), View::Run);
    assert_eq!(count(&page, "<g class=\"lane\""), 2);
    assert!(page.contains(">lane 1<") && page.contains(">lane 2<"));
}

#[test]
fn a_hunt_has_a_row_and_a_group_per_run_with_its_order_kind_and_coverage() {
    let mut runs = vec![od_run(), od_run()];
    for r in &mut runs {
        r.results
            .push(result("b plain", Outcome::Failed, (1, 1, 2), (20, 30)));
    }
    let run = |order: &str, pct: f64| HuntRunCoverageDoc {
        order: order.into(),
        new_ordered: 3,
        new_consecutive: 2,
        ordered_pct: pct,
        consecutive_pct: pct / 2.0,
    };
    let cov = HuntCoverageDoc {
        tests: 3,
        pairs: 6,
        ordered: 6,
        ordered_estimated: false,
        consecutive: 4,
        runs: vec![run("seeded", 50.0), run("reversed", 100.0)],
        in_binary: None,
    };
    let page = render(
        &runs[0],
        &meta(102),
        View::Hunt {
            runs: &runs,
            coverage: &cov,
        },
    );
    assert!(page.contains("Hunt: 2 runs over 3 tests"));
    assert!(page.contains("run 1 · seeded order") && page.contains("run 2 · reversed order"));
    assert_eq!(count(&page, "<tr><td>"), 2);
    assert!(page.contains("class=\"pct-fill\"/></svg> 100.0%"));
    assert_eq!(count(&page, "<g class=\"lane\""), 4);
    assert_eq!(
        count(&page, "class=\"arrow polluter\""),
        2,
        "one per run it failed in"
    );
    assert!(
        page.contains("Failing without a finding (1)"),
        "a test failing in two runs is listed once"
    );
}

#[test]
fn a_merge_shows_its_partitions_side_by_side_and_marks_the_missing_one() {
    let mut p1 = od_run();
    p1.partition = Some("slice:1/3".parse().unwrap());
    let mut p3 = record(
        vec![result("c t", Outcome::Passed, (1, 1, 0), (0, 5))],
        vec![],
    );
    p3.partition = Some("slice:3/3".parse().unwrap());
    let mut merged = RunRecordDoc::example();
    merged.missing_partitions = Some(vec!["slice:2/3".into()]);
    merged.missing_parts = Some(vec![crate::report::schema::MissingPart {
        partition: "slice:2/3".parse().unwrap(),
        tests_at_least: Some(4),
        tests_at_most: Some(5),
    }]);
    let parts = vec![
        Part {
            file: "p3.json".into(),
            record: p3,
        },
        Part {
            file: "p1.json".into(),
            record: p1.clone(),
        },
    ];
    let page = render(
        &p1,
        &meta(103),
        View::Merge {
            merged: &merged,
            parts: &parts,
        },
    );
    assert!(page.contains("Partitions (2 given, <span class=\"bad\">1 missing</span>)"));
    let one = page.find("<h3>partition slice:1/3</h3>").unwrap();
    let two = page
        .find("<h3>partition slice:2/3</h3><p><strong>MISSING</strong>")
        .unwrap();
    let three = page.find("<h3>partition slice:3/3</h3>").unwrap();
    assert!(one < two && two < three, "in partition order");
    assert!(page.contains("partition slice:2/3 missing: its 4 or 5 planned tests never ran"));
    assert_eq!(count(&page, "<g class=\"missing\">"), 1);
    assert_eq!(count(&page, "<g class=\"lane\""), 3);
}

#[test]
fn a_page_of_10000_tests_is_well_under_2_mb() {
    let mut results = Vec::new();
    for i in 0..10_000u64 {
        let w = (i % 8) as u32 + 1;
        let outcome = if i % 100 == 7 {
            Outcome::Failed
        } else {
            Outcome::Passed
        };
        let start = i / 8 * 3;
        let mut r = result(
            &format!(
                "demo-core::test/integration_{} module_{}::tests::case_{i}",
                i % 12,
                i % 40
            ),
            outcome,
            (w, w, (i / 8) as u32),
            (start, start + 3),
        );
        if outcome == Outcome::Failed {
            r.output = "thread 'x' panicked at src/lib.rs:10:5:\nassertion failed\n".repeat(20);
            r.message = Some("assertion failed".into());
        } else {
            // Passing tests' output is dropped unless the run shows or stores it.
            r.output.clear();
        }
        results.push(r);
    }
    let page = render(&record(results, vec![]), &meta(100), View::Run);
    // The figure in docs/reports.md (`cargo test --lib a_page_of_10000 -- --nocapture`).
    eprintln!(
        "10 000 tests (100 failing, 1.2 KB output each): {} bytes",
        page.len()
    );
    assert!(page.len() < 1_500_000, "{} bytes", page.len());
    assert_eq!(count(&page, "class=\"bar fail o-failed\""), 100);
}

#[test]
fn a_run_where_nothing_ran_still_renders_a_page() {
    let mut rec = record(vec![], vec![]);
    rec.findings = None;
    rec.interrupted = true;
    rec.plan = vec![vec!["b never".into()]];
    let page = render(&rec, &meta(130), View::Run);
    assert!(page.contains("interrupted · exit 130"));
    assert!(page.contains("1 not run (not run: the run was interrupted)"));
    assert!(page.contains("Triage was off"));
    assert!(page.contains("Failing tests (0)</h2><p>None.</p>"));
    assert_eq!(count(&page, "<g class=\"lane\""), 0);
}

#[test]
fn a_huge_output_is_cut_to_its_head_and_tail_and_the_marker_counts_every_byte_left_out() {
    // What the runner keeps of a 10 MB line (its head, its own marker, its tail)…
    let total = "start".len() + 10 * 1024 * 1024 + "end\n<panic>\n".len();
    let mut kept = crate::runner::output::CapturedOutput::new(
        crate::runner::output::DEFAULT_HEAD,
        crate::runner::output::DEFAULT_TAIL,
    );
    kept.push(b"start");
    kept.push("é".repeat(5 * 1024 * 1024).as_bytes());
    kept.push(b"end\n<panic>\n");
    let kept = kept.to_text();
    let mut r = result("b huge", Outcome::Failed, (1, 1, 0), (0, 5));
    r.output_bytes = total as u64;
    r.output = kept.clone();
    let page = render(&record(vec![r], vec![]), &meta(100), View::Run);
    // …is shown as its first 8 KiB and last 24 KiB (on character boundaries), with one marker
    // that counts the bytes the test wrote and the page does not show, not only the runner's.
    let shown = 8 * 1024 + 24 * 1024;
    assert!(page.contains(&format!(
        "[cargo-shuffle: {} bytes of output not shown here; showing the first 8191 and the last 24576 bytes; the JUnit report has all the runner kept]",
        total - shown + 1
    )), "{}", &page[page.find("<pre>").unwrap()..][..200]);
    assert_eq!(
        count(&page, "[cargo-shuffle: "),
        1,
        "the runner's marker is cut out"
    );
    assert!(page.contains("<pre>start") && page.contains("end\n&lt;panic&gt;\n</pre>"));
    assert!(
        page.len() < 64 * 1024 + kept.len() / 4,
        "{} bytes",
        page.len()
    );
}

#[test]
fn slow_tests_and_the_unshuffled_shard_are_marked_where_they_are_drawn() {
    let mut rec = od_run();
    rec.results[1].slow = true;
    rec.results[2].slow = true;
    rec.plan = vec![
        vec!["b polluter".into(), "b other".into()],
        vec!["b victim".into()],
    ];
    rec.unshuffled = Some(2);
    let page = render(&rec, &meta(102), View::Run);
    assert!(
        page.contains("<span class=\"chip slow\">2 slow (longer than their slow-timeout)</span>")
    );
    assert_eq!(count(&page, "<rect class=\"slow\" data-t="), 2);
    assert!(
        page.contains(
            "<title>SLOW b other — passed, 10.0 ms, longer than its slow-timeout</title>"
        )
    );
    assert!(
        page.contains(
            "position 0, worker 2 · SLOW (longer than its slow-timeout)</span></summary>"
        )
    );
    assert!(page.contains("<span class=\"key slow\">"));
    assert!(page.contains(
        "<span class=\"k\">not shuffled</span> <span class=\"v\">shard 2: 1 test in name order"
    ));
    assert!(page.contains(">shard 2 · not shuffled</text>") && page.contains(">shard 1</text>"));
    // The data block: bar 1 (b other) is slow, bar 0 is not; the run's group names shard 2.
    let data = &page[page.find("id=\"data\">").unwrap()..];
    assert!(
        data.contains("\"other\",0,1,1,1,10.0,10,20,0,1,1]"),
        "{data}"
    );
    assert!(
        data.contains("\"polluter\",0,1,0,1,10.0,0,10,0,1,0]"),
        "{data}"
    );
    assert!(data.contains("\"unshuffled\":[2]"), "{data}");
    // Nothing of either when there is neither.
    let plain = render(&od_run(), &meta(102), View::Run);
    assert!(!plain.contains("class=\"slow\"") && !plain.contains("class=\"chip slow\""));
    assert!(!plain.contains(" · not shuffled<") && !plain.contains(">not shuffled<"));
}

#[test]
fn tests_not_run_after_max_fail_are_counted_and_named_in_the_header() {
    let mut rec = od_run();
    rec.max_fail_reached = true;
    rec.plan = vec![
        vec!["b polluter".into(), "b other".into(), "b <later>".into()],
        vec!["b victim".into()],
    ];
    let page = render(&rec, &meta(100), View::Run);
    assert!(page.contains("1 not run (not run: --max-fail was reached)</span>"));
    assert!(page.contains(
        "<summary>1 test not run (not run: --max-fail was reached)</summary><ul><li><code>b &lt;later&gt;</code></li></ul>"
    ));
    rec.plan[0].extend((0..250).map(|i| format!("b more{i}")));
    let page = render(&rec, &meta(100), View::Run);
    assert!(
        page.contains("<summary>251 tests not run (not run: --max-fail was reached)</summary>")
    );
    assert_eq!(
        count(&page, "<li><code>b more"),
        sections::NOT_RUN_LISTED - 1
    );
    assert!(page.contains("<li>… and 51 more (the JSON record's <code>not_run_tests</code>"));
    assert!(!render(&od_run(), &meta(102), View::Run).contains("class=\"not-run\""));
}

#[test]
fn passing_tests_output_the_run_kept_is_listed_within_a_budget() {
    // od_run's passing tests have output "out\n": the run kept it (as it does with
    // --success-output or --junit-store-success-output).
    let page = render(&od_run(), &meta(102), View::Run);
    assert!(page.contains("<section id=\"passing-output\"><h2>Output of passing tests (2)</h2>"));
    assert!(page.contains("<details class=\"passing\" id=\"t0\"><summary><span class=\"chip o-passed\">passed</span> <code>b polluter</code>"));
    assert_eq!(count(&page, "<details class=\"passing\""), 2);
    // A passing test without output has no entry; none at all: no section.
    let mut rec = od_run();
    for r in &mut rec.results {
        if r.outcome == Outcome::Passed {
            r.output.clear();
        }
    }
    assert!(!render(&rec, &meta(102), View::Run).contains("id=\"passing-output\""));
    // 10 000 chatty passing tests: each cut to 4 KiB, at most 512 KiB in all, the rest counted;
    // the page stays under 2 MB.
    let results: Vec<TestResult> = (0..10_000u64)
        .map(|i| {
            let mut r = result(
                &format!("b t{i}"),
                Outcome::Passed,
                (1 + (i % 8) as u32, 1, 0),
                (i, i + 1),
            );
            r.output = format!("{i}:{}", "y".repeat(6000));
            r.output_bytes = r.output.len() as u64;
            r
        })
        .collect();
    let page = render(&record(results, vec![]), &meta(0), View::Run);
    let shown = count(&page, "<details class=\"passing\"");
    assert!(
        (outputs::PASS_BUDGET / (4096 + 400)..=outputs::PASS_BUDGET / 4096 + 1).contains(&shown),
        "{shown}"
    );
    assert_eq!(
        count(
            &page,
            "bytes of output not shown here; showing the first 1024 and the last 3072 bytes"
        ),
        shown
    );
    assert!(page.contains(&format!(
        "<p class=\"dim\">{} more passing tests' output is not on this page",
        10_000 - shown
    )));
    assert!(page.len() < 2_000_000, "{} bytes", page.len());
}

#[test]
fn a_thousand_failing_tests_with_long_output_still_give_a_bounded_page() {
    let results: Vec<TestResult> = (0..10_000u64)
        .map(|i| {
            let failing = i % 10 == 0;
            let outcome = if failing {
                Outcome::Failed
            } else {
                Outcome::Passed
            };
            let mut r = result(
                &format!("b t{i}"),
                outcome,
                (1 + (i % 8) as u32, 1, 0),
                (i, i + 1),
            );
            r.output = if failing {
                format!("{}\npanicked at t{i}\n", "backtrace line\n".repeat(3000))
            } else {
                String::new()
            };
            r.output_bytes = r.output.len() as u64;
            r
        })
        .collect();
    let page = render(&record(results, vec![]), &meta(100), View::Run);
    let full = count(&page, "showing the first 8192 and the last 24576 bytes");
    let cut = count(&page, "showing the first 0 and the last 1024 bytes");
    assert_eq!(full + cut, 1000);
    assert!((30..40).contains(&full), "{full} in full");
    assert!(page.contains(&format!(
        "<p class=\"dim\">The last {cut} failing tests' output is cut to its last 1 KiB"
    )));
    // Every failure keeps the end of its output, where the panic is.
    assert_eq!(count(&page, "\npanicked at t"), 1000);
    assert!(page.len() < 4_000_000, "{} bytes", page.len());
    eprintln!(
        "1 000 of 10 000 tests failing with 45 KB of output each: {} bytes",
        page.len()
    );
}

#[test]
fn a_long_evidence_order_shows_its_ends_and_counts_the_middle() {
    let mut rec = od_run();
    let f = &mut rec.findings.as_mut().unwrap()[0];
    let mut order: Vec<String> = (0..5000).map(|i| format!("b p{i}")).collect();
    order.push("b victim".into());
    f.evidence = vec![crate::triage::Rerun {
        purpose: "prefix",
        order,
        outcome: Outcome::Failed,
        duration_ms: 12.0,
    }];
    let page = render(&rec, &meta(102), View::Run);
    assert!(page.contains("<summary>5001 tests</summary><ol><li>b p0</li>"));
    assert!(page.contains(&format!(
        "<li>b p{}</li></ol><p class=\"dim\">… 4961 more (the JSON record's evidence has every one) …</p><ol start=\"4982\"><li>b p4981</li>",
        sections::ORDER_ENDS - 1
    )));
    assert!(page.contains("<li>b p4999</li><li>b victim</li></ol></details>"));
    assert_eq!(count(&page, "<li>b p"), 2 * sections::ORDER_ENDS - 1);
}

#[test]
fn a_test_that_passed_only_on_a_retry_is_listed_as_flaky_with_its_failed_attempt() {
    let mut rec = od_run();
    let flaky = rec
        .results
        .iter_mut()
        .find(|r| r.test.name == "other")
        .unwrap();
    flaky.previous_attempts = vec![crate::events::Attempt {
        outcome: Outcome::Failed,
        message: Some("unlucky <roll>".into()),
        duration_ms: 3.0,
        output: "attempt output\n".into(),
    }];
    let page = render(&rec, &meta(105), View::Run);
    assert!(
        page.contains("<section id=\"flaky\"><h2>Flaky tests (1)</h2>"),
        "{page}"
    );
    assert!(page.contains("<details class=\"flaky\" id=\"t1\">"));
    assert!(page.contains(
        "attempt 1: <span class=\"chip o-failed\">failed</span> 3.0 ms — unlucky &lt;roll&gt;"
    ));
    assert!(page.contains("attempt output"));
    // Listed once: not again among passing tests' output (an id is its bar's).
    assert_eq!(count(&page, "id=\"t1\""), 1);
    // No flaky test: no section.
    assert!(!render(&od_run(), &meta(102), View::Run).contains("id=\"flaky\""));
}
