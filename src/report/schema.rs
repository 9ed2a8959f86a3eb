//! The JSON documents cargo-shuffle writes and reads back, as types: the run record
//! (`--report`, also what `merge --report` writes), the hunt report (`hunt --report`), the
//! baseline file, the `list --message-format json` plan and the `run --message-format json`
//! event stream. These structs are the source of truth for the formats documented in
//! docs/reports.md: every document is written by serialising them and read back by
//! deserialising them (no string-key lookups), so an unknown schema, outcome or finding kind is
//! an error naming the file instead of a silent default. Extra keys are ignored when reading.
//!
//! Field order is the key order of the written JSON. This module depends only on the types the
//! documents carry (events, plan, triage findings, test cases), never on the code that fills
//! them; conversions from and to the in-memory run live in `report::record`.

use crate::discover::list::TestCase;
use crate::events::{Attempt, Outcome};
use crate::plan::Partition;
use crate::plan::seed::Seed;
use crate::triage::{Finding, FindingKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Schema id of the run record ([`RunRecordDoc`]).
pub(crate) const RUN_RECORD_SCHEMA: &str = "cargo-shuffle/run-record/v1";
/// Schema id of the hunt report ([`HuntDoc`]).
pub(crate) const HUNT_SCHEMA: &str = "cargo-shuffle/hunt/v1";
/// Schema id of the baseline file ([`Baseline`]).
pub(crate) const BASELINE_SCHEMA: &str = "cargo-shuffle/baseline/v1";
/// The cargo-shuffle version written in the `version` key of the documents.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `Display`/`FromStr` types (the seed, a partition) as JSON strings: a u64 seed does not fit a
/// JSON double, and a partition is written as on the command line (`2/3`, `slice:2/3`).
mod text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub(super) fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr<Err: Display>,
        D: Deserializer<'de>,
    {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

/// [`text`] for an optional value: `null` when absent.
mod opt_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub(super) fn serialize<T: Display, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr<Err: Display>,
        D: Deserializer<'de>,
    {
        Option::<std::borrow::Cow<'de, str>>::deserialize(d)?
            .map(|s| s.parse().map_err(D::Error::custom))
            .transpose()
    }
}

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
    #[serde(with = "text")]
    pub(crate) seed: Seed,
    /// Shards in the plan.
    pub(crate) shard_count: u32,
    /// `--partition` of the run (`K/N` or `slice:K/N`); `null` when unpartitioned or merged.
    #[serde(with = "opt_text")]
    pub(crate) partition: Option<Partition>,
    /// Merged records only: the input files and their partitions, in the order given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) merged_from: Option<Vec<MergedPart>>,
    /// Merged records only: partitions `K/N` not among the inputs (with `--allow-missing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) missing_partitions: Option<Vec<String>>,
    /// Worker threads.
    pub(crate) jobs: usize,
    /// The run was stopped early: some planned tests have no result.
    pub(crate) interrupted: bool,
    /// Wall time of the execution phase, milliseconds (merged: the longest part).
    pub(crate) elapsed_ms: u64,
    /// The runner process's own resource use; `null` when it could not be measured.
    pub(crate) runner: Option<RunnerUsage>,
    /// Shell command that reproduces the whole run.
    pub(crate) repro: String,
    /// Results per outcome; outcomes with no result are absent.
    pub(crate) counts: BTreeMap<Outcome, usize>,
    /// Planned tests of the selected shards without a result (interrupted runs).
    pub(crate) not_run: usize,
    /// Every shard's test ids, in the order they ran (then the planned ones that did not).
    pub(crate) plan: Vec<ShardPlan>,
    /// One entry per test, in the order they finished.
    pub(crate) tests: Vec<TestDoc>,
    /// Triage was on (`false` with `--no-triage`); `findings` is then empty.
    pub(crate) triaged: bool,
    /// One finding per failing test that triage looked at.
    pub(crate) findings: Vec<Finding>,
    /// What `--baseline` did; `null` without a baseline.
    pub(crate) baseline: Option<Applied>,
}

/// One input of a merged record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct MergedPart {
    /// The input file as given on the command line.
    pub(crate) file: String,
    /// Its `partition`.
    #[serde(with = "opt_text")]
    pub(crate) partition: Option<Partition>,
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
        }
    }
}

