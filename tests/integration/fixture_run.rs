//! Runs the real binary on the fixture workspace and checks what it writes: every test's
//! outcome against `fixtures/demo/expected.json`, the JUnit file (strict XML parser), the JSON
//! run record, and that the run executes exactly the plan `list` prints.

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn expected() -> BTreeMap<String, String> {
    let v = json(repo().join("fixtures/demo/expected.json").to_str().unwrap());
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

/// Runs the fixture with `seed` and returns (exit code, stderr, report JSON, JUnit text).
fn run_fixture(seed: &str, extra: &[&str]) -> (i32, String, Value, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let junit = out_dir.path().join("out/junit.xml");
    let report = out_dir.path().join("out/run.json");
    let mut args = vec![
        "--seed",
        seed,
        "--junit",
        junit.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (out, _dir) = Shuffle::fixture("run", &args).output();
    let r = json(report.to_str().unwrap());
    let j = std::fs::read_to_string(&junit).unwrap();
    (out.status.code().unwrap(), stderr(&out), r, j)
}

fn outcome_map(report: &Value) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    for t in report["tests"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap().to_string();
        assert!(
            m.insert(id.clone(), t.clone()).is_none(),
            "{id} reported twice"
        );
    }
    m
}

/// Checks every fixture test's outcome against `expected.json`. An order-dependent victim's
/// outcome comes from `victim(polluter, victim)` for each of its polluters (from
/// `expected-polluters.json`; `None`: either is right): it must have failed if any polluter
/// says so, passed if all say so. Returns the results.
fn check_expected_outcomes(
    report: &Value,
    victim: impl Fn(&Value, &Value) -> Option<&'static str>,
) -> BTreeMap<String, Value> {
    let results = outcome_map(report);
    let exp = expected();
    assert_eq!(
        results.keys().collect::<BTreeSet<_>>(),
        exp.keys().collect::<BTreeSet<_>>(),
        "reported test set differs from the fixture's"
    );
    let polluters: BTreeMap<String, Vec<String>> = demo_polluters().into_iter().collect();
    let victims: BTreeSet<&String> = exp
        .iter()
        .filter(|(_, want)| *want == "order-dependent")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        victims,
        polluters.keys().collect::<BTreeSet<_>>(),
        "every order-dependent test, and only those, has polluters in expected-polluters.json"
    );
    for (id, want) in &exp {
        let got = results[id]["outcome"].as_str().unwrap();
        if want == "order-dependent" {
            let verdicts: Vec<Option<&str>> = polluters[id]
                .iter()
                .map(|p| {
                    assert_eq!(exp[p], "passed", "polluter {p}");
                    victim(&results[p], &results[id])
                })
                .collect();
            let w = if verdicts.contains(&Some("failed")) {
                Some("failed")
            } else if verdicts.iter().all(|v| *v == Some("passed")) {
                Some("passed")
            } else {
                None
            };
            if let Some(w) = w {
                let p: Vec<&Value> = polluters[id].iter().map(|p| &results[p]).collect();
                assert_eq!(got, w, "{id} (polluters {p:?}): {}", results[id]);
            }
            continue;
        }
        assert_eq!(got, want.as_str(), "{id}: {}", results[id]);
    }
    results
}

#[test]
fn with_a_sandbox_per_shard_only_a_polluter_earlier_in_the_same_shard_makes_the_victim_fail() {
    let (code, err, report, _) = run_fixture("8417923", &["--sandbox", "shard"]);
    assert_eq!(code, 100, "{err}");
    check_expected_outcomes(&report, |p, v| {
        let pos = |t: &Value| {
            (
                t["shard"].as_u64().unwrap(),
                t["position"].as_u64().unwrap(),
            )
        };
        let ((ps, pp), (vs, vp)) = (pos(p), pos(v));
        Some(if ps == vs && pp < vp {
            "failed"
        } else {
            "passed"
        })
    });
    assert!(
        report["repro"]
            .as_str()
            .unwrap()
            .contains("--sandbox shard"),
        "{}",
        report["repro"]
    );
}

