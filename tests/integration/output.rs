//! Where tests' output goes: `--success-output` / `--failure-output` (`immediate`, `final`,
//! `immediate-final`, `never`), `--junit-store-success-output`, their config-file keys, and
//! `--no-capture` (also libtest's `-- --nocapture`), in both isolation modes. A fake harness
//! (no cargo build) with a passing test printing [`PASS`] and a failing one printing [`FAIL`];
//! each marker must be found exactly where the settings say and nowhere else.

use crate::common::*;

/// What the passing test prints.
const PASS: &str = "PASS_MARKER_5e1d";
/// What the failing test prints.
const FAIL: &str = "FAIL_MARKER_a07c";

/// A fake harness `out` of two tests, `passes` and `fails`. Run one per process (`--exact NAME
/// --nocapture`) it prints libtest's block around its marker; run shared (`--format json`) it
/// speaks libtest's JSON as libtest 1.9x does: a passing test's output is in its `ok` event only
/// with `--show-output`, a failing one's always; with `--nocapture` the output comes raw
/// between the events.
fn harness(dir: &std::path::Path) -> std::path::PathBuf {
    let run = format!(
        r#"ev() {{ printf '%s\n' "$1"; }}
case " $* " in
*" --format json "*)
  show=0; nocap=0
  case " $* " in *" --show-output "*) show=1;; esac
  case " $* " in *" --nocapture "*) nocap=1;; esac
  ev '{{ "type": "suite", "event": "started", "test_count": 2 }}'
  shift
  for t in "$@"; do
    case "$t" in -*) break;; esac
    ev "{{ \"type\": \"test\", \"event\": \"started\", \"name\": \"$t\" }}"
    case "$t" in passes) m={PASS}; e=ok;; quiet) m=; e=ok;; *) m={FAIL}; e=failed;; esac
    if [ $nocap = 1 ]; then
      [ -z "$m" ] || ev "$m"
      ev "{{ \"type\": \"test\", \"name\": \"$t\", \"event\": \"$e\", \"exec_time\": 0.001 }}"
    elif [ -n "$m" ] && {{ [ $e = failed ] || [ $show = 1 ]; }}; then
      ev "{{ \"type\": \"test\", \"name\": \"$t\", \"event\": \"$e\", \"exec_time\": 0.001, \"stdout\": \"$m\\n\" }}"
    else
      ev "{{ \"type\": \"test\", \"name\": \"$t\", \"event\": \"$e\", \"exec_time\": 0.001 }}"
    fi
  done
  ev '{{ "type": "suite", "event": "failed", "passed": 2, "failed": 1 }}'
  exit 101;;
esac
printf '\nrunning 1 test\n'
if [ "$NAME" = quiet ]; then
  printf 'test quiet ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored\n\n'
  exit 0
fi
if [ "$NAME" = passes ]; then
  echo {PASS}
  printf 'test passes ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored\n\n'
  exit 0
fi
echo {FAIL}
printf 'test fails ... FAILED\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored\n\n'
exit 101"#
    );
    fake_binary(
        dir,
        "out",
        "passes: test\\nfails: test\\nquiet: test\\n",
        &run,
    )
}

/// What one run showed: stderr, stdout, the JUnit text and the JSON record's text.
struct Seen {
    err: String,
    out: String,
    junit: String,
    record: String,
}

