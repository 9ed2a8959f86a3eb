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
