//! Raw command-line arguments, exactly as clap parses them. Nothing here is validated beyond
//! syntax: [`crate::app::config`] turns these into checked configurations (`PlanConfig`,
//! `RunConfig`, `ListConfig`). The doc comments on arguments are the `--help` text.
//!
//! This file is longer than 600 lines because it is the whole command line as clap derives it,
//! one struct per subcommand and their shared groups, and rule 4 of docs/architecture.md keeps
//! it free of the crate's other modules (so it cannot be split along the stages).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The shard count when `--shards` is not given: a constant, never derived from the machine, so
/// that a seed reproduces the same plan on any machine.
pub(crate) const DEFAULT_SHARDS: u32 = 8;

/// `--leak-timeout` when not given, in milliseconds; repro commands leave this value out.
pub(crate) const DEFAULT_LEAK_TIMEOUT_MS: u64 = 200;

/// The value parser of the whole-number flags (`T`: `u32`, `u64` or `usize`), `MIN..=MAX`:
/// ASCII digits only. Rust's integer `FromStr` also takes a leading `+`, which `--seed` and
/// `--partition` refuse; one rule for every numeric flag. Errors say what is wrong and the
/// accepted form (clap puts the input and the flag before them, and exits 2).
fn whole<T: TryFrom<u64>, const MIN: u64, const MAX: u64>(s: &str) -> Result<T, String> {
    // A bound of u32::MAX or more is the type's, not the flag's: not worth saying.
    let form = match (MIN, MAX >= u64::from(u32::MAX)) {
        (0, true) => "give a whole number (digits only)".to_string(),
        (_, true) => format!("give a whole number (digits only) of at least {MIN}"),
        _ => format!("give a whole number (digits only) from {MIN} to {MAX}"),
    };
    if s.starts_with('+') {
        return Err(format!("a leading `+` is not accepted; {form}"));
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("it is not a whole number; {form}"));
    }
    match s.parse::<u64>() {
        Ok(v) if (MIN..=MAX).contains(&v) => T::try_from(v).map_err(|_| form),
        Ok(v) => Err(format!("{v} is out of range; {form}")),
        Err(_) => Err(format!("it is larger than 2^64-1; {form}")),
    }
}

/// `-j/--jobs` (`--test-threads`) as typed: a count of workers (1 to 1024), or nextest's
/// `num-cpus` (the machine's parallelism, the default) or `-N` (that less N, at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobsArg {
    /// This many workers.
    Count(u32),
    /// As many as the machine's available parallelism.
    NumCpus,
    /// The machine's available parallelism less this many (at least one worker).
    Fewer(u32),
}

/// The value parser of `-j/--jobs`: `J`, `num-cpus` or `-N`. Errors name the accepted forms.
fn jobs(s: &str) -> Result<JobsArg, String> {
    if s == "num-cpus" {
        return Ok(JobsArg::NumCpus);
    }
    if let Some(n) = s.strip_prefix('-') {
        return whole::<u32, 1, 1024>(n)
            .map(JobsArg::Fewer)
            .map_err(|e| format!("{e}; or `num-cpus`, or -N for the CPUs less N"));
    }
    whole::<u32, 1, 1024>(s)
        .map(JobsArg::Count)
        .map_err(|e| format!("{e}; or `num-cpus`, or -N for the CPUs less N"))
}

/// The value parser of the flags that take a decimal number (seconds, a percentage): what
/// Rust's `f64` reads, but not a leading `+` (one rule with [`whole`]); the range is checked
/// where the flag is used, so that a negative number reaches that check and its message.
fn decimal(s: &str) -> Result<f64, String> {
    let form = "give a plain number, e.g. 30 or 0.5";
    if s.trim_start().starts_with('+') {
        return Err(format!("a leading `+` is not accepted; {form}"));
    }
    s.trim()
        .parse::<f64>()
        .map_err(|_| format!("it is not a number; {form}"))
}

/// `--sandbox` as typed; `config` maps it to the runner's sandbox scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SandboxArg {
    /// One temporary directory for the whole run, shared by every shard.
    Run,
    /// A temporary directory per shard.
    Shard,
}

