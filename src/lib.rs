//! cargo-shuffle: a randomized parallel test runner for Rust.
//!
//! Data flows one way: [`discover`] (test binaries) → [`list`] (test cases) → [`plan`] (seeded
//! order and shards) → [`execute`] (one process per test, via [`process`]) → [`events`] →
//! [`report`] (terminal, JUnit, JSON run record) → exit code ([`exit`]).
//! [`cli`] holds the raw arguments, [`config`] the validated configuration.
//! Around that flow: [`shared`] and [`libtest`] (shared-process isolation), [`triage`]
//! (order-dependence classification), [`gate`] and [`baseline`] (the commit gate), [`history`]
//! (duration-based shard dispatch), [`archive`] and [`merge`] (the CI stage), [`signal`] and
//! [`watchdog`] (interrupts and runner death).

#![warn(missing_docs)]

pub mod archive;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod discover;
pub mod events;
pub mod execute;
pub mod exit;
pub mod gate;
pub mod history;
pub mod libtest;
pub mod list;
pub mod merge;
pub mod output;
pub mod plan;
pub mod process;
pub mod report;
pub mod seed;
pub mod shared;
pub mod signal;
pub mod triage;
pub mod watchdog;

use clap::Parser;
use cli::{Cli, CliCommand, ListFormat, RunIgnored};
use config::{ListConfig, PlanConfig, RunConfig, SeedSource, Source};
use discover::TestBinary;
use exit::AppError;
use list::TestCase;
use plan::Plan;
use report::record::RunRecord;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;

