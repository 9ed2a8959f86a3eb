//! Test groups, per-test overrides and slow tests from the config file, on `fixtures/groups`:
//! three `db::` tests that each hold one shared resource for 300 ms (and fail if another
//! holds it) in a group with `max-threads = 1` never overlap at `--jobs 4` in process or shared
//! isolation or in a hunt; an override gives one test a timeout the profile does not have; a
//! slow test is shown SLOW and marked slow; `terminate-after` stops a test as timed out;
//! `success-output` / `failure-output` overrides show one test's output (flags beat them); bad
//! overrides and groups are usage errors naming file, line and key.

use crate::common::*;

/// `cargo-shuffle SUB` on the groups fixture with `args`, its shared resource in a fresh
/// directory; with `config`, that text as `--config-file` (else the fixture's own
/// `.config/shuffle.toml`). Returns the output, the JSON written to `--report` and the temp
/// dir (which holds `junit.xml` when `--junit` is asked for with `junit`).
fn groups_run(
    sub: &str,
    config: Option<&str>,
    args: &[&str],
) -> (std::process::Output, serde_json::Value, tempfile::TempDir) {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let report = w.join("report.json");
    let junit = w.join("junit.xml");
    let cfg = w.join("shuffle.toml");
    let mut all = vec![
        "--report",
        report.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ];
    if let Some(text) = config {
        std::fs::write(&cfg, text).unwrap();
        all.extend(["--config-file", cfg.to_str().unwrap()]);
    }
    all.extend_from_slice(args);
    let mut s = Shuffle::on("groups", sub, &all);
    s.cmd.env("GROUPS_LOCK_DIR", w.join("state"));
    let (out, _d) = s.output();
    let record = if report.exists() {
        json(report.to_str().unwrap())
    } else {
        serde_json::Value::Null
    };
    (out, record, work)
}

