//! `merge`: three partitions run separately, merged, equal one unpartitioned run with the same
//! seed; mismatched seeds, duplicated and missing partitions are refused.

use crate::common::*;
use std::collections::BTreeMap;

/// Runs the demo fixture (without its order-dependent pairs, whose outcomes depend on which
/// tests ran before the victims) and returns the paths of its JSON and JUnit reports.
fn run_part(
    dir: &std::path::Path,
    seed: &str,
    part: Option<&str>,
) -> (std::path::PathBuf, std::path::PathBuf) {
    run_part_with(dir, seed, part, &[])
}

/// `run_part` with extra arguments for the part's run.
fn run_part_with(
    dir: &std::path::Path,
    seed: &str,
    part: Option<&str>,
    extra: &[&str],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let tag = part
        .map(|p| p.replace(['/', ':'], "_"))
        .unwrap_or("all".into());
    let json_path = dir.join(format!("{tag}.json"));
    let xml_path = dir.join(format!("{tag}.xml"));
    let od = demo_od_test_names();
    let mut args = vec![
        "--seed",
        seed,
        "--report",
        json_path.to_str().unwrap(),
        "--junit",
        xml_path.to_str().unwrap(),
    ];
    for name in &od {
        args.extend(["--skip", name.as_str()]);
    }
    if let Some(p) = part {
        args.extend(["--partition", p]);
    }
    args.extend_from_slice(extra);
    let (out, _d) = Shuffle::fixture("run", &args).output();
    let code = out.status.code().unwrap();
    assert!(code == 100 || code == 0, "{}", stderr(&out));
    (json_path, xml_path)
}

