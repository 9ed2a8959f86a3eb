//! Running a batch of hunt runs side by side: one combined plan whose shards are the runs (a
//! sandbox each), split back into one record per run, each triaged one run after another.

use crate::app::config::PlanConfig;
use crate::app::session::Session;
use crate::plan::repro::Repro;
use crate::plan::{Plan, PlannedTest};
use crate::report::record::RunRecord;
use crate::report::terminal::TerminalReporter;
use crate::runner::executor::{ExecOptions, Isolation, SandboxScope};
use crate::triage;

/// Executes one-sequence plans (hunt runs) side by side on the session's workers, each run
/// a shard of one combined plan with a sandbox of its own (`--sandbox shard` semantics),
/// then splits the record into one per run and triages each run's failures, one run after
/// another: reruns are sequential, so a failure caused by another run through state outside
/// the sandboxes (a fixed path) is rerun without that run and is not blamed on this one.
/// With one plan, or in shared isolation (where libtest's seed per process comes from the
/// plan's seed and shard, so batching would tie the order to `--jobs`), this is
/// [`Session::execute`] per plan, one after another. `earlier` are the records of the
/// hunt's earlier runs: triage of a run is given the orders its failing tests passed in, in
/// those and in the runs of this batch that already ran (all of them side by side, the ones
/// before it one after another; see [`triage::run::passed_orders`]).
pub(super) fn execute_side_by_side(
    session: &Session<'_>,
    runs: &[(Plan, PlanConfig)],
    earlier: &[RunRecord],
    terminal: &mut TerminalReporter,
) -> Vec<RunRecord> {
    if runs.len() == 1 || session.exec.isolation == Isolation::Shared {
        let mut done: Vec<RunRecord> = Vec::with_capacity(runs.len());
        for (plan, pc) in runs {
            let others: Vec<&RunRecord> = earlier.iter().chain(&done).collect();
            let record = session.execute_among(plan, pc, &others, terminal);
            done.push(record);
        }
        return done;
    }
    let combined = side_by_side(runs.iter().map(|(p, _)| p));
    let exec = ExecOptions {
        sandbox: SandboxScope::Shard,
        ..session.exec.clone()
    };
    let batch = session.run_plan(&combined, &exec, &runs[0].1.repro(), terminal);
    session.save_history(&batch);
    let mut records: Vec<RunRecord> = runs
        .iter()
        .enumerate()
        .map(|(i, (plan, pc))| split_run(&batch, i as u32 + 1, plan, &pc.repro()))
        .collect();
    if let Some(topts) = &session.cfg.triage {
        for (i, (plan, pc)) in runs.iter().enumerate() {
            let others: Vec<&RunRecord> = earlier
                .iter()
                .chain(
                    records
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, r)| r),
                )
                .collect();
            let passes = triage::run::passed_orders(
                &records[i].results,
                others.iter().map(|r| r.results.as_slice()),
            );
            session.triage(plan, topts, &pc.repro(), &passes, &mut records[i], terminal);
        }
    }
    records
}

/// One plan whose shard `i + 1` is the one sequence of `plans[i]` (the plans of hunt runs share
/// their seed's partition and ignored tests; the first one's are kept).
fn side_by_side<'p>(plans: impl Iterator<Item = &'p Plan>) -> Plan {
    let plans: Vec<&Plan> = plans.collect();
    let shards = plans
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.iter()
                .map(|t| PlannedTest {
                    shard: i as u32 + 1,
                    ..t.clone()
                })
                .collect()
        })
        .collect();
    Plan {
        seed: plans[0].seed,
        partition: plans[0].partition,
        shards,
        ignored: plans[0].ignored.clone(),
        by_binary: false,
        unshuffled: None,
    }
}

/// The record of the run that was shard `shard` of a side-by-side `batch`: its results as shard
/// 1 of `plan`, every run keeping the batch's ignored tests (reported once per run, as a run of
/// its own reports them), times as measured in the batch.
fn split_run(batch: &RunRecord, shard: u32, plan: &Plan, repro: &Repro) -> RunRecord {
    let mut record = RunRecord::new(plan, batch.jobs, repro.shards_command(&[]));
    record.results = batch
        .results
        .iter()
        .filter(|r| r.shard == shard || r.shard == 0)
        .map(|r| {
            let mut r = r.clone();
            if r.shard != 0 {
                r.shard = 1;
            }
            r
        })
        .collect();
    record.elapsed = batch.elapsed;
    record.interrupted = batch.interrupted;
    record.max_fail_reached = batch.max_fail_reached;
    record.list_errors = batch.list_errors.clone();
    record.profile = batch.profile.clone();
    record.started_at = batch.started_at;
    record.junit_store_success_output = batch.junit_store_success_output;
    record
}
