//! The validated configuration of `run` (and of every run of a `hunt`): the plan, how the
//! executor runs it, triage, the gate, the baseline and the reports.

use super::plan::PlanConfig;
use crate::app::cli::{
    DEFAULT_LEAK_TIMEOUT_MS, JobsArg, OutputArg, RunArgs, RunFormat, SandboxArg,
};
use crate::app::error::UsageError;
use crate::ci::baseline::Baseline;
use crate::ci::gate::GatePolicy;
use crate::runner::executor::{ExecOptions, Isolation, MaxFail, SandboxScope};
use crate::runner::output::{
    DEFAULT_HEAD, DEFAULT_TAIL, OutputDisplay, OutputOverride, OutputSettings,
};
use crate::runner::overrides::SlowTimeout;
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
    /// Where to write the HTML report (`--html`), if anywhere.
    pub(crate) html: Option<PathBuf>,
    /// Triage options; `None` with `--no-triage`.
    pub(crate) triage: Option<TriageOptions>,
    /// `--triage-scope listed`: triage may run listed tests the selection left out.
    pub(crate) triage_listed: bool,
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
    /// with `--order`), `--retries` or `--fail-leaky` in shared isolation, an unreadable
    /// `--baseline`.
    pub(crate) fn from_args(a: &RunArgs) -> Result<RunConfig, UsageError> {
        let mut plan = PlanConfig::from_args(&a.plan)?;
        let p = plan.profile.settings.clone();
        let timeout =
            seconds_arg("--timeout", a.timeout, ", e.g. --timeout 60")?.or(p.timeout.map(|t| t.0));
        let budget =
            seconds_arg("--triage-budget", a.triage_budget, "")?.or(p.triage_budget.map(|t| t.0));
        let leak_ms = a
            .leak_timeout
            .or(p.leak_timeout.map(|t| t.0.as_millis().max(1) as u64))
            .unwrap_or(DEFAULT_LEAK_TIMEOUT_MS);
        let profile_retries = p.retries.map_or(0, |r| r.0);
        let retries = a.retries.unwrap_or(profile_retries);
        // How tests are run belongs in every repro command too: a timed-out test's repro
        // without --timeout would hang.
        plan.selection_args
            .extend(execution_args(a, timeout, leak_ms));
        // The first override that retries some tests; `--retries` beats it (as in nextest).
        let retrying_override = p
            .overrides
            .iter()
            .find(|o| o.retries.is_some_and(|r| r.0 > 0));
        let override_retries = a.retries.is_none() && retrying_override.is_some();
        plan.run_args
            .extend(run_retries(a.retries, profile_retries, override_retries));
        // A failing test's or a finding's repro that retried could pass and hide the failure
        // it is meant to show; those commands name the profile too, so they turn its retries
        // (and its overrides') off.
        if profile_retries > 0 || retrying_override.is_some() {
            plan.failure_args.extend(["--retries".into(), "0".into()]);
        }
        check_shards(a, &plan)?;
        if retries > 0 && plan.isolation == Isolation::Shared {
            let what = match a.retries {
                Some(_) => "--retries".to_string(),
                None => format!("`retries` of {}", plan.profile.describe()),
            };
            return Err(UsageError(format!(
                "{what} reruns a test in place, which needs one process per test; use it with --isolation process{}",
                if a.retries.is_none() {
                    ", or pass --retries 0 to turn the profile's retries off"
                } else {
                    ""
                }
            )));
        }
        if a.fail_leaky && plan.isolation == Isolation::Shared {
            // A shared process's leftover children are killed after --leak-timeout, but no
            // test can be blamed for them: silently accepting the flag would promise a check
            // that never happens.
            return Err(UsageError(
                "--fail-leaky judges one test's process, which needs one process per test; use it with --isolation process".into(),
            ));
        }
        if plan.isolation == Isolation::Shared
            && override_retries
            && let Some(o) = retrying_override
        {
            return Err(plan.profile.error_at(
                o.filter.span().start,
                "an override with `retries` reruns a test in place, which needs one process per test; use it with --isolation process, or pass --retries 0 to turn retries off",
            ));
        }
        let mut exec = exec_options(a, plan.isolation, timeout);
        exec.leak_timeout = Duration::from_millis(leak_ms);
        exec.retries = retries;
        exec.slow_timeout = slow_timeout(a, &p)?;
        exec.overrides = plan.compiled.overrides.clone();
        if a.retries.is_some() {
            exec.overrides = exec.overrides.without_retries();
        }
        exec.groups = plan.compiled.groups.clone();
        if a.jobs.is_none()
            && let Some(j) = p.jobs
        {
            exec.jobs = j.0 as usize;
        }
        exec.max_fail = max_fail(a)?;
        // "Reproduce this run" stops where the run stopped; a finding's or a shard's repro
        // runs to its test.
        if let Some(m) = exec.max_fail {
            let mode = if m.immediate { ":immediate" } else { "" };
            plan.run_args
                .extend(["--max-fail".into(), format!("{}{mode}", m.count)]);
        }
        exec.output = output_settings(a, &p, &plan.compiled.output);
        Ok(RunConfig {
            plan,
            exec,
            junit: a.junit.clone().or(p.junit),
            report: a.report.clone().or(p.report),
            summary: a.summary.clone().or(p.summary),
            html: a.html.clone().or(p.html),
            triage: (!a.no_triage).then_some(TriageOptions {
                budget,
                max_reruns: a.triage_max_reruns,
                confirmations: a
                    .confirmations
                    .or(p.confirmations.map(|c| c.0))
                    .unwrap_or(DEFAULT_CONFIRMATIONS),
                find_cleaners: a.find_cleaners,
            }),
            triage_listed: a.triage_scope == crate::app::cli::TriageScope::Listed,
            gate: GatePolicy {
                allow_flaky: a.allow_flaky || p.allow_flaky == Some(true),
            },
            baseline: a
                .baseline
                .clone()
                .or(p.baseline)
                .as_deref()
                .map(Baseline::load)
                .transpose()
                .map_err(|e| UsageError(e.to_string()))?,
            allow_no_tests: a.allow_no_tests
                || matches!(
                    a.no_tests,
                    Some(crate::app::cli::NoTests::Pass | crate::app::cli::NoTests::Warn)
                ),
            // A bar redrawn on the terminal that also shows the JSON stream would garble both.
            progress: !(a.no_progress
                || a.message_format == RunFormat::Json
                    && std::io::IsTerminal::is_terminal(&std::io::stdout())),
            json_events: a.message_format == RunFormat::Json,
        })
    }
}

