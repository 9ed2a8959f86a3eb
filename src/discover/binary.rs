//! A test binary as the runner sees it ([`TestBinary`]: id, path, working directory,
//! environment, target runner) and the finishing touches every source of binaries shares
//! (target runners from cargo's configuration, `CARGO_TARGET_TMPDIR`).

use crate::discover::target_runner;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A test binary ready to list and run.
#[derive(Clone, Debug)]
pub(crate) struct TestBinary {
    /// Stable id: `PACKAGE::lib`, `PACKAGE::bin/NAME`, `PACKAGE::test/NAME`,
    /// `PACKAGE::bench/NAME` or `PACKAGE::example/NAME` (proc-macro and dylib crates count as
    /// `lib`). Never contains the hashed file name, so it is equal across builds and machines.
    /// For `--binary PATH` it is the file name without cargo's `-HASH` suffix (or the `ID=` given).
    pub(crate) id: String,
    /// The executable (absolute for `--binary` paths that could be canonicalized).
    pub(crate) path: PathBuf,
    /// Working directory for its tests: the package root, as under `cargo test`.
    pub(crate) cwd: PathBuf,
    /// Extra environment for its tests (`CARGO_*`, `OUT_DIR`, the dynamic-library path).
    pub(crate) env: Vec<(OsString, OsString)>,
    /// cargo's target runner for it, if the configuration names one (see `target_runner`).
    pub(crate) runner: Option<target_runner::Runner>,
}

impl TestBinary {
    /// The program that starts this binary: the target runner if there is one, else the
    /// binary itself.
    pub(crate) fn program(&self) -> &Path {
        self.runner.as_ref().map_or(&self.path, |r| &r.program)
    }

    /// The full argument list for running the binary with `args`: with a target runner,
    /// the runner's own arguments and the binary's path come first, as cargo passes them.
    pub(crate) fn args_with(&self, args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
        let mut all: Vec<OsString> = match &self.runner {
            Some(r) => r
                .args
                .iter()
                .cloned()
                .chain(std::iter::once(self.path.clone().into_os_string()))
                .collect(),
            None => Vec::new(),
        };
        all.extend(args);
        all
    }

    /// The binary's path for messages, naming the target runner it is started through, if any.
    pub(crate) fn describe_path(&self) -> String {
        match &self.runner {
            None => self.path.display().to_string(),
            Some(r) => {
                let mut words = vec![r.program.display().to_string()];
                words.extend(r.args.iter().map(|a| a.to_string_lossy().into_owned()));
                format!(
                    "{}, started through the target runner `{}` from cargo's configuration",
                    self.path.display(),
                    words.join(" ")
                )
            }
        }
    }

    /// A command that runs the binary with `args` (through its target runner, if any).
    pub(crate) fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut cmd = Command::new(self.program());
        cmd.args(self.args_with(args.into_iter().map(Into::into)));
        cmd
    }
}

/// Sets each binary's [`TestBinary::runner`] from cargo's configuration as seen from `cwd`
/// (see [`target_runner::runners`]). Errors: an unreadable or invalid configuration.
pub(crate) fn apply_target_runners(
    binaries: &mut [TestBinary],
    cwd: &Path,
    cli_targets: &[String],
) -> Result<(), target_runner::RunnerError> {
    let exes: Vec<&Path> = binaries.iter().map(|b| b.path.as_path()).collect();
    let runners = target_runner::runners(&exes, cwd, cli_targets)?;
    for (b, r) in binaries.iter_mut().zip(runners) {
        b.runner = r;
    }
    Ok(())
}

/// Creates the `CARGO_TARGET_TMPDIR` each binary's tests are given, when it is missing: cargo
/// creates it while building, but an archive unpacked elsewhere (or a cleaned target dir) has
/// none, and tests write there without checking. Best effort: a failure shows up in the test.
pub(crate) fn create_target_tmpdirs(binaries: &[TestBinary]) {
    for b in binaries {
        for (k, v) in &b.env {
            if k == "CARGO_TARGET_TMPDIR" {
                let _ = std::fs::create_dir_all(v);
            }
        }
    }
}