/// `--isolation` as typed; `config` maps it to the runner's isolation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum IsolationArg {
    /// One process per test (like cargo-nextest): only state outside the process leaks.
    Process,
    /// One process per (shard, binary) with `--test-threads=1` (like `cargo test`, one thread):
    /// in-process state (statics, env vars, current dir) leaks to later tests too.
    Shared,
}

/// A randomized parallel test runner for Rust: shuffles tests with a logged seed, runs them in
/// parallel shards, writes JUnit and a JSON run record, and gates the commit by exit code.
#[derive(Debug, Parser)]
#[command(name = "cargo-shuffle", bin_name = "cargo shuffle", version, about)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: CliCommand,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum CliCommand {
    /// Build, list, plan and run the tests (shuffled, in parallel shards).
    Run(RunArgs),
    /// Print the plan (the tests of every shard, in order) without running anything.
    List(ListArgs),
    /// Build the test binaries once and pack them, with what they need at run time, so that
    /// other CI jobs can `run --archive FILE` without compiling.
    Archive(ArchiveArgs),
    /// Maintain the baseline of known order-dependent and flaky tests (quarantine).
    Baseline(BaselineArgs),
    /// Merge the JSON reports and JUnit files of a partitioned run's jobs into one of each,
    /// check that they belong together, and gate on the result.
    Merge(MergeArgs),
    /// Run several planned orders and triage each, aggregating the findings: run 1 is the
    /// seed's plan, run 2 the same shards reversed (every pair sharing a shard is seen in both
    /// orders), runs 3 and 4 the same with a seed derived from the first, and so on.
    Hunt(HuntArgs),
}

/// `cargo shuffle baseline`.
#[derive(Debug, Args)]
pub(crate) struct BaselineArgs {
    /// Add the report's OD victims, brittle and NOD-flaky tests to the baseline file.
    #[arg(long, required = true)]
    pub(crate) update: bool,

    /// JSON report of `run` or `hunt` (`--report`) to read findings from.
    #[arg(long, value_name = "REPORT")]
    pub(crate) from: PathBuf,

    /// The baseline file to update (created if missing).
    #[arg(
        long,
        value_name = "FILE",
        default_value = ".config/shuffle-baseline.json"
    )]
    pub(crate) baseline: PathBuf,

    /// Also remove known tests that the report shows fixed.
    #[arg(long)]
    pub(crate) prune: bool,
}

/// `cargo shuffle archive`.
#[derive(Debug, Args)]
pub(crate) struct ArchiveArgs {
    /// cargo's selection flags.
    #[command(flatten)]
    pub(crate) cargo: CargoArgs,

    /// The archive to write (.tar.gz).
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = "target/shuffle/tests.tar.gz"
    )]
    pub(crate) output: PathBuf,
}

/// `cargo shuffle merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The partitions' files: `*.json` run records (`--report`) and `*.xml` JUnit files.
    #[arg(required = true, value_name = "FILES")]
    pub(crate) inputs: Vec<PathBuf>,

    /// Write the merged JSON run record here.
    #[arg(long, value_name = "PATH")]
    pub(crate) report: Option<PathBuf>,

    /// Write the merged JUnit XML here: merged from the `*.xml` inputs when given, else rendered
    /// from the JSON records alone (without the tests' captured output).
    #[arg(long, value_name = "PATH")]
    pub(crate) junit: Option<PathBuf>,

    /// Write the merged Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "PATH")]
    pub(crate) summary: Option<PathBuf>,

    /// Write the merged run as one self-contained HTML page here: the partitions side by
    /// side (missing ones marked), a timeline per partition, the findings.
    #[arg(long, value_name = "PATH")]
    pub(crate) html: Option<PathBuf>,

    /// Accept a set of partitions with parts missing (they are still listed).
    #[arg(long)]
    pub(crate) allow_missing: bool,

    /// Let NOD-flaky failures pass the gate (with a warning) instead of exit 105.
    #[arg(long)]
    pub(crate) allow_flaky: bool,
}

