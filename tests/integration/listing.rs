//! Binaries that cannot be listed (issue 14 point 1): a junk harness, a failed `--list`, a
//! loader error. Each is reported (terminal, JUnit `<error>`, JSON `list_errors`, Markdown)
//! while every other binary's tests run, and the command exits 104; `--fail-on-list-error`
//! stops early instead. Fake harnesses only.

use crate::common::*;
use std::path::{Path, PathBuf};

/// The line the junk harness prints whatever it is asked.
const JUNK_LINE: &str = "Finishing up...";

/// A libtest-like binary `file` with tests `t1`, `t2`, `t3`; `failing` names one that fails.
fn good(dir: &Path, file: &str, failing: Option<&str>) -> PathBuf {
    let fail = failing.map_or(String::new(), |f| {
        format!(
            "if [ \"$NAME\" = {f} ]; then echo; echo 'running 1 test'; echo \"test $NAME ... FAILED\"; echo; echo 'failures:'; echo \"    $NAME\"; echo; echo 'test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 2 filtered out; finished in 0.00s'; exit 101; fi; "
        )
    });
    fake_binary(
        dir,
        file,
        "t1: test\\nt2: test\\nt3: test\\n",
        &format!(
            "{fail}echo; echo 'running 1 test'; echo \"test $NAME ... ok\"; echo; echo 'test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out; finished in 0.00s'"
        ),
    )
}

/// An executable shell script `file` with body `body`.
fn script(dir: &Path, file: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(file);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A `harness = false` target whose `main` ignores its arguments.
fn junk(dir: &Path) -> PathBuf {
    script(dir, "junk", &format!("echo '{JUNK_LINE}'\nexit 0"))
}

/// A binary whose dynamic loader fails (as with a missing `libstd-*.so`).
fn loader_error(dir: &Path) -> PathBuf {
    script(
        dir,
        "loader",
        "echo 'loader: error while loading shared libraries: libstd-0123abcd.so: cannot open shared object file: No such file or directory' >&2\nexit 127",
    )
}

/// `--binary P` for each path.
fn binary_args(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .flat_map(|p| ["--binary".to_string(), p.to_str().unwrap().to_string()])
        .collect()
}

/// Runs `cargo-shuffle SUB ARGS… --binary …` in a fresh dir; returns the output and the dir.
fn shuffle(
    sub: &str,
    args: &[&str],
    bins: &[PathBuf],
) -> (std::process::Output, tempfile::TempDir) {
    let bin_args = binary_args(bins);
    let mut all: Vec<&str> = vec![sub];
    all.extend(bin_args.iter().map(String::as_str));
    all.extend_from_slice(args);
    Shuffle::new(&all).output()
}

/// The `<testcase>`s of a JUnit document as `(classname, name)`.
fn testcases(doc: &roxmltree::Document<'_>) -> Vec<(String, String)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            (
                n.attribute("classname").unwrap().to_string(),
                n.attribute("name").unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts that `xml` is strict XML holding exactly one `(listing)` testcase for `junk`, an
/// `<error type="list-error">` quoting the junk line; returns its testcases.
fn assert_junit_names_junk(xml: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(xml).expect("JUnit must be strict XML");
    let listing: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("(listing)"))
        .filter(|n| n.attribute("classname") == Some("junk"))
        .collect();
    assert_eq!(listing.len(), 1, "one listing testcase for junk: {xml}");
    let err = listing[0]
        .children()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error> element");
    assert_eq!(err.attribute("type"), Some("list-error"));
    let msg = err.attribute("message").unwrap();
    assert!(
        msg.contains("`junk`") && msg.contains(&format!("\"{JUNK_LINE}\"")),
        "{msg}"
    );
    testcases(&doc)
}

#[test]
fn a_junk_harness_among_good_binaries_is_reported_everywhere_and_every_good_test_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut bins: Vec<PathBuf> = ["alpha", "beta", "gamma", "delta"]
        .iter()
        .map(|b| good(dir.path(), b, None))
        .collect();
    bins.insert(2, junk(dir.path()));
    bins.push(loader_error(dir.path()));
    let (out, d) = shuffle(
        "run",
        &[
            "--junit",
            "j.xml",
            "--report",
            "r.json",
            "--summary",
            "s.md",
            "--seed",
            "3",
        ],
        &bins,
    );
    assert_code(&out, 104);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("\"{JUNK_LINE}\"")) && err.contains("`junk`"),
        "the error quotes the line and names the binary: {err}"
    );
    assert!(err.contains("libstd-0123abcd.so"), "{err}");
    assert!(
        err.contains("2 of 6 test binaries could not be listed"),
        "{err}"
    );
    assert!(err.contains("12 passed"), "every good test ran: {err}");

    let report = json(d.path().join("r.json").to_str().unwrap());
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 12, "4 good binaries × 3 tests");
    assert!(tests.iter().all(|t| t["outcome"] == "passed"), "{tests:?}");
    let errors = report["list_errors"].as_array().unwrap();
    let ids: Vec<&str> = errors
        .iter()
        .map(|e| e["binary_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["junk", "loader"], "in the order given");
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains(&format!("\"{JUNK_LINE}\"")),
        "{errors:?}"
    );
    assert!(
        errors[1]["error"]
            .as_str()
            .unwrap()
            .contains("exit code 127"),
        "{errors:?}"
    );

    let xml = std::fs::read_to_string(d.path().join("j.xml")).unwrap();
    let cases = assert_junit_names_junk(&xml);
    assert_eq!(cases.len(), 14, "12 tests and 2 listing errors: {cases:?}");
    assert!(cases.contains(&("loader".into(), "(listing)".into())));
    for b in ["alpha", "beta", "gamma", "delta"] {
        for t in ["t1", "t2", "t3"] {
            assert!(cases.contains(&(b.into(), t.into())), "{b} {t}: {cases:?}");
        }
    }

    let md = std::fs::read_to_string(d.path().join("s.md")).unwrap();
    assert!(
        md.contains("could not be listed (2)") && md.contains("- `junk` —"),
        "{md}"
    );
    assert!(md.contains(JUNK_LINE), "{md}");
}

