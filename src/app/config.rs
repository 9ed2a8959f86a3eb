//! Validated configuration: turns raw [`crate::app::cli`] arguments into a [`Config`] whose every
//! value is checked, and renders the command line that reproduces a run.

use crate::app::cli::{CargoArgs, IsolationArg, ListFormat, PlanArgs, RunArgs, RunIgnored};
pub(crate) use crate::app::error::UsageError;
use crate::discover::CargoSelection;
use crate::plan::Partition;
use crate::plan::repro::Repro;
use crate::plan::seed::Seed;
use crate::runner::executor::ExecOptions;
use crate::runner::executor::Isolation;
use crate::runner::output::{DEFAULT_HEAD, DEFAULT_TAIL};
use std::path::PathBuf;
use std::time::Duration;

/// Where the test binaries come from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// Build them with cargo.
    Cargo(CargoSelection),
    /// Given by path (`--binary`).
    Binaries(Vec<String>),
    /// Unpacked from `cargo shuffle archive` output (`--archive`), run in the source checkout at
    /// the given workspace root.
    Archive {
        /// The archive file.
        file: PathBuf,
        /// The source checkout its tests run in.
        workspace_root: PathBuf,
    },
}

/// Where the seed came from (printed next to it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SeedSource {
    /// `--seed N`.
    Flag,
    /// The `CARGO_SHUFFLE_SEED` environment variable (set once for a whole pipeline).
    Env,
    /// `--seed git`: the HEAD commit id (this 40-hex id).
    Git(String),
    /// Drawn at random for this run.
    Random,
}

impl SeedSource {
    /// Where the seed came from, for the lines that print it: `from --seed`, `from
    /// $CARGO_SHUFFLE_SEED`, `from git HEAD <id>` or `random`.
    pub(crate) fn describe(&self) -> String {
        match self {
            SeedSource::Flag => "from --seed".to_string(),
            SeedSource::Env => format!("from ${SEED_ENV}"),
            SeedSource::Git(id) => format!("from git HEAD {id}"),
            SeedSource::Random => "random".to_string(),
        }
    }
}

/// The environment variable a pipeline sets so that all its jobs share one seed.
pub(crate) const SEED_ENV: &str = "CARGO_SHUFFLE_SEED";

