//! Order-dependence triage on `fixtures/od`: `hunt --runs 2` must find every planted case with
//! the exact roles and a working repro command, never report a passing test, never call the
//! NOD test order-dependent, and stay within the rerun bound; a brittle test whose state-setter
//! is in another test binary is found by `hunt` (through the order it passed in during another
//! run) and by a plain `run` (through the run's one batch of all its tests), in both isolation
//! modes; a brittle test whose state-setter acts only inside the process is found by a
//! process-isolation `run` (in one process after its binary's earlier tests).

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const L: &str = "od-core::lib ";

fn od(sub: &str, args: &[&str]) -> Shuffle {
    Shuffle::on("od", sub, args)
}

fn findings_of(report: &Value) -> BTreeMap<String, Value> {
    findings_by_test(report)
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Runs a repro command (as printed) with our binary; returns (exit code, report).
fn run_repro(repro: &str) -> (i32, Value) {
    let words = shell_words::split(repro).unwrap();
    assert_eq!(&words[..3], ["cargo", "shuffle", "run"], "{repro}");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let mut args: Vec<&str> = words[3..].iter().map(String::as_str).collect();
    args.extend(["--no-triage", "--report", report.to_str().unwrap()]);
    let mut all = vec!["run"];
    all.extend(args);
    let (out, _d) = Shuffle::new(&all).output();
    (out.status.code().unwrap(), json(report.to_str().unwrap()))
}

/// The brittle test whose state-setter is in another test binary, and that state-setter.
const CROSS_BRITTLE: &str = "od-core::test/brittle k_needs_cross_state";
const CROSS_SETTER: &str = "od-core::test/state k_creates_cross_state";

/// The brittle test that needs a process-global registry, and the test of its binary (sorting
/// before it) that fills it.
const INPROC_BRITTLE: &str = "od-core::test/registry reads_registry";
const INPROC_SETTER: &str = "od-core::test/registry fills_registry";

/// `f` is the brittle finding of `INPROC_BRITTLE` with exactly `INPROC_SETTER` as its
/// state-setter, labelled in-process state, made in `isolation`.
fn assert_in_process_brittle(f: &Value, isolation: &str) {
    assert_eq!(f["kind"], "brittle", "{f}");
    assert_eq!(strs(&f["state_setters"]), vec![INPROC_SETTER.to_string()]);
    assert_eq!(f["in_process_state"], true, "{f}");
    assert_eq!(f["isolation"], isolation, "{f}");
}

/// `f` is the brittle finding of `CROSS_BRITTLE` with exactly `CROSS_SETTER` as its
/// state-setter; its repro (the test alone) fails, and the setter then the test passes.
fn assert_cross_binary_brittle(f: &Value) {
    assert_eq!(f["kind"], "brittle", "{f}");
    assert_eq!(strs(&f["state_setters"]), vec![CROSS_SETTER.to_string()]);
    assert!(
        f["note"]
            .as_str()
            .unwrap()
            .contains("from another test binary"),
        "{f}"
    );
    let repro = f["repro"].as_str().unwrap();
    let (code, rep) = run_repro(repro);
    assert_eq!(code, 100, "{repro}: {rep}");
    let last = rep["tests"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["id"], &last["outcome"]),
        (&CROSS_BRITTLE.into(), &"failed".into())
    );
    let with_setter = format!(
        "{} --order {} {}",
        repro.split(" --order ").next().unwrap(),
        shell_words::quote(CROSS_SETTER),
        shell_words::quote(CROSS_BRITTLE)
    );
    let (code, rep) = run_repro(&with_setter);
    assert_eq!(code, 0, "{with_setter}: {rep}");
    let ran: Vec<&str> = rep["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ran, [CROSS_SETTER, CROSS_BRITTLE]);
}

#[test]
fn hunt_finds_every_planted_case_with_exact_roles_and_working_repros() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("hunt.json");
    let junit = dir.path().join("hunt.xml");
    let (out, _d) = od(
        "hunt",
        &[
            "--seed",
            "7",
            "--shards",
            "1",
            "--runs",
            "2",
            "--report",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .output();
    // g::always_fails is a plain failure, so the gate says 100.
    assert_code(&out, 100);
    let r = json(report.to_str().unwrap());
    // The JUnit agrees with the gate: every test that failed in any of the runs (the reversed
    // second run fails the victims the first run passes) is a failure there.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failed_in_junit: BTreeSet<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter(|n| {
            n.children()
                .any(|c| c.has_tag_name("failure") || c.has_tag_name("error"))
        })
        .map(|n| {
            format!(
                "{} {}",
                n.attribute("classname").unwrap(),
                n.attribute("name").unwrap()
            )
        })
        .collect();
    let failing_any_run: BTreeSet<String> = strs(&r["failing_tests"]).into_iter().collect();
    assert_eq!(failed_in_junit, failing_any_run);
    let only_later: Vec<&Value> = r["runs"][0]["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"] == "passed" && failing_any_run.contains(t["id"].as_str().unwrap()))
        .collect();
    assert!(
        !only_later.is_empty(),
        "the test needs a test that fails only in run 2"
    );
    let f = findings_of(&r);
    let kind = |t: &str| f[t]["kind"].as_str().unwrap().to_string();

    let single = [
        ("od-core::test/pairs a_victim", "od-core::lib a::polluter"),
        (
            "od-core::test/more b_victim",
            "od-core::test/pairs b_polluter",
        ),
        ("od-core::lib d::victim", "od-core::lib d::polluter"),
    ];
    for (victim, polluter) in single {
        assert_eq!(kind(victim), "od-victim", "{victim}: {}", f[victim]);
        assert_eq!(strs(&f[victim]["polluters"]), vec![polluter.to_string()]);
    }
    let c = format!("{L}c::victim");
    assert_eq!(kind(&c), "od-victim", "{}", f[&c]);
    let got: BTreeSet<String> = strs(&f[&c]["polluters"]).into_iter().collect();
    let want: BTreeSet<String> = [format!("{L}c::first"), format!("{L}c::second")].into();
    assert_eq!(got, want, "the conjunction needs both polluters");
    let e = format!("{L}e::uses_state");
    assert_eq!(kind(&e), "brittle");
    assert_eq!(
        strs(&f[&e]["state_setters"]),
        vec![format!("{L}e::setup_state")]
    );
    // Its state-setter is in another test binary, outside the reference order: found in the
    // order it passed in during the other run, or among all the run's tests.
    assert_cross_binary_brittle(&f[CROSS_BRITTLE]);
    assert_eq!(kind(&format!("{L}g::always_fails")), "failure");
    // It fails in every process-isolation run; in one process after its binary's earlier
    // tests it passes.
    assert_in_process_brittle(&f[INPROC_BRITTLE], "process");
    if let Some(nod) = f.get(&format!("{L}f::nod_flaky")) {
        // It may also fail alone and in the reference order by chance ("failure"); what it
        // must never be is order-dependent.
        assert!(
            nod["kind"] == "nod-flaky" || nod["kind"] == "failure",
            "NOD must never be called OD: {nod}"
        );
    }
    // No passing test is ever reported: every finding is about a test that failed in a run.
    let failing: BTreeSet<String> = strs(&r["failing_tests"]).into_iter().collect();
    for t in f.keys() {
        assert!(failing.contains(t), "{t} reported but never failed");
    }
    let planted: BTreeSet<&str> = [
        "od-core::test/pairs a_victim",
        "od-core::test/more b_victim",
        "od-core::lib c::victim",
        "od-core::lib d::victim",
        "od-core::lib e::uses_state",
        "od-core::lib f::nod_flaky",
        "od-core::lib g::always_fails",
        CROSS_BRITTLE,
        INPROC_BRITTLE,
    ]
    .into();
    for t in f.keys() {
        assert!(planted.contains(t.as_str()), "{t} is not a planted case");
    }

    for (victim, _) in single {
        let fi = &f[victim];
        // Rerun bound for a single polluter among n predecessors.
        let prefix = fi["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["purpose"] == "prefix")
            .unwrap();
        let n = prefix["order"].as_array().unwrap().len() - 1;
        let bound = (n as f64).log2().ceil() as u64 + 3;
        assert!(
            fi["search_reruns"].as_u64().unwrap() <= bound,
            "{victim}: {} search reruns for n = {n} (bound {bound})",
            fi["search_reruns"]
        );
        // The repro command reproduces: the victim fails after its polluter...
        let (code, rep) = run_repro(fi["repro"].as_str().unwrap());
        assert_eq!(code, 100, "{victim}");
        let last = rep["tests"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["id"], victim);
        assert_eq!(last["outcome"], "failed");
        // ... and passes alone.
        let alone = fi["repro"]
            .as_str()
            .unwrap()
            .split(" --order ")
            .next()
            .unwrap()
            .to_string()
            + " --order "
            + &shell_words::quote(victim);
        let (code, rep) = run_repro(&alone);
        assert_eq!(code, 0, "{victim} alone: {rep}");
    }
}

