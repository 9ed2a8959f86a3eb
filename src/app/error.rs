//! The top-level error of the program: every failure that ends a command, each mapped to its
//! documented exit code in [`crate::exit`].

use crate::exit::{BUILD_FAILED, LIST_FAILED, NO_TESTS, OTHER_ERROR, USAGE};

/// A usage error: a value the user gave that we cannot use (exit 2). The message names the
/// flag or file and says what to give instead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

/// Any error that ends a command before its gate, each with its exit code
/// ([`AppError::exit_code`]); printed as `error: MESSAGE`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// A flag value, file or id the user gave cannot be used: exit 2.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// Finding the test binaries failed: exit 101 when cargo failed (the build, `cargo
    /// metadata`, starting cargo), exit 2 for a bad `--manifest-path` or `--binary`.
    #[error(transparent)]
    Discover(#[from] crate::discover::DiscoverError),
    /// A test binary could not list its tests: exit 104.
    #[error(transparent)]
    List(#[from] crate::discover::list::ListError),
    /// No test selected: exit 4. The string says where nothing was found (e.g. ` in the chosen
    /// --shard(s)`), or is empty.
    #[error(
        "no test selected{0}; check the filters, --partition and --run-ignored, or pass --allow-no-tests"
    )]
    NoTests(String),
    /// Anything else (I/O, an archive that cannot be written): exit 1.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl AppError {
    /// The documented exit code for this error (see [`crate::exit`]).
    pub(crate) fn exit_code(&self) -> i32 {
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
