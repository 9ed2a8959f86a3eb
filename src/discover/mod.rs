//! Discovery: finds the test binaries to run, either by having cargo build them
//! (`cargo test --no-run --message-format json-render-diagnostics`, read with `cargo_metadata`)
//! or from paths the user gives (`--binary`), and fixes what each one needs at run time:
//! a stable id, its working directory and the environment `cargo test` would give it.

pub(crate) mod archive;
pub(crate) mod dynlink;
pub(crate) mod list;
pub(crate) mod target_runner;

use cargo_metadata::{Message, MetadataCommand, Package, TargetKind};
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A test binary ready to list and run.
#[derive(Clone, Debug)]
pub(crate) struct TestBinary {
    /// Stable id: `PACKAGE::lib`, `PACKAGE::bin/NAME`, `PACKAGE::test/NAME`,
    /// `PACKAGE::bench/NAME` or `PACKAGE::example/NAME` (proc-macro and dylib crates count as
    /// `lib`). Never contains the hashed file name, so it is equal across builds and machines.
    /// For `--binary PATH` it is the file name without cargo's `-HASH` suffix (or the `ID=` given).
    pub(crate) id: String,
    /// The executable.
    pub(crate) path: PathBuf,
    /// Working directory for its tests: the package root, as under `cargo test`.
    pub(crate) cwd: PathBuf,
    /// Extra environment for its tests (`CARGO_*`, `OUT_DIR`, the dynamic-library path).
    pub(crate) env: Vec<(OsString, OsString)>,
    /// cargo's target runner for it, if the configuration names one (see `target_runner`).
    pub(crate) runner: Option<crate::discover::target_runner::Runner>,
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

/// Cargo's selection and build flags, passed through to `cargo test --no-run` unchanged.
#[derive(Clone, Debug, Default)]
pub(crate) struct CargoSelection {
    /// Arguments in cargo's own syntax, e.g. `["-p", "foo", "--test", "api"]`.
    pub(crate) args: Vec<String>,
    /// `--manifest-path`, if given (also used for `cargo metadata`).
    pub(crate) manifest_path: Option<PathBuf>,
}

impl CargoSelection {
    /// The `--target` triples among the arguments (cargo's `--target T` and `--target=T`).
    pub(crate) fn targets(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            if a == "--target" {
                out.extend(it.next().cloned());
            } else if let Some(t) = a.strip_prefix("--target=") {
                out.push(t.to_string());
            }
        }
        out
    }
}

/// Discovery failures; each maps to a documented exit code (see `exit`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum DiscoverError {
    /// `--manifest-path` does not exist.
    #[error("manifest `{0}` does not exist; pass the path of a Cargo.toml with --manifest-path")]
    ManifestMissing(PathBuf),
    /// cargo could not be started.
    #[error("could not run cargo (`{cargo}`): {source}; is cargo installed and on PATH?")]
    CargoSpawn {
        /// The cargo program tried.
        cargo: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `cargo metadata` failed.
    #[error("cargo metadata failed: {0}")]
    Metadata(String),
    /// The build failed; cargo's diagnostics were already shown on stderr.
    #[error(
        "building the test binaries failed (`cargo test --no-run`: {status}); cargo's error is above. Fix the build, or the selection flags if cargo rejected them (-p, --test, --exclude needs --workspace, --features)"
    )]
    BuildFailed {
        /// cargo's exit status as text.
        status: String,
    },
    /// A `--binary` path is unusable.
    #[error(
        "test binary `{path}` {problem}; pass the path of a libtest-compatible test executable (e.g. from `cargo test --no-run`)"
    )]
    BadBinary {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// cargo's configuration names a target runner but cannot be resolved.
    #[error(transparent)]
    Runner(#[from] crate::discover::target_runner::RunnerError),
    /// Two `--binary` entries claim the same id.
    #[error("two test binaries have the id `{0}`; give them distinct ids with --binary ID=PATH")]
    DuplicateId(String),
}

/// The cargo to run, and to give tests as `CARGO`: `$CARGO` (set when we run as `cargo shuffle`),
/// else `cargo` from `PATH` as an absolute path, as cargo gives it (a bare name if not found).
fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| {
        std::env::var_os("PATH")
            .and_then(|paths| find_in_path("cargo", &paths))
            .map_or_else(|| "cargo".into(), PathBuf::into_os_string)
    })
}