#[test]
fn a_plain_run_finds_a_state_setter_in_another_binary_that_ran_after_it_in_both_modes() {
    // Seed 1 runs the brittle test before its state-setter (see `list`), so it fails; alone it
    // fails, and so it does after its own binary's tests that sort before it (the reference
    // order): only all of the run's tests make it pass.
    let sel = ["--seed", "1", "--shards", "1", "--", "k_", "innocent_"];
    let (out, _d) = od("list", &sel).output();
    let listed = stdout(&out);
    let at = |t: &str| listed.find(t).unwrap_or_else(|| panic!("{t}: {listed}"));
    assert!(at(CROSS_BRITTLE) < at(CROSS_SETTER), "{listed}");
    for isolation in ["process", "shared"] {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.json");
        let mut args = vec![
            "--isolation",
            isolation,
            "--report",
            report.to_str().unwrap(),
        ];
        args.extend(sel);
        let (out, _d) = od("run", &args).output();
        assert_code(&out, 102);
        let r = json(report.to_str().unwrap());
        let f = findings_of(&r);
        assert_eq!(f.len(), 1, "{f:?}");
        let b = &f[CROSS_BRITTLE];
        assert_eq!(b["isolation"], isolation);
        assert_eq!(b["in_process_state"], false, "{b}");
        assert_cross_binary_brittle(b);
    }
}

