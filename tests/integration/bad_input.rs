//! Bad input: each case is a clear error naming the input, with its documented exit code.

use crate::common::*;

fn check(args: &[&str], code: i32, needle: &str) {
    let (out, _d) = Shuffle::new(args).output();
    assert_code(&out, code);
    let err = stderr(&out);
    assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn malformed_seeds_are_usage_errors() {
    check(
        &["list", "--seed", "-1"],
        2,
        "invalid seed `-1`: it is negative",
    );
    check(
        &["list", "--seed", "18446744073709551616"],
        2,
        "larger than 2^64-1",
    );
    check(&["list", "--seed", "banana"], 2, "invalid seed `banana`");
    // One rule with --partition: a leading `+` is refused, naming the input and the form.
    check(
        &["list", "--seed", "+42"],
        2,
        "invalid seed `+42`: a leading `+` is not accepted; give a whole number",
    );
}

#[test]
fn a_leading_plus_in_a_partition_is_refused_like_in_a_seed() {
    for p in ["+1/3", "1/+3", "slice:+1/3"] {
        check(
            &["list", "--partition", p],
            2,
            &format!("invalid partition `{p}`: a leading `+` is not accepted; write K/N"),
        );
    }
}

#[test]
fn a_leading_plus_is_refused_by_every_numeric_flag() {
    // Rust's `FromStr` for integers and floats takes `+3`; the rule of --seed and --partition
    // holds for every number on the command line: the error names the input, the flag and
    // the accepted form.
    let plus = "a leading `+` is not accepted; give";
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "list",
            "--shards <N>",
            "+3",
            "a whole number (digits only) from 1 to 100000",
        ),
        (
            "run",
            "--jobs <J>",
            "+2",
            "a whole number (digits only) from 1 to 1024",
        ),
        (
            "run",
            "--shard <K>",
            "+1",
            "a whole number (digits only) of at least 1",
        ),
        (
            "run",
            "--leak-timeout <MS>",
            "+500",
            "a whole number (digits only) from 1 to 3600000",
        ),
        (
            "run",
            "--retries <N>",
            "+1",
            "a whole number (digits only) from 0 to 100",
        ),
        (
            "run",
            "--triage-max-reruns <N>",
            "+8",
            "a whole number (digits only)",
        ),
        (
            "run",
            "--confirmations <N>",
            "+2",
            "a whole number (digits only)",
        ),
        (
            "hunt",
            "--runs <K>",
            "+2",
            "a whole number (digits only) of at least 1",
        ),
        (
            "run",
            "--timeout <SECS>",
            "+1.5",
            "a plain number, e.g. 30 or 0.5",
        ),
        (
            "run",
            "--slow-timeout <SECS>",
            "+1.5",
            "a plain number, e.g. 30 or 0.5",
        ),
        (
            "run",
            "--triage-budget <SECS>",
            "+1.5",
            "a plain number, e.g. 30 or 0.5",
        ),
        (
            "hunt",
            "--for <SECS>",
            "+1.5",
            "a plain number, e.g. 30 or 0.5",
        ),
        (
            "hunt",
            "--until-coverage <PCT>",
            "+50",
            "a plain number, e.g. 30 or 0.5",
        ),
    ];
    for (sub, flag, value, form) in cases {
        let name = flag.split(' ').next().unwrap();
        check(
            &[sub, name, value],
            2,
            &format!("invalid value '{value}' for '{flag}': {plus} {form}"),
        );
    }
    check(
        &["run", "--max-fail", "+2"],
        2,
        "invalid --max-fail `+2`: a leading `+` is not accepted; give N",
    );
}

#[test]
fn an_empty_hash_part_says_hash_parts_vary_and_suggests_slice() {
    let dir = tempfile::tempdir().unwrap();
    let list: String = (0..55).map(|i| format!("t{i}: test\\n")).collect();
    let bin = fake_binary(dir.path(), "fake55", &list, "exit 0");
    // Seed 45 puts none of these 55 tests (binary `fake55`) in hash part 8 of 12.
    let (out, _d) = Shuffle::new(&[
        "list",
        "--binary",
        bin.to_str().unwrap(),
        "--seed",
        "45",
        "--partition",
        "hash:8/12",
    ])
    .output();
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("partition 8/12 of the 55 selected tests is empty: hash parts vary in size")
            && err.contains("--partition slice:8/12")
            && !err.contains("more parts than tests"),
        "{err}"
    );
    assert!(stdout(&out).contains("0 tests"), "{}", stdout(&out));
}

