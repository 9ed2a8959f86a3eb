//! The run session: everything between the command line and the reports — executing a plan
//! prepared by [`crate::app::prepare`] and triaging its failures (`Session`),
//! applying the baseline (the report files are written by [`crate::app::reports`]).

use crate::app::config::{self, PlanConfig, RunConfig};
use crate::app::error::AppError;
use crate::app::prepare::{Prepared, announce_seed, prepare};
use crate::ci::{baseline, gate};
use crate::discover::TestBinary;
use crate::discover::list::TestCase;
use crate::plan::Plan;
use crate::plan::history;
use crate::plan::repro::Repro;
use crate::report::fanout::FanOut;
use crate::report::record::ListErrorDoc;
use crate::report::terminal::TerminalReporter;
use crate::report::{self, record::RunRecord};
use crate::runner::executor::{self as execute, ExecOptions, Isolation, SequenceRunner};
use crate::runner::signal;
use crate::{events, triage};
use std::collections::HashMap;

/// What a run needs once the binaries are built and listed; one session executes one plan
/// (`run`) or several (`hunt`).
pub(crate) struct Session<'a> {
    /// The validated `run` (or `hunt`) configuration: triage, JSON events, reports.
    pub(crate) cfg: &'a RunConfig,
    /// `cfg.exec` plus the duration history and each binary's count of non-ignored tests.
    pub(crate) exec: ExecOptions,
    /// Where the duration history of this build lives (cargo builds only).
    pub(crate) history: Option<std::path::PathBuf>,
    /// The test binaries by binary id.
    pub(crate) binaries: HashMap<String, TestBinary>,
    /// Every listed test, ignored and filtered-out ones included: triage looks for polluters
    /// and cleaners among them.
    pub(crate) all_tests: Vec<TestCase>,
    /// The test binaries that could not be listed: every record of the session names them.
    pub(crate) list_errors: Vec<ListErrorDoc>,
    /// Set by Ctrl-C, SIGTERM or SIGHUP: stops the run and triage.
    pub(crate) cancel: execute::CancelFlag,
    /// Keeps an unpacked archive alive for the run.
    _unpacked: Option<tempfile::TempDir>,
}

