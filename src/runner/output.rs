//! Captured test output: a bounded buffer that keeps the head and the tail of what a test
//! printed (so memory stays bounded however much it prints), plus the text clean-ups that make
//! output safe for a terminal and for XML, extraction of the failure message, where a test's
//! output is shown ([`OutputSettings`]: `--success-output`, `--failure-output`,
//! `--junit-store-success-output`, `--no-capture`), and the line splitter that streams output
//! live under `--no-capture` ([`LiveLines`]).

use crate::discover::list::TestCase;
use std::fmt::Write as _;
use std::sync::Arc;
/// Default number of bytes kept from the start of a test's output.
pub(crate) const DEFAULT_HEAD: usize = 64 * 1024;
/// Default number of bytes kept from the end of a test's output (where panics are).
pub(crate) const DEFAULT_TAIL: usize = 192 * 1024;

/// What a test printed (stdout and stderr through one pipe, so in their true interleaving),
/// capped at `head_cap + tail_cap` bytes; `dropped` counts the bytes in between that were not
/// kept.
#[derive(Clone, Debug, Default)]
pub(crate) struct CapturedOutput {
    /// The first `head_cap` bytes.
    head: Vec<u8>,
    /// The latest bytes after the head: up to twice `tail_cap` between batch trims.
    tail: Vec<u8>,
    /// Bytes kept from the start.
    head_cap: usize,
    /// Bytes kept from the end.
    tail_cap: usize,
    /// Total bytes the test wrote, kept or not.
    pub(crate) total: u64,
    /// Bytes trimmed from between head and tail so far (see [`CapturedOutput::dropped_bytes`]
    /// for the full count).
    pub(crate) dropped: u64,
}

impl CapturedOutput {
    /// An empty buffer keeping at most `head_cap` leading and `tail_cap` trailing bytes.
    pub(crate) fn new(head_cap: usize, tail_cap: usize) -> CapturedOutput {
        CapturedOutput {
            head_cap,
            tail_cap,
            ..Default::default()
        }
    }