#[test]
fn process_isolation_finds_an_in_process_state_setter_in_one_process_and_says_why_it_cannot_satisfy_it()
 {
    // Alone, after its binary's earlier tests (one process each) and after the run's other
    // tests it fails; in one process after `fills_registry` it passes, as under `cargo test`.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let args = ["--seed", "1", "--test", "registry", "--report"];
    let mut args = args.to_vec();
    args.push(report.to_str().unwrap());
    let (out, _d) = od("run", &args).output();
    assert_code(&out, 102);
    let f = findings_of(&json(report.to_str().unwrap()));
    assert_eq!(f.len(), 1, "{f:?}");
    let b = &f[INPROC_BRITTLE];
    assert_in_process_brittle(b, "process");
    let note = b["note"].as_str().unwrap();
    assert!(
        note.contains("in-process state: the state-setter must run in the test's process")
            && note.contains("process isolation gives every test a process of its own, so no order satisfies it there"),
        "{note}"
    );
    assert!(!note.contains("not in this run"), "{note}");
    // Its repro (the test alone) fails.
    let (code, _) = run_repro(b["repro"].as_str().unwrap());
    assert_eq!(code, 100);
    // The state-setter filtered out of the selection: by default triage never runs a test the
    // user left out, so the test fails whatever triage tries among the selected ones (as
    // `cargo test` with the same filters fails it) ...
    let mut filtered = args.clone();
    filtered.extend(["--", "reads_registry", "names_are_static"]);
    let (out, _d) = od("run", &filtered).output();
    assert_code(&out, 100);
    let f = findings_of(&json(report.to_str().unwrap()));
    assert_eq!(
        f[INPROC_BRITTLE]["kind"], "failure",
        "{:?}",
        f[INPROC_BRITTLE]
    );
    // ... and with `--triage-scope listed` it is found (the reference order is every listed
    // test of the binary), and the note says it was not in the run.
    args.extend([
        "--triage-scope",
        "listed",
        "--",
        "reads_registry",
        "names_are_static",
    ]);
    let (out, _d) = od("run", &args).output();
    assert_code(&out, 102);
    let f = findings_of(&json(report.to_str().unwrap()));
    let b = &f[INPROC_BRITTLE];
    assert_in_process_brittle(b, "process");
    let note = b["note"].as_str().unwrap();
    assert!(
        note.ends_with(&format!(
            "; not in this run (another partition's, or left out by the filters): {INPROC_SETTER}"
        )),
        "{note}"
    );
}

