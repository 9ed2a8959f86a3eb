//! The documented exit codes, one constant each. This module imports nothing, so every layer
//! can name a code without depending on the errors that produce it (`app::error` maps them).

/// All selected tests passed.
pub(crate) const OK: i32 = 0;
/// An unexpected error (I/O, a report that could not be written, ...).
pub(crate) const OTHER_ERROR: i32 = 1;
/// Bad command-line input.
pub(crate) const USAGE: i32 = 2;
/// No test was selected (and `--allow-no-tests` was not given).
pub(crate) const NO_TESTS: i32 = 4;
/// At least one test failed, crashed, timed out or could not be run.
pub(crate) const TESTS_FAILED: i32 = 100;
/// Order-dependent tests were found (OD victims or brittle tests), and no other failure.
pub(crate) const ORDER_DEPENDENT: i32 = 102;
/// Only NOD-flaky failures (tests that failed and passed again in the same order), and
/// `--allow-flaky` was not given.
pub(crate) const FLAKY: i32 = 105;
/// `merge --allow-missing` with partitions missing, or a run stopped by `--max-fail`, and the
/// tests that ran passed the gate (their failures quarantined or allowed flaky): the gate did
/// not see every test, so it is not green.
pub(crate) const INCOMPLETE: i32 = 103;
/// Building the test binaries failed.
pub(crate) const BUILD_FAILED: i32 = 101;
/// Listing the tests of a binary failed.
pub(crate) const LIST_FAILED: i32 = 104;
/// The run was interrupted (Ctrl-C, SIGTERM, SIGHUP) before every test ran.
pub(crate) const INTERRUPTED: i32 = 130;

/// What exit code `code` means, in a few words, for the line a gate's log ends with:
/// `cargo-shuffle: exit 102: order-dependent tests found, no other failure`.
pub(crate) fn meaning(code: i32) -> &'static str {
    match code {
        OK => "the gate passes: no selected test failed",
        OTHER_ERROR => "error (see above)",
        USAGE => "usage error",
        NO_TESTS => "no test selected",
        TESTS_FAILED => "tests failed",
        ORDER_DEPENDENT => "order-dependent tests found, no other failure",
        FLAKY => "only NOD-flaky failures",
        INCOMPLETE => "incomplete: not every test ran, and those that ran pass the gate",
        BUILD_FAILED => "building the test binaries failed",
        LIST_FAILED => "a test binary could not be listed",
        INTERRUPTED => "interrupted",
        _ => "unknown exit code",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_documented_code_has_a_meaning() {
        for code in [
            super::OK,
            super::OTHER_ERROR,
            super::USAGE,
            super::NO_TESTS,
            super::TESTS_FAILED,
            super::ORDER_DEPENDENT,
            super::FLAKY,
            super::INCOMPLETE,
            super::BUILD_FAILED,
            super::LIST_FAILED,
            super::INTERRUPTED,
        ] {
            assert_ne!(super::meaning(code), "unknown exit code", "{code}");
        }
        assert_eq!(super::meaning(7), "unknown exit code");
    }
}
