//! The HTML report (`--html`): a run of `fixtures/od` (order-dependent victims with findings)
//! rendered and loaded offline by a real browser, headless Chromium, whose DOM self-check
//! (`<body data-check>`: lanes, failing bars, finding arrows, script errors) must match the run's
//! JSON record; the pages of `hunt` and `merge`; the `html` key of the config file.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// `body data-check` and `body data-dom` (the page's hunt rows, coverage sentence, merge
/// cards, missing timeline groups and what each copy button copied, as JSON) of `page` after
/// its scripts ran, from one headless Chromium launch (`--dump-dom`), with a fresh profile and
/// nothing that reaches the network.
fn browser(page: &Path) -> (String, Value) {
    browser_at(&format!("file://{}", page.display()))
}

/// [`browser`] of `page` loaded as a `data:` URL: a context that is not secure (as a page
/// served over plain HTTP by a CI artifact viewer), where the copy buttons have no clipboard
/// API and fall back to `execCommand`.
fn browser_insecure(page: &Path) -> (String, Value) {
    let bytes = std::fs::read(page).unwrap();
    let mut url = String::from("data:text/html;charset=utf-8,");
    for b in bytes {
        if b.is_ascii_alphanumeric() {
            url.push(b as char);
        } else {
            let _ = write!(url, "%{b:02X}");
        }
    }
    browser_at(&url)
}

/// [`browser`] of the page at `url`.
fn browser_at(url: &str) -> (String, Value) {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .unwrap_or_else(|| {
            panic!(
                "chromium not found: the HTML report test needs headless Chromium; install it with `apt-get install -y chromium` (.ci/run does)"
            )
        });
    let profile = tempfile::tempdir().unwrap();
    // coreutils' `timeout`: a browser that hangs fails the test instead of stalling the suite.
    let out = Command::new("timeout")
        .args(["120", chromium])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let body = dom
        .find("<body")
        .map(|i| &dom[i..])
        .unwrap_or_else(|| panic!("no <body> in chromium's DOM dump: {}", stderr(&out)));
    let head = &body[..body.find('>').unwrap()];
    // The self-check clicks every copy button: none may stay labelled as copied for the reader.
    assert!(
        body.contains(">copy</button>") && !body.contains(">copied</button>"),
        "copy buttons relabelled by the self-check"
    );
    assert!(
        !head.contains("data-errors"),
        "script errors in the page: {head}"
    );
    let attr = |name: &str| {
        let raw = head
            .split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no {name} on <body>: {head}"));
        // The serialiser's character references in an attribute value.
        raw.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&nbsp;", "\u{a0}")
            .replace("&amp;", "&")
    };
    let dom = attr("data-dom");
    let dom: Value = serde_json::from_str(&dom).unwrap_or_else(|e| panic!("data-dom {dom}: {e}"));
    (attr("data-check"), dom)
}

/// What the copy buttons of a page put on the clipboard, in page order.
fn copies(dom: &Value) -> Vec<String> {
    dom["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c.as_str()
                .unwrap_or_else(|| panic!("a copy button copied nothing: {dom}"))
                .to_string()
        })
        .collect()
}

/// What the self-check must count for `record`: one lane per worker, a failing bar per failing
/// test that ran, an arrow per culprit of a finding whose test failed, when both ran.
fn expected_check(record: &Value) -> (usize, usize, usize) {
    let tests = record["tests"].as_array().unwrap();
    let ran: Vec<&Value> = tests.iter().filter(|t| t["shard"] != 0).collect();
    let workers: BTreeSet<u64> = ran.iter().map(|t| t["worker"].as_u64().unwrap()).collect();
    assert!(
        !workers.contains(&0),
        "every test that ran names its worker"
    );
    let failing = |id: &str| {
        ran.iter()
            .any(|t| t["id"] == id && !matches!(t["outcome"].as_str(), Some("passed" | "ignored")))
    };
    let ids: BTreeSet<&str> = ran.iter().map(|t| t["id"].as_str().unwrap()).collect();
    let mut arrows = 0;
    for f in record["findings"].as_array().unwrap() {
        if !failing(f["test"].as_str().unwrap()) {
            continue;
        }
        for role in ["polluters", "state_setters", "cleaners"] {
            arrows += f[role]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| ids.contains(c.as_str().unwrap()))
                .count();
        }
    }
    let n_failing = ran
        .iter()
        .filter(|t| failing(t["id"].as_str().unwrap()))
        .count();
    (workers.len(), n_failing, arrows)
}

