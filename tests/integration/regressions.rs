//! Regressions found by hostile testing of the config file, `-E`, overrides, test groups and
//! `shuffle = false`: each test holds the value a user expects, on the real binary with fake
//! libtest harnesses (shell scripts), so no fixture is built.

use crate::common::*;
use std::path::Path;

/// A fake harness whose tests sleep 0.3 s: `g_bad` fails, `g_ok1..3` pass; each appends its
/// name to `$HS_LOG` when it starts.
fn group_harness(dir: &Path) -> std::path::PathBuf {
    fake_binary(
        dir,
        "gf",
        "g_bad: test\\ng_ok1: test\\ng_ok2: test\\ng_ok3: test\\n",
        "[ -n \"$HS_LOG\" ] && echo \"$NAME\" >> \"$HS_LOG\"\n\
         sleep 0.3\n\
         case \"$NAME\" in\n\
         *bad*) printf '\\nrunning 1 test\\ntest %s ... FAILED\\n\\ntest result: FAILED. 0 passed; 1 failed; 0 ignored\\n\\n' \"$NAME\"; exit 101;;\n\
         *) printf '\\nrunning 1 test\\ntest %s ... ok\\n\\ntest result: ok. 1 passed; 0 failed; 0 ignored\\n\\n' \"$NAME\"; exit 0;;\n\
         esac",
    )
}

/// All the harness's tests in one group of one slot.
const ONE_SLOT: &str = "[test-groups.g]\nmax-threads = 1\n\
[[profile.default.overrides]]\nfilter = \"test(/^g_/)\"\ntest-group = \"g\"\n";

