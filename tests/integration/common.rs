//! Shared helpers for the integration tests: run the real `cargo-shuffle` binary on a fixture
//! workspace or on fake test binaries, in a fresh temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The root of this repository.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One target dir for every test's fixture builds, so the fixture compiles once.
pub(crate) fn fixture_target() -> PathBuf {
    repo().join("target/fixture-demo")
}

/// A `cargo-shuffle` command running in a fresh temp dir (also its TMPDIR).
pub(crate) struct Shuffle {
    pub(crate) cmd: Command,
    pub(crate) dir: tempfile::TempDir,
}

impl Shuffle {
    /// `cargo-shuffle ARGS…` with cwd and TMPDIR set to a new temp dir.
    pub(crate) fn new(args: &[&str]) -> Shuffle {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-shuffle"));
        cmd.args(args)
            .current_dir(dir.path())
            .env("TMPDIR", dir.path())
            .env_remove("RUST_BACKTRACE")
            .env_remove("CARGO_SHUFFLE_SEED")
            .env_remove("CARGO_SHUFFLE_PROFILE")
            .env_remove("CARGO_TARGET_DIR");
        Shuffle { cmd, dir }
    }

    /// `cargo-shuffle SUB --manifest-path <demo fixture> --target-dir <shared> ARGS…`.
    pub(crate) fn fixture(sub: &str, args: &[&str]) -> Shuffle {
        Shuffle::on("demo", sub, args)
    }

    /// `cargo-shuffle SUB --manifest-path fixtures/NAME/Cargo.toml --target-dir
    /// target/fixture-NAME ARGS…`: one shared target dir per fixture, so each builds once.
    pub(crate) fn on(name: &str, sub: &str, args: &[&str]) -> Shuffle {
        let m = repo().join(format!("fixtures/{name}/Cargo.toml"));
        let t = repo().join(format!("target/fixture-{name}"));
        let mut all = vec![
            sub,
            "--manifest-path",
            m.to_str().unwrap(),
            "--target-dir",
            t.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        Shuffle::new(&all)
    }

    /// Runs it and returns the output.
    pub(crate) fn output(mut self) -> (Output, tempfile::TempDir) {
        let out = self.cmd.output().unwrap();
        (out, self.dir)
    }
}

/// stdout as text.
pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, printing stderr on mismatch.
pub(crate) fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit status {:?}\n--- stderr ---\n{}\n--- stdout ---\n{}",
        o.status,
        stderr(o),
        stdout(o)
    );
}

/// Writes an executable shell script that imitates a libtest binary. `list` is the terse
/// listing; `run` is the shell body executed for `--exact NAME` (with `$NAME` set).
pub(crate) fn fake_binary(dir: &Path, file: &str, list: &str, run: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(file);
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --list ]; then\n  case \"$*\" in *--ignored*) exit 0;; esac\n  printf '{list}'\n  exit 0\nfi\nNAME=\"$2\"\n{run}\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Parses the JSON report or list output.
pub(crate) fn json(path_or_text: &str) -> serde_json::Value {
    let text = if Path::new(path_or_text).exists() {
        std::fs::read_to_string(path_or_text).unwrap()
    } else {
        path_or_text.to_string()
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
}

/// The report's entry for the test named `name` (panics if absent).
pub(crate) fn test_named(report: &serde_json::Value, name: &str) -> serde_json::Value {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no test {name} in the report"))
        .clone()
}

/// The report's findings by test id.
pub(crate) fn findings_by_test(
    report: &serde_json::Value,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["test"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

/// The plan in a run record (`--report`, or a hunt report's `runs[i]`): test ids per shard,
/// index 0 = shard 1.
pub(crate) fn recorded_plan(record: &serde_json::Value) -> Vec<Vec<String>> {
    record["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["tests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

/// The plan in `list --message-format json` output: test ids (`BINARY_ID NAME`) per shard,
/// index 0 = shard 1.
pub(crate) fn listed_plan(listed: &serde_json::Value) -> Vec<Vec<String>> {
    listed["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["tests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    format!(
                        "{} {}",
                        t["binary_id"].as_str().unwrap(),
                        t["name"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .collect()
}

/// The demo fixture's order-dependent victims, each with the tests that pollute it (any one of
/// them, run earlier, makes it fail), from `fixtures/demo/expected-polluters.json`.
pub(crate) fn demo_polluters() -> Vec<(String, Vec<String>)> {
    let v = json(
        repo()
            .join("fixtures/demo/expected-polluters.json")
            .to_str()
            .unwrap(),
    );
    v.as_object()
        .unwrap()
        .iter()
        .map(|(victim, polluters)| {
            let p = polluters.as_array().unwrap();
            let p: Vec<String> = p.iter().map(|p| p.as_str().unwrap().to_string()).collect();
            assert!(!p.is_empty(), "{victim} has no polluter");
            (victim.clone(), p)
        })
        .collect()
}

/// The names (without binary id) of every victim and polluter in the demo, for `--skip` where
/// a test needs outcomes that do not depend on the order.
pub(crate) fn demo_od_test_names() -> Vec<String> {
    demo_polluters()
        .into_iter()
        .flat_map(|(v, p)| std::iter::once(v).chain(p))
        .map(|id| id.split_once(' ').unwrap().1.to_string())
        .collect()
}
