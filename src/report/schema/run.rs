//! The run record (also the merged one) and the hunt report, which holds run records.

#[cfg(test)]
use super::common::{RUN_RECORD_SCHEMA, VERSION};
use crate::events::{Attempt, Outcome};
use crate::plan::Partition;
use crate::plan::seed::Seed;
use crate::triage::Finding;
#[cfg(test)]
use crate::triage::FindingKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The run record (schema [`RUN_RECORD_SCHEMA`]): the plan, every test's result, the triage
/// findings and what the baseline did. `merge --report` writes the same document for a merged
/// partitioned run, with `merged_from` and `missing_partitions` added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunRecordDoc {
    /// [`RUN_RECORD_SCHEMA`].
    pub(crate) schema: String,
    /// The cargo-shuffle version that wrote it.
    pub(crate) version: String,
    /// The run seed, as a decimal string.
    #[serde(with = "super::common::text")]
    pub(crate) seed: Seed,
    /// Shards in the plan.
    pub(crate) shard_count: u32,
    /// `--partition` of the run (`K/N` or `slice:K/N`); `null` when unpartitioned or merged.
    #[serde(with = "super::common::opt_text")]
    pub(crate) partition: Option<Partition>,
    /// Merged records only: the input files and their partitions, in the order given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) merged_from: Option<Vec<MergedPart>>,
    /// Merged records only: partitions not among the inputs (with `--allow-missing`), written
    /// as `--partition` takes them (`slice:1/3`; a hash part is `1/3`, as in `partition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) missing_partitions: Option<Vec<String>>,
    /// Merged records only: per missing partition, how many planned tests never ran, as far
    /// as the parts given tell (absent in records of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) missing_parts: Option<Vec<MissingPart>>,
    /// Worker threads.
    pub(crate) jobs: usize,
    /// The run was stopped early by a signal (Ctrl-C, SIGTERM, SIGHUP): some planned tests
    /// have no result.
    pub(crate) interrupted: bool,
    /// `--max-fail` (`--fail-fast`) failures stopped the run from starting more tests: the
    /// planned tests without a result are `not_run`; not an interrupt (merged: some part).
    /// `false` in records of older versions, which lack the key.
    #[serde(default)]
    pub(crate) max_fail_reached: bool,
    /// Wall time of the execution phase, milliseconds (merged: the longest part).
    pub(crate) elapsed_ms: u64,
    /// Wall-clock start of the run (RFC 3339, UTC, milliseconds), the origin of the tests'
    /// `start_ms`/`end_ms`; merged: the earliest part's start. `null` when unknown (records of
    /// older versions, which lack the key).
    #[serde(default, with = "super::common::opt_time")]
    pub(crate) started_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The runner process's own resource use; `null` when it could not be measured.
    pub(crate) runner: Option<RunnerUsage>,
    /// Shell command that reproduces the whole run.
    pub(crate) repro: String,
    /// Results per outcome; outcomes with no result are absent.
    pub(crate) counts: BTreeMap<Outcome, usize>,
    /// Planned tests of the selected shards without a result (interrupted runs, runs stopped
    /// by `--max-fail`).
    pub(crate) not_run: usize,
    /// The ids of those tests, shard by shard in plan order (absent when none, and in records
    /// of older versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_run_tests: Vec<String>,
    /// The test binaries that could not be listed (their tests did not run), in binary order;
    /// merged: each binary once. Empty in records of older versions, which lack the key.
    #[serde(default)]
    pub(crate) list_errors: Vec<ListErrorDoc>,
    /// The config file's profile the run used (`default` or a named one); `null` when no
    /// config file was read, and in records of older versions, which lack the key.
    #[serde(default)]
    pub(crate) profile: Option<String>,
    /// The 1-based shard that ran the tests kept out of the shuffle (`shuffle = false` in a
    /// config-file override) in name order, always the last; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unshuffled_shard: Option<u32>,
    /// Every shard's test ids, in the order they ran (then the planned ones that did not).
    pub(crate) plan: Vec<ShardPlan>,
    /// One entry per test, in the order they finished.
    pub(crate) tests: Vec<TestDoc>,
    /// Triage was on (`false` with `--no-triage`); `findings` is then empty. Merged: some part
    /// was triaged (the failures of a part that was not have no finding).
    pub(crate) triaged: bool,
    /// One finding per failing test that triage looked at.
    pub(crate) findings: Vec<Finding>,
    /// What `--baseline` did; `null` without a baseline.
    pub(crate) baseline: Option<Applied>,
}

/// A test binary that could not be listed: its `--list` failed, printed a line that is not a
/// libtest listing, or the binary could not be started (a loader error, a broken target
/// runner). Its tests did not run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ListErrorDoc {
    /// Stable id of the binary.
    pub(crate) binary_id: String,
    /// What went wrong, naming the binary and quoting what it printed, then a hint.
    pub(crate) error: String,
}

/// One input of a merged record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct MergedPart {
    /// The input file as given on the command line.
    pub(crate) file: String,
    /// Its `partition`.
    #[serde(with = "super::common::opt_text")]
    pub(crate) partition: Option<Partition>,
}

