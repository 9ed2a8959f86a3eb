//! State that outlives the run: a victim whose polluter writes a fixed path outside the
//! sandbox passes in hunt run 1 (before the polluter) and fails even alone in run 2, and the
//! finding says so (`persistent_state`), with candidate polluters and a `--reset-cmd` example.

use crate::common::*;

/// A fake harness: `fx_polluter` creates `STATE/flag` (a fixed path outside every sandbox,
/// baked into the script), `fx_victim` fails while it exists, `ok_a` passes.
fn harness(dir: &std::path::Path, state: &std::path::Path) -> std::path::PathBuf {
    let ok = "printf '\\nrunning 1 test\\ntest %s ... ok\\n\\ntest result: ok. 1 passed; 0 failed; 0 ignored\\n\\n' \"$NAME\"; exit 0";
    let failed = "printf '\\nrunning 1 test\\ntest %s ... FAILED\\n\\ntest result: FAILED. 0 passed; 1 failed; 0 ignored\\n\\n' \"$NAME\"; exit 101";
    fake_binary(
        dir,
        "fx",
        "fx_polluter: test\\nfx_victim: test\\nok_a: test\\n",
        &format!(
            "S='{}'\ncase \"$NAME\" in\n\
             fx_polluter) mkdir -p \"$S\"; touch \"$S/flag\"; {ok};;\n\
             fx_victim) if [ -e \"$S/flag\" ]; then {failed}; else {ok}; fi;;\n\
             *) {ok};;\n\
             esac",
            state.display()
        ),
    )
}

#[test]
fn a_victim_of_state_that_outlives_the_run_is_a_failure_that_names_its_candidate_polluters() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("fixed-state");
    let bin = harness(dir.path(), &state);
    let report = dir.path().join("h.json");
    let summary = dir.path().join("h.md");
    let binary = format!("fx={}", bin.display());
    let (out, _d) = Shuffle::new(&[
        "hunt",
        "--binary",
        &binary,
        "--seed",
        "1",
        "--runs",
        "2",
        "--jobs",
        "1",
        "--no-progress",
        "--report",
        report.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
        "--order",
        "fx fx_victim",
        "fx fx_polluter",
        "fx ok_a",
    ])
    .output();
    let err = stderr(&out);
    assert!(state.join("flag").exists(), "the polluter ran: {err}");
    let h = json(report.to_str().unwrap());
    let runs = h["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{err}");
    let victim = |run: &serde_json::Value| {
        run["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "fx_victim")
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(
        victim(&runs[0]),
        "passed",
        "run 1 runs it before the polluter"
    );
    assert_eq!(victim(&runs[1]), "failed", "{err}");
    let f = &findings_by_test(&h)["fx fx_victim"];
    // It fails alone (the flag outlives every sandbox), so it is a failure, not an OD victim,
    // and the finding says why.
    assert_eq!(f["kind"], "failure", "{f}");
    let p = &f["persistent_state"];
    assert_eq!(p["passed_in_run"], 1, "{f}");
    assert_eq!(p["failed_in_run"], 2, "{f}");
    assert_eq!(
        p["candidate_polluters"],
        serde_json::json!(["fx fx_polluter", "fx ok_a"]),
        "the tests after its pass in run 1 and before its failure in run 2: {f}"
    );
    let example = p["reset_example"].as_str().unwrap();
    assert!(
        example.starts_with("cargo shuffle hunt")
            && example.contains("--seed 1 --runs 2")
            && example.contains("--reset-cmd"),
        "{example}"
    );
    assert!(
        f["note"]
            .as_str()
            .unwrap()
            .contains("passed in run 1 of this hunt and now fails even alone"),
        "{f}"
    );
    assert!(
        err.contains("state outlives the run: passed in run 1"),
        "{err}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("State outlives the run (passed in run 1"),
        "{md}"
    );
    // The polluter passed: no finding names it.
    assert!(!findings_by_test(&h).contains_key("fx fx_polluter"));
}