#[test]
fn a_listing_error_gives_104_over_a_failing_test_and_triage_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bins = vec![good(dir.path(), "alpha", Some("t2")), junk(dir.path())];
    let (out, d) = shuffle("run", &["--report", "r.json", "--seed", "3"], &bins);
    assert_code(&out, 104);
    let report = json(d.path().join("r.json").to_str().unwrap());
    assert_eq!(test_named(&report, "t2")["outcome"], "failed");
    assert_eq!(report["triaged"], true);
    let findings = findings_by_test(&report);
    assert!(findings.contains_key("alpha t2"), "{findings:?}");
    assert_eq!(report["list_errors"][0]["binary_id"], "junk");
}

#[test]
fn fail_on_list_error_stops_before_any_test_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bins = vec![good(dir.path(), "alpha", None), junk(dir.path())];
    let (out, d) = shuffle(
        "run",
        &[
            "--fail-on-list-error",
            "--junit",
            "j.xml",
            "--report",
            "r.json",
        ],
        &bins,
    );
    assert_code(&out, 104);
    assert!(stderr(&out).contains(&format!("\"{JUNK_LINE}\"")));
    assert!(!stderr(&out).contains("PASS"), "{}", stderr(&out));
    assert!(!d.path().join("r.json").exists() && !d.path().join("j.xml").exists());
    let (out, _d) = shuffle("list", &["--fail-on-list-error"], &bins);
    assert_code(&out, 104);
    assert_eq!(stdout(&out), "", "no plan");
}

#[test]
fn list_and_shard_report_the_binary_and_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let bins = vec![good(dir.path(), "alpha", None), junk(dir.path())];
    let (out, _d) = shuffle("list", &["--seed", "3", "--shards", "2"], &bins);
    assert_code(&out, 104);
    let plan = stdout(&out);
    assert!(
        plan.contains("alpha t1") && plan.contains("alpha t3"),
        "{plan}"
    );
    assert!(
        plan.contains("could not be listed, not run (1):\n  junk\n"),
        "{plan}"
    );
    assert!(stderr(&out).contains(&format!("\"{JUNK_LINE}\"")));
    let (out, _d) = shuffle("list", &["--seed", "3", "--message-format", "json"], &bins);
    assert_code(&out, 104);
    let listed = json(&stdout(&out));
    assert_eq!(listed["list_errors"][0]["binary_id"], "junk");
    assert_eq!(listed_plan(&listed).concat().len(), 3);

    let (out, d) = shuffle(
        "run",
        &[
            "--seed", "3", "--shards", "2", "--shard", "1", "--report", "r.json",
        ],
        &bins,
    );
    assert_code(&out, 104);
    let report = json(d.path().join("r.json").to_str().unwrap());
    assert_eq!(report["list_errors"][0]["binary_id"], "junk");
    assert!(
        report["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["outcome"] == "passed" && t["shard"] == 1)
    );
}