    /// Appends bytes as they arrive from the pipe.
    pub(crate) fn push(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        if self.head.len() < self.head_cap {
            let n = (self.head_cap - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        if data.len() >= self.tail_cap {
            self.dropped += (self.tail.len() + data.len() - self.tail_cap) as u64;
            self.tail.clear();
            self.tail
                .extend_from_slice(&data[data.len() - self.tail_cap..]);
            return;
        }
        self.tail.extend_from_slice(data);
        // Trim in batches (when twice the cap) so that trimming stays amortised O(1) per byte.
        if self.tail.len() > 2 * self.tail_cap.max(1) {
            let excess = self.tail.len() - self.tail_cap;
            self.tail.drain(..excess);
            self.dropped += excess as u64;
        }
    }

    /// The last `tail_cap` bytes of the tail (the slack a batch trim has not removed yet is
    /// not kept).
    fn tail_kept(&self) -> &[u8] {
        let start = self.tail.len().saturating_sub(self.tail_cap);
        &self.tail[start..]
    }

    /// Bytes not kept, counting the batch-trim slack.
    pub(crate) fn dropped_bytes(&self) -> u64 {
        self.dropped + (self.tail.len() - self.tail_kept().len()) as u64
    }

    /// The kept output as text: invalid UTF-8 replaced, with a visible marker where bytes were
    /// dropped. Not yet cleaned of escapes: see [`clean_text`].
    pub(crate) fn to_text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        let dropped = self.dropped_bytes();
        if dropped > 0 {
            let _ = write!(
                s,
                "\n[cargo-shuffle: {dropped} bytes of output not kept; showing the first {} and the last {} bytes]\n",
                self.head.len(),
                self.tail_kept().len()
            );
        }
        s.push_str(&String::from_utf8_lossy(self.tail_kept()));
        s
    }
}

/// Removes ANSI escape sequences and the control characters that XML 1.0 forbids or that would
/// upset a terminal (everything below U+0020 except tab, newline and carriage return, plus
/// U+007F, U+FFFE and U+FFFF). Safe for both terminal and JUnit output.
///
/// Our own small scanner rather than `strip-ansi-escapes`, which also deletes tabs.
/// Sequences: CSI (`ESC [` params final-byte), OSC (`ESC ]` … BEL or `ESC \`), and two-byte
/// `ESC X`; an unfinished sequence at the end is dropped.
pub(crate) fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.next() {
                Some('[') => {
                    // Parameter and intermediate bytes, then one final byte in 0x40..=0x7e.
                    // A byte outside 0x20..=0x7e (e.g. a newline) ends a malformed sequence
                    // and is kept.
                    while let Some(&n) = chars.peek() {
                        if !('\x20'..='\x7e').contains(&n) {
                            break;
                        }
                        chars.next();
                        if ('\x40'..='\x7e').contains(&n) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(n) = chars.next() {
                        if n == '\x07' || (n == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        if !matches!(c, '\x00'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\x7f' | '\u{fffe}' | '\u{ffff}')
        {
            out.push(c);
        }
    }
    out
}

/// Why a failed Rust test failed, from its output: libtest's own verdict on a `#[should_panic]`
/// test (`test did not panic as expected …`, `panic did not contain expected string …`, with or
/// without its `note: ` prefix) first, else the last `thread '…' panicked at …` block with its
/// message lines (up to a `note:` line or a blank line), else, when `libtest_failed` says
/// libtest reported the test failed (exit code 101, or a `failed` event), the `Error: …` line
/// a test returning `Err` prints. `None` if none of these is visible.
pub(crate) fn failure_message(text: &str, libtest_failed: bool) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let note = |l: &str| l.strip_prefix("note: ").unwrap_or(l).to_string();
    if let Some(l) = lines
        .iter()
        .rev()
        .find(|l| note(l).starts_with("test did not panic as expected"))
    {
        return Some(format!("{} (#[should_panic])", note(l)));
    }
    if let Some(i) = lines
        .iter()
        .rposition(|l| note(l).starts_with("panic did not contain expected string"))
    {
        let detail: Vec<&str> = lines[i + 1..]
            .iter()
            .take(2)
            .map(|l| l.trim())
            .filter(|l| l.starts_with("panic message:") || l.starts_with("expected substring:"))
            .collect();
        return Some(format!(
            "panic did not contain the #[should_panic] expected string; {}",
            detail.join(", ")
        ));
    }
    let Some(start) = lines
        .iter()
        .rposition(|l| l.starts_with("thread '") && l.contains(" panicked at "))
    else {
        // A test returning `Err(e)` makes libtest print `Error: {e:?}` instead of a panic; a
        // line like that from a test that failed otherwise (say, `process::exit(3)`) is output.
        return lines
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("Error: "))
            .filter(|_| libtest_failed)
            .map(|e| format!("the test returned Err: {e}"));
    };
    let mut msg: Vec<&str> = Vec::new();
    let first = lines[start];
    // Older toolchains: `thread 'x' panicked at 'msg', src/lib.rs:1:2` on one line.
    let location = first.split(" panicked at ").nth(1).unwrap_or("");
    for l in &lines[start + 1..] {
        if l.is_empty() || l.starts_with("note: ") || l.starts_with("stack backtrace:") {
            break;
        }
        msg.push(l);
        if msg.len() >= 20 {
            break;
        }
    }
    let body = msg.join("\n");
    Some(if body.is_empty() {
        location.to_string()
    } else {
        format!("{body} (at {})", location.trim_end_matches(':'))
    })
}

/// When a test's captured output is shown on the terminal (nextest's `--success-output` /
/// `--failure-output` values): as its result arrives, in the summary at the end, both, or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutputDisplay {
    /// Right after the test's result line.
    Immediate,
    /// In the summary at the end of the run.
    Final,
    /// Both right away and in the summary.
    ImmediateFinal,
    /// Not on the terminal (the reports still get it as their settings say).
    Never,
}

impl OutputDisplay {
    /// Shown when the result arrives (`immediate`, `immediate-final`).
    pub(crate) fn is_immediate(self) -> bool {
        matches!(
            self,
            OutputDisplay::Immediate | OutputDisplay::ImmediateFinal
        )
    }

    /// Shown in the summary (`final`, `immediate-final`).
    pub(crate) fn is_final(self) -> bool {
        matches!(self, OutputDisplay::Final | OutputDisplay::ImmediateFinal)
    }
}

/// A per-test change of the output settings: an override of the config file that sets
/// `success-output` or `failure-output`. `applies` says whether a test is one of the
/// override's (its filterset); the first override that applies and sets a value wins, as in
/// nextest.
#[derive(Clone)]
pub(crate) struct OutputOverride {
    /// Whether this override is about `test`.
    pub(crate) applies: Arc<dyn Fn(&TestCase) -> bool + Send + Sync>,
    /// `success-output` for its tests; `None` = leave it to later overrides or the profile.
    pub(crate) success: Option<OutputDisplay>,
    /// `failure-output` for its tests; `None` = leave it.
    pub(crate) failure: Option<OutputDisplay>,
}

impl std::fmt::Debug for OutputOverride {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputOverride")
            .field("success", &self.success)
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

/// Where tests' output goes (validated from `--success-output`, `--failure-output`,
/// `--junit-store-success-output`, `--no-capture` and the profile's keys): the terminal
/// reporter reads the display settings, JUnit `junit_store_success`, the runner whether to keep
/// a passing test's output at all and whether to stream it live.
#[derive(Clone, Debug)]
pub(crate) struct OutputSettings {
    /// Passing tests (default [`OutputDisplay::Never`], as nextest).
    pub(crate) success: OutputDisplay,
    /// Failing tests: failed, crashed, timed out, error, interrupted (default
    /// [`OutputDisplay::Immediate`], as nextest).
    pub(crate) failure: OutputDisplay,
    /// A passing test's output also goes to JUnit `<system-out>` (a failing test's always
    /// does).
    pub(crate) junit_store_success: bool,
    /// `--no-capture`: every line a test prints is streamed to the terminal as it comes,
    /// prefixed with the test's id; the terminal then does not print captured output again.
    pub(crate) no_capture: bool,
    /// Per-test overrides, in order: the config file's, without the settings a flag gave.
    pub(crate) overrides: Vec<OutputOverride>,
}

impl Default for OutputSettings {
    fn default() -> OutputSettings {
        OutputSettings {
            success: OutputDisplay::Never,
            failure: OutputDisplay::Immediate,
            junit_store_success: false,
            no_capture: false,
            overrides: Vec::new(),
        }
    }
}

impl OutputSettings {
    /// `(success, failure)` display for `test`: the first override that applies and sets each,
    /// else the run's setting.
    pub(crate) fn for_test(&self, test: &TestCase) -> (OutputDisplay, OutputDisplay) {
        let applying = || self.overrides.iter().filter(|o| (o.applies)(test));
        (
            applying().find_map(|o| o.success).unwrap_or(self.success),
            applying().find_map(|o| o.failure).unwrap_or(self.failure),
        )
    }

    /// How the output of `test`, which ended failing or not, is shown on the terminal.
    pub(crate) fn display(&self, test: &TestCase, failed: bool) -> OutputDisplay {
        let (success, failure) = self.for_test(test);
        if failed { failure } else { success }
    }

    /// Whether a passing `test`'s output is kept at all (it costs memory until the run's
    /// reports are written): when the terminal shows it or JUnit stores it.
    pub(crate) fn keeps_success_output(&self, test: &TestCase) -> bool {
        self.junit_store_success || self.for_test(test).0 != OutputDisplay::Never
    }

    /// Whether some passing test's output may be kept (shared isolation then asks libtest for
    /// passing tests' output with `--show-output`).
    pub(crate) fn may_keep_success_output(&self) -> bool {
        self.junit_store_success
            || self.success != OutputDisplay::Never
            || self
                .overrides
                .iter()
                .any(|o| o.success.is_some_and(|d| d != OutputDisplay::Never))
    }
}

/// Where `--no-capture` sends each line a running test prints: the test and the line (without
/// newline). Set only for the run itself, never for triage reruns.
pub(crate) type LiveSink<'a> = dyn Fn(&TestCase, &str) + Sync + 'a;

/// Splits a test's output into lines as it arrives, for `--no-capture`: each complete line
/// goes to the sink at once; a last line without newline when the test ends
/// ([`LiveLines::finish`]). A line longer than [`LIVE_LINE_CAP`] is passed on in pieces.
pub(crate) struct LiveLines<'s> {
    /// The bytes after the last newline.
    partial: Vec<u8>,
    /// Gets each line, without its newline, lossily decoded.
    sink: &'s mut dyn FnMut(&str),
}

/// Longest piece of a line held back waiting for its newline, bytes.
pub(crate) const LIVE_LINE_CAP: usize = 64 * 1024;

impl<'s> LiveLines<'s> {
    /// A splitter handing lines to `sink`.
    pub(crate) fn new(sink: &'s mut dyn FnMut(&str)) -> LiveLines<'s> {
        LiveLines {
            partial: Vec::new(),
            sink,
        }
    }

    /// Takes the next bytes of output.
    pub(crate) fn push(&mut self, mut data: &[u8]) {
        while let Some(i) = memchr::memchr(b'\n', data) {
            self.partial.extend_from_slice(&data[..i]);
            self.emit();
            data = &data[i + 1..];
        }
        self.partial.extend_from_slice(data);
        if self.partial.len() >= LIVE_LINE_CAP {
            self.emit();
        }
    }

    /// Passes on what is left (a last line without newline).
    pub(crate) fn finish(&mut self) {
        if !self.partial.is_empty() {
            self.emit();
        }
    }

    /// Hands the held bytes to the sink as one line (a `\r` before the newline dropped).
    fn emit(&mut self) {
        let bytes = std::mem::take(&mut self.partial);
        let line = String::from_utf8_lossy(&bytes);
        (self.sink)(line.strip_suffix('\r').unwrap_or(&line));
    }
}

/// The end of `text` as the terminal shows it: its last `max_lines` lines, and of those at
/// most the last `max_bytes` bytes (cut at a character boundary: one 10 MB line must not
/// flood the terminal), after a line saying what was left out.
pub(crate) fn terminal_tail(text: &str, max_lines: usize, max_bytes: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let shown = &lines[lines.len().saturating_sub(max_lines)..];
    let mut tail = shown.join("\n");
    let mut notes = Vec::new();
    if lines.len() > shown.len() {
        notes.push(format!("{} earlier lines", lines.len() - shown.len()));
    }
    if tail.len() > max_bytes {
        let cut = tail.ceil_char_boundary(tail.len() - max_bytes);
        notes.push(if notes.is_empty() {
            format!("the first {cut} bytes")
        } else {
            format!("the first {cut} bytes of the rest")
        });
        tail.drain(..cut);
    }
    if notes.is_empty() {
        tail
    } else {
        format!(
            "[{} not shown; the JUnit report has them]\n{tail}",
            notes.join(" and ")
        )
    }
}

/// `n` and `noun`, plural unless `n` is 1: `1 test`, `2 tests`, `0 shards`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A borrowed [`LiveSink`] (its own type so that the runner can derive `Debug`).
#[derive(Clone, Copy)]
pub(crate) struct Live<'a>(pub(crate) &'a LiveSink<'a>);

impl std::fmt::Debug for Live<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Live(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_gets_the_last_lines_and_at_most_so_many_bytes_of_them() {
        assert_eq!(terminal_tail("a\nb\nc", 5, 100), "a\nb\nc");
        assert_eq!(
            terminal_tail("a\nb\nc", 2, 100),
            "[1 earlier lines not shown; the JUnit report has them]\nb\nc"
        );
        // One huge line: only its end, cut on a character boundary.
        let huge = format!("start{}end", "é".repeat(10_000));
        let t = terminal_tail(&format!("x\n{huge}\npanic"), 60, 11);
        assert_eq!(
            t,
            "[the first 20005 bytes not shown; the JUnit report has them]\néend\npanic"
        );
        let t = terminal_tail(&format!("x\n{huge}\npanic"), 2, 12);
        assert!(
            t.starts_with("[1 earlier lines and the first 20003 bytes of the rest not shown;")
                && t.ends_with("]\néend\npanic"),
            "{t}"
        );
    }

    #[test]
    fn counts_are_plural_unless_one() {
        assert_eq!(count(1, "test"), "1 test");
        assert_eq!(count(0, "shard"), "0 shards");
        assert_eq!(count(8, "worker"), "8 workers");
    }

    #[test]
    fn output_display_defaults_overrides_and_keeping() {
        let t = TestCase::new("b", "t");
        let other = TestCase::new("b", "other");
        let mut s = OutputSettings::default();
        assert_eq!(s.display(&t, true), OutputDisplay::Immediate);
        assert_eq!(s.display(&t, false), OutputDisplay::Never);
        assert!(!s.keeps_success_output(&t));
        s.overrides.push(OutputOverride {
            applies: Arc::new(|t: &TestCase| t.name == "t"),
            success: Some(OutputDisplay::Final),
            failure: None,
        });
        s.overrides.push(OutputOverride {
            applies: Arc::new(|_: &TestCase| true),
            success: Some(OutputDisplay::Immediate),
            failure: Some(OutputDisplay::Never),
        });
        assert_eq!(s.for_test(&t), (OutputDisplay::Final, OutputDisplay::Never));
        assert_eq!(
            s.for_test(&other),
            (OutputDisplay::Immediate, OutputDisplay::Never)
        );
        assert!(s.keeps_success_output(&t));
        let store = OutputSettings {
            junit_store_success: true,
            ..OutputSettings::default()
        };
        assert!(store.keeps_success_output(&t));
        assert!(
            OutputDisplay::ImmediateFinal.is_immediate()
                && OutputDisplay::ImmediateFinal.is_final()
        );
        assert!(!OutputDisplay::Never.is_immediate() && !OutputDisplay::Never.is_final());
    }

    #[test]
    fn live_lines_split_on_newlines_and_flush_the_rest() {
        let mut got: Vec<String> = Vec::new();
        let mut sink = |l: &str| got.push(l.to_string());
        let mut l = LiveLines::new(&mut sink);
        l.push(b"one\ntw");
        l.push(b"o\r\n\nthree");
        l.finish();
        l.finish();
        drop(l);
        assert_eq!(got, ["one", "two", "", "three"]);
    }

    #[test]
    fn small_output_is_kept_whole() {
        let mut o = CapturedOutput::new(8, 8);
        o.push(b"hello ");
        o.push(b"world");
        assert_eq!(o.to_text(), "hello world");
        assert_eq!(o.dropped_bytes(), 0);
        assert_eq!(o.total, 11);
    }

    #[test]
    fn large_output_keeps_head_and_tail_and_counts_the_rest() {
        let mut o = CapturedOutput::new(4, 6);
        for chunk in [&b"HEADxxxxxxxxxxxxxx"[..], b"yyyy", b"zzzz", b"TAIL!!"] {
            o.push(chunk);
        }
        let t = o.to_text();
        assert!(t.starts_with("HEAD\n[cargo-shuffle: "), "{t}");
        assert!(t.ends_with("TAIL!!"), "{t}");
        assert_eq!(o.total, 32);
        assert_eq!(o.dropped_bytes(), 32 - 4 - 6);
        assert!(t.contains("22 bytes of output not kept"), "{t}");
    }

    #[test]
    fn one_huge_chunk() {
        let mut o = CapturedOutput::new(2, 3);
        o.push(&[b'a'; 1000]);
        o.push(b"xyz");
        assert_eq!(o.dropped_bytes(), 1003 - 5);
        assert!(o.to_text().ends_with("xyz"));
    }

    #[test]
    fn clean_text_removes_escapes_and_forbidden_chars() {
        let s = "\x1b[31mred\x1b[0m \x00nul \x07bell \x1b]0;title\x07osc \u{fffe}ok\tx\r\n\x1b[";
        assert_eq!(clean_text(s), "red nul bell osc ok\tx\r\n");
        // An unfinished sequence does not swallow the line break after it.
        assert_eq!(clean_text("a\x1b[\nb"), "a\nb");
    }

    #[test]
    fn failure_message_is_extracted() {
        let out = "running 1 test\nthread 'tests::x' panicked at src/lib.rs:3:5:\nassertion `left == right` failed: boom\n  left: 4\n right: 5\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            failure_message(out, true).unwrap(),
            "assertion `left == right` failed: boom\n  left: 4\n right: 5 (at src/lib.rs:3:5)"
        );
        assert_eq!(failure_message("no panic here", true), None);
        let err = "running 1 test\nError: ParseIntError { kind: InvalidDigit }\n";
        assert_eq!(
            failure_message(err, true).unwrap(),
            "the test returned Err: ParseIntError { kind: InvalidDigit }"
        );
        // An `Error: ` line from a test that exited with its own code is just output.
        assert_eq!(failure_message(err, false), None);
    }

    #[test]
    fn should_panic_verdicts_win_over_the_panic() {
        let wrong = "thread 't' panicked at src/lib.rs:8:72:\nboom\nnote: panic did not contain expected string\n      panic message: \"boom\"\n expected substring: \"zzz\"\n";
        assert_eq!(
            failure_message(wrong, true).unwrap(),
            "panic did not contain the #[should_panic] expected string; panic message: \"boom\", expected substring: \"zzz\""
        );
        let none = "running 1 test\nnote: test did not panic as expected at src/lib.rs:9:32\n";
        assert_eq!(
            failure_message(none, true).unwrap(),
            "test did not panic as expected at src/lib.rs:9:32 (#[should_panic])"
        );
        // libtest's JSON `message` field has no `note: ` prefix.
        assert!(failure_message("test did not panic as expected at a.rs:1:1", true).is_some());
    }
}
