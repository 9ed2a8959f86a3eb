//! `cargo shuffle merge`: combines the JSON run records and JUnit files written by the N
//! partition jobs of one pipeline into one of each, after checking that they belong together
//! (same seed, same shard count, partitions 1..N each exactly once, no test twice). The merged
//! record has the plan and results an unpartitioned run with that seed would have.

use super::repro_args::{selection_signature, strip_partition};
use crate::events::Outcome;
use crate::plan::parts::{slice_size, slice_total_range};
use crate::plan::{ORDER_DOMAIN, Partition, PartitionKind, key};
use crate::report::record::{Applied, RunRecord};
use crate::report::schema::{
    self, ListErrorDoc, MergedPart, MissingPart, RUN_RECORD_SCHEMA, RunRecordDoc, RunnerUsage,
    ShardPlan,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A merge input that does not fit; the message names the file(s) and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct MergeError(pub(crate) String);

pub(super) fn read(path: &Path) -> Result<String, MergeError> {
    std::fs::read_to_string(path)
        .map_err(|e| MergeError(format!("cannot read {}: {e}", path.display())))
}

/// The partitions' JSON run records (read with `schema::read_run_record`: an unknown schema,
/// outcome or finding kind is an error naming the file) merged into one record, with
/// `merged_from` listing the inputs. `allow_missing` accepts an incomplete set.
pub(crate) fn merge_records(
    paths: &[PathBuf],
    allow_missing: bool,
) -> Result<RunRecordDoc, MergeError> {
    let mut docs = Vec::new();
    for p in paths {
        let d = schema::read_run_record(p).map_err(|e| MergeError(e.to_string()))?;
        docs.push((p.as_path(), d));
    }
    merge_docs(&docs, allow_missing)
}

/// [`merge_records`] on records already read: `(file, record)` pairs in the order given.
pub(crate) fn merge_docs(
    docs: &[(&Path, RunRecordDoc)],
    allow_missing: bool,
) -> Result<RunRecordDoc, MergeError> {
    let (first_path, first) = docs.first().ok_or_else(|| {
        MergeError("nothing to merge: pass the partitions' --report files".into())
    })?;
    let share = "partitions of one run must share --seed and --shards (e.g. --seed git, or set $CARGO_SHUFFLE_SEED once for the pipeline)";
    for (p, d) in &docs[1..] {
        if d.seed != first.seed {
            return Err(MergeError(format!(
                "{} has seed {} but {} has {}: {share}",
                p.display(),
                d.seed,
                first_path.display(),
                first.seed
            )));
        }
        if d.shard_count != first.shard_count {
            return Err(MergeError(format!(
                "{} has shard_count {} but {} has {}: {share}",
                p.display(),
                d.shard_count,
                first_path.display(),
                first.shard_count
            )));
        }
    }
    // The same tests selected the same way (a part with another --skip or isolation would
    // silently change what the merged run covers).
    let signature = |d: &RunRecordDoc| selection_signature(&d.repro);
    for (p, d) in &docs[1..] {
        if signature(d) != signature(first) {
            return Err(MergeError(format!(
                "{} selected or ran its tests differently from {}: `{}` vs `{}`; every partition job must use the same selection flags, filters, --isolation and config profile",
                p.display(),
                first_path.display(),
                signature(d).join(" "),
                signature(first).join(" ")
            )));
        }
    }
    // Every planned test has a result, unless the part was interrupted or stopped by --max-fail
    // (then the merged run is too): a part run with --shard covers only some of its plan.
    for (p, d) in docs {
        if d.interrupted || d.max_fail_reached {
            continue;
        }
        let ran: BTreeSet<&str> = d.tests.iter().map(|t| t.id.as_str()).collect();
        let unrun = d
            .plan
            .iter()
            .flat_map(|s| &s.tests)
            .filter(|id| !ran.contains(id.as_str()))
            .count();
        if unrun > 0 {
            return Err(MergeError(format!(
                "{} has no result for {unrun} of its planned tests (was it run with --shard?); merge needs each partition run in full",
                p.display()
            )));
        }
    }
    let missing = check_partitions(docs, allow_missing)?;
    let missing_parts = missing_parts(docs, &missing);
    // Tests: each exactly once.
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    let mut tests = Vec::new();
    let mut findings = Vec::new();
    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    for (p, d) in docs {
        for t in &d.tests {
            if let Some(other) = seen.insert(&t.id, p) {
                return Err(MergeError(format!(
                    "test `{}` is in both {} and {}: partitions must be disjoint",
                    t.id,
                    other.display(),
                    p.display()
                )));
            }
            tests.push(t.clone());
        }
        findings.extend(d.findings.iter().cloned());
        for (k, v) in &d.counts {
            *counts.entry(*k).or_default() += v;
        }
    }
    let usage: Vec<RunnerUsage> = docs.iter().filter_map(|(_, d)| d.runner).collect();
    Ok(RunRecordDoc {
        schema: RUN_RECORD_SCHEMA.to_string(),
        version: schema::VERSION.to_string(),
        seed: first.seed,
        shard_count: first.shard_count,
        partition: None,
        merged_from: Some(
            docs.iter()
                .map(|(p, d)| MergedPart {
                    file: p.display().to_string(),
                    partition: d.partition,
                })
                .collect(),
        ),
        missing_partitions: Some(missing.iter().map(ToString::to_string).collect()),
        missing_parts: Some(missing_parts),
        jobs: first.jobs,
        interrupted: docs.iter().any(|(_, d)| d.interrupted),
        max_fail_reached: docs.iter().any(|(_, d)| d.max_fail_reached),
        elapsed_ms: docs.iter().map(|(_, d)| d.elapsed_ms).max().unwrap_or(0),
        // The parts ran in parallel jobs: laid over each other from the earliest start (each
        // test's start_ms stays relative to its own part's start).
        started_at: docs.iter().filter_map(|(_, d)| d.started_at).min(),
        runner: (!usage.is_empty()).then(|| RunnerUsage {
            cpu_ms: usage.iter().map(|u| u.cpu_ms).sum(),
            max_rss_kib: usage.iter().map(|u| u.max_rss_kib).max().unwrap_or(0),
        }),
        repro: strip_partition(&first.repro),
        counts,
        not_run: docs.iter().map(|(_, d)| d.not_run).sum(),
        not_run_tests: docs
            .iter()
            .flat_map(|(_, d)| d.not_run_tests.iter().cloned())
            .collect(),
        list_errors: merged_list_errors(docs),
        profile: first.profile.clone(),
        unshuffled_shard: first.unshuffled_shard,
        plan: unpartitioned_plan(docs, first),
        tests,
        // Any part's findings count: a part run with --no-triage (or interrupted) leaves its
        // failures without one, which the gate and the summaries treat as untriaged.
        triaged: docs.iter().any(|(_, d)| d.triaged),
        findings,
        baseline: merged_baseline(docs),
    })
}

/// Checks that the parts are partitions `K/N` of one kind and N, each at most once; returns
/// the missing ones, an error when some are missing and `allow_missing` is off.
fn check_partitions(
    docs: &[(&Path, RunRecordDoc)],
    allow_missing: bool,
) -> Result<Vec<Partition>, MergeError> {
    let mut parts: BTreeMap<u32, &Path> = BTreeMap::new();
    let mut layout: Option<(PartitionKind, u32)> = None;
    let kind_name = |k: PartitionKind| match k {
        PartitionKind::Hash => "hash",
        PartitionKind::Slice => "slice",
    };
    for (p, d) in docs {
        let Some(part) = d.partition else {
            if docs.len() > 1 {
                return Err(MergeError(format!(
                    "{} was not run with --partition; merge combines the parts of one partitioned run",
                    p.display()
                )));
            }
            continue;
        };
        match layout {
            None => layout = Some((part.kind, part.total)),
            Some((k, n)) if k != part.kind || n != part.total => {
                return Err(MergeError(format!(
                    "{} is partition {part}, but the others are {}:K/{n}",
                    p.display(),
                    kind_name(k)
                )));
            }
            _ => {}
        }
        if let Some(other) = parts.insert(part.index, p) {
            return Err(MergeError(format!(
                "partition {part} appears twice: {} and {}",
                other.display(),
                p.display()
            )));
        }
    }
    let Some((kind, n)) = layout else {
        return Ok(Vec::new());
    };
    let missing: Vec<Partition> = (1..=n)
        .filter(|k| !parts.contains_key(k))
        .map(|index| Partition {
            index,
            total: n,
            kind,
        })
        .collect();
    if !missing.is_empty() && !allow_missing {
        let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
        return Err(MergeError(format!(
            "partition(s) {} missing: pass every part's report (or --allow-missing, which exits {} when the parts given pass)",
            names.join(", "),
            crate::exit::INCOMPLETE
        )));
    }
    Ok(missing)
}

/// For each missing partition, how many planned tests it held as far as the parts given tell:
/// a slice part's size from the sizes of the slice parts present (they differ by at most one),
/// unknown for a hash part.
fn missing_parts(docs: &[(&Path, RunRecordDoc)], missing: &[Partition]) -> Vec<MissingPart> {
    let present: Vec<(u32, usize)> = docs
        .iter()
        .filter_map(|(_, d)| {
            let p = d.partition?;
            Some((p.index, d.plan.iter().map(|s| s.tests.len()).sum()))
        })
        .collect();
    missing
        .iter()
        .map(|p| {
            let range = (p.kind == PartitionKind::Slice)
                .then(|| slice_total_range(p.total, &present))
                .flatten()
                .map(|(lo, hi)| {
                    (
                        slice_size(p.index, p.total, lo),
                        slice_size(p.index, p.total, hi),
                    )
                });
            MissingPart {
                partition: *p,
                tests_at_least: range.map(|r| r.0),
                tests_at_most: range.map(|r| r.1),
            }
        })
        .collect()
}

/// The plan of the unpartitioned run: shard membership does not depend on the partition, and
/// the order inside a shard is the keyed order.
fn unpartitioned_plan(docs: &[(&Path, RunRecordDoc)], first: &RunRecordDoc) -> Vec<ShardPlan> {
    let mut plan: Vec<Vec<(u64, &str)>> = vec![Vec::new(); first.shard_count as usize];
    for (_, d) in docs {
        for (slot, s) in plan.iter_mut().zip(&d.plan) {
            for id in &s.tests {
                let (bin, name) = id.split_once(' ').unwrap_or((id, ""));
                slot.push((key(first.seed, ORDER_DOMAIN, bin, name), id));
            }
        }
    }
    plan.into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            s.sort();
            ShardPlan {
                shard: i + 1,
                tests: s.into_iter().map(|(_, id)| id.to_string()).collect(),
            }
        })
        .collect()
}