/// The `--retries` of the commands that reproduce the whole run: the flag's value, else the
/// profile's `retries` spelled out (so the repro does not depend on the file), except when an
/// override retries some tests (`override_retries`): the flag would beat it, so the profile
/// the command names decides, as it did in the run.
fn run_retries(flag: Option<u32>, profile: u32, override_retries: bool) -> Vec<String> {
    match flag {
        Some(n) => vec!["--retries".into(), n.to_string()],
        None if profile > 0 && !override_retries => {
            vec!["--retries".into(), profile.to_string()]
        }
        None => Vec::new(),
    }
}

/// `--slow-timeout SECS` (a period, never terminating), else the profile's `slow-timeout`,
/// else 60 s. Errors: a flag value that is not a positive number of seconds up to a year.
fn slow_timeout(a: &RunArgs, p: &super::file::ProfileFile) -> Result<SlowTimeout, UsageError> {
    if let Some(t) = seconds_arg("--slow-timeout", a.slow_timeout, ", e.g. --slow-timeout 60")? {
        return Ok(SlowTimeout {
            period: t,
            terminate_after: None,
        });
    }
    Ok(p.slow_timeout
        .map_or(SlowTimeout::DEFAULT, |s| SlowTimeout {
            period: s.period,
            terminate_after: s.terminate_after,
        }))
}

/// `--confirmations` when neither the flag nor the profile gives it.
pub(crate) const DEFAULT_CONFIRMATIONS: u32 = 3;

