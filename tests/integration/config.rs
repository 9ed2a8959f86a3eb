//! The config file: `.config/shuffle.toml` found in the workspace root, profiles selected by
//! `$CARGO_SHUFFLE_PROFILE` or `--config-profile`, flags winning over them, the profile in the
//! record, JUnit and repro, and malformed files as usage errors naming file, line and key.

use crate::common::*;
use std::path::Path;

/// A tiny workspace (one package, six passing tests) with `config` as its
/// `.config/shuffle.toml`.
fn workspace(config: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    std::fs::create_dir_all(w.join("src")).unwrap();
    std::fs::create_dir_all(w.join(".config")).unwrap();
    std::fs::write(
        w.join("Cargo.toml"),
        "[package]\nname = \"cfgdemo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    let tests: String = (0..6)
        .map(|i| format!("#[test]\nfn t{i}() {{}}\n"))
        .collect();
    std::fs::write(w.join("src/lib.rs"), tests).unwrap();
    std::fs::write(w.join(".config/shuffle.toml"), config).unwrap();
    ws
}

const CONFIG: &str = r#"
[profile.default]
shards = 2
timeout = "30s"

[profile.ci]
shards = 3
retries = 1
report = "target/ci/run.json"
junit = "target/ci/junit.xml"
"#;

fn run_in(
    ws: &Path,
    env_profile: Option<&str>,
    args: &[&str],
) -> (std::process::Output, tempfile::TempDir) {
    let m = ws.join("Cargo.toml");
    let mut all = vec!["run", "--manifest-path", m.to_str().unwrap(), "--seed", "7"];
    all.extend_from_slice(args);
    let mut s = Shuffle::new(&all);
    if let Some(p) = env_profile {
        s.cmd.env("CARGO_SHUFFLE_PROFILE", p);
    }
    s.output()
}

#[test]
fn a_ci_profile_from_the_environment_sets_shards_and_report_paths() {
    let ws = workspace(CONFIG);
    let w = ws.path();
    // Without the variable, the default profile: 2 shards, no report at the ci paths.
    let (out, _d) = run_in(w, None, &[]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("2 shards"), "{}", stderr(&out));
    assert!(!w.join("target/ci").exists());

    let (out, _d) = run_in(w, Some("ci"), &[]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("3 shards"), "{}", stderr(&out));
    // Relative paths are relative to the workspace root, not the current directory.
    let record = json(w.join("target/ci/run.json").to_str().unwrap());
    assert_eq!(record["shard_count"], 3, "{record}");
    assert_eq!(recorded_plan(&record).len(), 3, "{record}");
    assert_eq!(record["profile"], "ci");
    let repro = record["repro"].as_str().unwrap();
    assert!(repro.contains("--config-profile ci"), "{repro}");
    // Inherited from default, repeated in the repro so it does not depend on the file.
    assert!(repro.contains("--timeout 30"), "{repro}");
    assert!(repro.contains("--retries 1"), "{repro}");
    let junit = std::fs::read_to_string(w.join("target/ci/junit.xml")).unwrap();
    assert!(
        junit.contains(r#"<property name="profile" value="ci"/>"#),
        "{junit}"
    );

    // Flags win over the profile; --config-profile wins over the environment.
    let elsewhere = w.join("flag-report.json");
    let (out, _d) = run_in(
        w,
        Some("ci"),
        &["--shards", "5", "--report", elsewhere.to_str().unwrap()],
    );
    assert_code(&out, 0);
    let record = json(elsewhere.to_str().unwrap());
    assert_eq!(record["shard_count"], 5);
    assert_eq!(record["profile"], "ci");
    let (out, _d) = run_in(
        w,
        Some("ci"),
        &[
            "--config-profile",
            "default",
            "--report",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert_code(&out, 0);
    let record = json(elsewhere.to_str().unwrap());
    assert_eq!(record["shard_count"], 2);
    assert_eq!(record["profile"], "default");
    assert!(
        !record["repro"]
            .as_str()
            .unwrap()
            .contains("--config-profile")
    );
}

/// `list --binary FAKE --config-file FILE` with `text` as the file; returns the output, the
/// file and the directory holding both.
fn with_config_file(
    text: &str,
    args: &[&str],
) -> (std::process::Output, std::path::PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = fake_binary(dir, "fake", "a: test\\nb: test\\n", "exit 0");
    let file = dir.join("shuffle.toml");
    std::fs::write(&file, text).unwrap();
    let mut all = vec![
        "list",
        "--binary",
        bin.to_str().unwrap(),
        "--config-file",
        file.to_str().unwrap(),
        "--message-format",
        "json",
    ];
    all.extend_from_slice(args);
    let (out, _d) = Shuffle::new(&all).output();
    (out, file, tmp)
}

#[test]
fn a_config_file_given_by_flag_plans_with_its_profile() {
    let (out, _, _d) = with_config_file(CONFIG, &["--config-profile", "ci"]);
    assert_code(&out, 0);
    assert_eq!(listed_plan(&json(&stdout(&out))).len(), 3);
}

#[test]
fn malformed_config_files_exit_2_naming_file_line_and_key() {
    let check = |text: &str, args: &[&str], needles: &[&str]| {
        let (out, file, _d) = with_config_file(text, args);
        assert_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(file.to_str().unwrap()), "{err}");
        for n in needles {
            assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    };
    // Malformed TOML: the line and column of the fault.
    check("[profile.ci\nshards = 3\n", &[], &["shuffle.toml:1:"]);
    // An unknown key (a typo): line, the dotted key, and what is allowed.
    check(
        "[profile.default]\nshards = 2\n\n[profile.ci]\nshard-count = 3\n",
        &[],
        &[
            "shuffle.toml:5:1:",
            "key `profile.ci.shard-count`",
            "unknown field `shard-count`",
            "`shards`",
        ],
    );
    // A bad value: a duration without a unit.
    check(
        "[profile.default]\ntimeout = \"30\"\n",
        &[],
        &[
            "shuffle.toml:2:",
            "key `profile.default.timeout`",
            "invalid duration `30`",
        ],
    );
    // A profile the file does not define.
    check(
        CONFIG,
        &["--config-profile", "nightly"],
        &["no profile `nightly`", "the file defines: ci, default"],
    );
}

#[test]
fn nextests_profile_flag_on_a_config_profile_gets_a_hint_to_use_config_profile() {
    // `--profile` stays cargo's build profile (cargo refuses `ci`, exit 101); the config file
    // defines `ci`, so the user coming from nextest meant --config-profile.
    let ws = workspace(CONFIG);
    let (out, _d) = run_in(ws.path(), None, &["--profile", "ci"]);
    assert_code(&out, 101);
    let err = stderr(&out);
    assert!(
        err.contains("hint: `--profile ci` is cargo's build profile, passed to cargo; the config file's profile `ci` is chosen with `--config-profile ci`"),
        "{err}"
    );
    // A cargo profile the config file does not define gets no such hint.
    let (out, _d) = run_in(ws.path(), None, &["--profile", "nope"]);
    assert_code(&out, 101);
    assert!(!stderr(&out).contains("hint:"), "{}", stderr(&out));
}

#[test]
fn a_profiles_retries_in_shared_isolation_are_refused_with_the_way_out_which_works() {
    let ws = workspace(CONFIG);
    let w = ws.path();
    let (out, _d) = run_in(
        w,
        None,
        &["--config-profile", "ci", "--isolation", "shared"],
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains(
            "use it with --isolation process, or pass --retries 0 to turn the profile's retries off"
        ),
        "{}",
        stderr(&out)
    );
    let (out, _d) = run_in(
        w,
        None,
        &[
            "--config-profile",
            "ci",
            "--isolation",
            "shared",
            "--retries",
            "0",
        ],
    );
    assert_code(&out, 0);
    let record = json(w.join("target/ci/run.json").to_str().unwrap());
    assert_eq!(record["tests"].as_array().unwrap().len(), 6, "{record}");
    // Its repro names the profile, so it keeps the retries off too.
    let repro = record["repro"].as_str().unwrap();
    assert!(repro.contains("--config-profile ci"), "{repro}");
    assert!(repro.contains("--retries 0"), "{repro}");
    // The flag given explicitly gets no hint about turning a profile's retries off.
    let (out, _d) = run_in(w, None, &["--isolation", "shared", "--retries", "1"]);
    assert_code(&out, 2);
    assert!(!stderr(&out).contains("--retries 0"), "{}", stderr(&out));
}

#[test]
fn a_nextest_config_without_a_shuffle_config_is_named_as_not_read() {
    let ws = workspace("");
    let w = ws.path();
    std::fs::remove_file(w.join(".config/shuffle.toml")).unwrap();
    std::fs::write(
        w.join(".config/nextest.toml"),
        "[profile.ci]\nretries = 2\n",
    )
    .unwrap();
    let (out, _d) = run_in(w, None, &[]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("nextest.toml is nextest's config and is not read; cargo-shuffle reads .config/shuffle.toml"),
        "{}",
        stderr(&out)
    );
    // With a shuffle.toml beside it, no note: that file is the config.
    std::fs::write(w.join(".config/shuffle.toml"), "").unwrap();
    let (out, _d) = run_in(w, None, &[]);
    assert!(!stderr(&out).contains("is not read"), "{}", stderr(&out));
}