/// `cargo shuffle hunt`.
#[derive(Debug, Args)]
pub(crate) struct HuntArgs {
    /// Everything `run` takes.
    #[command(flatten)]
    pub(crate) run: RunArgs,

    /// Number of orders to run.
    #[arg(long, value_name = "K", default_value_t = 2,
          value_parser = whole::<u32, 1, { u32::MAX as u64 }>, help_heading = "Hunt")]
    pub(crate) runs: u32,

    /// Keep starting new orders until this many seconds have passed (at least --runs orders).
    #[arg(long = "for", value_name = "SECS", value_parser = decimal, help_heading = "Hunt")]
    pub(crate) for_secs: Option<f64>,

    /// Keep starting new orders (past --runs; within --for if given) until this percentage of
    /// consecutive test pairs has run, one test immediately before the other (0 < PCT <= 100).
    #[arg(long, value_name = "PCT", value_parser = decimal, help_heading = "Hunt")]
    pub(crate) until_coverage: Option<f64>,
}

/// `--no-tests`: what a run that selects no test does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum NoTests {
    /// Exit 0.
    Pass,
    /// Exit 0, as `pass` (the run warns either way).
    Warn,
    /// Exit 4, the default.
    Fail,
}

/// Which `#[ignore]`d tests to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RunIgnored {
    /// Run non-ignored tests only; ignored ones are reported as skipped.
    #[default]
    Default,
    /// Run only the ignored tests.
    Only,
    /// Run both.
    All,
}

/// Which tests triage may run besides the run's own (`--triage-scope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum TriageScope {
    /// Only tests the selection keeps (name filters, `--skip`, `-E`; every partition and
    /// shard of it): a test the user left out is never run, as in nextest.
    #[default]
    Selected,
    /// Every listed (not ignored) test of the binaries, as `cargo test` without filters runs
    /// them: finds state-setters and polluters the filters left out (the finding says so).
    Listed,
}

/// Output format of `run` and `hunt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum RunFormat {
    /// Progress, failures and the summary for people, on stderr only.
    #[default]
    Human,
    /// Also stream events as JSON lines on stdout (run-started, test-started, test-finished,
    /// finding, run-finished); the human output stays on stderr.
    Json,
}

/// Output format of `list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum ListFormat {
    /// One test per line under a header per shard.
    #[default]
    Human,
    /// One JSON document with the seed and the shards.
    Json,
    /// One test id (`BINARY_ID TEST_NAME`) per line in plan order, nothing else on stdout:
    /// for `xargs -d '\n'` or `while read -r bin name`.
    Oneline,
}

