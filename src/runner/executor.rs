//! The executor: runs the shards of a plan on `jobs` workers (a worker takes the next shard as
//! soon as it is free; inside a shard tests run one after another in plan order), one process
//! per test, and reports only through [`RunEvent`]s.

use crate::discover::TestBinary;
use crate::discover::list::TestCase;
use crate::events::{Attempt, Outcome, RunEvent, TestResult};
use crate::plan::Plan;
use crate::runner::output::failure_message;
use crate::runner::process::{self, ProcessSpec};
use crate::runner::watchdog::Watchdog;
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How to execute (validated; see `config`).
#[derive(Clone, Debug)]
pub(crate) struct ExecOptions {
    /// Worker threads, at least 1.
    pub(crate) jobs: usize,
    /// Per-test timeout.
    pub(crate) timeout: Option<Duration>,
    /// Time between TERM and KILL on timeout.
    pub(crate) grace: Duration,
    /// Wait for a test's output pipe to close after it exited before calling it leaky.
    pub(crate) leak_timeout: Duration,
    /// A leaky test that passed counts as failed.
    pub(crate) fail_leaky: bool,
    /// Reruns of a failing test, in place, until it passes (`--retries`).
    pub(crate) retries: u32,
    /// Keep each sequence's temporary directory (`--keep-sandbox`).
    pub(crate) keep_sandbox: bool,
    /// Shell command run before each sequence (`--reset-cmd`).
    pub(crate) reset_cmd: Option<String>,
    /// One process per test, or per (shard, binary).
    pub(crate) isolation: Isolation,
    /// Recorded test durations, to start the longest shards first.
    pub(crate) history: crate::plan::history::Durations,
    /// The plan is an exact `--order`: in shared isolation its last test must run last.
    pub(crate) keep_last: bool,
    /// Runnable (non-ignored) tests per binary id, from the listing.
    pub(crate) binary_tests: HashMap<String, usize>,
    /// Output bytes kept from the start of each test's output.
    pub(crate) head_cap: usize,
    /// Output bytes kept from the end.
    pub(crate) tail_cap: usize,
    /// 1-based shards to run; empty = all.
    pub(crate) only_shards: Vec<u32>,
}

/// How long `--reset-cmd` may take before it is killed and its sequence counted as not run.
pub(crate) const RESET_TIMEOUT: Duration = Duration::from_secs(600);

/// How tests are isolated from each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Isolation {
    /// One process per test (like cargo-nextest): only state outside the process leaks.
    #[default]
    Process,
    /// One process per (shard, binary) with `--test-threads=1` (like `cargo test`, one thread):
    /// in-process state (statics, env vars, current dir) leaks to later tests too.
    Shared,
}

/// Set to stop the run between tests (Ctrl-C); tests already running finish or are killed by
/// the signal handler.
pub(crate) type CancelFlag = Arc<AtomicBool>;

fn ms_since(t0: Instant, t: Instant) -> u64 {
    t.saturating_duration_since(t0).as_millis() as u64
}

/// Whether libtest's summary says exactly one test passed. Looks at the end of the output,
/// where libtest prints it (the tail is always kept, however much the test printed).
fn confirmed_pass(out: &crate::runner::output::CapturedOutput) -> bool {
    let last = out.last_bytes(4096);
    String::from_utf8_lossy(&last)
        .lines()
        .rev()
        .take(8)
        .any(|l| l.starts_with("test result: ok. 1 passed;"))
}

/// Interprets libtest's output and the exit status of `<bin> --exact NAME --nocapture`.
fn classify(r: &process::ProcessResult) -> (Outcome, Option<String>) {
    let head = String::from_utf8_lossy(r.output.head());
    let ran = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("running ")
                .and_then(|n| n.strip_suffix(" test").or(n.strip_suffix(" tests")))
        })
        .and_then(|n| n.trim().parse::<u64>().ok());
    let text = || r.output.to_text();
    if r.timed_out {
        return (Outcome::TimedOut, None);
    }
    if let Some(sig) = r.status.signal() {
        let mut msg = format!("killed by {}", process::signal_name(sig));
        if let Some(p) = failure_message(&text(), false) {
            msg = format!("{msg} after panic: {p}");
        }
        return (Outcome::Crashed, Some(msg));
    }
    match r.status.code() {
        Some(0) => match ran {
            // libtest's closing line proves the test body returned; a test that calls
            // `process::exit(0)` never gets there.
            Some(1) if confirmed_pass(&r.output) => (Outcome::Passed, None),
            Some(1) => (
                Outcome::Error,
                Some("exit code 0 but libtest never reported a result (`test result: ok. 1 passed`): did the test call std::process::exit?".into()),
            ),
            Some(n) => (
                Outcome::Error,
                Some(format!(
                    "the test binary ran {n} tests for an --exact filter instead of 1; is the name exact and the harness libtest-compatible?"
                )),
            ),
            None => (
                Outcome::Error,
                Some("exit code 0 but no `running 1 test` line: the harness did not confirm that it ran this test".into()),
            ),
        },
        Some(code) => {
            let msg = failure_message(&text(), code == 101)
                .unwrap_or_else(|| format!("exit code {code}"));
            (Outcome::Failed, Some(msg))
        }
        None => (Outcome::Error, Some("unknown exit status".into())),
    }
}

