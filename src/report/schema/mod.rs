//! The JSON documents cargo-shuffle writes and reads back, as types: the run record
//! (`--report`, also what `merge --report` writes), the hunt report (`hunt --report`), the
//! baseline file, the `list --message-format json` plan and the `run --message-format json`
//! event stream. These structs are the source of truth for the formats documented in
//! docs/reports.md: every document is written by serialising them and read back by
//! deserialising them (no string-key lookups), so an unknown schema, outcome or finding kind is
//! an error naming the file instead of a silent default. Extra keys are ignored when reading.
//!
//! Field order is the key order of the written JSON. One file per document: `run` (run record,
//! merged record, hunt report), `baseline`, `list`, `stream` (event stream), `html` (the data block of the HTML report), `finding` (reading
//! triage evidence back), `common` (schema ids, the string form of seeds and partitions, the
//! error type); this file reads documents back from files. The schema depends only on the types
//! the documents carry (events, plan, triage findings, test cases), never on the code that
//! fills them; conversions from and to the in-memory run live in `report::record`.

mod baseline;
mod common;
mod finding;
mod html;
mod list;
mod run;
mod stream;

pub(crate) use baseline::{Baseline, Known, parse_baseline};
use common::error;
pub(crate) use common::{BASELINE_SCHEMA, HUNT_SCHEMA, RUN_RECORD_SCHEMA, SchemaError, VERSION};
pub(crate) use html::{BarDoc, TimelineData};
pub(crate) use list::{ListBinariesDoc, ListBinary, ListDoc, ListShard};
pub(crate) use run::{
    Applied, HuntCoverageDoc, HuntDoc, HuntRunCoverageDoc, InBinaryCoverageDoc, ListErrorDoc,
    MergedPart, MissingPart, RunRecordDoc, RunnerUsage, ShardPlan, TestDoc,
};
pub(crate) use stream::{RunFinished, StreamEvent};

use serde::Deserialize;
use std::path::Path;

/// A document read back from a file with [`read_report`] or [`read_run_record`].
#[derive(Clone, Debug)]
pub(crate) enum ReportDoc {
    /// A run record (also a merged one).
    Run(Box<RunRecordDoc>),
    /// A hunt report.
    Hunt(Box<HuntDoc>),
}

/// Just the `schema` key, to choose the document type before reading the rest.
#[derive(Deserialize)]
struct Head {
    schema: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::list::TestCase;
    use crate::events::Outcome;
    use crate::plan::seed::Seed;
    use crate::triage::FindingKind;

    #[test]
    fn every_document_round_trips() {
        let r = RunRecordDoc::example();
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""seed":"18446744073709551615""#), "{text}");
        assert!(text.contains(r#""partition":"slice:2/3""#), "{text}");
        assert!(text.contains(r#""outcome":"timed-out""#), "{text}");
        assert!(
            text.contains(r#""started_at":"2026-12-01T10:00:00.123Z""#),
            "{text}"
        );
        // A record of an older version, without `started_at`, still reads (as unknown).
        let old = text.replace(r#""started_at":"2026-12-01T10:00:00.123Z","#, "");
        assert_eq!(
            serde_json::from_str::<RunRecordDoc>(&old)
                .unwrap()
                .started_at,
            None
        );
        assert_eq!(serde_json::from_str::<RunRecordDoc>(&text).unwrap(), r);
        // A binary that could not be listed round-trips; a record of an older version, without
        // `list_errors`, reads as none.
        let mut unlisted = r.clone();
        unlisted.list_errors = vec![ListErrorDoc::example()];
        let text = serde_json::to_string(&unlisted).unwrap();
        assert!(
            text.contains(r#""list_errors":[{"binary_id":"junk","error":"#),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<RunRecordDoc>(&text).unwrap(),
            unlisted
        );
        let old = serde_json::to_string(&r)
            .unwrap()
            .replace(r#""list_errors":[],"#, "");
        assert!(!old.contains("list_errors"), "{old}");
        assert_eq!(serde_json::from_str::<RunRecordDoc>(&old).unwrap(), r);
        let mut unmerged = RunRecordDoc::example();
        unmerged.merged_from = None;
        unmerged.missing_partitions = None;
        unmerged.missing_parts = None;
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
            coverage: Some(HuntCoverageDoc {
                tests: 2,
                pairs: 2,
                ordered: 2,
                ordered_estimated: false,
                consecutive: 2,
                runs: vec![HuntRunCoverageDoc {
                    order: "seeded".into(),
                    new_ordered: 1,
                    new_consecutive: 1,
                    ordered_pct: 50.0,
                    consecutive_pct: 50.0,
                }],
                in_binary: Some(InBinaryCoverageDoc {
                    pairs: 2,
                    covered: 1,
                }),
            }),
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
            unshuffled_shard: Some(1),
            ignored: vec![],
            list_errors: vec![ListErrorDoc {
                binary_id: "junk".into(),
                error: "no".into(),
            }],
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
                profile: Some("ci".into()),
                unshuffled_shard: Some(2),
                list_errors: vec![ListErrorDoc::example()],
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
                worker: 2,
                duration_ms: 1.25,
                message: None,
                flaky: false,
                leaked: true,
                slow: true,
            },
            StreamEvent::TestSlow {
                id: "b t".into(),
                shard: 1,
                elapsed_ms: 60_000,
                will_terminate: false,
            },
            StreamEvent::Finding(r.findings[0].clone()),
            StreamEvent::RunFinished(RunFinished::Completed {
                seed: Seed(3),
                counts: r.counts.clone(),
                interrupted: false,
                max_fail_reached: false,
                elapsed_ms: 4,
                exit_code: 102,
            }),
            StreamEvent::RunFinished(RunFinished::Failed {
                exit_code: 2,
                error: "bad".into(),
            }),
        ];
        // The README's row of `--message-format json` and docs/reports.md's list name every
        // event type and every key (a finding's keys are the run record's, documented there).
        let readme = include_str!("../../../README.md");
        let row = readme
            .lines()
            .find(|l| l.starts_with("| `run --message-format json` |"))
            .expect("the README's row of --message-format json");
        let docs = include_str!("../../../docs/reports.md");
        for e in &events {
            let v = serde_json::to_value(e).unwrap();
            let ty = v["type"].as_str().unwrap();
            assert!(row.contains(&format!("`{ty}`")), "README lacks `{ty}`");
            assert!(
                docs.contains(&format!("\"type\": \"{ty}\"")),
                "reports.md lacks {ty}"
            );
            if ty == "finding" {
                continue;
            }
            for key in v.as_object().unwrap().keys() {
                assert!(
                    row.contains(&format!("`{key}`")),
                    "README lacks {ty}'s `{key}`"
                );
                assert!(
                    docs.contains(&format!("\"{key}\"")),
                    "reports.md lacks {ty}'s \"{key}\""
                );
            }
        }
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
