//! What a test's process says about the test, in process isolation: the [`Outcome`] and the
//! one-paragraph message of `<bin> --exact NAME --nocapture`, read from libtest's output (see
//! [`transcript`](crate::runner::transcript)) and the exit status, plus the runner's own rules
//! (timeout, `--fail-leaky`). The rules are in `docs/execution.md`, "What counts as a pass".

use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::runner::options::ExecOptions;
use crate::runner::output::failure_message;
use crate::runner::process::{self, ProcessResult};
use crate::runner::transcript::{self, Block};
use std::os::unix::process::ExitStatusExt;

/// The outcome and message of test `name` whose process ran to its end (not interrupted):
/// libtest's verdict (see [`classify`]), a timeout worded with `--timeout`, and a leaky pass
/// turned into a failure under `--fail-leaky`.
pub(crate) fn verdict(
    r: &ProcessResult,
    opts: &ExecOptions,
    name: &str,
) -> (Outcome, Option<String>) {
    let (mut outcome, mut message) = classify(r, name);
    if outcome == Outcome::TimedOut {
        message = Some(format!(
            "timed out after {:.1}s (--timeout); killed",
            opts.timeout.unwrap_or_default().as_secs_f64()
        ));
    }
    if r.leaked && outcome == Outcome::Passed && opts.fail_leaky {
        outcome = Outcome::Failed;
        message = Some(format!(
            "leaky: a process it started still held its output {} ms after it exited (--fail-leaky)",
            opts.leak_timeout.as_millis()
        ));
    }
    (outcome, message)
}

/// Interprets libtest's output and the exit status of `<bin> --exact NAME --nocapture`.
fn classify(r: &ProcessResult, name: &str) -> (Outcome, Option<String>) {
    let text = || r.output.to_text();
    if r.timed_out {
        return (Outcome::TimedOut, None);
    }
    if let Some(sig) = r.status.signal() {
        let mut msg = format!("killed by {}", process::signal_name(sig));
        if let Some(p) = failure_message(&text(), false) {
            msg = format!("{msg} after panic: {p}");
        }
        return (Outcome::Crashed, Some(msg));
    }
    let text = text();
    let blocks = transcript::blocks(&text);
    match r.status.code() {
        Some(0) => match misreport(&blocks, name) {
            Some(e) => (Outcome::Error, Some(e)),
            None => classify_exit_zero(&blocks[0], name),
        },
        Some(code) => classify_failure(&blocks, name, code, &text),
        None => (Outcome::Error, Some("unknown exit status".into())),
    }
}

/// `name` in backquotes, for messages.
fn q(name: &str) -> String {
    format!("`{name}`")
}

/// Why the harness's output is not a report on `name` alone, whatever the exit code: no
/// `running` header, a header for other than 1 test, several blocks, or a result line naming
/// another test. `None` when the output has the one block of one test that libtest prints and
/// any result line in it names `name`.
fn misreport(blocks: &[Block], name: &str) -> Option<String> {
    let reported: Vec<String> = blocks
        .iter()
        .filter_map(|b| b.reported(name))
        .map(|r| q(&r.name))
        .collect();
    let saying = |what: &str| {
        if reported.is_empty() {
            what.to_string()
        } else {
            format!("{what}; it reported {}", reported.join(", "))
        }
    };
    let Some(first) = blocks.first() else {
        return Some(format!(
            "asked for {}, the harness printed no `running 1 test` line: it did not confirm that it ran this test",
            q(name)
        ));
    };
    let Some(n) = first.header else {
        return Some(saying(&format!(
            "asked for {}, the harness printed a `test result:` line before any `running 1 test` line",
            q(name)
        )));
    };
    if n != 1 {
        return Some(saying(&format!(
            "asked for {} alone (--exact), the harness ran {n} tests instead of 1; is the name exact and the harness libtest-compatible?",
            q(name)
        )));
    }
    if blocks.len() > 1 {
        return Some(saying(&format!(
            "asked for {} alone (--exact), the harness printed {} result blocks (`running …` to `test result: …`) instead of 1",
            q(name),
            blocks.len()
        )));
    }
    match first.reported(name) {
        Some(r) if r.name != name => Some(format!(
            "asked for {}, the harness reported {} instead (`test {} ... {}`)",
            q(name),
            q(&r.name),
            r.name,
            r.verdict.as_deref().unwrap_or("")
        )),
        _ => None,
    }
}

