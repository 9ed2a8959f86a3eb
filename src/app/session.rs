//! The run session: everything between the command line and the reports — discovering,
//! listing and planning (`prepare`), executing a plan and triaging its failures (`Session`),
//! applying the baseline (the report files are written by [`crate::app::reports`]).

use crate::app::cli::RunIgnored;
use crate::app::config::{self, PlanConfig, RunConfig, Source};
use crate::app::error::AppError;
use crate::ci::{baseline, gate};
use crate::discover::archive;
use crate::discover::filterset::Filtersets;
use crate::discover::list::{self, TestCase};
use crate::discover::{self, TestBinary};
use crate::plan::history;
use crate::plan::repro::Repro;
use crate::plan::{self, Plan};
use crate::report::fanout::FanOut;
use crate::report::record::ListErrorDoc;
use crate::report::terminal::TerminalReporter;
use crate::report::{self, record::RunRecord};
use crate::runner::executor::{self as execute, ExecOptions, Isolation, SequenceRunner};
use crate::runner::{shared, signal};
use crate::{events, triage};
use std::collections::HashMap;

/// The binaries, the plan, every listed test (unfiltered, for triage), the binaries that could
/// not be listed, and the directory an archive was unpacked into (removed when dropped, so it
/// lives as long as the run).
pub(crate) type Prepared = (
    Vec<TestBinary>,
    Plan,
    Vec<TestCase>,
    Vec<ListErrorDoc>,
    Option<tempfile::TempDir>,
);

/// Discovers, lists, filters and plans. `allow_empty` turns "no test selected" into an empty
/// plan instead of an error (so does a binary that could not be listed: the command ends with
/// exit 104 instead). Errors: those of discovery, an unusable archive or an `--order` id that
/// is not a listed test (usage), a binary that could not be listed with
/// `--fail-on-list-error`, and no test selected (unless `allow_empty`).
pub(crate) fn prepare(cfg: &PlanConfig, allow_empty: bool) -> Result<Prepared, AppError> {
    let (binaries, unpacked) = find_binaries(cfg)?;
    let listing = list::list_all(&binaries);
    let list_errors = if cfg.fail_on_list_error {
        Vec::new()
    } else {
        announce_list_errors(&listing.errors, binaries.len())
    };
    let tests = if cfg.fail_on_list_error {
        listing.into_result()?
    } else {
        listing.tests
    };
    if cfg.compiled.has_filters() {
        // The overrides' filters, against the same binaries as -E's.
        let deps = cfg.compiled.needs_dependencies();
        let cx = config::selection::filter_context(&cfg.source, &binaries, deps)?;
        cfg.compiled.bind(&cx)?;
    }
    if let Some(order) = &cfg.order {
        let plan = shared_order(cfg, Plan::ordered(cfg.seed, ordered_tests(order, &tests)?));
        return Ok((binaries, plan, tests, list_errors, unpacked));
    }
    let allow_empty = allow_empty || !list_errors.is_empty();
    let sets = config::selection::compile_filtersets(&cfg.source, &cfg.filtersets, &binaries)?;
    let plan = select_and_plan(cfg, &tests, &sets, binaries.is_empty(), allow_empty)?;
    Ok((binaries, plan, tests, list_errors, unpacked))
}

/// Prints each binary that could not be listed (the error names it and quotes what it
/// printed) and that the others go on; returns them as the record keeps them.
fn announce_list_errors(errors: &[list::ListError], binaries: usize) -> Vec<ListErrorDoc> {
    for e in errors {
        say!("cargo-shuffle: error: {e}");
    }
    if !errors.is_empty() {
        say!(
            "cargo-shuffle: {} of {} test binaries could not be listed: their tests do not run; the other binaries' tests do, the reports name the binaries, and the command exits {} (--fail-on-list-error stops at the first instead)",
            errors.len(),
            binaries,
            crate::exit::LIST_FAILED
        );
    }
    errors
        .iter()
        .map(|e| ListErrorDoc {
            binary_id: e.binary().to_string(),
            error: e.to_string(),
        })
        .collect()
}

