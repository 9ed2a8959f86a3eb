//! Which tests a plan covers: cargo's selection flags (passed through to `cargo test --no-run`
//! and repeated in repro commands), where the binaries come from (cargo, `--binary`,
//! `--archive`), and the test-name filters, including libtest's own options after `--`.

use crate::app::cli::{CargoArgs, IsolationArg, PlanArgs, RunIgnored};
use crate::app::error::{AppError, UsageError};
use crate::discover::filterset::{FilterContext, Filterset, Filtersets};
use crate::discover::{self, CargoSelection, TestBinary};
use std::path::PathBuf;

/// Where the test binaries come from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// Build them with cargo.
    Cargo(CargoSelection),
    /// Given by path (`--binary`).
    Binaries(Vec<String>),
    /// Unpacked from `cargo shuffle archive` output (`--archive`), run in the source checkout at
    /// the given workspace root.
    Archive {
        /// The `.tar.gz` written by `cargo shuffle archive`.
        file: PathBuf,
        /// The source checkout its tests run in, absolute (`--workspace-root`, else the
        /// current directory).
        workspace_root: PathBuf,
    },
}

/// cargo's selection flags as arguments for `cargo test --no-run`.
pub(crate) fn cargo_args(c: &CargoArgs) -> Vec<String> {
    let mut a = Vec::new();
    let mut multi = |flag: &str, vals: &[String]| {
        for v in vals {
            a.push(flag.to_string());
            a.push(v.clone());
        }
    };
    multi("--package", &c.package);
    multi("--exclude", &c.exclude);
    multi("--bin", &c.bin);
    multi("--test", &c.test);
    multi("--example", &c.example);
    multi("--bench", &c.bench);
    multi("--features", &c.features);
    for (on, flag) in [
        (c.workspace, "--workspace"),
        (c.lib, "--lib"),
        (c.bins, "--bins"),
        (c.tests, "--tests"),
        (c.examples, "--examples"),
        (c.benches, "--benches"),
        (c.all_targets, "--all-targets"),
        (c.all_features, "--all-features"),
        (c.no_default_features, "--no-default-features"),
        (c.release, "--release"),
        (c.locked, "--locked"),
        (c.offline, "--offline"),
        (c.frozen, "--frozen"),
    ] {
        if on {
            a.push(flag.to_string());
        }
    }
    if let Some(p) = &c.profile {
        a.push("--profile".into());
        a.push(p.clone());
    }
    if let Some(d) = &c.target_dir {
        a.push("--target-dir".into());
        a.push(d.display().to_string());
    }
    for t in &c.target {
        a.push("--target".into());
        a.push(t.clone());
    }
    a
}

/// Whether any of cargo's selection flags or `--manifest-path` was given (they conflict with
/// `--binary` and `--archive`).
fn cargo_args_given(c: &CargoArgs) -> bool {
    !cargo_args(c).is_empty() || c.manifest_path.is_some()
}

/// libtest's own options given after `--`, as `cargo test -- --skip x --exact` users write them.
struct LibtestFlags {
    filters: Vec<String>,
    skip: Vec<String>,
    exact: bool,
    run_ignored: Option<RunIgnored>,
    /// `--nocapture` (`--no-capture`): the run's `--no-capture`.
    nocapture: bool,
    /// `--show-output`: passing tests' output in the summary (`--success-output final`).
    show_output: bool,
}

/// Separates libtest options from name filters in the arguments after `--`: `--skip P`
/// (`--skip=P`), `--exact`, `--ignored`, `--include-ignored` are honoured; `--nocapture` and
/// `--show-output` are noted (they mean `--no-capture` and `--success-output final`); other
/// options about how libtest runs or prints (`--test-threads N`, …) are ignored (the runner
/// decides those); anything else starting with `-` is a usage error rather than a silent
/// filter.
fn libtest_flags(args: &[String]) -> Result<LibtestFlags, UsageError> {
    let mut f = LibtestFlags {
        filters: Vec::new(),
        skip: Vec::new(),
        exact: false,
        run_ignored: None,
        nocapture: false,
        show_output: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |flag: &str| -> Result<String, UsageError> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| UsageError(format!("`{flag}` after -- needs a value")))
        };
        match name {
            "--skip" => f.skip.push(value("--skip")?),
            "--exact" => f.exact = true,
            "--ignored" | "--include-ignored" => {
                let want = if name == "--ignored" {
                    RunIgnored::Only
                } else {
                    RunIgnored::All
                };
                if f.run_ignored.is_some_and(|had| had != want) {
                    return Err(UsageError(
                        "--ignored and --include-ignored after -- exclude each other (as in libtest): give one".into(),
                    ));
                }
                f.run_ignored = Some(want);
            }
            "--nocapture" | "--no-capture" => f.nocapture = true,
            "--show-output" => f.show_output = true,
            "--quiet" | "-q" | "--report-time" | "--ensure-time" => {}
            "--test-threads" | "--color" | "--format" | "--shuffle-seed" => {
                value(name)?;
            }
            "--shuffle" => {}
            "--" => f.filters.extend(it.by_ref().cloned()),
            s if s.starts_with('-') => {
                return Err(UsageError(format!(
                    "`{a}` after -- is not a libtest option cargo-shuffle understands; after -- give test-name filters and --skip/--exact/--ignored/--include-ignored/--nocapture/--show-output"
                )));
            }
            _ => f.filters.push(a.clone()),
        }
    }
    Ok(f)
}

