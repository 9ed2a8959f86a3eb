//! The event stream of `run --message-format json`: one [`StreamEvent`] per line.

use super::run::ShardPlan;
use crate::events::Outcome;
use crate::plan::Partition;
use crate::plan::seed::Seed;
use crate::triage::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of the `run --message-format json` event stream: a JSON object whose `type` key
/// names the variant (`run-started`, `test-started`, `test-slow`, `test-finished`, `finding`,
/// `run-finished`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum StreamEvent {
    /// The plan, before any test runs.
    RunStarted {
        /// The run seed, as a decimal string.
        #[serde(with = "super::common::text")]
        seed: Seed,
        /// Shards in the plan.
        shard_count: u32,
        /// `--partition`, or `null`.
        #[serde(with = "super::common::opt_text")]
        partition: Option<Partition>,
        /// Worker threads.
        jobs: usize,
        /// Shell command that reproduces the run.
        repro: String,
        /// Every shard's test ids in plan order.
        plan: Vec<ShardPlan>,
        /// The config file's profile the run used; `null` when no config file was read.
        #[serde(default)]
        profile: Option<String>,
        /// The 1-based shard of the tests kept out of the shuffle (`shuffle = false`), run in
        /// name order; absent when there is none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unshuffled_shard: Option<u32>,
        /// The test binaries that could not be listed (their tests cannot run; the run exits
        /// 104 at the end), as in the run record.
        #[serde(default)]
        list_errors: Vec<super::run::ListErrorDoc>,
    },
    /// A test process is starting.
    TestStarted {
        /// `BINARY_ID TEST_NAME`.
        id: String,
        /// 1-based shard.
        shard: u32,
    },
    /// A test finished.
    TestFinished {
        /// `BINARY_ID TEST_NAME`.
        id: String,
        /// How it ended.
        outcome: Outcome,
        /// 1-based shard (0: ignored, not run).
        shard: u32,
        /// 0-based position in its shard.
        position: u32,
        /// 1-based worker that ran it (0: unknown); absent in streams of older versions.
        #[serde(default)]
        worker: u32,
        /// Wall time, milliseconds.
        duration_ms: f64,
        /// Reason for a non-pass.
        message: Option<String>,
        /// Passed only on a retry.
        flaky: bool,
        /// A process it started held its output open.
        leaked: bool,
        /// It ran longer than its `slow-timeout` period (absent in older streams).
        #[serde(default)]
        slow: bool,
    },
    /// A test is still running after a whole number of its `slow-timeout` periods.
    TestSlow {
        /// `BINARY_ID TEST_NAME`.
        id: String,
        /// 1-based shard.
        shard: u32,
        /// How long it has run, milliseconds.
        elapsed_ms: u64,
        /// It will be stopped as timed out (`terminate-after`).
        will_terminate: bool,
    },
    /// A triage finding, with the keys of the run record's findings.
    Finding(Finding),
    /// The end of the run.
    RunFinished(RunFinished),
}

/// The `run-finished` event: a completed run, or a run that ended before it started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum RunFinished {
    /// The run executed (possibly interrupted).
    Completed {
        /// The run seed, as a decimal string.
        #[serde(with = "super::common::text")]
        seed: Seed,
        /// Results per outcome.
        counts: BTreeMap<Outcome, usize>,
        /// Stopped early by a signal.
        interrupted: bool,
        /// `--max-fail` stopped the run from starting more tests (absent in streams of older
        /// versions).
        #[serde(default)]
        max_fail_reached: bool,
        /// Wall time of the execution phase, milliseconds.
        elapsed_ms: u64,
        /// The gate's exit code.
        exit_code: i32,
    },
    /// Bad input, a failed build, nothing selected: the only event of such a run.
    Failed {
        /// The exit code.
        exit_code: i32,
        /// The error message.
        error: String,
    },
}