/// The test binaries of `cfg.source`, built, found or unpacked (with the directory an archive
/// went to), each under its target runner, each target's tmpdir created.
fn find_binaries(
    cfg: &PlanConfig,
) -> Result<(Vec<TestBinary>, Option<tempfile::TempDir>), AppError> {
    let mut unpacked = None;
    let mut binaries = match &cfg.source {
        Source::Cargo(sel) => discover::build_with_cargo(sel).inspect_err(|e| {
            if let Some(hint) = profile_hint(e, sel, &cfg.profile) {
                say!("cargo-shuffle: hint: {hint}");
            }
        })?,
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
    let targets = match &cfg.source {
        Source::Cargo(sel) => sel.targets(),
        _ => Vec::new(),
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    crate::discover::apply_target_runners(&mut binaries, &cwd, &targets)
        .map_err(discover::DiscoverError::from)?;
    discover::create_target_tmpdirs(&binaries);
    Ok((binaries, unpacked))
}

/// For a failed build run with `--profile NAME` (cargo's build profile, passed through) where
/// the config file defines `[profile.NAME]`: nextest's `--profile` picks its config profile, so
/// a switching user means cargo-shuffle's `--config-profile NAME`.
fn profile_hint(
    e: &discover::DiscoverError,
    sel: &discover::CargoSelection,
    profile: &config::profile::Profile,
) -> Option<String> {
    if !matches!(e, discover::DiscoverError::BuildFailed { .. }) {
        return None;
    }
    let name = sel.cargo_profile()?;
    profile.defines(name).then(|| {
        format!(
            "`--profile {name}` is cargo's build profile, passed to cargo; the config file's profile `{name}` is chosen with `--config-profile {name}` (or CARGO_SHUFFLE_PROFILE={name})"
        )
    })
}

/// The tests `--order` names, in its order. Errors (usage): an id that is not one of `tests`.
fn ordered_tests(order: &[String], tests: &[TestCase]) -> Result<Vec<TestCase>, AppError> {
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
    Ok(seq)
}

/// The seeded plan of the tests `cfg` selects (filters, `-E` filtersets `sets`, `--run-ignored`, partition, reversal,
/// shared order). An empty partition is a warning, not an error; any other empty plan is
/// `NoTests` unless `allow_empty` (`no_binaries` says why it is empty).
fn select_and_plan(
    cfg: &PlanConfig,
    tests: &[TestCase],
    sets: &Filtersets,
    no_binaries: bool,
    allow_empty: bool,
) -> Result<Plan, AppError> {
    let (run, ignored): (Vec<TestCase>, Vec<TestCase>) = tests
        .iter()
        .filter(|t| cfg.filter.matches(&t.name) && sets.matches(t))
        .filter(|t| cfg.run_ignored != RunIgnored::Only || t.ignored)
        .cloned()
        .partition(|t| cfg.run_ignored != RunIgnored::Default || !t.ignored);
    let selected = run.len();
    // `shuffle = false`: those tests go to a name-ordered shard of their own (not with --order,
    // which is an order already).
    let (kept, run): (Vec<TestCase>, Vec<TestCase>) = match &cfg.compiled.unshuffled {
        Some(m) if cfg.order.is_none() => run.into_iter().partition(|t| (m.0)(t)),
        _ => (Vec::new(), run),
    };
    if !kept.is_empty() && cfg.isolation == Isolation::Shared {
        // libtest shuffles each shared process itself; a name-ordered shard there is not built.
        return Err(AppError::Usage(crate::app::config::UsageError(format!(
            "`shuffle = false` keeps {} in name order, which needs --isolation process (a shared libtest process shuffles its tests itself); use --isolation process, or narrow the override's filter",
            crate::runner::output::count(kept.len(), "test")
        ))));
    }
    let mut plan = if cfg.by_binary {
        Plan::by_binary(cfg.seed, cfg.partition, run, ignored)
    } else {
        Plan::new(cfg.seed, cfg.shards, cfg.partition, run, ignored).with_unshuffled(kept)
    };
    if cfg.reverse {
        plan = plan.reversed();
    }
    let plan = shared_order(cfg, plan);
    if plan.test_count() == 0 && selected > 0 && cfg.partition.is_some() {
        // More parts than tests: this CI job has nothing to do, which is not an error.
        if let Some(p) = cfg.partition {
            say!("cargo-shuffle: warning: {}", p.empty_warning(selected));
        }
        return Ok(plan);
    }
    if plan.test_count() == 0 && !allow_empty {
        let why = if no_binaries {
            " (no test binary was found)".to_string()
        } else {
            String::new()
        };
        return Err(AppError::NoTests(why));
    }
    Ok(plan)
}

/// In shared isolation, libtest decides the order inside each process: rewrite every shard
/// to the order it is predicted to run in (per binary, see `shared::groups`), so that `list`
/// shows and the record holds what really runs.
pub(crate) fn shared_order(cfg: &PlanConfig, mut plan: Plan) -> Plan {
    if cfg.isolation != Isolation::Shared {
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

/// Prints the seed and where it came from on stderr, with the flag that repeats the order.
pub(crate) fn announce_seed(cfg: &PlanConfig) {
    let how = cfg.seed_source.describe();
    say!(
        "cargo-shuffle: seed {} ({how}; pass --seed {} to repeat this order)",
        cfg.seed,
        cfg.seed
    );
}

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
    let (binaries, plan, all_tests, list_errors, unpacked) =
        prepare(&cfg.plan, cfg.allow_no_tests)?;
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
