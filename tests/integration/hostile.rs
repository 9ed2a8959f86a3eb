//! The fault suite: the runner on `fixtures/hostile`, whose tests hang, leak processes holding
//! their output, flood output, print control characters and invalid UTF-8, crash, and signal
//! their own process group. Every outcome is checked against `fixtures/hostile/expected.json`,
//! the JUnit file with a strict XML parser, and the runner's own memory.

use crate::common::*;
use std::collections::BTreeMap;

fn hostile(args: &[&str]) -> Shuffle {
    Shuffle::on("hostile", "run", args)
}

fn load(name: &str) -> serde_json::Value {
    json(repo().join("fixtures/hostile").join(name).to_str().unwrap())
}

#[test]
fn every_hostile_test_gets_its_expected_outcome_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let report = dir.path().join("run.json");
    let start = std::time::Instant::now();
    let (out, _d) = hostile(&[
        "--seed",
        "1",
        "--timeout",
        "3",
        "--jobs",
        "8",
        "--shards",
        "16",
        "--no-triage",
        "--junit",
        junit.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ])
    .output();
    assert_code(&out, 100);
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
    let r = json(report.to_str().unwrap());
    let results: BTreeMap<String, serde_json::Value> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t.clone()))
        .collect();
    let expected = load("expected.json");
    let details = load("expected-details.json");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc =
        roxmltree::Document::parse(&xml).expect("JUnit stays valid XML whatever the tests print");
    assert_eq!(results.len(), expected.as_object().unwrap().len());
    for (id, want) in expected.as_object().unwrap() {
        let got = &results[id];
        let (outcome, leaked) = match want.as_str().unwrap() {
            "leaky-passed" => ("passed", true),
            "leaky-failed" => ("failed", true),
            o => (o, false),
        };
        assert_eq!(got["outcome"], outcome, "{id}: {got}");
        if leaked || outcome == "passed" {
            assert_eq!(got["leaked"], leaked, "{id}: {got}");
        }
        let d = &details[id];
        if let Some(m) = d["message_contains"].as_str() {
            let got_msg = got["message"].as_str().unwrap_or("");
            assert!(got_msg.contains(m), "{id}: message {got_msg:?} lacks {m:?}");
        }
        if outcome == "crashed" {
            assert_eq!(got["signal"], d["signal"], "{id}: {got}");
        }
        if outcome != "passed" {
            // The evidence (failure message or kept output) is in the JUnit testcase.
            let name = id.split_once(' ').unwrap().1;
            let case = doc
                .descendants()
                .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
                .unwrap();
            let failure = case
                .children()
                .find(|n| n.has_tag_name("failure") || n.has_tag_name("error"))
                .unwrap_or_else(|| panic!("{id} has no failure element"));
            let system_out = case
                .children()
                .find(|n| n.has_tag_name("system-out"))
                .and_then(|n| n.text())
                .unwrap_or("");
            let text = format!(
                "{} {} {system_out}",
                failure.attribute("message").unwrap_or(""),
                failure.text().unwrap_or("")
            );
            let needle = d["output_contains"].as_str().unwrap();
            let needle = strip_escapes(needle);
            assert!(
                text.contains(&needle),
                "{id}: {needle:?} not in its JUnit testcase"
            );
        }
    }
    // 300 MiB of output: the message survives, and the runner's memory stays bounded.
    let flood = &results["hostile::lib tests::floods_output"];
    assert!(
        flood["message"]
            .as_str()
            .unwrap()
            .contains("the real failure message after 300 MiB")
    );
    assert!(flood["output_dropped_bytes"].as_u64().unwrap() > 300_000_000);
    let rss = r["runner"]["max_rss_kib"].as_u64().unwrap();
    assert!(rss < 64 * 1024, "runner peak RSS {rss} KiB");
    // Nothing but the planted leakers is ever called leaky (200 no-op tests at -j 8).
    // (ignores_sigterm's shell also holds its output after the test died of TERM: leaky too.)
    let leaky: Vec<&str> = results
        .iter()
        .filter(|(_, t)| t["leaked"] == true)
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        leaky,
        [
            "hostile::lib tests::ignores_sigterm",
            "hostile::lib tests::leaks_grandchild_fail",
            "hostile::lib tests::leaks_grandchild_pass"
        ]
    );
    // The terminal output stays readable: no raw escapes or NULs reach it.
    let err = stderr(&out);
    assert!(
        !err.contains('\u{1b}') && !err.contains('\0'),
        "control characters reached the terminal"
    );
}

#[test]
fn an_unwritable_report_path_is_named_and_the_other_reports_are_still_written() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("nested/dirs/run.json");
    let (out, _d) = hostile(&[
        "--seed",
        "1",
        "--junit",
        "/etc/passwd/junit.xml",
        "--report",
        report.to_str().unwrap(),
        "--",
        "passes_quickly",
    ])
    .output();
    assert_code(&out, 1);
    assert!(stderr(&out).contains("/etc/passwd"), "{}", stderr(&out));
    let r = json(report.to_str().unwrap());
    assert_eq!(r["counts"]["passed"], 5);
}

/// The needle as the runner writes it: without ANSI CSI sequences and control characters.
fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for n in chars.by_ref() {
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}

#[test]
fn fail_leaky_turns_a_leaky_pass_into_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("run.json");
    let (out, _d) = hostile(&[
        "--seed",
        "1",
        "--fail-leaky",
        "--leak-timeout",
        "100",
        "--no-triage",
        "--report",
        report.to_str().unwrap(),
        "--",
        "leaks_grandchild_pass",
        "passes_quickly_1",
    ])
    .output();
    assert_code(&out, 100);
    let r = json(report.to_str().unwrap());
    for t in r["tests"].as_array().unwrap() {
        if t["name"] == "tests::leaks_grandchild_pass" {
            assert_eq!(t["outcome"], "failed");
            assert!(t["message"].as_str().unwrap().contains("leaky"));
        } else {
            assert_eq!(t["outcome"], "passed");
            assert_eq!(t["leaked"], false);
        }
    }
    assert!(stderr(&out).contains("(leaky)"));
}

#[test]
fn one_test_thread_output_is_read_as_libtest_prints_it() {
    // With RUST_TEST_THREADS=1 libtest prints `test NAME ... ` before the test's output and
    // the verdict after it (`test NAME ... abcok`): still credited to the right test.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let mut s = hostile(&[
        "--seed",
        "1",
        "--no-triage",
        "--report",
        report.to_str().unwrap(),
        "--isolation",
        "process",
        "--",
        "prints_without_newline",
        "prints_a_libtest_run",
        "should_panic_but_returns",
        "passes_quickly_1",
        "exits_with_odd_code",
    ]);
    s.cmd.env("RUST_TEST_THREADS", "1");
    let (out, _d) = s.output();
    assert_code(&out, 100);
    let r = json(report.to_str().unwrap());
    let got: BTreeMap<String, String> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let name = t["name"].as_str().unwrap();
            (name.to_string(), t["outcome"].as_str().unwrap().to_string())
        })
        .collect();
    let want = |o: &str| o.to_string();
    assert_eq!(
        got["tests::prints_without_newline"],
        want("passed"),
        "{got:?}"
    );
    assert_eq!(
        got["tests::prints_a_libtest_run"],
        want("passed"),
        "{got:?}"
    );
    assert_eq!(got["tests::passes_quickly_1"], want("passed"), "{got:?}");
    assert_eq!(
        got["tests::should_panic_but_returns"],
        want("failed"),
        "{got:?}"
    );
    assert_eq!(got["tests::exits_with_odd_code"], want("failed"), "{got:?}");
}
