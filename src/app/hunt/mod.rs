//! The hunt (`cargo shuffle hunt`): a campaign of runs over one test set, each run one sequence
//! over every selected test in a sandbox of its own — run 1 in the seed's order, run 2 exactly
//! backwards (so within two runs every ordered pair of tests ran both ways), later runs chosen
//! to cover consecutive pairs not yet run (Wei et al., TACAS 2021; see `plan::coverage`) — each
//! triaged (a failing test that passed in another run of the hunt is tried after the tests that
//! ran before it there), with the findings of every run aggregated into one report, the pair
//! coverage counted, and one gate verdict. The CLI layer calls [`hunt`] once.

mod batch;
mod orders;

use batch::execute_side_by_side;
use orders::{OrderKind, campaign_tests, run_plan};

use crate::app::config::{self, PlanConfig, RunConfig};
use crate::app::error::AppError;
use crate::app::reports::{unless_unwritten, write_html, write_reports};
use crate::app::session::{apply_baseline, note_flaky, start};
use crate::ci::gate;
use crate::discover::list::TestCase;
use crate::exit;
use crate::plan::Plan;
use crate::plan::coverage;
use crate::report::schema::{
    HUNT_SCHEMA, HuntCoverageDoc, HuntDoc, HuntRunCoverageDoc, InBinaryCoverageDoc, VERSION,
};
use crate::report::terminal::TerminalReporter;
use crate::report::{self, record::RunRecord};
use crate::runner::executor::Isolation;
use crate::triage;
use std::collections::HashMap;

/// Shared isolation: the coverage of ordered pairs inside each binary (the pairs in-process
/// state can join), and about how many runs of random libtest orders would cover them all (a
/// pair is covered by a random order with probability 1/2, so P pairs need about log2 P + 1).
fn in_binary_coverage(
    terminal: &TerminalReporter,
    cov: &coverage::PairCoverage,
    tests: &[TestCase],
) -> Option<InBinaryCoverageDoc> {
    let mut by_bin: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, t) in tests.iter().enumerate() {
        by_bin.entry(t.binary_id.as_str()).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = by_bin.into_values().collect();
    let (covered, total) = cov.covered_within(&groups)?;
    {
        let uncovered = total - covered;
        terminal.note(&format!(
            "hunt: in-binary pair coverage {:.1}% of {} ordered pairs inside binaries; {}",
            coverage::percent(covered, total),
            total,
            if uncovered == 0 {
                "all covered".to_string()
            } else {
                format!(
                    "the {uncovered} left need about {} more runs of random libtest orders",
                    (uncovered as f64).log2().ceil() as u64 + 1
                )
            }
        ));
    }
    Some(InBinaryCoverageDoc {
        pairs: total,
        covered,
    })
}

/// The sequence of campaign-test indices that `plan` (one sequence) will run.
fn planned_sequence(plan: &Plan, index: &HashMap<String, usize>) -> Vec<usize> {
    plan.iter()
        .filter_map(|t| index.get(&t.test.id()).copied())
        .collect()
}

/// The sequence of campaign-test indices that `record` really ran (in shared isolation, the
/// order libtest reported), for the coverage count.
fn ran_sequence(record: &RunRecord, index: &HashMap<String, usize>) -> Vec<usize> {
    let mut ran: Vec<&crate::events::TestResult> =
        record.results.iter().filter(|r| r.shard != 0).collect();
    ran.sort_by_key(|r| (r.shard, r.position));
    ran.iter()
        .filter_map(|r| index.get(&r.test.id()).copied())
        .collect()
}

/// Marks the plain failures of hunt run `run` (its `record`) that passed in one of the
/// `earlier` runs (those of earlier batches: a run side by side with this one is not "before"
/// it) as state that outlives the run, with a `--reset-cmd` example on this hunt (see
/// `triage::outlived`). Not with `--reset-cmd` given: the reset runs before every sequence and
/// rerun, so a test failing alone there is not explained by earlier runs.
fn mark_persistent_state(cfg: &RunConfig, record: &mut RunRecord, earlier: &[RunRecord], run: u32) {
    if cfg.exec.reset_cmd.is_some() {
        return;
    }
    let Some(findings) = record.findings.as_mut() else {
        return;
    };
    let example = cfg.plan.repro().hunt_command_with(
        run,
        &[
            "--reset-cmd".into(),
            "rm -rf /path/the/tests/leave/behind".into(),
        ],
    );
    let earlier: Vec<&[crate::events::TestResult]> =
        earlier.iter().map(|r| r.results.as_slice()).collect();
    triage::outlived::mark_persistent_state(findings, run, &record.results, &earlier, &example);
}

