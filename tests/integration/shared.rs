//! Shared-process isolation: in-process polluter→victim pairs (env var, static, current dir)
//! are found with the right polluter and labelled in-process state; process isolation passes
//! them; crashes and timeouts resume without losing a test; results agree with `cargo test`.

use crate::common::*;
use std::collections::BTreeMap;

fn fixture(name: &str, sub: &str, args: &[&str]) -> Shuffle {
    Shuffle::on(name, sub, args)
}

fn report(name: &str, args: &[&str]) -> (i32, String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let mut a = vec!["--report", path.to_str().unwrap()];
    a.extend_from_slice(args);
    let (out, _d) = fixture(name, "run", &a).output();
    (
        out.status.code().unwrap(),
        stderr(&out),
        json(path.to_str().unwrap()),
    )
}

#[test]
fn in_process_pairs_are_found_in_shared_mode_and_hidden_in_process_mode() {
    // Seed 17 puts each polluter before its victim in libtest's order (see `list`).
    let args = ["--seed", "17", "--shards", "1", "--", "inproc::"];
    let mut shared = vec!["--isolation", "shared"];
    shared.extend(args);
    let (code, err, r) = report("od", &shared);
    assert_eq!(code, 102, "{err}");
    let findings: BTreeMap<String, serde_json::Value> = findings_by_test(&r);
    assert_eq!(findings.len(), 3, "{findings:?}");
    for kind in ["env", "static", "cwd"] {
        let f = &findings[&format!("od-core::lib inproc::{kind}_victim")];
        assert_eq!(f["kind"], "od-victim", "{f}");
        assert_eq!(
            f["polluters"][0],
            format!("od-core::lib inproc::{kind}_polluter")
        );
        assert_eq!(f["polluters"].as_array().unwrap().len(), 1);
        assert_eq!(f["isolation"], "shared");
        assert_eq!(f["in_process_state"], true, "{f}");
        // Its repro command reproduces in shared mode.
        let words = shell_words::split(f["repro"].as_str().unwrap()).unwrap();
        assert!(
            words.contains(&"--isolation".to_string()) && words.contains(&"shared".to_string())
        );
        let mut a: Vec<&str> = vec!["run"];
        a.extend(words[3..].iter().map(String::as_str));
        a.push("--no-triage");
        let (out, _d) = Shuffle::new(&a).output();
        assert_code(&out, 100);
    }
    let (code, err, _) = report("od", &args);
    assert_eq!(code, 0, "process isolation hides in-process state: {err}");
}

#[test]
fn shared_mode_finds_a_brittle_test_whose_state_setter_fills_a_process_global_registry() {
    // Seed 1: libtest runs reads_registry before fills_registry (see `list`), so it fails; in
    // one process after its binary's earlier tests it passes, with one process per test not.
    let sel = ["--isolation", "shared", "--seed", "1", "--test", "registry"];
    let (out, _d) = fixture("od", "list", &sel).output();
    let listed = stdout(&out);
    let at = |t: &str| listed.find(t).unwrap_or_else(|| panic!("{t}: {listed}"));
    assert!(at("reads_registry") < at("fills_registry"), "{listed}");
    let (code, err, r) = report("od", &sel);
    assert_eq!(code, 102, "{err}");
    let findings = findings_by_test(&r);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings["od-core::test/registry reads_registry"];
    assert_eq!(f["kind"], "brittle", "{f}");
    assert_eq!(
        f["state_setters"],
        serde_json::json!(["od-core::test/registry fills_registry"])
    );
    assert_eq!(f["isolation"], "shared");
    assert_eq!(f["in_process_state"], true, "{f}");
}

