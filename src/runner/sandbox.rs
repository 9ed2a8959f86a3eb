//! The temporary directory a sequence of tests (or, with `--sandbox run`, a whole run) runs
//! in: made fresh, given to tests as `TMPDIR`, removed afterwards unless `--keep-sandbox`.

use std::path::PathBuf;

/// A sequence's (or a whole run's) temporary directory (see [`crate::runner::sequence::SequenceRunner::run_sequence`]).
pub(crate) struct Sandbox {
    /// Removed when dropped, unless kept.
    _dir: Option<tempfile::TempDir>,
    /// Its path, given to tests as `TMPDIR`, `TMP` and `TEMP`; `None` if it could not be made.
    pub(crate) path: Option<PathBuf>,
    /// Its path when `--keep-sandbox` keeps it, recorded in every result.
    pub(crate) kept: Option<PathBuf>,
    /// Why `--reset-cmd` failed in it, if it did: its tests are then errors, not run.
    pub(crate) reset_error: Option<String>,
}

impl Sandbox {
    /// A fresh directory; with `keep`, one that outlives the run.
    pub(crate) fn new(keep: bool) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("cargo-shuffle-")
            .tempdir()
            .ok();
        let path = dir.as_ref().map(|d| d.path().to_path_buf());
        if keep {
            let kept = dir.map(|d| d.keep());
            Sandbox {
                _dir: None,
                path,
                kept,
                reset_error: None,
            }
        } else {
            Sandbox {
                _dir: dir,
                path,
                kept: None,
                reset_error: None,
            }
        }
    }
}