/// The binaries that could not be listed in any part, each once (every part lists every
/// binary, so each part names them), in the order the parts name them; a binary's error is the
/// first part's.
fn merged_list_errors(docs: &[(&Path, RunRecordDoc)]) -> Vec<ListErrorDoc> {
    let mut seen = BTreeSet::new();
    docs.iter()
        .flat_map(|(_, d)| &d.list_errors)
        .filter(|e| seen.insert(e.binary_id.as_str()))
        .cloned()
        .collect()
}

/// The parts' `baseline` sections combined (quarantined and fixed tests of all parts, sorted),
/// or `None` when no part used a baseline.
fn merged_baseline(docs: &[(&Path, RunRecordDoc)]) -> Option<Applied> {
    let parts: Vec<&Applied> = docs
        .iter()
        .filter_map(|(_, d)| d.baseline.as_ref())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let union = |field: fn(&Applied) -> &Vec<String>| -> Vec<String> {
        let set: BTreeSet<&String> = parts.iter().flat_map(|b| field(b)).collect();
        set.into_iter().cloned().collect()
    };
    Some(Applied {
        quarantined: union(|b| &b.quarantined),
        fixed: union(|b| &b.fixed),
    })
}

/// The merged JUnit rendered from a merged record alone (no XML input): the same testcases,
/// outcomes, messages and properties as `merge_junit` of the parts' XML, without the captured
/// output (the records do not carry it); timestamps from the parts' start times (the earliest
/// part's for `<testsuites>`, see `merge_docs`).
pub(crate) fn junit_from_record(merged: &RunRecordDoc) -> String {
    crate::report::junit::render(&RunRecord::from_doc(merged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::schema::TestDoc;
    use crate::triage::{Finding, FindingKind};

    /// Partition `part` of a run with seed 5 and two shards, with the given tests (all in
    /// shard 1) and outcomes.
    fn part(part: &str, tests: &[(&str, Outcome)]) -> RunRecordDoc {
        let mut d = RunRecordDoc::example();
        d.seed = crate::plan::seed::Seed(5);
        d.shard_count = 2;
        d.partition = Some(part.parse().unwrap());
        d.repro = format!("cargo shuffle run --seed 5 --shards 2 --partition {part}");
        d.interrupted = false;
        d.not_run = 0;
        d.not_run_tests = vec![];
        d.tests = tests
            .iter()
            .map(|(id, o)| TestDoc::example(id, *o))
            .collect();
        d.counts = BTreeMap::new();
        for (_, o) in tests {
            *d.counts.entry(*o).or_default() += 1;
        }
        d.plan = vec![
            ShardPlan {
                shard: 1,
                tests: tests.iter().map(|(id, _)| id.to_string()).collect(),
            },
            ShardPlan {
                shard: 2,
                tests: vec![],
            },
        ];
        d.findings = tests
            .iter()
            .filter(|(_, o)| o.is_failure())
            .map(|(id, _)| Finding::example(id, FindingKind::Failure))
            .collect();
        d.baseline = Some(Applied {
            quarantined: vec![],
            fixed: vec![format!("{part} fixed")],
        });
        d
    }

    fn merge(docs: &[RunRecordDoc], allow_missing: bool) -> Result<RunRecordDoc, String> {
        let named: Vec<(&Path, RunRecordDoc)> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let p: &Path = [
                    Path::new("p1.json"),
                    Path::new("p2.json"),
                    Path::new("p3.json"),
                ][i];
                (p, d.clone())
            })
            .collect();
        merge_docs(&named, allow_missing).map_err(|e| e.0)
    }

    #[test]
    fn a_part_without_triage_keeps_the_other_parts_findings() {
        let mut a = part("1/2", &[("b y", Outcome::Failed)]);
        a.triaged = false;
        a.findings.clear();
        let b = part("2/2", &[("b z", Outcome::Failed)]);
        let m = merge(&[a, b], false).unwrap();
        assert!(m.triaged);
        let found: Vec<&str> = m.findings.iter().map(|f| f.test.as_str()).collect();
        assert_eq!(found, ["b z"]);
        // The untriaged failure still fails the gate as one.
        let record = crate::report::record::RunRecord::from_doc(&m);
        assert_eq!(
            crate::ci::gate::exit_code(&record, &crate::ci::gate::GatePolicy::default()),
            crate::exit::TESTS_FAILED
        );
    }

    #[test]
    fn parts_merge_into_the_unpartitioned_record() {
        let a = part("1/2", &[("b x", Outcome::Passed), ("b y", Outcome::Failed)]);
        let b = part("2/2", &[("b z", Outcome::Passed)]);
        let m = merge(&[a, b], false).unwrap();
        assert_eq!(m.partition, None);
        assert_eq!(m.repro, "cargo shuffle run --seed 5 --shards 2");
        assert_eq!(m.tests.len(), 3);
        assert_eq!(m.counts[&Outcome::Passed], 2);
        assert_eq!(m.counts[&Outcome::Failed], 1);
        assert_eq!(m.findings.len(), 1);
        assert_eq!(m.missing_partitions, Some(vec![]));
        let parts: Vec<String> = m
            .merged_from
            .iter()
            .flatten()
            .map(|p| format!("{} {}", p.file, p.partition.unwrap()))
            .collect();
        assert_eq!(parts, ["p1.json 1/2", "p2.json 2/2"]);
        // The plan is the keyed order of all parts' tests, shard by shard.
        let mut ids = m.plan[0].tests.clone();
        assert_eq!(ids.len(), 3);
        ids.sort_by_key(|id| key(m.seed, ORDER_DOMAIN, "b", id.trim_start_matches("b ")));
        assert_eq!(ids, m.plan[0].tests);
        assert!(m.plan[1].tests.is_empty());
        assert_eq!(
            m.baseline.as_ref().unwrap().fixed,
            ["1/2 fixed".to_string(), "2/2 fixed".to_string()]
        );
        let usage = m.runner.unwrap();
        assert_eq!(usage.cpu_ms, 3.0);
        // The merged record is a run record: it reads back as one, and gates as one.
        let text = serde_json::to_string(&m).unwrap();
        let back: RunRecordDoc = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        let record = RunRecord::from_doc(&m);
        assert_eq!(
            crate::ci::gate::exit_code(&record, &Default::default()),
            crate::exit::TESTS_FAILED
        );
    }

    #[test]
    fn the_tests_parts_stopped_by_max_fail_never_ran_are_named_in_the_merged_record() {
        let mut a = part("1/2", &[("b x", Outcome::Failed)]);
        a.max_fail_reached = true;
        a.plan[0].tests.push("b late".into());
        a.not_run = 1;
        a.not_run_tests = vec!["b late".into()];
        let b = part("2/2", &[("b z", Outcome::Passed)]);
        let m = merge(&[a, b], false).unwrap();
        assert!(m.max_fail_reached);
        assert_eq!(m.not_run, 1);
        assert_eq!(m.not_run_tests, ["b late"]);
    }

    #[test]
    fn parts_that_do_not_belong_together_are_refused_naming_the_files() {
        let a = part("1/2", &[("b x", Outcome::Passed)]);
        let b = part("2/2", &[("b z", Outcome::Passed)]);
        let e = merge(std::slice::from_ref(&a), false).unwrap_err();
        assert!(e.contains("2/2 missing"), "{e}");
        assert_eq!(
            merge(std::slice::from_ref(&a), true)
                .unwrap()
                .missing_partitions,
            Some(vec!["2/2".to_string()])
        );
        let e = merge(&[a.clone(), a.clone()], false).unwrap_err();
        assert!(e.contains("appears twice") && e.contains("p2.json"), "{e}");
        let mut other_seed = b.clone();
        other_seed.seed = crate::plan::seed::Seed(6);
        let e = merge(&[a.clone(), other_seed], false).unwrap_err();
        assert!(
            e.contains("p2.json has seed 6") && e.contains("must share --seed"),
            "{e}"
        );
        let dup = part("2/2", &[("b x", Outcome::Passed)]);
        let e = merge(&[a.clone(), dup], false).unwrap_err();
        assert!(e.contains("`b x` is in both p1.json and p2.json"), "{e}");
        let mut slice = b.clone();
        slice.partition = Some("slice:2/2".parse().unwrap());
        let e = merge(&[a.clone(), slice], false).unwrap_err();
        assert!(e.contains("but the others are hash:K/2"), "{e}");
        let mut unrun = b.clone();
        unrun.plan[1].tests.push("b never".into());
        let e = merge(&[a, unrun], false).unwrap_err();
        assert!(e.contains("p2.json has no result for 1"), "{e}");
    }

    #[test]
    fn a_merge_with_missing_parts_names_them_with_their_kind_and_how_many_tests_never_ran() {
        let tests = |k: usize, n: usize| -> Vec<(String, Outcome)> {
            (0..n)
                .map(|i| (format!("b p{k}t{i}"), Outcome::Passed))
                .collect()
        };
        let slice = |k: usize, n: usize| {
            let t = tests(k, n);
            let t: Vec<(&str, Outcome)> = t.iter().map(|(id, o)| (id.as_str(), *o)).collect();
            let mut d = part(&format!("slice:{k}/3"), &t);
            d.started_at =
                chrono::DateTime::parse_from_rfc3339(&format!("2026-12-01T10:00:0{k}.000Z")).ok();
            d
        };
        // 55 tests in 3 slices (19, 18, 18): parts 2 and 3 given, part 1 missing.
        let m = merge(&[slice(3, 18), slice(2, 18)], true).unwrap();
        assert_eq!(m.missing_partitions, Some(vec!["slice:1/3".to_string()]));
        assert_eq!(
            m.missing_parts,
            Some(vec![MissingPart {
                partition: "slice:1/3".parse().unwrap(),
                tests_at_least: Some(18),
                tests_at_most: Some(19),
            }])
        );
        assert_eq!(
            m.started_at,
            chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:02.000Z").ok(),
            "the earliest part's start"
        );
        let lines = crate::report::markdown::missing_lines(&m);
        assert_eq!(
            lines,
            ["partition slice:1/3 missing: its 18 or 19 planned tests never ran"]
        );
        let md = crate::report::markdown::render_doc(&m);
        assert!(
            md.contains("**Incomplete: 1 of 3 partitions missing.**")
                && md.contains(
                    "> - partition slice:1/3 missing: its 18 or 19 planned tests never ran"
                ),
            "{md}"
        );
        // Part 1 given, part 3 missing: exactly 18.
        let m = merge(&[slice(1, 19), slice(2, 18)], true).unwrap();
        assert_eq!(
            crate::report::markdown::missing_lines(&m),
            ["partition slice:3/3 missing: its 18 planned tests never ran"]
        );
        // A hash part's size is not known from the others.
        let m = merge(&[part("2/3", &[("b x", Outcome::Passed)])], true).unwrap();
        assert_eq!(
            crate::report::markdown::missing_lines(&m),
            [
                "partition 1/3 missing: its tests never ran (hash parts vary in size: how many is not known)",
                "partition 3/3 missing: its tests never ran (hash parts vary in size: how many is not known)"
            ]
        );
        // A complete merge says nothing.
        let a = part("1/2", &[("b x", Outcome::Passed)]);
        let b = part("2/2", &[("b z", Outcome::Passed)]);
        let m = merge(&[a, b], false).unwrap();
        assert!(crate::report::markdown::missing_lines(&m).is_empty());
        assert!(!crate::report::markdown::render_doc(&m).contains("Incomplete"));
    }

    #[test]
    fn junit_from_a_merged_record_has_every_test_with_its_outcome() {
        let a = part("1/2", &[("b x", Outcome::Passed), ("b y", Outcome::Failed)]);
        let b = part("2/2", &[("c z", Outcome::Crashed)]);
        let mut m = merge(&[a, b], false).unwrap();
        m.tests[2].signal = Some("SIGABRT".into());
        let xml = junit_from_record(&m);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suites: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .map(|n| n.attribute("name").unwrap())
            .collect();
        assert_eq!(suites, ["b", "c"]);
        let crash = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("z"))
            .unwrap();
        let error = crash.children().find(|c| c.has_tag_name("error")).unwrap();
        assert_eq!(error.attribute("type"), Some("SIGABRT"));
        assert_eq!(error.attribute("message"), Some("boom"));
        assert!(!xml.contains("--partition"), "{xml}");
        assert!(xml.contains(r#"name="partition" value="""#), "{xml}");
    }
}