/// Runs the program on `args` (including the program name; a leading `shuffle` argument, as
/// cargo passes to a subcommand, is skipped) and returns the exit code (see [`exit`]).
pub fn main_with_args(mut args: Vec<OsString>) -> i32 {
    if args.get(1).is_some_and(|a| a == "shuffle") {
        args.remove(1);
    }
    if args.get(1).is_some_and(|a| a == watchdog::ARG) {
        return watchdog::main();
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        CliCommand::Run(a) => RunConfig::from_args(&a)
            .map_err(AppError::from)
            .and_then(|c| run(&c)),
        CliCommand::List(a) => ListConfig::from_args(&a)
            .map_err(AppError::from)
            .and_then(|c| list_cmd(&c)),
        CliCommand::Baseline(a) => baseline_cmd(&a),
        CliCommand::Archive(a) => archive_cmd(&a),
        CliCommand::Merge(a) => merge_cmd(&a),
        CliCommand::Hunt(a) => RunConfig::from_args(&a.run)
            .map_err(AppError::from)
            .and_then(|c| hunt(&c, a.runs, a.for_secs)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// Discovers, lists, filters and plans. `allow_empty` turns "no test selected" into an empty
/// plan instead of an error.
/// The binaries, the plan, every listed test (unfiltered, for triage), and the directory an
/// archive was unpacked into (removed when dropped, so it lives as long as the run).
type Prepared = (
    Vec<TestBinary>,
    Plan,
    Vec<TestCase>,
    Option<tempfile::TempDir>,
);

fn prepare(cfg: &PlanConfig, allow_empty: bool) -> Result<Prepared, AppError> {
    let mut unpacked = None;
    let binaries = match &cfg.source {
        Source::Cargo(sel) => discover::build_with_cargo(sel)?,
        Source::Binaries(paths) => discover::from_paths(paths)?,
        Source::Archive {
            file,
            workspace_root,
        } => {
            let dir = tempfile::Builder::new()
                .prefix("cargo-shuffle-archive-")
                .tempdir()
                .map_err(anyhow::Error::from)?;
            let b = archive::extract(file, dir.path(), workspace_root)
                .map_err(|e| AppError::Usage(config::UsageError(e.to_string())))?;
            unpacked = Some(dir);
            b
        }
    };
    let tests = list::list_all(&binaries)?;
    if let Some(order) = &cfg.order {
        let by_id: HashMap<String, &TestCase> = tests.iter().map(|t| (t.id(), t)).collect();
        let mut seq = Vec::with_capacity(order.len());
        for id in order {
            match by_id.get(id.as_str()) {
                Some(t) => seq.push((*t).clone()),
                None => {
                    return Err(AppError::Usage(config::UsageError(format!(
                        "--order names `{id}`, which is not a test of the selected binaries; ids are 'BINARY_ID TEST_NAME' as `cargo shuffle list` prints them"
                    ))));
                }
            }
        }
        let plan = shared_order(cfg, Plan::ordered(cfg.seed, seq));
        return Ok((binaries, plan, tests, unpacked));
    }
    let (run, ignored): (Vec<TestCase>, Vec<TestCase>) = tests
        .iter()
        .filter(|t| cfg.filter.matches(&t.name))
        .filter(|t| cfg.run_ignored != RunIgnored::Only || t.ignored)
        .cloned()
        .partition(|t| cfg.run_ignored != RunIgnored::Default || !t.ignored);
    let selected = run.len();
    let mut plan = Plan::new(cfg.seed, cfg.shards, cfg.partition, run, ignored);
    if cfg.reverse {
        plan = plan.reversed();
    }
    let plan = shared_order(cfg, plan);
    if plan.test_count() == 0 && selected > 0 && cfg.partition.is_some() {
        // More parts than tests: this CI job has nothing to do, which is not an error.
        eprintln!(
            "cargo-shuffle: warning: partition {} of the {selected} selected tests is empty (more parts than tests?)",
            cfg.partition.map(|p| p.to_string()).unwrap_or_default()
        );
        return Ok((binaries, plan, tests, unpacked));
    }
    if plan.test_count() == 0 && !allow_empty {
        let why = if binaries.is_empty() {
            " (no test binary was found)".to_string()
        } else {
            String::new()
        };
        return Err(AppError::NoTests(why));
    }
    Ok((binaries, plan, tests, unpacked))
}

/// In shared isolation, libtest decides the order inside each process: rewrite every shard
/// to the order it is predicted to run in (per binary, see `shared::groups`), so that `list`
/// shows and the record holds what really runs.
fn shared_order(cfg: &PlanConfig, mut plan: Plan) -> Plan {
    if cfg.isolation != execute::Isolation::Shared {
        return plan;
    }
    for (i, shard) in plan.shards.iter_mut().enumerate() {
        let tests: Vec<TestCase> = shard.iter().map(|t| t.test.clone()).collect();
        let ordered = shared::groups(plan.seed, i as u32 + 1, &tests, cfg.order.is_some())
            .into_iter()
            .flat_map(|g| g.tests);
        *shard = ordered
            .enumerate()
            .map(|(p, test)| plan::PlannedTest {
                test,
                shard: i as u32 + 1,
                position: p as u32,
            })
            .collect();
    }
    plan
}

fn announce_seed(cfg: &PlanConfig) {
    let how = match &cfg.seed_source {
        SeedSource::Flag => "from --seed".to_string(),
        SeedSource::Env => format!("from ${}", config::SEED_ENV),
        SeedSource::Git(id) => format!("from git HEAD {id}"),
        SeedSource::Random => "random".to_string(),
    };
    eprintln!(
        "cargo-shuffle: seed {} ({how}; pass --seed {} to repeat this order)",
        cfg.seed, cfg.seed
    );
}

fn list_cmd(cfg: &ListConfig) -> Result<i32, AppError> {
    announce_seed(&cfg.plan);
    let (_, plan, _, _unpacked) = prepare(&cfg.plan, true)?;
    let mut out = String::new();
    match cfg.format {
        ListFormat::Human => {
            out.push_str(&format!(
                "seed {}, {} shards{}, {} tests\n",
                plan.seed,
                plan.shard_count(),
                plan.partition
                    .map(|p| format!(", partition {p}"))
                    .unwrap_or_default(),
                plan.test_count()
            ));
            for (i, shard) in plan.shards.iter().enumerate() {
                out.push_str(&format!("shard {} ({} tests):\n", i + 1, shard.len()));
                for t in shard {
                    out.push_str(&format!("  {}\n", t.test.id()));
                }
            }
            if !plan.ignored.is_empty() {
                out.push_str(&format!("ignored, not run ({}):\n", plan.ignored.len()));
                for t in &plan.ignored {
                    out.push_str(&format!("  {}\n", t.id()));
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

/// What a run needs once the binaries are built and listed.
struct Session<'a> {
    cfg: &'a RunConfig,
    /// `cfg.exec` plus the duration history.
    exec: execute::ExecOptions,
    /// Where the duration history of this build lives (cargo builds only).
    history: Option<std::path::PathBuf>,
    binaries: HashMap<String, TestBinary>,
    all_tests: Vec<TestCase>,
    cancel: execute::CancelFlag,
    /// Keeps an unpacked archive alive for the run.
    _unpacked: Option<tempfile::TempDir>,
}

impl Session<'_> {
    /// Executes `plan` (reporting to `terminal`), then triages its failures.
    fn execute(
        &self,
        plan: &Plan,
        plan_cfg: &PlanConfig,
        terminal: &mut report::terminal::TerminalReporter,
    ) -> RunRecord {
        let cfg = self.cfg;
        let mut record = RunRecord::new(plan, self.exec.jobs, plan_cfg.repro_command(&[]));
        record.only_shards = self.exec.only_shards.clone();
        let jsonl = cfg.json_events.then_some(report::jsonl::JsonLines);
        if let Some(j) = &jsonl {
            j.run_started(&record);
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::scope(|s| {
            s.spawn(|| {
                execute::execute(plan, &self.binaries, &self.exec, &self.cancel, &tx);
                drop(tx);
            });
            for ev in rx.iter() {
                terminal.handle(&ev);
                if let Some(j) = &jsonl {
                    j.handle(&ev);
                }
                record.handle(&ev);
            }
        });
        if self.exec.isolation == execute::Isolation::Shared {
            // What libtest really ran is what triage and the report must use.
            let observed = record.observed_plan();
            // A crash or timeout resumes the rest in a new process, in another order: expected.
            let resumed = record.results.iter().any(|r| {
                matches!(
                    r.outcome,
                    events::Outcome::Crashed | events::Outcome::TimedOut | events::Outcome::Error
                ) || (r.outcome == events::Outcome::Failed && r.exit_code.is_some())
            });
            if observed != record.plan && !record.interrupted && !resumed {
                terminal.note("libtest ran a different order than predicted (did the toolchain change its shuffle?); the observed order is recorded");
            }
            record.plan = observed;
        }
        if cfg.triage.is_some() && !record.interrupted {
            // Triage was on: "no findings" is a finding too (merge relies on it).
            record.findings = Some(Vec::new());
        }
        if let Some(topts) = &cfg.triage
            && record.has_failures()
            && !record.interrupted
        {
            // Reruns are one sequence at a time: concurrent shards would let state leak between
            // reruns and blur the evidence.
            let runner = execute::SequenceRunner::new(
                &self.binaries,
                &self.exec,
                &self.cancel,
                plan.seed,
                std::time::Instant::now(),
            )
            .with_last_last(true);
            // Shared isolation: replays a shard's processes exactly as the run had them.
            let replay = (self.exec.isolation == execute::Isolation::Shared).then(|| {
                execute::SequenceRunner::new(
                    &self.binaries,
                    &self.exec,
                    &self.cancel,
                    plan.seed,
                    std::time::Instant::now(),
                )
            });
            let view = triage::RunView {
                plan: &record.plan,
                results: &record.results,
                all_tests: &self.all_tests,
            };
            let order_cmd = |ids: &[String]| plan_cfg.order_command(ids);
            let process_opts = execute::ExecOptions {
                isolation: execute::Isolation::Process,
                ..self.exec.clone()
            };
            let process_runner = (self.exec.isolation == execute::Isolation::Shared).then(|| {
                execute::SequenceRunner::new(
                    &self.binaries,
                    &process_opts,
                    &self.cancel,
                    plan.seed,
                    std::time::Instant::now(),
                )
            });
            let shard_cmd =
                |k: u32| plan_cfg.repro_command(&["--shard".to_string(), k.to_string()]);
            let runners = triage::Runners {
                main: &runner,
                replay: replay.as_ref(),
                process_check: process_runner.as_ref(),
            };
            let findings = triage::triage(
                &view,
                &runners,
                topts,
                &order_cmd,
                &shard_cmd,
                &mut |line| terminal.note(&line),
            );
            record.findings = Some(findings);
            record.interrupted |= self.cancel.load(std::sync::atomic::Ordering::SeqCst);
        }
        if cfg.triage.is_some() {
            // Tests that passed on a retry need no reruns: the retry is the evidence.
            let flaky: Vec<triage::Finding> = record
                .results
                .iter()
                .filter(|r| r.is_flaky())
                .map(|r| {
                    triage::flaky_on_retry(
                        r,
                        &plan_cfg.repro_command(&["--shard".into(), r.shard.to_string()]),
                    )
                })
                .collect();
            if !flaky.is_empty() {
                record.findings.get_or_insert_with(Vec::new).extend(flaky);
            }
        }
        self.save_history(&record);
        record
    }

    /// Records this run's durations for the next run's shard dispatch.
    fn save_history(&self, record: &RunRecord) {
        if let Some(path) = &self.history {
            let new = record
                .results
                .iter()
                .filter(|r| matches!(r.outcome, events::Outcome::Passed | events::Outcome::Failed))
                .map(|r| (r.test.id(), r.duration.as_secs_f64() * 1000.0));
            history::save(path, self.exec.history.clone(), new);
        }
    }
}

/// Builds, lists and prepares a session; `Err` for the usual setup errors.
fn start(cfg: &RunConfig) -> Result<(Session<'_>, Plan), AppError> {
    // Printed before the build, so even a run stopped while building shows its seed.
    announce_seed(&cfg.plan);
    let (binaries, plan, all_tests, unpacked) = prepare(&cfg.plan, cfg.allow_no_tests)?;
    let selected: usize = plan
        .shards
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            cfg.exec.only_shards.is_empty() || cfg.exec.only_shards.contains(&(*i as u32 + 1))
        })
        .map(|(_, s)| s.len())
        .sum();
    if selected == 0 && plan.test_count() > 0 && !cfg.allow_no_tests {
        return Err(AppError::NoTests(" in the chosen --shard(s)".into()));
    }
    let cancel = execute::CancelFlag::default();
    if let Err(e) = signal::install(&cancel) {
        eprintln!("cargo-shuffle: warning: cannot handle Ctrl-C gracefully: {e}");
    }
    let history = binaries.iter().find_map(|b| history::path_for(&b.path));
    let mut exec = cfg.exec.clone();
    if let Some(h) = &history {
        exec.history = history::load(h);
    }
    for t in all_tests.iter().filter(|t| !t.ignored) {
        *exec.binary_tests.entry(t.binary_id.clone()).or_default() += 1;
    }
    let binaries = binaries.into_iter().map(|b| (b.id.clone(), b)).collect();
    Ok((
        Session {
            cfg,
            exec,
            history,
            binaries,
            all_tests,
            cancel,
            _unpacked: unpacked,
        },
        plan,
    ))
}

/// Writes the reports that were asked for; returns false if one could not be written (the
/// error is printed and the others are still written).
fn write_reports(cfg: &RunConfig, record: &RunRecord, json: &dyn Fn() -> Vec<u8>) -> bool {
    let mut ok = true;
    let mut write = |path: &Option<std::path::PathBuf>, contents: &dyn Fn() -> Vec<u8>| {
        if let Some(path) = path
            && let Err(e) = report::write_file(path, &contents())
        {
            eprintln!("error: {e:#}");
            ok = false;
        }
    };
    write(&cfg.junit, &|| report::junit::render(record).into_bytes());
    write(&cfg.report, json);
    write(&cfg.summary, &|| {
        report::markdown::render(record).into_bytes()
    });
    ok
}

/// Applies `--baseline` to a finished run and says what it did.
fn apply_baseline(
    cfg: &RunConfig,
    record: &mut RunRecord,
    terminal: &report::terminal::TerminalReporter,
) {
    let Some(b) = &cfg.baseline else { return };
    let applied = baseline::apply(b, record);
    for t in &applied.quarantined {
        terminal.note(&format!(
            "baseline: {t} is a known order-dependent/flaky test (quarantined)"
        ));
    }
    for t in &applied.fixed {
        terminal.note(&format!(
            "baseline: {t} passed: fixed? remove it from the baseline (`baseline --update --prune`)"
        ));
    }
    record.baseline = Some(applied);
}

/// Says what the gate made of flaky findings (they fail it unless `--allow-flaky`).
fn note_flaky(findings: &[triage::Finding], policy: &gate::GatePolicy) {
    let n = findings
        .iter()
        .filter(|f| f.kind == triage::FindingKind::NodFlaky)
        .count();
    if n == 0 {
        return;
    }
    if policy.allow_flaky {
        eprintln!(
            "cargo-shuffle: warning: {n} flaky test(s) passed the gate because of --allow-flaky"
        );
    } else {
        eprintln!(
            "cargo-shuffle: {n} flaky test(s) fail the gate (exit 105 when nothing else failed): fix them, quarantine them with --baseline, or pass --allow-flaky"
        );
    }
}

/// `cargo shuffle merge`: merged reports, then the gate on the merged run.
fn merge_cmd(a: &cli::MergeArgs) -> Result<i32, AppError> {
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
    let code = gate::decide(
        merged["interrupted"] == true,
        failing.len(),
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
fn archive_cmd(a: &cli::ArchiveArgs) -> Result<i32, AppError> {
    let sel = discover::CargoSelection {
        args: config::cargo_args(&a.cargo),
        manifest_path: a.cargo.manifest_path.clone(),
    };
    let binaries = discover::build_with_cargo(&sel)?;
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
fn baseline_cmd(a: &cli::BaselineArgs) -> Result<i32, AppError> {
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

fn run(cfg: &RunConfig) -> Result<i32, AppError> {
    let (session, plan) = start(cfg)?;
    let mut terminal = report::terminal::TerminalReporter::new(cfg.progress);
    let mut record = session.execute(&plan, &cfg.plan, &mut terminal);
    apply_baseline(cfg, &mut record, &terminal);
    let written = write_reports(cfg, &record, &|| {
        serde_json::to_vec_pretty(&record.to_json()).expect("the record serialises")
    });
    terminal.summary(&record, &cfg.plan);
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

fn hunt(cfg: &RunConfig, runs: u32, for_secs: Option<f64>) -> Result<i32, AppError> {
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
        terminal.summary(&record, &pc);
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
    let mut summary = records.first().cloned().expect("at least one run");
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
    let code = gate::decide(
        interrupted,
        failing.len(),
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
