//! What a libtest-style harness printed for `<bin> --exact NAME --nocapture`, read as libtest
//! prints it, so that a result is credited only to the test that was asked for (see
//! `docs/execution.md`, "What counts as a pass").
//!
//! libtest (and libtest-mimic) print one *block*: a `running N test(s)` header, the test's own
//! output, the result line `test NAME ... ok` (or `FAILED`, `ignored`; ` - should panic` after
//! the name of such a test), for a failure a `failures:` section, and a `test result: …`
//! summary. With more than one test thread (the default) the result line is printed whole after
//! the test's output, possibly on the same line as output that did not end with a newline
//! (`abctest NAME ... ok`); with one thread (`RUST_TEST_THREADS=1`) `test NAME ... ` is printed
//! right after the header and the verdict after the test's output (`abcok`).
//!
//! A test's own output can hold lines that look like libtest's (a child `cargo test` with
//! inherited stdout, a test printing fixtures). A header opens a block and a summary closes the
//! innermost open one, so a whole run printed inside the test's output nests inside libtest's
//! block and is ignored; blocks one after another at the top level mean the harness ran more
//! than one round of tests.

/// One top-level block: a `running N test(s)` header up to the summary that closes it, or a
/// summary with no open header (`header` is `None`).
#[derive(Debug, Default)]
pub(crate) struct Block {
    /// N of the `running N test(s)` header.
    pub(crate) header: Option<u64>,
    /// The lines between header and summary that are not inside a nested block.
    lines: Vec<String>,
    /// The `test result: …` line that closed the block, if one did.
    pub(crate) summary: Option<String>,
}

/// libtest's result line in a block: the name it gives and its verdict (`ok`, `FAILED`,
/// `ignored`, …; `None` when libtest's line was split, as with one test thread, and the verdict
/// is only in the summary).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reported {
    /// The test's name as the harness printed it (without ` - should panic`).
    pub(crate) name: String,
    /// The verdict word.
    pub(crate) verdict: Option<String>,
}

/// `N` of a `running N test(s)` line.
fn header(line: &str) -> Option<u64> {
    line.strip_prefix("running ")
        .and_then(|n| n.strip_suffix(" tests").or(n.strip_suffix(" test")))
        .and_then(|n| n.parse().ok())
}

/// Whether `v` is one of libtest's verdict words at the end of a result line.
fn is_verdict(v: &str) -> bool {
    matches!(v, "ok" | "FAILED" | "ignored")
        || v.starts_with("ignored, ")
        || v.starts_with("bench:")
}

/// The name part of a result line's text before ` ... `, without ` - should panic`.
fn strip_should_panic(pre: &str) -> &str {
    pre.strip_suffix(" - should panic").unwrap_or(pre)
}

/// A line that holds a result line `test NAME ... VERDICT` (at its start, or at its end after
/// output that had no newline): the name and the verdict. `asked` is recognised at the end of
/// any line; another name only from the start of the line or the last `test ` before ` ... `.
fn result_line(line: &str, asked: &str) -> Option<Reported> {
    let found = |name: &str, verdict: &str| Reported {
        name: strip_should_panic(name).to_string(),
        verdict: Some(verdict.to_string()),
    };
    if let Some((pre, verdict)) = line
        .strip_prefix("test ")
        .and_then(|rest| rest.split_once(" ... "))
        && is_verdict(verdict)
    {
        return Some(found(pre, verdict));
    }
    let (pre, verdict) = line.rsplit_once(" ... ")?;
    if !is_verdict(verdict) {
        return None;
    }
    let pre = strip_should_panic(pre);
    if pre.ends_with(&format!("test {asked}")) {
        return Some(found(asked, verdict));
    }
    Some(found(&pre[pre.rfind("test ")? + 5..], verdict))
}

