//! Test binaries given by path (`--binary`), including harnesses that misbehave: one that runs
//! zero tests for `--exact` and exits 0 (an error, never a pass), one that hangs (timeout), and
//! ones whose output does not report the test that was asked for (an error naming what they
//! reported instead; see docs/execution.md, "What counts as a pass").

use crate::common::*;

fn report_of(args: &[&str]) -> (i32, String, serde_json::Value) {
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("run.json");
    let mut a = vec!["run", "--seed", "1", "--report", report.to_str().unwrap()];
    a.extend_from_slice(args);
    let (out, _d) = Shuffle::new(&a).output();
    (
        out.status.code().unwrap(),
        stderr(&out),
        json(report.to_str().unwrap()),
    )
}

#[test]
fn a_harness_that_runs_zero_tests_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let zero = fake_binary(
        dir.path(),
        "zero",
        "a: test\\nb: test\\n",
        "echo; echo 'running 0 tests'; exit 0",
    );
    let silent = fake_binary(dir.path(), "silent", "c: test\\n", "exit 0");
    let (code, err, r) = report_of(&[
        "--binary",
        zero.to_str().unwrap(),
        "--binary",
        silent.to_str().unwrap(),
    ]);
    assert_eq!(code, 100, "{err}");
    let tests = r["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    for t in tests {
        assert_eq!(t["outcome"], "error", "{t}");
    }
}

#[test]
fn a_hanging_test_times_out_with_its_output_kept() {
    let dir = tempfile::tempdir().unwrap();
    let hang = fake_binary(
        dir.path(),
        "hang",
        "hangs: test\\nquick: test\\n",
        "echo 'running 1 test'; if [ \"$NAME\" = hangs ]; then echo 'before the hang'; sleep 30; fi; echo \"test $NAME ... ok\"; echo 'test result: ok. 1 passed; 0 failed'; exit 0",
    );
    let start = std::time::Instant::now();
    let (code, err, r) = report_of(&["--binary", hang.to_str().unwrap(), "--timeout", "0.5"]);
    assert!(
        start.elapsed().as_secs() < 20,
        "timeout did not kill the test"
    );
    assert_eq!(code, 100, "{err}");
    let by_name = |n: &str| test_named(&r, n);
    assert_eq!(by_name("hangs")["outcome"], "timed-out");
    assert_eq!(by_name("quick")["outcome"], "passed");
    assert!(err.contains("before the hang"), "output kept: {err}");
}

#[test]
fn fixture_binary_runs_by_path_without_cargo() {
    // Build the fixture through cargo-shuffle once, then run its `parse` binary by path.
    let (out, _d) = Shuffle::fixture("list", &["--test", "parse"]).output();
    assert_code(&out, 0);
    let deps = fixture_target().join("debug/deps");
    let bin = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("parse-") && !n.contains('.')
        })
        .expect("parse test binary built");
    let (code, err, r) = report_of(&["--binary", bin.to_str().unwrap()]);
    assert_eq!(code, 100, "{err}");
    let tests = r["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    assert!(tests.iter().all(|t| t["binary_id"] == "parse"));
    let (code, _, r) = report_of(&[
        "--binary",
        &format!("mine={}", bin.display()),
        "--",
        "parse_number",
    ]);
    assert_eq!(code, 0);
    assert_eq!(r["tests"][0]["id"], "mine parse_number");
}

