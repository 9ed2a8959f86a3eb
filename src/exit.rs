//! Documented exit codes and the top-level error that maps every failure to one of them.

/// All selected tests passed.
pub const OK: i32 = 0;
/// An unexpected error (I/O, a report that could not be written, ...).
pub const OTHER_ERROR: i32 = 1;
/// Bad command-line input.
pub const USAGE: i32 = 2;
/// No test was selected (and `--allow-no-tests` was not given).
pub const NO_TESTS: i32 = 4;
/// At least one test failed, crashed, timed out or could not be run.
pub const TESTS_FAILED: i32 = 100;
/// Order-dependent tests were found (OD victims or brittle tests), and no other failure.
pub const ORDER_DEPENDENT: i32 = 102;
/// Only NOD-flaky failures (tests that failed and passed again in the same order), and
/// `--allow-flaky` was not given.
pub const FLAKY: i32 = 105;
/// Building the test binaries failed.
pub const BUILD_FAILED: i32 = 101;
/// Listing the tests of a binary failed.
pub const LIST_FAILED: i32 = 104;
/// The run was interrupted (Ctrl-C, SIGTERM, SIGHUP) before every test ran.
pub const INTERRUPTED: i32 = 130;

/// Any error that ends the program, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input.
    #[error(transparent)]
    Usage(#[from] crate::config::UsageError),
    /// Discovery (build or `--binary`) failed.
    #[error(transparent)]
    Discover(#[from] crate::discover::DiscoverError),
    /// Listing failed.
    #[error(transparent)]
    List(#[from] crate::list::ListError),
    /// Nothing selected.
    #[error(
        "no test selected{0}; check the filters, --partition and --run-ignored, or pass --allow-no-tests"
    )]
    NoTests(String),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl AppError {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> i32 {
        use crate::discover::DiscoverError as D;
        match self {
            AppError::Usage(_) => USAGE,
            AppError::Discover(D::BuildFailed { .. } | D::Metadata(_) | D::CargoSpawn { .. }) => {
                BUILD_FAILED
            }
            AppError::Discover(_) => USAGE,
            AppError::List(_) => LIST_FAILED,
            AppError::NoTests(_) => NO_TESTS,
            AppError::Other(_) => OTHER_ERROR,
        }
    }
}
