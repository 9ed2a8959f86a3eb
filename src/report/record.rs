//! The run record: the plan plus every test's result, collected from events. Written as JSON
//! with `--report` through [`RunRecord::to_doc`] (the document types are in `report::schema`,
//! documented in docs/reports.md); `merge` reads records back with [`RunRecord::from_doc`].

use super::schema::{self, RUN_RECORD_SCHEMA, RunRecordDoc, RunnerUsage, ShardPlan, TestDoc};
pub(crate) use super::schema::{Applied, ListErrorDoc};
use crate::discover::list::TestCase;
use crate::events::{Outcome, RunEvent, TestResult};
use crate::plan::seed::Seed;
use crate::plan::{Partition, Plan};
use std::collections::BTreeMap;
use std::time::Duration;

/// Everything known about a run once it ends.
#[derive(Clone, Debug)]
pub(crate) struct RunRecord {
    /// The seed.
    pub(crate) seed: Seed,
    /// Shards in the plan.
    pub(crate) shard_count: u32,
    /// Partition, if any.
    pub(crate) partition: Option<Partition>,
    /// Worker threads.
    pub(crate) jobs: usize,
    /// Test ids (`BINARY_ID TEST_NAME`) per shard, in plan order; index 0 is shard 1.
    pub(crate) plan: Vec<Vec<String>>,
    /// Results in the order tests finished.
    pub(crate) results: Vec<TestResult>,
    /// Wall time of the execution phase.
    pub(crate) elapsed: Duration,
    /// The run was stopped early.
    pub(crate) interrupted: bool,
    /// `--max-fail` failures stopped the run from starting more tests (not an interrupt).
    pub(crate) max_fail_reached: bool,
    /// Command that reproduces the whole run.
    pub(crate) repro: String,
    /// Wall-clock start, for report timestamps (the origin of the results' `start_ms`); `None`
    /// for a record read back from a JSON document that does not carry it.
    pub(crate) started_at: Option<std::time::SystemTime>,
    /// Triage findings, one per failing test; `None` when triage did not run.
    pub(crate) findings: Option<Vec<crate::triage::Finding>>,
    /// What `--baseline` quarantined and which known tests are fixed.
    pub(crate) baseline: Option<Applied>,
    /// Shards selected with `--shard` (empty: all).
    pub(crate) only_shards: Vec<u32>,
    /// The test binaries that could not be listed (their tests did not run), in binary order.
    pub(crate) list_errors: Vec<ListErrorDoc>,
    /// The config file's profile the run used; `None` when no config file was read.
    pub(crate) profile: Option<String>,
    /// `--junit-store-success-output`: JUnit gets passing tests' output too (not part of the
    /// JSON document; `false` when read back).
    pub(crate) junit_store_success_output: bool,
    /// The 1-based shard of the tests kept out of the shuffle (`shuffle = false`), in name
    /// order; `None` when there is none.
    pub(crate) unshuffled: Option<u32>,
}

impl RunRecord {
    /// A record for `plan`, before any event.
    pub(crate) fn new(plan: &Plan, jobs: usize, repro: String) -> RunRecord {
        RunRecord {
            seed: plan.seed,
            shard_count: plan.shard_count(),
            partition: plan.partition,
            jobs,
            plan: plan
                .shards
                .iter()
                .map(|s| s.iter().map(|t| t.test.id()).collect())
                .collect(),
            results: Vec::new(),
            elapsed: Duration::ZERO,
            interrupted: false,
            max_fail_reached: false,
            repro,
            started_at: Some(std::time::SystemTime::now()),
            findings: None,
            baseline: None,
            only_shards: Vec::new(),
            list_errors: Vec::new(),
            profile: None,
            junit_store_success_output: false,
            unshuffled: plan.unshuffled,
        }
    }

