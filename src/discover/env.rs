//! The environment a test binary is given, as `cargo test` gives it: the dynamic-library search
//! path (with the toolchain's own libraries when a binary needs them), the `CARGO_PKG_*`
//! variables of its package, and the `[env]` table of cargo's configuration.

use cargo_metadata::Package;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The dynamic-library search path entries rustc's own libraries live in (`--print sysroot`
/// and `--print target-libdir`); proc-macro and `prefer-dynamic` test binaries need them.
/// Empty if rustc cannot be run (binaries given by path may not need it).
fn rustc_lib_dirs() -> Vec<PathBuf> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .args(["--print", "target-libdir", "--print", "sysroot"])
        .stderr(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut lines = text.lines();
            let libdir = lines.next().map(PathBuf::from);
            let sysroot = lines.next().map(|s| Path::new(s).join("lib"));
            libdir.into_iter().chain(sysroot).collect()
        }
        _ => Vec::new(),
    }
}

/// rustc's library dirs (see [`rustc_lib_dirs`]) if any of `exes` loads the toolchain's shared
/// libraries (see `dynlink`), else none: most suites never pay for starting rustc.
pub(crate) fn toolchain_lib_dirs<'a>(exes: impl IntoIterator<Item = &'a Path>) -> Vec<PathBuf> {
    use rayon::prelude::*;
    let exes: Vec<&Path> = exes.into_iter().collect();
    if exes
        .par_iter()
        .any(|p| crate::discover::dynlink::needs_toolchain_libs(p))
    {
        rustc_lib_dirs()
    } else {
        Vec::new()
    }
}

/// The name of the platform's dynamic-library search variable.
pub(crate) const DYLIB_PATH_VAR: &str = if cfg!(target_os = "macos") {
    "DYLD_FALLBACK_LIBRARY_PATH"
} else if cfg!(windows) {
    "PATH"
} else {
    "LD_LIBRARY_PATH"
};

/// Joins `dirs` in front of the current value of the dynamic-library variable.
pub(crate) fn dylib_path(dirs: &[PathBuf]) -> OsString {
    let existing = std::env::var_os(DYLIB_PATH_VAR);
    let mut all: Vec<PathBuf> = dirs.to_vec();
    if let Some(e) = existing {
        all.extend(std::env::split_paths(&e));
    }
    std::env::join_paths(all).unwrap_or_default()
}

/// Appends the `CARGO_PKG_*` variables cargo sets for `pkg` to `env` (empty strings for
/// fields the manifest leaves out, as cargo does).
pub(crate) fn package_env(pkg: &Package, env: &mut Vec<(OsString, OsString)>) {
    let mut set = |k: &str, v: String| env.push((k.into(), v.into()));
    let v = &pkg.version;
    set("CARGO_PKG_NAME", pkg.name.to_string());
    set("CARGO_PKG_VERSION", v.to_string());
    set("CARGO_PKG_VERSION_MAJOR", v.major.to_string());
    set("CARGO_PKG_VERSION_MINOR", v.minor.to_string());
    set("CARGO_PKG_VERSION_PATCH", v.patch.to_string());
    set("CARGO_PKG_VERSION_PRE", v.pre.to_string());
    set("CARGO_PKG_AUTHORS", pkg.authors.join(":"));
    set(
        "CARGO_PKG_DESCRIPTION",
        pkg.description.clone().unwrap_or_default(),
    );
    set(
        "CARGO_PKG_HOMEPAGE",
        pkg.homepage.clone().unwrap_or_default(),
    );
    set(
        "CARGO_PKG_REPOSITORY",
        pkg.repository.clone().unwrap_or_default(),
    );
    set("CARGO_PKG_LICENSE", pkg.license.clone().unwrap_or_default());
    set(
        "CARGO_PKG_LICENSE_FILE",
        pkg.license_file
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    set(
        "CARGO_PKG_RUST_VERSION",
        pkg.rust_version
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_default(),
    );
    set(
        "CARGO_PKG_README",
        pkg.readme
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
}

/// The `[env]` table of cargo's configuration, as cargo applies it to `cargo test` runs, read
/// with `cargo-config2` (cargo's file hierarchy from `cwd` up and `$CARGO_HOME`, closer files
/// winning, `relative` paths resolved against the directory holding `.cargo`). Without `force`
/// an entry does not override a variable already set. An unreadable configuration gives none
/// (cargo reported it already when it built).
pub(crate) fn config_env(cwd: &Path) -> Vec<(OsString, OsString)> {
    let Ok(config) = cargo_config2::Config::load_with_cwd(cwd) else {
        return Vec::new();
    };
    config
        .env
        .into_iter()
        .filter(|(k, v)| v.force || std::env::var_os(k).is_none())
        .map(|(k, v)| (k.into(), v.value))
        .collect()
}
