//! The subcommands: `list`, `run`, `hunt`, `archive`, `merge` and `baseline`, each from its
//! validated configuration to its documented exit code.

use crate::app::cli::{self, ListFormat};
use crate::app::config::{self, ListConfig, PlanConfig, RunConfig};
use crate::app::error::AppError;
use crate::app::session::{
    announce_seed, apply_baseline, note_flaky, prepare, start, write_reports,
};
use crate::ci::{baseline, gate, merge};
use crate::discover;
use crate::discover::archive;
use crate::discover::list::{self, TestCase};
use crate::exit;
use crate::plan::seed;
use crate::plan::{self, Plan};
use crate::report::{self, record::RunRecord};
use crate::triage;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

/// `cargo shuffle list`: the plan on stdout, human or JSON.
pub(crate) fn list_cmd(cfg: &ListConfig) -> Result<i32, AppError> {
    announce_seed(&cfg.plan);
    let (_, plan, _, _unpacked) = prepare(&cfg.plan, true)?;
    let mut out = String::new();
    match cfg.format {
        ListFormat::Human => {
            let _ = writeln!(
                out,
                "seed {}, {}{}, {}",
                plan.seed,
                crate::runner::output::count(plan.shard_count() as usize, "shard"),
                plan.partition
                    .map(|p| format!(", partition {p}"))
                    .unwrap_or_default(),
                crate::runner::output::count(plan.test_count(), "test")
            );
            for (i, shard) in plan.shards.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "shard {} ({}):",
                    i + 1,
                    crate::runner::output::count(shard.len(), "test")
                );
                for t in shard {
                    let _ = writeln!(out, "  {}", t.test.id());
                }
            }
            if !plan.ignored.is_empty() {
                let _ = writeln!(out, "ignored, not run ({}):", plan.ignored.len());
                for t in &plan.ignored {
                    let _ = writeln!(out, "  {}", t.id());
                }
            }
        }
        ListFormat::Json => {
            let doc = serde_json::json!({
                "seed": plan.seed.to_string(),
                "shard_count": plan.shard_count(),
                "partition": plan.partition.map(|p| p.to_string()),
                "shards": plan.shards.iter().enumerate().map(|(i, s)| serde_json::json!({
                    "shard": i + 1,
                    "tests": s.iter().map(|t| &t.test).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "ignored": plan.ignored,
            });
            out = serde_json::to_string_pretty(&doc).expect("JSON values serialise") + "\n";
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(exit::OK)
}

/// `cargo shuffle merge`: merged reports, then the gate on the merged run.
pub(crate) fn merge_cmd(a: &cli::MergeArgs) -> Result<i32, AppError> {
    let usage = |e: merge::MergeError| AppError::Usage(config::UsageError(e.to_string()));
    let is = |p: &std::path::PathBuf, ext: &str| p.extension().is_some_and(|e| e == ext);
    let json_in: Vec<_> = a.inputs.iter().filter(|p| is(p, "json")).cloned().collect();
    let xml_in: Vec<_> = a.inputs.iter().filter(|p| is(p, "xml")).cloned().collect();
    if let Some(bad) = a.inputs.iter().find(|p| !is(p, "json") && !is(p, "xml")) {
        return Err(usage(merge::MergeError(format!(
            "{}: merge takes the partitions' *.json run records and *.xml JUnit files",
            bad.display()
        ))));
    }
    if json_in.is_empty() {
        return Err(usage(merge::MergeError(
            "merge needs the partitions' JSON run records (written with --report): the gate is computed from them".into(),
        )));
    }
    let merged = merge::merge_records(&json_in, a.allow_missing).map_err(usage)?;
    let junit = if xml_in.is_empty() {
        None
    } else {
        let parts: std::collections::BTreeSet<String> = merged["merged_from"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["partition"].as_str().map(String::from))
            .collect();
        if xml_in.len() != json_in.len() {
            return Err(usage(merge::MergeError(format!(
                "{} JSON records but {} JUnit files: pass both files of every partition",
                json_in.len(),
                xml_in.len()
            ))));
        }
        Some(merge::merge_junit(&xml_in, &parts).map_err(usage)?)
    };
    let mut ok = true;
    let mut write = |path: &Option<std::path::PathBuf>, bytes: &[u8]| {
        if let Some(p) = path
            && let Err(e) = report::write_file(p, bytes)
        {
            eprintln!("error: {e:#}");
            ok = false;
        }
    };
    write(
        &a.report,
        &serde_json::to_vec_pretty(&merged).expect("JSON values serialise"),
    );
    if let Some(j) = &junit {
        write(&a.junit, j.as_bytes());
    } else if a.junit.is_some() {
        eprintln!("cargo-shuffle: warning: --junit given but no *.xml input to merge");
    }
    write(
        &a.summary,
        report::markdown::render_json(&merged).as_bytes(),
    );
    let failing: std::collections::BTreeSet<&str> = merged["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| {
            !matches!(t["outcome"].as_str(), Some("passed" | "ignored")) && t["quarantined"] != true
        })
        .filter_map(|t| t["id"].as_str())
        .collect();
    let findings: Vec<triage::Finding> = merged["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(triage::Finding::from_json)
        .collect();
    let parts = merged["merged_from"].as_array().map_or(0, Vec::len);
    eprintln!(
        "cargo-shuffle: merged {parts} partition(s) of seed {}: {} tests, {} failing, {} findings",
        merged["seed"].as_str().unwrap_or_default(),
        merged["tests"].as_array().map_or(0, Vec::len),
        failing.len(),
        findings.len()
    );
    // Tests that passed only on a retry, in any part (the parts' own gates counted them).
    let flaky_passes = merged["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["flaky"] == true && t["quarantined"] != true)
        .count();
    let code = gate::decide(
        merged["interrupted"] == true,
        failing.len(),
        flaky_passes,
        (merged["triaged"] == true).then_some(findings.as_slice()),
        &gate::GatePolicy {
            allow_flaky: a.allow_flaky,
        },
    );
    Ok(if code == exit::OK && !ok {
        exit::OTHER_ERROR
    } else {
        code
    })
}

/// `cargo shuffle archive`: build, check that every binary lists, pack.
pub(crate) fn archive_cmd(a: &cli::ArchiveArgs) -> Result<i32, AppError> {
    let sel = discover::CargoSelection {
        args: config::cargo_args(&a.cargo),
        manifest_path: a.cargo.manifest_path.clone(),
    };
    let mut binaries = discover::build_with_cargo(&sel)?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    crate::discover::apply_target_runners(&mut binaries, &cwd, &sel.targets())
        .map_err(discover::DiscoverError::from)?;
    // A binary that cannot list its tests here would fail every partition job later.
    let tests = list::list_all(&binaries)?;
    let (workspace, target) = discover::cargo_layout(&sel)?;
    let files = archive::create(&binaries, &workspace, &target, &a.output)
        .map_err(|e| AppError::Other(anyhow::anyhow!(e)))?;
    eprintln!(
        "cargo-shuffle: archived {} test binaries ({} tests, {files} files) to {}; run them elsewhere with `cargo shuffle run --archive {}` in a checkout of the same source",
        binaries.len(),
        tests.len(),
        a.output.display(),
        a.output.display()
    );
    Ok(exit::OK)
}

/// `cargo shuffle baseline --update`.
pub(crate) fn baseline_cmd(a: &cli::BaselineArgs) -> Result<i32, AppError> {
    let usage = |m: String| AppError::Usage(config::UsageError(m));
    let text = std::fs::read_to_string(&a.from)
        .map_err(|e| usage(format!("cannot read report {}: {e}; pass the file written by `run --report` or `hunt --report`", a.from.display())))?;
    let report: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| usage(format!("report {} is not JSON: {e}", a.from.display())))?;
    let findings: Vec<triage::Finding> = report["findings"]
        .as_array()
        .ok_or_else(|| {
            usage(format!(
                "report {} has no findings: was it written with triage on?",
                a.from.display()
            ))
        })?
        .iter()
        .filter_map(triage::Finding::from_json)
        .collect();
    let mut b = if a.baseline.exists() {
        baseline::Baseline::load(&a.baseline).map_err(|e| usage(e.to_string()))?
    } else {
        baseline::Baseline::default()
    };
    let added = b.add(&findings);
    let mut removed = 0;
    if a.prune {
        let fixed: std::collections::BTreeSet<String> = report["baseline"]["fixed"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(
                report["runs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|r| r["baseline"]["fixed"].as_array().into_iter().flatten()),
            )
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        removed = b.remove(&fixed);
    }
    report::write_file(&a.baseline, b.to_json().as_bytes())?;
    eprintln!(
        "cargo-shuffle: baseline {}: {} known tests ({added} added, {removed} removed)",
        a.baseline.display(),
        b.known.len()
    );
    Ok(exit::OK)
}

/// `cargo shuffle run`: execute the plan, triage, apply the baseline, write the reports, gate.
pub(crate) fn run(cfg: &RunConfig) -> Result<i32, AppError> {
    let (session, plan) = start(cfg)?;
    let mut terminal = report::terminal::TerminalReporter::new(cfg.progress);
    let mut record = session.execute(&plan, &cfg.plan, &mut terminal);
    apply_baseline(cfg, &mut record, &terminal);
    let written = write_reports(cfg, &record, &|| {
        serde_json::to_vec_pretty(&record.to_json()).expect("the record serialises")
    });
    terminal.summary(&record, &cfg.plan.repro(), &cfg.plan.seed_source.describe());
    note_flaky(record.findings.as_deref().unwrap_or_default(), &cfg.gate);
    let code = gate::exit_code(&record, &cfg.gate);
    let code = if code == exit::OK && !written {
        exit::OTHER_ERROR
    } else {
        code
    };
    if cfg.json_events {
        report::jsonl::JsonLines.run_finished(&record, code);
    }
    Ok(code)
}

/// The plan configuration of hunt run `k` (0-based): even runs use a seed (the given one for
/// k = 0, then one derived from it), odd runs the previous plan reversed.
fn hunt_plan_config(base: &PlanConfig, k: u32) -> PlanConfig {
    let mut c = base.clone();
    let pair = k / 2;
    if pair > 0 {
        c.seed = seed::Seed(plan::key(
            base.seed,
            plan::HUNT_DOMAIN,
            "hunt",
            &pair.to_string(),
        ));
    }
    c.reverse = base.reverse ^ (k % 2 == 1);
    c
}

/// The plan of a hunt run: the first plan's tests re-planned with `pc`'s seed (the test set
/// stays that of the first plan, partition included), reversed when `pc.reverse` differs from
/// the first plan's. An `--order` plan keeps its order.
fn replan(first: &Plan, base: &PlanConfig, pc: &PlanConfig) -> Plan {
    let mut plan = if pc.seed == first.seed || base.order.is_some() {
        first.clone()
    } else {
        let tests: Vec<TestCase> = first.iter().map(|t| t.test.clone()).collect();
        let mut p = Plan::new(
            pc.seed,
            first.shard_count(),
            None,
            tests,
            first.ignored.clone(),
        );
        p.partition = first.partition;
        if base.reverse {
            p = p.reversed();
        }
        p
    };
    if pc.reverse != base.reverse {
        plan = plan.reversed();
    }
    plan
}

/// The record behind hunt's JUnit, counts and summary: the first run, with each test's result
/// replaced by its first failing result of any later run, so that a test that failed in any
/// run is a failure there too (as the gate counts it). Elapsed time is the sum of the runs.
fn hunt_summary(records: &[RunRecord]) -> RunRecord {
    let mut summary = records.first().cloned().expect("at least one run");
    let index: HashMap<String, usize> = summary
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| (r.test.id(), i))
        .collect();
    for r in records[1..].iter().flat_map(|rec| rec.results.iter()) {
        if let Some(&i) = index.get(&r.test.id())
            && r.outcome.is_failure()
            && !summary.results[i].outcome.is_failure()
        {
            summary.results[i] = r.clone();
        }
    }
    summary.elapsed = records.iter().map(|r| r.elapsed).sum();
    summary.interrupted = records.iter().any(|r| r.interrupted);
    summary
}

/// `cargo shuffle hunt`: several planned orders, each triaged, findings aggregated, one gate.
pub(crate) fn hunt(cfg: &RunConfig, runs: u32, for_secs: Option<f64>) -> Result<i32, AppError> {
    if let Some(t) = for_secs
        && !(t.is_finite() && t > 0.0)
    {
        return Err(AppError::Usage(config::UsageError(format!(
            "invalid --for `{t:?}`: give a positive number of seconds"
        ))));
    }
    let (session, first_plan) = start(cfg)?;
    let mut terminal = report::terminal::TerminalReporter::new(cfg.progress);
    let started = std::time::Instant::now();
    let mut records: Vec<RunRecord> = Vec::new();
    let mut k = 0;
    loop {
        let more_time = for_secs.is_some_and(|s| started.elapsed().as_secs_f64() < s);
        if (k >= runs && !more_time) || session.cancel.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let pc = hunt_plan_config(&cfg.plan, k);
        let plan = replan(&first_plan, &cfg.plan, &pc);
        terminal.note(&format!(
            "hunt run {}: seed {}{}",
            k + 1,
            pc.seed,
            if pc.reverse { ", shards reversed" } else { "" }
        ));
        let mut record = session.execute(&plan, &pc, &mut terminal);
        apply_baseline(cfg, &mut record, &terminal);
        terminal.summary(&record, &pc.repro(), &pc.seed_source.describe());
        records.push(record);
        k += 1;
    }
    let findings = triage::aggregate(records.iter().filter_map(|r| r.findings.as_deref()));
    let failing: std::collections::BTreeSet<String> = records
        .iter()
        .flat_map(|r| r.results.iter())
        .filter(|r| r.outcome.is_failure() && !r.quarantined)
        .map(|r| r.test.id())
        .collect();
    let interrupted = records.iter().any(|r| r.interrupted);
    let mut summary = hunt_summary(&records);
    summary.findings = cfg.triage.as_ref().map(|_| findings.clone());
    let json = || {
        let doc = serde_json::json!({
            "schema": "cargo-shuffle/hunt/v1",
            "version": env!("CARGO_PKG_VERSION"),
            "runs": records.iter().map(|r| serde_json::to_value(r.to_json()).expect("the record serialises")).collect::<Vec<_>>(),
            "failing_tests": failing,
            "findings": findings,
        });
        serde_json::to_vec_pretty(&doc).expect("JSON values serialise")
    };
    let written = write_reports(cfg, &summary, &json);
    terminal.note(&format!(
        "hunt: {} runs, {} distinct failing tests, {} findings",
        records.len(),
        failing.len(),
        findings.len()
    ));
    for f in &findings {
        terminal.note(&format!("  {} — {}: {}", f.test, f.kind.label(), f.repro));
    }
    note_flaky(&findings, &cfg.gate);
    let flaky_passes: std::collections::BTreeSet<String> = records
        .iter()
        .flat_map(|r| r.results.iter())
        .filter(|r| r.is_flaky() && !r.quarantined)
        .map(|r| r.test.id())
        .collect();
    let code = gate::decide(
        interrupted,
        failing.len(),
        flaky_passes.len(),
        cfg.triage.as_ref().map(|_| findings.as_slice()),
        &cfg.gate,
    );
    let code = if code == exit::OK && !written {
        exit::OTHER_ERROR
    } else {
        code
    };
    if cfg.json_events {
        report::jsonl::JsonLines.run_finished(&summary, code);
    }
    Ok(code)
}