/// cargo's own selection and build flags, passed through to `cargo test --no-run`.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Cargo selection (passed to cargo)")]
pub(crate) struct CargoArgs {
    /// Package(s) to test.
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub(crate) package: Vec<String>,
    /// Test all packages in the workspace.
    #[arg(long)]
    pub(crate) workspace: bool,
    /// Exclude packages from the test.
    #[arg(long, value_name = "SPEC")]
    pub(crate) exclude: Vec<String>,
    /// Test only this package's library.
    #[arg(long)]
    pub(crate) lib: bool,
    /// Test all binaries.
    #[arg(long)]
    pub(crate) bins: bool,
    /// Test only the specified binary.
    #[arg(long = "bin", value_name = "NAME")]
    pub(crate) bin: Vec<String>,
    /// Test all integration tests.
    #[arg(long)]
    pub(crate) tests: bool,
    /// Test only the specified integration test target.
    #[arg(long = "test", value_name = "NAME")]
    pub(crate) test: Vec<String>,
    /// Test all examples.
    #[arg(long)]
    pub(crate) examples: bool,
    /// Test only the specified example.
    #[arg(long = "example", value_name = "NAME")]
    pub(crate) example: Vec<String>,
    /// Test all bench targets (their `#[test]`s; `#[bench]` functions are not run).
    #[arg(long)]
    pub(crate) benches: bool,
    /// Test only the specified bench target.
    #[arg(long = "bench", value_name = "NAME")]
    pub(crate) bench: Vec<String>,
    /// Test all targets (lib, bins, tests, examples, benches).
    #[arg(long)]
    pub(crate) all_targets: bool,
    /// Space or comma separated list of features to activate.
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub(crate) features: Vec<String>,
    /// Activate all available features.
    #[arg(long)]
    pub(crate) all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    pub(crate) no_default_features: bool,
    /// Build in release mode.
    #[arg(short = 'r', long)]
    pub(crate) release: bool,
    /// Build with the given profile.
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// Directory for all generated artifacts.
    #[arg(long, value_name = "DIR")]
    pub(crate) target_dir: Option<PathBuf>,
    /// Build for this target triple (repeatable), as `cargo test --target`; tests then run
    /// under its `target.<triple>.runner` if cargo's configuration names one.
    #[arg(long, value_name = "TRIPLE")]
    pub(crate) target: Vec<String>,
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub(crate) manifest_path: Option<PathBuf>,
    /// Assert that Cargo.lock will remain unchanged.
    #[arg(long)]
    pub(crate) locked: bool,
    /// Run without accessing the network.
    #[arg(long)]
    pub(crate) offline: bool,
    /// Equivalent to --locked and --offline.
    #[arg(long)]
    pub(crate) frozen: bool,
}

/// Arguments shared by `run` and `list`: what to test and how to plan it.
#[derive(Debug, Args, Clone)]
pub(crate) struct PlanArgs {
    /// cargo's selection flags.
    #[command(flatten)]
    pub(crate) cargo: CargoArgs,

    /// Run this libtest-compatible test executable instead of building with cargo
    /// (repeatable; `ID=PATH` sets its binary id).
    #[arg(
        long = "binary",
        value_name = "[ID=]PATH",
        help_heading = "Test selection"
    )]
    pub(crate) binary: Vec<String>,

    /// Run the test binaries packed by `cargo shuffle archive` instead of building (in a checkout
    /// of the same workspace source: the current directory or --workspace-root).
    #[arg(long, value_name = "FILE", help_heading = "Test selection")]
    pub(crate) archive: Option<PathBuf>,

    /// With --archive: the source checkout the tests run in [default: current directory].
    #[arg(
        long,
        value_name = "DIR",
        requires = "archive",
        help_heading = "Test selection"
    )]
    pub(crate) workspace_root: Option<PathBuf>,

    /// Seed of the shuffle: decimal or 0x-hex u64, or `git` (from the HEAD commit id)
    /// [default: $CARGO_SHUFFLE_SEED, else random; always printed].
    #[arg(
        long,
        value_name = "SEED",
        allow_hyphen_values = true,
        help_heading = "Plan"
    )]
    pub(crate) seed: Option<String>,

    /// Number of shards (ordered sequences) [default: 8, a constant so a seed reproduces on any
    /// machine]. With --isolation shared and no --shards, each test binary is one shard: all its
    /// tests in one process per run.
    #[arg(long, value_name = "N",
          value_parser = whole::<u32, 1, 100_000>, help_heading = "Plan")]
    pub(crate) shards: Option<u32>,

    /// Run only the K-th of N disjoint parts of the selected tests (for parallel CI jobs).
    #[arg(
        long,
        value_name = "K/N",
        allow_hyphen_values = true,
        help_heading = "Plan"
    )]
    pub(crate) partition: Option<String>,

    /// Run exactly these tests, in exactly this order, in one sequence (ids as printed:
    /// 'BINARY_ID TEST_NAME'). Used by repro commands; filters and partitions do not apply.
    #[arg(long, value_name = "ID", num_args = 1.., conflicts_with = "partition",
          help_heading = "Plan")]
    pub(crate) order: Vec<String>,

    /// Run every shard in reverse order (what `hunt` does in its even-numbered runs).
    #[arg(long, help_heading = "Plan")]
    pub(crate) reverse: bool,

    /// `process`: one process per test. `shared`: the tests of a binary in a shard share one
    /// process (`--test-threads=1`), exposing in-process state (statics, env vars, cwd)
    /// [default: process]
    #[arg(long, value_enum, help_heading = "Plan")]
    pub(crate) isolation: Option<IsolationArg>,

    /// Which #[ignore]d tests to run.
    #[arg(long, value_enum, default_value_t = RunIgnored::Default, help_heading = "Test selection")]
    pub(crate) run_ignored: RunIgnored,

    /// Skip tests whose name contains PATTERN (repeatable).
    #[arg(long, value_name = "PATTERN", help_heading = "Test selection")]
    pub(crate) skip: Vec<String>,

    /// Match the test-name filters exactly instead of as substrings.
    #[arg(long, help_heading = "Test selection")]
    pub(crate) exact: bool,

    /// Select tests with a filterset expression in nextest's language, e.g.
    /// 'package(=app) & test(/^db::/)' (repeatable: a test is selected when any matches).
    #[arg(
        short = 'E',
        long = "filterset",
        value_name = "EXPR",
        help_heading = "Test selection"
    )]
    pub(crate) filterset: Vec<String>,

    /// Stop before any test runs (exit 104) when a test binary cannot be listed, instead of
    /// reporting it and running the other binaries' tests.
    #[arg(long, help_heading = "Test selection")]
    pub(crate) fail_on_list_error: bool,

    /// The config file to read [default: .config/shuffle.toml in the workspace root, if it
    /// exists].
    #[arg(long, value_name = "PATH", help_heading = "Config")]
    pub(crate) config_file: Option<PathBuf>,

    /// The profile of the config file to use (named profiles inherit from `default`)
    /// [default: $CARGO_SHUFFLE_PROFILE, else default].
    #[arg(long, value_name = "NAME", help_heading = "Config")]
    pub(crate) config_profile: Option<String>,

    /// Test-name filters, before `--` as in nextest (`cargo shuffle run parse`): the same as
    /// filters after `--`.
    #[arg(value_name = "FILTER")]
    pub(crate) name_filters: Vec<String>,

    /// After `--`: test-name filters (run tests whose name contains any of them) and libtest's
    /// --skip/--exact/--ignored/--include-ignored/--nocapture/--show-output.
    #[arg(last = true, value_name = "FILTERS")]
    pub(crate) filters: Vec<String>,
}

