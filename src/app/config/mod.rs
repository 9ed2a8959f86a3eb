//! Validated configuration: turns the raw [`crate::app::cli`] arguments into [`PlanConfig`]
//! (`list`, and the plan part of a run), [`RunConfig`] (`run`, `hunt`) and [`ListConfig`],
//! whose every value is checked; errors are [`UsageError`]s (exit 2) naming the flag.
//! [`seed`] resolves the seed, [`selection`] which tests and binaries, [`file`] parses the
//! config file and [`profile`] picks the file and profile whose settings the flags override,
//! [`overrides`] compiles its per-test overrides and test groups, [`nextest`] advises on keys
//! spelled as in nextest's config,
//! [`plan`] and [`run`] assemble the configurations and the arguments that repro commands
//! repeat. Precedence: flag > environment > profile > default.

pub(crate) mod file;
pub(crate) mod nextest;
pub(crate) mod overrides;
pub(crate) mod plan;
pub(crate) mod profile;
pub(crate) mod run;
pub(crate) mod seed;
pub(crate) mod selection;

pub(crate) use crate::app::error::UsageError;
pub(crate) use plan::PlanConfig;
pub(crate) use run::RunConfig;
pub(crate) use selection::{Source, cargo_args};

use crate::app::cli::{ListArgs, ListFormat, ListType};

/// Validated `list` configuration.
#[derive(Clone, Debug)]
pub(crate) struct ListConfig {
    /// What to list and how to plan it.
    pub(crate) plan: PlanConfig,
    /// Human lines per shard, one JSON document, or one id per line (`--message-format`).
    pub(crate) format: ListFormat,
    /// The planned tests, or only the test binaries (`--list-type`).
    pub(crate) list_type: ListType,
}

impl ListConfig {
    /// Validates `list` arguments (see [`PlanConfig::from_args`]).
    pub(crate) fn from_args(a: &ListArgs) -> Result<ListConfig, UsageError> {
        Ok(ListConfig {
            plan: PlanConfig::from_args(&a.plan)?,
            format: a.message_format,
            list_type: a.list_type,
        })
    }
}