/// Runs `cargo-shuffle run --binary <group harness> --config-file <config> --report r.json
/// ARGS…`; returns the output and the record (Null when none was written).
fn run_with(config: &str, args: &[&str]) -> (std::process::Output, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let bin = group_harness(dir.path());
    let cfg = dir.path().join("shuffle.toml");
    std::fs::write(&cfg, config).unwrap();
    let report = dir.path().join("r.json");
    let mut a = vec![
        "run",
        "--binary",
        bin.to_str().unwrap(),
        "--config-file",
        cfg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    let (out, _d) = Shuffle::new(&a).output();
    let record = if report.exists() {
        json(report.to_str().unwrap())
    } else {
        serde_json::Value::Null
    };
    (out, record)
}

#[test]
fn no_group_waiter_starts_after_the_fail_fast_failure() {
    // Seeds 2, 4 and 6 showed it at the time (the failure's slot goes to a waiter before the
    // failure is counted); check several so the sketch does not depend on one plan.
    for seed in ["2", "4", "6"] {
        let (_out, r) = run_with(
            ONE_SLOT,
            &[
                "--seed",
                seed,
                "--shards",
                "4",
                "--jobs",
                "4",
                "--fail-fast",
                "--no-triage",
            ],
        );
        let tests = r["tests"].as_array().unwrap();
        let bad = tests.iter().find(|t| t["name"] == "g_bad").unwrap();
        let bad_end = bad["end_ms"].as_u64().unwrap();
        for t in tests {
            if t["name"] != "g_bad" && t["outcome"] != "interrupted" {
                assert!(
                    t["start_ms"].as_u64().unwrap() < bad_end,
                    "seed {seed}: {} started at {} ms, after g_bad failed at {bad_end} ms",
                    t["name"],
                    t["start_ms"]
                );
            }
        }
    }
}

#[test]
fn group_waiters_at_fail_fast_are_not_run() {
    // Seed 4: g_ok2 waits for the slot when g_bad fails.
    let (_out, r) = run_with(
        ONE_SLOT,
        &[
            "--seed",
            "4",
            "--shards",
            "4",
            "--jobs",
            "4",
            "--fail-fast",
            "--no-triage",
        ],
    );
    for t in r["tests"].as_array().unwrap() {
        assert_ne!(
            t["outcome"], "interrupted",
            "{} never started: `--fail-fast` (not :immediate) reports such tests `not run`",
            t["name"]
        );
    }
}

#[test]
fn test_started_waits_for_the_group_slot() {
    let (out, _r) = run_with(
        ONE_SLOT,
        &[
            "--seed",
            "2",
            "--shards",
            "4",
            "--jobs",
            "4",
            "--message-format",
            "json",
            "--no-triage",
        ],
    );
    let mut running: Vec<String> = Vec::new();
    for line in stdout(&out).lines() {
        let e = json(line);
        let id = e["id"].as_str().unwrap_or_default().to_string();
        match e["type"].as_str().unwrap() {
            "test-started" => {
                running.push(id);
                assert!(
                    running.len() <= 1,
                    "events say {running:?} run at once in a group of max-threads = 1"
                );
            }
            "test-finished" => running.retain(|r| *r != id),
            _ => {}
        }
    }
}

#[test]
fn group_predicate_is_refused_as_unsupported() {
    let (out, _r) = run_with(ONE_SLOT, &["--seed", "1", "-E", "group(g)"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("not supported"),
        "`g` is defined; the error should say group() is not supported here: {err}"
    );
}

/// `hunt --runs 2 --seed 1 --binary BIN EXTRA…`.
fn hunt_two_runs(bin: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "hunt",
        "--runs",
        "2",
        "--seed",
        "1",
        "--binary",
        bin.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Shuffle::new(&args).output().0
}

#[test]
fn a_hunt_with_every_test_kept_in_order_is_not_green() {
    let config = "[[profile.default.overrides]]\nfilter = \"all()\"\nshuffle = false\n";
    let dir = tempfile::tempdir().unwrap();
    let bin = group_harness(dir.path());
    let cfg = dir.path().join("shuffle.toml");
    std::fs::write(&cfg, config).unwrap();
    let out = hunt_two_runs(
        &bin,
        &["--config-file", cfg.to_str().unwrap(), "-E", "test(ok)"],
    );
    // Nothing was hunted: the same code as a hunt that selects nothing (`-E 'none()'`).
    assert_code(&out, 4);
    assert!(
        stderr(&out)
            .contains("no test selected to hunt: every selected test is kept in name order"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn triage_does_not_run_deselected_tests() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("danger-ran");
    let bin = fake_binary(
        dir.path(),
        "tr",
        "a_danger: test\\nb_fails: test\\n",
        "case \"$NAME\" in\n\
         a_*) touch \"$HS_MARK\"; exit 0;;\n\
         *) printf '\\nrunning 1 test\\ntest %s ... FAILED\\n\\ntest result: FAILED. 0 passed; 1 failed; 0 ignored\\n\\n' \"$NAME\"; exit 101;;\n\
         esac",
    );
    let mut s = Shuffle::new(&[
        "run",
        "--seed",
        "1",
        "--binary",
        bin.to_str().unwrap(),
        "--skip",
        "a_danger",
        "-E",
        "not test(danger)",
    ]);
    s.cmd.env("HS_MARK", &mark);
    let (out, _d) = s.output();
    assert_code(&out, 100);
    assert!(
        !mark.exists(),
        "a_danger was left out by --skip and -E, yet triage ran it"
    );
}

#[test]
fn repro_repeats_flags_that_undo_the_profile() {
    let config = "[profile.default]\nretries = 2\nleak-timeout = \"500ms\"\n\
        slow-timeout = { period = \"1s\", terminate-after = 2 }\nisolation = \"shared\"\n";
    let (_out, r) = run_with(
        config,
        &[
            "--seed",
            "1",
            "--isolation",
            "process",
            "--retries",
            "0",
            "--leak-timeout",
            "200",
            "--slow-timeout",
            "5",
            "--no-triage",
        ],
    );
    let repro = r["repro"].as_str().unwrap();
    for wanted in [
        "--isolation process",
        "--retries 0",
        "--leak-timeout 200",
        "--slow-timeout 5",
    ] {
        assert!(
            repro.contains(wanted),
            "the repro `{repro}` lacks `{wanted}`: under the same config file it runs differently"
        );
    }
}

/// A harness listing `a_danger` (touches `$HS_MARK` when run), `b_fails` (always fails) and
/// the ignored `z_ign` (fails).
fn danger_harness(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("tr");
    let fail = "printf '\\nrunning 1 test\\ntest %s ... FAILED\\n\\ntest result: FAILED. 0 passed; 1 failed; 0 ignored\\n\\n' \"$2\"; exit 101";
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --list ]; then\n  case \"$*\" in *--ignored*) printf 'z_ign: test\\n'; exit 0;; esac\n  printf 'a_danger: test\\nb_fails: test\\nz_ign: test\\n'; exit 0\nfi\ncase \"$2\" in a_*) touch \"$HS_MARK\"; exit 0;; *) {fail};; esac\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn triage_of_a_findings_repro_and_of_ignored_tests_keeps_to_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("danger-ran");
    let bin = danger_harness(dir.path());
    let run = |args: &[&str]| {
        let mut all = vec!["run", "--binary", bin.to_str().unwrap(), "--seed", "1"];
        all.extend_from_slice(args);
        let mut s = Shuffle::new(&all);
        s.cmd.env("HS_MARK", &mark);
        s.output().0
    };
    // The run leaves a_danger out; so does the triage of its finding's repro (an --order
    // command that keeps --skip).
    let report = dir.path().join("r.json");
    let out = run(&["--skip", "a_danger", "--report", report.to_str().unwrap()]);
    assert_code(&out, 100);
    assert!(!mark.exists(), "the run's triage ran a_danger");
    let r = json(report.to_str().unwrap());
    let repro = r["findings"][0]["repro"].as_str().unwrap().to_string();
    let words = shell_words::split(&repro).unwrap();
    assert_eq!(&words[..3], ["cargo", "shuffle", "run"], "{repro}");
    let mut s = Shuffle::new(&words[2..].iter().map(String::as_str).collect::<Vec<_>>());
    s.cmd.env("HS_MARK", &mark);
    let (out, _d) = s.output();
    assert_code(&out, 100);
    assert!(!mark.exists(), "triage of the repro `{repro}` ran a_danger");
    // `--run-ignored only` leaves the non-ignored tests out: triage of z_ign does not run them.
    let out = run(&["--run-ignored", "only"]);
    assert_code(&out, 100);
    assert!(!mark.exists(), "triage of an ignored test ran a_danger");
}

#[test]
fn a_hunt_that_selects_nothing_honours_allow_no_tests() {
    let dir = tempfile::tempdir().unwrap();
    let bin = group_harness(dir.path());
    for allow in ["--allow-no-tests", "--no-tests=pass"] {
        let out = hunt_two_runs(&bin, &[allow, "nomatch"]);
        assert_code(&out, 0);
        assert!(
            !stderr(&out).contains("shuffle = false"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_shared_hunts_later_run_reruns_its_failures_with_the_hunt_command() {
    // Run 2's libtest seeds were chosen for coverage: no `run` command makes them again.
    let (out, _d) = Shuffle::on(
        "od",
        "hunt",
        &[
            "--isolation",
            "shared",
            "--runs",
            "2",
            "--seed",
            "4",
            "--no-triage",
        ],
    )
    .output();
    assert_code(&out, 100);
    let err = stderr(&out);
    let run2 = &err[err.find("hunt run 2 summary:").expect("run 2's summary")..];
    let line = run2
        .lines()
        .find(|l| l.trim_start().starts_with("its shard"))
        .unwrap_or_else(|| panic!("a failure without a finding in run 2: {run2}"));
    assert!(
        line.contains("cargo shuffle hunt") && line.contains("--runs 2"),
        "{line}"
    );
}
