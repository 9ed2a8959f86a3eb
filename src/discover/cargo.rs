//! Binaries built by cargo: `cargo test --no-run --message-format json-render-diagnostics` for
//! the user's selection ([`CargoSelection`]), read with `cargo_metadata` alongside
//! `cargo metadata`, and each test artifact turned into a [`TestBinary`] with the id, working
//! directory and environment `cargo test` would give it.

use crate::discover::binary::TestBinary;
use crate::discover::env::{
    DYLIB_PATH_VAR, config_env, dylib_path, package_env, toolchain_lib_dirs,
};
use crate::discover::error::DiscoverError;
use cargo_metadata::{
    Artifact, BuildScript, Message, MetadataCommand, Package, PackageId, TargetKind,
};
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Cargo's selection and build flags, passed through to `cargo test --no-run` unchanged.
#[derive(Clone, Debug, Default)]
pub(crate) struct CargoSelection {
    /// Arguments in cargo's own syntax, e.g. `["-p", "foo", "--test", "api"]`.
    pub(crate) args: Vec<String>,
    /// `--manifest-path`, if given (also used for `cargo metadata`).
    pub(crate) manifest_path: Option<PathBuf>,
    /// `cargo metadata` already run for this selection (to find the workspace root and its
    /// config file before the build): [`build_with_cargo`] uses it instead of running it again.
    pub(crate) metadata: Option<std::sync::Arc<cargo_metadata::Metadata>>,
}

impl CargoSelection {
    /// cargo's `--profile NAME` (or `--profile=NAME`) among the arguments, if given.
    pub(crate) fn cargo_profile(&self) -> Option<&str> {
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            if a == "--profile" {
                return it.next().map(String::as_str);
            } else if let Some(p) = a.strip_prefix("--profile=") {
                return Some(p);
            }
        }
        None
    }

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

/// The id of a cargo target (see [`TestBinary::id`]) from its package, first kind and name.
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

/// `cargo metadata --no-deps` for the selection's manifest, run with `cargo`.
fn metadata(
    cargo: &OsString,
    sel: &CargoSelection,
) -> cargo_metadata::Result<cargo_metadata::Metadata> {
    let mut mc = MetadataCommand::new();
    mc.cargo_path(cargo).no_deps();
    if let Some(m) = &sel.manifest_path {
        mc.manifest_path(m);
    }
    mc.exec()
}

/// `cargo metadata --no-deps` of the selected workspace, run now (its `workspace_root` is where
/// the config file is looked for); keep it in [`CargoSelection::metadata`] so that the build
/// does not run it again.
pub(crate) fn workspace_metadata(
    sel: &CargoSelection,
) -> Result<cargo_metadata::Metadata, DiscoverError> {
    metadata(&cargo_program(), sel).map_err(|e| DiscoverError::Metadata(e.to_string()))
}

/// `cargo metadata` with dependencies (no `--no-deps`) of the selected workspace, for
/// filtersets' `deps()` and `rdeps()`; cargo's `--offline`, `--locked` and `--frozen` among the
/// selection's arguments are passed on. Errors: cargo failing (e.g. an unresolvable dependency).
pub(crate) fn dependency_metadata(
    sel: &CargoSelection,
) -> Result<cargo_metadata::Metadata, DiscoverError> {
    let mut mc = MetadataCommand::new();
    mc.cargo_path(cargo_program());
    if let Some(m) = &sel.manifest_path {
        mc.manifest_path(m);
    }
    let pass: Vec<String> = sel
        .args
        .iter()
        .filter(|a| ["--offline", "--locked", "--frozen"].contains(&a.as_str()))
        .cloned()
        .collect();
    mc.other_options(pass);
    mc.exec()
        .map_err(|e| DiscoverError::Metadata(e.to_string()))
}

/// The `cargo metadata` an archive stores for filtersets: with dependencies if cargo can
/// resolve them (see [`dependency_metadata`]), else without (`deps()`/`rdeps()` then refuse);
/// `None` if neither runs.
pub(crate) fn archive_metadata(sel: &CargoSelection) -> Option<cargo_metadata::Metadata> {
    dependency_metadata(sel)
        .or_else(|_| workspace_metadata(sel))
        .ok()
}

