//! The sequence runner: runs a given sequence of tests in one fresh temporary directory (after
//! `--reset-cmd`), one process per test with `--retries`, or in shared isolation one libtest
//! process per binary (see [`crate::runner::shared`]). Shared by the plan executor and by
//! triage reruns.

use crate::discover::TestBinary;
use crate::discover::list::TestCase;
use crate::events::{Attempt, Outcome, TestResult};
use crate::runner::options::{CancelFlag, ExecOptions, Isolation};
use crate::runner::output::{Live, LiveSink};
use crate::runner::process::{self, ProcessSpec};
use crate::runner::sandbox::Sandbox;
use crate::runner::shared::{self, GroupContext, GroupEnd};
use crate::runner::slow::{self, SlowWatch};
use crate::runner::verdict::{finished, interrupted_verdict, verdict};
use crate::runner::watchdog::Watchdog;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long `--reset-cmd` may take before it is killed and its sequence counted as not run.
const RESET_TIMEOUT: Duration = Duration::from_secs(600);

/// Milliseconds from `t0` to `t` (0 if `t` is earlier), for [`TestResult`] start and end times.
fn ms_since(t0: Instant, t: Instant) -> u64 {
    t.saturating_duration_since(t0).as_millis() as u64
}

/// Runs sequences of tests, each in its own fresh temporary directory: one process per test,
/// or in shared isolation one per binary. Shared by the plan executor and by triage reruns.
#[derive(Debug)]
pub(crate) struct SequenceRunner<'a> {
    /// The run's binaries by id.
    binaries: &'a HashMap<String, TestBinary>,
    /// Limits, retries, sandbox and isolation settings.
    opts: &'a ExecOptions,
    /// Set on Ctrl-C: no new test starts, running ones are stopped.
    cancel: &'a CancelFlag,
    /// Kills test process groups if the runner dies; lives as long as the runner.
    watchdog: Watchdog,
    /// The plan's seed as text, exported to tests as `CARGO_SHUFFLE_SEED`.
    seed: String,
    /// The plan's seed, from which shared mode derives each process's libtest seed.
    plan_seed: crate::plan::seed::Seed,
    /// Start of the run: results' start and end times count from here.
    t0: Instant,
    /// Binaries already warned about (shared mode fallback), so each warns once.
    warned: Mutex<HashSet<String>>,
    /// Shared isolation: make the sequence's last test run last in its process (triage reruns,
    /// `--order`), see `shared::groups`.
    last_last: bool,
    /// Set when `--max-fail` is reached (never in triage): no new test (shared: process)
    /// starts; `:immediate` stops the running ones. See [`halt`](Self::halt).
    halted: AtomicBool,
    /// Held while a test starts, and while `halted` is set and the result reported.
    start_gate: Mutex<()>,
    /// `--no-capture`: gets every line the tests print, as they print it.
    live: Option<Live<'a>>,
    /// Where a test's SLOW notices go while it runs (the executor's event channel); triage
    /// reruns have none.
    slow_events: Option<crossbeam_channel::Sender<crate::events::RunEvent>>,
}

