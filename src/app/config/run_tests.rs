//! Unit tests of [`super::RunConfig::from_args`]: flags, the profile and defaults, and what
//! the repro commands repeat.
use super::*;
use clap::Parser;

/// `run --binary /bin/true --config-file FILE ARGS…` validated, with `text` as the file.
fn config(text: &str, args: &[&str]) -> RunConfig {
    try_config(text, args).unwrap()
}

/// [`config`], or the usage error's message.
fn try_config(text: &str, args: &[&str]) -> Result<RunConfig, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shuffle.toml");
    std::fs::write(&file, text).unwrap();
    let mut all = vec![
        "cargo-shuffle",
        "run",
        "--binary",
        "/bin/true",
        "--config-file",
        file.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let cli = crate::app::cli::Cli::try_parse_from(all).unwrap();
    let crate::app::cli::CliCommand::Run(a) = cli.command else {
        panic!("not run")
    };
    RunConfig::from_args(&a).map_err(|e| e.0)
}

#[test]
fn flags_beat_the_profile_which_beats_the_defaults() {
    let text = r#"
[profile.default]
shards = 4
leak-timeout = "1s"
confirmations = 5

[profile.ci]
shards = 6
timeout = "2m"
jobs = 3
allow-flaky = true
report = "/abs/run.json"
"#;
    let c = config(text, &[]);
    assert_eq!(c.plan.shards, 4);
    assert_eq!(c.plan.profile.name.as_deref(), Some("default"));
    assert_eq!(c.exec.leak_timeout, Duration::from_secs(1));
    assert_eq!(c.exec.timeout, None);
    assert!(!c.gate.allow_flaky);
    let c = config(text, &["--config-profile", "ci"]);
    assert_eq!(c.plan.shards, 6);
    assert_eq!(c.exec.jobs, 3);
    assert_eq!(c.exec.timeout, Some(Duration::from_secs(120)));
    assert_eq!(c.exec.leak_timeout, Duration::from_secs(1));
    assert_eq!(c.triage.as_ref().unwrap().confirmations, 5);
    assert!(c.gate.allow_flaky);
    assert_eq!(c.report, Some(PathBuf::from("/abs/run.json")));
    assert!(
        c.plan
            .selection_args
            .contains(&"--config-profile".to_string())
    );
    let c = config(
        text,
        &[
            "--config-profile",
            "ci",
            "--shards",
            "2",
            "-j",
            "1",
            "--timeout",
            "5",
            "--leak-timeout",
            "50",
            "--confirmations",
            "0",
            "--report",
            "r.json",
        ],
    );
    assert_eq!(c.plan.shards, 2);
    assert_eq!(c.exec.jobs, 1);
    assert_eq!(c.exec.timeout, Some(Duration::from_secs(5)));
    assert_eq!(c.exec.leak_timeout, Duration::from_millis(50));
    assert_eq!(c.triage.as_ref().unwrap().confirmations, 0);
    assert_eq!(c.report, Some(PathBuf::from("r.json")));
    // slow-timeout: the profile's (with terminate-after), the flag's (a period only), 60 s.
    let slow = "[profile.default]\nslow-timeout = { period = \"2s\", terminate-after = 3 }\n";
    let c = config(slow, &[]);
    assert_eq!(c.exec.slow_timeout.period, Duration::from_secs(2));
    assert_eq!(c.exec.slow_timeout.terminate_after, Some(3));
    let c = config(slow, &["--slow-timeout", "0.5"]);
    assert_eq!(c.exec.slow_timeout.period, Duration::from_millis(500));
    assert_eq!(c.exec.slow_timeout.terminate_after, None);
    assert_eq!(config("", &[]).exec.slow_timeout, SlowTimeout::DEFAULT);
    // An empty file: the built-in defaults.
    let c = config("", &[]);
    assert_eq!(c.plan.shards, crate::app::cli::DEFAULT_SHARDS);
    assert_eq!(
        c.exec.leak_timeout,
        Duration::from_millis(DEFAULT_LEAK_TIMEOUT_MS)
    );
    assert_eq!(c.triage.unwrap().confirmations, DEFAULT_CONFIRMATIONS);
}

#[test]
fn output_settings_come_from_flags_libtest_options_the_profile_and_nextests_defaults() {
    let c = config("", &[]);
    assert_eq!(c.exec.output.success, OutputDisplay::Never);
    assert_eq!(c.exec.output.failure, OutputDisplay::Immediate);
    assert!(!c.exec.output.junit_store_success && !c.exec.output.no_capture);
    let text = "[profile.default]\nsuccess-output = \"immediate-final\"\nfailure-output = \"never\"\njunit-store-success-output = true\n";
    let c = config(text, &[]);
    assert_eq!(c.exec.output.success, OutputDisplay::ImmediateFinal);
    assert_eq!(c.exec.output.failure, OutputDisplay::Never);
    assert!(c.exec.output.junit_store_success);
    let c = config(
        text,
        &["--success-output", "never", "--failure-output", "final"],
    );
    assert_eq!(c.exec.output.success, OutputDisplay::Never);
    assert_eq!(c.exec.output.failure, OutputDisplay::Final);
    // libtest's spellings after `--`: --nocapture is --no-capture, --show-output is final.
    let c = config(text, &["--", "--nocapture", "--show-output", "needle"]);
    assert!(c.exec.output.no_capture);
    assert_eq!(c.exec.output.success, OutputDisplay::Final);
    assert_eq!(c.plan.filter.filters, ["needle"]);
    assert!(config("", &["--no-capture"]).exec.output.no_capture);
}

