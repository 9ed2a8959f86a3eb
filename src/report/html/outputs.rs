//! The tests' output on the HTML report: the failing tests, each with its message, its
//! captured output and earlier attempts, and the passing tests whose output the run kept
//! (`--success-output` other than `never`, `--junit-store-success-output`), within a budget.
//! Each entry is a `<details id="t{N}">` that a timeline bar links to and whose output a click
//! on the bar pins under the timeline. All of it reads without JavaScript; every text goes
//! through [`text`].

use super::escape::text;
use super::timeline::{Group, ListedBar, Timeline};
use crate::events::{Outcome, TestResult};
use crate::report::record::RunRecord;
use std::fmt::Write as _;

/// Bytes of a failing test's captured output the page keeps from its start, and from its end
/// (where the panic is); the rest is marked as not kept, as the runner's own cap does (the
/// JUnit report has up to the runner's cap).
const HTML_HEAD: usize = 8 * 1024;
/// See [`HTML_HEAD`].
const HTML_TAIL: usize = 24 * 1024;
/// Bytes of failing tests' entries shown with [`HTML_HEAD`] + [`HTML_TAIL`] of output each;
/// the entries after them get only the last [`FAIL_TAIL_PAST_BUDGET`] bytes.
pub(super) const FAIL_BUDGET: usize = 1024 * 1024;
/// See [`FAIL_BUDGET`].
pub(super) const FAIL_TAIL_PAST_BUDGET: usize = 1024;
/// The same for a passing test (there can be thousands).
const PASS_HEAD: usize = 1024;
/// See [`PASS_HEAD`].
const PASS_TAIL: usize = 3 * 1024;
/// Bytes of passing tests' entries one page shows (then one more at most: a 10 000-test page
/// stays under 2 MB); the entries after that are counted, not shown.
pub(super) const PASS_BUDGET: usize = 512 * 1024;

/// `output` as the page shows it: at most `caps` (head, tail) bytes, escaped, with a
/// marker where bytes were left out that counts them against `total`, the bytes the test
/// wrote (`output` is what the runner kept of them: its own marker, in the middle, is among
/// the bytes left out here, so the count must come from the total, not from `output`).
fn output_text(output: &str, total: u64, caps: (usize, usize)) -> String {
    if output.len() <= caps.0 + caps.1 {
        return text(output);
    }
    let head = output.floor_char_boundary(caps.0);
    let tail = output.ceil_char_boundary(output.len() - caps.1);
    let shown = head + (output.len() - tail);
    let left_out = total.max(output.len() as u64) - shown as u64;
    format!(
        "{}\n[cargo-shuffle: {left_out} bytes of output not shown here; showing the first {head} and the last {} bytes; the JUnit report has all the runner kept]\n{}",
        text(&output[..head]),
        output.len() - tail,
        text(&output[tail..])
    )
}

/// One bar's entry, of `class` (`failure`, `passing`): what, where, its message, its output
/// (at most `caps` bytes of its head and tail) and earlier attempts.
fn entry(b: &ListedBar<'_>, group: &Group<'_>, class: &str, caps: (usize, usize)) -> String {
    let r: &TestResult = b.result;
    let mut h = format!(
        "<details class=\"{class}\" id=\"t{}\"><summary><span class=\"chip o-{}\">{}</span> <code>{}</code> <span class=\"dim\">{:.1} ms · shard {}, position {}{}{}{}{}</span></summary>",
        b.index,
        r.outcome.name(),
        r.outcome.name(),
        text(&r.test.id()),
        r.duration.as_secs_f64() * 1000.0,
        r.shard,
        r.position,
        if r.worker > 0 {
            format!(", worker {}", r.worker)
        } else {
            String::new()
        },
        if group.label.is_empty() {
            String::new()
        } else {
            format!(" · {}", text(&group.label))
        },
        if r.quarantined {
            " · quarantined by the baseline"
        } else {
            ""
        },
        if r.slow {
            " · SLOW (longer than its slow-timeout)"
        } else {
            ""
        }
    );
    if let Some(m) = &r.message {
        let _ = write!(h, "<p class=\"msg\">{}</p>", text(m));
    }
    if r.output.is_empty() {
        let _ = write!(
            h,
            "<p class=\"dim\">{}</p>",
            if r.output_bytes > 0 {
                "Its output is not on this page: a passing test's is kept only with --success-output or --junit-store-success-output, and a merge of JSON records alone has none (merge the partitions' JUnit files too)."
            } else {
                "It printed nothing."
            }
        );
    } else {
        let _ = write!(
            h,
            "<pre>{}</pre>",
            output_text(&r.output, r.output_bytes, caps)
        );
    }
    for (k, a) in r.previous_attempts.iter().enumerate() {
        let _ = write!(
            h,
            "<p>attempt {}: <span class=\"chip o-{}\">{}</span> {:.1} ms{}</p>",
            k + 1,
            a.outcome.name(),
            a.outcome.name(),
            a.duration_ms,
            a.message
                .as_deref()
                .map_or(String::new(), |m| format!(" — {}", text(m)))
        );
        if !a.output.is_empty() {
            let _ = write!(
                h,
                "<pre>{}</pre>",
                output_text(&a.output, a.output.len() as u64, caps)
            );
        }
    }
    h.push_str("</details>");
    h
}