fn outcomes(v: &serde_json::Value) -> BTreeMap<String, String> {
    v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().into(),
                t["outcome"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn three_partitions_merge_into_the_unpartitioned_run() {
    let dir = tempfile::tempdir().unwrap();
    let (all_json, _) = run_part(dir.path(), "31", None);
    let mut inputs = Vec::new();
    for k in 1..=3 {
        // Each part in its own temp dir, as separate CI jobs would be.
        let job = tempfile::tempdir().unwrap();
        let (j, x) = run_part(job.path(), "31", Some(&format!("{k}/3")));
        let keep_j = dir.path().join(format!("p{k}.json"));
        let keep_x = dir.path().join(format!("p{k}.xml"));
        std::fs::copy(j, &keep_j).unwrap();
        std::fs::copy(x, &keep_x).unwrap();
        inputs.push(keep_j);
        inputs.push(keep_x);
    }
    let merged_json = dir.path().join("merged.json");
    let merged_xml = dir.path().join("merged.xml");
    let summary = dir.path().join("summary.md");
    let mut args = vec![
        "merge".to_string(),
        "--report".into(),
        merged_json.display().to_string(),
        "--junit".into(),
        merged_xml.display().to_string(),
        "--summary".into(),
        summary.display().to_string(),
    ];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, _d) = Shuffle::new(&args).output();
    assert_code(&out, 100);
    let merged = json(merged_json.to_str().unwrap());
    let all = json(all_json.to_str().unwrap());
    assert_eq!(
        outcomes(&merged),
        outcomes(&all),
        "same tests, same outcomes"
    );
    assert_eq!(
        merged["plan"], all["plan"],
        "the merged plan is the unpartitioned plan"
    );
    assert_eq!(merged["seed"], "31");
    // The merged record keeps the run-record keys: the runners' cost, the baseline section.
    assert!(
        merged["runner"]["cpu_ms"].as_f64().unwrap() > 0.0,
        "{}",
        merged["runner"]
    );
    assert!(merged.get("baseline").is_some());
    let xml = std::fs::read_to_string(&merged_xml).unwrap();
    assert_junit_times_add_up(&xml);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, outcomes(&all).len());
    assert!(
        !xml.contains("--partition"),
        "the merged run is unpartitioned"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("Seed `31`"));
    assert!(
        md.contains("### Failing tests") && md.contains("parse_fails"),
        "{md}"
    );
    // The merge is the pipeline's gate job: its log has the run's summary, each failing test
    // with its finding's repro, the findings, the seed and the unpartitioned run's command.
    let err = stderr(&out);
    let findings = merged["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{merged}");
    for f in findings {
        let (test, repro) = (f["test"].as_str().unwrap(), f["repro"].as_str().unwrap());
        assert!(
            err.contains(&format!("{test} — ")),
            "the failing test and its finding: {err}"
        );
        assert_eq!(
            err.matches(&format!("      repro: {repro}\n")).count(),
            1,
            "{err}"
        );
    }
    assert!(err.contains("parse_fails"), "{err}");
    assert!(err.contains("──────────── summary ────────────"), "{err}");
    assert!(err.contains("seed: 31"), "{err}");
    assert!(
        err.contains(&format!(
            "reproduce this run: {}\n",
            merged["repro"].as_str().unwrap()
        )),
        "{err}"
    );

    // A JUnit file of a part given twice (instead of another part's) is refused.
    let mixed: Vec<String> = vec![
        "merge".into(),
        inputs[0].display().to_string(),
        inputs[2].display().to_string(),
        inputs[4].display().to_string(),
        inputs[1].display().to_string(),
        inputs[1].display().to_string(),
        inputs[3].display().to_string(),
    ];
    let (out, _d) = Shuffle::new(&mixed.iter().map(String::as_str).collect::<Vec<_>>()).output();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("appears twice among the JUnit files"),
        "{}",
        stderr(&out)
    );
    // A missing part is refused (or accepted with --allow-missing), a duplicate too.
    let two: Vec<String> = vec![
        "merge".into(),
        inputs[0].display().to_string(),
        inputs[2].display().to_string(),
    ];
    let (out, _d) = Shuffle::new(&two.iter().map(String::as_str).collect::<Vec<_>>()).output();
    assert_code(&out, 2);
    assert!(stderr(&out).contains("3/3 missing"), "{}", stderr(&out));
    let dup: Vec<String> = vec![
        "merge".into(),
        inputs[0].display().to_string(),
        inputs[0].display().to_string(),
    ];
    let (out, _d) = Shuffle::new(&dup.iter().map(String::as_str).collect::<Vec<_>>()).output();
    assert_code(&out, 2);
    assert!(stderr(&out).contains("appears twice"), "{}", stderr(&out));
}

#[test]
fn merge_refuses_partitions_of_different_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = run_part(dir.path(), "1", Some("1/2"));
    let other = tempfile::tempdir().unwrap();
    let (b, _) = run_part(other.path(), "2", Some("2/2"));
    let (out, _d) = Shuffle::new(&["merge", a.to_str().unwrap(), b.to_str().unwrap()]).output();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("must share --seed"),
        "{}",
        stderr(&out)
    );
}

/// Copies a fixture's source (not its build) to `dest`, like a fresh checkout on a CI machine.
fn checkout(fixture: &str, dest: &std::path::Path) {
    let src = repo().join("fixtures").join(fixture);
    let ok = std::process::Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", src.display()))
        .arg(dest)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let _ = std::fs::remove_dir_all(dest.join("target"));
}

