//! The executor: runs the shards of a plan on `jobs` workers (a worker takes the next shard as
//! soon as it is free; inside a shard tests run one after another in plan order), one process
//! per test, and reports only through [`RunEvent`]s.

use crate::discover::TestBinary;
use crate::events::{Outcome, RunEvent, TestResult};
use crate::list::TestCase;
use crate::output::panic_message;
use crate::plan::{Plan, PlannedTest};
use crate::process::{self, ProcessSpec};
use crate::watchdog::Watchdog;
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How to execute (validated; see `config`).
#[derive(Clone, Debug)]
pub struct ExecOptions {
    /// Worker threads, at least 1.
    pub jobs: usize,
    /// Per-test timeout.
    pub timeout: Option<Duration>,
    /// Time between TERM and KILL on timeout.
    pub grace: Duration,
    /// Wait for a test's output pipe to close after it exited before calling it leaky.
    pub leak_timeout: Duration,
    /// Output bytes kept from the start of each test's output.
    pub head_cap: usize,
    /// Output bytes kept from the end.
    pub tail_cap: usize,
    /// 1-based shards to run; empty = all.
    pub only_shards: Vec<u32>,
}

/// Set to stop the run between tests (Ctrl-C); tests already running finish or are killed by
/// the signal handler.
pub type CancelFlag = Arc<AtomicBool>;

fn ms_since(t0: Instant, t: Instant) -> u64 {
    t.saturating_duration_since(t0).as_millis() as u64
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
        if let Some(p) = panic_message(&text()) {
            msg = format!("{msg} after panic: {p}");
        }
        return (Outcome::Crashed, Some(msg));
    }
    match r.status.code() {
        Some(0) => match ran {
            Some(1) => (Outcome::Passed, None),
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
            let msg = panic_message(&text()).unwrap_or_else(|| format!("exit code {code}"));
            (Outcome::Failed, Some(msg))
        }
        None => (Outcome::Error, Some("unknown exit status".into())),
    }
}

/// Runs the plan, sending events to `events`. Blocks until every selected shard ran (or
/// `cancel` was set). `binaries` maps binary id to binary; `run_ignored` adds `--ignored` to
/// the command of every test marked ignored (they are in the plan only when selected to run).
pub fn execute(
    plan: &Plan,
    binaries: &HashMap<String, TestBinary>,
    opts: &ExecOptions,
    cancel: &CancelFlag,
    events: &Sender<RunEvent>,
) {
    let t0 = Instant::now();
    // Shards to run, largest first so that the longest sequences start early.
    let mut order: Vec<&Vec<PlannedTest>> = plan
        .shards
        .iter()
        .enumerate()
        .filter(|(i, _)| opts.only_shards.is_empty() || opts.only_shards.contains(&(*i as u32 + 1)))
        .map(|(_, s)| s)
        .filter(|s| !s.is_empty())
        .collect();
    order.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let test_count = order.iter().map(|s| s.len()).sum();
    let _ = events.send(RunEvent::RunStarted {
        seed: plan.seed,
        shard_count: plan.shard_count(),
        test_count,
        jobs: opts.jobs,
    });
    for t in &plan.ignored {
        let _ = events.send(RunEvent::TestFinished(Box::new(ignored_result(t))));
    }
    let watchdog = Watchdog::start();
    let next = AtomicUsize::new(0);
    let ctx = RunContext {
        binaries,
        opts,
        cancel,
        watchdog: &watchdog,
        events,
        seed: plan.seed.to_string(),
        t0,
    };
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.min(order.len()).max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(shard) = order.get(i) else { break };
                    if cancel.load(Ordering::SeqCst) {
                        break;
                    }
                    run_shard(shard, &ctx);
                }
            });
        }
    });
    let _ = events.send(RunEvent::RunFinished {
        elapsed: t0.elapsed(),
        interrupted: cancel.load(Ordering::SeqCst),
    });
}

fn ignored_result(t: &TestCase) -> TestResult {
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
    }
}

/// What every shard of one run shares.
struct RunContext<'a> {
    binaries: &'a HashMap<String, TestBinary>,
    opts: &'a ExecOptions,
    cancel: &'a CancelFlag,
    watchdog: &'a Watchdog,
    events: &'a Sender<RunEvent>,
    seed: String,
    t0: Instant,
}

fn run_shard(shard: &[PlannedTest], ctx: &RunContext<'_>) {
    let RunContext {
        binaries,
        opts,
        cancel,
        watchdog,
        events,
        seed,
        t0,
    } = ctx;
    let (seed, t0) = (seed.as_str(), *t0);
    // A fresh temporary directory per sequence: temp-dir state left by a test stays inside its
    // shard, so shards do not race on it and every rerun starts clean.
    let sandbox = tempfile::Builder::new()
        .prefix("cargo-shuffle-")
        .tempdir()
        .ok();
    let shard_no = shard.first().map_or(0, |t| t.shard);
    for pt in shard {
        if cancel.load(Ordering::SeqCst) {
            break;
        }
        let Some(bin) = binaries.get(&pt.test.binary_id) else {
            continue;
        };
        let mut env = bin.env.clone();
        env.push(("CARGO_SHUFFLE_SEED".into(), seed.into()));
        env.push(("CARGO_SHUFFLE_SHARD".into(), shard_no.to_string().into()));
        if let Some(dir) = &sandbox {
            for var in ["TMPDIR", "TMP", "TEMP"] {
                env.push((var.into(), dir.path().into()));
            }
        }
        let mut args: Vec<OsString> = vec![
            "--exact".into(),
            pt.test.name.clone().into(),
            "--nocapture".into(),
        ];
        if pt.test.ignored {
            args.push("--ignored".into());
        }
        let spec = ProcessSpec {
            program: &bin.path,
            args,
            cwd: &bin.cwd,
            env,
            timeout: opts.timeout,
            grace: opts.grace,
            leak_timeout: opts.leak_timeout,
            head_cap: opts.head_cap,
            tail_cap: opts.tail_cap,
            cancel,
            watchdog,
        };
        let _ = events.send(RunEvent::TestStarted {
            test: pt.test.clone(),
            shard: pt.shard,
        });
        let start = Instant::now();
        let result = match process::run(&spec) {
            // Stopped by the runner because of an interrupt: its outcome says nothing about the
            // test, so it counts as not run.
            Ok(r) if r.interrupted => break,
            Ok(r) => {
                let (outcome, mut message) = classify(&r);
                if outcome == Outcome::TimedOut {
                    message = Some(format!(
                        "timed out after {:.1}s (--timeout); killed",
                        opts.timeout.unwrap_or_default().as_secs_f64()
                    ));
                }
                TestResult {
                    test: pt.test.clone(),
                    shard: pt.shard,
                    position: pt.position,
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
                }
            }
            Err(e) => TestResult {
                message: Some(format!(
                    "could not start test binary {}: {e}",
                    bin.path.display()
                )),
                outcome: Outcome::Error,
                shard: pt.shard,
                position: pt.position,
                start_ms: ms_since(t0, start),
                end_ms: ms_since(t0, Instant::now()),
                ..ignored_result(&pt.test)
            },
        };
        let _ = events.send(RunEvent::TestFinished(Box::new(result)));
    }
    // Dropping the sandbox removes it and whatever the shard's tests left there.
    drop(sandbox);
}