/// Runs sequences of tests, one process per test, each sequence in its own fresh temporary
/// directory. Shared by the plan executor and by triage reruns.
#[derive(Debug)]
pub(crate) struct SequenceRunner<'a> {
    binaries: &'a HashMap<String, TestBinary>,
    opts: &'a ExecOptions,
    cancel: &'a CancelFlag,
    watchdog: Watchdog,
    seed: String,
    plan_seed: crate::plan::seed::Seed,
    t0: Instant,
    /// Binaries already warned about (shared mode fallback), so each warns once.
    warned: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Shared isolation: make the sequence's last test run last in its process (triage reruns,
    /// `--order`), see `shared::groups`.
    last_last: bool,
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
        }
    }

    /// The same runner, making each sequence's last test run last in shared isolation (as
    /// triage reruns need) or not.
    pub(crate) fn with_last_last(mut self, on: bool) -> Self {
        self.last_last = on;
        self
    }

    /// The same runner in another isolation mode (triage checks a shared-mode finding in
    /// process mode).
    pub(crate) fn isolation(&self) -> Isolation {
        self.opts.isolation
    }

    /// Whether the run was interrupted.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Runs `tests` one after another, in this order, in one fresh sandbox, as shard `shard`
    /// (position = index). Calls `on_start` before and `on_result` after each test. Stops early
    /// when the run is interrupted (the interrupted test yields no result).
    pub(crate) fn run_sequence(
        &self,
        shard: u32,
        tests: &[TestCase],
        mut on_start: impl FnMut(&TestCase),
        mut on_result: impl FnMut(TestResult),
    ) {
        // A fresh temporary directory per sequence: temp-dir state left by a test stays inside
        // its sequence, so shards do not race on it and every rerun starts clean.
        let sandbox = tempfile::Builder::new()
            .prefix("cargo-shuffle-")
            .tempdir()
            .ok();
        let dir = sandbox.as_ref().map(|d| d.path().to_path_buf());
        // `--reset-cmd`: state the runner cannot sandbox is reset by the user before each
        // sequence; if that fails, the sequence's tests cannot be trusted and are not run.
        let reset_error = self.reset(dir.as_deref());
        let kept = if self.opts.keep_sandbox {
            sandbox.map(|d| d.keep())
        } else {
            None
        };
        if self.opts.isolation == Isolation::Shared && reset_error.is_none() {
            self.run_shared(
                shard,
                tests,
                dir.as_deref(),
                kept,
                &mut on_start,
                &mut on_result,
            );
            return;
        }
        for (position, test) in tests.iter().enumerate() {
            if self.cancelled() {
                break;
            }
            on_start(test);
            if let Some(e) = &reset_error {
                on_result(TestResult {
                    outcome: Outcome::Error,
                    message: Some(e.clone()),
                    shard,
                    position: position as u32,
                    ..ignored_result(test)
                });
                continue;
            }
            let Some(mut r) = self.run_one(test, shard, position as u32, dir.as_deref()) else {
                break;
            };
            if r.outcome == Outcome::Interrupted {
                on_result(r);
                break;
            }
            // `--retries`: rerun a failure in place, right away, until it passes.
            let mut failed: Vec<Attempt> = Vec::new();
            while r.outcome.is_failure()
                && !self.cancelled()
                && (failed.len() as u32) < self.opts.retries
            {
                let Some(again) = self.run_one(test, shard, position as u32, dir.as_deref()) else {
                    break;
                };
                failed.push(Attempt::from(&r));
                r = again;
            }
            r.previous_attempts = failed;
            r.sandbox = kept.clone();
            on_result(r);
        }
        // Unless kept, dropping the sandbox (above, or here) removes it and whatever the
        // sequence's tests left there.
    }

    /// Shared-process isolation: one process per binary of the sequence (see `shared`).
    fn run_shared(
        &self,
        shard: u32,
        tests: &[TestCase],
        sandbox: Option<&std::path::Path>,
        kept: Option<std::path::PathBuf>,
        on_start: &mut dyn FnMut(&TestCase),
        on_result: &mut dyn FnMut(TestResult),
    ) {
        let mut position = 0;
        for group in crate::runner::shared::groups(self.plan_seed, shard, tests, self.last_last) {
            let Some(bin) = self.binaries.get(&group.binary_id) else {
                continue;
            };
            let ctx = crate::runner::shared::GroupContext {
                bin,
                env: self.test_env(bin, shard, sandbox),
                timeout: self.opts.timeout,
                grace: self.opts.grace,
                leak_timeout: self.opts.leak_timeout,
                cancel: self.cancel,
                watchdog: &self.watchdog,
                t0: self.t0,
                shard,
                binary_tests: self.opts.binary_tests.get(&group.binary_id).copied(),
            };
            let mut report = |mut r: TestResult| {
                r.sandbox = kept.clone();
                on_result(r)
            };
            let mut warn = |w: String| {
                let mut warned = self.warned.lock().unwrap_or_else(|p| p.into_inner());
                if warned.insert(bin.id.clone()) {
                    eprintln!("cargo-shuffle: warning: {w}");
                }
            };
            match crate::runner::shared::run_group(
                &ctx,
                &group,
                &mut position,
                &mut *on_start,
                &mut report,
                &mut warn,
            ) {
                crate::runner::shared::GroupEnd::Done => {}
                crate::runner::shared::GroupEnd::Interrupted => break,
                crate::runner::shared::GroupEnd::Refused(rest) => {
                    for test in rest {
                        on_start(&test);
                        let Some(r) = self.run_one(&test, shard, position, sandbox) else {
                            return;
                        };
                        position += 1;
                        let stop = r.outcome == Outcome::Interrupted;
                        report(r);
                        if stop {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The environment of a test process: the binary's, the seed and shard, the sandbox.
    fn test_env(
        &self,
        bin: &TestBinary,
        shard: u32,
        sandbox: Option<&std::path::Path>,
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
    fn reset(&self, tmp: Option<&std::path::Path>) -> Option<String> {
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
            program: std::path::Path::new("sh"),
            args: vec!["-c".into(), cmd.into()],
            cwd: &cwd,
            env,
            timeout: Some(RESET_TIMEOUT),
            grace: self.opts.grace,
            leak_timeout: self.opts.leak_timeout,
            head_cap: 4096,
            tail_cap: 4096,
            cancel: self.cancel,
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

    /// Runs one test; `None` when it was stopped by an interrupt.
    fn run_one(
        &self,
        test: &TestCase,
        shard: u32,
        position: u32,
        sandbox: Option<&std::path::Path>,
    ) -> Option<TestResult> {
        let opts = self.opts;
        let start = Instant::now();
        let Some(bin) = self.binaries.get(&test.binary_id) else {
            return Some(TestResult {
                message: Some(format!("no test binary `{}` in this run", test.binary_id)),
                outcome: Outcome::Error,
                shard,
                position,
                ..ignored_result(test)
            });
        };
        let env = self.test_env(bin, shard, sandbox);
        let mut args: Vec<OsString> = vec![
            "--exact".into(),
            test.name.clone().into(),
            "--nocapture".into(),
        ];
        if test.ignored {
            args.push("--ignored".into());
        }
        let spec = ProcessSpec {
            program: bin.program(),
            args: bin.args_with(args),
            cwd: &bin.cwd,
            env,
            timeout: opts.timeout,
            grace: opts.grace,
            leak_timeout: opts.leak_timeout,
            head_cap: opts.head_cap,
            tail_cap: opts.tail_cap,
            cancel: self.cancel,
            watchdog: &self.watchdog,
        };
        let t0 = self.t0;
        Some(match process::run(&spec, &mut process::NoWatch) {
            // Stopped by the runner because of an interrupt: its outcome says nothing about the
            // test's correctness, but which test was running (and its output) matters.
            Ok(r) if r.interrupted => TestResult {
                outcome: Outcome::Interrupted,
                message: Some(format!(
                    "still running after {:.1}s when the run was interrupted; stopped",
                    r.duration.as_secs_f64()
                )),
                shard,
                position,
                start_ms: ms_since(t0, start),
                end_ms: ms_since(t0, Instant::now()),
                duration: r.duration,
                output: r.output.to_text(),
                output_bytes: r.output.total,
                output_dropped: r.output.dropped_bytes(),
                ..ignored_result(test)
            },
            Ok(r) => {
                let (mut outcome, mut message) = classify(&r);
                if outcome == Outcome::TimedOut {
                    message = Some(format!(
                        "timed out after {:.1}s (--timeout); killed",
                        opts.timeout.unwrap_or_default().as_secs_f64()
                    ));
                }
                if r.leaked && outcome == Outcome::Passed && opts.fail_leaky {
                    outcome = Outcome::Failed;
                    message = Some(format!(
                        "leaky: a process it started still held its output {} ms after it exited (--fail-leaky)",
                        opts.leak_timeout.as_millis()
                    ));
                }
                TestResult {
                    test: test.clone(),
                    shard,
                    position,
                    outcome,
                    exit_code: r.status.code(),
                    signal: r.status.signal().map(process::signal_name),
                    leaked: r.leaked,
                    start_ms: ms_since(t0, start),
                    end_ms: ms_since(t0, Instant::now()),
                    duration: r.duration,
                    message,
                    // Passing tests' output is not reported; dropping it keeps memory flat.
                    output: if outcome == Outcome::Passed {
                        String::new()
                    } else {
                        r.output.to_text()
                    },
                    output_bytes: r.output.total,
                    output_dropped: r.output.dropped_bytes(),
                    previous_attempts: Vec::new(),
                    quarantined: false,
                    sandbox: None,
                }
            }
            Err(e) => TestResult {
                message: Some(format!(
                    "could not start test binary {}: {e}",
                    bin.describe_path()
                )),
                outcome: Outcome::Error,
                shard,
                position,
                start_ms: ms_since(t0, start),
                end_ms: ms_since(t0, Instant::now()),
                ..ignored_result(test)
            },
        })
    }
}

/// Runs the plan, sending events to `events`. Blocks until every selected shard ran (or
/// `cancel` was set). `binaries` maps binary id to binary; tests marked ignored run with
/// `--ignored` (they are in the plan only when selected to run).
pub(crate) fn execute(
    plan: &Plan,
    binaries: &HashMap<String, TestBinary>,
    opts: &ExecOptions,
    cancel: &CancelFlag,
    events: &Sender<RunEvent>,
) {
    let t0 = Instant::now();
    // Shards to run, largest first so that the longest sequences start early.
    let order: Vec<(u32, Vec<TestCase>)> = plan
        .shards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                i as u32 + 1,
                s.iter().map(|t| t.test.clone()).collect::<Vec<_>>(),
            )
        })
        .filter(|(k, s)| {
            !s.is_empty() && (opts.only_shards.is_empty() || opts.only_shards.contains(k))
        })
        .collect();
    // Longest expected shard first (by recorded durations, else by size), so a long shard does
    // not start last and finish alone; contents and in-shard order are untouched.
    let estimator = crate::plan::history::Estimator::new(&opts.history);
    let mut keyed: Vec<(f64, (u32, Vec<TestCase>))> = order
        .into_iter()
        .map(|(k, s)| {
            let ids: Vec<String> = s.iter().map(TestCase::id).collect();
            let est = estimator.estimate(ids.iter().map(String::as_str));
            (est, (k, s))
        })
        .collect();
    keyed.sort_by(|(a, (ka, _)), (b, (kb, _))| b.total_cmp(a).then(ka.cmp(kb)));
    let order: Vec<(u32, Vec<TestCase>)> = keyed.into_iter().map(|(_, x)| x).collect();
    let test_count = order.iter().map(|(_, s)| s.len()).sum();
    let _ = events.send(RunEvent::RunStarted {
        seed: plan.seed,
        shard_count: plan.shard_count(),
        test_count,
        jobs: opts.jobs,
    });
    for t in plan.ignored_in(&opts.only_shards) {
        let _ = events.send(RunEvent::TestFinished(Box::new(ignored_result(t))));
    }
    let runner = SequenceRunner::new(binaries, opts, cancel, plan.seed, t0);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.min(order.len()).max(1) {
            scope.spawn(|| {
                while let Some((shard, tests)) = order.get(next.fetch_add(1, Ordering::SeqCst)) {
                    if runner.cancelled() {
                        break;
                    }
                    runner.run_sequence(
                        *shard,
                        tests,
                        |t| {
                            let _ = events.send(RunEvent::TestStarted {
                                test: t.clone(),
                                shard: *shard,
                            });
                        },
                        |r| {
                            let _ = events.send(RunEvent::TestFinished(Box::new(r)));
                        },
                    );
                }
            });
        }
    });
    let _ = events.send(RunEvent::RunFinished {
        elapsed: t0.elapsed(),
        interrupted: cancel.load(Ordering::SeqCst),
    });
}

/// The result recorded for an ignored test that was not run.
pub(crate) fn ignored_result(t: &TestCase) -> TestResult {
    TestResult {
        test: t.clone(),
        shard: 0,
        position: 0,
        outcome: Outcome::Ignored,
        exit_code: None,
        signal: None,
        leaked: false,
        start_ms: 0,
        end_ms: 0,
        duration: Duration::ZERO,
        message: None,
        output: String::new(),
        output_bytes: 0,
        output_dropped: 0,
        previous_attempts: Vec::new(),
        quarantined: false,
        sandbox: None,
    }
}
