//! The terminal reporter: a progress bar on a TTY (else one line per finished test), tests'
//! captured output where `--failure-output` / `--success-output` say (right after the result,
//! in the summary, both or neither), each line a test prints as it prints it under
//! `--no-capture`, and the summary with counts, the slowest tests, the seed and the commands
//! that reproduce the run and each failing test's shard. Writes to stderr.

use super::fanout::Reporter;
use super::record::RunRecord;
use crate::events::{Outcome, RunEvent, TestResult};
use crate::plan::repro::Repro;
use crate::runner::output::{OutputSettings, clean_text};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

/// Lines of a test's output shown on the terminal (its last ones).
const TERMINAL_OUTPUT_LINES: usize = 60;

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

    /// Prints the output of the tests whose setting is `final` or `immediate-final` (in plan
    /// order), then the summary: counts, the slowest tests, each failure with the command that
    /// reproduces it (its finding's, else its shard's), the findings, the seed (`seed_source`
    /// says where it came from) and the command that reproduces the run.
    pub(crate) fn summary(&self, record: &RunRecord, repro: &Repro, seed_source: &str) {
        write_summary(
            &mut std::io::stderr().lock(),
            record,
            repro,
            seed_source,
            &self.output,
        );
    }
}

/// [`TerminalReporter::summary`] into `err`, showing output as `output` says.
fn write_summary(
    err: &mut impl Write,
    record: &RunRecord,
    repro: &Repro,
    seed_source: &str,
    output: &OutputSettings,
) {
    let mut failures: Vec<&TestResult> = record
        .results
        .iter()
        .filter(|r| r.outcome.is_failure())
        .collect();
    failures.sort_by_key(|r| (r.shard, r.position));
    let mut shown: Vec<&TestResult> = record
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Ignored)
        .filter(|r| output.display(&r.test, r.outcome.is_failure()).is_final())
        .collect();
    shown.sort_by_key(|r| (r.shard, r.position));
    for r in shown {
        if let Some(block) = output_block(r, !output.no_capture) {
            let _ = write!(err, "{block}");
        }
    }
    let _ = writeln!(err, "\n──────────── summary ────────────");
    write_counts(err, record);
    write_slowest(err, record);
    if !failures.is_empty() {
        // A triaged failure's repro is its finding's (an exact `--order`, which also holds
        // for a victim whose polluter ran in another shard); an untriaged one reruns its
        // shard, which cannot replay state that other shards left in a shared sandbox.
        let found: HashMap<&str, &str> = record
            .findings
            .iter()
            .flatten()
            .map(|f| (f.test.as_str(), f.repro.as_str()))
            .collect();
        let _ = writeln!(
            err,
            "failing tests (repro: an exact command that fails it again; its shard: a rerun of its shard):"
        );
        // With one sandbox for all shards, a shard rerun alone lacks what the other shards left
        // in the run's TMPDIR: say so rather than promise a reproduction.
        let shared_tmp = record.shard_count > 1 && !repro.sandbox_per_shard();
        for r in &failures {
            let id = r.test.id();
            let line = match found.get(id.as_str()) {
                Some(cmd) => format!("repro: {cmd}"),
                None if shared_tmp => format!(
                    "its shard (without what other shards left in the shared TMPDIR; triage, without --no-triage, gives an exact repro): {}",
                    repro.shard_command(r.shard)
                ),
                None => format!("its shard: {}", repro.shard_command(r.shard)),
            };
            let _ = writeln!(
                err,
                "  {:>7} {}\n          {line}",
                r.outcome.label(),
                clean_text(&id),
            );
        }
    }
    write_findings(err, record);
    write_list_errors(err, record);
    if let Some(k) = record.unshuffled {
        let _ = writeln!(err, "{}", unshuffled_note(record, k));
    }
    let _ = writeln!(err, "seed: {} ({})", record.seed, seed_source);
    let _ = writeln!(err, "reproduce this run: {}", record.repro);
}

/// What the summary says of shard `k` of `record`, which kept its tests out of the shuffle.
pub(crate) fn unshuffled_note(record: &RunRecord, k: u32) -> String {
    let n = record.plan.get(k as usize - 1).map_or(0, Vec::len);
    format!(
        "not shuffled: shard {k} ran {} in name order (shuffle = false in the config file)",
        crate::runner::output::count(n, "test")
    )
}

