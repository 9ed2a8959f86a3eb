//! cargo's target runner: the wrapper `cargo test` puts in front of every test binary it starts
//! when the configuration names one (`target.<triple>.runner`, `target.<cfg>.runner`, or
//! `CARGO_TARGET_<TRIPLE>_RUNNER`): an emulator such as qemu for cross-compiled tests, valgrind,
//! a sandbox or `sudo` script. The configuration is read with the `cargo-config2` crate, which
//! follows cargo's own rules (config files from the current directory up and `$CARGO_HOME`,
//! environment overrides, paths relative to the config file, `cfg(…)` keys), so the tests run
//! under the same wrapper as under `cargo test` (and `cargo nextest run`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A target runner: `program args… BINARY TEST-ARGS…` starts a test binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Runner {
    /// The runner's executable (searched in `PATH` when it has no `/`, like cargo).
    pub(crate) program: PathBuf,
    /// Its own arguments, before the test binary's path.
    pub(crate) args: Vec<OsString>,
}

/// The configuration could not be read or resolved.
#[derive(Debug, thiserror::Error)]
#[error(
    "cargo's configuration (target runner) could not be read: {0}; fix the `.cargo/config.toml` files or CARGO_TARGET_*_RUNNER variables cargo would read here"
)]
pub(crate) struct RunnerError(String);

/// The runner of each test executable in `exes` (same order; `None` where none is configured),
/// from cargo's configuration as seen from `cwd`.
/// `cli_targets` are the `--target` triples given to cargo (empty: `build.target` from the
/// configuration, else the host). With no runner configured anywhere (the common case), this
/// reads the config files once and starts nothing; only when a runner exists is rustc asked for
/// the host triple or `cfg` values (by `cargo-config2`).
///
/// Errors: an unreadable or invalid configuration.
pub(crate) fn runners(
    exes: &[&Path],
    cwd: &Path,
    cli_targets: &[String],
) -> Result<Vec<Option<Runner>>, RunnerError> {
    let err = |e: cargo_config2::Error| RunnerError(format!("{e:#}"));
    let in_env = std::env::vars_os().any(|(k, _)| {
        k.to_str()
            .is_some_and(|k| k.starts_with("CARGO_TARGET_") && k.ends_with("_RUNNER"))
    });
    if !in_env {
        let raw = cargo_config2::de::Config::load_with_cwd(cwd).map_err(err)?;
        if raw.target.values().all(|t| t.runner.is_none()) {
            return Ok(vec![None; exes.len()]);
        }
    }
    let config = cargo_config2::Config::load_with_cwd(cwd).map_err(err)?;
    let targets = config.build_target_for_cli(cli_targets).map_err(err)?;
    let host = || config.host_triple().map(str::to_string).map_err(err);
    let mut out = Vec::with_capacity(exes.len());
    for exe in exes {
        let triple = match targets.as_slice() {
            [] => host()?,
            [only] => only.clone(),
            several => match triple_in_path(exe, several) {
                Some(t) => t,
                None => host()?,
            },
        };
        out.push(
            config
                .runner(triple.as_str())
                .map_err(err)?
                .map(|p| Runner {
                    program: p.path,
                    args: p.args,
                }),
        );
    }
    Ok(out)
}

/// With several `--target`s, a binary's target is the one its path runs through
/// (`<target-dir>/<triple>/<profile>/deps/…`; a `.json` target spec by its file stem).
fn triple_in_path(exe: &Path, targets: &[String]) -> Option<String> {
    targets
        .iter()
        .find(|t| {
            let dir = Path::new(t.as_str())
                .file_stem()
                .map(|s| s.to_os_string())
                .unwrap_or_default();
            exe.ancestors()
                .any(|a| a.file_name() == Some(dir.as_os_str()))
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_belongs_to_the_target_its_path_names() {
        let targets = vec![
            "aarch64-unknown-linux-gnu".to_string(),
            "/specs/my-board.json".to_string(),
        ];
        let arm = Path::new("/w/target/aarch64-unknown-linux-gnu/debug/deps/t-0123");
        let board = Path::new("/w/target/my-board/release/deps/t-0123");
        let host = Path::new("/w/target/debug/deps/t-0123");
        assert_eq!(
            triple_in_path(arm, &targets).as_deref(),
            Some(targets[0].as_str())
        );
        assert_eq!(
            triple_in_path(board, &targets).as_deref(),
            Some(targets[1].as_str())
        );
        assert_eq!(triple_in_path(host, &targets), None);
    }
}
