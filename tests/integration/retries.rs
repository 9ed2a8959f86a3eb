//! `--retries` as a user sees it: a test that passed on a retry shows its failed attempts'
//! output on the terminal (as `--failure-output` says), and no repro of a failure repeats
//! `--retries` (a retry could pass and hide the failure); only the commands that reproduce the
//! whole run or hunt do, and the hunt's Markdown summary gives the hunt's command.

use crate::common::*;

/// A fake harness in `dir`: `flaky` prints `attempt N fails` and fails on its first attempt in
/// each sequence (a counter in the sequence's TMPDIR), then passes; `fine` passes.
fn harness(dir: &std::path::Path) -> std::path::PathBuf {
    fake_binary(
        dir,
        "retry",
        "flaky: test\\nfine: test\\n",
        r#"echo 'running 1 test'
case "$NAME" in
  flaky) n=$(cat "$TMPDIR/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$TMPDIR/count"
         if [ $n -lt 2 ]; then echo "attempt $n fails"; echo "test $NAME ... FAILED"; exit 101; fi ;;
esac
echo "test $NAME ... ok"
echo 'test result: ok. 1 passed; 0 failed'"#,
    )
}

#[test]
fn a_flaky_tests_repro_has_no_retries_and_the_hunt_summary_reproduces_the_hunt() {
    let dir = tempfile::tempdir().unwrap();
    let bin = harness(dir.path());
    let b = bin.to_str().unwrap();
    let report = dir.path().join("r.json");
    let common = [
        "--binary",
        b,
        "--seed",
        "5",
        "--retries",
        "2",
        "--no-progress",
    ];
    let mut args = vec!["run", "--shards", "1", "--report", report.to_str().unwrap()];
    args.extend_from_slice(&common);
    let (out, _d) = Shuffle::new(&args).output();
    assert_code(&out, 105);
    let r = json(report.to_str().unwrap());
    assert_eq!(test_named(&r, "flaky")["flaky"], true, "{r}");
    let repro = r["repro"].as_str().unwrap();
    assert!(
        repro.contains("--retries 2"),
        "the run's own repro: {repro}"
    );
    let f = &findings_by_test(&r)["retry flaky"];
    assert_eq!(f["kind"], "nod-flaky", "{f}");
    let fr = f["repro"].as_str().unwrap();
    assert!(!fr.contains("--retries"), "{fr}");
    assert!(fr.contains("--shard 1"), "{fr}");
    assert!(
        !stderr(&out).contains(&format!("{fr} --retries")),
        "{}",
        stderr(&out)
    );

    let summary = dir.path().join("h.md");
    let mut args = vec![
        "hunt",
        "--runs",
        "2",
        "--summary",
        summary.to_str().unwrap(),
    ];
    args.extend_from_slice(&common);
    let (out, _d) = Shuffle::new(&args).output();
    assert_code(&out, 105);
    let md = std::fs::read_to_string(&summary).unwrap();
    let want = format!(
        "Reproduce this hunt:\n```sh\ncargo shuffle hunt --binary {} --seed 5 --runs 2 --retries 2\n```\n",
        shell_words::quote(b)
    );
    assert!(md.contains(&want), "{md}");
    assert!(!md.contains("Reproduce this run"), "{md}");
    // The finding's repro is a `run` command without --retries.
    assert!(md.contains("```sh\ncargo shuffle run --binary"), "{md}");
    assert_eq!(md.matches("--retries").count(), 1, "{md}");
    assert!(
        md.ends_with(" |\n"),
        "ends with the coverage table's last row and a newline: {md:?}"
    );
}

#[test]
fn a_flaky_tests_failed_attempt_shows_its_output_as_failure_output_says() {
    let dir = tempfile::tempdir().unwrap();
    let bin = harness(dir.path());
    let run = |output: &str| {
        let (out, _d) = Shuffle::new(&[
            "run",
            "--binary",
            bin.to_str().unwrap(),
            "--retries",
            "2",
            "--failure-output",
            output,
            // The flaky test first: what follows its result line tells immediate from final.
            "--order",
            "retry flaky",
            "retry fine",
        ])
        .output();
        assert_code(&out, 105);
        stderr(&out)
    };
    let block = "\n--- TRY 1 FAIL retry flaky ---\nrunning 1 test\nattempt 1 fails\n";
    let result = "retry flaky (FLAKY: passed after 1 failed attempt)\n";
    let summary = "──────────── summary ────────────";
    // immediate-final: right after its result line, and again before the summary.
    let err = run("immediate-final");
    let at = err.find(result).expect(&err) + result.len();
    assert!(err[at..].starts_with(block), "{err}");
    let second = at + 1 + err[at + 1..].find(block).expect(&err);
    assert!(second < err.find(summary).unwrap(), "{err}");
    // immediate (the default) only after the result line; final only in the summary's place;
    // never not at all.
    let err = run("immediate");
    assert_eq!(err.matches(block).count(), 1, "{err}");
    assert!(
        err[err.find(result).unwrap() + result.len()..].starts_with(block),
        "{err}"
    );
    let err = run("final");
    assert_eq!(err.matches(block).count(), 1, "{err}");
    assert!(
        !err[err.find(result).unwrap() + result.len()..].starts_with(block),
        "{err}"
    );
    assert!(
        err.find(block).unwrap() < err.find(summary).unwrap(),
        "{err}"
    );
    let err = run("never");
    assert!(
        !err.contains("TRY 1") && !err.contains("attempt 1 fails"),
        "{err}"
    );
}

#[test]
fn a_failures_repro_turns_the_config_files_retries_off_and_fails_again() {
    let dir = tempfile::tempdir().unwrap();
    let bin = harness(dir.path());
    let file = dir.path().join("shuffle.toml");
    std::fs::write(
        &file,
        "[[profile.default.overrides]]\nfilter = \"test(flaky)\"\nretries = 2\n",
    )
    .unwrap();
    let report = dir.path().join("r.json");
    let (out, _d) = Shuffle::new(&[
        "run",
        "--binary",
        bin.to_str().unwrap(),
        "--config-file",
        file.to_str().unwrap(),
        "--seed",
        "5",
        "--shards",
        "1",
        "--report",
        report.to_str().unwrap(),
    ])
    .output();
    assert_code(&out, 105);
    let r = json(report.to_str().unwrap());
    let repro = findings_by_test(&r)["retry flaky"]["repro"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(repro.contains("--retries 0"), "{repro}");
    // The repro shows the failure again: the override's retries would have passed it.
    let words = shell_words::split(&repro).unwrap();
    assert_eq!(words[..3], ["cargo", "shuffle", "run"], "{repro}");
    let args: Vec<&str> = words[2..].iter().map(String::as_str).collect();
    let (out, _d) = Shuffle::new(&args).output();
    assert_code(&out, 100);
    assert!(stderr(&out).contains("FAIL"), "{}", stderr(&out));
}

#[test]
fn without_triage_a_flaky_test_is_still_named_where_the_gate_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bin = harness(dir.path());
    let summary = dir.path().join("s.md");
    let (out, _d) = Shuffle::new(&[
        "run",
        "--binary",
        bin.to_str().unwrap(),
        "--seed",
        "5",
        "--retries",
        "1",
        "--no-triage",
        "--summary",
        summary.to_str().unwrap(),
    ])
    .output();
    assert_code(&out, 105);
    assert!(
        stderr(&out).contains("    FLAKY retry flaky (passed after 1 failed attempt)"),
        "{}",
        stderr(&out)
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("### Flaky tests (1): passed only on a retry")
            && md.contains("- `retry flaky` — passed after 1 failed attempt"),
        "{md}"
    );
}