#[test]
fn every_fixture_test_gets_its_expected_outcome() {
    let (code, err, report, _) = run_fixture("8417923", &[]);
    assert_eq!(code, 100, "{err}");
    let results = check_expected_outcomes(&report, |p, v| {
        // `--sandbox run` (the default): every shard shares one TMPDIR, so a victim fails
        // exactly when its polluter finished before it started, whichever shard each ran in.
        let time = |t: &Value| {
            (
                t["start_ms"].as_u64().unwrap(),
                t["end_ms"].as_u64().unwrap(),
            )
        };
        let ((_, p_end), (v_start, v_end)) = (time(p), time(v));
        if p_end < v_start {
            Some("failed")
        } else if time(p).0 > v_end {
            Some("passed")
        } else {
            None // they overlapped on two workers: either outcome is right
        }
    });
    assert_eq!(results["demo-core::lib tests::aborts"]["signal"], "SIGABRT");
    assert_eq!(
        results["demo-core::lib tests::killed_by_signal"]["signal"],
        "SIGSEGV"
    );
    let big = &results["demo-core::lib tests::fails_after_lots_of_output"];
    assert!(
        big["message"]
            .as_str()
            .unwrap()
            .contains("fails_after_lots_of_output: the real failure message"),
        "{big}"
    );
    assert!(big["output_dropped_bytes"].as_u64().unwrap() > 0);
    assert!(big["output_bytes"].as_u64().unwrap() > 4 * 1024 * 1024);
    let f = &results["demo-core::lib tests::fails_on_purpose"];
    assert_eq!(f["exit_code"], 101);
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("deliberate failure")
    );
    // Seed at the start and at the end, pasteable.
    assert!(err.matches("8417923").count() >= 2, "{err}");
    assert!(err.contains("--seed 8417923"), "{err}");
}

#[test]
fn junit_is_strict_xml_with_one_testcase_per_test() {
    let (_, _, report, junit) = run_fixture("77", &[]);
    let doc = roxmltree::Document::parse(&junit).expect("JUnit must be well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let mut seen = BTreeSet::new();
    let mut suites = 0;
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        suites += 1;
        let props: BTreeMap<&str, &str> = suite
            .descendants()
            .filter(|n| n.has_tag_name("property") && n.parent().unwrap().parent() == Some(suite))
            .map(|n| (n.attribute("name").unwrap(), n.attribute("value").unwrap()))
            .collect();
        assert_eq!(props["seed"], "77");
        assert_eq!(props["shards"], "8");
        assert!(props["repro"].contains("--seed 77"));
        assert!(props.contains_key("version"));
        for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
            let class = case.attribute("classname").unwrap();
            assert_eq!(class, suite.attribute("name").unwrap());
            let time = case.attribute("time").expect("time is always present");
            assert!(time.parse::<f64>().is_ok() && !time.contains(','), "{time}");
            assert!(seen.insert(format!("{class} {}", case.attribute("name").unwrap())));
            if let Some(f) = case
                .children()
                .find(|n| n.has_tag_name("failure") || n.has_tag_name("error"))
            {
                assert!(!f.attribute("message").unwrap_or("").is_empty());
            }
        }
    }
    assert_eq!(suites, 5, "one testsuite per test binary");
    assert_eq!(seen.len(), report["tests"].as_array().unwrap().len());
    // Both binaries' `tests::it_works` are distinct testcases.
    assert!(seen.contains("demo-core::test/api tests::it_works"));
    assert!(seen.contains("demo-core::test/parse tests::it_works"));
    assert!(seen.contains("demo-core::lib tests::ünïcödé_名前"));
    // The huge failure is truncated visibly and keeps its message.
    let big = root
        .descendants()
        .find(|n| n.attribute("name") == Some("tests::fails_after_lots_of_output"))
        .unwrap();
    let failure = big.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("the real failure message")
    );
    // Its output (capped, the cut marked) is the testcase's <system-out>.
    let out = big
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(out.text().unwrap().contains("bytes of output not kept"));
    // Times add up: each testsuite spans its tests (8 parallel shards), inside the report.
    crate::merge::assert_junit_times_add_up(&junit);
}