/// The failing tests with their output, in the order drawn (group by group, lane by lane).
pub(super) fn failures(r: &RunRecord, groups: &[Group<'_>], tl: &Timeline<'_>) -> String {
    let ignored = r
        .results
        .iter()
        .filter(|t| t.outcome == Outcome::Ignored)
        .count();
    let mut h = format!(
        "<section id=\"failures\"><h2>Failing tests ({})</h2>",
        tl.failing.len()
    );
    if tl.failing.is_empty() {
        h.push_str("<p>None.</p>");
    }
    // Within the page's budget each failure's output is cut to its head and tail; past it,
    // to its last KiB (where the panic is), so a run with a thousand failing tests still
    // gives a page a browser opens.
    let mut shown = 0;
    let mut cut = 0;
    for b in &tl.failing {
        let caps = if shown < FAIL_BUDGET {
            (HTML_HEAD, HTML_TAIL)
        } else {
            cut += 1;
            (0, FAIL_TAIL_PAST_BUDGET)
        };
        let e = entry(b, &groups[b.group], "failure", caps);
        shown += e.len();
        h.push_str(&e);
    }
    if cut > 0 {
        let _ = write!(
            h,
            "<p class=\"dim\">The last {} failing tests' output is cut to its last {} KiB: the page shows at most about {} KiB of failures in full; the JUnit report has all the runner kept.</p>",
            cut,
            FAIL_TAIL_PAST_BUDGET / 1024,
            FAIL_BUDGET / 1024
        );
    }
    if ignored > 0 {
        let _ = write!(
            h,
            "<p class=\"dim\">{ignored} ignored tests are not on the timeline.</p>"
        );
    }
    h.push_str("</section>\n");
    h
}

/// The tests that passed only on a retry, each with its failed attempts and their output (cut
/// like a failure's): flaky, so they fail the gate (exit 105) unless `--allow-flaky`; empty
/// when none.
pub(super) fn flaky(groups: &[Group<'_>], tl: &Timeline<'_>) -> String {
    if tl.flaky.is_empty() {
        return String::new();
    }
    let mut h = format!(
        r#"<section id="flaky"><h2>Flaky tests ({})</h2><p class="dim">Passed only on a retry (<code>--retries</code>): NOD-flaky, which fails the gate unless <code>--allow-flaky</code>. Each failed attempt is listed with its output.</p>"#,
        tl.flaky.len()
    );
    for b in &tl.flaky {
        h.push_str(&entry(b, &groups[b.group], "flaky", (HTML_HEAD, HTML_TAIL)));
    }
    h.push_str("</section>\n");
    h
}

/// The passing tests whose output the run kept, in the order drawn, each cut to
/// [`PASS_HEAD`] + [`PASS_TAIL`] bytes, until [`PASS_BUDGET`] bytes of entries are shown;
/// empty when none.
pub(super) fn passing(groups: &[Group<'_>], tl: &Timeline<'_>) -> String {
    if tl.passing_output.is_empty() {
        return String::new();
    }
    let mut h = format!(
        "<section id=\"passing-output\"><h2>Output of passing tests ({})</h2><p class=\"dim\">Kept because the run shows or stores passing tests' output (<code>--success-output</code>, <code>--junit-store-success-output</code>); a click on a bar shows it too.</p>",
        tl.passing_output.len()
    );
    let mut shown = 0;
    let mut left = 0;
    for b in &tl.passing_output {
        if shown >= PASS_BUDGET {
            left += 1;
            continue;
        }
        let e = entry(b, &groups[b.group], "passing", (PASS_HEAD, PASS_TAIL));
        shown += e.len();
        h.push_str(&e);
    }
    if left > 0 {
        let _ = write!(
            h,
            "<p class=\"dim\">{left} more passing tests' output is not on this page (at most {} KiB of it is): the JUnit report has it with <code>--junit-store-success-output</code>.</p>",
            PASS_BUDGET / 1024
        );
    }
    h.push_str("</section>\n");
    h
}
