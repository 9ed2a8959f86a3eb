//! The runner: executes a plan and reports only through [`crate::events::RunEvent`]s. The
//! [`executor`] hands shards to workers; each test runs as its own process ([`process`], with
//! its output captured by [`output`]) or, in shared isolation, a binary's tests run in one
//! libtest process ([`shared`]). [`watchdog`] kills test processes if the runner dies, and
//! [`signal`] turns Ctrl-C into a clean stop.

pub(crate) mod executor;
pub(crate) mod output;
pub(crate) mod process;
pub(crate) mod shared;
pub(crate) mod signal;
pub(crate) mod watchdog;
