//! Running one group (see `group`): its libtest process with the JSON, shuffle and one-thread
//! flags, followed by a [`GroupWatch`]; how the process ended, attributed to the test that was
//! running; and resuming the tests not yet run in a new process after a crash or timeout.

use crate::discover::TestBinary;
use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::plan::key;
use crate::plan::seed::Seed;
use crate::runner::process::{self, ProcessResult, ProcessSpec};
use crate::runner::shared::group::{Group, LIBTEST_DOMAIN, SEED_SEARCH};
use crate::runner::shared::libtest;
use crate::runner::shared::watch::{GroupWatch, WatchPlace};
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How a group run ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GroupEnd {
    /// Every test of the group was reported (run, or an error when its process failed).
    Done,
    /// The run was interrupted: the running test was reported as interrupted, the rest not.
    Interrupted,
    /// The harness refused the flags: these tests were not run (the caller runs them one per
    /// process).
    Refused(Vec<TestCase>),
}

/// What a group run needs from the sequence runner.
pub(crate) struct GroupContext<'a> {
    /// The binary whose tests the group holds.
    pub(crate) bin: &'a TestBinary,
    /// Environment for the process (binary env + seed/shard + sandbox).
    pub(crate) env: Vec<(OsString, OsString)>,
    /// Per-test limit, counted from libtest's `started` event; `None` = no limit.
    pub(crate) timeout: Option<Duration>,
    /// Limits of tests whose own differ from `timeout` (an override's `timeout`, or its
    /// `slow-timeout` with `terminate-after`), by test name, with the message of their timeout.
    pub(crate) limits: HashMap<String, (Duration, String)>,
    /// Where SLOW notices go (the executor's event stream; none in triage reruns), with the
    /// tests' slow settings.
    pub(crate) slow: Option<crate::runner::slow::SharedSlow>,
    /// Time between TERM and KILL when the process is stopped.
    pub(crate) grace: Duration,
    /// How long the output pipe may stay open after the process exited before it is leaky.
    pub(crate) leak_timeout: Duration,
    /// Set on Ctrl-C: no new process starts, and the running one is stopped.
    pub(crate) cancel: &'a AtomicBool,
    /// Set when `--max-fail` is reached: no new process starts (the tests a crash or timeout
    /// left are then not resumed); with `halt_running` the running one is stopped too.
    pub(crate) halted: &'a AtomicBool,
    /// `--max-fail N:immediate`: `halted` also stops the running process.
    pub(crate) halt_running: bool,
    /// Some passing test's output is wanted: libtest is asked for it (`--show-output`).
    pub(crate) show_output: bool,
    /// `--no-capture`: libtest runs with `--nocapture`, and each line a test prints goes here
    /// as it comes, credited to the running test.
    pub(crate) live: Option<&'a crate::runner::output::LiveSink<'a>>,
    /// Told about each process group, so it can kill it if the runner dies.
    pub(crate) watchdog: &'a crate::runner::watchdog::Watchdog,
    /// Run start: results' start and end times count from here.
    pub(crate) t0: Instant,
    /// 1-based shard, recorded in every result.
    pub(crate) shard: u32,
}

