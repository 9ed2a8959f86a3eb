//! The hunt (`cargo shuffle hunt`): a campaign of runs over one test set, each in a planned
//! order (seeded, then the same plan reversed, and so on), each triaged, with the findings of
//! every run aggregated into one report and one gate verdict. The CLI layer calls [`hunt`] once.

use crate::app::config::{self, PlanConfig, RunConfig};
use crate::app::error::AppError;
use crate::app::session::{apply_baseline, note_flaky, start, write_reports};
use crate::ci::gate;
use crate::discover::list::TestCase;
use crate::exit;
use crate::plan::seed;
use crate::plan::{self, Plan};
use crate::report::schema::{HUNT_SCHEMA, HuntDoc, VERSION};
use crate::report::{self, record::RunRecord};
use crate::triage;
use std::collections::HashMap;

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
    let inputs = gate::GateInputs::of(&records);
    let mut summary = hunt_summary(&records);
    summary.findings = cfg.triage.as_ref().map(|_| findings.clone());
    let json = || {
        let doc = HuntDoc {
            schema: HUNT_SCHEMA.to_string(),
            version: VERSION.to_string(),
            runs: records.iter().map(RunRecord::to_doc).collect(),
            failing_tests: inputs.failing.iter().cloned().collect(),
            findings: findings.clone(),
        };
        serde_json::to_vec_pretty(&doc).expect("the hunt report serialises")
    };
    let written = write_reports(cfg, &summary, &json);
    terminal.note(&format!(
        "hunt: {} runs, {} distinct failing tests, {} findings",
        records.len(),
        inputs.failing.len(),
        findings.len()
    ));
    for f in &findings {
        terminal.note(&format!("  {} — {}: {}", f.test, f.kind.label(), f.repro));
    }
    note_flaky(&findings, &cfg.gate);
    let code = inputs.exit_code(cfg.triage.as_ref().map(|_| findings.as_slice()), &cfg.gate);
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
