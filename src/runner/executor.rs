//! The executor: runs the shards of a plan on `jobs` workers (a worker takes the next shard as
//! soon as it is free; inside a shard tests run one after another in plan order, see
//! [`SequenceRunner`]), and reports only through [`RunEvent`]s. The options it takes live in
//! [`crate::runner::options`] and are re-exported here, where callers look for them.

use crate::discover::TestBinary;
use crate::discover::list::TestCase;
use crate::events::{Outcome, RunEvent, TestResult};
use crate::plan::Plan;
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Instant;

pub(crate) use crate::runner::options::{
    CancelFlag, ExecOptions, Isolation, MaxFail, SandboxScope,
};
use crate::runner::sandbox::Sandbox;
pub(crate) use crate::runner::sequence::SequenceRunner;

/// A shard to run: its 1-based number and its tests in plan order.
type ShardRun = (u32, Vec<TestCase>);

/// Runs the plan, sending events to `events`. Blocks until every selected shard ran (or
/// `cancel` was set, or `--max-fail` failures were seen: then no new test starts, see
/// [`MaxFail`]). `binaries` maps binary id to binary; tests marked ignored run with
/// `--ignored` (they are in the plan only when selected to run).
pub(crate) fn execute(
    plan: &Plan,
    binaries: &HashMap<String, TestBinary>,
    opts: &ExecOptions,
    cancel: &CancelFlag,
    events: &Sender<RunEvent>,
) {
    let t0 = Instant::now();
    let order = longest_first(selected_shards(plan, &opts.only_shards), opts);
    let test_count = order.iter().map(|(_, s)| s.len()).sum();
    let _ = events.send(RunEvent::RunStarted {
        seed: plan.seed,
        shard_count: plan.shard_count(),
        test_count,
        jobs: opts.jobs,
    });
    for t in plan.ignored_in(&opts.only_shards) {
        let ignored = TestResult::new(t.clone(), Outcome::Ignored);
        let _ = events.send(RunEvent::TestFinished(Box::new(ignored)));
    }
    // `--no-capture`: each line a test prints is an event, so the terminal shows it live.
    let live = |test: &TestCase, line: &str| {
        let _ = events.send(RunEvent::TestOutput {
            test: test.clone(),
            line: line.to_string(),
        });
    };
    let live: &crate::runner::output::LiveSink<'_> = &live;
    let runner = SequenceRunner::new(binaries, opts, cancel, plan.seed, t0)
        .with_live_output(opts.output.no_capture.then_some(live))
        .with_slow_events(events.clone());
    // `--sandbox run`: one sandbox (and one `--reset-cmd`) for every shard of the run.
    let shared = (opts.sandbox == SandboxScope::Run).then(|| runner.fresh_sandbox());
    run_workers(&runner, &order, opts, shared.as_ref(), events);
    let _ = events.send(RunEvent::RunFinished {
        elapsed: t0.elapsed(),
        interrupted: cancel.load(Ordering::SeqCst),
        max_fail_reached: runner.halted(),
    });
}

/// The plan's non-empty shards that `only` selects (empty = all), in plan order.
fn selected_shards(plan: &Plan, only: &[u32]) -> Vec<ShardRun> {
    plan.shards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                i as u32 + 1,
                s.iter().map(|t| t.test.clone()).collect::<Vec<_>>(),
            )
        })
        .filter(|(k, s)| !s.is_empty() && (only.is_empty() || only.contains(k)))
        .collect()
}

/// `shards` with the longest expected first (by recorded durations, else by size; ties by shard
/// number), so a long shard does not start last and finish alone; contents and in-shard order
/// are untouched.
fn longest_first(shards: Vec<ShardRun>, opts: &ExecOptions) -> Vec<ShardRun> {
    let estimator = crate::plan::history::Estimator::new(&opts.history);
    let mut keyed: Vec<(f64, ShardRun)> = shards
        .into_iter()
        .map(|(k, s)| {
            let ids: Vec<String> = s.iter().map(TestCase::id).collect();
            let est = estimator.estimate(ids.iter().map(String::as_str));
            (est, (k, s))
        })
        .collect();
    keyed.sort_by(|(a, (ka, _)), (b, (kb, _))| b.total_cmp(a).then(ka.cmp(kb)));
    keyed.into_iter().map(|(_, x)| x).collect()
}

/// Runs `order` on `opts.jobs` worker threads (at most one per shard, at least one): each
/// takes the next shard when free, until none is left or the run is interrupted or stopped by
/// `--max-fail` (counted here, on the results as they arrive: the result that reaches the
/// limit halts the runner before its sequence can start another test). Every shard runs in
/// `sandbox` when one is given, else in a fresh one of its own. Test starts and results go to
/// `events` as they happen.
fn run_workers(
    runner: &SequenceRunner<'_>,
    order: &[ShardRun],
    opts: &ExecOptions,
    sandbox: Option<&Sandbox>,
    events: &Sender<RunEvent>,
) {
    let next = &AtomicUsize::new(0);
    let failures = &AtomicU32::new(0);
    std::thread::scope(|scope| {
        for w in 0..opts.jobs.min(order.len()).max(1) {
            // Which worker ran a test: the lanes of the HTML report's timeline.
            let worker = w as u32 + 1;
            scope.spawn(move || {
                while let Some((shard, tests)) = order.get(next.fetch_add(1, Ordering::SeqCst)) {
                    if runner.cancelled() {
                        break;
                    }
                    let on_start = |t: &TestCase| {
                        let _ = events.send(RunEvent::TestStarted {
                            test: t.clone(),
                            shard: *shard,
                        });
                    };
                    let on_result = |mut r: TestResult| {
                        r.worker = worker;
                        // A test stopped by the interrupt or by `:immediate` is no failure of
                        // its own.
                        let halts = opts.max_fail.is_some_and(|m| {
                            r.outcome.is_failure()
                                && r.outcome != Outcome::Interrupted
                                && failures.fetch_add(1, Ordering::SeqCst) + 1 >= m.count
                        });
                        let send = move || {
                            let _ = events.send(RunEvent::TestFinished(Box::new(r)));
                        };
                        if halts {
                            // No test starts after this result is reported.
                            runner.halt(send);
                        } else {
                            send();
                        }
                    };
                    match sandbox {
                        Some(sb) => runner.run_sequence_in(*shard, tests, sb, on_start, on_result),
                        None => runner.run_sequence(*shard, tests, on_start, on_result),
                    }
                }
            });
        }
    });
}