impl Seen {
    /// The `<system-out>` of testcase `name`, if it has one.
    fn system_out(&self, name: &str) -> Option<String> {
        let doc = roxmltree::Document::parse(&self.junit).unwrap();
        let case = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}: {}", self.junit));
        case.children()
            .find(|c| c.has_tag_name("system-out"))
            .map(|c| c.text().unwrap_or_default().to_string())
    }

    /// Index in stderr of the result line of test `name`.
    fn status_line(&self, name: &str) -> usize {
        self.err
            .lines()
            .position(|l| l.contains("s] shard") && l.ends_with(&format!(" {name}")))
            .unwrap_or_else(|| panic!("no result line for {name}:\n{}", self.err))
    }

    /// Whether the output block of `name` (`--- LABEL ID ---`, then its output with `marker`)
    /// follows its result line at once, as `immediate` prints it.
    fn block_right_after_result(&self, name: &str, label: &str, marker: &str) -> bool {
        let lines: Vec<&str> = self.err.lines().collect();
        let at = self.status_line(name);
        let block: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|l| !l.contains("s] shard") && !l.contains("── summary ──"))
            .copied()
            .collect();
        block.first() == Some(&"")
            && block
                .get(1)
                .is_some_and(|l| l.starts_with(&format!("--- {label} ")) && l.ends_with(" ---"))
            && block.contains(&marker)
    }

    /// Whether `marker`'s line comes after every result line and before the summary's
    /// counts, where `final` prints it.
    fn in_summary(&self, marker: &str) -> bool {
        let lines: Vec<&str> = self.err.lines().collect();
        let at = lines.iter().rposition(|l| *l == marker);
        let counts = lines.iter().position(|l| l.contains(" passed, "));
        // `quiet` runs last (see `run`).
        let last_result = self.status_line("quiet");
        matches!((at, counts), (Some(a), Some(c)) if last_result < a && a < c)
    }

    /// How often `marker` is on the terminal (stderr; stdout must never have it).
    fn on_terminal(&self, marker: &str) -> usize {
        assert!(!self.out.contains(marker), "stdout: {}", self.out);
        self.err.matches(marker).count()
    }
}

/// Runs the harness in one sequence with `args`, no triage, no progress bar; `config` is the
/// config file's text, if any. The order is `--order`'d so that the silent `quiet` runs last
/// (in shared isolation too): a block printed right after `passes` or `fails` is then
/// `immediate`, one after `quiet`'s result is the summary's.
fn run(isolation: &str, args: &[&str], config: Option<&str>) -> Seen {
    let dir = tempfile::tempdir().unwrap();
    let bin = harness(dir.path());
    run_in(
        dir,
        "out",
        &["--binary", bin.to_str().unwrap()],
        isolation,
        args,
        config,
    )
}

/// [`run`] on the `fixtures/output` workspace (a real cargo build and real libtest), whose
/// tests print the same markers.
fn run_fixture(isolation: &str, args: &[&str]) -> Seen {
    run_fixture_with(isolation, args, None)
}

/// [`run_fixture`] with `config` as the config file's text.
fn run_fixture_with(isolation: &str, args: &[&str], config: Option<&str>) -> Seen {
    let m = repo().join("fixtures/output/Cargo.toml");
    let t = repo().join("target/fixture-output");
    let source = [
        "--manifest-path",
        m.to_str().unwrap(),
        "--target-dir",
        t.to_str().unwrap(),
    ];
    run_in(
        tempfile::tempdir().unwrap(),
        "output-demo::lib",
        &source,
        isolation,
        args,
        config,
    )
}