impl<'a> SequenceRunner<'a> {
    /// A runner for tests of `binaries`; `seed` is exported as `CARGO_SHUFFLE_SEED`, and start/end
    /// times are measured from `t0`. Starts the watchdog (see `watchdog`).
    pub(crate) fn new(
        binaries: &'a HashMap<String, TestBinary>,
        opts: &'a ExecOptions,
        cancel: &'a CancelFlag,
        seed: crate::plan::seed::Seed,
        t0: Instant,
    ) -> SequenceRunner<'a> {
        SequenceRunner {
            binaries,
            opts,
            cancel,
            watchdog: Watchdog::start(),
            seed: seed.to_string(),
            plan_seed: seed,
            t0,
            warned: Default::default(),
            last_last: opts.keep_last,
            halted: AtomicBool::new(false),
            start_gate: Mutex::new(()),
            live: None,
            slow_events: None,
        }
    }

    /// The same runner, sending [`RunEvent::TestSlow`](crate::events::RunEvent) notices to
    /// `events`.
    pub(crate) fn with_slow_events(
        mut self,
        events: crossbeam_channel::Sender<crate::events::RunEvent>,
    ) -> Self {
        self.slow_events = Some(events);
        self
    }

    /// The same runner, streaming each line its tests print to `live` as it comes
    /// (`--no-capture`); `None` keeps output captured only.
    pub(crate) fn with_live_output(mut self, live: Option<&'a LiveSink<'a>>) -> Self {
        self.live = live.map(Live);
        self
    }

    /// The same runner, making each sequence's last test run last in shared isolation (as
    /// triage reruns need) or not.
    pub(crate) fn with_last_last(mut self, on: bool) -> Self {
        self.last_last = on;
        self
    }

    /// The isolation mode this runner uses (triage checks a shared-mode finding in process
    /// mode with a second runner).
    pub(crate) fn isolation(&self) -> Isolation {
        self.opts.isolation
    }

    /// Whether the run was interrupted (Ctrl-C or a signal) or stopped by `--max-fail`: no new
    /// test starts.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst) || self.halted()
    }

    /// `--max-fail` was reached: stops starting tests (`:immediate`: and the running ones);
    /// `then`, reporting the result that reached it, runs under the lock each start takes.
    pub(crate) fn halt(&self, then: impl FnOnce()) {
        let _gate = self.start_gate.lock().unwrap_or_else(|e| e.into_inner());
        self.halted.store(true, Ordering::SeqCst);
        then();
    }

    /// Whether [`halt`](Self::halt) was called.
    pub(crate) fn halted(&self) -> bool {
        self.halted.load(Ordering::SeqCst)
    }

    /// The flag that stops running test processes besides the interrupt: `--max-fail
    /// N:immediate` only.
    fn halt_flag(&self) -> Option<&AtomicBool> {
        self.opts
            .max_fail
            .is_some_and(|m| m.immediate)
            .then_some(&self.halted)
    }

    /// Why a running test was stopped: the interrupt, else `--max-fail N:immediate`.
    fn stop_reason(&self) -> &'static str {
        if self.cancel.load(Ordering::SeqCst) {
            "when the run was interrupted"
        } else {
            "when --max-fail was reached"
        }
    }

    /// Runs `tests` one after another, in this order, in one fresh sandbox, as shard `shard`
    /// (position = index). Calls `on_start` before and `on_result` after each test. Stops early
    /// when the run is interrupted: the test that was running is reported as
    /// [`Outcome::Interrupted`], the tests after it are not reported.
    pub(crate) fn run_sequence(
        &self,
        shard: u32,
        tests: &[TestCase],
        on_start: impl FnMut(&TestCase),
        on_result: impl FnMut(TestResult),
    ) {
        // A fresh temporary directory per sequence: temp-dir state left by a test stays inside
        // its sequence, and every rerun starts clean.
        let sandbox = self.fresh_sandbox();
        self.run_sequence_in(shard, tests, &sandbox, on_start, on_result);
        // Unless kept, dropping the sandbox removes it and whatever the sequence's tests left
        // there.
    }

    /// A new sandbox for one sequence or a whole run, after `--reset-cmd` (the user's reset of
    /// state the runner cannot sandbox) ran in it; if the reset failed, the sandbox carries its
    /// error and the tests run in it are reported as errors instead of running.
    pub(crate) fn fresh_sandbox(&self) -> Sandbox {
        let mut sandbox = Sandbox::new(self.opts.keep_sandbox);
        sandbox.reset_error = self.reset(sandbox.path.as_deref());
        sandbox
    }

    /// [`run_sequence`](Self::run_sequence) in a given sandbox: with
    /// [`SandboxScope::Run`](crate::runner::options::SandboxScope) every shard of a run shares
    /// one, so state a test leaves in `TMPDIR` reaches the tests that run after it in any shard.
    pub(crate) fn run_sequence_in(
        &self,
        shard: u32,
        tests: &[TestCase],
        sandbox: &Sandbox,
        mut on_start: impl FnMut(&TestCase),
        mut on_result: impl FnMut(TestResult),
    ) {
        // The one place a passing test's output is dropped unless the output settings want it
        // (the terminal or JUnit): a run of many chatty tests keeps memory flat.
        let mut on_result = |mut r: TestResult| {
            if r.outcome == Outcome::Passed && !self.opts.output.keeps_success_output(&r.test) {
                r.output = String::new();
            }
            on_result(r)
        };
        match &sandbox.reset_error {
            Some(e) => self.report_not_run(shard, tests, e, &mut on_start, &mut on_result),
            None if self.opts.isolation == Isolation::Shared => {
                self.run_shared(shard, tests, sandbox, &mut on_start, &mut on_result)
            }
            None => self.run_each(shard, tests, sandbox, &mut on_start, &mut on_result),
        }
    }

    /// `--reset-cmd` failed: every test of the sequence is reported as an error with `error`,
    /// without running (until the run is interrupted).
    fn report_not_run(
        &self,
        shard: u32,
        tests: &[TestCase],
        error: &str,
        on_start: &mut dyn FnMut(&TestCase),
        on_result: &mut dyn FnMut(TestResult),
    ) {
        for (position, test) in tests.iter().enumerate() {
            if !self.start(test, on_start) {
                break;
            }
            on_result(
                TestResult::new(test.clone(), Outcome::Error)
                    .with_place(shard, position as u32)
                    .with_message(Some(error.to_string())),
            );
        }
    }

    /// Process isolation: each test in its own process, in order, retried in place on failure.
    fn run_each(
        &self,
        shard: u32,
        tests: &[TestCase],
        sandbox: &Sandbox,
        on_start: &mut dyn FnMut(&TestCase),
        on_result: &mut dyn FnMut(TestResult),
    ) {
        for (position, test) in tests.iter().enumerate() {
            // Held over its attempts and until its result is counted (see `group_slot`).
            let Some(_slot) = self.group_slot(test) else {
                break;
            };
            if !self.start(test, on_start) {
                break;
            }
            let place = (shard, position as u32);
            let r = self.run_one(test, place, sandbox.path.as_deref());
            if r.outcome == Outcome::Interrupted {
                on_result(r);
                break;
            }
            let mut r = self.retry(test, place, sandbox.path.as_deref(), r);
            r.sandbox = sandbox.kept.clone();
            on_result(r);
        }
    }

    /// Reports `test` started unless the run is interrupted or halted, under halt's lock:
    /// no test starts after the result that reached `--max-fail`. False: do not start it.
    fn start(&self, test: &TestCase, on_start: &mut dyn FnMut(&TestCase)) -> bool {
        let _gate = self.start_gate.lock().unwrap_or_else(|e| e.into_inner());
        if self.cancelled() {
            return false;
        }
        on_start(test);
        true
    }

    /// The slot of `test`'s test group (nothing to hold when it has none), waited for before
    /// the test starts; `None` when the run is interrupted or halted by `--max-fail` before or
    /// while it waits: the test never starts, so it is reported `not run`, and no
    /// `test-started` event claims otherwise. The caller holds it until the test's result has
    /// been handed on: `--max-fail` counts the result there, so a test waiting for the same
    /// slot sees the halt instead of starting after the failure that reached the limit.
    fn group_slot(&self, test: &TestCase) -> Option<crate::runner::groups::Slots<'_>> {
        if self.cancelled() {
            return None;
        }
        let group = self.opts.settings_for(test).test_group;
        let names: Vec<&str> = group.as_deref().into_iter().collect();
        let slot = self.opts.groups.acquire(&names, &|| self.cancelled())?;
        // The slot may come free in the same moment as the halt.
        (!self.cancelled()).then_some(slot)
    }

    /// `--retries`: reruns a failing `first` result in place, right away, until it passes, the
    /// retries are used up or the run is interrupted; the last result carries the failed
    /// attempts before it.
    fn retry(
        &self,
        test: &TestCase,
        place: (u32, u32),
        sandbox: Option<&Path>,
        first: TestResult,
    ) -> TestResult {
        let mut r = first;
        let mut failed: Vec<Attempt> = Vec::new();
        let retries = self.opts.settings_for(test).retries;
        while r.outcome.is_failure() && !self.cancelled() && (failed.len() as u32) < retries {
            let again = self.run_one(test, place, sandbox);
            failed.push(Attempt::from(&r));
            r = again;
        }
        r.previous_attempts = failed;
        r
    }

    /// Shared-process isolation: one process per binary of the sequence (see `shared`).
    fn run_shared(
        &self,
        shard: u32,
        tests: &[TestCase],
        sandbox: &Sandbox,
        on_start: &mut dyn FnMut(&TestCase),
        on_result: &mut dyn FnMut(TestResult),
    ) {
        let mut position = 0;
        let mut report = |mut r: TestResult| {
            r.sandbox = sandbox.kept.clone();
            // Slow only after the fact here: libtest's own clock, no SLOW notices meanwhile.
            r.slow = r.duration >= self.opts.settings_for(&r.test).slow_timeout.period;
            on_result(r)
        };
        for group in shared::groups(self.plan_seed, shard, tests, self.last_last) {
            let Some(bin) = self.binaries.get(&group.binary_id) else {
                continue;
            };
            // The process holds one slot of each test group of its tests for its whole life.
            let names = self.opts.test_groups_of(&group.tests);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let Some(slots) = self.opts.groups.acquire(&names, &|| self.cancelled()) else {
                break;
            };
            let mut ctx = self.group_context(bin, shard, sandbox.path.as_deref());
            ctx.limits = slow::limits(self.opts, &group.tests);
            ctx.slow = (self.slow_events.clone())
                .map(|tx| slow::SharedSlow::new(self.opts, &group.tests, shard, tx));
            let mut warn = |w: String| self.warn_once(bin, &w);
            match shared::run_group(
                &ctx,
                &group,
                &mut position,
                &mut *on_start,
                &mut report,
                &mut warn,
            ) {
                GroupEnd::Done => {}
                GroupEnd::Interrupted => break,
                GroupEnd::Refused(rest) => {
                    // One process per test now: each takes its own slot (holding the
                    // process's would wait on itself).
                    drop(slots);
                    let place = (shard, position);
                    if !self.run_refused(&rest, place, sandbox, on_start, &mut report) {
                        return;
                    }
                    position += rest.len() as u32;
                }
            }
        }
    }

    /// What a shared group of `bin` in shard `shard` needs from this runner.
    fn group_context<'s>(
        &'s self,
        bin: &'s TestBinary,
        shard: u32,
        sandbox: Option<&Path>,
    ) -> GroupContext<'s> {
        GroupContext {
            bin,
            env: self.test_env(bin, shard, sandbox),
            timeout: self.opts.timeout,
            limits: Default::default(),
            slow: None,
            grace: self.opts.grace,
            leak_timeout: self.opts.leak_timeout,
            cancel: self.cancel,
            halted: &self.halted,
            halt_running: self.halt_flag().is_some(),
            show_output: self.opts.output.may_keep_success_output(),
            live: self.live.map(|l| l.0),
            watchdog: &self.watchdog,
            t0: self.t0,
            shard,
        }
    }

    /// Prints `warning` unless one was printed for `bin` already.
    fn warn_once(&self, bin: &TestBinary, warning: &str) {
        let mut warned = self.warned.lock().unwrap_or_else(|p| p.into_inner());
        if warned.insert(bin.id.clone()) {
            say!("cargo-shuffle: warning: {warning}");
        }
    }

    /// The tests of a harness that refused the shared flags, one process each, numbered from
    /// `place`'s position; false when the run was interrupted (stop the sequence).
    fn run_refused(
        &self,
        rest: &[TestCase],
        (shard, first): (u32, u32),
        sandbox: &Sandbox,
        on_start: &mut dyn FnMut(&TestCase),
        report: &mut dyn FnMut(TestResult),
    ) -> bool {
        for (i, test) in rest.iter().enumerate() {
            let Some(_slot) = self.group_slot(test) else {
                return false;
            };
            if !self.start(test, on_start) {
                return false;
            }
            let place = (shard, first + i as u32);
            let r = self.run_one(test, place, sandbox.path.as_deref());
            let stop = r.outcome == Outcome::Interrupted;
            report(r);
            if stop {
                return false;
            }
        }
        true
    }

    /// The environment of a test process: the binary's, the seed and shard, the sandbox.
    fn test_env(
        &self,
        bin: &TestBinary,
        shard: u32,
        sandbox: Option<&Path>,
    ) -> Vec<(OsString, OsString)> {
        let mut env = bin.env.clone();
        env.push(("CARGO_SHUFFLE_SEED".into(), self.seed.clone().into()));
        env.push(("CARGO_SHUFFLE_SHARD".into(), shard.to_string().into()));
        if let Some(dir) = sandbox {
            for var in ["TMPDIR", "TMP", "TEMP"] {
                env.push((var.into(), dir.into()));
            }
        }
        env
    }

    /// Runs `--reset-cmd` (through `sh -c`, with the sequence's TMPDIR); the error message if
    /// it could not run or failed.
    fn reset(&self, tmp: Option<&Path>) -> Option<String> {
        let cmd = self.opts.reset_cmd.as_deref()?;
        let env: Vec<(OsString, OsString)> = tmp
            .map(|t| {
                ["TMPDIR", "TMP", "TEMP"]
                    .iter()
                    .map(|v| (OsString::from(v), t.as_os_str().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
        // Same machinery as a test: its own process group, output captured, and a time limit
        // so that a hung reset does not hang the run.
        let spec = ProcessSpec {
            program: Path::new("sh"),
            args: vec!["-c".into(), cmd.into()],
            cwd: &cwd,
            env,
            timeout: Some(RESET_TIMEOUT),
            grace: self.opts.grace,
            leak_timeout: self.opts.leak_timeout,
            head_cap: 4096,
            tail_cap: 4096,
            cancel: self.cancel,
            halt: None,
            watchdog: &self.watchdog,
        };
        match process::run(&spec, &mut process::NoWatch) {
            Ok(r) if r.status.success() && !r.timed_out => None,
            Ok(r) => Some(format!(
                "--reset-cmd `{cmd}` failed ({}{}): {}; the sequence was not run",
                process::describe_status(r.status),
                if r.timed_out {
                    format!(", timed out after {}s", RESET_TIMEOUT.as_secs())
                } else {
                    String::new()
                },
                r.output.to_text().trim()
            )),
            Err(e) => Some(format!("--reset-cmd `{cmd}` could not run: {e}")),
        }
    }

    /// Runs one test in its own process at `place` (shard, position). An interrupted test is
    /// reported as [`Outcome::Interrupted`]; a binary missing from the run, or one that cannot
    /// be started, as [`Outcome::Error`].
    fn run_one(
        &self,
        test: &TestCase,
        (shard, position): (u32, u32),
        sandbox: Option<&Path>,
    ) -> TestResult {
        let settings = self.opts.settings_for(test);
        let error = |message: String| {
            TestResult::new(test.clone(), Outcome::Error)
                .with_place(shard, position)
                .with_message(Some(message))
        };
        let Some(bin) = self.binaries.get(&test.binary_id) else {
            return error(format!("no test binary `{}` in this run", test.binary_id));
        };
        // Its test group's slot is held by the caller (`group_slot`): start and end times are
        // measured inside it, so the record shows the group's limit.
        let start = Instant::now();
        let spec = ProcessSpec {
            program: bin.program(),
            args: bin.args_with(exact_args(test)),
            cwd: &bin.cwd,
            env: self.test_env(bin, shard, sandbox),
            timeout: settings.timeout,
            grace: self.opts.grace,
            leak_timeout: settings.leak_timeout,
            head_cap: self.opts.head_cap,
            tail_cap: self.opts.tail_cap,
            cancel: self.cancel,
            halt: self.halt_flag(),
            watchdog: &self.watchdog,
        };
        let slow = settings.slow_timeout;
        let mut notice = slow::notices(self.slow_events.as_ref(), test, shard);
        let mut watch = SlowWatch::new(start, settings.timeout, slow, &mut notice);
        let ran = match self.live {
            Some(Live(live)) => {
                let mut sink = |line: &str| live(test, line);
                let mut lines = crate::runner::output::LiveLines::new(&mut sink);
                let ran = process::run(&spec, &mut process::Both(&mut watch, &mut lines));
                lines.finish();
                ran
            }
            None => process::run(&spec, &mut watch),
        };
        let (start_ms, end_ms) = (ms_since(self.t0, start), ms_since(self.t0, Instant::now()));
        match ran {
            Ok(p) => {
                let (outcome, mut message) = if p.interrupted {
                    interrupted_verdict(&p, self.stop_reason())
                } else {
                    verdict(&p, self.opts, &test.name)
                };
                if outcome == Outcome::TimedOut {
                    message = Some(slow::timeout_message(&settings, self.opts.timeout));
                }
                let mut r = finished(test, outcome, message, &p)
                    .with_place(shard, position)
                    .with_times(start_ms, end_ms, p.duration);
                r.slow = p.duration >= slow.period;
                r
            }
            Err(e) => error(format!(
                "could not start test binary {}: {e}",
                bin.describe_path()
            ))
            .with_times(start_ms, end_ms, Duration::ZERO),
        }
    }
}

/// libtest's arguments for running `test` alone: `--exact NAME --nocapture`, and `--ignored`
/// for an ignored test selected to run.
fn exact_args(test: &TestCase) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "--exact".into(),
        test.name.clone().into(),
        "--nocapture".into(),
    ];
    if test.ignored {
        args.push("--ignored".into());
    }
    args
}