    /// The durations (ms by test id) this run adds to the duration history: those of passing
    /// tests only. A failure's time is mostly its panic report (a backtrace with
    /// RUST_BACKTRACE=1: 50–130 ms where the test takes 2 ms), and a victim recorded that long
    /// would start early in the next run, before its polluter.
    pub(crate) fn passing_durations(&self) -> Vec<(String, f64)> {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .map(|r| (r.test.id(), r.duration.as_secs_f64() * 1000.0))
            .collect()
    }

    /// Folds one event into the record.
    pub(crate) fn handle(&mut self, ev: &RunEvent) {
        match ev {
            RunEvent::TestFinished(r) => self.results.push((**r).clone()),
            RunEvent::RunFinished {
                elapsed,
                interrupted,
                max_fail_reached,
            } => {
                self.elapsed = *elapsed;
                self.interrupted = *interrupted;
                self.max_fail_reached = *max_fail_reached;
            }
            _ => {}
        }
    }

    /// The order tests really ran in: per shard, results sorted by position, then the planned
    /// tests that never ran (interrupted, or shards not selected with `--shard`) in plan order,
    /// so that the plan still names every planned test.
    pub(crate) fn observed_plan(&self) -> Vec<Vec<String>> {
        let mut shards: Vec<Vec<(u32, String)>> = vec![Vec::new(); self.plan.len()];
        for r in self.results.iter().filter(|r| r.shard != 0) {
            if let Some(s) = shards.get_mut(r.shard as usize - 1) {
                s.push((r.position, r.test.id()));
            }
        }
        shards
            .into_iter()
            .zip(&self.plan)
            .map(|(mut s, planned)| {
                s.sort();
                let mut ids: Vec<String> = s.into_iter().map(|(_, id)| id).collect();
                let ran: std::collections::HashSet<&String> = ids.iter().collect();
                let rest: Vec<String> = planned
                    .iter()
                    .filter(|id| !ran.contains(id))
                    .cloned()
                    .collect();
                ids.extend(rest);
                ids
            })
            .collect()
    }

    /// Number of results per outcome.
    pub(crate) fn counts(&self) -> BTreeMap<Outcome, usize> {
        let mut m = BTreeMap::new();
        for r in &self.results {
            *m.entry(r.outcome).or_insert(0) += 1;
        }
        m
    }

    /// Whether any test failed, crashed, timed out or errored.
    pub(crate) fn has_failures(&self) -> bool {
        self.results.iter().any(|r| r.outcome.is_failure())
    }

    /// Whether shard `k` (1-based) was selected to run.
    pub(crate) fn shard_selected(&self, k: u32) -> bool {
        self.only_shards.is_empty() || self.only_shards.contains(&k)
    }

    /// Whether planned tests may lack a result because the run stopped early: interrupted, or
    /// stopped by `--max-fail`.
    pub(crate) fn stopped_early(&self) -> bool {
        self.interrupted || self.max_fail_reached
    }