/// The execution flags a repro command must repeat to run tests the same way: `--timeout`,
/// `--leak-timeout` (when given or not the default), `--slow-timeout` (when given),
/// `--fail-leaky`, `--reset-cmd`, `--sandbox shard`;
/// the values in effect (from the flags or the profile), so that a repro does not depend on
/// the config file staying as it was. (`--retries` goes only into the run's own repro.)
fn execution_args(a: &RunArgs, timeout: Option<Duration>, leak_ms: u64) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(t) = a.timeout {
        args.extend(["--timeout".into(), t.to_string()]);
    } else if let Some(t) = timeout {
        args.extend(["--timeout".into(), t.as_secs_f64().to_string()]);
    }
    // A flag given explicitly is repeated even at the default value: it may undo the
    // profile's, which the repro's `--config-profile` would bring back.
    if leak_ms != DEFAULT_LEAK_TIMEOUT_MS || a.leak_timeout.is_some() {
        args.extend(["--leak-timeout".into(), leak_ms.to_string()]);
    }
    if let Some(t) = a.slow_timeout {
        // The flag replaces the profile's whole slow-timeout (terminate-after included).
        args.extend(["--slow-timeout".into(), t.to_string()]);
    }
    if a.fail_leaky {
        args.push("--fail-leaky".into());
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
    // A by-binary plan has one shard per binary: checked once the binaries are known. The
    // name-ordered shard of `shuffle = false` comes after the seeded ones (whether it exists
    // is known once the tests are).
    let most = plan.shards + u32::from(plan.compiled.unshuffled.is_some());
    if let Some(&bad) = a.shard.iter().find(|&&k| !plan.by_binary && k > most) {
        return Err(UsageError(format!(
            "--shard {bad} does not exist: the plan has {most} shards (--shards{}); pick 1..={most}",
            if most > plan.shards {
                ", and one for the tests of `shuffle = false`"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// The executor's options from `run` arguments; `jobs` defaults to the available parallelism,
/// the history and per-binary test counts are filled in by the session; the leak timeout and
/// retries are the defaults until the caller applies the flag or the profile.
fn exec_options(a: &RunArgs, isolation: Isolation, timeout: Option<Duration>) -> ExecOptions {
    let cpus = || {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    };
    let jobs = match a.jobs {
        Some(JobsArg::Count(n)) => n as usize,
        Some(JobsArg::NumCpus) | None => cpus(),
        Some(JobsArg::Fewer(n)) => cpus().saturating_sub(n as usize).max(1),
    };
    ExecOptions {
        jobs,
        timeout,
        grace: Duration::from_secs(2),
        leak_timeout: Duration::from_millis(DEFAULT_LEAK_TIMEOUT_MS),
        fail_leaky: a.fail_leaky,
        retries: 0,
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
        output: Default::default(),
        slow_timeout: SlowTimeout::DEFAULT,
        overrides: Default::default(),
        groups: Default::default(),
    }
}

/// Where tests' output goes: each setting from its flag, else (`--success-output` only)
/// libtest's `-- --show-output` (= `final`), else the profile's key, else nextest's default
/// (`failure-output = immediate`, `success-output = never`); `--no-capture` or libtest's
/// `-- --nocapture`. Per test, the first of `overrides` that applies and sets a setting
/// decides it, unless the command line sets it: as in nextest, a flag beats the overrides.
fn output_settings(
    a: &RunArgs,
    p: &super::file::ProfileFile,
    overrides: &[OutputOverride],
) -> OutputSettings {
    let (nocapture, show_output) = super::selection::libtest_output_flags(&a.plan);
    let from_arg = |o: OutputArg| match o {
        OutputArg::Immediate => OutputDisplay::Immediate,
        OutputArg::Final => OutputDisplay::Final,
        OutputArg::ImmediateFinal => OutputDisplay::ImmediateFinal,
        OutputArg::Never => OutputDisplay::Never,
    };
    let from_key = super::overrides::output_display;
    let success_flag = a.success_output.is_some() || show_output;
    let failure_flag = a.failure_output.is_some();
    let overrides = overrides
        .iter()
        .map(|o| OutputOverride {
            applies: o.applies.clone(),
            success: o.success.filter(|_| !success_flag),
            failure: o.failure.filter(|_| !failure_flag),
        })
        .filter(|o| o.success.is_some() || o.failure.is_some())
        .collect();
    let defaults = OutputSettings::default();
    OutputSettings {
        success: a
            .success_output
            .map(from_arg)
            .or(show_output.then_some(OutputDisplay::Final))
            .or(p.success_output.map(from_key))
            .unwrap_or(defaults.success),
        failure: a
            .failure_output
            .map(from_arg)
            .or(p.failure_output.map(from_key))
            .unwrap_or(defaults.failure),
        junit_store_success: a.junit_store_success_output
            || p.junit_store_success_output == Some(true),
        no_capture: a.no_capture || nocapture,
        overrides,
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
    // Digits only, as every numeric flag (u32's `FromStr` would take `+2`).
    if n.starts_with('+') {
        return Err(UsageError(format!(
            "invalid --max-fail `{v}`: a leading `+` is not accepted; give N (a positive number of failures, digits only), N:immediate, N:wait or all"
        )));
    }
    if !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let count: u32 = n.parse().map_err(|_| bad())?;
    if count == 0 {
        return Err(bad());
    }
    Ok(Some(MaxFail { count, immediate }))
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