#[test]
fn a_run_of_the_od_fixture_renders_lanes_failing_bars_and_arrows_in_a_real_browser() {
    let (out, dir) = Shuffle::on(
        "od",
        "run",
        // Two shards with a sandbox each: every victim's polluter is in its own shard's
        // sequence, so the findings do not hang on timing (across shards sharing one TMPDIR,
        // a polluter may run before or after its victim).
        &[
            "--seed",
            "4",
            "--shards",
            "2",
            "--sandbox",
            "shard",
            "--jobs",
            "2",
            "--html",
            "r.html",
            "--report",
            "r.json",
        ],
    )
    .output();
    let code = out.status.code().unwrap();
    assert!(code == 100 || code == 102, "{}", stderr(&out));
    let record = json(dir.path().join("r.json").to_str().unwrap());
    let kinds: Vec<&str> = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"od-victim"), "{kinds:?}");
    let (lanes, failing, arrows) = expected_check(&record);
    assert_eq!(lanes, 2, "two workers");
    assert!(
        failing > 0 && arrows > 0,
        "{failing} failing, {arrows} arrows"
    );
    let page = dir.path().join("r.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // The summary is in the markup, for readers without JavaScript.
    assert!(html.contains(&format!("exit {code}</span>")));
    assert!(html.contains("<code>4</code> <span class=\"dim\">from --seed</span>"));
    assert!(html.contains("order-dependent victim"));
    for remote in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(remote), "the page loads nothing: {remote}");
    }
    let (check, dom) = browser(&page);
    assert_eq!(
        check,
        format!(
            "lanes={lanes} failing={failing} arrows={arrows} bars=ok hover=ok click=ok errors=0 script=ok"
        )
    );
    // The copy buttons: the header's copies exactly the run's repro command, then one per
    // finding with a repro, each exactly that finding's command, in the page's order.
    let mut want = vec![record["repro"].as_str().unwrap().to_string()];
    for f in record["findings"].as_array().unwrap() {
        if let Some(r) = f["repro"].as_str().filter(|r| !r.is_empty()) {
            want.push(r.to_string());
        }
    }
    let got = copies(&dom);
    assert_eq!(got.len(), want.len(), "{dom}");
    assert_eq!(got[0], want[0]);
    let mut sorted = (got[1..].to_vec(), want[1..].to_vec());
    sorted.0.sort();
    sorted.1.sort();
    assert_eq!(sorted.0, sorted.1);
    assert!(
        stderr(&out).contains(&format!("reproduce this run: {}", want[0])),
        "the page's command is the one the terminal prints"
    );
    assert_eq!(dom["hunt"], serde_json::json!([]), "a run has no hunt rows");
    assert_eq!(dom["secure"], true);
    // Not a secure context: the buttons' fallback copies the same commands and leaves no
    // textarea behind.
    let (check, insecure) = browser_insecure(&page);
    assert!(check.ends_with(" errors=0 script=ok"), "{check}");
    assert_eq!(insecure["secure"], false);
    assert_eq!(copies(&insecure), got);
    assert_eq!(insecure["leftovers"], 0);
}