    /// Why the planned tests without a result did not run, as the reports say it.
    pub(crate) fn not_run_reason(&self) -> &'static str {
        if self.interrupted {
            "not run: the run was interrupted"
        } else {
            "not run: --max-fail was reached"
        }
    }

    /// Planned tests of the selected shards that never produced a result (interrupted runs,
    /// runs stopped by `--max-fail`).
    pub(crate) fn not_run(&self) -> usize {
        let planned: usize = self
            .plan
            .iter()
            .enumerate()
            .filter(|(i, _)| self.shard_selected(*i as u32 + 1))
            .map(|(_, s)| s.len())
            .sum();
        let ran = self.results.iter().filter(|r| r.shard != 0).count();
        planned.saturating_sub(ran)
    }

    /// The ids of the planned tests of the selected shards without a result, shard by shard
    /// in plan order: a test planned `n` times with `m` results (an `--order` naming it twice)
    /// is listed `n − m` times, at its last places.
    pub(crate) fn not_run_tests(&self) -> Vec<String> {
        // By id, not by shard: a hunt's summary holds later runs' results, whose shards are
        // their own plans'.
        let mut ran: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for r in self.results.iter().filter(|r| r.shard != 0) {
            *ran.entry(r.test.id()).or_default() += 1;
        }
        let mut out = Vec::new();
        for (i, tests) in self.plan.iter().enumerate() {
            if !self.shard_selected(i as u32 + 1) {
                continue;
            }
            for id in tests {
                match ran.get_mut(id) {
                    Some(n) if *n > 0 => *n -= 1,
                    _ => out.push(id.clone()),
                }
            }
        }
        out
    }

    /// The JSON document (schema [`RUN_RECORD_SCHEMA`], see [`RunRecordDoc`]), with the runner's
    /// resource use measured now.
    pub(crate) fn to_doc(&self) -> RunRecordDoc {
        RunRecordDoc {
            schema: RUN_RECORD_SCHEMA.to_string(),
            version: schema::VERSION.to_string(),
            seed: self.seed,
            shard_count: self.shard_count,
            partition: self.partition,
            merged_from: None,
            missing_partitions: None,
            missing_parts: None,
            jobs: self.jobs,
            interrupted: self.interrupted,
            max_fail_reached: self.max_fail_reached,
            elapsed_ms: self.elapsed.as_millis() as u64,
            started_at: self
                .started_at
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).fixed_offset()),
            runner: runner_usage(),
            repro: self.repro.clone(),
            counts: self.counts(),
            not_run: self.not_run(),
            not_run_tests: self.not_run_tests(),
            list_errors: self.list_errors.clone(),
            profile: self.profile.clone(),
            unshuffled_shard: self.unshuffled,
            plan: self
                .plan
                .iter()
                .enumerate()
                .map(|(i, tests)| ShardPlan {
                    shard: i + 1,
                    tests: tests.clone(),
                })
                .collect(),
            tests: self.results.iter().map(test_doc).collect(),
            triaged: self.findings.is_some(),
            findings: self.findings.clone().unwrap_or_default(),
            baseline: self.baseline.clone(),
        }
    }

    /// The record a JSON document describes (for `merge`, which renders JUnit and gates from
    /// records alone). What the document does not carry is empty: the tests' captured output,
    /// the `--shard` selection (all shards count as selected), the start time of a record
    /// written by an older version.
    pub(crate) fn from_doc(doc: &RunRecordDoc) -> RunRecord {
        RunRecord {
            seed: doc.seed,
            shard_count: doc.shard_count,
            partition: doc.partition,
            jobs: doc.jobs,
            plan: doc.plan.iter().map(|s| s.tests.clone()).collect(),
            results: doc.tests.iter().map(test_result).collect(),
            elapsed: Duration::from_millis(doc.elapsed_ms),
            interrupted: doc.interrupted,
            max_fail_reached: doc.max_fail_reached,
            repro: doc.repro.clone(),
            started_at: doc.started_at.map(std::time::SystemTime::from),
            findings: doc.triaged.then(|| doc.findings.clone()),
            baseline: doc.baseline.clone(),
            only_shards: Vec::new(),
            list_errors: doc.list_errors.clone(),
            profile: doc.profile.clone(),
            junit_store_success_output: false,
            unshuffled: doc.unshuffled_shard,
        }
    }
}

/// One result as the record writes it.
fn test_doc(r: &TestResult) -> TestDoc {
    TestDoc {
        id: r.test.id(),
        binary_id: r.test.binary_id.clone(),
        name: r.test.name.clone(),
        outcome: r.outcome,
        shard: r.shard,
        position: r.position,
        worker: r.worker,
        start_ms: r.start_ms,
        end_ms: r.end_ms,
        duration_ms: r.duration.as_secs_f64() * 1000.0,
        exit_code: r.exit_code,
        signal: r.signal.clone(),
        leaked: r.leaked,
        message: r.message.clone(),
        output_bytes: r.output_bytes,
        output_dropped_bytes: r.output_dropped,
        flaky: r.is_flaky(),
        failed_attempts: r.previous_attempts.clone(),
        quarantined: r.quarantined,
        sandbox: r.sandbox.clone(),
        slow: r.slow,
    }
}