impl RunRecordDoc {
    /// A record with every field set (one test, one finding), for tests.
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
            jobs: 2,
            interrupted: false,
            elapsed_ms: 12,
            runner: Some(RunnerUsage {
                cpu_ms: 1.5,
                max_rss_kib: 900,
            }),
            repro: "cargo shuffle run --seed 1".into(),
            counts: [(Outcome::Passed, 1), (Outcome::TimedOut, 1)].into(),
            not_run: 0,
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
}

/// The baseline file (schema [`BASELINE_SCHEMA`]): known order-dependent and flaky tests that
/// do not fail the gate. Methods are in `ci::baseline`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    /// [`BASELINE_SCHEMA`]; may be absent in a hand-written file.
    #[serde(default)]
    pub(crate) schema: String,
    /// Known tests, sorted by id.
    pub(crate) known: Vec<Known>,
}

/// One known test of the baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Known {
    /// `BINARY_ID TEST_NAME`.
    pub(crate) test: String,
    /// Its finding kind when it was recorded: `od-victim`, `brittle` or `nod-flaky` (the
    /// others are accepted and never called fixed); an unknown kind is an error.
    pub(crate) kind: FindingKind,
    /// Polluters when it was recorded: an OD victim that passes after all of them is fixed.
    #[serde(default)]
    pub(crate) polluters: Vec<String>,
    /// State-setters when it was recorded: a brittle test that passes without any of them
    /// before it is fixed.
    #[serde(default)]
    pub(crate) state_setters: Vec<String>,
    /// Why it is known (free text).
    #[serde(default)]
    pub(crate) note: String,
}

/// The plan printed by `list --message-format json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListDoc {
    /// The run seed, as a decimal string.
    #[serde(with = "text")]
    pub(crate) seed: Seed,
    /// Shards in the plan.
    pub(crate) shard_count: u32,
    /// `--partition`, or `null`.
    #[serde(with = "opt_text")]
    pub(crate) partition: Option<Partition>,
    /// Every shard's tests, in plan order.
    pub(crate) shards: Vec<ListShard>,
    /// Tests selected but not run (`#[ignore]`d).
    pub(crate) ignored: Vec<TestCase>,
}

/// One shard of [`ListDoc`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListShard {
    /// 1-based shard number.
    pub(crate) shard: usize,
    /// Its tests (`{"binary_id", "name", "ignored"}`) in order.
    pub(crate) tests: Vec<TestCase>,
}

/// One line of the `run --message-format json` event stream: a JSON object whose `type` key
/// names the variant (`run-started`, `test-started`, `test-finished`, `finding`,
/// `run-finished`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum StreamEvent {
    /// The plan, before any test runs.
    RunStarted {
        /// The run seed, as a decimal string.
        #[serde(with = "text")]
        seed: Seed,
        /// Shards in the plan.
        shard_count: u32,
        /// `--partition`, or `null`.
        #[serde(with = "opt_text")]
        partition: Option<Partition>,
        /// Worker threads.
        jobs: usize,
        /// Shell command that reproduces the run.
        repro: String,
        /// Every shard's test ids in plan order.
        plan: Vec<ShardPlan>,
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
        /// Wall time, milliseconds.
        duration_ms: f64,
        /// Reason for a non-pass.
        message: Option<String>,
        /// Passed only on a retry.
        flaky: bool,
        /// A process it started held its output open.
        leaked: bool,
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
        #[serde(with = "text")]
        seed: Seed,
        /// Results per outcome.
        counts: BTreeMap<Outcome, usize>,
        /// Stopped early.
        interrupted: bool,
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

/// A document read back from a file with [`read_report`] or [`read_run_record`].
#[derive(Clone, Debug)]
pub(crate) enum ReportDoc {
    /// A run record (also a merged one).
    Run(Box<RunRecordDoc>),
    /// A hunt report.
    Hunt(Box<HuntDoc>),
}

/// A document could not be read back. The message names the file, what is wrong and what to
/// pass instead.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub(crate) struct SchemaError {
    /// The file, as given.
    pub(crate) path: String,
    /// What is wrong and what to do.
    pub(crate) problem: String,
}

/// Just the `schema` key, to choose the document type before reading the rest.
#[derive(Deserialize)]
struct Head {
    schema: Option<String>,
}

fn error(path: &Path, problem: String) -> SchemaError {
    SchemaError {
        path: path.display().to_string(),
        problem,
    }
}

