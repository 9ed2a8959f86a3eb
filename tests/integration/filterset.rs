//! Filtersets (`-E`, issue 15 point 4) on the `filterset` fixture (two packages with `db::`
//! tests, `app` depending on `dbkit`) and on fake harnesses: exactly the matching tests are
//! listed and run, every selected test keeps its shard and its place in the shard's order, the
//! repro command carries `-E` and selects the same tests again, and a bad expression exits 2
//! with the expression quoted and the position marked.

use crate::common::*;
use std::collections::BTreeSet;

/// The expression of issue 15's acceptance test.
const DB_OF_APP: &str = "package(=app) & test(/^db::/)";

/// The tests `DB_OF_APP` selects in the fixture (see fixtures/filterset/README.md).
const DB_OF_APP_TESTS: [&str; 3] = [
    "app::lib db::migrate",
    "app::lib db::query",
    "app::test/api db::roundtrip",
];

/// `cargo-shuffle list` on the fixture with `args`, as JSON; asserts success.
fn listed(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--message-format", "json", "--seed", "7", "--shards", "3"];
    all.extend_from_slice(args);
    let (o, _dir) = Shuffle::on("filterset", "list", &all).output();
    assert_code(&o, 0);
    json(&stdout(&o))
}

/// The test ids of a plan, sorted.
fn ids(plan: &[Vec<String>]) -> BTreeSet<String> {
    plan.iter().flatten().cloned().collect()
}

/// `plan` with only the tests in `keep` (each shard keeps its order).
fn restricted(plan: &[Vec<String>], keep: &BTreeSet<String>) -> Vec<Vec<String>> {
    plan.iter()
        .map(|s| s.iter().filter(|t| keep.contains(*t)).cloned().collect())
        .collect()
}

#[test]
fn list_e_shows_exactly_the_matching_tests_in_the_unfiltered_plan_places() {
    let all = listed_plan(&listed(&[]));
    let filtered = listed_plan(&listed(&["-E", DB_OF_APP]));
    let want: BTreeSet<String> = DB_OF_APP_TESTS.iter().map(|s| s.to_string()).collect();
    assert_eq!(ids(&filtered), want);
    assert!(ids(&all).len() > want.len() + 5, "{all:?}");
    // Same shard, same relative order: the filtered plan is the full plan restricted.
    assert_eq!(filtered, restricted(&all, &want));

    // Several -E are OR-ed; deps()/rdeps() follow app's dependency on dbkit.
    let either = ids(&listed_plan(&listed(&[
        "-E",
        "test(=db::pool_opens)",
        "-E",
        "binary_id(app::test/api) & test(api_smoke)",
    ])));
    assert_eq!(
        either,
        ["app::test/api api_smoke", "dbkit::lib db::pool_opens"]
            .map(String::from)
            .into()
    );
    let deps = ids(&listed_plan(&listed(&[
        "-E",
        "deps(app) & test(/^db::pool/)",
    ])));
    assert_eq!(deps.len(), 2, "{deps:?}");
    let rdeps = ids(&listed_plan(&listed(&[
        "-E",
        "rdeps(dbkit) - package(dbkit)",
    ])));
    assert_eq!(rdeps.len(), 7, "{rdeps:?}");
    assert!(rdeps.iter().all(|t| t.starts_with("app::")), "{rdeps:?}");
    // nextest's spelling of an id works too, and kind() tells the test target apart.
    let nextest_id = ids(&listed_plan(&listed(&["-E", "binary_id(app::api)"])));
    let kind = ids(&listed_plan(&listed(&["-E", "kind(test)"])));
    assert_eq!(nextest_id, kind);
    assert_eq!(kind.len(), 2);
}