/// The workspace root and target directory of the selected workspace (for `archive`).
pub(crate) fn cargo_layout(sel: &CargoSelection) -> Result<(PathBuf, PathBuf), DiscoverError> {
    let meta =
        metadata(&cargo_program(), sel).map_err(|e| DiscoverError::Metadata(e.to_string()))?;
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
        || match &sel.metadata {
            Some(m) => Ok(m.as_ref().clone()),
            None => metadata(&cargo, sel),
        },
        || run_cargo_build(&cargo, sel),
    );
    let build = build?;
    let rustc_dirs = toolchain_lib_dirs(
        build
            .tests
            .iter()
            .filter_map(|a| a.executable.as_ref().map(|e| e.as_std_path())),
    );
    let config_env = config_env(&std::env::current_dir().unwrap_or_default());
    let meta = meta.map_err(|e| DiscoverError::Metadata(e.to_string()))?;
    let packages: HashMap<_, _> = meta.packages.iter().map(|p| (&p.id, p)).collect();
    let target_dir = layout_target_dir(sel, meta.target_directory.as_std_path());
    let ctx = ArtifactContext {
        cargo: &cargo,
        target_dir: &target_dir,
        build: &build,
        config_env: &config_env,
        rustc_dirs: &rustc_dirs,
    };
    let mut binaries: Vec<TestBinary> = build
        .tests
        .iter()
        .filter_map(|art| ctx.binary(art, packages.get(&art.package_id)?))
        .collect();
    binaries.sort_by(|a, b| a.id.cmp(&b.id));
    binaries.dedup_by(|a, b| a.id == b.id);
    Ok(binaries)
}

/// What `cargo test --no-run` reported.
struct CargoBuild {
    /// Test executables (artifacts built with the test profile).
    tests: Vec<Artifact>,
    /// Binary targets built for integration tests (`CARGO_BIN_EXE_<name>`).
    bins: Vec<Artifact>,
    /// Build-script results per package (`OUT_DIR`, `rustc-env`, native library paths).
    scripts: BTreeMap<PackageId, BuildScript>,
}

/// Everything shared by the artifacts of one build that turning one into a [`TestBinary`]
/// needs.
struct ArtifactContext<'b> {
    /// The cargo that built them, given to tests as `CARGO`.
    cargo: &'b OsString,
    /// The build's target directory (`--target-dir`, else cargo's): `CARGO_TARGET_TMPDIR` is
    /// inside it, and only native library dirs inside it go on the library path.
    target_dir: &'b Path,
    /// What the build reported: bin artifacts and build-script results.
    build: &'b CargoBuild,
    /// cargo's `[env]` configuration (see [`config_env`]).
    config_env: &'b [(OsString, OsString)],
    /// The toolchain's library dirs, when some binary needs them (see [`toolchain_lib_dirs`]).
    rustc_dirs: &'b [PathBuf],
}

