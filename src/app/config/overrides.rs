//! The profile's `[[overrides]]` and the file's `[test-groups]`, compiled for the runner: each
//! override's `filter` becomes a [`Matcher`] over a filterset ([`Filterset`], nextest's
//! language), its settings the runner's [`Override`]; the groups become one [`TestGroups`]
//! shared by every sequence of the command. The syntax of every filter is checked with the rest
//! of the configuration, before the build ([`compile`]); the filters are compiled against the
//! discovered binaries once they are known ([`Compiled::bind`]). Errors name the file, line,
//! column and key (`profile.ci.overrides[0].filter`) and mark the position in the expression.

use super::file::{self, OverrideFile};
use super::profile::Profile;
use crate::app::error::UsageError;
use crate::discover::filterset::{FilterContext, FilterOrigin, Filterset};
use crate::discover::list::TestCase;
use crate::runner::groups::TestGroups;
use crate::runner::output::OutputOverride;
use crate::runner::overrides::{Matcher, Override, Overrides, SlowTimeout};
use std::sync::{Arc, OnceLock};

/// What the overrides and groups of a profile give the executor and the plan.
#[derive(Clone, Debug, Default)]
pub(crate) struct Compiled {
    /// Per-test settings, in the order they apply.
    pub(crate) overrides: Overrides,
    /// The test groups' slots.
    pub(crate) groups: Arc<TestGroups>,
    /// `shuffle = false`: the tests whose first override that sets `shuffle` says false; they
    /// run in name order in a shard of their own. `None` when no override sets it.
    pub(crate) unshuffled: Option<UnshuffledMatcher>,
    /// The overrides' `success-output` / `failure-output`, in the order they apply (those
    /// that set neither left out); the run's output settings take them unless a flag sets
    /// the same setting.
    pub(crate) output: Vec<OutputOverride>,
    /// Every override's filter, in order, compiled by [`Compiled::bind`].
    filters: Vec<Arc<LateFilter>>,
}

/// An override's filter: checked for syntax while the configuration is read, compiled once the
/// binaries are known (filtersets are compiled against them: `package()` must name one).
#[derive(Debug)]
struct LateFilter {
    /// The expression as written.
    input: String,
    /// Where it was written, for errors.
    origin: FilterOrigin,
    /// Set by [`Compiled::bind`]; a matcher without it matches nothing.
    compiled: OnceLock<Filterset>,
}

/// Which tests are kept out of the shuffle (`shuffle = false`).
#[derive(Clone)]
pub(crate) struct UnshuffledMatcher(pub(crate) Matcher);

impl std::fmt::Debug for UnshuffledMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnshuffledMatcher")
    }
}

/// The runner's form of an output key of the config file (profile or override): the file's
/// types stay apart from the runner's.
pub(crate) fn output_display(k: super::file::OutputKey) -> crate::runner::output::OutputDisplay {
    match k {
        super::file::OutputKey::Immediate => crate::runner::output::OutputDisplay::Immediate,
        super::file::OutputKey::Final => crate::runner::output::OutputDisplay::Final,
        super::file::OutputKey::ImmediateFinal => {
            crate::runner::output::OutputDisplay::ImmediateFinal
        }
        super::file::OutputKey::Never => crate::runner::output::OutputDisplay::Never,
    }
}

/// Checks `profile`'s overrides (filter syntax) and builds their settings and the groups.
/// Errors: a filter that does not parse, as `FILE:LINE:COL: key `profile.NAME.overrides[I].filter`:
/// invalid filterset: …` with the expression and a caret under the position.
pub(crate) fn compile(profile: &Profile) -> Result<Compiled, UsageError> {
    let mut overrides = Vec::new();
    let mut filters = Vec::new();
    let mut shuffle: Vec<(Matcher, bool)> = Vec::new();
    let mut output = Vec::new();
    let path = profile
        .file
        .clone()
        .unwrap_or_else(|| super::profile::CONFIG_PATH.into());
    for o in &profile.settings.overrides {
        let input = o.filter.get_ref().clone();
        let (line, column, key) = file::position(&profile.text, o.filter.span().start);
        let origin = FilterOrigin::ConfigFile {
            file: path.clone(),
            line,
            column,
            key: key.unwrap_or_else(|| "filter".into()),
        };
        Filterset::check_syntax(&input, origin.clone()).map_err(|e| UsageError(e.to_string()))?;
        let late = Arc::new(LateFilter {
            input,
            origin,
            compiled: OnceLock::new(),
        });
        let seen = late.clone();
        let matches: Matcher =
            Arc::new(move |t: &TestCase| seen.compiled.get().is_some_and(|f| f.matches(t)));
        filters.push(late);
        if let Some(s) = o.shuffle {
            shuffle.push((matches.clone(), s));
        }
        if o.success_output.is_some() || o.failure_output.is_some() {
            output.push(OutputOverride {
                applies: matches.clone(),
                success: o.success_output.map(output_display),
                failure: o.failure_output.map(output_display),
            });
        }
        overrides.push(runner_override(o, matches));
    }
    let unshuffled = shuffle.iter().any(|(_, s)| !s).then(|| {
        UnshuffledMatcher(Arc::new(move |t: &TestCase| {
            shuffle.iter().find(|(m, _)| m(t)).is_some_and(|(_, s)| !s)
        }) as Matcher)
    });
    Ok(Compiled {
        overrides: Overrides(Arc::new(overrides)),
        groups: TestGroups::new(profile.test_groups.clone()),
        unshuffled,
        output,
        filters,
    })
}

impl Compiled {
    /// Whether some filter uses `deps()` or `rdeps()` (they need cargo's full package graph).
    pub(crate) fn needs_dependencies(&self) -> bool {
        self.filters
            .iter()
            .any(|f| Filterset::needs_dependencies(&f.input))
    }

    /// Whether there are filters to bind.
    pub(crate) fn has_filters(&self) -> bool {
        !self.filters.is_empty()
    }

    /// Compiles every override's filter against `cx` (the run's binaries); from then on the
    /// matchers of [`Compiled::overrides`] and [`Compiled::unshuffled`] answer. Binding again
    /// keeps the first compilation. Errors: a filter naming what the workspace lacks (a
    /// package, a binary), `deps()` without a package graph, as `FILE:LINE:COL: key …`.
    pub(crate) fn bind(&self, cx: &FilterContext) -> Result<(), UsageError> {
        for f in &self.filters {
            if f.compiled.get().is_none() {
                let set = Filterset::new(&f.input, f.origin.clone(), cx)
                    .map_err(|e| UsageError(e.to_string()))?;
                let _ = f.compiled.set(set);
            }
        }
        Ok(())
    }
}

/// The runner's form of override `o`, matching with `matches`.
fn runner_override(o: &OverrideFile, matches: Matcher) -> Override {
    Override {
        filter: o.filter.get_ref().clone(),
        matches,
        timeout: o.timeout.map(|t| t.0),
        retries: o.retries.map(|r| r.0),
        leak_timeout: o.leak_timeout.map(|t| t.0),
        slow_timeout: o.slow_timeout.map(|s| SlowTimeout {
            period: s.period,
            terminate_after: s.terminate_after,
        }),
        test_group: o.test_group.as_ref().map(|g| g.get_ref().clone()),
    }
}
