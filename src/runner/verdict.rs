//! What a test's process says about the test, in process isolation: the [`Outcome`] and the
//! one-paragraph message of `<bin> --exact NAME --nocapture`, read from libtest's output and
//! the exit status, plus the runner's own rules (timeout, `--fail-leaky`).

use crate::events::Outcome;
use crate::runner::options::ExecOptions;
use crate::runner::output::{CapturedOutput, failure_message};
use crate::runner::process::{self, ProcessResult};
use std::os::unix::process::ExitStatusExt;

/// The outcome and message of a test whose process ran to its end (not interrupted): libtest's
/// verdict (see [`classify`]), a timeout worded with `--timeout`, and a leaky pass turned into a
/// failure under `--fail-leaky`.
pub(crate) fn verdict(r: &ProcessResult, opts: &ExecOptions) -> (Outcome, Option<String>) {
    let (mut outcome, mut message) = classify(r);
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

/// Whether libtest's summary says exactly one test passed. Looks at the end of the output,
/// where libtest prints it (the tail is always kept, however much the test printed).
fn confirmed_pass(out: &CapturedOutput) -> bool {
    let last = out.last_bytes(4096);
    String::from_utf8_lossy(&last)
        .lines()
        .rev()
        .take(8)
        .any(|l| l.starts_with("test result: ok. 1 passed;"))
}

/// The number in libtest's `running N test(s)` line, from the head of the output.
fn tests_run(out: &CapturedOutput) -> Option<u64> {
    let head = String::from_utf8_lossy(out.head());
    head.lines()
        .find_map(|l| {
            l.strip_prefix("running ")
                .and_then(|n| n.strip_suffix(" test").or(n.strip_suffix(" tests")))
        })
        .and_then(|n| n.trim().parse::<u64>().ok())
}

/// Interprets libtest's output and the exit status of `<bin> --exact NAME --nocapture`.
fn classify(r: &ProcessResult) -> (Outcome, Option<String>) {
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
    match r.status.code() {
        Some(0) => classify_exit_zero(r),
        Some(code) => {
            let msg = failure_message(&text(), code == 101)
                .unwrap_or_else(|| format!("exit code {code}"));
            (Outcome::Failed, Some(msg))
        }
        None => (Outcome::Error, Some("unknown exit status".into())),
    }
}

/// Exit code 0 is a pass only if libtest ran exactly one test and printed its closing line.
fn classify_exit_zero(r: &ProcessResult) -> (Outcome, Option<String>) {
    match tests_run(&r.output) {
        // libtest's closing line proves the test body returned; a test that calls
        // `process::exit(0)` never gets there.
        Some(1) if confirmed_pass(&r.output) => (Outcome::Passed, None),
        Some(1) => (
            Outcome::Error,
            Some("exit code 0 but libtest never reported a result (`test result: ok. 1 passed`): did the test call std::process::exit?".into()),
        ),
        Some(n) => (
            Outcome::Error,
            Some(format!(
                "the test binary ran {n} tests for an --exact filter instead of 1; is the name exact and the harness libtest-compatible?"
            )),
        ),
        None => (
            Outcome::Error,
            Some("exit code 0 but no `running 1 test` line: the harness did not confirm that it ran this test".into()),
        ),
    }
}