/// Reads a run record or a hunt report. Errors: the file cannot be read, is not JSON, has
/// another (or no) `schema`, or does not match its schema (e.g. an unknown outcome or finding
/// kind, a missing key); each names the file and says what to pass.
pub(crate) fn read_report(path: &Path) -> Result<ReportDoc, SchemaError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        error(
            path,
            format!(
                "cannot read it ({e}); pass the file written by `run --report` or `hunt --report`"
            ),
        )
    })?;
    let head: Head = serde_json::from_str(&text).map_err(|e| {
        error(
            path,
            format!("not JSON ({e}); pass the file written by `run --report` or `hunt --report`"),
        )
    })?;
    let invalid = |schema: &str, e: serde_json::Error| {
        error(
            path,
            format!(
                "not a valid {schema} document ({e}); was it written by another version of cargo-shuffle (this is {VERSION})? Write it again with this version"
            ),
        )
    };
    match head.schema.as_deref() {
        Some(RUN_RECORD_SCHEMA) => serde_json::from_str(&text)
            .map(|d| ReportDoc::Run(Box::new(d)))
            .map_err(|e| invalid(RUN_RECORD_SCHEMA, e)),
        Some(HUNT_SCHEMA) => serde_json::from_str(&text)
            .map(|d| ReportDoc::Hunt(Box::new(d)))
            .map_err(|e| invalid(HUNT_SCHEMA, e)),
        other => Err(error(
            path,
            format!(
                "is not a cargo-shuffle run record or hunt report (schema {}, expected {RUN_RECORD_SCHEMA} or {HUNT_SCHEMA}); pass the file written by `run --report` or `hunt --report`",
                other.map_or("missing".to_string(), |s| format!("{s:?}"))
            ),
        )),
    }
}

/// Reads a run record (schema [`RUN_RECORD_SCHEMA`]); errors as [`read_report`], and a hunt
/// report is refused too.
pub(crate) fn read_run_record(path: &Path) -> Result<RunRecordDoc, SchemaError> {
    match read_report(path)? {
        ReportDoc::Run(d) => Ok(*d),
        ReportDoc::Hunt(_) => Err(error(
            path,
            format!(
                "is a hunt report ({HUNT_SCHEMA}), not a run record ({RUN_RECORD_SCHEMA}); pass the files written by `run --report`"
            ),
        )),
    }
}

