//! cargo-shuffle: a randomized parallel test runner for Rust.
//!
//! Data flows one way: [`discover`] (test binaries) → [`list`] (test cases) → [`plan`] (seeded
//! order and shards) → [`execute`] (one process per test, via [`process`]) → [`events`] →
//! [`report`] (terminal, JUnit, JSON run record) → exit code ([`exit`]).
//! [`cli`] holds the raw arguments, [`config`] the validated configuration.
//! Around that flow: [`shared`] and [`libtest`] (shared-process isolation), [`triage`]
//! (order-dependence classification), [`gate`] and [`baseline`] (the commit gate), [`history`]
//! (duration-based shard dispatch), [`dynlink`] (which binaries need the toolchain's shared
//! libraries), [`target_runner`] (cargo's runner wrapper), [`archive`] and [`merge`] (the CI stage), [`signal`] and
//! [`watchdog`] (interrupts and runner death). The private `session` module runs a plan end to
//! end (prepare, execute, triage, reports); `commands` maps each subcommand to an exit code.

#![warn(missing_docs)]

pub mod archive;
pub mod baseline;
pub mod cli;
mod commands;
pub mod config;
pub mod discover;
pub mod dynlink;
pub mod events;
pub mod execute;
pub mod exit;
pub mod gate;
pub mod history;
pub mod libtest;
pub mod list;
pub mod merge;
pub mod output;
pub mod plan;
pub mod process;
pub mod report;
pub mod seed;
mod session;
pub mod shared;
pub mod signal;
pub mod target_runner;
pub mod triage;
pub mod watchdog;

use clap::Parser;
use cli::{Cli, CliCommand};
use commands::{archive_cmd, baseline_cmd, hunt, list_cmd, merge_cmd, run};
use config::{ListConfig, RunConfig};
use exit::AppError;
use std::ffi::OsString;

/// Runs the program on `args` (including the program name; a leading `shuffle` argument, as
/// cargo passes to a subcommand, is skipped) and returns the exit code (see [`exit`]).
pub fn main_with_args(mut args: Vec<OsString>) -> i32 {
    if args.get(1).is_some_and(|a| a == "shuffle") {
        args.remove(1);
    }
    if args.get(1).is_some_and(|a| a == watchdog::ARG) {
        return watchdog::main();
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    // A stream consumer (`--message-format json`) learns how a run that never started ended.
    let json_events = match &cli.command {
        CliCommand::Run(a) => a.message_format == cli::RunFormat::Json,
        CliCommand::Hunt(a) => a.run.message_format == cli::RunFormat::Json,
        _ => false,
    };
    let result = match cli.command {
        CliCommand::Run(a) => RunConfig::from_args(&a)
            .map_err(AppError::from)
            .and_then(|c| run(&c)),
        CliCommand::List(a) => ListConfig::from_args(&a)
            .map_err(AppError::from)
            .and_then(|c| list_cmd(&c)),
        CliCommand::Baseline(a) => baseline_cmd(&a),
        CliCommand::Archive(a) => archive_cmd(&a),
        CliCommand::Merge(a) => merge_cmd(&a),
        CliCommand::Hunt(a) => RunConfig::from_args(&a.run)
            .map_err(AppError::from)
            .and_then(|c| hunt(&c, a.runs, a.for_secs)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if json_events {
                report::jsonl::JsonLines.run_failed(e.exit_code(), &e.to_string());
            }
            e.exit_code()
        }
    }
}
