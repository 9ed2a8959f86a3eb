//! Preparing a plan: building or finding the test binaries, listing them, compiling the
//! filters and planning the selection ([`prepare`]), the seed announcement, and shared
//! isolation's predicted order; what `list` shows and what a [`crate::app::session::Session`]
//! runs.

use crate::app::cli::RunIgnored;
use crate::app::config::{self, PlanConfig, Source};
use crate::app::error::AppError;
use crate::discover::archive;
use crate::discover::filterset::Filtersets;
use crate::discover::list::{self, TestCase};
use crate::discover::{self, TestBinary};
use crate::plan::{self, Plan};
use crate::report::record::ListErrorDoc;
use crate::runner::executor::Isolation;
use crate::runner::shared;
use std::collections::{HashMap, HashSet};

/// What [`prepare`] found and planned.
pub(crate) struct Prepared {
    /// The test binaries.
    pub(crate) binaries: Vec<TestBinary>,
    /// The plan.
    pub(crate) plan: Plan,
    /// Every listed test, unfiltered (`--triage-scope listed`).
    pub(crate) listed: Vec<TestCase>,
    /// The listed tests the selection runs (name filters, `--skip`, `-E`, `--run-ignored`),
    /// before partitioning and `--shard`: what triage may run by default. With `--order`,
    /// those and the tests the order names.
    pub(crate) selected: Vec<TestCase>,
    /// The binaries that could not be listed.
    pub(crate) list_errors: Vec<ListErrorDoc>,
    /// The directory an archive was unpacked into (removed when dropped, so it lives as long
    /// as the run).
    pub(crate) unpacked: Option<tempfile::TempDir>,
}

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
    let sets = config::selection::compile_filtersets(&cfg.source, &cfg.filtersets, &binaries)?;
    if let Some(order) = &cfg.order {
        let ordered = ordered_tests(order, &tests)?;
        // A finding's repro (`--order` with the run's --skip, -E, …): triage of it may run the
        // selection's tests and those the order names, as the run's triage could.
        let named: HashSet<String> = ordered.iter().map(TestCase::id).collect();
        let selected = tests
            .iter()
            .filter(|t| runs(cfg, &sets, t) || named.contains(&t.id()))
            .cloned()
            .collect();
        let plan = shared_order(cfg, Plan::ordered(cfg.seed, ordered));
        return Ok(Prepared {
            binaries,
            plan,
            selected,
            listed: tests,
            list_errors,
            unpacked,
        });
    }
    let allow_empty = allow_empty || !list_errors.is_empty();
    let plan = select_and_plan(cfg, &tests, &sets, binaries.is_empty(), allow_empty)?;
    let selected = tests
        .iter()
        .filter(|t| runs(cfg, &sets, t))
        .cloned()
        .collect();
    Ok(Prepared {
        binaries,
        plan,
        listed: tests,
        selected,
        list_errors,
        unpacked,
    })
}

/// Whether the selection picks `t` (name filters, `--skip`, `-E` filtersets `sets`,
/// `--run-ignored only`): a picked test runs or, ignored, is reported as skipped.
fn picks(cfg: &PlanConfig, sets: &Filtersets, t: &TestCase) -> bool {
    cfg.filter.matches(&t.name)
        && sets.matches(t)
        && (cfg.run_ignored != RunIgnored::Only || t.ignored)
}

/// Whether the selection runs `t`: picked, and not an `#[ignore]`d test left out by
/// `--run-ignored default`. Also what triage may run by default (`--triage-scope selected`).
fn runs(cfg: &PlanConfig, sets: &Filtersets, t: &TestCase) -> bool {
    picks(cfg, sets, t) && (cfg.run_ignored != RunIgnored::Default || !t.ignored)
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
        .filter(|t| picks(cfg, sets, t))
        .cloned()
        .partition(|t| runs(cfg, sets, t));
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
