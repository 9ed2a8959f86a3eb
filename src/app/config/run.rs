//! The validated configuration of `run` (and of every run of a `hunt`): the plan, how the
//! executor runs it, triage, the gate, the baseline and the reports.

use super::plan::PlanConfig;
use crate::app::cli::{DEFAULT_LEAK_TIMEOUT_MS, RunArgs, RunFormat, SandboxArg};
use crate::app::error::UsageError;
use crate::ci::baseline::Baseline;
use crate::ci::gate::GatePolicy;
use crate::runner::executor::{ExecOptions, Isolation, MaxFail, SandboxScope};
use crate::runner::output::{DEFAULT_HEAD, DEFAULT_TAIL};
use crate::triage::TriageOptions;
use std::path::PathBuf;
use std::time::Duration;

/// Validated `run` configuration.
#[derive(Clone, Debug)]
pub(crate) struct RunConfig {
    /// What to test and how to plan it; its `selection_args` also repeat the execution flags a
    /// repro needs (`--timeout`, `--retries`, …).
    pub(crate) plan: PlanConfig,
    /// How the executor runs the plan: workers, timeouts, leaks, retries, sandboxes, reset
    /// command, the shards chosen with `--shard`.
    pub(crate) exec: ExecOptions,
    /// Where to write the JUnit XML report (`--junit`), if anywhere.
    pub(crate) junit: Option<PathBuf>,
    /// Where to write the JSON run record (`--report`; a hunt writes its hunt report there).
    pub(crate) report: Option<PathBuf>,
    /// Where to write the Markdown summary (`--summary`, e.g. `$GITHUB_STEP_SUMMARY`).
    pub(crate) summary: Option<PathBuf>,
    /// Triage options; `None` with `--no-triage`.
    pub(crate) triage: Option<TriageOptions>,
    /// How the gate turns the outcome into an exit code (`--allow-flaky`).
    pub(crate) gate: GatePolicy,
    /// The known order-dependent and flaky tests of `--baseline`, loaded: their failures are
    /// quarantined instead of failing the gate.
    pub(crate) baseline: Option<Baseline>,
    /// Exit 0 instead of 4 when no test is selected (`--allow-no-tests`).
    pub(crate) allow_no_tests: bool,
    /// Whether a progress bar may be drawn (it still is only when stderr is a terminal): off
    /// with `--no-progress`, and with the JSON stream when stdout is a terminal too.
    pub(crate) progress: bool,
    /// Stream events as JSON lines on stdout (`--message-format json`).
    pub(crate) json_events: bool,
}

impl RunConfig {
    /// Validates `run` arguments. Errors: those of [`PlanConfig::from_args`], a non-positive or
    /// non-finite timeout or triage budget, a `--shard` beyond `--shards` (or other than 1
    /// with `--order`), `--retries` in shared isolation, an unreadable `--baseline`.
    pub(crate) fn from_args(a: &RunArgs) -> Result<RunConfig, UsageError> {
        let mut plan = PlanConfig::from_args(&a.plan)?;
        // How tests are run belongs in every repro command too: a timed-out test's repro
        // without --timeout would hang.
        plan.selection_args.extend(execution_args(a));
        let timeout = seconds_arg("--timeout", a.timeout, ", e.g. --timeout 60")?;
        let budget = seconds_arg("--triage-budget", a.triage_budget, "")?;
        check_shards(a, &plan)?;
        if a.retries > 0 && plan.isolation == Isolation::Shared {
            return Err(UsageError(
                "--retries reruns a test in place, which needs one process per test; use it with --isolation process".into(),
            ));
        }
        let mut exec = exec_options(a, plan.isolation, timeout);
        exec.max_fail = max_fail(a)?;
        Ok(RunConfig {
            plan,
            exec,
            junit: a.junit.clone(),
            report: a.report.clone(),
            summary: a.summary.clone(),
            triage: (!a.no_triage).then_some(TriageOptions {
                budget,
                max_reruns: a.triage_max_reruns,
                confirmations: a.confirmations,
                find_cleaners: a.find_cleaners,
            }),
            gate: GatePolicy {
                allow_flaky: a.allow_flaky,
            },
            baseline: a
                .baseline
                .as_deref()
                .map(Baseline::load)
                .transpose()
                .map_err(|e| UsageError(e.to_string()))?,
            allow_no_tests: a.allow_no_tests,
            // A bar redrawn on the terminal that also shows the JSON stream would garble both.
            progress: !(a.no_progress
                || a.message_format == RunFormat::Json
                    && std::io::IsTerminal::is_terminal(&std::io::stdout())),
            json_events: a.message_format == RunFormat::Json,
        })
    }
}