/// A partition missing from a merge, and how many planned tests it held as far as the parts
/// given tell: a slice part's size follows from the other slice parts' sizes (they differ by at
/// most one), a hash part's does not (`null`s).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MissingPart {
    /// The partition, as `--partition` takes it.
    #[serde(with = "super::common::text")]
    pub(crate) partition: Partition,
    /// At least this many planned tests never ran; `null` when unknown.
    pub(crate) tests_at_least: Option<usize>,
    /// At most this many; `null` when unknown.
    pub(crate) tests_at_most: Option<usize>,
}

/// The runner's own resource use (not its tests').
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunnerUsage {
    /// CPU time, user + system, milliseconds (merged: the parts' sum).
    pub(crate) cpu_ms: f64,
    /// Peak resident memory, KiB (merged: the largest part's).
    pub(crate) max_rss_kib: i64,
}

/// One shard of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardPlan {
    /// 1-based shard number.
    pub(crate) shard: usize,
    /// Test ids (`BINARY_ID TEST_NAME`) in order.
    pub(crate) tests: Vec<String>,
}

/// One test's result in the run record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct TestDoc {
    /// `BINARY_ID TEST_NAME`.
    pub(crate) id: String,
    /// Stable id of its test binary.
    pub(crate) binary_id: String,
    /// libtest's test name.
    pub(crate) name: String,
    /// How it ended (`passed`, `failed`, `crashed`, `timed-out`, `ignored`, `error`,
    /// `interrupted`); anything else is an error when reading.
    pub(crate) outcome: Outcome,
    /// 1-based shard it ran in; 0 for an ignored test that did not run.
    pub(crate) shard: u32,
    /// 0-based position in its shard.
    pub(crate) position: u32,
    /// 1-based worker (thread of `--jobs`) that ran it; 0 when unknown (an ignored test that
    /// did not run; records of older versions, which lack the key).
    #[serde(default)]
    pub(crate) worker: u32,
    /// Start, milliseconds since the run started.
    pub(crate) start_ms: u64,
    /// End, milliseconds since the run started.
    pub(crate) end_ms: u64,
    /// Wall time, milliseconds.
    pub(crate) duration_ms: f64,
    /// Exit code, when the process exited normally.
    pub(crate) exit_code: Option<i32>,
    /// Signal name (`SIGABRT`), when a signal killed it.
    pub(crate) signal: Option<String>,
    /// A process it started held its output open after it exited.
    pub(crate) leaked: bool,
    /// One-paragraph reason for a non-pass.
    pub(crate) message: Option<String>,
    /// Bytes of output the test wrote.
    pub(crate) output_bytes: u64,
    /// Bytes of output not kept because of the cap.
    pub(crate) output_dropped_bytes: u64,
    /// Passed only on a `--retries` attempt.
    pub(crate) flaky: bool,
    /// The failed attempts before this one (`--retries`), oldest first.
    pub(crate) failed_attempts: Vec<Attempt>,
    /// Failed, but a known case of the `--baseline`: not counted by the gate.
    pub(crate) quarantined: bool,
    /// Its sequence's temporary directory, when kept with `--keep-sandbox`.
    pub(crate) sandbox: Option<PathBuf>,
    /// It ran longer than its `slow-timeout` period (absent in older records: false).
    #[serde(default)]
    pub(crate) slow: bool,
}

impl TestDoc {
    /// A result of test `id` (`BINARY_ID TEST_NAME`) with every field set, for tests.
    #[cfg(test)]
    pub(crate) fn example(id: &str, outcome: Outcome) -> TestDoc {
        let (bin, name) = id.split_once(' ').unwrap();
        TestDoc {
            id: id.into(),
            binary_id: bin.into(),
            name: name.into(),
            outcome,
            shard: 1,
            position: 0,
            worker: 1,
            start_ms: 1,
            end_ms: 3,
            duration_ms: 2.5,
            exit_code: Some(101),
            signal: None,
            leaked: false,
            message: Some("boom".into()),
            output_bytes: 10,
            output_dropped_bytes: 0,
            flaky: false,
            failed_attempts: vec![Attempt {
                outcome: Outcome::Failed,
                message: Some("first".into()),
                duration_ms: 1.5,
                output: String::new(),
            }],
            quarantined: false,
            sandbox: Some("/tmp/x".into()),
            slow: false,
        }
    }
}

impl ListErrorDoc {
    /// The error of a junk harness `junk` that printed `Finishing up...`, for tests.
    #[cfg(test)]
    pub(crate) fn example() -> ListErrorDoc {
        ListErrorDoc {
            binary_id: "junk".into(),
            error: "test binary `junk` printed a line that is not a libtest listing: \"Finishing up...\"\nhint: a custom test harness".into(),
        }
    }
}