#[test]
fn a_cleaner_between_polluter_and_victim_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let (out, _d) = od(
        "run",
        &[
            "--seed",
            "1",
            "--find-cleaners",
            "--report",
            report.to_str().unwrap(),
            "--order",
            "od-core::lib d::polluter",
            "od-core::lib h::pass_0",
            "od-core::lib d::victim",
        ],
    )
    .output();
    assert_code(&out, 102);
    let r = json(report.to_str().unwrap());
    let f = &findings_of(&r)["od-core::lib d::victim"];
    assert_eq!(f["kind"], "od-victim");
    assert_eq!(
        strs(&f["polluters"]),
        vec!["od-core::lib d::polluter".to_string()]
    );
    assert_eq!(
        strs(&f["cleaners"]),
        vec!["od-core::lib d::cleaner".to_string()]
    );
}

#[test]
fn a_nod_test_is_never_reported_as_order_dependent() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let (out, _d) = od(
        "hunt",
        &[
            "--seed",
            "3",
            "--shards",
            "1",
            "--runs",
            "6",
            "--confirmations",
            "4",
            "--report",
            report.to_str().unwrap(),
            "--",
            "f::nod_flaky",
            "h::",
        ],
    )
    .output();
    let code = out.status.code().unwrap();
    // 0: it never failed; 105: flaky (the default gate); 100: it also failed alone (a
    // plain failure). Never 102.
    assert!(
        code == 0 || code == 100 || code == 105,
        "exit {code}: {}",
        stderr(&out)
    );
    let r = json(report.to_str().unwrap());
    let nod_found = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "nod-flaky");
    let failure_found = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "failure");
    if nod_found && !failure_found {
        assert_eq!(code, 105, "flaky findings fail the gate by default");
    }
    for f in r["findings"].as_array().unwrap() {
        assert_eq!(f["test"], "od-core::lib f::nod_flaky", "{f}");
        assert!(
            f["kind"] == "nod-flaky" || f["kind"] == "failure",
            "NOD reported as {}: {f}",
            f["kind"]
        );
    }
}

#[test]
fn the_gate_says_102_for_order_dependence_alone_and_no_triage_says_100() {
    let order = [
        "--order",
        "od-core::lib a::polluter",
        "od-core::test/pairs a_victim",
    ];
    let mut args = vec!["--seed", "1"];
    args.extend(order);
    let (out, _d) = od("run", &args).output();
    assert_code(&out, 102);
    args.push("--no-triage");
    let (out, _d) = od("run", &args).output();
    assert_code(&out, 100);
}

#[test]
fn the_baseline_quarantines_known_cases_flags_new_ones_and_reports_fixed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let a = [
        "--order",
        "od-core::lib a::polluter",
        "od-core::test/pairs a_victim",
    ];
    let run = |extra: &[&str], report: &str| {
        let mut args = vec!["--seed", "1", "--report", report];
        args.extend_from_slice(extra);
        let (out, _d) = od("run", &args).output();
        (out.status.code().unwrap(), stderr(&out))
    };
    let (code, _) = run(&a, &p("r1.json"));
    assert_eq!(code, 102);
    let baseline = p("config/shuffle-baseline.json");
    let (out, _d) = Shuffle::new(&[
        "baseline",
        "--update",
        "--from",
        &p("r1.json"),
        "--baseline",
        &baseline,
    ])
    .output();
    assert_code(&out, 0);
    let b = json(&baseline);
    assert_eq!(b["known"][0]["test"], "od-core::test/pairs a_victim");
    assert_eq!(b["known"][0]["kind"], "od-victim");
    // Known: quarantined, the gate passes.
    let mut with = a.to_vec();
    with.extend(["--baseline", &baseline]);
    let (code, err) = run(&with, &p("r2.json"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("quarantined"), "{err}");
    // A new order-dependent test still fails the gate.
    let (code, _) = run(
        &[
            "--order",
            "od-core::test/pairs b_polluter",
            "od-core::test/more b_victim",
            "--baseline",
            &baseline,
        ],
        &p("r3.json"),
    );
    assert_eq!(code, 102);
    // The known victim passing alone (its polluter did not run first) proves nothing: not
    // "fixed", and --prune keeps it.
    let (code, err) = run(
        &[
            "--order",
            "od-core::test/pairs a_victim",
            "--baseline",
            &baseline,
        ],
        &p("r4.json"),
    );
    assert_eq!(code, 0);
    assert!(!err.contains("fixed?"), "{err}");
    let prune = |from: &str| {
        let (out, _d) = Shuffle::new(&[
            "baseline",
            "--update",
            "--prune",
            "--from",
            from,
            "--baseline",
            &baseline,
        ])
        .output();
        assert_code(&out, 0);
        json(&baseline)["known"].as_array().unwrap().len()
    };
    assert_eq!(prune(&p("r4.json")), 1);
    // A known victim that passes after its recorded polluter is fixed, and --prune removes it.
    let fixed_baseline = serde_json::json!({
        "schema": "cargo-shuffle/baseline/v1",
        "known": [{"test": "od-core::lib h::pass_0", "kind": "od-victim",
                   "polluters": ["od-core::lib h::pass_1"]}]
    });
    std::fs::write(&baseline, fixed_baseline.to_string()).unwrap();
    let (code, err) = run(
        &[
            "--order",
            "od-core::lib h::pass_1",
            "od-core::lib h::pass_0",
            "--baseline",
            &baseline,
        ],
        &p("r6.json"),
    );
    assert_eq!(code, 0);
    assert!(err.contains("fixed?"), "{err}");
    assert_eq!(
        json(&p("r6.json"))["baseline"]["fixed"][0],
        "od-core::lib h::pass_0"
    );
    assert_eq!(prune(&p("r6.json")), 0);
    // A baseline that does not exist is a usage error naming it.
    let (code, err) = run(&["--baseline", "/nonexistent/b.json"], &p("r5.json"));
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/b.json"), "{err}");
}