/// A line as libtest starts it with one test thread: `test NAME ... ` and then, on the same
/// line, whatever the test printed first (not a verdict: that would be a whole result line).
/// The name.
fn start_line(line: &str, asked: &str) -> Option<String> {
    let rest = line.strip_prefix("test ")?;
    let (name, after) = match rest.strip_prefix(asked).and_then(|r| {
        r.strip_prefix(" ... ")
            .or(r.strip_prefix(" - should panic ... "))
    }) {
        Some(after) => (asked, after),
        None => {
            let (pre, after) = rest.split_once(" ... ")?;
            (strip_should_panic(pre), after)
        }
    };
    (!is_verdict(after)).then(|| name.to_string())
}

impl Block {
    /// libtest's result line in this block for a run of `asked`: with one test thread, the
    /// `test NAME ... ` line right after the header when what follows it is not a verdict;
    /// otherwise, in a closed block, the last result line (libtest prints its own after the
    /// test's output, and only a `failures:` section after it). In a block that was never
    /// closed (the process died) such a line is the test's own output.
    pub(crate) fn reported(&self, asked: &str) -> Option<Reported> {
        let first = self.lines.iter().find(|l| !l.trim().is_empty());
        if let Some(name) = first.and_then(|l| start_line(l, asked)) {
            return Some(Reported {
                name,
                verdict: None,
            });
        }
        self.summary.as_ref()?;
        self.lines.iter().rev().find_map(|l| result_line(l, asked))
    }

    /// How many lines of the block (outside nested blocks) are a result line, or a one-thread
    /// start line, for `asked`.
    pub(crate) fn times_named(&self, asked: &str) -> usize {
        self.lines
            .iter()
            .filter(|l| {
                result_line(l, asked).is_some_and(|r| r.name == asked)
                    || start_line(l, asked).is_some_and(|n| n == asked)
            })
            .count()
    }

    /// Whether the summary says exactly one test passed and none failed.
    pub(crate) fn one_passed(&self) -> bool {
        self.summary
            .as_deref()
            .is_some_and(|s| s.starts_with("test result: ok. 1 passed; 0 failed"))
    }

    /// Whether the summary says the run failed.
    pub(crate) fn summary_failed(&self) -> bool {
        self.summary
            .as_deref()
            .is_some_and(|s| s.starts_with("test result: FAILED."))
    }
}