/// The plan arguments with libtest's options after `--` (see [`libtest_flags`]) merged into
/// `--skip`, `--exact` and `--run-ignored`; `filters` keeps only the name filters.
pub(super) fn with_libtest_flags(a: &PlanArgs) -> Result<PlanArgs, UsageError> {
    let lt = libtest_flags(&a.filters)?;
    let mut a = a.clone();
    // Filters before `--` (nextest's place) and after it (libtest's) are one list; repro
    // commands give them after `--`.
    a.filters = std::mem::take(&mut a.name_filters)
        .into_iter()
        .chain(lt.filters)
        .collect();
    a.skip.extend(lt.skip);
    a.exact |= lt.exact;
    if let Some(ri) = lt.run_ignored {
        a.run_ignored = ri;
    }
    Ok(a)
}

/// libtest's output options after `--` in `a`: (`--nocapture`, `--show-output`). Bad
/// arguments count as neither (validation reports them, see [`with_libtest_flags`]).
pub(crate) fn libtest_output_flags(a: &PlanArgs) -> (bool, bool) {
    libtest_flags(&a.filters).map_or((false, false), |f| (f.nocapture, f.show_output))
}

/// Where the binaries come from, and the arguments that select the same binaries again in a
/// repro command. Errors: `--archive` or `--binary` mixed with cargo's selection flags (or
/// with each other), an unusable `--workspace-root`.
pub(super) fn source(a: &PlanArgs) -> Result<(Source, Vec<String>), UsageError> {
    if let Some(file) = &a.archive {
        return archive_source(a, file);
    }
    let mut selection_args = Vec::new();
    if a.binary.is_empty() {
        let args = cargo_args(&a.cargo);
        selection_args.extend(args.iter().cloned());
        if let Some(m) = &a.cargo.manifest_path {
            selection_args.push("--manifest-path".into());
            selection_args.push(m.display().to_string());
        }
        let sel = CargoSelection {
            args,
            manifest_path: a.cargo.manifest_path.clone(),
            metadata: None,
        };
        return Ok((Source::Cargo(sel), selection_args));
    }
    if cargo_args_given(&a.cargo) {
        return Err(UsageError(
            "--binary runs the given executables without cargo; drop cargo's selection flags (-p, --test, --manifest-path, ...) or drop --binary".into(),
        ));
    }
    for b in &a.binary {
        selection_args.push("--binary".into());
        selection_args.push(b.clone());
    }
    Ok((Source::Binaries(a.binary.clone()), selection_args))
}

/// `--archive FILE`: its binaries run in `--workspace-root` (made absolute, so that
/// `CARGO_MANIFEST_DIR` and relative `[env]` paths are absolute too) or the current directory.
fn archive_source(
    a: &PlanArgs,
    file: &std::path::Path,
) -> Result<(Source, Vec<String>), UsageError> {
    if cargo_args_given(&a.cargo) || !a.binary.is_empty() {
        return Err(UsageError(
            "--archive runs prebuilt binaries: drop cargo's selection flags and --binary".into(),
        ));
    }
    let mut selection_args = vec!["--archive".into(), file.display().to_string()];
    let cwd = std::env::current_dir().unwrap_or_default();
    let workspace_root = match &a.workspace_root {
        Some(w) => std::fs::canonicalize(w).map_err(|e| {
            UsageError(format!(
                "--workspace-root {}: {e}; pass the directory of the source checkout",
                w.display()
            ))
        })?,
        None => cwd,
    };
    if let Some(w) = &a.workspace_root {
        selection_args.extend(["--workspace-root".into(), w.display().to_string()]);
    }
    let source = Source::Archive {
        file: file.to_path_buf(),
        workspace_root,
    };
    Ok((source, selection_args))
}

