//! The machine-readable event stream (`run --message-format json`): one JSON object per line on
//! stdout, for other tools. Types: `run-started` (seed, shards, the plan, the profile, the
//! binaries that could not be listed), `test-slow`, `test-started`,
//! `test-finished`, `finding`, `run-finished` (counts, exit code); each line is a
//! [`StreamEvent`] of `report::schema`. Human output stays on stderr.

use super::record::RunRecord;
use super::schema::{RunFinished, ShardPlan, StreamEvent};
use crate::events::RunEvent;
use std::io::Write;

/// Writes events as JSON lines to stdout, flushing each line.
pub(crate) struct JsonLines;

impl JsonLines {
    fn emit(&self, ev: &StreamEvent) {
        let mut out = std::io::stdout().lock();
        if let Ok(line) = serde_json::to_string(ev) {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    /// A run that ended before it started (bad input, a failed build, nothing selected): the
    /// one event it streams, `{"type": "run-finished", "exit_code", "error"}`.
    pub(crate) fn run_failed(&self, exit_code: i32, error: &str) {
        self.emit(&StreamEvent::RunFinished(RunFinished::Failed {
            exit_code,
            error: error.to_string(),
        }));
    }

    /// The plan, before any test runs.
    pub(crate) fn run_started(&self, record: &RunRecord) {
        self.emit(&StreamEvent::RunStarted {
            seed: record.seed,
            shard_count: record.shard_count,
            partition: record.partition,
            jobs: record.jobs,
            repro: record.repro.clone(),
            plan: record
                .plan
                .iter()
                .enumerate()
                .map(|(i, t)| ShardPlan {
                    shard: i + 1,
                    tests: t.clone(),
                })
                .collect(),
            profile: record.profile.clone(),
            unshuffled_shard: record.unshuffled,
            list_errors: record.list_errors.clone(),
        });
    }

    /// One executor event.
    pub(crate) fn handle(&self, ev: &RunEvent) {
        match ev {
            RunEvent::TestStarted { test, shard } => self.emit(&StreamEvent::TestStarted {
                id: test.id(),
                shard: *shard,
            }),
            RunEvent::TestFinished(r) => self.emit(&StreamEvent::TestFinished {
                id: r.test.id(),
                outcome: r.outcome,
                shard: r.shard,
                position: r.position,
                worker: r.worker,
                duration_ms: r.duration.as_secs_f64() * 1000.0,
                message: r.message.clone(),
                flaky: r.is_flaky(),
                leaked: r.leaked,
                slow: r.slow,
            }),
            RunEvent::TestSlow {
                test,
                shard,
                elapsed,
                will_terminate,
            } => self.emit(&StreamEvent::TestSlow {
                id: test.id(),
                shard: *shard,
                elapsed_ms: elapsed.as_millis() as u64,
                will_terminate: *will_terminate,
            }),
            // `--no-capture` lines are for the terminal; the stream has each test's result.
            RunEvent::RunStarted { .. }
            | RunEvent::RunFinished { .. }
            | RunEvent::TestOutput { .. } => {}
        }
    }

    /// Findings and the end of the run, once triage and the gate are done.
    pub(crate) fn run_finished(&self, record: &RunRecord, exit_code: i32) {
        for f in record.findings.iter().flatten() {
            self.emit(&StreamEvent::Finding(f.clone()));
        }
        self.emit(&StreamEvent::RunFinished(RunFinished::Completed {
            seed: record.seed,
            counts: record.counts(),
            interrupted: record.interrupted,
            max_fail_reached: record.max_fail_reached,
            elapsed_ms: record.elapsed.as_millis() as u64,
            exit_code,
        }));
    }
}