#[test]
fn build_once_archive_then_three_partitions_elsewhere_merge_into_the_unpartitioned_run() {
    let dir = tempfile::tempdir().unwrap();
    let (all_json, _) = run_part(dir.path(), "31", None);
    // Build job: archive.
    let archive = dir.path().join("tests.tar.gz");
    let (out, _d) = Shuffle::fixture("archive", &["-o", archive.to_str().unwrap()]).output();
    assert_code(&out, 0);
    // Partition jobs: a fresh checkout each, no cargo build, separate temp dirs.
    let mut inputs: Vec<String> = vec!["merge".into()];
    for k in 1..=3 {
        let job = tempfile::tempdir().unwrap();
        let src = job.path().join("src");
        std::fs::create_dir(&src).unwrap();
        checkout("demo", &src);
        let report = dir.path().join(format!("p{k}.json"));
        let part = format!("{k}/3");
        let od = demo_od_test_names();
        let (out, _d) = {
            let mut args = vec![
                "run",
                "--archive",
                archive.to_str().unwrap(),
                "--workspace-root",
                src.to_str().unwrap(),
                "--seed",
                "31",
                "--partition",
                &part,
                "--report",
                report.to_str().unwrap(),
            ];
            for name in &od {
                args.extend(["--skip", name.as_str()]);
            }
            let mut s = Shuffle::new(&args);
            s.cmd.current_dir(job.path());
            s.output()
        };
        let code = out.status.code().unwrap();
        assert!(code == 0 || code == 100, "{}", stderr(&out));
        assert!(
            !src.join("target").exists(),
            "nothing was built in the checkout"
        );
        inputs.push(report.display().to_string());
    }
    let merged = dir.path().join("merged.json");
    inputs.extend(["--report".into(), merged.display().to_string()]);
    let (out, _d) = Shuffle::new(&inputs.iter().map(String::as_str).collect::<Vec<_>>()).output();
    assert_code(&out, 100);
    let merged = json(merged.to_str().unwrap());
    let all = json(all_json.to_str().unwrap());
    assert_eq!(
        outcomes(&merged),
        outcomes(&all),
        "same tests, same outcomes"
    );
    assert_eq!(merged["plan"], all["plan"]);
}

#[test]
fn an_archive_carries_build_script_output_bin_exes_and_config_env() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("env.tar.gz");
    let target = repo().join("target/fixture-env");
    let (out, _d) = {
        let mut s = Shuffle::new(&[
            "archive",
            "--target-dir",
            target.to_str().unwrap(),
            "-o",
            archive.to_str().unwrap(),
        ]);
        s.cmd
            .current_dir(repo().join("fixtures/env"))
            .env("FIXTURE_FORCED", "outer");
        s.output()
    };
    assert_code(&out, 0);
    let src = dir.path().join("checkout");
    std::fs::create_dir(&src).unwrap();
    checkout("env", &src);
    let run_archive = |file: &std::path::Path, cwd: &std::path::Path| {
        let mut s = Shuffle::new(&["run", "--archive", file.to_str().unwrap(), "--no-triage"]);
        s.cmd.current_dir(cwd);
        s.output().0
    };
    // Not in a checkout: every package directory is missing; said up front, exit 2.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = run_archive(&archive, elsewhere.path());
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("--workspace-root"),
        "{}",
        stderr(&out)
    );
    // A damaged archive (its gzip trailer cut off: tar alone would not notice) is refused.
    let bytes = std::fs::read(&archive).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() - 8]).unwrap();
    let out = run_archive(&cut, &src);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
    let report = dir.path().join("r.json");
    let (out, _d) = {
        let mut s = Shuffle::new(&[
            "run",
            "--archive",
            archive.to_str().unwrap(),
            "--seed",
            "2",
            "--report",
            report.to_str().unwrap(),
        ]);
        s.cmd.current_dir(&src);
        s.output()
    };
    assert_code(&out, 0);
    // 6: the checkout's .cargo/config.toml (its [env] and target runner) applies there too.
    assert_eq!(json(report.to_str().unwrap())["counts"]["passed"], 6);
    // A file that is not an archive is a usage error naming it.
    let (out, _d) = Shuffle::new(&["run", "--archive", "/etc/hostname"]).output();
    assert_code(&out, 2);
    assert!(stderr(&out).contains("/etc/hostname"));
}