/// Parses a baseline file's text. Errors (naming `path`): not JSON, a `schema` other than
/// [`BASELINE_SCHEMA`], or an entry that does not match (an unknown kind, no `test`).
pub(crate) fn parse_baseline(path: &Path, text: &str) -> Result<Baseline, SchemaError> {
    let b: Baseline = serde_json::from_str(text).map_err(|e| {
        error(
            path,
            format!(
                "not a baseline file ({e}); fix it, or recreate it with `cargo shuffle baseline --update --from REPORT --baseline {}`",
                path.display()
            ),
        )
    })?;
    if !b.schema.is_empty() && b.schema != BASELINE_SCHEMA {
        return Err(error(
            path,
            format!(
                "has schema {:?}, not {BASELINE_SCHEMA}; pass a baseline written by `cargo shuffle baseline --update`",
                b.schema
            ),
        ));
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_round_trips() {
        let r = RunRecordDoc::example();
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""seed":"18446744073709551615""#), "{text}");
        assert!(text.contains(r#""partition":"slice:2/3""#), "{text}");
        assert!(text.contains(r#""outcome":"timed-out""#), "{text}");
        assert_eq!(serde_json::from_str::<RunRecordDoc>(&text).unwrap(), r);
        let mut unmerged = RunRecordDoc::example();
        unmerged.merged_from = None;
        unmerged.missing_partitions = None;
        let text = serde_json::to_string(&unmerged).unwrap();
        assert!(!text.contains("merged_from"), "{text}");
        assert_eq!(
            serde_json::from_str::<RunRecordDoc>(&text).unwrap(),
            unmerged
        );

        let hunt = HuntDoc {
            schema: HUNT_SCHEMA.into(),
            version: VERSION.into(),
            runs: vec![r.clone()],
            failing_tests: vec!["b t".into()],
            findings: r.findings.clone(),
        };
        let text = serde_json::to_string(&hunt).unwrap();
        assert_eq!(serde_json::from_str::<HuntDoc>(&text).unwrap(), hunt);

        let b = Baseline {
            schema: BASELINE_SCHEMA.into(),
            known: vec![Known {
                test: "b t".into(),
                kind: FindingKind::Brittle,
                polluters: vec![],
                state_setters: vec!["b s".into()],
                note: "n".into(),
            }],
        };
        let text = serde_json::to_string(&b).unwrap();
        assert!(text.contains(r#""kind":"brittle""#), "{text}");
        assert_eq!(parse_baseline(Path::new("b.json"), &text).unwrap(), b);

        let list = ListDoc {
            seed: Seed(7),
            shard_count: 1,
            partition: None,
            shards: vec![ListShard {
                shard: 1,
                tests: vec![TestCase::new("b", "t")],
            }],
            ignored: vec![],
        };
        let text = serde_json::to_string(&list).unwrap();
        assert_eq!(serde_json::from_str::<ListDoc>(&text).unwrap(), list);

        let events = [
            StreamEvent::RunStarted {
                seed: Seed(3),
                shard_count: 1,
                partition: None,
                jobs: 1,
                repro: "r".into(),
                plan: r.plan.clone(),
            },
            StreamEvent::TestStarted {
                id: "b t".into(),
                shard: 1,
            },
            StreamEvent::TestFinished {
                id: "b t".into(),
                outcome: Outcome::Crashed,
                shard: 1,
                position: 0,
                duration_ms: 1.25,
                message: None,
                flaky: false,
                leaked: true,
            },
            StreamEvent::Finding(r.findings[0].clone()),
            StreamEvent::RunFinished(RunFinished::Completed {
                seed: Seed(3),
                counts: r.counts.clone(),
                interrupted: false,
                elapsed_ms: 4,
                exit_code: 102,
            }),
            StreamEvent::RunFinished(RunFinished::Failed {
                exit_code: 2,
                error: "bad".into(),
            }),
        ];
        for e in events {
            let text = serde_json::to_string(&e).unwrap();
            assert_eq!(
                serde_json::from_str::<StreamEvent>(&text).unwrap(),
                e,
                "{text}"
            );
        }
        let text = serde_json::to_string(&StreamEvent::Finding(r.findings[0].clone())).unwrap();
        assert!(
            text.starts_with(r#"{"type":"finding","kind":"od-victim""#),
            "{text}"
        );
    }

    #[test]
    fn unknown_kinds_outcomes_and_schemas_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let good = serde_json::to_string(&RunRecordDoc::example()).unwrap();
        assert!(matches!(
            read_report(&write("good.json", good.clone())).unwrap(),
            ReportDoc::Run(_)
        ));
        let kind = write(
            "kind.json",
            good.replace(r#""kind":"od-victim""#, r#""kind":"od-vitcim""#),
        );
        let msg = read_report(&kind).unwrap_err().to_string();
        assert!(
            msg.contains("kind.json") && msg.contains("od-vitcim") && msg.contains("od-victim"),
            "{msg}"
        );
        let outcome = write(
            "outcome.json",
            good.replace(r#""outcome":"timed-out""#, r#""outcome":"timeout""#),
        );
        let msg = read_run_record(&outcome).unwrap_err().to_string();
        assert!(
            msg.contains("outcome.json") && msg.contains("timeout"),
            "{msg}"
        );
        let purpose = write(
            "purpose.json",
            good.replace(r#""purpose":"confirm-alone""#, r#""purpose":"guess""#),
        );
        let msg = read_report(&purpose).unwrap_err().to_string();
        assert!(
            msg.contains("purpose.json") && msg.contains("guess"),
            "{msg}"
        );
        let schema = write(
            "schema.json",
            good.replace(RUN_RECORD_SCHEMA, "cargo-shuffle/run-record/v9"),
        );
        let msg = read_report(&schema).unwrap_err().to_string();
        assert!(
            msg.contains("schema.json")
                && msg.contains("run-record/v9")
                && msg.contains("run --report"),
            "{msg}"
        );
        let msg = read_report(&write("junk.json", "{".into()))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("junk.json") && msg.contains("not JSON"),
            "{msg}"
        );
        let msg = parse_baseline(
            Path::new("b.json"),
            r#"{"known": [{"test": "b t", "kind": "od"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("b.json") && msg.contains("`od`"), "{msg}");
        let msg = parse_baseline(Path::new("b.json"), r#"{"schema": "x", "known": []}"#)
            .unwrap_err()
            .to_string();
        assert!(msg.contains(BASELINE_SCHEMA), "{msg}");
    }
}
