//! The top-level error of the program: every failure that ends a command, each mapped to its
//! documented exit code in [`crate::exit`].

use crate::exit::{BUILD_FAILED, LIST_FAILED, NO_TESTS, OTHER_ERROR, USAGE};

/// A usage error: a value the user gave that we cannot use. Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

/// Any error that ends the program, with its exit code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// Bad input.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// Discovery (build or `--binary`) failed.
    #[error(transparent)]
    Discover(#[from] crate::discover::DiscoverError),
    /// Listing failed.
    #[error(transparent)]
    List(#[from] crate::discover::list::ListError),
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