#[test]
fn shared_mode_records_the_order_libtest_really_ran_and_list_predicts_it() {
    let (out, _d) = fixture(
        "od",
        "list",
        &[
            "--seed",
            "5",
            "--shards",
            "2",
            "--isolation",
            "shared",
            "--message-format",
            "json",
            "--",
            "h::",
        ],
    )
    .output();
    assert_code(&out, 0);
    let listed = json(&stdout(&out));
    let (code, err, r) = report(
        "od",
        &[
            "--seed",
            "5",
            "--shards",
            "2",
            "--isolation",
            "shared",
            "--",
            "h::",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("different order than predicted"), "{err}");
    for (i, predicted) in listed_plan(&listed).into_iter().enumerate() {
        let observed: Vec<String> = serde_json::from_value(r["plan"][i]["tests"].clone()).unwrap();
        assert_eq!(predicted, observed, "shard {}", i + 1);
    }
}

#[test]
fn crashes_and_timeouts_resume_without_losing_a_test() {
    let (code, err, r) = report(
        "hostile",
        &[
            "--seed",
            "2",
            "--isolation",
            "shared",
            "--timeout",
            "3",
            "--no-triage",
        ],
    );
    assert_eq!(code, 100, "{err}");
    let expected = json(
        repo()
            .join("fixtures/hostile/expected.json")
            .to_str()
            .unwrap(),
    );
    let mut seen = BTreeMap::new();
    for t in r["tests"].as_array().unwrap() {
        assert!(
            seen.insert(t["id"].as_str().unwrap().to_string(), t.clone())
                .is_none(),
            "reported twice: {t}"
        );
    }
    assert_eq!(
        seen.len(),
        expected.as_object().unwrap().len(),
        "every test reported once"
    );
    for (id, want) in expected.as_object().unwrap() {
        let want = want.as_str().unwrap().trim_start_matches("leaky-");
        assert_eq!(seen[id]["outcome"], want, "{id}: {}", seen[id]);
    }
}

/// `test NAME ... ok|FAILED` lines of `cargo test` output, per test name.
fn cargo_test_results(
    manifest: &std::path::Path,
    target: &std::path::Path,
    skip: &[&str],
) -> BTreeMap<String, String> {
    let mut cmd = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    cmd.args(["test", "--no-fail-fast", "--tests", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target)
        .args(["--", "--test-threads=1"]);
    for s in skip {
        cmd.args(["--skip", s]);
    }
    let out = cmd
        .env("TMPDIR", tempfile::tempdir().unwrap().keep())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.rsplit_once(" ... "))
        .filter(|(_, r)| !r.starts_with("ignored"))
        .map(|(n, r)| {
            let n = n.trim_end_matches(" - should panic");
            (
                n.to_string(),
                if r.starts_with("ok") {
                    "passed"
                } else {
                    "failed"
                }
                .to_string(),
            )
        })
        .collect()
}

#[test]
fn shared_mode_agrees_with_cargo_test_single_threaded() {
    // The demo fixture without its crashers (which end `cargo test`'s process early) and its
    // temp-dir pairs (whose outcomes depend on the order).
    let od = demo_od_test_names();
    let mut skip = vec!["aborts", "killed_by_signal"];
    skip.extend(od.iter().map(String::as_str));
    let want = cargo_test_results(
        &repo().join("fixtures/demo/Cargo.toml"),
        &repo().join("target/fixture-demo"),
        &skip,
    );
    let mut args = vec!["--seed", "4", "--isolation", "shared", "--no-triage"];
    for s in &skip {
        args.extend(["--skip", s]);
    }
    let (_, err, r) = report("demo", &args);
    let got: BTreeMap<String, String> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"] != "ignored")
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Names repeat across binaries (`tests::it_works`), so compare the multiset of outcomes per
    // name through the set of (name, outcome) pairs.
    let set = |m: &BTreeMap<String, String>| {
        m.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(set(&got), set(&want), "{err}");
}

#[test]
fn shared_mode_triage_replays_the_failing_order_and_labels_only_in_process_state() {
    // Seed 4: in libtest's order d::polluter runs before d::victim with no d::cleaner between,
    // and e::uses_state runs without e::setup_state before it. Both are file-based (temp dir),
    // so neither is in-process state; the replay of the shard must confirm the victim (a
    // reshuffled rerun could put the cleaner between and call it flaky).
    let (code, err, r) = report(
        "od",
        &[
            "--isolation",
            "shared",
            "--seed",
            "4",
            "--shards",
            "1",
            "--",
            "d::",
            "e::",
            "h::pass",
        ],
    );
    assert_eq!(code, 102, "{err}");
    let f: BTreeMap<String, serde_json::Value> = findings_by_test(&r);
    let v = &f["od-core::lib d::victim"];
    assert_eq!(v["kind"], "od-victim", "{v}");
    assert_eq!(v["polluters"][0], "od-core::lib d::polluter");
    assert_eq!(v["in_process_state"], false);
    assert!(
        v["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["purpose"] == "replay")
    );
    let b = &f["od-core::lib e::uses_state"];
    assert_eq!(b["kind"], "brittle", "{b}");
    assert_eq!(
        b["in_process_state"], false,
        "a temp-file dependency is not in-process state"
    );
}

#[test]
fn a_harness_that_refuses_the_shuffle_flags_runs_one_test_per_process() {
    // Like libtest-mimic: one filter only, no JSON. Its tests still run, each exactly once,
    // with the right outcome.
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(
        dir.path(),
        "mimic",
        "good_1: test\\ngood_2: test\\nbad: test\\n",
        r#"if [ $# -ne 3 ] || [ "$3" != --nocapture ]; then echo "error: unexpected argument" >&2; exit 2; fi
echo 'running 1 test'
if [ "$NAME" = bad ]; then echo 'bad failed'; exit 101; fi
echo "test $NAME ... ok"
echo 'test result: ok. 1 passed; 0 failed'"#,
    );
    let report = dir.path().join("r.json");
    let (out, _d) = Shuffle::new(&[
        "run",
        "--isolation",
        "shared",
        "--seed",
        "1",
        "--shards",
        "1",
        "--no-triage",
        "--binary",
        bin.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ])
    .output();
    assert_code(&out, 100);
    assert!(stderr(&out).contains("one per process"), "{}", stderr(&out));
    let r = json(report.to_str().unwrap());
    let got: BTreeMap<String, String> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().into(),
                t["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: BTreeMap<String, String> = [
        ("bad", "failed"),
        ("good_1", "passed"),
        ("good_2", "passed"),
    ]
    .into_iter()
    .map(|(a, b)| (a.into(), b.into()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(r["tests"].as_array().unwrap().len(), 3);
}

#[test]
fn shared_mode_streams_test_started_events_too() {
    let (out, _d) = fixture(
        "od",
        "run",
        &[
            "--isolation",
            "shared",
            "--seed",
            "2",
            "--message-format",
            "json",
            "--",
            "h::",
        ],
    )
    .output();
    assert_code(&out, 0);
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |t: &str| events.iter().filter(|e| e["type"] == t).count();
    assert_eq!(count("test-started"), 10);
    assert_eq!(count("test-finished"), 10);
}

#[test]
fn a_process_running_all_of_a_binarys_tests_needs_no_filters_and_keeps_the_predicted_order() {
    // One shard: each integration-test binary's process runs all its tests (no name filters).
    let sel = [
        "--isolation",
        "shared",
        "--seed",
        "3",
        "--shards",
        "1",
        "--test",
        "pairs",
        "--test",
        "more",
    ];
    let mut list_args = vec!["--message-format", "json"];
    list_args.extend(sel);
    let (out, _d) = fixture("od", "list", &list_args).output();
    assert_code(&out, 0);
    let listed = json(&stdout(&out));
    let predicted = listed_plan(&listed).remove(0);
    let mut run_args = vec!["--no-triage"];
    run_args.extend(sel);
    let (code, err, r) = report("od", &run_args);
    assert!(code == 0 || code == 100, "{err}");
    assert!(!err.contains("different order than predicted"), "{err}");
    let observed: Vec<String> = serde_json::from_value(r["plan"][0]["tests"].clone()).unwrap();
    assert_eq!(predicted, observed);
    assert_eq!(observed.len(), 5);
}

#[test]
fn an_interrupted_shared_run_keeps_the_tests_that_never_ran_in_its_reports() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let junit = dir.path().join("j.xml");
    let [hang, quick2, quick1] = [
        "hostile::lib tests::hangs_forever",
        "hostile::lib tests::passes_quickly_2",
        "hostile::lib tests::passes_quickly_1",
    ];
    // --order puts passes_quickly_1 last, after the test that hangs: it never runs.
    let mut s = fixture(
        "hostile",
        "run",
        &[
            "--isolation",
            "shared",
            "--seed",
            "3",
            "--timeout",
            "120",
            "--message-format",
            "json",
            "--report",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--order",
            hang,
            quick2,
            quick1,
        ],
    );
    let mut child = s
        .cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let line = line.unwrap();
        if line.contains("test-started") && line.contains("hangs_forever") {
            // SAFETY: kill(2) has no memory-safety preconditions.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        }
    }
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let r = json(report.to_str().unwrap());
    assert_eq!(r["interrupted"], true);
    assert!(r["not_run"].as_u64().unwrap() >= 1, "{r}");
    let planned: Vec<&str> = r["plan"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["tests"].as_array().unwrap())
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        planned.len(),
        3,
        "every planned test stays in the plan: {planned:?}"
    );
    assert_eq!(planned.last(), Some(&quick1), "{planned:?}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let skipped_quick1 = doc.descendants().any(|n| {
        n.has_tag_name("testcase")
            && n.attribute("name") == Some("tests::passes_quickly_1")
            && n.children().any(|c| c.has_tag_name("skipped"))
    });
    assert!(
        skipped_quick1,
        "the test that never ran is skipped in JUnit: {xml}"
    );
}

#[test]
fn a_shared_run_of_one_shard_keeps_the_whole_plan() {
    let (_, _, full) = report(
        "demo",
        &["--seed", "6", "--isolation", "shared", "--no-triage"],
    );
    let (_, err, one) = report(
        "demo",
        &[
            "--seed",
            "6",
            "--isolation",
            "shared",
            "--no-triage",
            "--shard",
            "2",
        ],
    );
    let sizes = |r: &serde_json::Value| -> Vec<usize> {
        r["plan"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["tests"].as_array().unwrap().len())
            .collect()
    };
    assert_eq!(sizes(&one), sizes(&full), "{err}");
}

#[test]
fn shared_mode_finds_the_cleaner_between_polluter_and_victim() {
    // Seed 10: libtest runs d::cleaner, d::polluter, d::victim, so the victim fails. The cleaner
    // trial must run polluter, cleaner, victim in that order in one process; libtest's own
    // shuffle of those three put the cleaner first before the seed search kept the order.
    let (code, err, r) = report(
        "od",
        &[
            "--isolation",
            "shared",
            "--shards",
            "1",
            "--seed",
            "10",
            "--find-cleaners",
            "--",
            "d::",
        ],
    );
    assert_eq!(code, 102, "{err}");
    let f = &findings_by_test(&r)["od-core::lib d::victim"];
    assert_eq!(f["kind"], "od-victim", "{f}");
    assert_eq!(
        f["polluters"],
        serde_json::json!(["od-core::lib d::polluter"]),
        "{f}"
    );
    assert_eq!(
        f["cleaners"],
        serde_json::json!(["od-core::lib d::cleaner"]),
        "{f}"
    );
}

#[test]
fn shared_isolation_by_default_runs_each_binary_in_one_process_per_run() {
    // No --shards: one shard per test binary, so every in-process pair of a binary shares a
    // process (with --shards 8 a pair shared one in about 1 of 8 runs). Seed 17 puts each
    // polluter before its victim in libtest's order, as with --shards 1.
    let (code, err, r) = report(
        "od",
        &["--isolation", "shared", "--seed", "17", "--", "inproc::"],
    );
    assert_eq!(code, 102, "{err}");
    assert_eq!(findings_by_test(&r).len(), 3, "{err}");
    // Over the whole fixture: as many shards as binaries, each holding one binary's tests.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let (out, _d) = fixture(
        "od",
        "list",
        &[
            "--isolation",
            "shared",
            "--seed",
            "3",
            "--message-format",
            "json",
        ],
    )
    .output();
    std::fs::write(&path, &out.stdout).unwrap();
    let plan = listed_plan(&json(path.to_str().unwrap()));
    let bins = |shard: &Vec<String>| -> std::collections::BTreeSet<String> {
        shard
            .iter()
            .map(|id| id.split(' ').next().unwrap().to_string())
            .collect()
    };
    let all: std::collections::BTreeSet<String> = plan.iter().flat_map(bins).collect();
    assert!(all.len() >= 2, "{plan:?}");
    assert_eq!(plan.len(), all.len(), "one shard per binary: {plan:?}");
    assert!(plan.iter().all(|s| bins(s).len() == 1), "{plan:?}");
    // Its repro commands never name --shards (that would split binaries again).
    assert!(
        !r["repro"].as_str().unwrap().contains("--shards"),
        "{}",
        r["repro"]
    );
}

#[test]
fn the_predicted_order_is_what_libtest_runs_also_in_a_binary_with_ignored_tests() {
    // fixtures/demo's lib has #[ignore]d tests. Run without filters, libtest's shuffled list
    // would hold them too and its order would differ from the prediction from the first test;
    // every process therefore names its tests with --exact.
    for seed in ["1", "2", "3"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let (out, _d) = Shuffle::fixture(
            "run",
            &[
                "--isolation",
                "shared",
                "--seed",
                seed,
                "--no-triage",
                "--report",
                path.to_str().unwrap(),
            ],
        )
        .output();
        let err = stderr(&out);
        assert!(
            !err.contains("different order than predicted"),
            "seed {seed}: {err}"
        );
        let (lout, _d) = Shuffle::fixture(
            "list",
            &[
                "--isolation",
                "shared",
                "--seed",
                seed,
                "--message-format",
                "json",
            ],
        )
        .output();
        let lpath = dir.path().join("l.json");
        std::fs::write(&lpath, &lout.stdout).unwrap();
        let listed = listed_plan(&json(lpath.to_str().unwrap()));
        let record = json(path.to_str().unwrap());
        // A crash ends its process: the tests after it resume in a new process whose order no
        // prediction made before the run can know, so orders are compared up to the crash.
        let crashed: std::collections::BTreeSet<String> = record["tests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["outcome"] == "crashed" || t["outcome"] == "timed-out")
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
        let upto_crash = |shard: &Vec<String>| -> Vec<String> {
            match shard.iter().position(|id| crashed.contains(id)) {
                Some(i) => shard[..=i].to_vec(),
                None => shard.clone(),
            }
        };
        let recorded: Vec<Vec<String>> = recorded_plan(&record).iter().map(upto_crash).collect();
        let listed: Vec<Vec<String>> = listed.iter().map(upto_crash).collect();
        assert_eq!(
            recorded, listed,
            "seed {seed}: the run's order is not what list predicted"
        );
    }
}

#[test]
fn shared_hunts_reverse_the_binaries_and_choose_libtest_seeds_for_in_binary_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.json");
    let (out, _d) = fixture(
        "od",
        "hunt",
        &[
            "--isolation",
            "shared",
            "--seed",
            "5",
            "--runs",
            "2",
            "--no-triage",
            "--report",
            path.to_str().unwrap(),
        ],
    )
    .output();
    let err = stderr(&out);
    // Each run's plan is libtest's predicted order, so no run warns that it differed.
    assert!(!err.contains("different order than predicted"), "{err}");
    let h = json(path.to_str().unwrap());
    let runs = h["runs"].as_array().unwrap();
    let binaries = |run: &serde_json::Value| -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for id in run["plan"][0]["tests"].as_array().unwrap() {
            let bin = id.as_str().unwrap().split(' ').next().unwrap().to_string();
            if seen.last() != Some(&bin) {
                seen.push(bin);
            }
        }
        seen
    };
    let (b1, mut b2) = (binaries(&runs[0]), binaries(&runs[1]));
    // One process per binary per run, the binaries in reverse order in run 2.
    let distinct: std::collections::BTreeSet<&String> = b1.iter().collect();
    assert_eq!(
        distinct.len(),
        b1.len(),
        "a binary ran in two pieces: {b1:?}"
    );
    b2.reverse();
    assert_eq!(b1, b2);
    // Run 2's libtest seeds were chosen for in-binary pairs run 1 did not cover.
    let c = &h["coverage"];
    let inb = &c["in_binary"];
    let (pairs, covered) = (
        inb["pairs"].as_u64().unwrap(),
        inb["covered"].as_u64().unwrap(),
    );
    assert!(pairs > 0 && covered > pairs / 2, "{inb}");
    assert!(err.contains("in-binary pair coverage"), "{err}");
    // A later run's repro is the hunt up to it (its libtest seeds are the hunt's choice).
    assert!(
        runs[1]["repro"].as_str().unwrap().contains("hunt")
            && runs[1]["repro"].as_str().unwrap().contains("--runs 2"),
        "{}",
        runs[1]["repro"]
    );
}