/// [`run`] of binary `bin`'s three tests, found through `source` (`--binary PATH`, or a
/// manifest), in `dir`.
fn run_in(
    dir: tempfile::TempDir,
    bin: &str,
    source: &[&str],
    isolation: &str,
    args: &[&str],
    config: Option<&str>,
) -> Seen {
    let ids = ["passes", "fails", "quiet"].map(|n| format!("{bin} {n}"));
    let junit = dir.path().join("j.xml");
    let report = dir.path().join("r.json");
    let file = dir.path().join("shuffle.toml");
    let mut a = vec![
        "run",
        "--seed",
        "3",
        "--order",
        &ids[0],
        &ids[1],
        &ids[2],
        "--no-triage",
        "--no-progress",
        "--isolation",
        isolation,
        "--junit",
        junit.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    a.extend_from_slice(source);
    if let Some(text) = config {
        std::fs::write(&file, text).unwrap();
        a.extend(["--config-file", file.to_str().unwrap()]);
    }
    // Test-name filters and libtest's options go last, after `--`.
    a.extend_from_slice(args);
    let (out, _d) = Shuffle::new(&a).output();
    assert_code(&out, 100);
    let seen = Seen {
        err: stderr(&out),
        out: stdout(&out),
        junit: std::fs::read_to_string(&junit).unwrap(),
        record: std::fs::read_to_string(&report).unwrap(),
    };
    // The record has each test's result but never the text of its output (only its size).
    let r = json(&seen.record);
    assert_eq!(r["tests"].as_array().unwrap().len(), 3, "{r}");
    assert!(!seen.record.contains(PASS) && !seen.record.contains(FAIL));
    seen
}

#[test]
fn a_passing_tests_output_is_found_exactly_where_success_output_says() {
    for isolation in ["process", "shared"] {
        // Default: never.
        let s = run(isolation, &[], None);
        assert_eq!(s.on_terminal(PASS), 0, "{isolation}: {}", s.err);
        assert_eq!(s.system_out("passes"), None, "{isolation}");

        let s = run(isolation, &["--success-output", "immediate"], None);
        assert_eq!(s.on_terminal(PASS), 1, "{isolation}: {}", s.err);
        assert!(
            s.block_right_after_result("passes", "PASS", PASS),
            "{isolation}: {}",
            s.err
        );
        assert_eq!(s.system_out("passes"), None, "{isolation}: terminal only");

        let s = run(isolation, &["--success-output", "final"], None);
        assert_eq!(s.on_terminal(PASS), 1, "{isolation}: {}", s.err);
        assert!(
            !s.block_right_after_result("passes", "PASS", PASS),
            "{isolation}: {}",
            s.err
        );
        assert!(s.in_summary(PASS), "{isolation}: {}", s.err);

        let s = run(isolation, &["--success-output", "immediate-final"], None);
        assert_eq!(s.on_terminal(PASS), 2, "{isolation}: {}", s.err);
        assert!(
            s.block_right_after_result("passes", "PASS", PASS),
            "{isolation}: {}",
            s.err
        );

        // JUnit only: the terminal never shows it.
        let s = run(isolation, &["--junit-store-success-output"], None);
        assert_eq!(s.on_terminal(PASS), 0, "{isolation}: {}", s.err);
        let stored = s.system_out("passes").unwrap_or_default();
        assert_eq!(stored.matches(PASS).count(), 1, "{isolation}: {}", s.junit);
        assert_eq!(s.junit.matches(PASS).count(), 1, "{isolation}: stored once");
        assert_eq!(
            s.system_out("quiet").is_some(),
            isolation == "process",
            "libtest's lines"
        );
    }
}

#[test]
fn a_failing_tests_output_is_in_junit_always_and_on_the_terminal_as_failure_output_says() {
    for isolation in ["process", "shared"] {
        // Default: immediate, right after its result line, once.
        let s = run(isolation, &[], None);
        assert_eq!(s.on_terminal(FAIL), 1, "{isolation}: {}", s.err);
        assert!(
            s.block_right_after_result("fails", "FAIL", FAIL),
            "{isolation}: {}",
            s.err
        );
        assert!(s.system_out("fails").unwrap().contains(FAIL), "{isolation}");
        for (setting, count) in [("never", 0), ("final", 1), ("immediate-final", 2)] {
            let s = run(isolation, &["--failure-output", setting], None);
            assert_eq!(
                s.on_terminal(FAIL),
                count,
                "{isolation} {setting}: {}",
                s.err
            );
            assert_eq!(
                s.block_right_after_result("fails", "FAIL", FAIL),
                setting == "immediate-final",
                "{isolation} {setting}: {}",
                s.err
            );
            assert_eq!(
                s.in_summary(FAIL),
                setting != "never",
                "{isolation} {setting}"
            );
            assert!(
                s.system_out("fails").unwrap().contains(FAIL),
                "{isolation} {setting}"
            );
        }
    }
}

#[test]
fn the_profile_keys_set_the_output_and_the_flags_beat_them() {
    let text = "[profile.default]\nsuccess-output = \"final\"\nfailure-output = \"never\"\njunit-store-success-output = true\n";
    for isolation in ["process", "shared"] {
        let s = run(isolation, &[], Some(text));
        assert_eq!(s.on_terminal(PASS), 1, "{isolation}: {}", s.err);
        assert!(
            !s.block_right_after_result("passes", "PASS", PASS),
            "{isolation}"
        );
        assert!(s.in_summary(PASS), "{isolation}: {}", s.err);
        assert_eq!(s.on_terminal(FAIL), 0, "{isolation}: {}", s.err);
        assert!(
            s.system_out("passes").unwrap().contains(PASS),
            "{isolation}"
        );
        assert!(s.system_out("fails").unwrap().contains(FAIL), "{isolation}");
        let s = run(
            isolation,
            &["--success-output", "never", "--failure-output", "immediate"],
            Some(text),
        );
        assert_eq!(s.on_terminal(PASS), 0, "{isolation}: {}", s.err);
        assert_eq!(s.on_terminal(FAIL), 1, "{isolation}: {}", s.err);
        // The profile's junit-store-success-output still holds.
        assert!(
            s.system_out("passes").unwrap().contains(PASS),
            "{isolation}"
        );
    }
    // A bad value names the file, line and key.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shuffle.toml");
    std::fs::write(&file, "[profile.default]\nsuccess-output = \"sometimes\"\n").unwrap();
    let (out, _d) = Shuffle::new(&[
        "run",
        "--binary",
        "/bin/true",
        "--config-file",
        file.to_str().unwrap(),
    ])
    .output();
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains(":2:") && err.contains("profile.default.success-output"),
        "{err}"
    );
}