/// Runs one group in as many processes as it takes: the first with the group's seed; after a
/// crash or timeout, the tests not yet run resume in a new process (whose seed again puts the
/// group's last test last). Reports every test exactly once through `on_result`, in the order
/// they ran, numbering positions from `*position`, except the tests of a harness that refuses the
/// flags, which are handed back. `warn` receives one-line warnings.
pub(crate) fn run_group(
    ctx: &GroupContext<'_>,
    group: &Group,
    position: &mut u32,
    on_start: &mut dyn FnMut(&TestCase),
    on_result: &mut dyn FnMut(TestResult),
    warn: &mut dyn FnMut(String),
) -> GroupEnd {
    let mut remaining: Vec<TestCase> = group.tests.clone();
    let mut attempt: u64 = 0;
    while !remaining.is_empty() {
        if ctx.cancel.load(Ordering::SeqCst) || ctx.halted.load(Ordering::SeqCst) {
            return GroupEnd::Interrupted;
        }
        let seed = attempt_seed(group, attempt, &remaining);
        let place = WatchPlace {
            shard: ctx.shard,
            t0: ctx.t0,
            timeout: ctx.timeout,
        };
        let mut watch = GroupWatch::new(place, &remaining, position, on_start, on_result)
            .with_live_output(ctx.live)
            .with_limits(ctx.limits.clone())
            .with_slow(ctx.slow.clone());
        let spec = process_spec(ctx, libtest_args(&remaining, seed, ctx));
        let outcome = process::run(&spec, &mut watch);
        watch.close();
        let r = match outcome {
            Ok(r) => r,
            Err(e) => {
                let msg = start_error(ctx.bin, &e, remaining.len());
                watch.report_errors(std::mem::take(&mut remaining), &msg, "");
                return GroupEnd::Done;
            }
        };
        if r.interrupted {
            watch.report_interrupted(if ctx.cancel.load(Ordering::SeqCst) {
                "when the run was interrupted"
            } else {
                "when --max-fail was reached"
            });
            return GroupEnd::Interrupted;
        }
        if !watch.suite_started() {
            // A custom harness that does not speak libtest's JSON/shuffle flags (libtest-mimic
            // takes a single filter): its tests cannot share a process under our control.
            warn(refused_warning(ctx.bin, &r));
            return GroupEnd::Refused(not_done(&remaining, watch.done()));
        }
        // The test that was running when the process ended did not finish: it crashed, timed
        // out, or ended the process itself.
        let (outcome, mut message) = unfinished_verdict(ctx, &r);
        if r.timed_out
            && let Some((_, why)) = watch.running_limit()
        {
            let why = why.strip_suffix("; killed").unwrap_or(why);
            message = format!("{why}; its process was killed");
        }
        watch.report_unfinished(outcome, message, r.status);
        if let Some(e) = never_reported(&watch, &r) {
            // The harness reported tests it was not asked for, or closed its suite without
            // reporting some: what it did not report is an error, not run again.
            let rest = not_done(&remaining, watch.done());
            watch.report_errors(rest, &e, "");
            return GroupEnd::Done;
        }
        remaining = still_to_run(&mut watch, &remaining, &r);
        attempt += 1;
    }
    GroupEnd::Done
}

/// The warning for a harness that did not accept the shared flags (no suite event).
fn refused_warning(bin: &TestBinary, r: &ProcessResult) -> String {
    format!(
        "test binary `{}` refused libtest's JSON and shuffle flags ({}); its tests run one per process instead",
        bin.id,
        process::describe_status(r.status)
    )
}

/// Why the tests that process `r` did not report are errors rather than resumed in a new
/// process: its events named a test it was not asked for (or one twice), or libtest closed its
/// suite normally without reporting them.
fn never_reported(watch: &GroupWatch<'_, '_>, r: &ProcessResult) -> Option<String> {
    if let Some(e) = watch.misreport() {
        return Some(e.to_string());
    }
    watch.suite_finished().then(|| {
        format!(
            "libtest closed its suite ({}) without reporting this test, although it was asked to run it (--exact)",
            process::describe_status(r.status)
        )
    })
}

/// The tests of `remaining` to resume in a new process after process `r` ended early: those
/// `watch` did not report. If it reported none, they are reported as errors instead (with the
/// process's output) and none are left, rather than looping.
fn still_to_run(
    watch: &mut GroupWatch<'_, '_>,
    remaining: &[TestCase],
    r: &ProcessResult,
) -> Vec<TestCase> {
    let rest = not_done(remaining, watch.done());
    if rest.len() < remaining.len() {
        return rest;
    }
    // The process ran nothing: give up on these rather than loop.
    let msg = format!(
        "the shared process ended ({}) before running this test",
        process::describe_status(r.status)
    );
    watch.report_errors(rest, &msg, &r.output.to_text());
    Vec::new()
}

/// The tests of `tests` not named in `done`, in order.
fn not_done(tests: &[TestCase], done: &[String]) -> Vec<TestCase> {
    tests
        .iter()
        .filter(|t| !done.contains(&t.name))
        .cloned()
        .collect()
}

/// The libtest seed of the group's `attempt`-th process (0 = the first): the group's own seed
/// first; for a resumed process one keyed from it and the attempt number, searched so that the
/// group's last test still runs last if it is among the `remaining` tests.
fn attempt_seed(group: &Group, attempt: u64, remaining: &[TestCase]) -> u64 {
    if attempt == 0 {
        return group.seed;
    }
    let names: Vec<&str> = remaining.iter().map(|t| t.name.as_str()).collect();
    let base = key(
        Seed(group.seed),
        LIBTEST_DOMAIN,
        "resume",
        &attempt.to_string(),
    );
    group
        .tests
        .last()
        .map(|t| t.name.as_str())
        .filter(|l| names.contains(l))
        .and_then(|l| libtest::seed_putting_last(&names, l, base, SEED_SEARCH))
        .unwrap_or(base)
}

