//! The integration suite, one test binary: it runs the real `cargo-shuffle` binary on the
//! fixture workspaces in `fixtures/` (`demo`, `env`, `filterset`, `groups`, `hostile`, `od`) and on
//! fake libtest harnesses (shell scripts), and checks the files it writes (JSON run records, JUnit, the
//! baseline, the duration history), its exit codes and its terminal output. Unit tests of the
//! stages live next to the code in `src/`.
//!
//! Each run gets its own temp dir as cwd and `TMPDIR` (see `common::Shuffle`); the tests share
//! one target dir per fixture (`target/fixture-NAME`), so each fixture builds once, and cargo's
//! lock on that dir serializes concurrent builds.

mod common;

mod bad_input;
mod config;
mod fail_fast;
mod filterset;
mod fixture_run;
mod groups;
mod harness;
mod hostile;
mod html;
mod listing;
mod merge;
mod outlived;
mod output;
mod plan_cli;
mod regressions;
mod retries;
mod shared;
mod triage;