#[test]
fn merge_refuses_a_part_with_another_selection_or_run_with_shard() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = run_part(dir.path(), "9", Some("1/2"));
    let other = tempfile::tempdir().unwrap();
    let (b, _) = run_part_with(other.path(), "9", Some("2/2"), &["--skip", "parse"]);
    let (out, _d) = Shuffle::new(&["merge", a.to_str().unwrap(), b.to_str().unwrap()]).output();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("selected or ran its tests differently"),
        "{}",
        stderr(&out)
    );
    let third = tempfile::tempdir().unwrap();
    let (c, _) = run_part_with(third.path(), "9", Some("2/2"), &["--shard", "2"]);
    let (out, _d) = Shuffle::new(&["merge", a.to_str().unwrap(), c.to_str().unwrap()]).output();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("was it run with --shard?"),
        "{}",
        stderr(&out)
    );
}

/// A testcase as compared: outcome, message, rerun elements, sorted properties.
type Case = (String, String, Vec<String>, Vec<String>);

/// Each testcase of a JUnit file, keyed by (classname, name): its outcome (the `failure`,
/// `error` or `skipped` element and its `type`, else `passed`), message, its rerun elements
/// and its properties.
fn junit_cases(xml: &str) -> BTreeMap<(String, String), Case> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let mut cases = BTreeMap::new();
    for tc in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let key = (
            tc.attribute("classname").unwrap_or_default().to_string(),
            tc.attribute("name").unwrap_or_default().to_string(),
        );
        let children: Vec<_> = tc.children().filter(|c| c.is_element()).collect();
        let status = children
            .iter()
            .find(|c| ["failure", "error", "skipped"].contains(&c.tag_name().name()));
        let outcome = status.map_or("passed".to_string(), |s| {
            format!(
                "{} {}",
                s.tag_name().name(),
                s.attribute("type").unwrap_or_default()
            )
        });
        let message = status
            .and_then(|s| s.attribute("message"))
            .unwrap_or_default()
            .to_string();
        let reruns: Vec<String> = children
            .iter()
            .filter(|c| {
                c.tag_name().name().ends_with("Failure") || c.tag_name().name().ends_with("Error")
            })
            .map(|c| {
                format!(
                    "{} {}",
                    c.tag_name().name(),
                    c.attribute("message").unwrap_or_default()
                )
            })
            .collect();
        let mut props: Vec<String> = tc
            .descendants()
            .filter(|n| n.has_tag_name("property"))
            .map(|p| {
                format!(
                    "{}={}",
                    p.attribute("name").unwrap(),
                    p.attribute("value").unwrap()
                )
            })
            .collect();
        props.sort();
        assert!(
            cases
                .insert(key.clone(), (outcome, message, reruns, props))
                .is_none(),
            "{key:?} twice"
        );
    }
    cases
}

#[test]
fn merge_of_json_records_alone_writes_the_junit_that_merge_of_the_xml_files_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut json_in = Vec::new();
    let mut xml_in = Vec::new();
    for k in 1..=3 {
        let job = tempfile::tempdir().unwrap();
        let (j, x) = run_part_with(
            job.path(),
            "47",
            Some(&format!("slice:{k}/3")),
            &["--retries", "1"],
        );
        let keep_j = dir.path().join(format!("p{k}.json"));
        let keep_x = dir.path().join(format!("p{k}.xml"));
        std::fs::copy(j, &keep_j).unwrap();
        std::fs::copy(x, &keep_x).unwrap();
        json_in.push(keep_j.display().to_string());
        xml_in.push(keep_x.display().to_string());
    }
    let merge = |inputs: &[String], junit: &std::path::Path| {
        let mut args = vec![
            "merge".to_string(),
            "--junit".into(),
            junit.display().to_string(),
        ];
        args.extend(inputs.iter().cloned());
        let (out, _d) = Shuffle::new(&args.iter().map(String::as_str).collect::<Vec<_>>()).output();
        assert_code(&out, 100);
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
        std::fs::read_to_string(junit).unwrap()
    };
    let from_xml = merge(
        &json_in.iter().chain(&xml_in).cloned().collect::<Vec<_>>(),
        &dir.path().join("from-xml.xml"),
    );
    let from_json = merge(&json_in, &dir.path().join("from-json.xml"));
    assert_junit_times_add_up(&from_xml);
    assert_junit_times_add_up(&from_json);
    let (a, b) = (junit_cases(&from_xml), junit_cases(&from_json));
    assert!(a.len() > 5, "{from_xml}");
    assert!(
        a.values().any(|(o, ..)| o != "passed")
            && a.values()
                .any(|(_, _, _, p)| p.iter().any(|p| p.starts_with("finding="))),
        "the parts have failures and findings: {from_xml}"
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert_eq!(&b[k], v, "testcase {k:?}");
    }
    assert!(
        !from_json.contains("--partition"),
        "the merged run is unpartitioned"
    );
}

