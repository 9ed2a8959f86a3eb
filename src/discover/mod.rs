//! Discovery: finds the test binaries to run, either by having cargo build them
//! (`cargo test --no-run --message-format json-render-diagnostics`, read with `cargo_metadata`)
//! or from paths the user gives (`--binary`), and fixes what each one needs at run time:
//! a stable id, its working directory and the environment `cargo test` would give it.
//!
//! [`binary`] is the binary the runner gets, [`cargo`] builds binaries with cargo, [`paths`]
//! takes them from `--binary`, [`env`] composes their environment, [`error`] says why
//! discovery failed; [`target_runner`] and [`dynlink`] read cargo's target runners and a
//! binary's shared libraries, [`list`] lists a binary's tests, [`archive`] packs and unpacks
//! binaries for another machine. The items callers need are re-exported here.

pub(crate) mod archive;
pub(crate) mod binary;
pub(crate) mod cargo;
pub(crate) mod dynlink;
pub(crate) mod env;
pub(crate) mod error;
pub(crate) mod filterset;
pub(crate) mod list;
pub(crate) mod paths;
pub(crate) mod target_runner;

pub(crate) use binary::{TestBinary, apply_target_runners, create_target_tmpdirs};
pub(crate) use cargo::{
    CargoSelection, archive_metadata, build_with_cargo, cargo_layout, dependency_metadata,
    workspace_metadata,
};
pub(crate) use env::{DYLIB_PATH_VAR, dylib_path, toolchain_lib_dirs};
pub(crate) use error::DiscoverError;
pub(crate) use paths::from_paths;