/// The arguments that repeat how tests are picked and isolated in a repro command:
/// `--isolation shared` (`isolation`, from the flag or the profile), `--run-ignored`, `--skip`,
/// `--exact`, `-E` (the name filters themselves go
/// after `--`, see [`crate::plan::repro::Repro`]).
pub(super) fn picking_args(a: &PlanArgs, isolation: IsolationArg) -> Vec<String> {
    let mut selection_args = Vec::new();
    if isolation == IsolationArg::Shared {
        selection_args.extend(["--isolation".into(), "shared".into()]);
    } else if a.isolation.is_some() {
        // Given explicitly: it may undo a profile's `isolation = "shared"`, which the repro's
        // `--config-profile` would bring back.
        selection_args.extend(["--isolation".into(), "process".into()]);
    }
    if a.run_ignored != RunIgnored::Default {
        selection_args.push("--run-ignored".into());
        selection_args.push(
            match a.run_ignored {
                RunIgnored::Only => "only",
                _ => "all",
            }
            .into(),
        );
    }
    for s in &a.skip {
        selection_args.push("--skip".into());
        selection_args.push(s.clone());
    }
    if a.exact {
        selection_args.push("--exact".into());
    }
    for e in &a.filterset {
        selection_args.extend(["-E".into(), e.clone()]);
    }
    selection_args
}

/// The `-E/--filterset` expressions, each checked for syntax now so that a typo stops the
/// command before the build. Errors: the first expression that does not parse, quoted with
/// the position marked (see [`crate::discover::filterset::FilterError`]).
pub(super) fn filtersets(a: &PlanArgs) -> Result<Vec<String>, UsageError> {
    use crate::discover::filterset::{FilterOrigin, Filterset};
    for e in &a.filterset {
        Filterset::check_syntax(e, FilterOrigin::Flag).map_err(|e| UsageError(e.to_string()))?;
    }
    Ok(a.filterset.clone())
}

/// The name filters of validated plan arguments (see [`with_libtest_flags`]).
pub(super) fn name_filter(a: &PlanArgs) -> NameFilter {
    NameFilter {
        filters: a.filters.clone(),
        skip: a.skip.clone(),
        exact: a.exact,
    }
}

/// Test-name filtering, libtest-style: a test is selected when it matches any filter (or there
/// are none) and no `--skip` pattern.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameFilter {
    /// Filters given after `--`.
    pub(crate) filters: Vec<String>,
    /// `--skip` patterns (substring match; whole names with `--exact`, as in libtest).
    pub(crate) skip: Vec<String>,
    /// `--exact`: filters and `--skip` patterns must equal the name.
    pub(crate) exact: bool,
}

