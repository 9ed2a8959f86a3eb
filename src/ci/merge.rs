//! `cargo shuffle merge`: combines the JSON run records and JUnit files written by the N
//! partition jobs of one pipeline into one of each, after checking that they belong together
//! (same seed, same shard count, partitions 1..N each exactly once, no test twice). The merged
//! record has the plan and results an unpartitioned run with that seed would have.

use crate::events::Outcome;
use crate::plan::{ORDER_DOMAIN, PartitionKind, key};
use crate::report::record::{Applied, RunRecord};
use crate::report::schema::{
    self, MergedPart, RUN_RECORD_SCHEMA, RunRecordDoc, RunnerUsage, ShardPlan,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A merge input that does not fit; the message names the file(s) and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct MergeError(pub(crate) String);

fn read(path: &Path) -> Result<String, MergeError> {
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
                "{} selected or ran its tests differently from {}: `{}` vs `{}`; every partition job must use the same selection flags, filters and --isolation",
                p.display(),
                first_path.display(),
                signature(d).join(" "),
                signature(first).join(" ")
            )));
        }
    }
    // Every planned test has a result, unless the part was interrupted (then the merged run is
    // interrupted too): a part run with --shard covers only some of its plan.
    for (p, d) in docs {
        if d.interrupted {
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
        missing_partitions: Some(missing),
        jobs: first.jobs,
        interrupted: docs.iter().any(|(_, d)| d.interrupted),
        elapsed_ms: docs.iter().map(|(_, d)| d.elapsed_ms).max().unwrap_or(0),
        runner: (!usage.is_empty()).then(|| RunnerUsage {
            cpu_ms: usage.iter().map(|u| u.cpu_ms).sum(),
            max_rss_kib: usage.iter().map(|u| u.max_rss_kib).max().unwrap_or(0),
        }),
        repro: strip_partition(&first.repro),
        counts,
        not_run: docs.iter().map(|(_, d)| d.not_run).sum(),
        plan: unpartitioned_plan(docs, first),
        tests,
        triaged: docs.iter().all(|(_, d)| d.triaged),
        findings,
        baseline: merged_baseline(docs),
    })
}

/// Checks that the parts are partitions `K/N` of one kind and N, each at most once; returns
/// the missing ones (`K/N`), an error when some are missing and `allow_missing` is off.
fn check_partitions(
    docs: &[(&Path, RunRecordDoc)],
    allow_missing: bool,
) -> Result<Vec<String>, MergeError> {
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
    let Some((_, n)) = layout else {
        return Ok(Vec::new());
    };
    let missing: Vec<String> = (1..=n)
        .filter(|k| !parts.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() && !allow_missing {
        return Err(MergeError(format!(
            "partition(s) {} missing: pass every part's report (or --allow-missing)",
            missing.join(", ")
        )));
    }
    Ok(missing)
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
/// outcomes, messages and properties as [`merge_junit`] of the parts' XML, without the
/// captured output (the records do not carry it) and without a timestamp.
pub(crate) fn junit_from_record(merged: &RunRecordDoc) -> String {
    crate::report::junit::render(&RunRecord::from_doc(merged))
}

/// The flags of a repro command that decide which tests run and how they share processes
/// (cargo's selection, filters, `--skip`, `--exact`, `--run-ignored`, `--isolation`,
/// `--reverse`), in order; paths (`--archive`, `--manifest-path`, …) may differ between jobs.
fn selection_signature(cmd: &str) -> Vec<String> {
    const WITH_VALUE: [&str; 13] = [
        "-p",
        "--package",
        "--exclude",
        "--bin",
        "--test",
        "--example",
        "-F",
        "--features",
        "--profile",
        "--target",
        "--skip",
        "--run-ignored",
        "--isolation",
    ];
    const ALONE: [&str; 11] = [
        "--workspace",
        "--lib",
        "--bins",
        "--tests",
        "--examples",
        "--all-features",
        "--no-default-features",
        "-r",
        "--release",
        "--exact",
        "--reverse",
    ];
    let words = shell_words::split(cmd).unwrap_or_default();
    let mut out = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        if w == "--" {
            out.push(w);
            out.extend(it.by_ref());
        } else if WITH_VALUE.contains(&w.as_str()) {
            let v = it.next().unwrap_or_default();
            out.extend([w, v]);
        } else if ALONE.contains(&w.as_str()) {
            out.push(w);
        }
    }
    out
}

/// The repro command without its `--partition K/N` (the merged run is unpartitioned).
fn strip_partition(cmd: &str) -> String {
    let words = shell_words::split(cmd).unwrap_or_default();
    let mut out = Vec::new();
    let mut skip = false;
    for w in words {
        if skip {
            skip = false;
            continue;
        }
        if w == "--partition" {
            skip = true;
            continue;
        }
        out.push(w);
    }
    shell_words::join(out)
}

/// The partitions' JUnit files merged into one: testsuites with the same name (binary id) are
/// joined; their properties are the first file's, with `partition` emptied. Errors: unreadable
/// or invalid XML, or files whose `seed` properties differ.
pub(crate) fn merge_junit(
    paths: &[PathBuf],
    expected_parts: &BTreeSet<String>,
) -> Result<String, MergeError> {
    use quick_junit::{Property, Report, TestSuite};
    let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
    let mut seeds: BTreeSet<String> = BTreeSet::new();
    let mut time = std::time::Duration::ZERO;
    let mut parts: BTreeMap<String, &Path> = BTreeMap::new();
    for p in paths {
        let r = Report::deserialize_from_str(&read(p)?)
            .map_err(|e| MergeError(format!("{} is not valid JUnit XML: {e}", p.display())))?;
        time = time.max(r.time.unwrap_or_default());
        // Each file must be one of the JSON records' partitions, each at most once.
        let part = r
            .test_suites
            .iter()
            .flat_map(|s| s.properties.iter())
            .find(|prop| prop.name.as_str() == "partition")
            .map(|prop| prop.value.to_string())
            .unwrap_or_default();
        if !part.is_empty() {
            if !expected_parts.contains(&part) {
                return Err(MergeError(format!(
                    "{} is partition {part}, which is not among the JSON records' partitions",
                    p.display()
                )));
            }
            if let Some(other) = parts.insert(part.clone(), p) {
                return Err(MergeError(format!(
                    "partition {part} appears twice among the JUnit files: {} and {}",
                    other.display(),
                    p.display()
                )));
            }
        }
        for s in r.test_suites {
            for prop in &s.properties {
                if prop.name.as_str() == "seed" {
                    seeds.insert(prop.value.to_string());
                }
            }
            let entry = suites.entry(s.name.to_string()).or_insert_with(|| {
                let mut n = TestSuite::new(s.name.clone());
                for prop in &s.properties {
                    let value = match prop.name.as_str() {
                        "partition" => String::new(),
                        // The merged run is unpartitioned.
                        "repro" => strip_partition(&prop.value),
                        _ => prop.value.to_string(),
                    };
                    n.add_property(Property::new(prop.name.clone(), value));
                }
                n
            });
            entry.set_time(entry.time.unwrap_or_default() + s.time.unwrap_or_default());
            entry.add_test_cases(s.test_cases);
        }
    }
    if seeds.len() > 1 {
        return Err(MergeError(format!(
            "the JUnit files come from different seeds ({}): partitions of one run must share --seed",
            seeds.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut report = Report::new("cargo-shuffle");
    report.set_time(time);
    report.add_test_suites(suites.into_values());
    report
        .to_string()
        .map_err(|e| MergeError(format!("cannot write JUnit: {e}")))
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
