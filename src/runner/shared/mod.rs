//! Shared-process isolation (`--isolation shared`): inside a shard, the tests of one binary run
//! in one process with `--test-threads=1`, as `cargo test` runs them, so that state tests leave
//! in the process (statics, `set_var`, the current directory, loggers) reaches the tests after
//! them. libtest cannot be told an order, but its seeded shuffle can be predicted (see
//! `libtest`): each process gets a seed derived from the run seed, and the order libtest
//! reports in its JSON events is what is recorded. A crash, abort or timeout kills the process:
//! it is attributed to the running test and the remaining tests resume in a new process.
//!
//! [`group`] splits a sequence into per-binary groups and predicts their order, [`run`] runs a
//! group in as many processes as it takes, [`watch`] follows one process's event stream, and
//! [`libtest`] knows libtest's shuffle and JSON events.

pub(crate) mod group;
pub(crate) mod libtest;
pub(crate) mod run;
pub(crate) mod watch;

pub(crate) use group::groups;
pub(crate) use run::{GroupContext, GroupEnd, run_group};