/// Exit code 0, one block naming no other test: a pass only if libtest ran exactly this test
/// once, printed its `ok` and closed with `test result: ok. 1 passed; 0 failed`.
fn classify_exit_zero(block: &Block, name: &str) -> (Outcome, Option<String>) {
    let error = |m: String| (Outcome::Error, Some(m));
    if block.summary.is_none() {
        // libtest's closing line proves the test body returned; a test that calls
        // `process::exit(0)` never gets there.
        return error("exit code 0 but libtest never reported a result (`test result: ok. 1 passed`): did the test call std::process::exit?".into());
    }
    let Some(reported) = block.reported(name) else {
        return error(format!(
            "exit code 0 and a `test result:` line, but no `test {name} ... ok` line: the harness did not say which test passed"
        ));
    };
    let times = block.times_named(name);
    if times > 1 {
        return error(format!(
            "the harness reported {} {times} times for one --exact run",
            q(name)
        ));
    }
    let verdict_ok = reported.verdict.as_deref().is_none_or(|v| v == "ok");
    if !verdict_ok || !block.one_passed() {
        return error(format!(
            "exit code 0 but libtest did not report a pass of {}: `test {name} ... {}`, `{}`",
            q(name),
            reported.verdict.as_deref().unwrap_or("…"),
            block.summary.as_deref().unwrap_or_default()
        ));
    }
    (Outcome::Passed, None)
}

/// A non-zero exit `code`. A failure when the one block's result line (if any) names `name`
/// with `FAILED`, or when libtest never got to a result (the test ended its process); an error
/// when the harness reported another test, several, none, or a pass.
fn classify_failure(
    blocks: &[Block],
    name: &str,
    code: i32,
    text: &str,
) -> (Outcome, Option<String>) {
    if let Some(e) = misreport(blocks, name) {
        return (Outcome::Error, Some(format!("{e} (exit code {code})")));
    }
    let block = &blocks[0];
    let reported = block.reported(name);
    if block.summary.is_some() {
        let failed = match &reported {
            Some(r) => {
                r.verdict.as_deref().unwrap_or("FAILED") == "FAILED" && block.summary_failed()
            }
            None => false,
        };
        if !failed {
            return (
                Outcome::Error,
                Some(format!(
                    "exit code {code}, but libtest's output does not report {} failed (`{}`, `{}`)",
                    q(name),
                    reported
                        .map(|r| format!("test {} ... {}", r.name, r.verdict.unwrap_or_default()))
                        .unwrap_or_else(|| format!("no `test {name} ... FAILED` line")),
                    block.summary.as_deref().unwrap_or_default()
                )),
            );
        }
    }
    let msg = failure_message(text, code == 101).unwrap_or_else(|| format!("exit code {code}"));
    (Outcome::Failed, Some(msg))
}

/// A test stopped by the runner because of an interrupt: its outcome says nothing about the
/// test's correctness, but which test was running (and its output) matters.
pub(crate) fn interrupted_verdict(p: &ProcessResult, reason: &str) -> (Outcome, Option<String>) {
    (
        Outcome::Interrupted,
        Some(format!(
            "still running after {:.1}s {reason}; stopped",
            p.duration.as_secs_f64()
        )),
    )
}

/// The result of `test` from its process `p`: outcome, message, output and, unless it was
/// interrupted, how the process ended.
pub(crate) fn finished(
    test: &TestCase,
    outcome: Outcome,
    message: Option<String>,
    p: &ProcessResult,
) -> TestResult {
    let mut r = TestResult::new(test.clone(), outcome)
        .with_message(message)
        .with_output(p.output.to_text(), p.output.total, p.output.dropped_bytes());
    if !p.interrupted {
        r = r.with_exit(
            p.status.code(),
            p.status.signal().map(process::signal_name),
            p.leaked,
        );
    }
    r
}