/// The seed for `--seed git`: the first 16 hex digits of the HEAD commit id of the repository
/// containing `dir`, so all partitions of one pipeline agree, a re-run of a commit repeats its
/// order and every new commit gets a new one.
pub(crate) fn seed_from_git(dir: &std::path::Path) -> Result<(Seed, String), UsageError> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .map_err(|e| {
            UsageError(format!(
                "--seed git: cannot run git ({e}); install git or pass --seed N"
            ))
        })?;
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || id.len() < 16 {
        return Err(UsageError(format!(
            "--seed git: {} is not in a git repository with a commit ({}); pass --seed N instead",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let seed = u64::from_str_radix(&id[..16], 16)
        .map_err(|_| UsageError(format!("--seed git: unexpected commit id `{id}`")))?;
    Ok((Seed(seed), id))
}

/// Test-name filtering, libtest-style: a test is selected when it matches any filter (or there
/// are none) and no `--skip` pattern.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameFilter {
    /// Filters given after `--`.
    pub(crate) filters: Vec<String>,
    /// `--skip` patterns (substring match; whole names with `--exact`, as in libtest).
    pub(crate) skip: Vec<String>,
    /// `--exact`: filters and `--skip` patterns must equal the name.
    pub(crate) exact: bool,
}

impl NameFilter {
    /// Whether a test named `name` is selected.
    pub(crate) fn matches(&self, name: &str) -> bool {
        let hit = |f: &String| {
            if self.exact {
                name == f
            } else {
                name.contains(f.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(hit)) && !self.skip.iter().any(hit)
    }
}

/// The plan-related part of a validated configuration, shared by `run` and `list`.
#[derive(Clone, Debug)]
pub(crate) struct PlanConfig {
    /// Where binaries come from.
    pub(crate) source: Source,
    /// The seed.
    pub(crate) seed: Seed,
    /// Where the seed came from.
    pub(crate) seed_source: SeedSource,
    /// Number of shards, at least 1.
    pub(crate) shards: u32,
    /// `--partition`.
    pub(crate) partition: Option<Partition>,
    /// `--run-ignored`.
    pub(crate) run_ignored: RunIgnored,
    /// Name filters.
    pub(crate) filter: NameFilter,
    /// `--reverse`: every shard runs backwards.
    pub(crate) reverse: bool,
    /// `--isolation`.
    pub(crate) isolation: crate::runner::executor::Isolation,
    /// `--order`: exact sequence of test ids to run, if given.
    pub(crate) order: Option<Vec<String>>,
    /// The arguments that select the same tests again (cargo flags or `--binary`, filters),
    /// for repro commands.
    pub(crate) selection_args: Vec<String>,
}

/// Validated `run` configuration.
#[derive(Clone, Debug)]
pub(crate) struct RunConfig {
    /// What and how to plan.
    pub(crate) plan: PlanConfig,
    /// How to execute.
    pub(crate) exec: ExecOptions,
    /// `--junit`.
    pub(crate) junit: Option<PathBuf>,
    /// `--report`.
    pub(crate) report: Option<PathBuf>,
    /// `--summary` (Markdown).
    pub(crate) summary: Option<PathBuf>,
    /// Triage options; `None` with `--no-triage`.
    pub(crate) triage: Option<crate::triage::TriageOptions>,
    /// Gate policy.
    pub(crate) gate: crate::ci::gate::GatePolicy,
    /// `--baseline`, loaded.
    pub(crate) baseline: Option<crate::ci::baseline::Baseline>,
    /// `--allow-no-tests`.
    pub(crate) allow_no_tests: bool,
    /// Progress bar allowed (still only on a terminal).
    pub(crate) progress: bool,
    /// Stream JSON events on stdout.
    pub(crate) json_events: bool,
}

/// Validated `list` configuration.
#[derive(Clone, Debug)]
pub(crate) struct ListConfig {
    /// What and how to plan.
    pub(crate) plan: PlanConfig,
    /// Output format.
    pub(crate) format: ListFormat,
}

/// cargo's selection flags as arguments for `cargo test --no-run`.
pub(crate) fn cargo_args(c: &CargoArgs) -> Vec<String> {
    let mut a = Vec::new();
    let mut multi = |flag: &str, vals: &[String]| {
        for v in vals {
            a.push(flag.to_string());
            a.push(v.clone());
        }
    };
    multi("--package", &c.package);
    multi("--exclude", &c.exclude);
    multi("--bin", &c.bin);
    multi("--test", &c.test);
    multi("--example", &c.example);
    multi("--bench", &c.bench);
    multi("--features", &c.features);
    for (on, flag) in [
        (c.workspace, "--workspace"),
        (c.lib, "--lib"),
        (c.bins, "--bins"),
        (c.tests, "--tests"),
        (c.examples, "--examples"),
        (c.benches, "--benches"),
        (c.all_targets, "--all-targets"),
        (c.all_features, "--all-features"),
        (c.no_default_features, "--no-default-features"),
        (c.release, "--release"),
        (c.locked, "--locked"),
        (c.offline, "--offline"),
        (c.frozen, "--frozen"),
    ] {
        if on {
            a.push(flag.to_string());
        }
    }
    if let Some(p) = &c.profile {
        a.push("--profile".into());
        a.push(p.clone());
    }
    if let Some(d) = &c.target_dir {
        a.push("--target-dir".into());
        a.push(d.display().to_string());
    }
    for t in &c.target {
        a.push("--target".into());
        a.push(t.clone());
    }
    a
}

fn cargo_args_given(c: &CargoArgs) -> bool {
    !cargo_args(c).is_empty() || c.manifest_path.is_some()
}

/// libtest's own options given after `--`, as `cargo test -- --skip x --exact` users write them.
struct LibtestFlags {
    filters: Vec<String>,
    skip: Vec<String>,
    exact: bool,
    run_ignored: Option<RunIgnored>,
}

/// Separates libtest options from name filters in the arguments after `--`: `--skip P`
/// (`--skip=P`), `--exact`, `--ignored`, `--include-ignored` are honoured; options about how
/// libtest runs or prints (`--nocapture`, `--test-threads N`, …) are ignored (the runner decides
/// those); anything else starting with `-` is a usage error rather than a silent filter.
fn libtest_flags(args: &[String]) -> Result<LibtestFlags, UsageError> {
    let mut f = LibtestFlags {
        filters: Vec::new(),
        skip: Vec::new(),
        exact: false,
        run_ignored: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |flag: &str| -> Result<String, UsageError> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| UsageError(format!("`{flag}` after -- needs a value")))
        };
        match name {
            "--skip" => f.skip.push(value("--skip")?),
            "--exact" => f.exact = true,
            "--ignored" | "--include-ignored" => {
                let want = if name == "--ignored" {
                    RunIgnored::Only
                } else {
                    RunIgnored::All
                };
                if f.run_ignored.is_some_and(|had| had != want) {
                    return Err(UsageError(
                        "--ignored and --include-ignored after -- exclude each other (as in libtest): give one".into(),
                    ));
                }
                f.run_ignored = Some(want);
            }
            "--nocapture" | "--no-capture" | "--show-output" | "--quiet" | "-q"
            | "--report-time" | "--ensure-time" => {}
            "--test-threads" | "--color" | "--format" | "--shuffle-seed" => {
                value(name)?;
            }
            "--shuffle" => {}
            "--" => f.filters.extend(it.by_ref().cloned()),
            s if s.starts_with('-') => {
                return Err(UsageError(format!(
                    "`{a}` after -- is not a libtest option cargo-shuffle understands; after -- give test-name filters and --skip/--exact/--ignored/--include-ignored"
                )));
            }
            _ => f.filters.push(a.clone()),
        }
    }
    Ok(f)
}

impl PlanConfig {
    /// Validates the plan arguments. Errors: a malformed seed or partition, or `--binary`
    /// mixed with cargo's selection flags.
    pub(crate) fn from_args(a: &PlanArgs) -> Result<PlanConfig, UsageError> {
        let env_seed = std::env::var(SEED_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty());
        let flag = a
            .seed
            .clone()
            .or_else(|| env_seed.clone().filter(|e| e.trim() == "git"));
        let (seed, seed_source) = match (&flag, env_seed) {
            (Some(s), _) if s.trim() == "git" => {
                let dir = a
                    .cargo
                    .manifest_path
                    .as_deref()
                    .and_then(|m| m.parent())
                    .filter(|d| !d.as_os_str().is_empty())
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_else(|| std::path::PathBuf::from("."));
                let (seed, id) = seed_from_git(&dir)?;
                (seed, SeedSource::Git(id))
            }
            (Some(s), _) => (
                s.parse::<Seed>().map_err(|e| UsageError(e.to_string()))?,
                SeedSource::Flag,
            ),
            (None, Some(e)) => (
                e.parse::<Seed>()
                    .map_err(|err| UsageError(format!("${SEED_ENV}: {err}")))?,
                SeedSource::Env,
            ),
            (None, None) => (Seed::random(), SeedSource::Random),
        };
        let partition = a
            .partition
            .as_deref()
            .map(str::parse::<Partition>)
            .transpose()
            .map_err(|e| UsageError(e.to_string()))?;
        let lt = libtest_flags(&a.filters)?;
        let mut a = a.clone();
        a.filters = lt.filters;
        a.skip.extend(lt.skip);
        a.exact |= lt.exact;
        if let Some(ri) = lt.run_ignored {
            a.run_ignored = ri;
        }
        let a = &a;
        let mut selection_args = Vec::new();
        let source = if let Some(file) = &a.archive {
            if cargo_args_given(&a.cargo) || !a.binary.is_empty() {
                return Err(UsageError(
                    "--archive runs prebuilt binaries: drop cargo's selection flags and --binary"
                        .into(),
                ));
            }
            selection_args.extend(["--archive".into(), file.display().to_string()]);
            // Absolute, so that CARGO_MANIFEST_DIR and relative [env] paths are absolute too.
            let cwd = std::env::current_dir().unwrap_or_default();
            let workspace_root = match &a.workspace_root {
                Some(w) => std::fs::canonicalize(w).map_err(|e| {
                    UsageError(format!(
                        "--workspace-root {}: {e}; pass the directory of the source checkout",
                        w.display()
                    ))
                })?,
                None => cwd,
            };
            if let Some(w) = &a.workspace_root {
                selection_args.extend(["--workspace-root".into(), w.display().to_string()]);
            }
            Source::Archive {
                file: file.clone(),
                workspace_root,
            }
        } else if a.binary.is_empty() {
            let args = cargo_args(&a.cargo);
            selection_args.extend(args.iter().cloned());
            if let Some(m) = &a.cargo.manifest_path {
                selection_args.push("--manifest-path".into());
                selection_args.push(m.display().to_string());
            }
            Source::Cargo(CargoSelection {
                args,
                manifest_path: a.cargo.manifest_path.clone(),
            })
        } else {
            if cargo_args_given(&a.cargo) {
                return Err(UsageError(
                    "--binary runs the given executables without cargo; drop cargo's selection flags (-p, --test, --manifest-path, ...) or drop --binary".into(),
                ));
            }
            for b in &a.binary {
                selection_args.push("--binary".into());
                selection_args.push(b.clone());
            }
            Source::Binaries(a.binary.clone())
        };
        if a.isolation == IsolationArg::Shared {
            selection_args.extend(["--isolation".into(), "shared".into()]);
        }
        if a.run_ignored != RunIgnored::Default {
            selection_args.push("--run-ignored".into());
            selection_args.push(
                match a.run_ignored {
                    RunIgnored::Only => "only",
                    _ => "all",
                }
                .into(),
            );
        }
        for s in &a.skip {
            selection_args.push("--skip".into());
            selection_args.push(s.clone());
        }
        if a.exact {
            selection_args.push("--exact".into());
        }
        Ok(PlanConfig {
            source,
            seed,
            seed_source,
            shards: a.shards,
            partition,
            run_ignored: a.run_ignored,
            filter: NameFilter {
                filters: a.filters.clone(),
                skip: a.skip.clone(),
                exact: a.exact,
            },
            order: (!a.order.is_empty()).then(|| a.order.clone()),
            reverse: a.reverse,
            isolation: match a.isolation {
                IsolationArg::Process => Isolation::Process,
                IsolationArg::Shared => Isolation::Shared,
            },
            selection_args,
        })
    }

    /// What repro commands of this run need (see [`Repro`]).
    pub(crate) fn repro(&self) -> Repro {
        Repro {
            selection_args: self.selection_args.clone(),
            seed: self.seed,
            shards: self.shards,
            partition: self.partition,
            reverse: self.reverse,
            order: self.order.clone(),
            filters: self.filter.filters.clone(),
        }
    }
}

/// A positive, finite number of seconds up to a year, as a `Duration`.
fn seconds(t: f64) -> Option<Duration> {
    (t.is_finite() && t > 0.0 && t <= 366.0 * 86_400.0)
        .then(|| Duration::try_from_secs_f64(t).ok())
        .flatten()
}

impl RunConfig {
    /// Validates `run` arguments. Errors: those of [`PlanConfig::from_args`], a non-positive or
    /// non-finite timeout, or a `--shard` beyond `--shards`.
    pub(crate) fn from_args(a: &RunArgs) -> Result<RunConfig, UsageError> {
        let mut plan = PlanConfig::from_args(&a.plan)?;
        let isolation = plan.isolation;
        // How tests are run belongs in every repro command too: a timed-out test's repro
        // without --timeout would hang.
        if let Some(t) = a.timeout {
            plan.selection_args
                .extend(["--timeout".into(), t.to_string()]);
        }
        if a.leak_timeout != 200 {
            plan.selection_args
                .extend(["--leak-timeout".into(), a.leak_timeout.to_string()]);
        }
        if a.fail_leaky {
            plan.selection_args.push("--fail-leaky".into());
        }
        if a.retries > 0 {
            plan.selection_args
                .extend(["--retries".into(), a.retries.to_string()]);
        }
        if let Some(c) = &a.reset_cmd {
            plan.selection_args
                .extend(["--reset-cmd".into(), c.clone()]);
        }
        let timeout = match a.timeout {
            None => None,
            Some(t) => Some(seconds(t).ok_or_else(|| {
                UsageError(format!(
                    "invalid --timeout `{t:?}`: give a positive number of seconds up to a year, e.g. --timeout 60"
                ))
            })?),
        };
        let budget = match a.triage_budget {
            None => None,
            Some(t) => Some(seconds(t).ok_or_else(|| {
                UsageError(format!(
                    "invalid --triage-budget `{t:?}`: give a positive number of seconds up to a year"
                ))
            })?),
        };
        if plan.order.is_some()
            && let Some(&bad) = a.shard.iter().find(|&&k| k != 1)
        {
            return Err(UsageError(format!(
                "--shard {bad} does not exist: --order makes a plan of one shard (the given tests, in that order); drop --shard or use --shard 1"
            )));
        }
        if let Some(&bad) = a.shard.iter().find(|&&k| k > plan.shards) {
            return Err(UsageError(format!(
                "--shard {bad} does not exist: the plan has {} shards (--shards); pick 1..={}",
                plan.shards, plan.shards
            )));
        }
        if a.retries > 0 && plan.isolation == crate::runner::executor::Isolation::Shared {
            return Err(UsageError(
                "--retries reruns a test in place, which needs one process per test; use it with --isolation process".into(),
            ));
        }
        let jobs = a.jobs.map(|j| j as usize).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        Ok(RunConfig {
            plan,
            exec: ExecOptions {
                jobs,
                timeout,
                grace: Duration::from_secs(2),
                leak_timeout: Duration::from_millis(a.leak_timeout),
                fail_leaky: a.fail_leaky,
                retries: a.retries,
                keep_sandbox: a.keep_sandbox,
                reset_cmd: a.reset_cmd.clone(),
                isolation,
                history: Default::default(),
                keep_last: !a.plan.order.is_empty(),
                binary_tests: Default::default(),
                head_cap: DEFAULT_HEAD,
                tail_cap: DEFAULT_TAIL,
                only_shards: a.shard.clone(),
            },
            junit: a.junit.clone(),
            report: a.report.clone(),
            summary: a.summary.clone(),
            triage: (!a.no_triage).then_some(crate::triage::TriageOptions {
                budget,
                max_reruns: a.triage_max_reruns,
                confirmations: a.confirmations,
                find_cleaners: a.find_cleaners,
            }),
            gate: crate::ci::gate::GatePolicy {
                allow_flaky: a.allow_flaky,
            },
            baseline: a
                .baseline
                .as_deref()
                .map(crate::ci::baseline::Baseline::load)
                .transpose()
                .map_err(|e| UsageError(e.to_string()))?,
            allow_no_tests: a.allow_no_tests,
            // A bar redrawn on the terminal that also shows the JSON stream would garble both.
            progress: !(a.no_progress
                || a.message_format == crate::app::cli::RunFormat::Json
                    && std::io::IsTerminal::is_terminal(&std::io::stdout())),
            json_events: a.message_format == crate::app::cli::RunFormat::Json,
        })
    }
}

impl ListConfig {
    /// Validates `list` arguments (see [`PlanConfig::from_args`]).
    pub(crate) fn from_args(a: &crate::app::cli::ListArgs) -> Result<ListConfig, UsageError> {
        Ok(ListConfig {
            plan: PlanConfig::from_args(&a.plan)?,
            format: a.message_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_flags_after_double_dash() {
        let args: Vec<String> = [
            "parse",
            "--skip",
            "fails",
            "--exact",
            "--skip=x",
            "--test-threads",
            "4",
            "--nocapture",
        ]
        .map(String::from)
        .to_vec();
        let f = libtest_flags(&args).unwrap();
        assert_eq!(f.filters, vec!["parse".to_string()]);
        assert_eq!(f.skip, vec!["fails".to_string(), "x".to_string()]);
        assert!(f.exact);
        let f = libtest_flags(&["--ignored".to_string()]).unwrap();
        assert_eq!(f.run_ignored, Some(RunIgnored::Only));
        assert!(libtest_flags(&["--bogus".to_string()]).is_err());
        assert!(libtest_flags(&["--skip".to_string()]).is_err());
        let both = ["--ignored".to_string(), "--include-ignored".to_string()];
        assert!(libtest_flags(&both).is_err());
    }

    #[test]
    fn cargo_flags_pass_through_and_targets_are_found_again() {
        use clap::Parser;
        let cli = crate::app::cli::Cli::try_parse_from([
            "cargo-shuffle",
            "list",
            "--target",
            "aarch64-unknown-linux-gnu",
            "--target-dir",
            "t",
            "-r",
            "--bench",
            "b",
            "--benches",
            "--all-targets",
        ])
        .unwrap();
        let crate::app::cli::CliCommand::List(l) = cli.command else {
            panic!("not list")
        };
        let args = cargo_args(&l.plan.cargo);
        assert_eq!(
            args,
            [
                "--bench",
                "b",
                "--benches",
                "--all-targets",
                "--release",
                "--target-dir",
                "t",
                "--target",
                "aarch64-unknown-linux-gnu"
            ]
        );
        let sel = crate::discover::CargoSelection {
            args,
            manifest_path: None,
        };
        assert_eq!(sel.targets(), ["aarch64-unknown-linux-gnu"]);
    }

    #[test]
    fn name_filter_semantics() {
        let f = NameFilter {
            filters: vec!["parse".into()],
            skip: vec!["fails".into()],
            exact: false,
        };
        assert!(f.matches("tests::parse_number"));
        assert!(!f.matches("tests::parse_fails"));
        assert!(!f.matches("tests::other"));
        let e = NameFilter {
            filters: vec!["a::b".into()],
            exact: true,
            ..Default::default()
        };
        assert!(e.matches("a::b") && !e.matches("a::bc"));
        // With --exact, --skip takes whole names too (libtest applies it to both).
        let x = NameFilter {
            skip: vec!["tests::skipme".into()],
            exact: true,
            ..Default::default()
        };
        assert!(!x.matches("tests::skipme") && x.matches("tests::skipme_too"));
        assert!(NameFilter::default().matches("anything"));
    }
}