#[test]
fn no_capture_shows_each_line_live_with_its_test_and_libtests_nocapture_means_the_same() {
    for isolation in ["process", "shared"] {
        for args in [
            &["--no-capture"][..],
            &["--nocapture"],
            &["--", "--nocapture"],
        ] {
            let s = run(isolation, args, None);
            let what = format!("{isolation} {args:?}");
            // Each marker once, as its own line prefixed with the test's id, before the
            // test's result line (it was shown as the test printed it); not repeated by the
            // failure's output block.
            for (name, marker) in [("passes", PASS), ("fails", FAIL)] {
                assert_eq!(s.on_terminal(marker), 1, "{what}: {}", s.err);
                let lines: Vec<&str> = s.err.lines().collect();
                let at = lines
                    .iter()
                    .position(|l| l.starts_with('[') && l.ends_with(&format!(" {name}] {marker}")))
                    .unwrap_or_else(|| panic!("{what}: no live line for {name}: {}", s.err));
                assert!(at < s.status_line(name), "{what}: {}", s.err);
            }
            // The failure's block still gives its reason; the reports still get results, and
            // the output as captured on the way.
            assert!(s.err.contains("--- FAIL "), "{what}: {}", s.err);
            assert!(s.system_out("fails").unwrap().contains(FAIL), "{what}");
            assert_eq!(s.system_out("passes"), None, "{what}");
        }
    }
}