#[test]
fn keep_sandbox_and_reset_cmd_work_on_each_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let (out, _d) = od(
        "run",
        &[
            "--seed",
            "1",
            "--keep-sandbox",
            "--report",
            report.to_str().unwrap(),
            "--order",
            "od-core::lib a::polluter",
        ],
    )
    .output();
    assert_code(&out, 0);
    let r = json(report.to_str().unwrap());
    let sandbox = std::path::PathBuf::from(r["tests"][0]["sandbox"].as_str().unwrap());
    assert!(
        sandbox.join("cargo-shuffle-od-a").exists(),
        "the polluter's marker is in the kept sandbox"
    );
    std::fs::remove_dir_all(&sandbox).unwrap();
    // The reset command runs in the sequence's sandbox before its tests: here it pollutes.
    let (out, _d) = od(
        "run",
        &[
            "--seed",
            "1",
            "--no-triage",
            "--reset-cmd",
            "touch \"$TMPDIR/cargo-shuffle-od-b\"",
            "--order",
            "od-core::test/more b_victim",
        ],
    )
    .output();
    assert_code(&out, 100);
    // A failing reset command: the sequence's tests are errors, never passes.
    let (out, _d) = od(
        "run",
        &[
            "--seed",
            "1",
            "--no-triage",
            "--report",
            report.to_str().unwrap(),
            "--reset-cmd",
            "echo db down >&2; exit 3",
            "--order",
            "od-core::lib h::pass_0",
        ],
    )
    .output();
    assert_code(&out, 100);
    let r = json(report.to_str().unwrap());
    assert_eq!(r["tests"][0]["outcome"], "error");
    assert!(
        r["tests"][0]["message"]
            .as_str()
            .unwrap()
            .contains("db down")
    );
}

#[test]
fn an_exhausted_triage_budget_reports_unfinished_and_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let (out, _d) = od(
        "run",
        &[
            "--seed",
            "1",
            "--triage-max-reruns",
            "1",
            "--report",
            report.to_str().unwrap(),
            "--order",
            "od-core::lib a::polluter",
            "od-core::test/pairs a_victim",
        ],
    )
    .output();
    // One rerun (alone: passes) is not enough to show the order dependence.
    assert_code(&out, 100);
    let f = &findings_of(&json(report.to_str().unwrap()))["od-core::test/pairs a_victim"];
    assert_eq!(f["kind"], "unfinished", "{f}");
    assert!(f["note"].as_str().unwrap().contains("--triage-max-reruns"));
}

#[test]
fn hunt_for_a_duration_runs_at_least_the_given_runs() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("h.json");
    let (out, _d) = od(
        "hunt",
        &[
            "--seed",
            "2",
            "--runs",
            "1",
            "--for",
            "0.01",
            "--report",
            report.to_str().unwrap(),
            "--",
            "h::",
        ],
    )
    .output();
    assert_code(&out, 0);
    let r = json(report.to_str().unwrap());
    assert_eq!(r["schema"], "cargo-shuffle/hunt/v1");
    assert!(!r["runs"].as_array().unwrap().is_empty());
    let (out, _d) = od("hunt", &["--for", "nan"]).output();
    assert_code(&out, 2);
}