#[test]
fn run_executes_exactly_the_plan_that_list_prints() {
    let (out, _d) =
        Shuffle::fixture("list", &["--seed", "31337", "--message-format", "json"]).output();
    assert_code(&out, 0);
    let listed = json(&stdout(&out));
    let (_, _, report, _) = run_fixture("31337", &[]);
    let list_plan = listed_plan(&listed);
    let run_plan: Vec<Vec<String>> = report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::from_value(s["tests"].clone()).unwrap())
        .collect();
    assert_eq!(list_plan, run_plan);
    // Every test ran in its planned shard and position, and within a shard one after another.
    let results = outcome_map(&report);
    for (i, shard) in run_plan.iter().enumerate() {
        let mut last_end = 0;
        for (p, id) in shard.iter().enumerate() {
            let r = &results[id];
            assert_eq!(r["shard"].as_u64(), Some(i as u64 + 1), "{id}");
            assert_eq!(r["position"].as_u64(), Some(p as u64), "{id}");
            assert!(
                r["start_ms"].as_u64().unwrap() >= last_end,
                "{id} overlapped its predecessor"
            );
            last_end = r["end_ms"].as_u64().unwrap();
        }
    }
}

#[test]
fn shard_flag_runs_only_that_shard_in_the_same_order() {
    let (_, _, full, _) = run_fixture("5", &[]);
    let (_, _, one, junit) = run_fixture("5", &["--shard", "3"]);
    // Only that shard's tests (and the ignored ones) are in the reports; nothing "not run".
    assert_eq!(one["not_run"], 0);
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, one["tests"].as_array().unwrap().len());
    assert!(!junit.contains("not run"));
    let shard3: Vec<String> = serde_json::from_value(full["plan"][2]["tests"].clone()).unwrap();
    let ran: Vec<String> = {
        let mut v: Vec<(u64, String)> = one["tests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["shard"] != 0)
            .map(|t| {
                (
                    t["position"].as_u64().unwrap(),
                    t["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect()
    };
    assert_eq!(ran, shard3);
    // Its "reproduce this run" runs the same shard, not the whole plan.
    let repro = one["repro"].as_str().unwrap();
    assert!(repro.ends_with("--shards 8 --shard 3"), "{repro}");
    assert!(
        !full["repro"].as_str().unwrap().contains("--shard "),
        "{}",
        full["repro"]
    );
}

#[test]
fn run_ignored_only_runs_the_ignored_tests() {
    let (code, err, report, _) = run_fixture("9", &["--run-ignored", "only"]);
    assert_eq!(code, 100, "{err}");
    let r = outcome_map(&report);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r["demo-core::lib tests::ignored_passes"]["outcome"],
        "passed"
    );
    assert_eq!(
        r["demo-core::lib tests::ignored_fails"]["outcome"],
        "failed"
    );
}

#[test]
fn filters_and_skip_select_by_name() {
    let (code, err, report, _) = run_fixture("3", &["--skip", "parse_fails", "--", "parse"]);
    assert_eq!(code, 0, "{err}");
    let r = outcome_map(&report);
    assert_eq!(
        r.keys().cloned().collect::<Vec<_>>(),
        vec!["demo-core::test/parse parse_number".to_string()]
    );
}

#[test]
fn cargo_selection_flags_pass_through() {
    let (code, err, report, _) = run_fixture("3", &["-p", "demo-macro"]);
    assert_eq!(code, 0, "{err}");
    let r = outcome_map(&report);
    assert_eq!(r.len(), 2);
    assert!(r.keys().all(|k| k.starts_with("demo-macro::lib ")), "{r:?}");
    let (code, err, report, _) = run_fixture("3", &["-p", "demo-core", "--test", "api"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        outcome_map(&report)
            .keys()
            .all(|k| k.starts_with("demo-core::test/api "))
    );
}

#[test]
fn order_runs_exactly_the_given_sequence() {
    // Every polluter→victim pair, within a binary or across two: polluter first makes the
    // victim fail, victim first passes.
    for (v, p) in demo_polluters()
        .into_iter()
        .flat_map(|(v, ps)| ps.into_iter().map(move |p| (v.clone(), p)))
    {
        let (v, p) = (v.as_str(), p.as_str());
        let (code, err, report, _) = run_fixture("1", &["--order", p, v]);
        // Triage finds the victim order-dependent: the gate's own exit code.
        assert_eq!(code, 102, "{p} then {v}: {err}");
        let tests = report["tests"].as_array().unwrap();
        let ids: Vec<&str> = tests.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![p, v]);
        assert_eq!(tests[1]["outcome"], "failed", "{v}");
        let f = &findings_by_test(&report)[v];
        assert_eq!(f["kind"], "od-victim", "{f}");
        assert_eq!(f["polluters"], serde_json::json!([p]), "{f}");
        let (code, err, report, _) = run_fixture("1", &["--order", v, p]);
        assert_eq!(code, 0, "{v} then {p}: {err}");
        assert_eq!(report["tests"][0]["outcome"], "passed", "{v}");
    }
    let (out, _d) = Shuffle::fixture("run", &["--order", "demo-core::lib no_such_test"]).output();
    assert_code(&out, 2);
    assert!(stderr(&out).contains("`demo-core::lib no_such_test`"));
}

#[test]
fn libtest_options_after_double_dash_work_like_cargo_test() {
    // `cargo shuffle run -- --skip X` must skip X, as `cargo test -- --skip X` does.
    let (code, err, report, _) = run_fixture("3", &["--", "parse", "--skip", "parse_fails"]);
    assert_eq!(code, 0, "{err}");
    let r = outcome_map(&report);
    assert_eq!(
        r.keys().cloned().collect::<Vec<_>>(),
        vec!["demo-core::test/parse parse_number".to_string()]
    );
    let (code, _, report, _) = run_fixture("3", &["--", "--exact", "tests::it_works"]);
    assert_eq!(code, 0);
    assert_eq!(
        outcome_map(&report).len(),
        4,
        "four binaries have tests::it_works"
    );
    let (out, _d) = Shuffle::fixture("run", &["--", "--frobnicate"]).output();
    assert_code(&out, 2);
    assert!(stderr(&out).contains("--frobnicate"));
}

#[test]
fn tests_see_the_environment_cargo_test_gives_them() {
    // fixtures/env's tests read at run time: `[env]` from .cargo/config.toml (plain, relative,
    // forced over an existing variable), a build script's `cargo:rustc-env`, and
    // `CARGO_BIN_EXE_<name>`, and the `target.'cfg(unix)'.runner` wrapper every binary starts
    // through. cargo reads its config from the current directory.
    let dir = repo().join("fixtures/env");
    let target = repo().join("target/fixture-env");
    let report = tempfile::tempdir().unwrap();
    let path = report.path().join("r.json");
    let mut s = Shuffle::new(&[
        "run",
        "--target-dir",
        target.to_str().unwrap(),
        "--seed",
        "1",
        "--report",
        path.to_str().unwrap(),
    ]);
    s.cmd.current_dir(&dir).env("FIXTURE_FORCED", "outer");
    let (out, _d) = s.output();
    assert_code(&out, 0);
    let r = json(path.to_str().unwrap());
    assert_eq!(r["counts"]["passed"], 6, "{r}");
    assert!(
        r["tests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "started_through_the_target_runner" && t["outcome"] == "passed"),
        "{r}"
    );
}

#[test]
fn message_format_json_streams_one_event_per_line() {
    let (out, _d) = Shuffle::fixture("run", &["--seed", "8", "--message-format", "json"]).output();
    assert_code(&out, 100);
    let events: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(events[0]["type"], "run-started");
    assert_eq!(events[0]["seed"], "8");
    let last = events.last().unwrap();
    assert_eq!(last["type"], "run-finished");
    assert_eq!(last["exit_code"], 100);
    let count = |t: &str| events.iter().filter(|e| e["type"] == t).count();
    assert_eq!(count("test-finished"), expected().len());
    for e in events.iter().filter(|e| e["type"] == "test-finished") {
        // A test that ran names the worker that ran it; an ignored one (shard 0) none.
        assert_eq!(e["worker"] == 0, e["shard"] == 0, "{e}");
    }
    assert_eq!(
        count("test-started"),
        expected().len() - 2,
        "ignored tests do not start"
    );
    assert!(
        count("finding") >= 5,
        "the failing tests' findings are streamed"
    );
}

#[test]
fn durations_are_recorded_for_the_next_runs_shard_dispatch() {
    let (_, _, report, _) = run_fixture("11", &[]);
    assert!(report["tests"].as_array().unwrap().len() > 20);
    let path = fixture_target().join("debug/cargo-shuffle-durations.json");
    let h = json(path.to_str().unwrap());
    let slow = h["demo-core::lib tests::slow_passes"].as_f64().unwrap();
    assert!(slow >= 1000.0, "{slow}");
}