#[test]
fn output_overrides_keep_the_settings_no_flag_gives() {
    let text = "[[profile.default.overrides]]\nfilter = \"test(a)\"\nsuccess-output = \"immediate\"\nfailure-output = \"final\"\n\n[[profile.default.overrides]]\nfilter = \"test(b)\"\ntimeout = \"1s\"\n";
    let kept = |args: &[&str]| -> Vec<(Option<OutputDisplay>, Option<OutputDisplay>)> {
        let c = config(text, args);
        c.exec
            .output
            .overrides
            .iter()
            .map(|o| (o.success, o.failure))
            .collect()
    };
    let (imm, fin) = (Some(OutputDisplay::Immediate), Some(OutputDisplay::Final));
    // The override without output keys is not an output override.
    assert_eq!(kept(&[]), [(imm, fin)]);
    assert_eq!(kept(&["--success-output", "never"]), [(None, fin)]);
    assert_eq!(kept(&["--", "--show-output"]), [(None, fin)]);
    assert_eq!(kept(&["--failure-output", "never"]), [(imm, None)]);
    let both = ["--success-output", "final", "--failure-output", "never"];
    assert!(kept(&both).is_empty());
}

#[test]
fn retries_are_repeated_by_the_run_and_hunt_repros_only() {
    let c = config("", &["--retries", "2"]);
    let repro = c.plan.repro();
    assert!(repro.shards_command(&[]).contains("--retries 2"));
    assert!(repro.shards_command(&[4]).contains("--retries 2 --shard 4"));
    assert!(repro.hunt_command(3).contains("--runs 3 --retries 2"));
    assert!(!repro.shard_command(3).contains("--retries"));
    assert!(!repro.order_command(&["b t".into()]).contains("--retries"));
    // A profile's retries: a failure's repro names the profile, so it turns them off; the
    // run's repro spells out the value in effect, even when the flag turned them off.
    let text = "[profile.ci]\nretries = 2\n";
    let repro = config(text, &["--config-profile", "ci"]).plan.repro();
    assert!(repro.shards_command(&[]).contains("--retries 2"));
    assert!(repro.shard_command(3).contains("--retries 0 --shard 3"));
    let order = repro.order_command(&["b t".into()]);
    assert!(order.contains("--retries 0 --order"), "{order}");
    assert_eq!(order.matches("--retries").count(), 1, "{order}");
    let off = config(text, &["--config-profile", "ci", "--retries", "0"]);
    assert_eq!(off.exec.retries, 0);
    let repro = off.plan.repro();
    assert!(repro.shards_command(&[]).contains("--retries 0"));
    assert_eq!(repro.shards_command(&[]).matches("--retries").count(), 1);
    assert!(repro.shard_command(1).contains("--retries 0"));
    assert!(
        !config("", &[])
            .plan
            .repro()
            .shards_command(&[])
            .contains("--retries")
    );
}

#[test]
fn the_retries_flag_beats_the_overrides_and_a_failures_repro_turns_theirs_off() {
    let text = "[[profile.default.overrides]]\nfilter = \"all()\"\nretries = 3\n";
    let retries = |c: &RunConfig| -> Vec<Option<u32>> {
        c.exec.overrides.0.iter().map(|o| o.retries).collect()
    };
    let c = config(text, &[]);
    assert_eq!(retries(&c), [Some(3)]);
    let repro = c.plan.repro();
    // The run's repro leaves the overrides' retries to the file it reads.
    assert!(!repro.shards_command(&[]).contains("--retries"));
    assert!(repro.shard_command(2).contains("--retries 0 --shard 2"));
    assert!(
        repro
            .order_command(&["b t".into()])
            .contains("--retries 0 --order")
    );
    let c = config(text, &["--retries", "0"]);
    assert_eq!(retries(&c), [None]);
    assert_eq!(c.exec.retries, 0);
    assert!(c.plan.repro().shards_command(&[]).contains("--retries 0"));
    // With the flag, shared isolation takes the file.
    let e = try_config(text, &["--isolation", "shared"]).err().unwrap();
    assert!(e.contains("or pass --retries 0 to turn retries off"), "{e}");
    assert!(try_config(text, &["--isolation", "shared", "--retries", "0"]).is_ok());
}

#[test]
fn max_fail_is_repeated_by_the_run_repro_only() {
    let c = config("", &["--max-fail", "2:immediate"]);
    let repro = c.plan.repro();
    assert!(
        repro.shards_command(&[]).contains("--max-fail 2:immediate"),
        "{}",
        repro.shards_command(&[])
    );
    assert!(
        repro
            .shards_command(&[3])
            .contains("--max-fail 2:immediate --shard 3")
    );
    assert!(!repro.shard_command(3).contains("--max-fail"));
    assert!(!repro.order_command(&["b t".into()]).contains("--max-fail"));
    let c = config("", &["--fail-fast"]);
    assert!(c.plan.repro().shards_command(&[]).contains("--max-fail 1"));
    assert!(
        !config("", &[])
            .plan
            .repro()
            .shards_command(&[])
            .contains("--max-fail")
    );
}