/// Checks a JUnit document with a strict XML parser: `<testsuites>` and every `<testsuite>`
/// have a valid ISO 8601 (RFC 3339) `timestamp`, and every testsuite lies inside the report
/// (its `time` at most the report's, from no earlier than the report's start to no later than
/// its end).
pub(crate) fn assert_junit_times_add_up(xml: &str) {
    let doc = roxmltree::Document::parse(xml).expect("JUnit must be well-formed XML");
    let root = doc.root_element();
    let stamp = |n: roxmltree::Node<'_, '_>| {
        let t = n
            .attribute("timestamp")
            .unwrap_or_else(|| panic!("<{}> has no timestamp: {xml}", n.tag_name().name()));
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap_or_else(|e| panic!("timestamp {t:?} is not ISO 8601: {e}"))
    };
    let secs =
        |n: roxmltree::Node<'_, '_>| -> f64 { n.attribute("time").unwrap().parse().unwrap() };
    let (start, time) = (stamp(root), secs(root));
    let end = start + chrono::Duration::milliseconds((time * 1000.0).round() as i64 + 1);
    let mut suites = 0;
    for s in root.children().filter(|n| n.has_tag_name("testsuite")) {
        suites += 1;
        let name = s.attribute("name").unwrap();
        assert!(
            secs(s) <= time,
            "testsuite {name}: time {} > testsuites time {time}",
            secs(s)
        );
        let s_start = stamp(s);
        assert!(
            s_start >= start,
            "testsuite {name} starts before the report"
        );
        let s_end = s_start + chrono::Duration::milliseconds((secs(s) * 1000.0).round() as i64);
        assert!(s_end <= end, "testsuite {name} ends after the report");
    }
    assert!(suites > 0, "{xml}");
}

/// A fake libtest binary of 10 tests, `t0`..`t9`, of which `t3` fails.
fn ten_tests_one_failing(dir: &std::path::Path) -> std::path::PathBuf {
    let list: String = (0..10).map(|i| format!("t{i}: test\\n")).collect();
    fake_binary(
        dir,
        "ten",
        &list,
        "echo 'running 1 test'; if [ \"$NAME\" = t3 ]; then echo \"test $NAME ... FAILED\"; echo 'test result: FAILED. 0 passed; 1 failed'; exit 101; fi; echo \"test $NAME ... ok\"; echo 'test result: ok. 1 passed; 0 failed'",
    )
}

