//! The plan part of a validated configuration, shared by `run`, `hunt` and `list`: which tests,
//! with which seed, in how many shards, and the arguments a repro command repeats.

use super::file::IsolationKey;
use super::overrides;
use super::profile::{self, Profile};
use super::seed::{self, SeedSource};
use super::selection::{self, NameFilter, Source};
use crate::app::cli::{DEFAULT_SHARDS, IsolationArg, PlanArgs, RunIgnored};
use crate::app::error::UsageError;
use crate::plan::Partition;
use crate::plan::repro::Repro;
use crate::plan::seed::Seed;
use crate::runner::executor::Isolation;

/// The plan-related part of a validated configuration, shared by `run` and `list`.
#[derive(Clone, Debug)]
pub(crate) struct PlanConfig {
    /// Where the test binaries come from: cargo, `--binary` paths or an `--archive`.
    pub(crate) source: Source,
    /// Seeds the shuffle and the shard assignment: the same seed and tests give the same plan
    /// on any machine.
    pub(crate) seed: Seed,
    /// Where `seed` came from, printed next to it.
    pub(crate) seed_source: SeedSource,
    /// Number of shards (ordered sequences), 1 to 100 000; a fixed default so that a seed
    /// reproduces anywhere. Unused when `by_binary`.
    pub(crate) shards: u32,
    /// Shared isolation without `--shards` (and without `--order`): one shard per test binary,
    /// so each binary's tests share one process per run (see `Plan::by_binary`).
    pub(crate) by_binary: bool,
    /// `--partition K/N`: plan only the K-th of N disjoint parts of the selected tests.
    pub(crate) partition: Option<Partition>,
    /// Which `#[ignore]`d tests run (`--run-ignored`, or `--ignored`/`--include-ignored`
    /// after `--`).
    pub(crate) run_ignored: RunIgnored,
    /// The name filters after `--` with `--skip` and `--exact` (from either side of `--`).
    pub(crate) filter: NameFilter,
    /// `-E/--filterset` expressions as given (syntax checked; compiled against the discovered
    /// binaries by the session), OR-ed.
    pub(crate) filtersets: Vec<String>,
    /// `--reverse`: every shard runs backwards.
    pub(crate) reverse: bool,
    /// One process per test, or one per (shard, binary) (`--isolation`).
    pub(crate) isolation: Isolation,
    /// `--order`: exact sequence of test ids to run, if given.
    pub(crate) order: Option<Vec<String>>,
    /// The arguments that select the same tests again (cargo flags or `--binary`, filters),
    /// for repro commands.
    pub(crate) selection_args: Vec<String>,
    /// Arguments only the command that reproduces the whole run repeats, not a finding's or a
    /// shard's (`--max-fail`: it would stop a single failing test's repro early).
    pub(crate) run_args: Vec<String>,
    /// Arguments only a finding's or a failing test's repro repeats (`--retries 0` when the
    /// profile sets `retries`; see [`Repro::failure_args`]).
    pub(crate) failure_args: Vec<String>,
    /// `--fail-on-list-error`: a binary that cannot be listed stops the command (exit 104)
    /// before any test runs, instead of being reported while the other binaries run.
    pub(crate) fail_on_list_error: bool,
    /// The config file's profile in effect (its settings lose to the flags).
    pub(crate) profile: Profile,
    /// The profile's overrides and the file's test groups, compiled (see [`overrides`]).
    pub(crate) compiled: overrides::Compiled,
}

impl PlanConfig {
    /// Validates the plan arguments. Errors: a malformed seed or partition, an unknown libtest
    /// option after `--`, `--binary` or `--archive` mixed with cargo's selection flags, an
    /// unusable `--workspace-root`, a config file or profile that cannot be used (see
    /// [`profile::load`]), a test named twice in `--order` under shared isolation.
    pub(crate) fn from_args(a: &PlanArgs) -> Result<PlanConfig, UsageError> {
        let (seed, seed_source) = seed::resolve(a)?;
        let partition = a
            .partition
            .as_deref()
            .map(str::parse::<Partition>)
            .transpose()
            .map_err(|e| UsageError(e.to_string()))?;
        let a = &selection::with_libtest_flags(a)?;
        let (mut source, mut selection_args) = selection::source(a)?;
        let profile = profile::load(a, &mut source)?;
        let p = &profile.settings;
        let isolation = a.isolation.unwrap_or(match p.isolation {
            Some(IsolationKey::Shared) => IsolationArg::Shared,
            Some(IsolationKey::Process) | None => IsolationArg::Process,
        });
        let shards = a.shards.or(p.shards.map(|s| s.0));
        if isolation == IsolationArg::Shared
            && let Some(twice) = a
                .order
                .iter()
                .enumerate()
                .find(|(i, id)| a.order[..*i].contains(id))
                .map(|(_, id)| id)
        {
            // libtest runs each test of its process once: a repeat would silently run once.
            return Err(UsageError(format!(
                "--order names `{twice}` twice, but --isolation shared runs a binary's tests in one libtest process, which runs each test once; use --isolation process to run a test twice"
            )));
        }
        let compiled = overrides::compile(&profile)?;
        selection_args.extend(profile.repro_args.iter().cloned());
        selection_args.extend(selection::picking_args(a, isolation));
        Ok(PlanConfig {
            source,
            seed,
            seed_source,
            shards: shards.unwrap_or(DEFAULT_SHARDS),
            by_binary: isolation == IsolationArg::Shared && shards.is_none() && a.order.is_empty(),
            partition,
            run_ignored: a.run_ignored,
            filter: selection::name_filter(a),
            filtersets: selection::filtersets(a)?,
            order: (!a.order.is_empty()).then(|| a.order.clone()),
            reverse: a.reverse,
            isolation: match isolation {
                IsolationArg::Process => Isolation::Process,
                IsolationArg::Shared => Isolation::Shared,
            },
            selection_args,
            run_args: Vec::new(),
            failure_args: Vec::new(),
            fail_on_list_error: a.fail_on_list_error,
            profile,
            compiled,
        })
    }

    /// What repro commands of this run need (see [`Repro`]).
    pub(crate) fn repro(&self) -> Repro {
        Repro {
            selection_args: self.selection_args.clone(),
            run_args: self.run_args.clone(),
            failure_args: self.failure_args.clone(),
            seed: self.seed,
            shards: self.shards,
            by_binary: self.by_binary,
            partition: self.partition,
            reverse: self.reverse,
            order: self.order.clone(),
            filters: self.filter.filters.clone(),
        }
    }
}
