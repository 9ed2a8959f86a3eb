//! The machine-readable event stream (`run --message-format json`): one JSON object per line on
//! stdout, for other tools. Types: `run-started` (seed, shards, the plan), `test-started`,
//! `test-finished`, `finding`, `run-finished` (counts, exit code). Human output stays on stderr.

use super::record::RunRecord;
use crate::events::RunEvent;
use serde_json::json;
use std::io::Write;

/// Writes events as JSON lines to stdout, flushing each line.
pub(crate) struct JsonLines;

impl JsonLines {
    fn emit(&self, v: serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{v}");
        let _ = out.flush();
    }

    /// A run that ended before it started (bad input, a failed build, nothing selected): the
    /// one event it streams, `{"type": "run-finished", "exit_code", "error"}`.
    pub(crate) fn run_failed(&self, exit_code: i32, error: &str) {
        self.emit(json!({
            "type": "run-finished",
            "exit_code": exit_code,
            "error": error,
        }));
    }

    /// The plan, before any test runs.
    pub(crate) fn run_started(&self, record: &RunRecord) {
        self.emit(json!({
            "type": "run-started",
            "seed": record.seed.to_string(),
            "shard_count": record.shard_count,
            "partition": record.partition.map(|p| p.to_string()),
            "jobs": record.jobs,
            "repro": record.repro,
            "plan": record.plan.iter().enumerate().map(|(i, t)| json!({"shard": i + 1, "tests": t})).collect::<Vec<_>>(),
        }));
    }

    /// One executor event.
    pub(crate) fn handle(&self, ev: &RunEvent) {
        match ev {
            RunEvent::TestStarted { test, shard } => self.emit(json!({
                "type": "test-started", "id": test.id(), "shard": shard,
            })),
            RunEvent::TestFinished(r) => self.emit(json!({
                "type": "test-finished",
                "id": r.test.id(),
                "outcome": r.outcome,
                "shard": r.shard,
                "position": r.position,
                "duration_ms": r.duration.as_secs_f64() * 1000.0,
                "message": r.message,
                "flaky": r.is_flaky(),
                "leaked": r.leaked,
            })),
            RunEvent::RunStarted { .. } | RunEvent::RunFinished { .. } => {}
        }
    }

    /// Findings and the end of the run, once triage and the gate are done.
    pub(crate) fn run_finished(&self, record: &RunRecord, exit_code: i32) {
        for f in record.findings.iter().flatten() {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["type"] = json!("finding");
            self.emit(v);
        }
        self.emit(json!({
            "type": "run-finished",
            "seed": record.seed.to_string(),
            "counts": record.counts(),
            "interrupted": record.interrupted,
            "elapsed_ms": record.elapsed.as_millis() as u64,
            "exit_code": exit_code,
        }));
    }
}