/// A test's output block, each line ending in a newline: a header, with `text` the last
/// [`TERMINAL_OUTPUT_LINES`] lines of its output (the reports keep the head too), and for a
/// failure its reason and its kept sandbox. `None` for a passing test with nothing to show
/// (no output, or `text` off: `--no-capture` showed it live).
fn output_block(r: &TestResult, text: bool) -> Option<String> {
    let failed = r.outcome.is_failure();
    if !failed && (!text || r.output.trim().is_empty()) {
        return None;
    }
    let mut b = format!(
        "\n--- {} {} ---\n",
        r.outcome.label(),
        clean_text(&r.test.id())
    );
    if text {
        // The terminal gets the end of the output (where the panic is).
        let cleaned = clean_text(r.output.trim_end());
        let lines: Vec<&str> = cleaned.lines().collect();
        if lines.len() > TERMINAL_OUTPUT_LINES {
            let _ = writeln!(
                b,
                "[{} earlier lines not shown]",
                lines.len() - TERMINAL_OUTPUT_LINES
            );
        }
        for l in &lines[lines.len().saturating_sub(TERMINAL_OUTPUT_LINES)..] {
            let _ = writeln!(b, "{l}");
        }
    }
    if failed {
        if let Some(m) = &r.message {
            let _ = writeln!(b, "reason: {}", clean_text(m));
        }
        if let Some(dir) = &r.sandbox {
            let _ = writeln!(b, "sandbox kept: {}", dir.display());
        }
    }
    Some(b)
}

/// The counts line: every outcome, what an interrupt stopped or left unrun, the elapsed time.
fn write_counts(err: &mut impl Write, record: &RunRecord) {
    let counts = record.counts();
    let c = |o| counts.get(&o).copied().unwrap_or(0);
    let _ = writeln!(
        err,
        "{} passed, {} failed, {} crashed, {} timed out, {} errors, {} ignored{} in {:.2}s",
        c(Outcome::Passed),
        c(Outcome::Failed),
        c(Outcome::Crashed),
        c(Outcome::TimedOut),
        c(Outcome::Error),
        c(Outcome::Ignored),
        if record.interrupted {
            format!(
                ", {} stopped by the interrupt, {} not run (interrupted)",
                c(Outcome::Interrupted),
                record.not_run()
            )
        } else if record.max_fail_reached {
            format!(
                ", {} stopped, {} not run (--max-fail reached)",
                c(Outcome::Interrupted),
                record.not_run()
            )
        } else {
            String::new()
        },
        record.elapsed.as_secs_f64()
    );
}

/// The five slowest tests that ran (ties by id), if any ran.
fn write_slowest(err: &mut impl Write, record: &RunRecord) {
    let mut slow: Vec<&TestResult> = record.results.iter().filter(|r| r.shard != 0).collect();
    slow.sort_by(|a, b| {
        b.duration
            .cmp(&a.duration)
            .then_with(|| a.test.id_cmp(&b.test))
    });
    if !slow.is_empty() {
        let _ = writeln!(err, "slowest:");
        for r in slow.iter().take(5) {
            let _ = writeln!(
                err,
                "  {:>8.3}s  {}",
                r.duration.as_secs_f64(),
                clean_text(&r.test.id())
            );
        }
    }
}

/// The binaries that could not be listed, each with the first line of its error (naming it and
/// quoting what it printed; the whole error was printed when listing).
fn write_list_errors(err: &mut impl Write, record: &RunRecord) {
    if record.list_errors.is_empty() {
        return;
    }
    let _ = writeln!(
        err,
        "could not be listed, their tests did not run ({}):",
        record.list_errors.len()
    );
    for e in &record.list_errors {
        let first = e.error.lines().next().unwrap_or_default();
        let _ = writeln!(
            err,
            "  {}\n          {}",
            clean_text(&e.binary_id),
            clean_text(first)
        );
    }
}

/// Each triage finding: test, kind, note, cleaners, reruns and its repro command (nothing
/// when triage found nothing or did not run).
fn write_findings(err: &mut impl Write, record: &RunRecord) {
    if let Some(findings) = record.findings.as_ref().filter(|f| !f.is_empty()) {
        let _ = writeln!(err, "findings ({}):", findings.len());
        for f in findings {
            let _ = writeln!(err, "  {} — {}", clean_text(&f.test), f.label());
            let _ = writeln!(err, "      {}", clean_text(&f.note));
            if !f.cleaners.is_empty() {
                let _ = writeln!(
                    err,
                    "      cleaners: {}",
                    clean_text(&f.cleaners.join(", "))
                );
            }
            let _ = writeln!(err, "      reruns: {}", f.reruns);
            let _ = writeln!(err, "      repro: {}", f.repro);
        }
    }
}

impl Reporter for TerminalReporter {
    /// Announces the run and sizes the bar; prints each finished test that was not ignored
    /// (with a bar, only the failures and the tests whose output is shown, above it: the bar
    /// counts the rest), then its output block if its setting is `immediate` or
    /// `immediate-final`; under `--no-capture` each line a test prints, as `[ID] LINE`; clears
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
                let block = self
                    .output
                    .display(&r.test, failed)
                    .is_immediate()
                    .then(|| output_block(r, !self.output.no_capture))
                    .flatten();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::list::TestCase;
    use crate::plan::Plan;
    use crate::plan::seed::Seed;
    use crate::runner::output::OutputDisplay;