#[test]
fn a_run_where_no_binary_lists_still_writes_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (out, d) = shuffle(
        "run",
        &["--junit", "j.xml", "--report", "r.json"],
        &[junk(dir.path())],
    );
    assert_code(&out, 104);
    let report = json(d.path().join("r.json").to_str().unwrap());
    assert_eq!(report["tests"].as_array().unwrap().len(), 0);
    assert_eq!(report["list_errors"][0]["binary_id"], "junk");
    let xml = std::fs::read_to_string(d.path().join("j.xml")).unwrap();
    assert_eq!(assert_junit_names_junk(&xml).len(), 1);
}

#[test]
fn merging_partitions_keeps_the_listing_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let bins = vec![
        good(dir.path(), "alpha", None),
        junk(dir.path()),
        good(dir.path(), "beta", None),
    ];
    let work = tempfile::tempdir().unwrap();
    let w = |f: &str| work.path().join(f).to_str().unwrap().to_string();
    for k in 1..=3 {
        let (out, _d) = shuffle(
            "run",
            &[
                "--seed",
                "9",
                "--partition",
                &format!("slice:{k}/3"),
                "--report",
                &w(&format!("p{k}.json")),
                "--junit",
                &w(&format!("p{k}.xml")),
            ],
            &bins,
        );
        assert_code(&out, 104);
    }
    let parts: Vec<String> = (1..=3).map(|k| w(&format!("p{k}.json"))).collect();
    let xml_parts: Vec<String> = (1..=3).map(|k| w(&format!("p{k}.xml"))).collect();
    let mut args: Vec<&str> = vec!["merge", "--report"];
    let (m, mj, mx, ms) = (w("m.json"), w("m.xml"), w("mx.xml"), w("m.md"));
    args.extend([m.as_str(), "--junit", mj.as_str(), "--summary", ms.as_str()]);
    args.extend(parts.iter().map(String::as_str));
    let (out, _d) = Shuffle::new(&args).output();
    assert_code(&out, 104);
    assert!(
        stderr(&out).contains("1 test binary could not be listed"),
        "{}",
        stderr(&out)
    );
    let merged = json(&m);
    assert_eq!(merged["list_errors"].as_array().unwrap().len(), 1);
    assert_eq!(merged["list_errors"][0]["binary_id"], "junk");
    assert_eq!(merged["tests"].as_array().unwrap().len(), 6);
    let cases = assert_junit_names_junk(&std::fs::read_to_string(&mj).unwrap());
    assert_eq!(cases.len(), 7);
    assert!(
        std::fs::read_to_string(&ms)
            .unwrap()
            .contains("could not be listed (1)")
    );
    // From the parts' JUnit files: the listing testcase of each part is kept once.
    let mut args: Vec<&str> = vec!["merge", "--junit", mx.as_str()];
    args.extend(parts.iter().map(String::as_str));
    args.extend(xml_parts.iter().map(String::as_str));
    let (out, _d) = Shuffle::new(&args).output();
    assert_code(&out, 104);
    let cases = assert_junit_names_junk(&std::fs::read_to_string(&mx).unwrap());
    assert_eq!(cases.len(), 7, "{cases:?}");
}

#[test]
fn hunt_runs_the_good_binaries_and_reports_the_junk_one() {
    let dir = tempfile::tempdir().unwrap();
    let bins = vec![good(dir.path(), "alpha", None), junk(dir.path())];
    let (out, d) = shuffle(
        "hunt",
        &[
            "--runs",
            "2",
            "--seed",
            "3",
            "--report",
            "h.json",
            "--junit",
            "j.xml",
            "--summary",
            "s.md",
        ],
        &bins,
    );
    assert_code(&out, 104);
    let report = json(d.path().join("h.json").to_str().unwrap());
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        assert_eq!(r["list_errors"][0]["binary_id"], "junk");
        assert_eq!(r["tests"].as_array().unwrap().len(), 3);
    }
    let xml = std::fs::read_to_string(d.path().join("j.xml")).unwrap();
    assert_eq!(assert_junit_names_junk(&xml).len(), 4);
    let md = std::fs::read_to_string(d.path().join("s.md")).unwrap();
    assert!(md.contains("could not be listed (1)"), "{md}");
}

#[test]
fn the_event_stream_names_the_binary_that_could_not_be_listed_before_any_test_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bins = vec![good(dir.path(), "alpha", None), junk(dir.path())];
    let (out, _d) = shuffle("run", &["--seed", "3", "--message-format", "json"], &bins);
    assert_code(&out, 104);
    let first: serde_json::Value =
        serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "run-started", "{first}");
    let errors = first["list_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{first}");
    assert_eq!(errors[0]["binary_id"], "junk", "{first}");
    assert!(
        errors[0]["error"].as_str().unwrap().contains(JUNK_LINE),
        "{first}"
    );
    // No config file was read: no profile.
    assert!(first["profile"].is_null(), "{first}");
}
