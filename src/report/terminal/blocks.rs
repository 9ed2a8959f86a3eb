//! Tests' output blocks on the terminal: a header line, the end of the captured output and,
//! for a failure, its reason; one per finished test and one per failed `--retries` attempt
//! (`--- TRY 1 FAIL ID ---`), each capped at [`TERMINAL_OUTPUT_LINES`] lines of output.

use crate::events::{Attempt, TestResult};
use crate::runner::output::{OutputSettings, clean_text, terminal_tail};
use std::fmt::Write as _;

/// Lines of a test's output shown on the terminal (its last ones).
pub(super) const TERMINAL_OUTPUT_LINES: usize = 60;
/// At most this many bytes of those lines (one line can be megabytes).
const TERMINAL_OUTPUT_BYTES: usize = 16 * 1024;

/// A test's output block, each line ending in a newline: a header, with `text` the last
/// [`TERMINAL_OUTPUT_LINES`] lines of its output (the reports keep the head too), and for a
/// failure its reason and its kept sandbox. `None` for a passing test with nothing to show
/// (no output, or `text` off: `--no-capture` showed it live).
pub(super) fn output_block(r: &TestResult, text: bool) -> Option<String> {
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
        push_tail(&mut b, &r.output);
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

/// The blocks of the failed `--retries` attempts before `r` (its `previous_attempts`), in
/// order, each headed `--- TRY K OUTCOME ID ---` (K counts from 1) and built like
/// [`output_block`]'s for a failure: the end of its output when `text`, then its reason.
/// Empty when the test was not retried.
pub(super) fn attempt_blocks(r: &TestResult, text: bool) -> String {
    let mut b = String::new();
    for (k, a) in r.previous_attempts.iter().enumerate() {
        b.push_str(&attempt_block(r, k + 1, a, text));
    }
    b
}

/// The block of attempt `try_no` (1-based) of `r`'s test; see [`attempt_blocks`].
fn attempt_block(r: &TestResult, try_no: usize, a: &Attempt, text: bool) -> String {
    let mut b = format!(
        "\n--- TRY {try_no} {} {} ---\n",
        a.outcome.label(),
        clean_text(&r.test.id())
    );
    if text {
        push_tail(&mut b, &a.output);
    }
    if let Some(m) = &a.message {
        let _ = writeln!(b, "reason: {}", clean_text(m));
    }
    b
}

/// Appends the last [`TERMINAL_OUTPUT_LINES`] lines of `output` (control characters cleaned
/// out), at most [`TERMINAL_OUTPUT_BYTES`] of them, to `b`, after a line saying what is left
/// out.
fn push_tail(b: &mut String, output: &str) {
    // The terminal gets the end of the output (where the panic is).
    let cleaned = clean_text(output.trim_end());
    let tail = terminal_tail(&cleaned, TERMINAL_OUTPUT_LINES, TERMINAL_OUTPUT_BYTES);
    if !tail.is_empty() {
        let _ = writeln!(b, "{tail}");
    }
}

/// The blocks `r` shows at `when` (immediate: after its result line; final: in the summary):
/// its failed attempts' when the failure setting of its test says so, then its own when the
/// setting of its outcome does. `None` when there is nothing to show.
pub(super) fn blocks_at(r: &TestResult, output: &OutputSettings, when: When) -> Option<String> {
    let shown = |failure: bool| {
        let d = output.display(&r.test, failure);
        match when {
            When::Immediate => d.is_immediate(),
            When::Final => d.is_final(),
        }
    };
    let text = !output.no_capture;
    let mut b = String::new();
    if !r.previous_attempts.is_empty() && shown(true) {
        b.push_str(&attempt_blocks(r, text));
    }
    if shown(r.outcome.is_failure())
        && let Some(own) = output_block(r, text)
    {
        b.push_str(&own);
    }
    (!b.is_empty()).then_some(b)
}

/// When an output block is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum When {
    /// Right after the test's result line.
    Immediate,
    /// In the summary, before its counts.
    Final,
}