/// `cargo shuffle run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// What to test and how to plan it.
    #[command(flatten)]
    pub(crate) plan: PlanArgs,

    /// Worker threads running shards in parallel [default: available parallelism].
    #[arg(short = 'j', long, visible_alias = "test-threads", value_name = "J",
          value_parser = jobs, allow_hyphen_values = true, help_heading = "Execution")]
    pub(crate) jobs: Option<JobsArg>,

    /// Run only these shards of the plan (1-based; repeatable or comma-separated).
    #[arg(long = "shard", value_name = "K", value_delimiter = ',',
          value_parser = whole::<u32, 1, { u32::MAX as u64 }>, help_heading = "Execution")]
    pub(crate) shard: Vec<u32>,

    /// Per-test timeout in seconds (TERM to the test's process group, grace period, KILL).
    #[arg(
        long,
        value_name = "SECS",
        allow_hyphen_values = true,
        value_parser = decimal,
        help_heading = "Execution"
    )]
    pub(crate) timeout: Option<f64>,

    /// A test running longer than this many seconds is shown as SLOW (again each period) and
    /// marked slow in the reports [default: 60, or the profile's `slow-timeout`].
    #[arg(
        long,
        value_name = "SECS",
        allow_hyphen_values = true,
        value_parser = decimal,
        help_heading = "Execution"
    )]
    pub(crate) slow_timeout: Option<f64>,

    /// How long a test's output may stay open after the test exited (a background process it
    /// started still holds it) before the test is marked LEAKY and its process group killed
    /// [default: 200]
    #[arg(
        long,
        value_name = "MS",
        value_parser = whole::<u64, 1, 3_600_000>,
        help_heading = "Execution"
    )]
    pub(crate) leak_timeout: Option<u64>,

    /// Count a LEAKY test that passed as failed (default: it passes, labelled LEAKY).
    #[arg(long, help_heading = "Execution")]
    pub(crate) fail_leaky: bool,

    /// Rerun a failing test in place up to N times; passing on a retry marks it flaky
    /// [default: 0]
    #[arg(
        long,
        value_name = "N",
        value_parser = whole::<u32, 0, 100>,
        help_heading = "Execution"
    )]
    pub(crate) retries: Option<u32>,

    /// Keep each sequence's temporary directory (TMPDIR) instead of removing it; the path is in
    /// the JSON report (`sandbox`) and on the terminal for failing tests.
    #[arg(long, help_heading = "Execution")]
    pub(crate) keep_sandbox: bool,

    /// Which shards share a temporary directory (TMPDIR): `run` (default) gives the whole run
    /// one, so state a test leaves there reaches later tests of every shard (as under cargo
    /// test and nextest: one run exposes most polluter→victim pairs); `shard` gives each shard
    /// its own (`--shard K` then reproduces a shard alone).
    #[arg(long, value_enum, default_value_t = SandboxArg::Run, help_heading = "Execution")]
    pub(crate) sandbox: SandboxArg,

    /// Shell command run before each sandbox is used (the run's, with --sandbox shard each
    /// shard's, and each triage rerun's) to reset state the runner cannot sandbox (a database,
    /// a fixed path). TMPDIR is that sandbox.
    #[arg(long, value_name = "CMD", help_heading = "Execution")]
    pub(crate) reset_cmd: Option<String>,

    /// Exit 0 (not 4) when no test is selected (with a warning).
    #[arg(long, help_heading = "Execution")]
    pub(crate) allow_no_tests: bool,

    /// nextest's spelling: `pass` or `warn` is --allow-no-tests (both warn), `fail` the
    /// default (exit 4).
    #[arg(
        long,
        value_enum,
        value_name = "ACTION",
        conflicts_with = "allow_no_tests",
        help_heading = "Execution"
    )]
    pub(crate) no_tests: Option<NoTests>,

    /// Stop starting tests after the first failure (same as --max-fail 1).
    #[arg(long, overrides_with = "no_fail_fast", help_heading = "Execution")]
    pub(crate) fail_fast: bool,

    /// Run every test whatever fails (the default; overrides --fail-fast).
    #[arg(long, overrides_with = "fail_fast", help_heading = "Execution")]
    pub(crate) no_fail_fast: bool,

    /// After N failures no new test starts and running tests finish (`N:immediate` stops them
    /// too, reported interrupted; `all` = no limit); the rest are reported `not run`
    /// [default: all].
    #[arg(long, value_name = "N[:immediate]", conflicts_with_all = ["fail_fast", "no_fail_fast"],
          help_heading = "Execution")]
    pub(crate) max_fail: Option<String>,

    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH", help_heading = "Reports")]
    pub(crate) junit: Option<PathBuf>,

    /// Write the JSON run record here.
    #[arg(long, value_name = "PATH", help_heading = "Reports")]
    pub(crate) report: Option<PathBuf>,

    /// Write the findings and summary as Markdown (e.g. to $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "PATH", help_heading = "Reports")]
    pub(crate) summary: Option<PathBuf>,

    /// Write one self-contained HTML page here (no network needed): header, a timeline with a
    /// lane per worker, the findings with arrows from their polluters, the failures.
    #[arg(long, value_name = "PATH", help_heading = "Reports")]
    pub(crate) html: Option<PathBuf>,

    /// Known order-dependent / flaky tests (e.g. .config/shuffle-baseline.json): they do not
    /// fail the gate; new ones do; fixed ones are reported.
    #[arg(long, value_name = "FILE", help_heading = "Triage")]
    pub(crate) baseline: Option<PathBuf>,

    /// Do not triage failing tests (no reruns; every failure exits 100).
    #[arg(long, help_heading = "Triage")]
    pub(crate) no_triage: bool,

    /// Time budget for triage, in seconds [default: unlimited].
    #[arg(long, value_name = "SECS", value_parser = decimal, help_heading = "Triage")]
    pub(crate) triage_budget: Option<f64>,

    /// Maximum reruns per failing test.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = whole::<usize, 0, { u32::MAX as u64 }>, help_heading = "Triage")]
    pub(crate) triage_max_reruns: usize,

    /// Extra confirmations of an order-dependence finding (polluters+victim fails again and
    /// the victim alone passes again), against reporting a flaky test as order-dependent
    /// [default: 3]
    #[arg(long, value_name = "N", value_parser = whole::<u32, 0, { u32::MAX as u64 }>,
          help_heading = "Triage")]
    pub(crate) confirmations: Option<u32>,

    /// Look for cleaners of each OD victim among the run's other tests (one rerun each).
    #[arg(long, help_heading = "Triage")]
    pub(crate) find_cleaners: bool,

    /// Which tests triage may run: `selected` (what the filters, --skip and -E keep) or
    /// `listed` (every listed test of the binaries, to find state-setters filtered out)
    #[arg(long, value_enum, default_value_t = TriageScope::Selected, help_heading = "Triage")]
    pub(crate) triage_scope: TriageScope,

    /// Let non-deterministic (NOD) flaky failures pass the gate with a warning instead of
    /// failing it with exit 105.
    #[arg(long, help_heading = "Triage")]
    pub(crate) allow_flaky: bool,

    /// `json`: also stream events as JSON lines on stdout (run-started, test-started,
    /// test-slow, test-finished, finding, run-finished); human output stays on stderr.
    #[arg(long, value_enum, default_value_t = RunFormat::Human, help_heading = "Reports")]
    pub(crate) message_format: RunFormat,

    /// Never draw a progress bar, print one line per finished test instead.
    #[arg(long, help_heading = "Reports")]
    pub(crate) no_progress: bool,

    /// Where a passing test's captured output is shown: `immediate` (right after its result),
    /// `final` (in the summary), `immediate-final` (both) or `never` [default: never]
    #[arg(long, value_enum, value_name = "WHEN", help_heading = "Reports")]
    pub(crate) success_output: Option<OutputArg>,

    /// Where a failing test's captured output is shown (values as --success-output)
    /// [default: immediate]
    #[arg(long, value_enum, value_name = "WHEN", help_heading = "Reports")]
    pub(crate) failure_output: Option<OutputArg>,

    /// Store passing tests' captured output in JUnit <system-out> too (failing tests' always
    /// is).
    #[arg(long, help_heading = "Reports")]
    pub(crate) junit_store_success_output: bool,

    /// Show each test's output on the terminal as it prints it, every line prefixed with
    /// `[BINARY_ID TEST_NAME]`; shards still run in parallel (`--nocapture` and
    /// `-- --nocapture` mean the same).
    #[arg(long, alias = "nocapture", help_heading = "Execution")]
    pub(crate) no_capture: bool,
}

/// `--success-output` / `--failure-output` (nextest's values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputArg {
    /// Right after the test's result.
    Immediate,
    /// In the summary at the end.
    Final,
    /// Both.
    ImmediateFinal,
    /// Not on the terminal.
    Never,
}

/// `cargo shuffle list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// What to test and how to plan it.
    #[command(flatten)]
    pub(crate) plan: PlanArgs,

    /// Output format: `human`, `json`, or `oneline` (one `BINARY_ID TEST_NAME` per line, for
    /// scripts).
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub(crate) message_format: ListFormat,

    /// `full`: the planned tests. `binaries-only`: the test binaries (ids; JSON: ids and
    /// paths), one per line.
    #[arg(long, value_enum, default_value_t = ListType::Full)]
    pub(crate) list_type: ListType,
}

/// `list --list-type` (nextest's spelling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum ListType {
    /// The plan: every selected test, by shard.
    #[default]
    Full,
    /// Only the test binaries that were built (or given) and listed.
    BinariesOnly,
}