/// A real libtest binary (`rustc --test` of one small file: no cargo build) whose passing test prints
/// [`PASS`] on stdout and `PASS_ERR` on stderr, and whose failing test prints [`FAIL`], in `dir`.
fn real_libtest(dir: &std::path::Path) -> std::path::PathBuf {
    let src = dir.join("real.rs");
    std::fs::write(
        &src,
        format!(
            "#[test] fn passes() {{ println!(\"{PASS}\"); eprintln!(\"PASS_ERR\"); }}\n\
             #[test] fn fails() {{ println!(\"{FAIL}\"); panic!(\"boom\"); }}\n"
        ),
    )
    .unwrap();
    let bin = dir.join("real");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = std::process::Command::new(rustc)
        .args(["--edition", "2021", "--test", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    bin
}

#[test]
fn real_libtest_output_reaches_junit_and_the_terminal_in_both_isolation_modes() {
    // libtest's own JSON in shared isolation: a passing test's output only with --show-output
    // (which --junit-store-success-output asks for), raw lines under --nocapture.
    let dir = tempfile::tempdir().unwrap();
    let bin = real_libtest(dir.path());
    for isolation in ["process", "shared"] {
        for extra in [
            &["--junit-store-success-output"][..],
            &["--", "--nocapture"],
        ] {
            let junit = dir.path().join("j.xml");
            let mut a = vec![
                "run",
                "--seed",
                "1",
                "--no-triage",
                "--no-progress",
                "--isolation",
                isolation,
                "--binary",
                bin.to_str().unwrap(),
                "--junit",
                junit.to_str().unwrap(),
            ];
            a.extend_from_slice(extra);
            let (out, _d) = Shuffle::new(&a).output();
            assert_code(&out, 100);
            let seen = Seen {
                err: stderr(&out),
                out: stdout(&out),
                junit: std::fs::read_to_string(&junit).unwrap(),
                record: String::new(),
            };
            let what = format!("{isolation} {extra:?}");
            let fails = seen.system_out("fails").unwrap();
            assert!(
                fails.contains(FAIL) && fails.contains("boom"),
                "{what}: {fails}"
            );
            if extra[0] == "--" {
                // Live, with the test's id, and not in JUnit for the passing test.
                assert!(
                    seen.err.contains(&format!("real passes] {PASS}")),
                    "{what}: {}",
                    seen.err
                );
                assert!(seen.err.contains("real passes] PASS_ERR"), "{what}");
                assert!(seen.err.contains(&format!("real fails] {FAIL}")), "{what}");
                assert_eq!(seen.system_out("passes"), None, "{what}");
            } else {
                assert_eq!(seen.on_terminal(PASS), 0, "{what}: {}", seen.err);
                assert_eq!(seen.on_terminal(FAIL), 1, "{what}: {}", seen.err);
                let passes = seen.system_out("passes").unwrap_or_default();
                assert!(
                    passes.contains(PASS) && passes.contains("PASS_ERR"),
                    "{what}: {}",
                    seen.junit
                );
            }
        }
    }
}

#[test]
fn a_hunts_junit_stores_passing_output_when_asked() {
    // Two runs side by side (one batch, split into a record per run): the setting survives.
    let dir = tempfile::tempdir().unwrap();
    let bin = harness(dir.path());
    let junit = dir.path().join("j.xml");
    let (out, _d) = Shuffle::new(&[
        "hunt",
        "--runs",
        "2",
        "--seed",
        "1",
        "--no-triage",
        "--no-progress",
        "--binary",
        bin.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--junit-store-success-output",
    ])
    .output();
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    let seen = Seen {
        err: stderr(&out),
        out: stdout(&out),
        junit: std::fs::read_to_string(&junit).unwrap(),
        record: String::new(),
    };
    assert!(
        seen.system_out("passes").unwrap().contains(PASS),
        "{}",
        seen.junit
    );
    assert!(seen.system_out("fails").unwrap().contains(FAIL));
    assert_eq!(seen.on_terminal(PASS), 0, "{}", seen.err);
}

/// Where a case's markers must be: the passing marker on the terminal right after its result,
/// in the summary, in its JUnit `<system-out>`; the failing marker right after its result, in
/// the summary.
type Expect = (bool, bool, bool, bool, bool);

#[test]
fn on_a_real_workspace_each_marker_is_found_exactly_where_the_settings_say() {
    let cases: &[(&[&str], Expect)] = &[
        (&[], (false, false, false, true, false)),
        (
            &["--success-output", "immediate"],
            (true, false, false, true, false),
        ),
        (
            &["--success-output", "final"],
            (false, true, false, true, false),
        ),
        (
            &["--success-output", "immediate-final"],
            (true, true, false, true, false),
        ),
        (
            &["--success-output", "never", "--failure-output", "final"],
            (false, false, false, false, true),
        ),
        (
            &["--failure-output", "immediate-final"],
            (false, false, false, true, true),
        ),
        (
            &["--failure-output", "never"],
            (false, false, false, false, false),
        ),
        (
            &["--junit-store-success-output"],
            (false, false, true, true, false),
        ),
        (&["--", "--show-output"], (false, true, false, true, false)),
    ];
    for isolation in ["process", "shared"] {
        for &(args, (p_now, p_final, p_junit, f_now, f_final)) in cases {
            let s = run_fixture(isolation, args);
            let what = format!("{isolation} {args:?}");
            assert_eq!(
                s.on_terminal(PASS),
                usize::from(p_now) + usize::from(p_final),
                "{what}: {}",
                s.err
            );
            assert_eq!(
                s.block_right_after_result("passes", "PASS", PASS),
                p_now,
                "{what}: {}",
                s.err
            );
            assert_eq!(s.in_summary(PASS), p_final, "{what}: {}", s.err);
            let stored = s.system_out("passes").unwrap_or_default();
            assert_eq!(
                stored.matches(PASS).count(),
                usize::from(p_junit),
                "{what}: {}",
                s.junit
            );
            assert_eq!(
                stored.contains("PASS_ERR"),
                p_junit,
                "{what}: stderr with stdout"
            );
            assert_eq!(
                s.junit.matches(PASS).count(),
                usize::from(p_junit),
                "{what}"
            );
            assert_eq!(
                s.on_terminal(FAIL),
                usize::from(f_now) + usize::from(f_final),
                "{what}: {}",
                s.err
            );
            assert_eq!(
                s.block_right_after_result("fails", "FAIL", FAIL),
                f_now,
                "{what}: {}",
                s.err
            );
            // A failing test's output is in JUnit whatever the terminal shows.
            assert_eq!(
                s.system_out("fails")
                    .unwrap_or_default()
                    .matches(FAIL)
                    .count(),
                1,
                "{what}"
            );
        }
        // --no-capture: each marker once, live, prefixed with its test, before its result.
        let s = run_fixture(isolation, &["--no-capture"]);
        for (name, marker) in [("passes", PASS), ("fails", FAIL)] {
            assert_eq!(s.on_terminal(marker), 1, "{isolation}: {}", s.err);
            let lines: Vec<&str> = s.err.lines().collect();
            let at = lines
                .iter()
                .position(|l| *l == format!("[output-demo::lib {name}] {marker}"))
                .unwrap_or_else(|| panic!("{isolation}: no live line for {name}: {}", s.err));
            assert!(at < s.status_line(name), "{isolation}: {}", s.err);
        }
    }
}

#[test]
fn an_override_sets_a_tests_output_and_the_flags_beat_it() {
    let config = r#"
[[profile.default.overrides]]
filter = "test(=passes)"
success-output = "immediate"

[[profile.default.overrides]]
filter = "test(=fails)"
failure-output = "never"

[[profile.default.overrides]]
filter = "all()"
success-output = "final"
failure-output = "final"
"#;
    for isolation in ["process", "shared"] {
        // The first override that matches decides: `passes` immediate (not final), `fails`
        // never (not final).
        let s = run_fixture_with(isolation, &[], Some(config));
        assert_eq!(s.on_terminal(PASS), 1, "{isolation}: {}", s.err);
        assert!(
            s.block_right_after_result("passes", "PASS", PASS),
            "{isolation}: {}",
            s.err
        );
        assert_eq!(s.on_terminal(FAIL), 0, "{isolation}: {}", s.err);
        assert!(
            s.system_out("fails").unwrap().contains(FAIL),
            "JUnit has it still"
        );
        // A flag beats every override, as in nextest.
        let s = run_fixture_with(
            isolation,
            &["--success-output", "never", "--failure-output", "immediate"],
            Some(config),
        );
        assert_eq!(s.on_terminal(PASS), 0, "{isolation}: {}", s.err);
        assert_eq!(s.on_terminal(FAIL), 1, "{isolation}: {}", s.err);
        assert!(
            s.block_right_after_result("fails", "FAIL", FAIL),
            "{isolation}: {}",
            s.err
        );
    }
}

#[test]
fn under_no_capture_the_shards_still_run_in_parallel() {
    let (out, dir) = Shuffle::on(
        "od",
        "run",
        &[
            "--seed",
            "2",
            "--no-triage",
            "--no-capture",
            "--jobs",
            "2",
            "--report",
            "r.json",
        ],
    )
    .output();
    assert!(out.status.code().unwrap() >= 100, "{}", stderr(&out));
    let r = json(dir.path().join("r.json").to_str().unwrap());
    let ran: Vec<(u64, u64, u64)> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let n = |k: &str| t[k].as_u64().unwrap();
            (n("start_ms"), n("end_ms"), n("worker"))
        })
        .collect();
    // Both workers ran tests, and some test of one ran while a test of the other did.
    let overlap = ran
        .iter()
        .any(|a| ran.iter().any(|b| a.2 != b.2 && a.0 < b.1 && b.0 < a.1));
    assert!(overlap, "{ran:?}");
    // And the lines were live, each prefixed with its test.
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("[od-core::lib g::always_fails] ")),
        "{err}"
    );
}