/// The record behind hunt's JUnit, counts and summary: the first run, with each test's result
/// replaced by its first failing result of any later run, so that a test that failed in any
/// run is a failure there too (as the gate counts it); a test the first run never started
/// (`--max-fail` stopped it) gets its first result of a later run, so only the tests no run
/// started are "not run". Elapsed time is the sum of the runs.
fn hunt_summary(records: &[RunRecord]) -> RunRecord {
    let mut summary = records.first().cloned().expect("at least one run");
    let mut index: HashMap<String, usize> = summary
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| (r.test.id(), i))
        .collect();
    for r in records[1..].iter().flat_map(|rec| rec.results.iter()) {
        match index.get(&r.test.id()) {
            Some(&i) => {
                if r.outcome.is_failure() && !summary.results[i].outcome.is_failure() {
                    summary.results[i] = r.clone();
                }
            }
            None => {
                index.insert(r.test.id(), summary.results.len());
                summary.results.push(r.clone());
            }
        }
    }
    summary.elapsed = records.iter().map(|r| r.elapsed).sum();
    summary.interrupted = records.iter().any(|r| r.interrupted);
    summary.max_fail_reached = records.iter().any(|r| r.max_fail_reached);
    summary
}

/// `cargo shuffle hunt`: several orders, each one sequence over every selected test in a sandbox
/// of its own (seeded, reversed, then chosen for pair coverage), up to `--jobs` of them side by
/// side in process isolation (one after another in shared isolation), each triaged; findings
/// aggregated, pair coverage counted, one gate. `runs` is the minimum number of runs; `for_secs`
/// keeps going until that much time has passed; `until_coverage` keeps going until that share of
/// consecutive pairs has run (within `for_secs` if given, else at most 4n + 2 runs for n tests).
///
/// Errors: a non-positive `--for`, a `--until-coverage` outside (0, 100], and what `run` rejects.
pub(crate) fn hunt(
    cfg: &RunConfig,
    runs: u32,
    for_secs: Option<f64>,
    until_coverage: Option<f64>,
) -> Result<i32, AppError> {
    if let Some(t) = for_secs
        && !(t.is_finite() && t > 0.0)
    {
        return Err(AppError::Usage(config::UsageError(format!(
            "invalid --for `{t:?}`: give a positive number of seconds"
        ))));
    }
    if let Some(p) = until_coverage
        && !(p.is_finite() && p > 0.0 && p <= 100.0)
    {
        return Err(AppError::Usage(config::UsageError(format!(
            "invalid --until-coverage `{p:?}`: give a percentage above 0 and at most 100, e.g. --until-coverage 50"
        ))));
    }
    let (session, first_plan) = start(cfg)?;
    let tests = campaign_tests(&first_plan, &cfg.plan);
    if let Some(k) = first_plan.unshuffled {
        // A hunt permutes orders; tests that must keep theirs have no place in it.
        say!(
            "cargo-shuffle: hunt leaves out the {} kept in name order by `shuffle = false` (run them with `cargo shuffle run`)",
            crate::runner::output::count(first_plan.shards[k as usize - 1].len(), "test")
        );
    }
    if tests.is_empty() && first_plan.unshuffled.is_some() {
        // Every selected test keeps its order: nothing to hunt, which must not pass for green.
        return Err(AppError::NoTests(
            " to hunt: every selected test is kept in name order by `shuffle = false`".into(),
        ));
    }
    let index: HashMap<String, usize> =
        tests.iter().enumerate().map(|(i, t)| (t.id(), i)).collect();
    // Orders are chosen from the coverage of the orders *planned* so far, so they depend only on
    // the seed and the test set (never on --jobs or on how runs were batched); what is reported
    // is the coverage of what really ran (shared isolation: libtest's order).
    let mut planned = orders::Planned::new(
        &tests,
        cfg.plan.seed,
        cfg.plan.isolation == Isolation::Shared,
    );
    let mut cov = coverage::PairCoverage::new(tests.len(), cfg.plan.seed.0);
    let mut per_run: Vec<HuntRunCoverageDoc> = Vec::new();
    let cap = 4 * tests.len() as u32 + 2;
    // `--reset-cmd` says there is state outside the sandboxes (a database, a fixed path): runs
    // side by side would reset it under each other, so they run one after another; so do runs
    // with `--max-fail` (per run: side by side, one run's failures would stop the others).
    let one_at_a_time = session.exec.isolation == Isolation::Shared
        || session.exec.reset_cmd.is_some()
        || session.exec.max_fail.is_some();
    let jobs = session.exec.jobs.max(1) as u32;
    let side_by_side = if one_at_a_time { 1 } else { jobs };
    let started = std::time::Instant::now();
    let mut records: Vec<RunRecord> = Vec::new();
    let mut k = 0;
    loop {
        if session.cancel.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let time_left = for_secs.map(|s| started.elapsed().as_secs_f64() < s);
        let consecutive = coverage::percent(cov.consecutive_covered(), cov.pairs_total());
        let wanted = match until_coverage {
            _ if k < runs => runs - k,
            Some(p) if consecutive < p && time_left.unwrap_or(k < cap) => cap.saturating_sub(k),
            None if time_left == Some(true) => u32::MAX,
            _ => 0,
        };
        if wanted == 0 {
            break;
        }
        let batch: Vec<(Plan, PlanConfig)> = (k..k + wanted.min(side_by_side))
            .map(|j| {
                let (plan, pc) = run_plan(&first_plan, &cfg.plan, &tests, &planned, &index, j);
                planned.add(&planned_sequence(&plan, &index));
                (plan, pc)
            })
            .collect();
        // A reporter per batch: each gets its own progress bar.
        let mut terminal = report::terminal::TerminalReporter::new(cfg.progress)
            .with_output(cfg.exec.output.clone());
        for (j, (_, pc)) in batch.iter().enumerate() {
            terminal.note(&format!(
                "hunt run {}: {} order of {} in one sequence, seed {}{}",
                k + j as u32 + 1,
                OrderKind::of(k + j as u32).name(),
                crate::runner::output::count(tests.len(), "test"),
                pc.seed,
                if batch.len() > 1 {
                    ", side by side with the batch's other runs"
                } else {
                    ""
                }
            ));
        }
        let done = execute_side_by_side(&session, &batch, &records, &mut terminal);
        let before_batch = records.len();
        for (mut record, (_, pc)) in done.into_iter().zip(&batch) {
            if cfg.plan.isolation == Isolation::Shared && k >= 1 {
                // Its libtest seeds were chosen for coverage: no `run` flags make them again,
                // the hunt up to this run does.
                record.repro = cfg.plan.repro().hunt_command(k + 1);
            }
            mark_persistent_state(cfg, &mut record, &records[..before_batch], k + 1);
            apply_baseline(cfg, &mut record, &terminal);
            let seed_note = if pc.seed == cfg.plan.seed {
                pc.seed_source.describe()
            } else {
                format!(
                    "derived from the hunt's seed {} for run {}",
                    cfg.plan.seed,
                    k + 1
                )
            };
            terminal.note(&format!("hunt run {} summary:", k + 1));
            let repro = pc.repro();
            let chosen = crate::plan::repro::HuntUpTo(record.repro.clone());
            let rerun: &dyn crate::plan::repro::ShardRerun =
                if cfg.plan.isolation == Isolation::Shared && k >= 1 {
                    &chosen
                } else {
                    &repro
                };
            terminal.summary(&record, rerun, &seed_note);
            let added = cov.add(&ran_sequence(&record, &index));
            let run_cov = HuntRunCoverageDoc {
                order: OrderKind::of(k).name().to_string(),
                new_ordered: added.new_ordered,
                new_consecutive: added.new_consecutive,
                ordered_pct: coverage::percent(cov.ordered_covered(), cov.pairs_total()),
                consecutive_pct: coverage::percent(cov.consecutive_covered(), cov.pairs_total()),
            };
            terminal.note(&format!(
                "hunt run {}: pair coverage {:.1}% ordered (+{}), {:.1}% consecutive (+{}) of {} pairs",
                k + 1,
                run_cov.ordered_pct,
                added.new_ordered,
                run_cov.consecutive_pct,
                added.new_consecutive,
                cov.pairs_total()
            ));
            per_run.push(run_cov);
            records.push(record);
            k += 1;
        }
    }
    let terminal = report::terminal::TerminalReporter::new(false);
    let coverage_doc = HuntCoverageDoc {
        tests: tests.len(),
        pairs: cov.pairs_total(),
        ordered: cov.ordered_covered(),
        ordered_estimated: cov.ordered_estimated(),
        consecutive: cov.consecutive_covered(),
        runs: per_run,
        in_binary: (cfg.plan.isolation == Isolation::Shared)
            .then(|| in_binary_coverage(&terminal, &cov, &tests))
            .flatten(),
    };
    if records.is_empty() {
        return Ok(exit::INTERRUPTED);
    }
    let findings = triage::aggregate(records.iter().filter_map(|r| r.findings.as_deref()));
    let inputs = gate::GateInputs::of(&records);
    let mut summary = hunt_summary(&records);
    summary.findings = cfg.triage.as_ref().map(|_| findings.clone());
    // What the summary, its JUnit and its last event reproduce is the hunt, not its run 1.
    summary.repro = cfg.plan.repro().hunt_command(records.len() as u32);
    let json = || {
        let doc = HuntDoc {
            schema: HUNT_SCHEMA.to_string(),
            version: VERSION.to_string(),
            runs: records.iter().map(RunRecord::to_doc).collect(),
            failing_tests: inputs.failing.iter().cloned().collect(),
            findings: findings.clone(),
            coverage: Some(coverage_doc.clone()),
        };
        serde_json::to_vec_pretty(&doc).expect("the hunt report serialises")
    };
    let written = write_reports(cfg, &summary, &json, &|| {
        report::markdown::render_hunt(&summary, &coverage_doc)
    });
    terminal.note(&format!(
        "hunt: {} runs, {} distinct failing tests, {} findings",
        records.len(),
        inputs.failing.len(),
        findings.len()
    ));
    terminal.note(&format!(
        "hunt: pair coverage {:.1}% of {} ordered pairs{} ran first-before-second, {:.1}% ran \
         consecutively{}",
        coverage::percent(coverage_doc.ordered, coverage_doc.pairs),
        coverage_doc.pairs,
        if coverage_doc.ordered_estimated {
            " (estimated)"
        } else {
            ""
        },
        coverage::percent(coverage_doc.consecutive, coverage_doc.pairs),
        if coverage_doc.consecutive >= coverage_doc.pairs {
            String::new()
        } else {
            format!(
                "; full consecutive coverage needs about {}",
                crate::runner::output::count(tests.len().max(1), "run")
            )
        }
    ));
    for f in &findings {
        terminal.note(&format!("  {} — {}: {}", f.test, f.label(), f.repro));
        if let Some(p) = &f.persistent_state {
            terminal.note(&format!(
                "    state outlives the run: passed in run {}, fails alone in run {}; candidate polluters ({}): {}; rerun with a reset: {}",
                p.passed_in_run,
                p.failed_in_run,
                p.candidate_polluters.len(),
                p.candidate_polluters.join(", "),
                p.reset_example
            ));
        }
    }
    note_flaky(&findings, &cfg.gate);
    let code = inputs.exit_code(cfg.triage.as_ref().map(|_| findings.as_slice()), &cfg.gate);
    let code = unless_unwritten(code, written);
    let code = write_html(
        cfg.html.as_deref(),
        &|| {
            let meta = report::html::Meta {
                command: "hunt",
                seed_source: cfg.plan.seed_source.describe(),
                isolation: Some(cfg.plan.isolation),
                exit_code: code,
                repro: cfg.plan.repro().hunt_command(records.len() as u32),
            };
            let view = report::html::View::Hunt {
                runs: &records,
                coverage: &coverage_doc,
            };
            report::html::render(&summary, &meta, view)
        },
        code,
    );
    if cfg.json_events {
        report::jsonl::JsonLines.run_finished(&summary, code);
    }
    Ok(code)
}