/// `(start_ms, end_ms, shard)` of the record's tests whose name starts with `prefix`.
fn spans(record: &serde_json::Value, prefix: &str) -> Vec<(u64, u64, u64)> {
    record["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with(prefix))
        .map(|t| {
            (
                t["start_ms"].as_u64().unwrap(),
                t["end_ms"].as_u64().unwrap(),
                t["shard"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Asserts that no two of `spans` overlap in time (one may start in the millisecond the other
/// ended).
fn assert_one_at_a_time(mut spans: Vec<(u64, u64, u64)>, what: &str) {
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "{what}: {:?} overlaps {:?}", w[0], w[1]);
    }
}

/// Arguments of a run of the three `db::` tests and three fast `api::` tests in 4 shards on 4
/// workers; with seed 7 the `db::` tests are in two different shards.
const DB_RUN: &[&str] = &[
    "--seed",
    "7",
    "--shards",
    "4",
    "-j",
    "4",
    "--no-triage",
    "--",
    "db::",
    "api::",
];

#[test]
fn a_group_of_one_thread_runs_its_tests_one_at_a_time_in_both_isolation_modes() {
    for isolation in ["process", "shared"] {
        let mut args = vec!["--isolation", isolation];
        args.extend_from_slice(DB_RUN);
        let (out, record, _w) = groups_run("run", None, &args);
        // The times first: they hold whether or not the tests noticed each other (a test that
        // finds the resource held fails, so the run's code checks the same from inside).
        let db = spans(&record, "db::");
        assert_eq!(db.len(), 3, "{record}");
        // Different shards, run by different workers: only the group keeps them apart.
        let shards: std::collections::BTreeSet<u64> = db.iter().map(|s| s.2).collect();
        assert!(shards.len() >= 2, "{isolation}: {db:?}");
        assert_one_at_a_time(db, isolation);
        assert_code(&out, 0);
    }
}

#[test]
fn a_group_holds_across_the_runs_a_hunt_runs_side_by_side() {
    let args = [
        "--runs",
        "2",
        "--seed",
        "7",
        "-j",
        "4",
        "--no-triage",
        "--",
        "db::",
        "api::",
    ];
    let (out, report, _w) = groups_run("hunt", None, &args);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    // Runs of one batch share their clock (`started_at`); all of their db tests are one group.
    let mut by_batch: std::collections::BTreeMap<String, Vec<(u64, u64, u64)>> = Default::default();
    for r in runs {
        by_batch
            .entry(r["started_at"].to_string())
            .or_default()
            .extend(spans(r, "db::"));
    }
    assert!(by_batch.values().any(|s| s.len() == 6), "{by_batch:?}");
    for (batch, s) in by_batch {
        assert_one_at_a_time(s, &batch);
    }
    assert_code(&out, 0);
}

#[test]
fn an_override_gives_one_test_a_timeout_the_profile_does_not_have() {
    let config = r#"
[[profile.default.overrides]]
filter = "test(=hang::forever)"
timeout = "1s"
"#;
    for isolation in ["process", "shared"] {
        let args = ["--isolation", isolation, "--seed", "3", "--no-triage", "--"];
        let mut args = args.to_vec();
        args.extend(["hang::", "api::", "slow::", "long::"]);
        let (out, record, _w) = groups_run("run", Some(config), &args);
        assert_code(&out, 100);
        // The run has no timeout of its own (a profile's or a flag's would be in the repro).
        let repro = record["repro"].as_str().unwrap();
        assert!(!repro.contains("--timeout"), "{isolation}: {repro}");
        let hang = test_named(&record, "hang::forever");
        assert_eq!(hang["outcome"], "timed-out", "{isolation}: {hang}");
        let msg = hang["message"].as_str().unwrap();
        assert!(
            msg.contains("timed out after 1.0s (the timeout of an override)"),
            "{isolation}: {msg}"
        );
        let took = hang["end_ms"].as_f64().unwrap() - hang["start_ms"].as_f64().unwrap();
        assert!((1000.0..10_000.0).contains(&took), "{isolation}: {hang}");
        for other in ["api::get", "api::post", "api::put", "slow::takes_700ms"] {
            let outcome = &test_named(&record, other)["outcome"];
            assert_eq!(outcome, "passed", "{isolation}: {other}");
        }
        // Longer than the override's timeout, outside its filter: it runs to its end.
        let long = test_named(&record, "long::takes_1500ms");
        assert_eq!(long["outcome"], "passed", "{isolation}: {long}");
        let took = long["end_ms"].as_f64().unwrap() - long["start_ms"].as_f64().unwrap();
        assert!(took >= 1500.0, "{isolation}: {long}");
    }
}

#[test]
fn a_slow_test_is_shown_while_it_runs_and_marked_slow_in_the_reports() {
    let config = "[profile.default]\nslow-timeout = \"250ms\"\n";
    for isolation in ["process", "shared"] {
        let args = ["--isolation", isolation, "--seed", "3", "--no-triage", "--"];
        let mut args = args.to_vec();
        args.extend(["slow::", "api::get"]);
        let (out, record, w) = groups_run("run", Some(config), &args);
        assert_code(&out, 0);
        let err = stderr(&out);
        // 700 ms at a 250 ms period: SLOW after 250 and 500 ms (and later ones on a loaded
        // machine, where the test takes longer), each a multiple of the period.
        let slow_lines: Vec<&str> = err
            .lines()
            .filter(|l| l.trim_start().starts_with("SLOW") && l.contains("slow::takes_700ms"))
            .collect();
        assert!(slow_lines.len() >= 2, "{isolation}: {err}");
        for (line, at) in slow_lines
            .iter()
            .zip(["0.250s", "0.500s", "0.750s", "1.000s"])
        {
            assert!(line.contains(at), "{isolation}: {err}");
        }
        assert_eq!(test_named(&record, "slow::takes_700ms")["slow"], true);
        assert_eq!(test_named(&record, "api::get")["slow"], false);
        let junit = std::fs::read_to_string(w.path().join("junit.xml")).unwrap();
        let doc = roxmltree::Document::parse(&junit).unwrap();
        let slow_case = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("slow::takes_700ms"))
            .unwrap();
        let marked = slow_case
            .descendants()
            .any(|p| p.attribute("name") == Some("slow") && p.attribute("value") == Some("true"));
        assert!(marked, "{isolation}: {junit}");
    }
}

#[test]
fn terminate_after_stops_a_slow_test_as_timed_out() {
    let config = r#"
[[profile.default.overrides]]
filter = "test(=hang::forever)"
slow-timeout = { period = "200ms", terminate-after = 2 }
"#;
    for isolation in ["process", "shared"] {
        let args = ["--isolation", isolation, "--seed", "3", "--no-triage", "--"];
        let mut args = args.to_vec();
        args.extend(["hang::", "api::get"]);
        let (out, record, _w) = groups_run("run", Some(config), &args);
        assert_code(&out, 100);
        let hang = test_named(&record, "hang::forever");
        assert_eq!(hang["outcome"], "timed-out", "{isolation}: {hang}");
        assert_eq!(hang["slow"], true, "{isolation}: {hang}");
        let msg = hang["message"].as_str().unwrap();
        assert!(
            msg.contains("timed out after 0.4s (slow-timeout: 2 periods of 0.2s, terminate-after)"),
            "{isolation}: {msg}"
        );
        let took = hang["end_ms"].as_f64().unwrap() - hang["start_ms"].as_f64().unwrap();
        assert!((400.0..10_000.0).contains(&took), "{isolation}: {hang}");
        assert_eq!(test_named(&record, "api::get")["outcome"], "passed");
    }
}

/// `run --binary /bin/true --config-file FILE` with `text` as the file (no build): the
/// output and the file's path.
fn with_config(text: &str, extra: &[&str]) -> (std::process::Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shuffle.toml");
    std::fs::write(&file, text).unwrap();
    let mut args = vec![
        "run",
        "--binary",
        "/bin/true",
        "--config-file",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (out, _d) = Shuffle::new(&args).output();
    (out, file.display().to_string())
}

#[test]
fn bad_overrides_and_groups_exit_2_naming_file_line_and_key() {
    let cases: &[(&str, &[&str], &str, &[&str])] = &[
        (
            "[[profile.default.overrides]]\nfilter = \"all()\"\ntest-group = \"database\"\n",
            &[],
            ":3:14: key `profile.default.overrides[0].test-group`",
            &["no test group `database`", "[test-groups.database]"],
        ),
        (
            "[test-groups.db]\nmax-threads = 0\n",
            &[],
            ":2:15: key `test-groups.db.max-threads`",
            &["from 1 to 1024"],
        ),
        (
            "[profile.ci]\nslow-timeout = { period = \"1s\", terminate-after = 0 }\n",
            &[],
            ":2:",
            &["profile.ci.slow-timeout", "from 1 to"],
        ),
        (
            "[[profile.default.overrides]]\nfilter = \"all()\"\ntimeout = \"soon\"\n",
            &[],
            ":3:11: key `profile.default.overrides[0].timeout`",
            &["invalid duration `soon`"],
        ),
        (
            "[[profile.default.overrides]]\nfilter = \"all()\"\nretries = 2\n",
            &["--isolation", "shared"],
            ":2:10: key `profile.default.overrides[0].filter`",
            &["`retries`", "--isolation process"],
        ),
        (
            "[[profile.default.overrides]]\nfilter = \"all()\"\nretry = 2\n",
            &[],
            ":3:1: key `profile.default.overrides[0].retry`",
            &["unknown field `retry`"],
        ),
        (
            // Another profile's filter: its syntax is checked whichever profile is selected,
            // so a typo in `ci` shows up before CI.
            "[[profile.ci.overrides]]\nfilter = \"test(=x\"\ntimeout = \"1s\"\n",
            &[],
            ":2:10: key `profile.ci.overrides[0].filter`",
            &["invalid filterset"],
        ),
        (
            "[[profile.default.overrides]]\nfilter = \"all()\"\ntest-group = \"@other\"\n",
            &[],
            ":3:14: key `profile.default.overrides[0].test-group`",
            &["reserved", "\"@global\" (no group)"],
        ),
        (
            // nextest's reserved name as a user group would invert a pasted config.
            "[test-groups.\"@global\"]\nmax-threads = 1\n",
            &[],
            ":1:",
            &[
                "test-groups.",
                "reserved",
                "`@global` is the group of tests in no group",
            ],
        ),
    ];
    for (text, extra, at, says) in cases {
        let (out, file) = with_config(text, extra);
        assert_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(&format!("{file}{at}")), "{text}\n{err}");
        for s in *says {
            assert!(err.contains(s), "{text}\n{err}");
        }
    }
}

#[test]
fn test_group_global_means_no_group_as_in_nextest() {
    // Not an undefined group: the config is accepted (the command then fails on /bin/true,
    // which lists no tests, not on the file).
    let (out, _file) = with_config(
        "[[profile.default.overrides]]\nfilter = \"all()\"\ntest-group = \"@global\"\n",
        &[],
    );
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains("no test group"), "{}", stderr(&out));
}

#[test]
fn a_filter_that_does_not_parse_is_quoted_with_its_position() {
    // The second override: its index is in the key.
    let text = "[[profile.default.overrides]]\nfilter = \"all()\"\n\n[[profile.default.overrides]]\nfilter = \"test(=db::insert\"\ntimeout = \"1s\"\n";
    let (out, file) = with_config(text, &[]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{file}:5:10: key `profile.default.overrides[1].filter`: invalid filterset"
        )),
        "{err}"
    );
    assert!(err.contains("    test(=db::insert\n"), "{err}");
    assert!(err.contains("^"), "{err}");
}

#[test]
fn an_override_filter_naming_a_package_the_workspace_lacks_exits_2() {
    let config = "[[profile.default.overrides]]\nfilter = \"package(=nosuch)\"\ntimeout = \"1s\"\n";
    let (out, _, _w) = groups_run("run", Some(config), &["--no-triage", "--", "api::"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains(":2:10: key `profile.default.overrides[0].filter`: invalid filterset"),
        "{err}"
    );
    assert!(err.contains("package(=nosuch)"), "{err}");
}

/// Overrides select with the whole filterset language: `package()`, `&`, regexes.
#[test]
fn override_filters_use_the_filterset_language() {
    let config = r#"
[[profile.default.overrides]]
filter = "package(=groups-demo) & test(/^hang::/)"
timeout = "1s"
"#;
    let (out, record, _w) = groups_run(
        "run",
        Some(config),
        &["--seed", "3", "--no-triage", "--", "hang::", "api::get"],
    );
    assert_code(&out, 100);
    assert_eq!(test_named(&record, "hang::forever")["outcome"], "timed-out");
    assert_eq!(test_named(&record, "api::get")["outcome"], "passed");
}

const KEEP_ORDER: &str = r#"
[[profile.default.overrides]]
filter = "test(~ordered::)"
shuffle = false
"#;

#[test]
fn shuffle_false_keeps_tests_in_name_order_in_a_last_shard_and_says_so() {
    let plan_args = ["--seed", "11", "--shards", "3"];
    let run_args = |filters: &[&'static str]| -> Vec<&'static str> {
        let mut a = plan_args.to_vec();
        a.extend(["-j", "3", "--no-triage", "--"]);
        a.extend_from_slice(filters);
        a
    };
    let (out, record, w) = groups_run("run", Some(KEEP_ORDER), &run_args(&["ordered::", "api::"]));
    // The ordered:: tests fail unless they run in name order, one after another.
    assert_code(&out, 0);
    assert_eq!(record["unshuffled_shard"], 4, "{record}");
    let plan = recorded_plan(&record);
    assert_eq!(plan.len(), 4);
    assert_eq!(
        plan[3],
        ["a_create", "b_fill", "c_check"].map(|n| format!("groups-demo::lib ordered::{n}"))
    );
    let err = stderr(&out);
    assert!(
        err.contains("not shuffled: shard 4 ran 3 tests in name order (shuffle = false"),
        "{err}"
    );
    // The other tests' plan is the one they have without the opted-out tests.
    let (out, alone, _w) = groups_run("run", Some(""), &run_args(&["api::"]));
    assert_code(&out, 0);
    assert_eq!(recorded_plan(&alone), plan[..3]);
    assert!(alone.get("unshuffled_shard").is_none(), "{alone}");
    // `list` shows the shard as such, in text and JSON.
    let cfg = w.path().join("shuffle.toml");
    let mut list = vec!["--config-file", cfg.to_str().unwrap()];
    list.extend(plan_args);
    for (format, says) in [
        ("json", "\"unshuffled_shard\": 4"),
        (
            "human",
            "shard 4 (3 tests, in name order, not shuffled: shuffle = false):",
        ),
    ] {
        let mut a = list.clone();
        a.extend(["--message-format", format, "--", "ordered::", "api::"]);
        let (out, _d) = Shuffle::on("groups", "list", &a).output();
        assert_code(&out, 0);
        assert!(stdout(&out).contains(says), "{}", stdout(&out));
    }
    // Shared isolation shuffles inside each libtest process: refused, not silently shuffled.
    let mut shared = vec!["--isolation", "shared"];
    shared.extend(run_args(&["ordered::"]));
    let (out, _, _w) = groups_run("run", Some(KEEP_ORDER), &shared);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("`shuffle = false`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_group_in_shared_isolation_with_a_harness_that_refuses_the_flags_still_runs() {
    // The refused process held the group's slot; its tests, one process each, take it again.
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(
        dir.path(),
        "mimic",
        "one: test\\ntwo: test\\n",
        r#"if [ $# -ne 3 ]; then echo "error: unexpected argument" >&2; exit 2; fi
echo 'running 1 test'
echo "test $NAME ... ok"
echo 'test result: ok. 1 passed; 0 failed'"#,
    );
    let cfg = dir.path().join("shuffle.toml");
    let text = "[test-groups.g]\nmax-threads = 1\n\n[[profile.default.overrides]]\nfilter = \"all()\"\ntest-group = \"g\"\n";
    std::fs::write(&cfg, text).unwrap();
    let report = dir.path().join("r.json");
    let (out, _d) = Shuffle::new(&[
        "run",
        "--isolation",
        "shared",
        "--shards",
        "2",
        "-j",
        "2",
        "--no-triage",
        "--binary",
        bin.to_str().unwrap(),
        "--config-file",
        cfg.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ])
    .output();
    assert_code(&out, 0);
    let r = json(report.to_str().unwrap());
    assert_one_at_a_time(spans(&r, ""), "refused harness");
}

#[test]
fn output_overrides_show_one_tests_output_and_the_flags_beat_them() {
    // One passing test's output right away, the failing test's never; the other passing
    // test keeps the profile's (nextest's default: never).
    let config = r#"
[[profile.default.overrides]]
filter = "test(=loud::passes)"
success-output = "immediate"

[[profile.default.overrides]]
filter = "test(=loud::fails)"
failure-output = "never"
"#;
    let (pass, also, fail) = (
        "LOUD_PASSES_PRINTED_THIS",
        "LOUD_ALSO_PASSES_PRINTED_THIS",
        "LOUD_FAILS_PRINTED_THIS",
    );
    for isolation in ["process", "shared"] {
        let shown = |config: &str, flags: &[&str]| {
            let mut args = vec!["--isolation", isolation, "--seed", "3", "--no-triage"];
            args.extend_from_slice(flags);
            args.extend(["--", "loud::"]);
            let (out, record, _w) = groups_run("run", Some(config), &args);
            assert_code(&out, 100);
            assert_eq!(test_named(&record, "loud::fails")["outcome"], "failed");
            let err = stderr(&out);
            let seen = [pass, also, fail].map(|m| err.contains(m));
            (seen, err)
        };
        let (seen, err) = shown(config, &[]);
        assert_eq!(seen, [true, false, false], "{isolation}: {err}");
        // Without the overrides: nextest's defaults (failures immediate, passes never).
        let (seen, err) = shown("", &[]);
        assert_eq!(seen, [false, false, true], "{isolation}: {err}");
        // A flag beats every override of its setting, as in nextest; the other setting's
        // overrides still apply.
        let (seen, err) = shown(config, &["--success-output", "never"]);
        assert_eq!(seen, [false, false, false], "{isolation}: {err}");
        let (seen, err) = shown(config, &["--failure-output", "final"]);
        assert_eq!(seen, [true, false, true], "{isolation}: {err}");
    }
}