#[test]
fn run_e_runs_exactly_the_matching_tests_and_its_repro_selects_them_again() {
    let (o, dir) = Shuffle::on(
        "filterset",
        "run",
        &[
            "--seed", "7", "--shards", "3", "-E", DB_OF_APP, "--report", "run.json",
        ],
    )
    .output();
    assert_code(&o, 0);
    let record = json(dir.path().join("run.json").to_str().unwrap());
    let ran: BTreeSet<String> = record["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = DB_OF_APP_TESTS.iter().map(|s| s.to_string()).collect();
    assert_eq!(ran, want);
    let plan = recorded_plan(&record);
    let all = listed_plan(&listed(&[]));
    assert_eq!(plan, restricted(&all, &want));

    // The other tests, selected by the complement, keep their plan too: a test's shard and
    // place depend on the seed, not on which other tests are selected.
    let others_expr = format!("not ({DB_OF_APP})");
    let (o, dir_others) = Shuffle::on(
        "filterset",
        "run",
        &[
            "--seed",
            "7",
            "--shards",
            "3",
            "-E",
            &others_expr,
            "--report",
            "others.json",
        ],
    )
    .output();
    assert_code(&o, 0);
    let others = json(dir_others.path().join("others.json").to_str().unwrap());
    let others_plan = recorded_plan(&others);
    let rest: BTreeSet<String> = ids(&all).difference(&want).cloned().collect();
    assert_eq!(ids(&others_plan), rest);
    assert_eq!(others_plan, restricted(&all, &rest));

    // The repro command quotes the expression and, run, plans the same tests the same way.
    let repro = record["repro"].as_str().unwrap();
    assert!(
        repro.contains("-E 'package(=app) & test(/^db::/)'"),
        "{repro}"
    );
    let words = shell_words::split(repro).unwrap();
    assert_eq!(words[..3], ["cargo", "shuffle", "run"]);
    let mut args: Vec<&str> = words[2..].iter().map(String::as_str).collect();
    args.extend(["--report", "again.json"]);
    let (o2, dir2) = Shuffle::new(&args).output();
    assert_code(&o2, 0);
    let again = json(dir2.path().join("again.json").to_str().unwrap());
    assert_eq!(recorded_plan(&again), plan);
}

/// Two fake libtest binaries named as cargo-shuffle names cargo's targets.
fn fake_pair(dir: &std::path::Path) -> Vec<String> {
    let ok = "echo; echo \"test $NAME ... ok\"; echo 'test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s'";
    let a = fake_binary(dir, "a", "db::one: test\\nui::two: test\\n", ok);
    let b = fake_binary(dir, "b", "db::three: test\\n", ok);
    vec![
        "--binary".into(),
        format!("app::test/api={}", a.display()),
        "--binary".into(),
        format!("kit::lib={}", b.display()),
    ]
}

#[test]
fn an_invalid_expression_exits_2_quoting_it_with_the_position_marked() {
    let dir = tempfile::tempdir().unwrap();
    let bins = fake_pair(dir.path());
    let run = |expr: &str| {
        let mut args: Vec<&str> = vec!["list", "-E", expr];
        args.extend(bins.iter().map(String::as_str));
        let (o, _d) = Shuffle::new(&args).output();
        assert_code(&o, 2);
        assert!(o.stdout.is_empty());
        let err = stderr(&o);
        assert!(!err.contains('\x1b'), "ANSI escapes in {err:?}");
        err
    };
    // A syntax error: the expression quoted, `^` under the missing parenthesis.
    let err = run("package(=app) & test(/^db::/");
    let lines: Vec<&str> = err.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == "package(=app) & test(/^db::/")
        .unwrap_or_else(|| panic!("expression not quoted: {err}"));
    assert!(lines[0].contains("-E/--filterset"), "{err}");
    let marker = lines[at + 1];
    let quoted_at = lines[at].find("package").unwrap();
    assert!(marker.trim_start().starts_with('^'), "{err}");
    // Right after the expression's last character, where the `)` is missing, and said so.
    let expr_len = "package(=app) & test(/^db::/".len();
    assert_eq!(marker.find('^').unwrap(), quoted_at + expr_len, "{err}");
    assert!(marker.contains("missing `)`"), "{err}");
    // A package the binaries do not have: marked, with the packages there are.
    let err = run("package(=nope) | test(x)");
    assert!(err.contains("didn't match any packages"), "{err}");
    assert!(
        err.contains("        ^^^^^ no packages matched this"),
        "{err}"
    );
    assert!(err.contains("the packages are: app, kit"), "{err}");
    // deps() needs cargo's graph, which --binary runs do not have.
    let err = run("deps(app)");
    assert!(
        err.contains("deps() and rdeps() need cargo's dependency graph"),
        "{err}"
    );
}

