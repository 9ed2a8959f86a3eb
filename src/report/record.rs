//! The run record: the plan plus every test's result, collected from events. Written as JSON
//! with `--report` (schema `cargo-shuffle/run-record/v1`, documented in docs/reports.md);
//! the order-dependence work reads it back.

use crate::events::{Outcome, RunEvent, TestResult};
use crate::plan::seed::Seed;
use crate::plan::{Partition, Plan};
use std::collections::BTreeMap;
use std::time::Duration;

/// Identifier of the JSON schema written by [`RunRecord::to_json`].
pub(crate) const SCHEMA: &str = "cargo-shuffle/run-record/v1";

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
    /// Command that reproduces the whole run.
    pub(crate) repro: String,
    /// Wall-clock start, for report timestamps.
    pub(crate) started_at: std::time::SystemTime,
    /// Triage findings, one per failing test; `None` when triage did not run.
    pub(crate) findings: Option<Vec<crate::triage::Finding>>,
    /// What `--baseline` quarantined and which known tests are fixed.
    pub(crate) baseline: Option<Applied>,
    /// Shards selected with `--shard` (empty: all).
    pub(crate) only_shards: Vec<u32>,
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
            repro,
            started_at: std::time::SystemTime::now(),
            findings: None,
            baseline: None,
            only_shards: Vec::new(),
        }
    }

    /// Folds one event into the record.
    pub(crate) fn handle(&mut self, ev: &RunEvent) {
        match ev {
            RunEvent::TestFinished(r) => self.results.push((**r).clone()),
            RunEvent::RunFinished {
                elapsed,
                interrupted,
            } => {
                self.elapsed = *elapsed;
                self.interrupted = *interrupted;
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

    /// Tests that passed only on a retry and are not quarantined by the baseline.
    pub(crate) fn flaky_passes(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.is_flaky() && !r.quarantined)
            .count()
    }

    /// Whether shard `k` (1-based) was selected to run.
    pub(crate) fn shard_selected(&self, k: u32) -> bool {
        self.only_shards.is_empty() || self.only_shards.contains(&k)
    }

    /// Planned tests of the selected shards that never produced a result (interrupted runs).
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

    /// The JSON document (see docs/reports.md for the schema), as a serialisable view that borrows
    /// from the record: serialising it streams, without building a JSON tree per test.
    pub(crate) fn to_json(&self) -> RecordJson<'_> {
        RecordJson {
            schema: SCHEMA,
            version: env!("CARGO_PKG_VERSION"),
            seed: self.seed.to_string(),
            shard_count: self.shard_count,
            partition: self.partition.map(|p| p.to_string()),
            jobs: self.jobs,
            interrupted: self.interrupted,
            elapsed_ms: self.elapsed.as_millis() as u64,
            runner: runner_usage(),
            repro: &self.repro,
            counts: self.counts(),
            not_run: self.not_run(),
            plan: self
                .plan
                .iter()
                .enumerate()
                .map(|(i, tests)| ShardJson {
                    shard: i + 1,
                    tests,
                })
                .collect(),
            tests: self.results.iter().map(TestJson).collect(),
            triaged: self.findings.is_some(),
            findings: self.findings.as_deref().unwrap_or_default(),
            baseline: self.baseline.as_ref(),
        }
    }
}

/// The run record's JSON form (schema [`SCHEMA`]); field meanings are in docs/reports.md.
#[derive(serde::Serialize)]
pub(crate) struct RecordJson<'a> {
    schema: &'static str,
    version: &'static str,
    seed: String,
    shard_count: u32,
    partition: Option<String>,
    jobs: usize,
    interrupted: bool,
    elapsed_ms: u64,
    runner: serde_json::Value,
    repro: &'a str,
    counts: BTreeMap<Outcome, usize>,
    not_run: usize,
    plan: Vec<ShardJson<'a>>,
    tests: Vec<TestJson<'a>>,
    triaged: bool,
    findings: &'a [crate::triage::Finding],
    baseline: Option<&'a Applied>,
}

#[derive(serde::Serialize)]
struct ShardJson<'a> {
    shard: usize,
    tests: &'a [String],
}

/// One test of the JSON record.
struct TestJson<'a>(&'a TestResult);

impl serde::Serialize for TestJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let r = self.0;
        let mut m = s.serialize_map(Some(20))?;
        m.serialize_entry("id", &r.test.id())?;
        m.serialize_entry("binary_id", &r.test.binary_id)?;
        m.serialize_entry("name", &r.test.name)?;
        m.serialize_entry("outcome", &r.outcome)?;
        m.serialize_entry("shard", &r.shard)?;
        m.serialize_entry("position", &r.position)?;
        m.serialize_entry("start_ms", &r.start_ms)?;
        m.serialize_entry("end_ms", &r.end_ms)?;
        m.serialize_entry("duration_ms", &(r.duration.as_secs_f64() * 1000.0))?;
        m.serialize_entry("exit_code", &r.exit_code)?;
        m.serialize_entry("signal", &r.signal)?;
        m.serialize_entry("leaked", &r.leaked)?;
        m.serialize_entry("message", &r.message)?;
        m.serialize_entry("output_bytes", &r.output_bytes)?;
        m.serialize_entry("output_dropped_bytes", &r.output_dropped)?;
        m.serialize_entry("flaky", &r.is_flaky())?;
        m.serialize_entry("failed_attempts", &r.previous_attempts)?;
        m.serialize_entry("quarantined", &r.quarantined)?;
        m.serialize_entry("sandbox", &r.sandbox)?;
        m.end()
    }
}

/// The runner's own resource use so far (not its children's): CPU time in milliseconds (user +
/// system, from `getrusage(RUSAGE_SELF)`) and peak resident memory in KiB (`VmHWM` of
/// `/proc/self/status`, else `ru_maxrss`). For benchmarks.
pub(crate) fn runner_usage() -> serde_json::Value {
    // SAFETY: zeroed rusage is a valid out-parameter.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return serde_json::Value::Null;
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
    serde_json::json!({
        "cpu_ms": ms(u.ru_utime) + ms(u.ru_stime),
        "max_rss_kib": hwm.unwrap_or(u.ru_maxrss),
    })
}

/// What the baseline (`--baseline`, see `ci::baseline`) did to a run's verdict: part of the
/// record, so that `merge` and later readers see it.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub(crate) struct Applied {
    /// Known tests that failed again as order-dependent or flaky: not counted by the gate.
    pub(crate) quarantined: Vec<String>,
    /// Known tests that passed in the situation they used to fail in (an OD victim after all
    /// its polluters, a brittle test without its state-setters before it): fixed, remove them
    /// from the baseline. A NOD-flaky test is never called fixed from one pass.
    pub(crate) fixed: Vec<String>,
}