#[test]
fn hunt_runs_are_single_sequences_seeded_reversed_then_chosen_for_pair_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("h.json");
    let summary = dir.path().join("h.md");
    let (out, _d) = od(
        "hunt",
        &[
            "--seed",
            "5",
            "--runs",
            "3",
            "--jobs",
            "2",
            "--no-triage",
            "--summary",
            summary.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--",
            "h::",
        ],
    )
    .output();
    assert_code(&out, 0);
    let r = json(report.to_str().unwrap());
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    // Each run is one sequence over every selected test.
    let order = |run: &Value| -> Vec<String> {
        let plan = recorded_plan(run);
        assert_eq!(plan.len(), 1, "one sequence per run: {plan:?}");
        plan[0].clone()
    };
    let (first, second, third) = (order(&runs[0]), order(&runs[1]), order(&runs[2]));
    let n = first.len() as u64;
    assert!(n >= 3, "{first:?}");
    let mut back = first.clone();
    back.reverse();
    assert_eq!(second, back, "run 2 is run 1 exactly backwards");
    let mut sorted = third.clone();
    sorted.sort();
    let mut all = first.clone();
    all.sort();
    assert_eq!(sorted, all, "run 3 runs every test once");
    // Coverage: run 1 covers half the ordered pairs, its reverse the rest; every run adds
    // consecutive pairs (n − 1 each for the first two, which never share one).
    let c = &r["coverage"];
    assert_eq!(c["tests"].as_u64().unwrap(), n);
    assert_eq!(c["pairs"].as_u64().unwrap(), n * (n - 1));
    assert_eq!(c["ordered"].as_u64().unwrap(), n * (n - 1));
    let per: Vec<&Value> = c["runs"].as_array().unwrap().iter().collect();
    let kinds: Vec<&str> = per.iter().map(|x| x["order"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["seeded", "reversed", "coverage"]);
    assert_eq!(per[0]["new_ordered"].as_u64().unwrap(), n * (n - 1) / 2);
    assert_eq!(per[1]["ordered_pct"].as_f64().unwrap(), 100.0);
    assert_eq!(per[0]["new_consecutive"].as_u64().unwrap(), n - 1);
    assert_eq!(per[1]["new_consecutive"].as_u64().unwrap(), n - 1);
    assert!(
        per[2]["new_consecutive"].as_u64().unwrap() >= 1,
        "{}",
        per[2]
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("pair coverage"), "{err}");
    // With two workers, runs 1 and 2 ran side by side (their time spans overlap), each in a
    // sandbox of its own.
    let span = |run: &Value| {
        let t = run["tests"].as_array().unwrap();
        let ran = t.iter().filter(|x| x["outcome"] != "ignored");
        let starts = ran.clone().map(|x| x["start_ms"].as_u64().unwrap());
        let ends = ran.map(|x| x["end_ms"].as_u64().unwrap());
        (starts.min().unwrap(), ends.max().unwrap())
    };
    let ((s1, e1), (s2, e2)) = (span(&runs[0]), span(&runs[1]));
    assert!(
        s1 <= e2 && s2 <= e1,
        "runs 1 ({s1}–{e1} ms) and 2 ({s2}–{e2} ms) did not overlap"
    );
}

#[test]
fn hunt_until_coverage_runs_until_that_share_of_consecutive_pairs_ran() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("h.json");
    let (out, _d) = od(
        "hunt",
        &[
            "--seed",
            "3",
            "--runs",
            "1",
            "--until-coverage",
            "60",
            // One run at a time: with more workers a batch of side-by-side runs may overshoot.
            "--jobs",
            "1",
            "--no-triage",
            "--report",
            report.to_str().unwrap(),
            "--",
            "h::",
        ],
    )
    .output();
    assert_code(&out, 0);
    let r = json(report.to_str().unwrap());
    let per = r["coverage"]["runs"].as_array().unwrap();
    let last = per.last().unwrap()["consecutive_pct"].as_f64().unwrap();
    assert!(last >= 60.0, "{last}");
    // It stopped at the first run that reached it.
    let before = per[per.len() - 2]["consecutive_pct"].as_f64().unwrap();
    assert!(before < 60.0, "{before}");
    for bad in ["0", "101", "nan"] {
        let (out, _d) = od("hunt", &["--until-coverage", bad]).output();
        assert_code(&out, 2);
    }
}