#[test]
fn binary_ids_given_to_binary_select_by_package_and_either_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let bins = fake_pair(dir.path());
    let list = |expr: &str| {
        let mut args: Vec<&str> = vec!["list", "--message-format", "oneline", "-E", expr];
        args.extend(bins.iter().map(String::as_str));
        let (o, _d) = Shuffle::new(&args).output();
        assert_code(&o, 0);
        let mut v: Vec<String> = stdout(&o).lines().map(String::from).collect();
        v.sort();
        v
    };
    assert_eq!(
        list("package(app) & test(/^db::/)"),
        ["app::test/api db::one"]
    );
    assert_eq!(list("binary_id(kit::lib)"), ["kit::lib db::three"]);
    assert_eq!(list("binary_id(=kit)"), ["kit::lib db::three"]);
    assert_eq!(list("binary_id(app::api)").len(), 2);
    assert_eq!(list("not kind(lib)").len(), 2);
}

/// Runs partition `part` of the fixture with `-E expr`; returns the record's path.
fn part(dir: &std::path::Path, part: &str, expr: &str) -> std::path::PathBuf {
    let report = dir.join(format!("{}.json", part.replace('/', "_")));
    let (o, _d) = Shuffle::on(
        "filterset",
        "run",
        &[
            "--seed",
            "5",
            "--partition",
            part,
            "-E",
            expr,
            "--report",
            report.to_str().unwrap(),
        ],
    )
    .output();
    assert_code(&o, 0);
    report
}

#[test]
fn merge_takes_parts_with_the_same_filterset_and_refuses_different_ones() {
    let dir = tempfile::tempdir().unwrap();
    let a = part(dir.path(), "1/2", "test(db::)");
    let b = part(dir.path(), "2/2", "test(db::)");
    let merged = dir.path().join("merged.json");
    let (o, _d) = Shuffle::new(&[
        "merge",
        "--report",
        merged.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ])
    .output();
    assert_code(&o, 0);
    let names: BTreeSet<String> = json(merged.to_str().unwrap())["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(names.iter().all(|n| n.contains("db::")), "{names:?}");

    let other = tempfile::tempdir().unwrap();
    let c = part(other.path(), "2/2", "test(ui::)");
    let (o, _d) = Shuffle::new(&["merge", a.to_str().unwrap(), c.to_str().unwrap()]).output();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("selected or ran its tests differently"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_archive_run_selects_with_the_cargo_metadata_it_stores() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("tests.tar.gz");
    let (o, _d) = Shuffle::on("filterset", "archive", &["-o", archive.to_str().unwrap()]).output();
    assert_code(&o, 0);
    let src = repo().join("fixtures/filterset");
    let list = |expr: &str| {
        let mut s = Shuffle::new(&[
            "list",
            "--archive",
            archive.to_str().unwrap(),
            "--message-format",
            "oneline",
            "-E",
            expr,
        ]);
        s.cmd.current_dir(&src);
        s.output().0
    };
    let o = list(DB_OF_APP);
    assert_code(&o, 0);
    let got: BTreeSet<String> = stdout(&o).lines().map(String::from).collect();
    let want: BTreeSet<String> = DB_OF_APP_TESTS.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, want);
    // The archive stores the workspace's cargo metadata: dependencies and kinds work too.
    let o = list("rdeps(dbkit) & test(=db::pool_opens) | deps(app) & kind(test)");
    assert_code(&o, 0);
    let got: BTreeSet<String> = stdout(&o).lines().map(String::from).collect();
    assert_eq!(
        got,
        [
            "app::test/api api_smoke",
            "app::test/api db::roundtrip",
            "dbkit::lib db::pool_opens"
        ]
        .map(String::from)
        .into()
    );
    let o = list("package(=nope)");
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("the packages are: app, dbkit"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_hunt_runs_only_the_selected_tests_and_its_repro_keeps_the_filterset() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("h.json");
    let (o, _d) = Shuffle::on(
        "filterset",
        "hunt",
        &[
            "--seed",
            "3",
            "--runs",
            "3",
            "--no-triage",
            "-E",
            DB_OF_APP,
            "--report",
            report.to_str().unwrap(),
        ],
    )
    .output();
    assert_code(&o, 0);
    let r = json(report.to_str().unwrap());
    let want: BTreeSet<String> = DB_OF_APP_TESTS.iter().map(|s| s.to_string()).collect();
    for run in r["runs"].as_array().unwrap() {
        assert_eq!(ids(&recorded_plan(run)), want);
        let repro = run["repro"].as_str().unwrap();
        assert!(
            repro.contains("-E 'package(=app) & test(/^db::/)'"),
            "{repro}"
        );
    }
}
