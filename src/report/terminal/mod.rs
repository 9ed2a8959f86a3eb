//! The terminal reporter: a progress bar on a TTY (else one line per finished test), tests'
//! captured output where `--failure-output` / `--success-output` say (right after the result,
//! in the summary, both or neither; with `--retries`, each failed attempt's too, as the
//! failure setting says: `blocks.rs`), each line a test prints as it prints it under
//! `--no-capture`, and the summary (`summary.rs`) with counts, the slowest tests, the seed and
//! the commands that reproduce the run and each failing test. Writes to stderr.

mod blocks;
mod summary;

use super::fanout::Reporter;
use super::record::RunRecord;
use crate::events::{Outcome, RunEvent, TestResult};
use crate::plan::repro::ShardRerun;
use crate::runner::output::{OutputSettings, clean_text};
use blocks::{When, blocks_at};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

/// Prints progress while the run goes and the summary at its end, on stderr.
pub(crate) struct TerminalReporter {
    /// The progress bar, while the run goes and only on a terminal; `None`: plain lines.
    bar: Option<ProgressBar>,
    /// Where tests' output is shown (the defaults: failures right away, passes never).
    output: OutputSettings,
}

/// The line for a test still running after `elapsed` (a multiple of its slow period):
/// `   SLOW [  60.000s] shard  3  BINARY TEST`, saying so when terminate-after will stop it.
fn slow_line(
    test: &crate::discover::list::TestCase,
    shard: u32,
    elapsed: std::time::Duration,
    will_terminate: bool,
) -> String {
    format!(
        "{:>7} [{:>8.3}s] shard {:>2}  {}{}",
        "SLOW",
        elapsed.as_secs_f64(),
        shard,
        clean_text(&test.id()),
        if will_terminate {
            " (slow-timeout terminate-after stops it)"
        } else {
            ""
        }
    )
}

/// One finished test: outcome, duration, shard, id, and why it is special (signal, leak,
/// retries, slow).
fn status_line(r: &TestResult) -> String {
    let mut extra = String::new();
    if let Some(sig) = &r.signal
        && r.outcome == Outcome::Crashed
    {
        extra = format!(" ({sig})");
    }
    if r.leaked {
        extra.push_str(" (leaky)");
    }
    if r.slow {
        extra.push_str(" (slow)");
    }
    if !r.previous_attempts.is_empty() {
        let _ = write!(
            extra,
            " ({} after {} failed attempt{}{})",
            if r.is_flaky() {
                "FLAKY: passed"
            } else {
                "still failing"
            },
            r.previous_attempts.len(),
            if r.previous_attempts.len() > 1 {
                "s"
            } else {
                ""
            },
            if r.is_flaky() { "" } else { " more" },
        );
    }
    format!(
        "{:>7} [{:>8.3}s] shard {:>2}  {}{}",
        r.outcome.label(),
        r.duration.as_secs_f64(),
        r.shard,
        clean_text(&r.test.id()),
        extra
    )
}

impl TerminalReporter {
    /// A reporter; `progress` allows the bar (drawn only when stderr is a terminal).
    pub(crate) fn new(progress: bool) -> TerminalReporter {
        let bar = (progress && std::io::stderr().is_terminal()).then(|| {
            // Styled from the start: the default style would flash before the run starts.
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            )
        });
        TerminalReporter {
            bar,
            output: OutputSettings::default(),
        }
    }

    /// The same reporter, showing tests' output as `output` says.
    pub(crate) fn with_output(mut self, output: OutputSettings) -> TerminalReporter {
        self.output = output;
        self
    }

    /// Prints `line` on stderr, above the bar when there is one (so the bar is not torn).
    fn println(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        }
    }

    /// Prints a progress note (e.g. triage steps) as `cargo-shuffle: LINE`, with control
    /// characters cleaned out of `line`.
    pub(crate) fn note(&self, line: &str) {
        self.println(&format!("cargo-shuffle: {}", clean_text(line)));
    }

    /// Prints the output of the tests (and failed attempts) whose setting is `final` or
    /// `immediate-final` (in plan order), then the summary: counts, the slowest tests, each
    /// failure with the command that reproduces it (its finding's, else its shard's from
    /// `shards`), the findings, the binaries that could not be listed, the seed (`seed_source`
    /// says where it came from) and the command that reproduces the run.
    pub(crate) fn summary(&self, record: &RunRecord, shards: &dyn ShardRerun, seed_source: &str) {
        summary::write_summary(
            &mut std::io::stderr().lock(),
            record,
            shards,
            seed_source,
            &self.output,
        );
    }
}

impl Reporter for TerminalReporter {
    /// Announces the run and sizes the bar; prints each finished test that was not ignored
    /// (with a bar, only the failures and the tests whose output is shown, above it: the bar
    /// counts the rest), then its failed attempts' and its own output blocks if their setting
    /// is `immediate` or `immediate-final`; under `--no-capture` each line a test prints, as `[ID] LINE`; clears
    /// the bar when the run ends.
    fn report_event(&mut self, ev: &RunEvent) {
        match ev {
            RunEvent::RunStarted {
                seed,
                shard_count,
                test_count,
                jobs,
            } => {
                self.println(&format!(
                    "cargo-shuffle: running {} in {} on {}, seed {seed}",
                    crate::runner::output::count(*test_count, "test"),
                    crate::runner::output::count(*shard_count as usize, "shard"),
                    crate::runner::output::count(*jobs, "worker")
                ));
                if let Some(b) = &self.bar {
                    b.set_length(*test_count as u64);
                }
            }
            RunEvent::TestStarted { .. } => {}
            RunEvent::TestOutput { test, line, .. } => {
                self.println(&format!(
                    "[{}] {}",
                    clean_text(&test.id()),
                    clean_text(line)
                ));
            }
            RunEvent::TestSlow {
                test,
                shard,
                elapsed,
                will_terminate,
            } => {
                let line = slow_line(test, *shard, *elapsed, *will_terminate);
                match &self.bar {
                    Some(b) => b.println(line),
                    None => self.println(&line),
                }
            }
            RunEvent::TestFinished(r) => {
                if r.outcome == Outcome::Ignored {
                    return;
                }
                let failed = r.outcome.is_failure();
                let block = blocks_at(r, &self.output, When::Immediate);
                match &self.bar {
                    Some(b) => {
                        b.inc(1);
                        if failed || block.is_some() {
                            b.println(status_line(r));
                        }
                    }
                    None => self.println(&status_line(r)),
                }
                if let Some(block) = block {
                    self.println(block.trim_end());
                }
            }
            RunEvent::RunFinished { .. } => {
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
            }
        }
    }
}