/// A result read back from the record: no captured output (the record has only its size).
fn test_result(t: &TestDoc) -> TestResult {
    let test = TestCase {
        binary_id: t.binary_id.clone(),
        name: t.name.clone(),
        ignored: t.outcome == Outcome::Ignored,
    };
    let mut r = TestResult::new(test, t.outcome)
        .with_place(t.shard, t.position)
        .with_exit(t.exit_code, t.signal.clone(), t.leaked)
        .with_times(
            t.start_ms,
            t.end_ms,
            Duration::try_from_secs_f64(t.duration_ms / 1000.0).unwrap_or_default(),
        )
        .with_message(t.message.clone())
        .with_output(String::new(), t.output_bytes, t.output_dropped_bytes);
    r.previous_attempts = t.failed_attempts.clone();
    r.worker = t.worker;
    r.quarantined = t.quarantined;
    r.sandbox = t.sandbox.clone();
    r.slow = t.slow;
    r
}

/// The runner's own resource use so far (not its children's): CPU time in milliseconds (user +
/// system, from `getrusage(RUSAGE_SELF)`) and peak resident memory in KiB (`VmHWM` of
/// `/proc/self/status`, else `ru_maxrss`). For benchmarks. `None` when `getrusage` fails.
pub(crate) fn runner_usage() -> Option<RunnerUsage> {
    // SAFETY: zeroed rusage is a valid out-parameter.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return None;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    // On Linux ru_maxrss survives execve (it is at least the parent's peak): VmHWM is the
    // runner's own.
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        });
    Some(RunnerUsage {
        cpu_ms: ms(u.ru_utime) + ms(u.ru_stime),
        max_rss_kib: hwm.unwrap_or(u.ru_maxrss),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passing_tests_durations_go_into_the_history() {
        let r = |name: &str, outcome, ms| {
            TestResult::new(TestCase::new("b", name), outcome).with_times(
                0,
                ms,
                Duration::from_millis(ms),
            )
        };
        let plan = Plan::new(Seed(1), 1, None, vec![], vec![]);
        let mut rec = RunRecord::new(&plan, 1, String::new());
        rec.results = vec![
            r("p", Outcome::Passed, 2),
            r("f", Outcome::Failed, 130),
            r("c", Outcome::Crashed, 90),
        ];
        assert_eq!(rec.passing_durations(), vec![("b p".to_string(), 2.0)]);
    }

    #[test]
    fn the_tests_not_run_are_named_in_plan_order_and_a_test_planned_twice_counts_twice() {
        let plan = Plan::new(Seed(1), 2, None, vec![], vec![]);
        let mut rec = RunRecord::new(&plan, 1, String::new());
        rec.max_fail_reached = true;
        rec.plan = vec![
            vec!["b x".into(), "b y".into(), "b x".into(), "b z".into()],
            vec!["b w".into()],
            vec!["b v".into()],
        ];
        rec.only_shards = vec![1, 2];
        let ran = |name: &str, shard| {
            TestResult::new(TestCase::new("b", name), Outcome::Failed).with_place(shard, 0)
        };
        rec.results = vec![ran("x", 1), ran("y", 1)];
        // Shard 3 was not selected: its test is not "not run".
        assert_eq!(rec.not_run_tests(), ["b x", "b z", "b w"]);
        assert_eq!(rec.not_run(), 3);
        let doc = rec.to_doc();
        assert_eq!(doc.not_run_tests, ["b x", "b z", "b w"]);
        rec.results.extend([ran("x", 1), ran("z", 1), ran("w", 2)]);
        assert!(rec.not_run_tests().is_empty() && rec.not_run() == 0);
    }
}