/// The top-level blocks of `text` (the test's captured output, as text), in order. Lines
/// outside any block are ignored, except a summary, which makes a block of its own. A block
/// still open at the end (the process died, or the middle of the output was not kept) has no
/// summary.
pub(crate) fn blocks(text: &str) -> Vec<Block> {
    let text = crate::runner::output::clean_text(text);
    let mut out: Vec<Block> = Vec::new();
    let mut depth = 0usize;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(n) = header(line) {
            depth += 1;
            if depth == 1 {
                out.push(Block {
                    header: Some(n),
                    ..Block::default()
                });
            }
        } else if line.starts_with("test result: ") {
            match depth {
                0 => out.push(Block {
                    summary: Some(line.to_string()),
                    ..Block::default()
                }),
                1 => {
                    if let Some(b) = out.last_mut() {
                        b.summary = Some(line.to_string());
                    }
                }
                _ => {}
            }
            depth = depth.saturating_sub(1);
        } else if depth == 1
            && let Some(b) = out.last_mut()
        {
            b.lines.push(line.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(name: &str, verdict: Option<&str>) -> Option<Reported> {
        Some(Reported {
            name: name.into(),
            verdict: verdict.map(String::from),
        })
    }

    #[test]
    fn libtests_pass_in_both_thread_modes() {
        let multi = "\nrunning 1 test\nabctest t::a ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 9 filtered out; finished in 0.01s\n\n";
        let single = "\nrunning 1 test\ntest t::a ... abcok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored\n\n";
        for (text, verdict) in [(multi, Some("ok")), (single, None)] {
            let b = blocks(text);
            assert_eq!(b.len(), 1);
            assert_eq!(b[0].header, Some(1));
            assert!(b[0].one_passed());
            assert_eq!(b[0].reported("t::a"), rep("t::a", verdict), "{text}");
            assert_eq!(b[0].times_named("t::a"), 1);
        }
    }

    #[test]
    fn a_failure_is_read_before_its_failures_section() {
        let text = "\nrunning 1 test\nnote: x\ntest t::s - should panic ... FAILED\n\nfailures:\n\n---- t::s stdout ----\nnote: test did not panic as expected\n\nfailures:\n    t::s\n\ntest result: FAILED. 0 passed; 1 failed\n\n";
        let b = blocks(text);
        assert_eq!(b.len(), 1);
        assert!(b[0].summary_failed());
        assert_eq!(b[0].reported("t::s"), rep("t::s", Some("FAILED")));
    }

    #[test]
    fn lines_the_test_printed_are_not_libtests() {
        // A nested run (a child `cargo test` with inherited stdout) and a lone result line for
        // another test, in both thread modes.
        let nested = "running 1 test\ntest other ... ok\nrunning 2 tests\ntest inner::x ... ok\ntest inner::y ... ok\n\ntest result: ok. 2 passed; 0 failed\n\ntest outer ... ok\n\ntest result: ok. 1 passed; 0 failed\n";
        let single = "running 1 test\ntest outer ... \ntest other ... ok\nrunning 1 test\ntest inner ... ok\ntest result: ok. 1 passed; 0 failed\nok\n\ntest result: ok. 1 passed; 0 failed\n";
        // One thread, the test's first output (a fake line) right after libtest's start.
        let joined = "running 1 test\ntest outer ... test other ... FAILED\nok\n\ntest result: ok. 1 passed; 0 failed\n";
        for text in [nested, single, joined] {
            let b = blocks(text);
            assert_eq!(b.len(), 1, "{text}");
            assert_eq!(b[0].reported("outer").unwrap().name, "outer");
            assert_eq!(b[0].times_named("outer"), 1);
        }
    }

    #[test]
    fn wrong_name_several_blocks_and_stray_summaries_are_visible() {
        let b =
            blocks("running 1 test\ntest alpha ... ok\n\ntest result: ok. 1 passed; 0 failed\n");
        assert_eq!(b[0].reported("gamma"), rep("alpha", Some("ok")));
        let three: String = ["alpha", "beta", "gamma"]
            .iter()
            .map(|n| {
                format!(
                    "\nrunning 1 test\ntest {n} ... ok\n\ntest result: ok. 1 passed; 0 failed\n\n"
                )
            })
            .collect();
        let b = blocks(&three);
        assert_eq!(b.len(), 3);
        assert_eq!(b[2].reported("gamma").unwrap().name, "gamma");
        let stray = blocks(
            "running 1 test\ntest result: ok. 1 passed; 0 failed\ntest a ... ok\ntest result: ok. 1 passed; 0 failed\n",
        );
        assert_eq!(stray.len(), 2);
        assert_eq!(stray[1].header, None);
        // An open block (the process died) has no summary; a name is recognised at the end of
        // a line of output without newline.
        let open = blocks("running 1 test\ntest alpha ... ok\n");
        assert_eq!(open[0].summary, None);
        assert_eq!(open[0].reported("gamma"), None);
        let open = blocks("running 1 test\ntest alpha ... \n");
        assert_eq!(open[0].reported("gamma"), rep("alpha", None));
        let closed =
            blocks("running 1 test\nxyztest gamma ... ok\ntest result: ok. 1 passed; 0 failed\n");
        assert_eq!(closed[0].reported("gamma"), rep("gamma", Some("ok")));
        let twice = blocks(
            "running 1 test\ntest gamma ... ok\ntest gamma ... ok\ntest result: ok. 1 passed; 0 failed\n",
        );
        assert_eq!(twice[0].times_named("gamma"), 2);
        // Names with spaces (libtest-mimic allows them), and names that contain `test `.
        let b = blocks(
            "running 1 test\ntest my test case ... ok\ntest result: ok. 1 passed; 0 failed\n",
        );
        assert_eq!(
            b[0].reported("my test case"),
            rep("my test case", Some("ok"))
        );
        assert_eq!(b[0].reported("case"), rep("my test case", Some("ok")));
    }
}