impl ArtifactContext<'_> {
    /// The binary of test artifact `art` of package `pkg`; `None` if it has no executable.
    fn binary(&self, art: &Artifact, pkg: &Package) -> Option<TestBinary> {
        let exe = art.executable.clone()?.into_std_path_buf();
        let manifest = pkg.manifest_path.as_std_path();
        let cwd = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
        let env = self.env(art, pkg, &cwd, &exe);
        Some(TestBinary {
            id: target_id(&pkg.name, &art.target.kind, &art.target.name),
            path: exe,
            cwd,
            env,
            runner: None,
        })
    }

    /// The environment `cargo test` gives the tests of `art` (run in `cwd`, executable `exe`):
    /// cargo's variables, the package's, its build script's, the `CARGO_BIN_EXE_*` of the
    /// package's binaries, the configured `[env]`, and the dynamic-library path.
    fn env(
        &self,
        art: &Artifact,
        pkg: &Package,
        cwd: &Path,
        exe: &Path,
    ) -> Vec<(OsString, OsString)> {
        let manifest = pkg.manifest_path.as_std_path();
        let mut env: Vec<(OsString, OsString)> = vec![
            ("CARGO".into(), self.cargo.clone()),
            ("CARGO_MANIFEST_DIR".into(), cwd.into()),
            ("CARGO_MANIFEST_PATH".into(), manifest.into()),
            (
                "CARGO_CRATE_NAME".into(),
                art.target.name.replace('-', "_").into(),
            ),
            (
                "CARGO_TARGET_TMPDIR".into(),
                self.target_dir.join("tmp").into(),
            ),
        ];
        if art.target.kind.contains(&TargetKind::Bin) {
            env.push(("CARGO_BIN_NAME".into(), art.target.name.clone().into()));
        }
        package_env(pkg, &mut env);
        if let Some(script) = self.build.scripts.get(&art.package_id) {
            env.push(("OUT_DIR".into(), script.out_dir.clone().into()));
            // `cargo:rustc-env=K=V`: cargo sets these for the test's run too.
            for (k, v) in &script.env {
                env.push((k.into(), v.into()));
            }
        }
        for b in self
            .build
            .bins
            .iter()
            .filter(|b| b.package_id == art.package_id)
        {
            if let Some(exe) = &b.executable {
                env.push((
                    format!("CARGO_BIN_EXE_{}", b.target.name).into(),
                    exe.clone().into(),
                ));
            }
        }
        env.extend(self.config_env.iter().cloned());
        env.push((DYLIB_PATH_VAR.into(), dylib_path(&self.lib_dirs(exe))));
        env
    }

    /// The dynamic-library dirs of executable `exe`: native library dirs that build scripts
    /// of any package put inside the target dir (as cargo does for `cargo test`), the
    /// executable's `deps` and profile dirs, then the toolchain's.
    fn lib_dirs(&self, exe: &Path) -> Vec<PathBuf> {
        let deps_dir = exe.parent().map(Path::to_path_buf);
        let profile_dir = deps_dir
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let mut lib_dirs: Vec<PathBuf> = Vec::new();
        for script in self.build.scripts.values() {
            for p in &script.linked_paths {
                let p = p.as_str();
                let p = p.split_once('=').map(|(_, p)| p).unwrap_or(p);
                let p = PathBuf::from(p);
                if p.starts_with(self.target_dir) && !lib_dirs.contains(&p) {
                    lib_dirs.push(p);
                }
            }
        }
        lib_dirs.extend(deps_dir);
        lib_dirs.extend(profile_dir);
        lib_dirs.extend(self.rustc_dirs.iter().cloned());
        lib_dirs
    }
}

/// Runs `cargo test --no-run` for the selection, its diagnostics on our stderr, and collects
/// the artifacts and build-script results it reports. Errors: cargo not runnable, or the
/// build failing.
fn run_cargo_build(cargo: &OsString, sel: &CargoSelection) -> Result<CargoBuild, DiscoverError> {
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
    let build = read_messages(BufReader::new(stdout));
    let status = child.wait().map_err(|source| DiscoverError::CargoSpawn {
        cargo: cargo.to_string_lossy().into_owned(),
        source,
    })?;
    if !status.success() {
        return Err(DiscoverError::BuildFailed {
            status: crate::status::describe_status(status),
        });
    }
    Ok(build)
}

/// Collects from cargo's JSON messages the test executables, the binaries built for
/// integration tests and the build-script results; other messages are skipped.
fn read_messages(stdout: impl std::io::BufRead) -> CargoBuild {
    let mut build = CargoBuild {
        tests: Vec::new(),
        bins: Vec::new(),
        scripts: BTreeMap::new(),
    };
    for msg in Message::parse_stream(stdout).flatten() {
        match msg {
            Message::CompilerArtifact(a) if a.profile.test && a.executable.is_some() => {
                build.tests.push(a)
            }
            // Binaries built for integration tests: `CARGO_BIN_EXE_<name>`.
            Message::CompilerArtifact(a)
                if a.executable.is_some() && a.target.kind.contains(&TargetKind::Bin) =>
            {
                build.bins.push(a)
            }
            Message::BuildScriptExecuted(s) => {
                build.scripts.insert(s.package_id.clone(), s);
            }
            _ => {}
        }
    }
    build
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
}