#[test]
fn ctrl_c_stops_the_run_and_still_writes_reports_with_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(
        dir.path(),
        "slow",
        "a_fast: test\\nb_slow: test\\nc_slow: test\\nd_slow: test\\n",
        "echo 'running 1 test'; case \"$NAME\" in *slow) sleep 30;; esac; exit 0",
    );
    let junit = dir.path().join("j.xml");
    let report = dir.path().join("r.json");
    let mut s = Shuffle::new(&[
        "run",
        "--seed",
        "4242",
        "--shards",
        "1",
        "--binary",
        bin.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let child = s.cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let start = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(start.elapsed().as_secs() < 10, "interrupt took too long");
    assert_code(&out, 130);
    let err = stderr(&out);
    assert!(
        err.contains("seed: 4242 (from --seed)") && err.contains("not run (interrupted)"),
        "{err}"
    );
    let r = json(report.to_str().unwrap());
    assert_eq!(r["interrupted"], true);
    assert!(r["not_run"].as_u64().unwrap() >= 1);
    // The test that was running is reported as interrupted, with its output: it tells which
    // test a cancelled job hung in.
    let running: Vec<&serde_json::Value> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"] == "interrupted")
        .collect();
    assert_eq!(running.len(), 1, "{r}");
    assert!(running[0]["name"].as_str().unwrap().ends_with("_slow"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    roxmltree::Document::parse(&xml).unwrap();
    assert!(xml.contains("name=\"interrupted\" value=\"true\""));
}

#[test]
fn a_runner_killed_with_sigkill_leaves_no_test_process_behind() {
    let dir = tempfile::tempdir().unwrap();
    // A marker unique to this test, so we can look for leftovers with pgrep.
    let marker = format!("31.{}", std::process::id());
    let bin = fake_binary(
        dir.path(),
        "sleepy",
        "a: test\\nb: test\\n",
        &format!("echo 'running 1 test'; sleep {marker} & sleep {marker}; exit 0"),
    );
    let mut s = Shuffle::new(&["run", "--seed", "1", "--binary", bin.to_str().unwrap()]);
    let mut child = s.cmd.stderr(std::process::Stdio::null()).spawn().unwrap();
    let alive = || {
        std::process::Command::new("pgrep")
            .args(["-f", &format!("sleep {marker}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let t = std::time::Instant::now();
    while !alive() && t.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(alive(), "the test processes should be running");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let t = std::time::Instant::now();
    while alive() && t.elapsed().as_secs() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !alive(),
        "test processes (and their background children) outlived the runner"
    );
}

#[test]
fn exit_zero_without_libtests_result_line_is_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(
        dir.path(),
        "early",
        "quits_early: test\\nfinishes: test\\n",
        "echo; echo 'running 1 test'; [ \"$NAME\" = finishes ] && echo 'test finishes ... ok' && echo 'test result: ok. 1 passed; 0 failed; 0 ignored'; exit 0",
    );
    let (code, err, r) = report_of(&["--binary", bin.to_str().unwrap(), "--no-triage"]);
    assert_eq!(code, 100, "{err}");
    for t in r["tests"].as_array().unwrap() {
        let want = if t["name"] == "finishes" {
            "passed"
        } else {
            "error"
        };
        assert_eq!(t["outcome"], want, "{t}");
    }
}

#[test]
fn retries_mark_flaky_tests_and_junit_records_every_attempt() {
    let dir = tempfile::tempdir().unwrap();
    // `flaky` fails on its first two attempts (a counter in the sequence's TMPDIR), then
    // passes; `broken` always fails.
    let bin = fake_binary(
        dir.path(),
        "retry",
        "broken: test\\nflaky: test\\nfine: test\\n",
        r#"echo 'running 1 test'
case "$NAME" in
  flaky) n=$(cat "$TMPDIR/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$TMPDIR/count"
         if [ $n -lt 3 ]; then echo "attempt $n fails"; exit 101; fi ;;
  broken) echo 'broken fails'; exit 101 ;;
esac
echo "test $NAME ... ok"
echo 'test result: ok. 1 passed; 0 failed'"#,
    );
    let junit = dir.path().join("j.xml");
    let (code, err, r) = report_of(&[
        "--binary",
        bin.to_str().unwrap(),
        "--retries",
        "3",
        "--shards",
        "1",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 100, "{err}");
    let by = |n: &str| test_named(&r, n);
    assert_eq!(by("flaky")["outcome"], "passed");
    assert_eq!(by("flaky")["flaky"], true);
    assert_eq!(by("flaky")["failed_attempts"].as_array().unwrap().len(), 2);
    assert_eq!(by("broken")["outcome"], "failed");
    assert_eq!(by("broken")["failed_attempts"].as_array().unwrap().len(), 3);
    assert_eq!(by("fine")["flaky"], false);
    let kinds: Vec<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["test"].as_str().unwrap().into(),
                f["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("retry flaky".into(), "nod-flaky".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("retry broken".into(), "failure".into())),
        "{kinds:?}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = |n: &str| {
        doc.descendants()
            .find(|x| x.has_tag_name("testcase") && x.attribute("name") == Some(n))
            .unwrap()
    };
    let count = |n: &str, tag: &str| case(n).children().filter(|c| c.has_tag_name(tag)).count();
    assert_eq!(
        doc.descendants()
            .filter(|x| x.has_tag_name("testcase"))
            .count(),
        3,
        "one testcase per test"
    );
    assert_eq!(
        (count("flaky", "failure"), count("flaky", "flakyFailure")),
        (0, 2)
    );
    assert_eq!(
        (count("broken", "failure"), count("broken", "rerunFailure")),
        (1, 3)
    );
    // With only the flaky test, the gate says 105 by default and passes with --allow-flaky.
    let (code, _, _) = report_of(&[
        "--binary",
        bin.to_str().unwrap(),
        "--retries",
        "3",
        "--",
        "flaky",
    ]);
    assert_eq!(code, 105);
    let (code, _, _) = report_of(&[
        "--binary",
        bin.to_str().unwrap(),
        "--retries",
        "3",
        "--allow-flaky",
        "--",
        "flaky",
    ]);
    assert_eq!(code, 0);
}

/// Starts a run of tests that sleep, sends `signals` (with a pause before each) and returns
/// the exit code, stderr and how long the run took after the first signal.
fn interrupt_with(signals: &[i32], stubborn: bool) -> (i32, String, std::time::Duration) {
    let dir = tempfile::tempdir().unwrap();
    // A stubborn test ignores TERM (its shell traps it), so only the grace period's KILL or a
    // second signal ends the run early.
    let body = if stubborn {
        "echo 'running 1 test'; trap '' TERM; sleep 20; exit 0"
    } else {
        "echo 'running 1 test'; sleep 20; exit 0"
    };
    let bin = fake_binary(dir.path(), "slow", "a: test\\nb: test\\n", body);
    let mut s = Shuffle::new(&[
        "run",
        "--seed",
        "1",
        "--shards",
        "1",
        "--binary",
        bin.to_str().unwrap(),
    ]);
    let child = s.cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    let start = std::time::Instant::now();
    for sig in signals {
        // SAFETY: kill(2) has no memory-safety preconditions.
        unsafe { libc::kill(child.id() as i32, *sig) };
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        stderr(&out),
        start.elapsed(),
    )
}

#[test]
fn sigterm_and_sighup_stop_the_run_like_ctrl_c() {
    for sig in [libc::SIGTERM, libc::SIGHUP] {
        let (code, err, took) = interrupt_with(&[sig], false);
        assert_eq!(code, 130, "signal {sig}: {err}");
        assert!(err.contains("seed: 1"), "{err}");
        assert!(took.as_secs() < 10);
    }
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    // After the first Ctrl-C the runner waits up to the grace period (2 s) for the stubborn
    // test; a second Ctrl-C exits right away.
    let (code, _, took) = interrupt_with(&[libc::SIGINT, libc::SIGINT], true);
    assert_eq!(code, 130);
    assert!(took.as_millis() < 1500, "took {took:?}");
}

#[test]
fn a_pass_on_a_retry_fails_the_gate_in_run_hunt_and_merge_unless_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    // `flaky` fails on its first attempt in each sequence (a counter in its TMPDIR).
    let bin = fake_binary(
        dir.path(),
        "retry",
        "flaky: test\\nfine: test\\n",
        r#"echo 'running 1 test'
case "$NAME" in
  flaky) n=$(cat "$TMPDIR/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$TMPDIR/count"
         if [ $n -lt 2 ]; then echo "attempt $n fails"; exit 101; fi ;;
esac
echo "test $NAME ... ok"
echo 'test result: ok. 1 passed; 0 failed'"#,
    );
    let b = bin.to_str().unwrap();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let run = |extra: &[&str]| {
        let mut a = vec!["run", "--binary", b, "--seed", "5", "--retries", "2"];
        a.extend_from_slice(extra);
        let (out, _d) = Shuffle::new(&a).output();
        (out.status.code().unwrap(), stderr(&out))
    };
    let r1 = p("r1.json");
    assert_eq!(run(&["--report", &r1]).0, 105);
    // Quarantined by the baseline: the gate passes.
    let base = p("base.json");
    let (out, _d) =
        Shuffle::new(&["baseline", "--update", "--from", &r1, "--baseline", &base]).output();
    assert_code(&out, 0);
    let (code, err) = run(&["--baseline", &base]);
    assert_eq!(code, 0, "{err}");
    // hunt counts it like run.
    let (out, _d) =
        Shuffle::new(&["hunt", "--binary", b, "--runs", "2", "--retries", "2"]).output();
    assert_code(&out, 105);
    // So does merge, over the partitions' records.
    let (p1, p2) = (p("p1.json"), p("p2.json"));
    let c1 = run(&["--partition", "slice:1/2", "--report", &p1]).0;
    let c2 = run(&["--partition", "slice:2/2", "--report", &p2]).0;
    assert!(
        c1 == 105 || c2 == 105,
        "one part holds the flaky test: {c1} {c2}"
    );
    let (out, _d) = Shuffle::new(&["merge", &p1, &p2]).output();
    assert_code(&out, 105);
}

#[test]
fn a_test_that_never_ran_to_a_result_is_a_failure_not_flaky() {
    // `silent` exits 0 without libtest's lines (an error: no verdict on the test). Triage must
    // not rerun it into a "flaky" label that --allow-flaky would let through.
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(
        dir.path(),
        "odd",
        "silent: test\\nfine: test\\n",
        r#"case "$NAME" in silent) exit 0;; esac
echo 'running 1 test'; echo "test $NAME ... ok"; echo 'test result: ok. 1 passed; 0 failed'"#,
    );
    let (code, err, r) = report_of(&["--binary", bin.to_str().unwrap(), "--allow-flaky"]);
    assert_eq!(code, 100, "{err}");
    let f = &findings_by_test(&r)["odd silent"];
    assert_eq!(f["kind"], "failure", "{f}");
    assert!(
        f["note"].as_str().unwrap().starts_with("not triaged"),
        "{f}"
    );
    assert_eq!(f["reruns"], 0, "{f}");
    // Its summary line does not claim it fails alone: it was never rerun.
    assert!(
        err.contains("odd silent — failure (not triaged: it did not run to a result)"),
        "{err}"
    );
    assert!(!err.contains("fails alone too"), "{err}");
}

/// A libtest block as `<bin> --exact NAME` prints it: header, `test NAME ... VERDICT`, summary.
fn block(name: &str, verdict: &str) -> String {
    let summary = if verdict == "ok" {
        "ok. 1 passed; 0 failed"
    } else {
        "FAILED. 0 passed; 1 failed"
    };
    format!(
        "printf '\\nrunning 1 test\\ntest {name} ... {verdict}\\n\\ntest result: {summary}; 0 ignored\\n\\n'"
    )
}

/// Outcome and message of each test of a run of `--binary` fakes.
fn outcomes(bins: &[&std::path::Path]) -> (i32, Vec<(String, String, String)>) {
    let mut args: Vec<&str> = vec!["--no-triage", "--shards", "2"];
    for b in bins {
        args.extend(["--binary", b.to_str().unwrap()]);
    }
    let (code, err, r) = report_of(&args);
    let mut got: Vec<(String, String, String)> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["outcome"].as_str().unwrap().to_string(),
                t["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    got.sort();
    assert!(!err.is_empty() || code == 0);
    (code, got)
}

#[test]
fn a_harness_that_reports_another_test_or_several_gets_errors_never_passes() {
    // Issue 14's three shapes. `runs_alpha` runs `alpha` whatever it is asked for; `three_ok`
    // ignores --exact and runs all three tests (three `running 1 test` blocks); `three_fail`
    // too, and its `gamma` fails.
    let dir = tempfile::tempdir().unwrap();
    let list = "alpha: test\\nbeta: test\\ngamma: test\\n";
    let runs_alpha = fake_binary(dir.path(), "runs_alpha", list, &block("alpha", "ok"));
    let three_ok = fake_binary(
        dir.path(),
        "three_ok",
        list,
        &format!(
            "{}; {}; {}",
            block("alpha", "ok"),
            block("beta", "ok"),
            block("gamma", "ok")
        ),
    );
    let three_fail = fake_binary(
        dir.path(),
        "three_fail",
        list,
        &format!(
            "{}; {}; {}; exit 101",
            block("alpha", "ok"),
            block("beta", "ok"),
            block("gamma", "FAILED")
        ),
    );
    for (bin, all_err) in [(&runs_alpha, false), (&three_ok, true), (&three_fail, true)] {
        let (code, got) = outcomes(&[bin]);
        assert_eq!(code, 100, "{got:?}");
        for (name, outcome, msg) in &got {
            if !all_err && name == "alpha" {
                assert_eq!(outcome, "passed", "{name}: {msg}");
                continue;
            }
            assert_eq!(outcome, "error", "{}: {name} {msg}", bin.display());
            assert!(msg.contains(&format!("asked for `{name}`")), "{msg}");
            if all_err {
                assert!(msg.contains("3 result blocks"), "{msg}");
                assert!(
                    msg.contains("it reported `alpha`, `beta`, `gamma`"),
                    "{msg}"
                );
            } else {
                assert!(
                    msg.contains("the harness reported `alpha` instead"),
                    "{msg}"
                );
            }
        }
    }
}

#[test]
fn only_libtests_shape_for_the_asked_test_is_a_pass() {
    // Each test of `shapes` prints one shape of output; the expected outcome and a piece of
    // its message follow. The first ones are what libtest and libtest-mimic really print.
    let cases: &[(&str, &str, &str, &str)] = &[
        // One test thread (RUST_TEST_THREADS=1): `test NAME ... ` first, the verdict after the
        // test's output.
        (
            "one_thread",
            "printf '\\nrunning 1 test\\ntest one_thread ... abc\\nok\\n\\ntest result: ok. 1 passed; 0 failed\\n\\n'",
            "passed",
            "",
        ),
        // Output without a final newline runs into libtest's line.
        (
            "no_newline",
            "printf '\\nrunning 1 test\\nabctest no_newline ... ok\\n\\ntest result: ok. 1 passed; 0 failed\\n'",
            "passed",
            "",
        ),
        (
            "should_panic",
            "printf 'running 1 test\\ntest should_panic - should panic ... ok\\ntest result: ok. 1 passed; 0 failed\\n'",
            "passed",
            "",
        ),
        // The test's own output holds a child's whole libtest run and a result line for
        // another test: output, not libtest's.
        (
            "prints_a_run",
            "printf 'running 1 test\\ntest other ... ok\\n\\nrunning 2 tests\\ntest in::a ... ok\\ntest in::b ... FAILED\\n\\ntest result: FAILED. 1 passed; 1 failed\\n\\ntest prints_a_run ... ok\\n\\ntest result: ok. 1 passed; 0 failed\\n'",
            "passed",
            "",
        ),
        (
            "real_failure",
            "printf 'running 1 test\\nthread x panicked\\ntest real_failure ... FAILED\\n\\nfailures:\\n    real_failure\\n\\ntest result: FAILED. 0 passed; 1 failed\\n'; exit 101",
            "failed",
            "",
        ),
        // The test ended its process (`process::exit(3)`): libtest never got to a result.
        (
            "ends_its_process",
            "echo 'running 1 test'; exit 3",
            "failed",
            "exit code 3",
        ),
        (
            "reported_twice",
            "printf 'running 1 test\\ntest reported_twice ... ok\\ntest reported_twice ... ok\\ntest result: ok. 1 passed; 0 failed\\n'",
            "error",
            "reported `reported_twice` 2 times",
        ),
        (
            "no_result_line",
            "printf 'running 1 test\\n\\ntest result: ok. 1 passed; 0 failed\\n'",
            "error",
            "no `test no_result_line ... ok` line",
        ),
        (
            "pass_but_exit_1",
            "printf 'running 1 test\\ntest pass_but_exit_1 ... ok\\ntest result: ok. 1 passed; 0 failed\\n'; exit 1",
            "error",
            "exit code 1, but libtest's output does not report `pass_but_exit_1` failed",
        ),
        (
            "ignored_exit_0",
            "printf 'running 1 test\\ntest ignored_exit_0 ... ignored\\ntest result: ok. 0 passed; 0 failed; 1 ignored\\n'",
            "error",
            "did not report a pass of `ignored_exit_0`",
        ),
        (
            "fails_as_other",
            "printf 'running 1 test\\ntest alpha ... FAILED\\ntest result: FAILED. 0 passed; 1 failed\\n'; exit 101",
            "error",
            "asked for `fails_as_other`, the harness reported `alpha` instead",
        ),
        (
            "summary_first",
            "printf 'test result: ok. 1 passed; 0 failed\\nrunning 1 test\\ntest summary_first ... ok\\ntest result: ok. 1 passed; 0 failed\\n'",
            "error",
            "`test result:` line before any `running 1 test`",
        ),
        (
            "two_tests",
            "printf 'running 2 tests\\ntest two_tests ... ok\\ntest beta ... ok\\ntest result: ok. 2 passed; 0 failed\\n'",
            "error",
            "ran 2 tests instead of 1",
        ),
        (
            "two_tests_fail",
            "printf 'running 2 tests\\ntest two_tests_fail ... ok\\ntest beta ... FAILED\\ntest result: FAILED. 1 passed; 1 failed\\n'; exit 101",
            "error",
            "ran 2 tests instead of 1",
        ),
        (
            "rejects_the_args",
            "echo 'error: Unrecognized option: exact' >&2; exit 2",
            "error",
            "no `running 1 test` line",
        ),
        (
            "zero_then_exit_1",
            "printf 'running 0 tests\\n\\ntest result: ok. 0 passed; 0 failed\\n'; exit 1",
            "error",
            "ran 0 tests instead of 1",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let list: String = cases.iter().map(|c| format!("{}: test\\n", c.0)).collect();
    let body: String = cases
        .iter()
        .map(|(name, run, _, _)| format!("  {name}) {run};;\n"))
        .collect();
    let shapes = fake_binary(
        dir.path(),
        "shapes",
        &list,
        &format!("case \"$NAME\" in\n{body}esac\nexit 0"),
    );
    let (code, got) = outcomes(&[&shapes]);
    assert_eq!(code, 100);
    assert_eq!(got.len(), cases.len());
    for (name, outcome, msg) in &got {
        let (_, _, want, part) = cases.iter().find(|c| c.0 == name).unwrap();
        assert_eq!(outcome, want, "{name}: {msg}");
        assert!(
            msg.contains(part),
            "{name}: {msg:?} should contain {part:?}"
        );
    }
}

#[test]
fn in_shared_isolation_events_for_tests_not_asked_for_are_errors_not_passes() {
    // A harness that speaks libtest's JSON events but reports `alpha` (not asked for) between
    // `a` and `b`, and `never` is never reported though libtest closes its suite.
    let dir = tempfile::tempdir().unwrap();
    let ev = |event: &str, name: &str| {
        format!("echo '{{ \"type\": \"test\", \"event\": \"{event}\", \"name\": \"{name}\" }}'; ")
    };
    let run = |body: &str| {
        format!(
            "case \"$*\" in *--format*) ;; *) echo 'running 1 test'; echo \"test $NAME ... ok\"; echo 'test result: ok. 1 passed; 0 failed'; exit 0;; esac\necho '{{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 2 }}'; {body}echo '{{ \"type\": \"suite\", \"event\": \"ok\" }}'"
        )
    };
    let foreign = fake_binary(
        dir.path(),
        "foreign",
        "a: test\\nb: test\\n",
        &run(&[
            ev("started", "a"),
            ev("ok", "a"),
            ev("started", "alpha"),
            ev("ok", "alpha"),
            ev("started", "b"),
            ev("ok", "b"),
        ]
        .concat()),
    );
    let silent = fake_binary(
        dir.path(),
        "silent",
        "c: test\\nnever: test\\n",
        &run(&[ev("started", "c"), ev("ok", "c")].concat()),
    );
    let (code, err, r) = report_of(&[
        "--isolation",
        "shared",
        "--shards",
        "1",
        "--no-triage",
        "--binary",
        foreign.to_str().unwrap(),
        "--binary",
        silent.to_str().unwrap(),
    ]);
    assert_eq!(code, 100, "{err}");
    let by = |n: &str| test_named(&r, n);
    assert_eq!(by("a")["outcome"], "passed", "{}", by("a"));
    assert_eq!(by("c")["outcome"], "passed", "{}", by("c"));
    let b = by("b");
    assert_eq!(b["outcome"], "error", "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("`alpha`, which is not one of the 2 tests"),
        "{b}"
    );
    let never = by("never");
    assert_eq!(never["outcome"], "error", "{never}");
    assert!(
        never["message"]
            .as_str()
            .unwrap()
            .contains("closed its suite"),
        "{never}"
    );
}
