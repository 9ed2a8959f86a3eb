//! The application layer: the command line ([`cli`], raw arguments), its validation into
//! configuration ([`config`]), the subcommands ([`commands`], with the campaign of runs in [`hunt`]), preparing a plan ([`prepare`]), the run session that drives one
//! plan through the stages ([`session`]), writing its report files ([`reports`]), and the top-level error ([`error`]). Nothing below this
//! layer imports it.

pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod error;
pub(crate) mod hunt;
pub(crate) mod prepare;
pub(crate) mod reports;
pub(crate) mod session;

use crate::exit;
use clap::Parser;
use cli::{Cli, CliCommand};
use commands::{archive_cmd, baseline_cmd, list_cmd, merge_cmd, run};
use config::{ListConfig, RunConfig};
use error::AppError;
use hunt::hunt;
use std::ffi::OsString;

/// Runs the program on `args` (including the program name; a leading `shuffle` argument, as
/// cargo passes to a subcommand, is skipped) and returns the exit code (see [`exit`]).
pub fn main_with_args(mut args: Vec<OsString>) -> i32 {
    if args.get(1).is_some_and(|a| a == "shuffle") {
        args.remove(1);
    }
    if args
        .get(1)
        .is_some_and(|a| a == crate::runner::watchdog::ARG)
    {
        return crate::runner::watchdog::main();
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
    // The gate's commands end their log with what their exit code means.
    let verdict = matches!(
        cli.command,
        CliCommand::Run(_) | CliCommand::Hunt(_) | CliCommand::Merge(_)
    );
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
            .and_then(|c| hunt(&c, a.runs, a.for_secs, a.until_coverage)),
    };
    match result {
        Ok(code) => {
            if verdict {
                say!("cargo-shuffle: exit {code}: {}", exit::meaning(code));
            }
            code
        }
        Err(e) => {
            say!("error: {e}");
            if json_events {
                crate::report::jsonl::JsonLines.run_failed(e.exit_code(), &e.to_string());
            }
            e.exit_code()
        }
    }
}