impl Session<'_> {
    /// Executes `plan` (its repro commands from `plan_cfg`), reporting every event to
    /// `terminal` and, with `--message-format json`, to the JSON lines stream; then triages its
    /// failures and saves the duration history. The record holds what ran: in shared isolation
    /// the observed order, with triage on its findings.
    pub(crate) fn execute(
        &self,
        plan: &Plan,
        plan_cfg: &PlanConfig,
        terminal: &mut TerminalReporter,
    ) -> RunRecord {
        self.execute_among(plan, plan_cfg, &[], terminal)
    }

    /// [`execute`](Self::execute), with the records of other runs of the same hunt: triage
    /// tries a failing test after the tests that ran before it where it passed in one of them
    /// (see [`triage::run::passed_orders`]).
    pub(crate) fn execute_among(
        &self,
        plan: &Plan,
        plan_cfg: &PlanConfig,
        others: &[&RunRecord],
        terminal: &mut TerminalReporter,
    ) -> RunRecord {
        let repro = plan_cfg.repro();
        let mut record = self.run_plan(plan, &self.exec, &repro, terminal);
        if self.exec.isolation == Isolation::Shared {
            use_observed_order(&mut record, terminal);
        }
        if let Some(topts) = &self.cfg.triage {
            let passes = triage::run::passed_orders(
                &record.results,
                others.iter().map(|r| r.results.as_slice()),
            );
            self.triage(plan, topts, &repro, &passes, &mut record, terminal);
        }
        self.save_history(&record);
        record
    }

    /// Runs `plan` on an executor thread while this thread hands its events, in batches, to
    /// the reporters (terminal, JSON lines if asked for, the record); returns the record.
    pub(crate) fn run_plan(
        &self,
        plan: &Plan,
        exec: &ExecOptions,
        repro: &Repro,
        terminal: &mut TerminalReporter,
    ) -> RunRecord {
        // A `--shard` run's repro runs the same shards, not the whole plan.
        let mut record = RunRecord::new(plan, exec.jobs, repro.shards_command(&exec.only_shards));
        record.only_shards = exec.only_shards.clone();
        record.list_errors = self.list_errors.clone();
        record.profile = self.cfg.plan.profile.name.clone();
        record.junit_store_success_output = exec.output.junit_store_success;
        let mut jsonl = self.cfg.json_events.then_some(report::jsonl::JsonLines);
        if let Some(j) = &jsonl {
            j.run_started(&record);
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::scope(|s| {
            s.spawn(|| {
                execute::execute(plan, &self.binaries, exec, &self.cancel, &tx);
                drop(tx);
            });
            let mut reporters = FanOut::default();
            reporters.add(terminal);
            if let Some(j) = jsonl.as_mut() {
                reporters.add(j);
            }
            reporters.add(&mut record).take_batches(&rx);
        });
        record
    }

    /// With triage on: the findings of an uninterrupted run ("no findings" is a finding too,
    /// merge relies on it) from reruns of its failures, then one flaky finding per test that
    /// passed on a retry. An interrupt during the reruns marks the record interrupted.
    pub(crate) fn triage(
        &self,
        plan: &Plan,
        topts: &triage::TriageOptions,
        repro: &Repro,
        passes: &triage::run::PassedOrders,
        record: &mut RunRecord,
        terminal: &TerminalReporter,
    ) {
        if !record.interrupted {
            record.findings = Some(Vec::new());
            if record.has_failures() {
                let findings = self.rerun_failures(plan, topts, repro, passes, record, terminal);
                record.findings = Some(findings);
                record.interrupted |= self.cancel.load(std::sync::atomic::Ordering::SeqCst);
            }
        }
        // Tests that passed on a retry need no reruns: the retry is the evidence.
        let flaky: Vec<triage::Finding> = record
            .results
            .iter()
            .filter(|r| r.is_flaky())
            .map(|r| triage::flaky_on_retry(r, &repro.shard_command(r.shard)))
            .collect();
        if !flaky.is_empty() {
            record.findings.get_or_insert_with(Vec::new).extend(flaky);
        }
    }

    /// Classifies the failures of `record` by rerunning tests (see
    /// [`triage::run::triage_with_passes`]; `passes`: orders they passed in, in other runs of a
    /// hunt), with progress notes on the terminal.
    fn rerun_failures(
        &self,
        plan: &Plan,
        topts: &triage::TriageOptions,
        repro: &Repro,
        passes: &triage::run::PassedOrders,
        record: &RunRecord,
        terminal: &TerminalReporter,
    ) -> Vec<triage::Finding> {
        // Reruns are one sequence at a time: concurrent shards would let state leak between
        // reruns and blur the evidence. Their sandboxes are never kept (--keep-sandbox is
        // about the run's own shards; reruns are recorded as evidence instead).
        let triage_exec = ExecOptions {
            keep_sandbox: false,
            ..self.exec.clone()
        };
        let process_opts = ExecOptions {
            isolation: Isolation::Process,
            ..triage_exec.clone()
        };
        let shared = self.exec.isolation == Isolation::Shared;
        let main = self
            .sequence_runner(&triage_exec, plan)
            .with_last_last(true);
        // Shared isolation: replays a shard's processes exactly as the run had them, and
        // checks a finding with one process per test.
        let replay = shared.then(|| self.sequence_runner(&triage_exec, plan));
        let process_check = shared.then(|| self.sequence_runner(&process_opts, plan));
        // Process isolation: runs a plain failure after its binary's tests in one process, to
        // find state-setters that act only inside it.
        let in_process_opts = ExecOptions {
            isolation: Isolation::Shared,
            retries: 0,
            ..triage_exec.clone()
        };
        let in_process = (!shared).then(|| {
            self.sequence_runner(&in_process_opts, plan)
                .with_last_last(true)
        });
        let runners = triage::Runners {
            main: &main,
            replay: replay.as_ref(),
            process_check: process_check.as_ref(),
            in_process: in_process.as_ref(),
        };
        let view = triage::RunView {
            plan: &record.plan,
            results: &record.results,
            all_tests: &self.all_tests,
            sandbox: self.exec.sandbox,
        };
        let order_cmd = |ids: &[String]| repro.order_command(ids);
        let shard_cmd = |k: u32| repro.shard_command(k);
        triage::run::triage_with_passes(
            &view,
            passes,
            &runners,
            topts,
            &order_cmd,
            &shard_cmd,
            &mut |line| terminal.note(&line),
        )
    }

    /// A runner of this session's binaries with `opts`, timed from now (starts a watchdog).
    fn sequence_runner<'s>(&'s self, opts: &'s ExecOptions, plan: &Plan) -> SequenceRunner<'s> {
        SequenceRunner::new(
            &self.binaries,
            opts,
            &self.cancel,
            plan.seed,
            std::time::Instant::now(),
        )
    }

    /// Records this run's durations for the next run's shard dispatch.
    pub(crate) fn save_history(&self, record: &RunRecord) {
        if let Some(path) = &self.history {
            let new = record.passing_durations();
            history::save(path, self.exec.history.clone(), new.into_iter());
        }
    }
}