impl NameFilter {
    /// Whether a test named `name` is selected.
    pub(crate) fn matches(&self, name: &str) -> bool {
        let hit = |f: &String| {
            if self.exact {
                name == f
            } else {
                name.contains(f.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(hit)) && !self.skip.iter().any(hit)
    }
}

/// The `-E` filtersets `exprs` compiled against the binaries of `source` (see
/// [`filter_context`]). Errors (usage): an expression naming what the workspace lacks; cargo
/// metadata that cannot be read.
pub(crate) fn compile_filtersets(
    source: &Source,
    exprs: &[String],
    binaries: &[TestBinary],
) -> Result<Filtersets, AppError> {
    if exprs.is_empty() {
        return Ok(Filtersets::default());
    }
    let deps = exprs.iter().any(|e| Filterset::needs_dependencies(e));
    let cx = filter_context(source, binaries, deps)?;
    Filtersets::new(exprs, &cx).map_err(|e| AppError::Usage(UsageError(e.to_string())))
}

/// What filtersets are compiled against in a run whose `binaries` came from `source`: for cargo
/// builds the workspace's `cargo metadata` (the one fetched for the config file, else fetched
/// now), and a full one with dependencies when `dependencies` (some expression uses `deps()`
/// or `rdeps()`, see [`Filterset::needs_dependencies`]); for `--archive` the metadata the
/// archive stores (what the binary ids say for an archive without it); for `--binary` what
/// the binary ids say. Errors: cargo metadata that cannot be fetched or read.
pub(crate) fn filter_context(
    source: &Source,
    binaries: &[TestBinary],
    dependencies: bool,
) -> Result<FilterContext, AppError> {
    let unreadable =
        |e: String| AppError::Usage(UsageError(format!("cargo metadata for filtersets: {e}")));
    let no_graph = |flag: &str| {
        format!(
            "{flag} runs have no cargo package graph; select by package(), binary_id() or test()"
        )
    };
    let cx = match source {
        Source::Cargo(sel) => {
            let meta = match &sel.metadata {
                Some(m) => m.clone(),
                None => std::sync::Arc::new(discover::workspace_metadata(sel)?),
            };
            let cx = FilterContext::new(
                binaries,
                Some(&meta),
                "cargo metadata was read without dependencies",
            )
            .map_err(unreadable)?;
            if dependencies {
                let full = discover::dependency_metadata(sel)?;
                cx.with_dependencies(&full).map_err(unreadable)?
            } else {
                cx
            }
        }
        Source::Binaries(_) => {
            FilterContext::new(binaries, None, &no_graph("--binary")).map_err(unreadable)?
        }
        Source::Archive { file, .. } => {
            let stored = discover::archive::stored_metadata(file)
                .map_err(|e| AppError::Usage(UsageError(e.to_string())))?;
            let without = "this archive's cargo metadata has no dependencies (cargo could not resolve them when it was made)";
            match stored {
                // Stored with dependencies when cargo could resolve them: nothing to fetch here.
                Some(meta) => {
                    FilterContext::new(binaries, Some(&meta), without).map_err(unreadable)?
                }
                None => FilterContext::new(
                    binaries,
                    None,
                    "this archive has no cargo metadata (made by an earlier cargo-shuffle): select by package(), binary_id() or test(), or archive again",
                )
                .map_err(unreadable)?,
            }
        }
    };
    Ok(cx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_flags_after_double_dash() {
        let args: Vec<String> = [
            "parse",
            "--skip",
            "fails",
            "--exact",
            "--skip=x",
            "--test-threads",
            "4",
            "--nocapture",
        ]
        .map(String::from)
        .to_vec();
        let f = libtest_flags(&args).unwrap();
        assert_eq!(f.filters, vec!["parse".to_string()]);
        assert_eq!(f.skip, vec!["fails".to_string(), "x".to_string()]);
        assert!(f.exact);
        let f = libtest_flags(&["--ignored".to_string()]).unwrap();
        assert_eq!(f.run_ignored, Some(RunIgnored::Only));
        assert!(libtest_flags(&["--bogus".to_string()]).is_err());
        assert!(libtest_flags(&["--skip".to_string()]).is_err());
        let both = ["--ignored".to_string(), "--include-ignored".to_string()];
        assert!(libtest_flags(&both).is_err());
    }

    #[test]
    fn cargo_flags_pass_through_and_targets_are_found_again() {
        use clap::Parser;
        let cli = crate::app::cli::Cli::try_parse_from([
            "cargo-shuffle",
            "list",
            "--target",
            "aarch64-unknown-linux-gnu",
            "--target-dir",
            "t",
            "-r",
            "--bench",
            "b",
            "--benches",
            "--all-targets",
        ])
        .unwrap();
        let crate::app::cli::CliCommand::List(l) = cli.command else {
            panic!("not list")
        };
        let args = cargo_args(&l.plan.cargo);
        assert_eq!(
            args,
            [
                "--bench",
                "b",
                "--benches",
                "--all-targets",
                "--release",
                "--target-dir",
                "t",
                "--target",
                "aarch64-unknown-linux-gnu"
            ]
        );
        let sel = crate::discover::CargoSelection {
            args,
            manifest_path: None,
            metadata: None,
        };
        assert_eq!(sel.targets(), ["aarch64-unknown-linux-gnu"]);
    }

    #[test]
    fn name_filter_semantics() {
        let f = NameFilter {
            filters: vec!["parse".into()],
            skip: vec!["fails".into()],
            exact: false,
        };
        assert!(f.matches("tests::parse_number"));
        assert!(!f.matches("tests::parse_fails"));
        assert!(!f.matches("tests::other"));
        let e = NameFilter {
            filters: vec!["a::b".into()],
            exact: true,
            ..Default::default()
        };
        assert!(e.matches("a::b") && !e.matches("a::bc"));
        // With --exact, --skip takes whole names too (libtest applies it to both).
        let x = NameFilter {
            skip: vec!["tests::skipme".into()],
            exact: true,
            ..Default::default()
        };
        assert!(!x.matches("tests::skipme") && x.matches("tests::skipme_too"));
        assert!(NameFilter::default().matches("anything"));
    }
}
