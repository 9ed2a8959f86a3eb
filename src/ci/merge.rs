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