#[test]
fn hunt_finds_a_state_setter_in_another_binary_through_the_order_it_passed_in() {
    // Seed 1: run 1 has the brittle test before its state-setter (it fails), run 2 (reversed)
    // after it (it passes); side by side (--jobs 2) run 2 is concurrent with run 1. Seed 3: the
    // other way round, one run after the other (--jobs 1): run 2 fails, run 1 is earlier.
    for (seed, jobs, failing_run, passing_run) in [("1", "2", 0, 1), ("3", "1", 1, 0)] {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("hunt.json");
        let (out, _d) = od(
            "hunt",
            &[
                "--seed",
                seed,
                "--runs",
                "2",
                "--jobs",
                jobs,
                "--report",
                report.to_str().unwrap(),
                "--",
                "k_",
                "innocent_",
            ],
        )
        .output();
        assert_code(&out, 102);
        let r = json(report.to_str().unwrap());
        let runs = r["runs"].as_array().unwrap();
        let outcome_in = |run: &Value| {
            run["tests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == CROSS_BRITTLE)
                .map(|t| t["outcome"].as_str().unwrap().to_string())
                .unwrap()
        };
        assert_eq!(outcome_in(&runs[failing_run]), "failed", "seed {seed}");
        assert_eq!(outcome_in(&runs[passing_run]), "passed", "seed {seed}");
        let f = findings_of(&r);
        assert_eq!(f.len(), 1, "{f:?}");
        let b = &f[CROSS_BRITTLE];
        assert_cross_binary_brittle(b);
        assert!(
            b["note"]
                .as_str()
                .unwrap()
                .contains("found among the tests that ran before it when it passed"),
            "{b}"
        );
        // The candidate orders tried: its binary's tests that sort before it, then the tests
        // before it in the run it passed in (which makes it pass); never all the run's tests.
        let passing_order = strs(&runs[passing_run]["plan"][0]["tests"]);
        let at = passing_order
            .iter()
            .position(|t| t == CROSS_BRITTLE)
            .unwrap();
        let passed_order = passing_order[..=at].to_vec();
        let reference: Vec<(Vec<String>, String)> = b["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["purpose"] == "reference")
            .map(|e| {
                (
                    strs(&e["order"]),
                    e["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let own_binary = vec![
            "od-core::test/brittle innocent_brittle".to_string(),
            CROSS_BRITTLE.to_string(),
        ];
        assert_eq!(
            reference,
            [
                (own_binary, "failed".to_string()),
                (passed_order.clone(), "passed".to_string())
            ],
            "seed {seed}: {b}"
        );
        assert!(passed_order.len() < passing_order.len(), "{passed_order:?}");
    }
}

#[test]
fn hunt_runs_one_after_another_with_a_reset_cmd() {
    // --reset-cmd means state outside the sandboxes: concurrent runs would reset it under each
    // other, so the runs of the hunt do not overlap in time even with two workers.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("h.json");
    let (out, _d) = od(
        "hunt",
        &[
            "--seed",
            "5",
            "--runs",
            "2",
            "--jobs",
            "2",
            "--no-triage",
            "--reset-cmd",
            "true",
            "--report",
            report.to_str().unwrap(),
            "--",
            "h::",
        ],
    )
    .output();
    assert_code(&out, 0);
    let r = json(report.to_str().unwrap());
    let runs = r["runs"].as_array().unwrap();
    let span = |run: &Value| {
        let t = run["tests"].as_array().unwrap();
        let ran: Vec<&Value> = t.iter().filter(|x| x["outcome"] != "ignored").collect();
        let s = ran
            .iter()
            .map(|x| x["start_ms"].as_u64().unwrap())
            .min()
            .unwrap();
        let e = ran
            .iter()
            .map(|x| x["end_ms"].as_u64().unwrap())
            .max()
            .unwrap();
        (s, e)
    };
    let (a, b) = (span(&runs[0]), span(&runs[1]));
    // Each run's times count from its own start, so sequential runs both start near 0: what
    // shows they did not overlap is the record's started_at.
    let starts: Vec<&str> = runs
        .iter()
        .map(|x| x["started_at"].as_str().unwrap())
        .collect();
    assert!(starts[0] < starts[1], "{starts:?} {a:?} {b:?}");
}
