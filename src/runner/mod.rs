//! The runner: executes a plan and reports only through [`crate::events::RunEvent`]s. The
//! [`executor`] hands shards to workers, configured by [`options`]; a [`sequence`] runner runs
//! each shard's tests in one [`sandbox`]: each test as its own process ([`process`], with its output
//! captured by [`output`] and judged by [`verdict`] from what [`transcript`] reads in it) or, in shared isolation, a binary's tests in
//! one libtest process ([`shared`]). [`watchdog`] kills test processes if the runner dies, and
//! [`signal`] turns Ctrl-C into a clean stop. Per-test settings from the config file's
//! overrides are [`overrides`]; test groups' slots, [`groups`];
//! slow tests, [`slow`].

pub(crate) mod executor;
pub(crate) mod groups;
pub(crate) mod options;
pub(crate) mod output;
pub(crate) mod overrides;
pub(crate) mod process;
pub(crate) mod sandbox;
pub(crate) mod sequence;
pub(crate) mod shared;
pub(crate) mod signal;
pub(crate) mod slow;
pub(crate) mod transcript;
pub(crate) mod verdict;
pub(crate) mod watchdog;