/// The first file named `name` in the directories of `paths` (a `PATH`-style list).
fn find_in_path(name: &str, paths: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The dynamic-library search path entries rustc's own libraries live in (`--print sysroot`
/// and `--print target-libdir`); proc-macro and `prefer-dynamic` test binaries need them.
/// Empty if rustc cannot be run (binaries given by path may not need it).
pub(crate) fn rustc_lib_dirs() -> Vec<PathBuf> {
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

fn target_id(package: &str, kinds: &[TargetKind], name: &str) -> String {
    let kind = kinds.first().cloned().unwrap_or(TargetKind::Lib);
    match kind {
        TargetKind::Bin => format!("{package}::bin/{name}"),
        TargetKind::Test => format!("{package}::test/{name}"),
        TargetKind::Bench => format!("{package}::bench/{name}"),
        TargetKind::Example => format!("{package}::example/{name}"),
        _ => format!("{package}::lib"),
    }
}

fn package_env(pkg: &Package, env: &mut Vec<(OsString, OsString)>) {
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

/// The target directory of a build: `--target-dir` when given (relative to the current
/// directory, as cargo reads it), else cargo's own (`cargo metadata`'s `target_directory`, which
/// already reflects `CARGO_TARGET_DIR` and config).
fn layout_target_dir(sel: &CargoSelection, from_metadata: &Path) -> PathBuf {
    let flag = sel
        .args
        .windows(2)
        .find(|w| w[0] == "--target-dir")
        .map(|w| PathBuf::from(&w[1]));
    match flag {
        Some(p) if p.is_absolute() => p,
        Some(p) => std::env::current_dir().unwrap_or_default().join(p),
        None => from_metadata.to_path_buf(),
    }
}

/// The workspace root and target directory of the selected workspace (for `archive`).
pub(crate) fn cargo_layout(sel: &CargoSelection) -> Result<(PathBuf, PathBuf), DiscoverError> {
    let mut mc = MetadataCommand::new();
    mc.cargo_path(cargo_program()).no_deps();
    if let Some(m) = &sel.manifest_path {
        mc.manifest_path(m);
    }
    let meta = mc
        .exec()
        .map_err(|e| DiscoverError::Metadata(e.to_string()))?;
    let target = layout_target_dir(sel, meta.target_directory.as_std_path());
    Ok((meta.workspace_root.into_std_path_buf(), target))
}

/// Builds the selected test targets with cargo and returns their binaries, sorted by id.
///
/// cargo's progress and rendered diagnostics go straight to our stderr. Errors: a missing
/// manifest, cargo not runnable, `cargo metadata` failing, or the build failing.
pub(crate) fn build_with_cargo(sel: &CargoSelection) -> Result<Vec<TestBinary>, DiscoverError> {
    if let Some(m) = &sel.manifest_path
        && !m.is_file()
    {
        return Err(DiscoverError::ManifestMissing(m.clone()));
    }
    let cargo = cargo_program();
    // Metadata is independent of the build: fetch it alongside.
    let (meta, build) = rayon::join(
        || {
            let mut mc = MetadataCommand::new();
            mc.cargo_path(&cargo).no_deps();
            if let Some(m) = &sel.manifest_path {
                mc.manifest_path(m);
            }
            mc.exec()
        },
        || run_cargo_build(&cargo, sel),
    );
    let (artifacts, bins, scripts) = build?;
    let rustc_dirs = toolchain_lib_dirs(
        artifacts
            .iter()
            .filter_map(|a| a.executable.as_ref().map(|e| e.as_std_path())),
    );
    let config_env = config_env(&std::env::current_dir().unwrap_or_default());
    let meta = meta.map_err(|e| DiscoverError::Metadata(e.to_string()))?;
    let packages: HashMap<_, _> = meta.packages.iter().map(|p| (&p.id, p)).collect();
    let target_dir = layout_target_dir(sel, meta.target_directory.as_std_path());
    let target_dir = target_dir.as_path();
    let mut binaries = Vec::new();
    for art in artifacts {
        let Some(exe) = art.executable.clone() else {
            continue;
        };
        let Some(pkg) = packages.get(&art.package_id) else {
            continue;
        };
        let id = target_id(&pkg.name, &art.target.kind, &art.target.name);
        let manifest = pkg.manifest_path.as_std_path();
        let cwd = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
        let exe = exe.into_std_path_buf();
        let deps_dir = exe.parent().map(Path::to_path_buf);
        let profile_dir = deps_dir
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let mut env: Vec<(OsString, OsString)> = vec![
            ("CARGO".into(), cargo.clone()),
            ("CARGO_MANIFEST_DIR".into(), cwd.clone().into()),
            ("CARGO_MANIFEST_PATH".into(), manifest.into()),
            (
                "CARGO_CRATE_NAME".into(),
                art.target.name.replace('-', "_").into(),
            ),
            ("CARGO_TARGET_TMPDIR".into(), target_dir.join("tmp").into()),
        ];
        if art.target.kind.contains(&TargetKind::Bin) {
            env.push(("CARGO_BIN_NAME".into(), art.target.name.clone().into()));
        }
        package_env(pkg, &mut env);
        let mut lib_dirs: Vec<PathBuf> = Vec::new();
        if let Some(script) = scripts.get(&art.package_id) {
            env.push(("OUT_DIR".into(), script.out_dir.clone().into()));
            // `cargo:rustc-env=K=V`: cargo sets these for the test's run too.
            for (k, v) in &script.env {
                env.push((k.into(), v.into()));
            }
        }
        for b in bins.iter().filter(|b| b.package_id == art.package_id) {
            if let Some(exe) = &b.executable {
                env.push((
                    format!("CARGO_BIN_EXE_{}", b.target.name).into(),
                    exe.clone().into(),
                ));
            }
        }
        env.extend(config_env.iter().cloned());
        // Native library dirs that build scripts of any package put inside the target dir,
        // as cargo does for `cargo test`.
        for script in scripts.values() {
            for p in &script.linked_paths {
                let p = p.as_str();
                let p = p.split_once('=').map(|(_, p)| p).unwrap_or(p);
                let p = PathBuf::from(p);
                if p.starts_with(target_dir) && !lib_dirs.contains(&p) {
                    lib_dirs.push(p);
                }
            }
        }
        lib_dirs.extend(deps_dir);
        lib_dirs.extend(profile_dir);
        lib_dirs.extend(rustc_dirs.iter().cloned());
        env.push((DYLIB_PATH_VAR.into(), dylib_path(&lib_dirs)));
        binaries.push(TestBinary {
            id,
            path: exe,
            cwd,
            env,
            runner: None,
        });
    }
    binaries.sort_by(|a, b| a.id.cmp(&b.id));
    binaries.dedup_by(|a, b| a.id == b.id);
    Ok(binaries)
}

/// Test artifacts, bin artifacts, and build-script results per package.
type BuildOutput = (
    Vec<cargo_metadata::Artifact>,
    Vec<cargo_metadata::Artifact>,
    BTreeMap<cargo_metadata::PackageId, cargo_metadata::BuildScript>,
);

fn run_cargo_build(cargo: &OsString, sel: &CargoSelection) -> Result<BuildOutput, DiscoverError> {
    let mut cmd = Command::new(cargo);
    cmd.args([
        "test",
        "--no-run",
        "--message-format",
        "json-render-diagnostics",
    ]);
    cmd.args(&sel.args);
    if let Some(m) = &sel.manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().map_err(|source| DiscoverError::CargoSpawn {
        cargo: cargo.to_string_lossy().into_owned(),
        source,
    })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut artifacts = Vec::new();
    let mut bins = Vec::new();
    let mut scripts = BTreeMap::new();
    for msg in Message::parse_stream(BufReader::new(stdout)).flatten() {
        match msg {
            Message::CompilerArtifact(a) if a.profile.test && a.executable.is_some() => {
                artifacts.push(a)
            }
            // Binaries built for integration tests: `CARGO_BIN_EXE_<name>`.
            Message::CompilerArtifact(a)
                if a.executable.is_some() && a.target.kind.contains(&TargetKind::Bin) =>
            {
                bins.push(a)
            }
            Message::BuildScriptExecuted(s) => {
                scripts.insert(s.package_id.clone(), s);
            }
            _ => {}
        }
    }
    let status = child.wait().map_err(|source| DiscoverError::CargoSpawn {
        cargo: cargo.to_string_lossy().into_owned(),
        source,
    })?;
    if !status.success() {
        return Err(DiscoverError::BuildFailed {
            status: crate::runner::process::describe_status(status),
        });
    }
    Ok((artifacts, bins, scripts))
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

/// Strips cargo's `-<16 hex digits>` suffix from a test executable's file name.
pub(crate) fn id_from_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((base, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            base.to_string()
        }
        _ => stem,
    }
}

/// Takes test binaries given by path (`--binary PATH` or `--binary ID=PATH`). They run in the
/// current directory with rustc's library dirs on the dynamic-library path.
/// Errors: a path that does not exist, is not a file, or is not executable; duplicate ids.
pub(crate) fn from_paths(specs: &[String]) -> Result<Vec<TestBinary>, DiscoverError> {
    use std::os::unix::fs::PermissionsExt;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut binaries: Vec<TestBinary> = Vec::new();
    for spec in specs {
        let (id, path) = match spec.split_once('=') {
            Some((id, p)) if !id.is_empty() && !Path::new(spec).exists() => {
                (Some(id.to_string()), PathBuf::from(p))
            }
            _ => (None, PathBuf::from(spec)),
        };
        let bad = |problem| DiscoverError::BadBinary {
            path: path.clone(),
            problem,
        };
        let meta = std::fs::metadata(&path).map_err(|_| bad("does not exist"))?;
        if !meta.is_file() {
            return Err(bad("is not a file"));
        }
        if meta.permissions().mode() & 0o111 == 0 {
            return Err(bad("is not executable"));
        }
        let id = id.unwrap_or_else(|| id_from_file_name(&path));
        if binaries.iter().any(|b| b.id == id) {
            return Err(DiscoverError::DuplicateId(id));
        }
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        binaries.push(TestBinary {
            id,
            path,
            cwd: cwd.clone(),
            env: Vec::new(),
            runner: None,
        });
    }
    let lib_dirs = toolchain_lib_dirs(binaries.iter().map(|b| b.path.as_path()));
    for b in &mut binaries {
        b.env.push((DYLIB_PATH_VAR.into(), dylib_path(&lib_dirs)));
    }
    binaries.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(binaries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_is_found_on_path_as_an_absolute_path() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join("cargo"), "").unwrap();
        let paths = std::env::join_paths([a.path(), b.path()]).unwrap();
        assert_eq!(find_in_path("cargo", &paths), Some(b.path().join("cargo")));
        assert_eq!(find_in_path("rustc", &paths), None);
    }

    #[test]
    fn ids_from_kinds() {
        assert_eq!(target_id("p", &[TargetKind::Lib], "p"), "p::lib");
        assert_eq!(target_id("p", &[TargetKind::ProcMacro], "p"), "p::lib");
        assert_eq!(target_id("p", &[TargetKind::Test], "api"), "p::test/api");
        assert_eq!(target_id("p", &[TargetKind::Bin], "cli"), "p::bin/cli");
        assert_eq!(target_id("p", &[TargetKind::Example], "e"), "p::example/e");
    }

    #[test]
    fn file_name_hash_is_stripped() {
        assert_eq!(
            id_from_file_name(Path::new("/t/deps/api-0123456789abcdef")),
            "api"
        );
        assert_eq!(id_from_file_name(Path::new("/t/my-tests")), "my-tests");
    }

    #[test]
    fn bad_binary_paths_are_named() {
        let e = from_paths(&["/nonexistent/x".into()]).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/x"));
        assert!(e.to_string().contains("does not exist"));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("plain");
        std::fs::write(&f, "x").unwrap();
        let e = from_paths(&[f.display().to_string()]).unwrap_err();
        assert!(e.to_string().contains("is not executable"), "{e}");
    }
}