impl RunRecordDoc {
    /// A record with every field set (one test, one finding; no list error), for tests.
    #[cfg(test)]
    pub(crate) fn example() -> RunRecordDoc {
        RunRecordDoc {
            schema: RUN_RECORD_SCHEMA.into(),
            version: VERSION.into(),
            seed: Seed(u64::MAX),
            shard_count: 2,
            partition: Some("slice:2/3".parse().unwrap()),
            merged_from: Some(vec![MergedPart {
                file: "p.json".into(),
                partition: Some("1/3".parse().unwrap()),
            }]),
            missing_partitions: Some(vec!["3/3".into()]),
            missing_parts: Some(vec![MissingPart {
                partition: "slice:3/3".parse().unwrap(),
                tests_at_least: Some(4),
                tests_at_most: Some(5),
            }]),
            jobs: 2,
            interrupted: false,
            max_fail_reached: false,
            elapsed_ms: 12,
            started_at: chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00.123Z").ok(),
            runner: Some(RunnerUsage {
                cpu_ms: 1.5,
                max_rss_kib: 900,
            }),
            repro: "cargo shuffle run --seed 1".into(),
            counts: [(Outcome::Passed, 1), (Outcome::TimedOut, 1)].into(),
            not_run: 1,
            not_run_tests: vec!["b u".into()],
            list_errors: Vec::new(),
            profile: Some("ci".into()),
            unshuffled_shard: Some(2),
            plan: vec![ShardPlan {
                shard: 1,
                tests: vec!["b t".into()],
            }],
            tests: vec![TestDoc::example("b t", Outcome::TimedOut)],
            triaged: true,
            findings: vec![{
                let mut f = Finding::example("b t", FindingKind::OdVictim);
                f.evidence.push(crate::triage::Rerun {
                    purpose: "confirm-alone",
                    order: vec!["b t".into()],
                    outcome: Outcome::Passed,
                    duration_ms: 1.0,
                });
                f
            }],
            baseline: Some(Applied {
                quarantined: vec!["b t".into()],
                fixed: vec![],
            }),
        }
    }
}

/// What the baseline (`--baseline`, see `ci::baseline`) did to a run's verdict: part of the
/// record, so that `merge` and later readers see it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Applied {
    /// Known tests that failed again as order-dependent or flaky: not counted by the gate.
    pub(crate) quarantined: Vec<String>,
    /// Known tests that passed in the situation they used to fail in (an OD victim after all
    /// its polluters, a brittle test without its state-setters before it): fixed, remove them
    /// from the baseline. A NOD-flaky test is never called fixed from one pass.
    pub(crate) fixed: Vec<String>,
}

/// The hunt report (schema [`HUNT_SCHEMA`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct HuntDoc {
    /// [`HUNT_SCHEMA`].
    pub(crate) schema: String,
    /// The cargo-shuffle version that wrote it.
    pub(crate) version: String,
    /// Every run of the campaign, in order, as run records.
    pub(crate) runs: Vec<RunRecordDoc>,
    /// Ids of the tests that failed (not quarantined) in any run, sorted.
    pub(crate) failing_tests: Vec<String>,
    /// The runs' findings aggregated, one per test (see `triage::aggregate`).
    pub(crate) findings: Vec<Finding>,
    /// The pair coverage the campaign reached (absent in reports of older versions).
    #[serde(default)]
    pub(crate) coverage: Option<HuntCoverageDoc>,
}

/// Pair coverage of a hunt (see `plan::coverage`): over the `tests` tests of the campaign,
/// `pairs` = n(n − 1) ordered pairs, how many ran first-before-second in one run's sequence
/// (`ordered`), and how many ran immediately one after the other (`consecutive`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct HuntCoverageDoc {
    /// Tests in every run's sequence.
    pub(crate) tests: usize,
    /// Ordered pairs of distinct tests, n(n − 1).
    pub(crate) pairs: u64,
    /// Ordered pairs covered by the runs so far (estimated from a sample above 8 192 tests).
    pub(crate) ordered: u64,
    /// Whether `ordered` is a sample estimate.
    pub(crate) ordered_estimated: bool,
    /// Consecutive pairs covered (exact).
    pub(crate) consecutive: u64,
    /// Per run, in order: how its order was made and what it added.
    pub(crate) runs: Vec<HuntRunCoverageDoc>,
    /// Shared isolation: ordered pairs of tests of the same binary (the pairs in-process state
    /// can join), and how many of them ran first-before-second in one process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) in_binary: Option<InBinaryCoverageDoc>,
}

/// In-binary pair coverage of a shared-isolation hunt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct InBinaryCoverageDoc {
    /// Ordered pairs of distinct tests of the same binary.
    pub(crate) pairs: u64,
    /// Of those, how many ran first-before-second in some run.
    pub(crate) covered: u64,
}

/// One hunt run's order and the coverage it added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct HuntRunCoverageDoc {
    /// `seeded` (run 1), `reversed` (run 2: run 1 backwards), or `coverage` (chosen to cover
    /// consecutive pairs not yet run).
    pub(crate) order: String,
    /// Ordered pairs first covered by this run.
    pub(crate) new_ordered: u64,
    /// Consecutive pairs first covered by this run.
    pub(crate) new_consecutive: u64,
    /// Ordered-pair coverage after this run, in percent.
    pub(crate) ordered_pct: f64,
    /// Consecutive-pair coverage after this run, in percent.
    pub(crate) consecutive_pct: f64,
}