#[test]
fn a_merge_missing_the_part_with_the_failure_says_so_everywhere_and_is_not_green() {
    let dir = tempfile::tempdir().unwrap();
    let bin = ten_tests_one_failing(dir.path());
    // Three slice parts of 10 tests (4, 3, 3), each a JSON record and a JUnit file.
    let mut failing_part = 0;
    for k in 1..=3 {
        let (json_path, xml_path) = (
            dir.path().join(format!("part-{k}.json")),
            dir.path().join(format!("part-{k}.xml")),
        );
        let part = format!("slice:{k}/3");
        let (out, _d) = Shuffle::new(&[
            "run",
            "--binary",
            bin.to_str().unwrap(),
            "--seed",
            "7",
            "--no-triage",
            "--partition",
            &part,
            "--report",
            json_path.to_str().unwrap(),
            "--junit",
            xml_path.to_str().unwrap(),
        ])
        .output();
        let code = out.status.code().unwrap();
        assert!(code == 0 || code == 100, "{}", stderr(&out));
        if code == 100 {
            failing_part = k;
        }
        assert_junit_times_add_up(&std::fs::read_to_string(&xml_path).unwrap());
    }
    assert_ne!(failing_part, 0, "t3 is in one part");
    let file = |k: u32, ext: &str| {
        dir.path()
            .join(format!("part-{k}.{ext}"))
            .display()
            .to_string()
    };
    let others: Vec<u32> = (1..=3).filter(|k| *k != failing_part).collect();
    let missing = format!("slice:{failing_part}/3");
    let merged_json = dir.path().join("merged.json");
    let summary = dir.path().join("summary.md");
    let junit = dir.path().join("merged.xml");
    let merge = |extra: &[String]| {
        let mut args: Vec<String> = vec![
            "merge".into(),
            "--allow-missing".into(),
            "--report".into(),
            merged_json.display().to_string(),
            "--summary".into(),
            summary.display().to_string(),
            "--junit".into(),
            junit.display().to_string(),
        ];
        args.extend(extra.iter().cloned());
        Shuffle::new(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .output()
            .0
    };
    for with_xml in [false, true] {
        let mut inputs: Vec<String> = others.iter().map(|k| file(*k, "json")).collect();
        if with_xml {
            inputs.extend(others.iter().map(|k| file(*k, "xml")));
        }
        let out = merge(&inputs);
        // The parts given passed, but a third of the suite never ran: not green.
        assert_code(&out, 103);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("merged 2 of 3 partitions (MISSING: {missing})")),
            "{err}"
        );
        assert!(
            err.contains(&format!("warning: partition {missing} missing: its "))
                && err.contains("planned tests never ran"),
            "{err}"
        );
        assert!(
            err.contains("INCOMPLETE") && err.contains("exit 103"),
            "{err}"
        );
        let md = std::fs::read_to_string(&summary).unwrap();
        assert!(
            md.contains("**Incomplete: 1 of 3 partitions missing.**")
                && md.contains(&format!("partition {missing} missing: its ")),
            "{md}"
        );
        let merged = json(merged_json.to_str().unwrap());
        assert_eq!(merged["missing_partitions"], serde_json::json!([missing]));
        let detail = &merged["missing_parts"][0];
        assert_eq!(detail["partition"], missing.as_str());
        let (lo, hi) = (
            detail["tests_at_least"].as_u64().unwrap(),
            detail["tests_at_most"].as_u64().unwrap(),
        );
        let size = if failing_part == 1 { 4 } else { 3 };
        assert!(lo <= size && size <= hi && hi - lo <= 1, "{detail}");
        assert!(merged["started_at"].is_string(), "{merged}");
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert_junit_times_add_up(&xml);
        assert!(!xml.contains("name=\"t3\""), "{xml}");
    }
    // All three: the failure is there, exit 100, nothing missing.
    let all: Vec<String> = (1..=3).map(|k| file(k, "json")).collect();
    let out = merge(&all);
    assert_code(&out, 100);
    assert!(!stderr(&out).contains("MISSING"), "{}", stderr(&out));
    assert!(
        !std::fs::read_to_string(&summary)
            .unwrap()
            .contains("Incomplete")
    );
    // Without --allow-missing, a missing part is refused and the error says what
    // --allow-missing would do.
    let mut args = vec!["merge".to_string()];
    args.extend(others.iter().map(|k| file(*k, "json")));
    let (out, _d) = Shuffle::new(&args.iter().map(String::as_str).collect::<Vec<_>>()).output();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains(&format!("partition(s) {missing} missing"))
            && stderr(&out).contains("exits 103"),
        "{}",
        stderr(&out)
    );
}