/// libtest's arguments for running `tests` in one process under `seed`: `--exact` name filters
/// for every test, one thread, JSON events with times, the shuffle seed, `--include-ignored`
/// when an ignored test was selected, `--show-output` when passing tests' output is wanted
/// (libtest's `ok` events then carry it) and `--nocapture` under `--no-capture` (the tests'
/// output then comes as raw lines between the events, credited to the running test).
///
/// The names are given even when they are all of the binary's tests: libtest shuffles the list
/// it filtered, and without filters that list also holds the binary's `#[ignore]`d tests (and
/// its benchmarks, run as tests), which changes the shuffle (its length and the hash of its
/// names) and so the order: the prediction would be wrong from the first test.
fn libtest_args(tests: &[TestCase], seed: u64, ctx: &GroupContext<'_>) -> Vec<OsString> {
    let any_ignored = tests.iter().any(|t| t.ignored);
    let mut args: Vec<OsString> = vec!["--exact".into()];
    args.extend(tests.iter().map(|t| OsString::from(&t.name)));
    args.extend(
        [
            "--test-threads=1",
            "-Z",
            "unstable-options",
            "--format",
            "json",
            "--report-time",
            "--shuffle-seed",
        ]
        .map(OsString::from),
    );
    args.push(seed.to_string().into());
    if any_ignored {
        args.push("--include-ignored".into());
    }
    if ctx.live.is_some() {
        args.push("--nocapture".into());
    } else if ctx.show_output {
        args.push("--show-output".into());
    }
    args
}

/// The process running the group's binary with `args`. No process-wide timeout: the watch
/// gives each test its own deadline.
fn process_spec<'c>(ctx: &'c GroupContext<'c>, args: Vec<OsString>) -> ProcessSpec<'c> {
    let mut env = ctx.env.clone();
    // A stable-built test binary accepts libtest's unstable flags with this set.
    env.push(("RUSTC_BOOTSTRAP".into(), "1".into()));
    ProcessSpec {
        program: ctx.bin.program(),
        args: ctx.bin.args_with(args),
        cwd: &ctx.bin.cwd,
        env,
        timeout: None,
        grace: ctx.grace,
        leak_timeout: ctx.leak_timeout,
        head_cap: 16 * 1024,
        tail_cap: 64 * 1024,
        cancel: ctx.cancel,
        halt: ctx.halt_running.then_some(ctx.halted),
        watchdog: ctx.watchdog,
    }
}

/// The message for a process that could not be started, for each of its `tests` tests; names
/// the argument limit when that was the cause.
fn start_error(bin: &TestBinary, e: &std::io::Error, tests: usize) -> String {
    let mut msg = format!("could not start test binary {}: {e}", bin.describe_path());
    if e.raw_os_error() == Some(libc::E2BIG) {
        let _ = write!(
            msg,
            "; its {tests} test names (--exact filters) are too long for one process: use more --shards, or --isolation process"
        );
    }
    msg
}

/// The outcome and message of the test that was running when its process ended: timed out,
/// killed by a signal (the whole process died), failed (it exited non-zero, as in process
/// isolation) or an error (the process ended cleanly without libtest reporting it).
fn unfinished_verdict(ctx: &GroupContext<'_>, r: &ProcessResult) -> (Outcome, String) {
    if r.timed_out {
        (
            Outcome::TimedOut,
            format!(
                "timed out after {:.1}s (--timeout); its process was killed",
                ctx.timeout.unwrap_or_default().as_secs_f64()
            ),
        )
    } else if let Some(sig) = r.status.signal() {
        (
            Outcome::Crashed,
            format!(
                "killed by {} (the whole shared process died)",
                process::signal_name(sig)
            ),
        )
    } else if r.status.code().is_some_and(|c| c != 0) {
        (
            Outcome::Failed,
            format!(
                "the test ended its process ({}); the remaining tests resumed in a new one",
                process::describe_status(r.status)
            ),
        )
    } else {
        (
            Outcome::Error,
            format!(
                "the shared process ended ({}) while this test ran, before libtest reported a result",
                process::describe_status(r.status)
            ),
        )
    }
}