/// The execution flags a repro command must repeat to run tests the same way: `--timeout`,
/// `--leak-timeout` (when not the default), `--fail-leaky`, `--retries`, `--reset-cmd`.
fn execution_args(a: &RunArgs) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(t) = a.timeout {
        args.extend(["--timeout".into(), t.to_string()]);
    }
    if a.leak_timeout != DEFAULT_LEAK_TIMEOUT_MS {
        args.extend(["--leak-timeout".into(), a.leak_timeout.to_string()]);
    }
    if a.fail_leaky {
        args.push("--fail-leaky".into());
    }
    if a.retries > 0 {
        args.extend(["--retries".into(), a.retries.to_string()]);
    }
    if let Some(c) = &a.reset_cmd {
        args.extend(["--reset-cmd".into(), c.clone()]);
    }
    if a.sandbox == SandboxArg::Shard {
        args.extend(["--sandbox".into(), "shard".into()]);
    }
    args
}

/// A positive, finite number of seconds up to a year, as a `Duration`.
fn seconds(t: f64) -> Option<Duration> {
    (t.is_finite() && t > 0.0 && t <= 366.0 * 86_400.0)
        .then(|| Duration::try_from_secs_f64(t).ok())
        .flatten()
}

/// The value of the seconds flag `flag`, if given. Errors: one that [`seconds`] rejects (the
/// message ends with `hint`).
fn seconds_arg(flag: &str, value: Option<f64>, hint: &str) -> Result<Option<Duration>, UsageError> {
    value
        .map(|t| {
            seconds(t).ok_or_else(|| {
                UsageError(format!(
                    "invalid {flag} `{t:?}`: give a positive number of seconds up to a year{hint}"
                ))
            })
        })
        .transpose()
}

/// Checks `--shard`: with `--order` the plan has one shard, else at most `--shards`.
fn check_shards(a: &RunArgs, plan: &PlanConfig) -> Result<(), UsageError> {
    if plan.order.is_some()
        && let Some(&bad) = a.shard.iter().find(|&&k| k != 1)
    {
        return Err(UsageError(format!(
            "--shard {bad} does not exist: --order makes a plan of one shard (the given tests, in that order); drop --shard or use --shard 1"
        )));
    }
    // A by-binary plan has one shard per binary: checked once the binaries are known.
    if let Some(&bad) = a
        .shard
        .iter()
        .find(|&&k| !plan.by_binary && k > plan.shards)
    {
        return Err(UsageError(format!(
            "--shard {bad} does not exist: the plan has {} shards (--shards); pick 1..={}",
            plan.shards, plan.shards
        )));
    }
    Ok(())
}

/// The executor's options from `run` arguments; `jobs` defaults to the available parallelism,
/// the history and per-binary test counts are filled in by the session.
fn exec_options(a: &RunArgs, isolation: Isolation, timeout: Option<Duration>) -> ExecOptions {
    let jobs = a.jobs.map(|j| j as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    ExecOptions {
        jobs,
        timeout,
        grace: Duration::from_secs(2),
        leak_timeout: Duration::from_millis(a.leak_timeout),
        fail_leaky: a.fail_leaky,
        retries: a.retries,
        keep_sandbox: a.keep_sandbox,
        sandbox: match a.sandbox {
            SandboxArg::Run => SandboxScope::Run,
            SandboxArg::Shard => SandboxScope::Shard,
        },
        reset_cmd: a.reset_cmd.clone(),
        isolation,
        history: Default::default(),
        keep_last: !a.plan.order.is_empty(),
        head_cap: DEFAULT_HEAD,
        tail_cap: DEFAULT_TAIL,
        only_shards: a.shard.clone(),
        max_fail: None,
    }
}

/// `--fail-fast` (= `--max-fail 1`), `--no-fail-fast` and `--max-fail N[:wait|:immediate]`
/// (or `all`): the failures after which no new test starts; `None` = no limit, the default.
/// Errors: a count that is not a positive integer, a mode other than `wait` or `immediate`.
fn max_fail(a: &RunArgs) -> Result<Option<MaxFail>, UsageError> {
    if a.fail_fast {
        return Ok(Some(MaxFail {
            count: 1,
            immediate: false,
        }));
    }
    let Some(v) = a.max_fail.as_deref() else {
        return Ok(None);
    };
    let bad = || {
        UsageError(format!(
            "invalid --max-fail `{v}`: give N (a positive number of failures), N:immediate, N:wait or all"
        ))
    };
    let (n, mode) = v.split_once(':').unwrap_or((v, "wait"));
    let immediate = match mode {
        "wait" => false,
        "immediate" => true,
        _ => return Err(bad()),
    };
    if n == "all" {
        return Ok(None);
    }
    let count: u32 = n.parse().map_err(|_| bad())?;
    if count == 0 {
        return Err(bad());
    }
    Ok(Some(MaxFail { count, immediate }))
}
