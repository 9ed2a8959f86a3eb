//! cargo-shuffle: a randomized parallel test runner for Rust.
//!
//! Data flows one way, and the folders show the stages:
//! [`discover`] (test binaries, their test cases) → [`plan`] (seed, seeded order, shards,
//! partitions) → [`runner`] (one process per test, or one per binary in shared isolation) →
//! [`events`] → [`report`] (terminal, JUnit, JSON record, Markdown) and [`triage`]
//! (order-dependence classification) → [`ci`] (gate, baseline, merge) → exit code ([`exit`]).
//! [`app`] sits on top: command line, validated configuration, subcommands and the session that
//! drives a plan through the stages. `docs/architecture.md` says what each folder owns and where
//! a change goes.

/// `eprintln!` that ignores a closed or failing stderr (a `2>&1 | head` on the command line):
/// the exit code must come from the gate, never from a panic while printing a note.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub(crate) mod app;
pub(crate) mod ci;
pub(crate) mod discover;
pub(crate) mod events;
pub(crate) mod exit;
pub(crate) mod files;
pub(crate) mod plan;
pub(crate) mod report;
pub(crate) mod runner;
pub(crate) mod status;
pub(crate) mod triage;

pub use app::main_with_args;
