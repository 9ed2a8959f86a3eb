//! `cargo shuffle merge`: combines the JSON run records and JUnit files written by the N
//! partition jobs of one pipeline into one of each, after checking that they belong together
//! (same seed, same shard count, partitions 1..N each exactly once, no test twice). The merged
//! record has the plan and results an unpartitioned run with that seed would have.

use crate::plan::seed::Seed;
use crate::plan::{ORDER_DOMAIN, key};
use serde_json::{Value, json};
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

/// The partitions' JSON run records merged into one record (schema `cargo-shuffle/run-record/v1`,
/// with `"merged_from"` listing the inputs). `allow_missing` accepts an incomplete set.
pub(crate) fn merge_records(paths: &[PathBuf], allow_missing: bool) -> Result<Value, MergeError> {
    let mut docs = Vec::new();
    for p in paths {
        let v: Value = serde_json::from_str(&read(p)?)
            .map_err(|e| MergeError(format!("{} is not JSON: {e}", p.display())))?;
        if v["schema"] != crate::report::record::SCHEMA {
            return Err(MergeError(format!(
                "{} is not a cargo-shuffle run record (schema {}); pass the files written by `run --report`",
                p.display(),
                v["schema"]
            )));
        }
        docs.push((p, v));
    }
    let (first_path, first) = docs.first().ok_or_else(|| {
        MergeError("nothing to merge: pass the partitions' --report files".into())
    })?;
    for (p, d) in &docs[1..] {
        for field in ["seed", "shard_count"] {
            if d[field] != first[field] {
                return Err(MergeError(format!(
                    "{} has {field} {} but {} has {}: partitions of one run must share --seed and --shards (e.g. --seed git, or set $CARGO_SHUFFLE_SEED once for the pipeline)",
                    p.display(),
                    d[field],
                    first_path.display(),
                    first[field]
                )));
            }
        }
    }
    // The same tests selected the same way (a part with another --skip or isolation would
    // silently change what the merged run covers).
    let signature = |d: &Value| selection_signature(d["repro"].as_str().unwrap_or_default());
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
    for (p, d) in &docs {
        if d["interrupted"] == true {
            continue;
        }
        let ran: BTreeSet<&str> = d["tests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["id"].as_str())
            .collect();
        let unrun = d["plan"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["tests"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .filter(|id| !ran.contains(id))
            .count();
        if unrun > 0 {
            return Err(MergeError(format!(
                "{} has no result for {unrun} of its planned tests (was it run with --shard?); merge needs each partition run in full",
                p.display()
            )));
        }
    }
    // Partitions: same N and kind, each K exactly once.
    let mut parts: BTreeMap<u32, &Path> = BTreeMap::new();
    let mut layout: Option<(String, u32)> = None;
    for (p, d) in &docs {
        let Some(part) = d["partition"].as_str() else {
            if docs.len() > 1 {
                return Err(MergeError(format!(
                    "{} was not run with --partition; merge combines the parts of one partitioned run",
                    p.display()
                )));
            }
            continue;
        };
        let parsed: crate::plan::Partition = part
            .parse()
            .map_err(|e| MergeError(format!("{}: {e}", p.display())))?;
        let kind = if part.starts_with("slice:") {
            "slice"
        } else {
            "hash"
        };
        match &layout {
            None => layout = Some((kind.to_string(), parsed.total)),
            Some((k, n)) if k != kind || *n != parsed.total => {
                return Err(MergeError(format!(
                    "{} is partition {part}, but the others are {k}:K/{n}",
                    p.display()
                )));
            }
            _ => {}
        }
        if let Some(other) = parts.insert(parsed.index, p) {
            return Err(MergeError(format!(
                "partition {part} appears twice: {} and {}",
                other.display(),
                p.display()
            )));
        }
    }
    let mut missing: Vec<String> = Vec::new();
    if let Some((_, n)) = &layout {
        missing = (1..=*n)
            .filter(|k| !parts.contains_key(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        if !missing.is_empty() && !allow_missing {
            return Err(MergeError(format!(
                "partition(s) {} missing: pass every part's report (or --allow-missing)",
                missing.join(", ")
            )));
        }
    }
    // Tests: each exactly once.
    let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
    let mut tests = Vec::new();
    let mut findings = Vec::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (p, d) in &docs {
        for t in d["tests"].as_array().into_iter().flatten() {
            let id = t["id"].as_str().unwrap_or_default().to_string();
            if let Some(other) = seen.insert(id.clone(), p) {
                return Err(MergeError(format!(
                    "test `{id}` is in both {} and {}: partitions must be disjoint",
                    other.display(),
                    p.display()
                )));
            }
            tests.push(t.clone());
        }
        findings.extend(d["findings"].as_array().into_iter().flatten().cloned());
        for (k, v) in d["counts"].as_object().into_iter().flatten() {
            *counts.entry(k.clone()).or_default() += v.as_u64().unwrap_or(0);
        }
    }
    // The plan of the unpartitioned run: shard membership does not depend on the partition, and
    // the order inside a shard is the keyed order.
    let seed = Seed(
        first["seed"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| MergeError(format!("{}: bad seed", first_path.display())))?,
    );
    let shard_count = first["shard_count"].as_u64().unwrap_or(0) as usize;
    let mut plan: Vec<Vec<(u64, String)>> = vec![Vec::new(); shard_count];
    for (_, d) in &docs {
        for (i, s) in d["plan"].as_array().into_iter().flatten().enumerate() {
            for id in s["tests"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let (bin, name) = id.split_once(' ').unwrap_or((id, ""));
                if let Some(slot) = plan.get_mut(i) {
                    slot.push((key(seed, ORDER_DOMAIN, bin, name), id.to_string()));
                }
            }
        }
    }
    let plan: Vec<Value> = plan
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            s.sort();
            json!({"shard": i + 1, "tests": s.into_iter().map(|(_, id)| id).collect::<Vec<_>>()})
        })
        .collect();
    let any = |f: &str| docs.iter().any(|(_, d)| d[f] == true);
    let all = |f: &str| docs.iter().all(|(_, d)| d[f] == true);
    let repro = first["repro"]
        .as_str()
        .map(strip_partition)
        .unwrap_or_default();
    Ok(json!({
        "schema": crate::report::record::SCHEMA,
        "version": env!("CARGO_PKG_VERSION"),
        "seed": first["seed"],
        "shard_count": first["shard_count"],
        "partition": null,
        "merged_from": docs.iter().map(|(p, d)| json!({"file": p.display().to_string(), "partition": d["partition"]})).collect::<Vec<_>>(),
        "missing_partitions": missing,
        "jobs": first["jobs"],
        "interrupted": any("interrupted"),
        "elapsed_ms": docs.iter().filter_map(|(_, d)| d["elapsed_ms"].as_u64()).max(),
        "repro": repro,
        "counts": counts,
        "not_run": docs.iter().filter_map(|(_, d)| d["not_run"].as_u64()).sum::<u64>(),
        "plan": plan,
        "tests": tests,
        "triaged": all("triaged"),
        "findings": findings,
        "runner": {
            "cpu_ms": docs.iter().filter_map(|(_, d)| d["runner"]["cpu_ms"].as_f64()).sum::<f64>(),
            "max_rss_kib": docs.iter().filter_map(|(_, d)| d["runner"]["max_rss_kib"].as_u64()).max(),
        },
        "baseline": merged_baseline(&docs),
    }))
}

/// The parts' `baseline` sections combined (quarantined and fixed tests of all parts), or null
/// when no part used a baseline.
fn merged_baseline(docs: &[(&PathBuf, Value)]) -> Value {
    let parts: Vec<&Value> = docs
        .iter()
        .map(|(_, d)| &d["baseline"])
        .filter(|b| b.is_object())
        .collect();
    if parts.is_empty() {
        return Value::Null;
    }
    let union = |key: &str| -> BTreeSet<String> {
        parts
            .iter()
            .flat_map(|b| b[key].as_array().into_iter().flatten())
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    json!({"quarantined": union("quarantined"), "fixed": union("fixed")})
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