    #[test]
    fn a_triaged_failure_prints_its_findings_repro_and_an_untriaged_one_its_shard() {
        let victim = TestCase::new("b", "victim");
        let plain = TestCase::new("b", "plain");
        let plan = Plan::new(
            Seed(3),
            2,
            None,
            vec![victim.clone(), plain.clone()],
            vec![],
        );
        let mut record = RunRecord::new(&plan, 1, "cargo shuffle run --seed 3".into());
        for (t, shard) in [(&victim, 1), (&plain, 2)] {
            record
                .results
                .push(TestResult::new(t.clone(), Outcome::Failed).with_place(shard, 0));
        }
        let mut f = crate::triage::Finding::new_for_tests(
            crate::triage::FindingKind::OdVictim,
            &victim,
            "cargo shuffle run --seed 3 --order 'b polluter' 'b victim'",
        );
        f.polluters = vec!["b polluter".into()];
        record.findings = Some(vec![f]);
        let repro = Repro {
            selection_args: vec![],
            run_args: vec!["--max-fail".into(), "2".into()],
            failure_args: vec![],
            seed: Seed(3),
            shards: 2,
            by_binary: false,
            partition: None,
            reverse: false,
            order: None,
            filters: vec![],
        };
        let mut out = Vec::new();
        write_summary(
            &mut out,
            &record,
            &repro,
            "from --seed",
            &OutputSettings::default(),
        );
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("b victim\n          repro: cargo shuffle run --seed 3 --order 'b polluter' 'b victim'"),
            "{text}"
        );
        // The shards shared one TMPDIR (--sandbox run): a shard rerun is not promised to
        // reproduce, and the line says what it lacks.
        assert!(
            text.contains("b plain\n          its shard (without what other shards left in the shared TMPDIR; triage, without --no-triage, gives an exact repro): cargo shuffle run --seed 3 --shards 2 --shard 2"),
            "{text}"
        );
        // With a sandbox per shard, the shard rerun replays the shard's state.
        let per_shard = Repro {
            selection_args: vec!["--sandbox".into(), "shard".into()],
            ..repro
        };
        let mut out = Vec::new();
        write_summary(
            &mut out,
            &record,
            &per_shard,
            "from --seed",
            &OutputSettings::default(),
        );
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "b plain\n          its shard: cargo shuffle run --sandbox shard --seed 3 --shards 2 --shard 2"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_summary_shows_the_output_the_settings_call_final_in_plan_order() {
        let (pass, fail) = (TestCase::new("b", "pass"), TestCase::new("b", "fail"));
        let plan = Plan::new(Seed(1), 1, None, vec![pass.clone(), fail.clone()], vec![]);
        let mut record = RunRecord::new(&plan, 1, "cargo shuffle run --seed 1".into());
        record.results = vec![
            TestResult::new(fail, Outcome::Failed)
                .with_place(1, 1)
                .with_message(Some("boom".into()))
                .with_output("FAIL_TEXT\n".into(), 10, 0),
            TestResult::new(pass, Outcome::Passed)
                .with_place(1, 0)
                .with_output("PASS_TEXT\n".into(), 10, 0),
        ];
        let repro = Repro {
            selection_args: vec![],
            run_args: vec![],
            failure_args: vec![],
            seed: Seed(1),
            shards: 1,
            by_binary: false,
            partition: None,
            reverse: false,
            order: None,
            filters: vec![],
        };
        let summary = |output: OutputSettings| {
            let mut out = Vec::new();
            write_summary(&mut out, &record, &repro, "from --seed", &output);
            String::from_utf8(out).unwrap()
        };
        // Defaults: failures immediate, passes never: no output in the summary.
        let text = summary(OutputSettings::default());
        assert!(
            !text.contains("FAIL_TEXT") && !text.contains("PASS_TEXT"),
            "{text}"
        );
        let both_final = OutputSettings {
            success: OutputDisplay::Final,
            failure: OutputDisplay::ImmediateFinal,
            ..OutputSettings::default()
        };
        let text = summary(both_final.clone());
        let (p, f) = (
            text.find("PASS_TEXT").unwrap(),
            text.find("FAIL_TEXT").unwrap(),
        );
        assert!(p < f, "plan order: {text}");
        assert!(
            text.contains("--- FAIL b fail ---\nFAIL_TEXT\nreason: boom\n"),
            "{text}"
        );
        assert!(f < text.find("── summary ──").unwrap());
        // --no-capture showed the text live: a failure keeps its reason, a pass shows nothing.
        let text = summary(OutputSettings {
            no_capture: true,
            ..both_final
        });
        assert!(
            !text.contains("_TEXT") && !text.contains("--- PASS"),
            "{text}"
        );
        assert!(
            text.contains("--- FAIL b fail ---\nreason: boom\n"),
            "{text}"
        );
    }
}