#[test]
fn malformed_partitions_shards_and_jobs_are_usage_errors() {
    check(
        &["list", "--partition", "0/3"],
        2,
        "invalid partition `0/3`",
    );
    check(
        &["list", "--partition", "4/3"],
        2,
        "invalid partition `4/3`",
    );
    check(
        &["list", "--partition", "1/0"],
        2,
        "invalid partition `1/0`",
    );
    check(&["list", "--partition", "x"], 2, "invalid partition `x`");
    check(&["list", "--shards", "0"], 2, "--shards");
    check(&["run", "--jobs", "0"], 2, "--jobs");
    check(
        &["run", "--shards", "4", "--shard", "5"],
        2,
        "--shard 5 does not exist",
    );
    check(&["run", "--timeout", "-3"], 2, "invalid --timeout");
    check(&["run", "--no-such-flag"], 2, "--no-such-flag");
    // Huge values are refused, not allocated or panicked on.
    check(&["list", "--shards", "4294967295"], 2, "--shards");
    check(&["run", "--timeout", "1e20"], 2, "invalid --timeout");
    check(
        &["run", "--triage-budget", "1e308"],
        2,
        "invalid --triage-budget",
    );
    check(&["run", "--leak-timeout", "0"], 2, "--leak-timeout");
    check(
        &["list", "--partition", "1/4294967296"],
        2,
        "N is larger than 100000",
    );
}

#[test]
fn missing_inputs_are_named() {
    check(
        &["run", "--binary", "/nonexistent/test-bin"],
        2,
        "/nonexistent/test-bin",
    );
    check(
        &["run", "--manifest-path", "/nonexistent/Cargo.toml"],
        2,
        "manifest `/nonexistent/Cargo.toml` does not exist",
    );
    check(
        &["run", "--binary", "/bin/true", "-p", "foo"],
        2,
        "--binary runs the given executables without cargo",
    );
}

#[test]
fn a_filter_that_selects_nothing_exits_4_unless_allowed() {
    let (out, _d) = Shuffle::fixture("run", &["--", "no_such_test_zzz"]).output();
    assert_code(&out, 4);
    assert!(stderr(&out).contains("no test selected"));
    let (out, _d) =
        Shuffle::fixture("run", &["--allow-no-tests", "--", "no_such_test_zzz"]).output();
    assert_code(&out, 0);
}

#[test]
fn a_workspace_that_fails_to_build_exits_101_with_cargos_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/lib.rs"),
        "pub fn f() -> u32 { \"not a number\" }\n",
    )
    .unwrap();
    let m = dir.path().join("Cargo.toml");
    let (out, _d) = Shuffle::new(&["run", "--manifest-path", m.to_str().unwrap()]).output();
    assert_code(&out, 101);
    let err = stderr(&out);
    assert!(
        err.contains("mismatched types"),
        "cargo's diagnostics are shown: {err}"
    );
    assert!(err.contains("building the test binaries failed"), "{err}");
}

#[test]
fn a_binary_whose_listing_is_junk_exits_104_quoting_the_line_after_writing_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(dir.path(), "junk", "hello junk\\n", "exit 0");
    let (out, d) = Shuffle::new(&[
        "run",
        "--binary",
        bin.to_str().unwrap(),
        "--junit",
        "j.xml",
        "--report",
        "r.json",
    ])
    .output();
    assert_code(&out, 104);
    let err = stderr(&out);
    assert!(
        err.contains("\"hello junk\"") && err.contains("`junk`"),
        "{err}"
    );
    // The reports are written now (issue 14): the binary is named in both.
    let report = json(d.path().join("r.json").to_str().unwrap());
    assert_eq!(report["list_errors"][0]["binary_id"], "junk");
    let xml = std::fs::read_to_string(d.path().join("j.xml")).unwrap();
    assert!(xml.contains("&quot;hello junk&quot;"), "{xml}");
}

#[test]
fn a_binary_whose_listing_fails_exits_104() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("failing");
    std::fs::write(&bin, "#!/bin/sh\necho 'cannot list' >&2\nexit 3\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (out, d) = Shuffle::new(&[
        "run",
        "--binary",
        bin.to_str().unwrap(),
        "--report",
        "r.json",
    ])
    .output();
    assert_code(&out, 104);
    assert!(stderr(&out).contains("cannot list"));
    let report = json(d.path().join("r.json").to_str().unwrap());
    let error = report["list_errors"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("cannot list") && error.contains("exit code 3"),
        "{error}"
    );
}