#[test]
fn a_hunt_page_shows_a_row_per_run_with_its_order_kind_and_the_coverage_in_a_real_browser() {
    let (out, dir) = Shuffle::on(
        "od",
        "hunt",
        &[
            "--seed",
            "3",
            "--runs",
            "2",
            "--no-triage",
            "--html",
            "h.html",
            "--report",
            "h.json",
        ],
    )
    .output();
    assert!(out.status.code().unwrap() >= 100, "{}", stderr(&out));
    let hunt = json(dir.path().join("h.json").to_str().unwrap());
    let cov = &hunt["coverage"];
    let page = dir.path().join("h.html");
    let (check, dom) = browser(&page);
    assert!(check.ends_with(" errors=0 script=ok"), "{check}");
    // One row per run, numbered, with the order kind the hunt report names.
    let want: Vec<Value> = cov["runs"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(k, r)| serde_json::json!([(k + 1).to_string(), r["order"]]))
        .collect();
    assert_eq!(dom["hunt"], Value::Array(want), "{dom}");
    assert_eq!(dom["hunt"][1][1], "reversed");
    // The coverage figure: the hunt report's pairs, as percentages of one decimal.
    let pct = |n: &str| 100.0 * cov[n].as_f64().unwrap() / cov["pairs"].as_f64().unwrap();
    assert_eq!(
        dom["coverage"].as_str().unwrap(),
        format!(
            "Pair coverage reached: {:.1}% of the {} ordered pairs ran first-before-second in some run, {:.1}% ran consecutively.",
            pct("ordered"),
            cov["pairs"],
            pct("consecutive")
        )
    );
    // The header's copy button copies the hunt's own command.
    let got = copies(&dom);
    assert_eq!(
        got.len(),
        1,
        "no findings (--no-triage), one command: {dom}"
    );
    assert!(
        got[0].starts_with("cargo shuffle hunt ") && got[0].ends_with(" --seed 3 --runs 2"),
        "{got:?}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("run 1 · seeded order") && html.contains("run 2 · reversed order"));
}

#[test]
fn a_merge_page_shows_the_partitions_side_by_side_and_marks_a_missing_one_in_a_real_browser() {
    let (out, dir) = Shuffle::on(
        "od",
        "run",
        &[
            "--seed",
            "3",
            "--partition",
            "slice:1/2",
            "--no-triage",
            "--report",
            "p1.json",
            "--junit",
            "p1.xml",
        ],
    )
    .output();
    assert!(out.status.code().unwrap() >= 100, "{}", stderr(&out));
    let p1 = dir.path().join("p1.json");
    let x1 = dir.path().join("p1.xml");
    let page = dir.path().join("m.html");
    let merged = dir.path().join("m.json");
    let (out, _d) = Shuffle::new(&[
        "merge",
        p1.to_str().unwrap(),
        x1.to_str().unwrap(),
        "--allow-missing",
        "--html",
        page.to_str().unwrap(),
        "--report",
        merged.to_str().unwrap(),
    ])
    .output();
    let code = out.status.code().unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(&format!("exit {code}</span>")),
        "{}",
        stderr(&out)
    );
    // Each failing test's output, from the part's JUnit (the JSON records have only its size),
    // under its entry and in the panel a click on its bar opens.
    let part = json(p1.to_str().unwrap());
    let failing: Vec<&Value> = part["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["shard"] != 0 && !matches!(t["outcome"].as_str(), Some("passed" | "ignored")))
        .collect();
    assert!(!failing.is_empty());
    for t in &failing {
        let name = t["name"].as_str().unwrap();
        let entry = html
            .split("<details class=\"failure\"")
            .skip(1)
            .find(|e| e.contains(&format!("<code>{}</code>", t["id"].as_str().unwrap())))
            .unwrap_or_else(|| panic!("no entry for {name}"));
        let entry = &entry[..entry.find("</details>").unwrap()];
        assert!(
            entry.contains("<pre>") && entry.contains(&format!("&#39;{name}&#39;")),
            "{name}'s output (its panic line) is shown: {entry}"
        );
    }
    assert!(!html.contains("Its output is not on this page"));
    let (check, dom) = browser(&page);
    assert!(check.ends_with(" click=ok errors=0 script=ok"), "{check}");
    assert_eq!(
        dom["parts"],
        serde_json::json!([
            ["partition slice:1/2", false],
            ["partition slice:2/2", true]
        ]),
        "{dom}"
    );
    assert_eq!(dom["missingGroups"], 1, "the missing part's timeline group");
    let merged = json(merged.to_str().unwrap());
    assert_eq!(
        merged["missing_partitions"],
        serde_json::json!(["slice:2/2"])
    );
    assert_eq!(copies(&dom)[0], merged["repro"].as_str().unwrap());
}

#[test]
fn the_html_key_of_the_config_file_sets_the_page() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    std::fs::create_dir_all(w.join("src")).unwrap();
    std::fs::create_dir_all(w.join(".config")).unwrap();
    std::fs::write(
        w.join("Cargo.toml"),
        "[package]\nname = \"htmlcfg\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(w.join("src/lib.rs"), "#[test]\nfn t() {}\n").unwrap();
    std::fs::write(
        w.join(".config/shuffle.toml"),
        "[profile.default]\nhtml = \"target/shuffle.html\"\n",
    )
    .unwrap();
    let m = w.join("Cargo.toml");
    let (out, _d) =
        Shuffle::new(&["run", "--manifest-path", m.to_str().unwrap(), "--seed", "7"]).output();
    assert_code(&out, 0);
    let html = std::fs::read_to_string(w.join("target/shuffle.html")).unwrap();
    assert!(html.contains("passed · exit 0</span>"), "{html}");
    assert!(
        html.contains("<span class=\"k\">profile</span> <span class=\"v\">default</span>"),
        "the profile is in the header"
    );
}

#[test]
fn a_page_that_cannot_be_written_turns_a_green_run_into_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_binary(
        dir.path(),
        "ok",
        "a: test\\n",
        "echo 'running 1 test'; echo 'test a ... ok'; echo 'test result: ok. 1 passed; 0 failed'",
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let page = file.join("r.html");
    let (out, _d) = Shuffle::new(&[
        "run",
        "--binary",
        bin.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ])
    .output();
    assert_code(&out, 1);
    assert!(stderr(&out).contains("r.html"), "{}", stderr(&out));
    let good = dir.path().join("good.html");
    let (out, _d) = Shuffle::new(&[
        "run",
        "--binary",
        bin.to_str().unwrap(),
        "--html",
        good.to_str().unwrap(),
    ])
    .output();
    assert_code(&out, 0);
    let html = std::fs::read_to_string(&good).unwrap();
    assert!(html.contains("passed · exit 0</span>"));
    assert!(html.contains(">worker 1<"), "one lane for the one test");
}

#[test]
fn slow_tests_and_the_unshuffled_shard_are_shown_in_a_real_browser() {
    // fixtures/groups: slow::takes_700ms is slow at a 250 ms period; the ordered:: tests
    // (shuffle = false) run in a last shard of their own, in name order.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("shuffle.toml");
    std::fs::write(
        &cfg,
        "[profile.default]\nslow-timeout = \"250ms\"\n\n[[profile.default.overrides]]\nfilter = \"test(~ordered::)\"\nshuffle = false\n",
    )
    .unwrap();
    let mut s = Shuffle::on(
        "groups",
        "run",
        &[
            "--config-file",
            cfg.to_str().unwrap(),
            "--seed",
            "11",
            "--shards",
            "3",
            "--no-triage",
            "--html",
            "r.html",
            "--report",
            "r.json",
            "--",
            "ordered::",
            "api::",
            "slow::",
        ],
    );
    // The ordered tests' trail: fresh for this run.
    s.cmd.env("GROUPS_LOCK_DIR", dir.path().join("state"));
    let (out, w) = s.output();
    assert_code(&out, 0);
    let record = json(w.path().join("r.json").to_str().unwrap());
    assert_eq!(record["unshuffled_shard"], 4);
    let slow: Vec<&Value> = record["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["slow"] == true)
        .collect();
    assert_eq!(slow.len(), 1, "{record}");
    let (check, dom) = browser(&w.path().join("r.html"));
    assert!(check.ends_with(" errors=0 script=ok"), "{check}");
    assert_eq!(dom["slow"], 1, "{dom}");
    let tip = dom["slowTip"].as_str().unwrap();
    assert!(
        tip.starts_with("groups-demo::lib slow::takes_700ms")
            && tip.contains("SLOW (longer than its slow-timeout)"),
        "{tip}"
    );
    assert_eq!(
        dom["notShuffled"],
        "shard 4: 3 tests in name order (shuffle = false)"
    );
    let labels = dom["shardLabels"].as_array().unwrap();
    assert!(
        labels.iter().any(|l| l == "shard 4 · not shuffled"),
        "{labels:?}"
    );
}

#[test]
fn a_passing_tests_kept_output_is_on_the_page_and_a_click_on_its_bar_shows_it() {
    let run = |args: &[&str]| {
        let mut all = vec!["--seed", "1", "--no-triage", "--html", "r.html"];
        all.extend_from_slice(args);
        let (out, dir) = Shuffle::on("output", "run", &all).output();
        assert_code(&out, 100);
        dir
    };
    // Kept (--success-output final): an entry under "Output of passing tests", and the panel a
    // click on its bar opens shows it.
    let dir = run(&["--success-output", "final"]);
    let page = dir.path().join("r.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // `quiet` too: libtest's own lines are its output in process isolation.
    assert!(
        html.contains("<h2>Output of passing tests (2)</h2>"),
        "{html}"
    );
    assert!(html.contains("<code>output-demo::lib passes</code>"));
    let (check, dom) = browser(&page);
    assert!(check.ends_with(" click=ok errors=0 script=ok"), "{check}");
    let clicks = dom["passClicks"]
        .as_array()
        .unwrap_or_else(|| panic!("{dom}"));
    assert_eq!(clicks.len(), 2, "{dom}");
    for c in clicks {
        assert_eq!(c[0], c[1], "the pinned test is the one clicked: {c}");
    }
    let click = clicks
        .iter()
        .find(|c| c[0] == "output-demo::lib passes")
        .unwrap_or_else(|| panic!("{dom}"));
    let pre = click[2].as_str().unwrap();
    assert!(
        pre.contains("PASS_MARKER_5e1d") && pre.contains("PASS_ERR"),
        "{pre}"
    );
    // Not kept (the default): no entry, nothing to show.
    let dir = run(&[]);
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(!html.contains("id=\"passing-output\"") && !html.contains("PASS_MARKER_5e1d"));
}
