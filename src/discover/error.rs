//! Why discovery failed ([`DiscoverError`]): every way of finding binaries (cargo, `--binary`
//! paths, target runners) reports through it, and each variant maps to a documented exit code.

use std::path::PathBuf;

/// Discovery failures; each maps to a documented exit code (see `exit`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum DiscoverError {
    /// `--manifest-path` does not exist.
    #[error("manifest `{0}` does not exist; pass the path of a Cargo.toml with --manifest-path")]
    ManifestMissing(PathBuf),
    /// cargo could not be started (or waited for).
    #[error("could not run cargo (`{cargo}`): {source}; is cargo installed and on PATH?")]
    CargoSpawn {
        /// The cargo program tried, as text.
        cargo: String,
        /// Why the OS refused (typically not found, or not executable).
        source: std::io::Error,
    },
    /// `cargo metadata` failed; holds its error as text.
    #[error("cargo metadata failed: {0}")]
    Metadata(String),
    /// The build failed; cargo's diagnostics were already shown on stderr.
    #[error(
        "building the test binaries failed (`cargo test --no-run`: {status}); cargo's error is above. Fix the build, or the selection flags if cargo rejected them (-p, --test, --exclude needs --workspace, --features)"
    )]
    BuildFailed {
        /// cargo's exit status as text (`exit code 101`).
        status: String,
    },
    /// A `--binary` path is unusable.
    #[error(
        "test binary `{path}` {problem}; pass the path of a libtest-compatible test executable (e.g. from `cargo test --no-run`)"
    )]
    BadBinary {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it (`does not exist`, `is not a file`, `is not executable`).
        problem: &'static str,
    },
    /// cargo's configuration names a target runner but cannot be resolved.
    #[error(transparent)]
    Runner(#[from] crate::discover::target_runner::RunnerError),
    /// Two `--binary` entries claim the same id.
    #[error("two test binaries have the id `{0}`; give them distinct ids with --binary ID=PATH")]
    DuplicateId(String),
}