/// Runs a passing fake binary from a directory whose `.cargo/config.toml` is `config`.
fn run_under_cargo_config(config: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".cargo")).unwrap();
    std::fs::write(dir.path().join(".cargo/config.toml"), config).unwrap();
    let bin = fake_binary(dir.path(), "ok", "a: test\\n", "echo 'running 1 test'");
    let mut s = Shuffle::new(&["run", "--binary", bin.to_str().unwrap()]);
    s.cmd.current_dir(dir.path());
    s.output().0
}

#[test]
fn an_invalid_target_runner_in_cargo_config_is_a_usage_error_naming_it() {
    let out = run_under_cargo_config("[target.'cfg(unix)']\nrunner = 5\n");
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("target runner") && err.contains(".cargo/config.toml"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_package_cargo_does_not_know_exits_101_with_cargos_error() {
    let (out, _d) = Shuffle::fixture("run", &["-p", "no-such-package"]).output();
    assert_code(&out, 101);
    let err = stderr(&out);
    assert!(err.contains("no-such-package"), "cargo's own error: {err}");
    assert!(err.contains("selection flags"), "{err}");
}

#[test]
fn a_target_runner_that_cannot_start_is_named_not_the_binary() {
    let out =
        run_under_cargo_config("[target.'cfg(unix)']\nrunner = \"/nonexistent/runner-xyz\"\n");
    assert_code(&out, 104);
    let err = stderr(&out);
    assert!(
        err.contains("target runner `/nonexistent/runner-xyz`"),
        "{err}"
    );
}

#[test]
fn more_than_100_retries_is_a_usage_error() {
    check(
        &["run", "--binary", "/bin/true", "--retries", "101"],
        2,
        "101",
    );
}

#[test]
fn order_with_a_shard_other_than_1_is_a_usage_error() {
    check(
        &[
            "run",
            "--binary",
            "/bin/true",
            "--order",
            "true t",
            "--shard",
            "2",
        ],
        2,
        "--order makes a plan of one shard",
    );
}

#[test]
fn a_run_that_never_starts_still_ends_its_json_event_stream() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(dir.path(), "ok", "a: test\\n", "echo 'running 1 test'");
    let (out, _d) = Shuffle::new(&[
        "run",
        "--binary",
        bin.to_str().unwrap(),
        "--message-format",
        "json",
        "--",
        "nothing_matches_this",
    ])
    .output();
    assert_code(&out, 4);
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "run-finished");
    assert_eq!(events[0]["exit_code"], 4);
    assert!(
        events[0]["error"]
            .as_str()
            .unwrap()
            .contains("no test selected")
    );
}

#[test]
fn a_closed_stderr_does_not_change_the_exit_code() {
    // `cargo shuffle hunt … 2>&1 | head -3`: once the reader is gone every note fails with
    // EPIPE; the exit code must still be the gate's (it was 101 from a panic while printing).
    // A fake binary, so that no cargo build writes to the closed pipe (cargo's own EPIPE would
    // fail the build: a different matter).
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(
        dir.path(),
        "fake-epipe",
        "a: test\\nb: test\\nc: test\\n",
        "echo 'running 1 test'; echo \"test $NAME ... ok\"; echo 'test result: ok. 1 passed; 0 failed'; exit 0",
    );
    let mut s = Shuffle::new(&[
        "hunt",
        "--binary",
        bin.to_str().unwrap(),
        "--runs",
        "3",
        "--seed",
        "3",
    ]);
    let mut child = s
        .cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn a_test_named_twice_in_order_is_refused_in_shared_isolation() {
    // libtest runs each test of its process once, so the repeat would silently run once.
    let (out, _d) = Shuffle::on(
        "od",
        "run",
        &[
            "--isolation",
            "shared",
            "--order",
            "od-core::lib h::pass_1",
            "od-core::lib h::pass_1",
        ],
    )
    .output();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("names `od-core::lib h::pass_1` twice"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn settings_that_judge_one_tests_process_are_refused_in_shared_isolation() {
    // Both are silent promises in a process that runs a whole binary: refused before building.
    for (flag, needle) in [
        (
            &["--retries", "2"][..],
            "--retries reruns a test in place, which needs one process per test",
        ),
        (
            &["--fail-leaky"][..],
            "--fail-leaky judges one test's process, which needs one process per test",
        ),
    ] {
        let mut args = vec!["run", "--binary", "/nonexistent/t", "--isolation", "shared"];
        args.extend_from_slice(flag);
        check(&args, 2, needle);
    }
}