/// In shared isolation libtest decides the order inside each process: the record's plan
/// becomes the order that really ran (what triage and the reports must use), with a note when
/// it differs from the predicted one although nothing (an interrupt, a crash or timeout that
/// resumed the rest in a new process) explains it.
fn use_observed_order(record: &mut RunRecord, terminal: &TerminalReporter) {
    let observed = record.observed_plan();
    // A crash or timeout resumes the rest in a new process, in another order: expected.
    let resumed = record.results.iter().any(|r| {
        matches!(
            r.outcome,
            events::Outcome::Crashed | events::Outcome::TimedOut | events::Outcome::Error
        ) || (r.outcome == events::Outcome::Failed && r.exit_code.is_some())
    });
    if observed != record.plan && !record.stopped_early() && !resumed {
        terminal.note("libtest ran a different order than predicted (did the toolchain change its shuffle?); the observed order is recorded");
    }
    record.plan = observed;
}

/// Announces the seed, then builds, lists and plans ([`prepare`]) and prepares a session:
/// Ctrl-C handling, the duration history, per-binary test counts. Errors: those of
/// [`prepare`], and `NoTests` when the `--shard`s chosen hold no test (unless
/// `--allow-no-tests`).
pub(crate) fn start(cfg: &RunConfig) -> Result<(Session<'_>, Plan), AppError> {
    // Printed before the build, so even a run stopped while building shows its seed.
    announce_seed(&cfg.plan);
    let Prepared {
        binaries,
        plan,
        listed,
        selected,
        list_errors,
        unpacked,
    } = prepare(&cfg.plan, cfg.allow_no_tests)?;
    // What triage may run: never a test the user left out, unless asked to.
    let all_tests = if cfg.triage_listed { listed } else { selected };
    if plan.by_binary
        && let Some(&bad) = cfg
            .exec
            .only_shards
            .iter()
            .find(|&&k| k > plan.shard_count())
    {
        return Err(AppError::Usage(config::UsageError(format!(
            "--shard {bad} does not exist: with --isolation shared and no --shards each test binary is one shard, and this selection has {}; pick 1..={} (`cargo shuffle list --isolation shared` shows them)",
            plan.shard_count(),
            plan.shard_count()
        ))));
    }
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
    if selected == 0 && cfg.allow_no_tests {
        // Allowed, but a gate that checks nothing should say so in its log.
        say!(
            "cargo-shuffle: warning: no test selected; the run passes (--allow-no-tests / --no-tests)"
        );
    }
    let cancel = execute::CancelFlag::default();
    if let Err(e) = signal::install(&cancel) {
        say!("cargo-shuffle: warning: cannot handle Ctrl-C gracefully: {e}");
    }
    let history = binaries.iter().find_map(|b| history::path_for(&b.path));
    let mut exec = cfg.exec.clone();
    if let Some(h) = &history {
        exec.history = history::load(h);
    }
    let binaries = binaries.into_iter().map(|b| (b.id.clone(), b)).collect();
    Ok((
        Session {
            cfg,
            exec,
            history,
            binaries,
            all_tests,
            list_errors,
            cancel,
            _unpacked: unpacked,
        },
        plan,
    ))
}

/// Applies `--baseline` to a finished run: known tests' failures are quarantined (the gate
/// skips them) and known tests that passed are reported fixed; a note for each.
pub(crate) fn apply_baseline(cfg: &RunConfig, record: &mut RunRecord, terminal: &TerminalReporter) {
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
pub(crate) fn note_flaky(findings: &[triage::Finding], policy: &gate::GatePolicy) {
    let n = findings
        .iter()
        .filter(|f| f.kind == triage::FindingKind::NodFlaky)
        .count();
    if n == 0 {
        return;
    }
    if policy.allow_flaky {
        say!("cargo-shuffle: warning: {n} flaky test(s) passed the gate because of --allow-flaky");
    } else {
        say!(
            "cargo-shuffle: {n} flaky test(s) fail the gate (exit 105 when nothing else failed): fix them, quarantine them with --baseline, or pass --allow-flaky"
        );
    }
}
