//! Filtersets: nextest's filter expression language (`test(/^db::/) & package(=app)`) compiled
//! against what discovery found, answering whether a test case matches. `-E/--filterset` picks
//! the tests of a run with it; the config file's `[[profile.NAME.overrides]]` pick the tests a
//! setting applies to.
//!
//! The published `nextest-filtering` crate parses, checks and compiles every expression against
//! a guppy package graph (from `cargo metadata`, or made from the binary ids when there is no
//! cargo workspace: [`synthetic`]); [`compile`] turns its compiled tree into ours, because
//! cargo-shuffle's binary ids are spelled `pkg::test/api` and `pkg::lib` (nextest: `pkg::api`,
//! `pkg`) and `binary_id()` takes both. [`error`] renders the errors as plain text.
//!
//! Use: [`FilterContext::new`] once per run, from the discovered binaries and, for cargo
//! builds, `cargo metadata` (the app builds it with `config::selection::filter_context`); then
//! [`Filterset::new`] per expression (its [`FilterOrigin`] says whether it came from `-E` or
//! from a key of the config file, and so which predicates it may use), and
//! [`Filterset::matches`] per test case. [`Filtersets`] is the OR of several `-E`s.
//!
//! What each predicate sees of a test binary ([`BinaryInfo`]):
//! - cargo builds and `--archive` (whose archive stores `cargo metadata`): the target in
//!   `cargo metadata` (package name, target kind and name);
//! - `--binary` (and archives without metadata): what the binary id says: `pkg::KIND/NAME` or `pkg::lib` give
//!   package `pkg`, kind and name; an id without `::` (a `--binary` file name) has no package
//!   and no kind (`package()` and `kind()` never match it), its name is the id.
//!
//! `deps()` and `rdeps()` need the dependency graph (a full `cargo metadata`, fetched only when
//! an expression uses them, as nextest does): without one they are an error. `group()` is
//! refused (test groups are not filterable); `default()` is `all()` (there is no default-filter).

pub(crate) mod compile;
pub(crate) mod error;
mod synthetic;

pub(crate) use error::{FilterError, FilterOrigin, FilterProblem};

use crate::discover::TestBinary;
use crate::discover::list::TestCase;
use cargo_metadata::{Metadata, TargetKind};
use guppy::graph::cargo::BuildPlatform;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What the filterset predicates see of one test binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BinaryInfo {
    /// cargo-shuffle's id, e.g. `app::test/api`, `app::lib` (see [`TestBinary::id`]).
    pub(crate) id: String,
    /// nextest's id of the same binary: `app::api` for a test target, `app` for a library,
    /// else the same as `id` (`app::bin/cli`, `app::bench/b`, `app::example/e`).
    pub(crate) nextest_id: String,
    /// The package name, `None` for a `--binary` id without `::`.
    pub(crate) package: Option<String>,
    /// nextest's kind: `lib`, `proc-macro`, `test`, `bin`, `bench`, `example`; `None` when the
    /// id does not say.
    pub(crate) kind: Option<String>,
    /// The target name (`api` of `app::test/api`; a library's crate name, `my_lib`).
    pub(crate) binary_name: String,
    /// `host` for proc-macro crates (built for the host), else `target`.
    pub(crate) platform: BuildPlatform,
}

impl BinaryInfo {
    /// What binary id `id` says by itself (see the module doc).
    pub(crate) fn from_id(id: &str) -> BinaryInfo {
        let Some((package, rest)) = id.split_once("::") else {
            return BinaryInfo {
                id: id.to_string(),
                nextest_id: id.to_string(),
                package: None,
                kind: None,
                binary_name: id.to_string(),
                platform: BuildPlatform::Target,
            };
        };
        let (kind, name) = match rest.split_once('/') {
            Some((kind, name)) => (kind.to_string(), name.to_string()),
            None => (rest.to_string(), package.replace('-', "_")),
        };
        BinaryInfo::new(package, &kind, &name)
    }

    /// The binary of target `name` of kind `kind` (nextest's spelling) in package `package`.
    fn new(package: &str, kind: &str, name: &str) -> BinaryInfo {
        let (id, nextest_id) = match kind {
            "lib" | "proc-macro" => (format!("{package}::lib"), package.to_string()),
            "test" => (
                format!("{package}::test/{name}"),
                format!("{package}::{name}"),
            ),
            k => {
                let id = format!("{package}::{k}/{name}");
                (id.clone(), id)
            }
        };
        BinaryInfo {
            id,
            nextest_id,
            package: Some(package.to_string()),
            kind: Some(kind.to_string()),
            binary_name: name.to_string(),
            platform: if kind == "proc-macro" {
                BuildPlatform::Host
            } else {
                BuildPlatform::Target
            },
        }
    }
}

/// nextest's kind of a cargo target (its first kind), `None` for targets without tests (build
/// scripts).
fn nextest_kind(kinds: &[TargetKind]) -> Option<&'static str> {
    Some(match kinds.first()? {
        TargetKind::Lib
        | TargetKind::RLib
        | TargetKind::DyLib
        | TargetKind::CDyLib
        | TargetKind::StaticLib => "lib",
        TargetKind::ProcMacro => "proc-macro",
        TargetKind::Bin => "bin",
        TargetKind::Test => "test",
        TargetKind::Bench => "bench",
        TargetKind::Example => "example",
        _ => return None,
    })
}

/// Everything a filterset is compiled against: the test binaries (by cargo-shuffle id), the
/// workspace's package names, and guppy's package graph (nextest-filtering compiles against
/// it). Built once per run.
#[derive(Clone, Debug)]
pub(crate) struct FilterContext {
    /// Every binary a predicate may name, by cargo-shuffle id: the discovered ones and, for
    /// cargo builds, every target of the workspace (so that `binary_id(app::test/api)` is not
    /// an error in a run that built only another package).
    binaries: Arc<BTreeMap<String, BinaryInfo>>,
    /// The workspace's package names (cargo builds) or the discovered binaries' packages.
    packages: BTreeSet<String>,
    /// The graph nextest-filtering compiles against: from `cargo metadata` for cargo builds,
    /// else made from the binary ids' packages (no dependency edges).
    graph: Arc<guppy::graph::PackageGraph>,
    /// Whether `graph` has dependency edges (a full `cargo metadata`, not `--no-deps`).
    has_dependencies: bool,
    /// Why `deps()` cannot be answered, for its error.
    no_graph: String,
}

impl FilterContext {
    /// The context of `binaries`, refined by `metadata` (`cargo metadata`, with or without
    /// `--no-deps`) when they were built by cargo; without it, by what each id says. `deps()`
    /// and `rdeps()` work once [`FilterContext::with_dependencies`] gave a full `cargo metadata`;
    /// until then their error says `no_graph` (e.g. "`--binary` runs have no package graph").
    /// Errors: metadata guppy cannot read (the message says why).
    pub(crate) fn new(
        binaries: &[TestBinary],
        metadata: Option<&Metadata>,
        no_graph: &str,
    ) -> Result<FilterContext, String> {
        let mut table = BTreeMap::new();
        let mut packages = BTreeSet::new();
        if let Some(meta) = metadata {
            for pkg in meta.workspace_packages() {
                packages.insert(pkg.name.to_string());
                for t in &pkg.targets {
                    if let Some(kind) = nextest_kind(&t.kind) {
                        let info = BinaryInfo::new(&pkg.name, kind, &t.name);
                        table.entry(info.id.clone()).or_insert(info);
                    }
                }
            }
        }
        for b in binaries {
            let info = table
                .entry(b.id.clone())
                .or_insert_with(|| BinaryInfo::from_id(&b.id));
            packages.extend(info.package.clone());
        }
        let json = match metadata {
            Some(m) => serde_json::to_string(m),
            None => serde_json::to_string(&synthetic::metadata(table.values())),
        }
        .map_err(|e| e.to_string())?;
        let graph = guppy::graph::PackageGraph::from_json(json).map_err(|e| e.to_string())?;
        Ok(FilterContext {
            binaries: Arc::new(table),
            packages,
            graph: Arc::new(graph),
            has_dependencies: metadata.is_some_and(|m| m.resolve.is_some()),
            no_graph: no_graph.to_string(),
        })
    }

    /// Replaces the graph by that of a full `cargo metadata` (not `--no-deps`), for `deps()`
    /// and `rdeps()`. Errors: metadata guppy cannot read (the message says why).
    pub(crate) fn with_dependencies(mut self, full: &Metadata) -> Result<FilterContext, String> {
        let json = serde_json::to_string(full).map_err(|e| e.to_string())?;
        let graph = guppy::graph::PackageGraph::from_json(json).map_err(|e| e.to_string())?;
        self.graph = Arc::new(graph);
        self.has_dependencies = full.resolve.is_some();
        Ok(self)
    }
}

/// A compiled filterset expression: [`Filterset::matches`] says whether a test case is in it.
/// Cheap to clone, `Send + Sync`.
#[derive(Clone, Debug)]
pub(crate) struct Filterset {
    /// The expression as written.
    input: String,
    /// The compiled tree.
    expr: compile::Expr,
    /// The binaries of the context it was compiled against (shared, not copied).
    binaries: Arc<BTreeMap<String, BinaryInfo>>,
}

impl Filterset {
    /// Parses and compiles `input` against `cx`. Errors ([`FilterError`], a usage error, exit
    /// 2): a syntax error, a `package()`, `binary()` or `binary_id()` that matches nothing in
    /// `cx`, `deps()`/`rdeps()` without a dependency graph, `group()`. The error names `origin`
    /// and marks the position.
    pub(crate) fn new(
        input: &str,
        origin: FilterOrigin,
        cx: &FilterContext,
    ) -> Result<Filterset, FilterError> {
        let expr = compile::compile(input, cx, compile::kind_of(&origin)).map_err(|problems| {
            FilterError {
                input: input.to_string(),
                origin,
                problems,
            }
        })?;
        Ok(Filterset {
            input: input.to_string(),
            expr,
            binaries: cx.binaries.clone(),
        })
    }

    /// Checks only the syntax of `input` (no context needed), so that a typo stops a command
    /// before the build. Errors: as [`Filterset::new`]'s syntax errors.
    pub(crate) fn check_syntax(input: &str, origin: FilterOrigin) -> Result<(), FilterError> {
        use nextest_filtering::errors::ParseSingleError as E;
        let empty = FilterContext::new(&[], None, "").map_err(|e| FilterError {
            input: input.to_string(),
            origin: origin.clone(),
            problems: vec![FilterProblem::at(e, (0, 0), "")],
        })?;
        let pcx = nextest_filtering::ParseContext::new(&empty.graph);
        let groups = nextest_filtering::KnownGroups::Known {
            custom_groups: Default::default(),
        };
        let kind = compile::kind_of(&origin);
        let Err(e) = nextest_filtering::Filterset::parse(input.to_string(), &pcx, kind, &groups)
        else {
            return Ok(());
        };
        // Against an empty workspace every name matches nothing: only syntax counts here.
        let problems: Vec<FilterProblem> = e
            .errors
            .iter()
            .filter(|e| {
                !matches!(
                    e,
                    E::NoPackageMatch(_)
                        | E::NoBinaryIdMatch(_)
                        | E::NoBinaryNameMatch(_)
                        | E::NoGroupMatch(_)
                )
            })
            .map(FilterProblem::from_nextest)
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        Err(FilterError {
            input: input.to_string(),
            origin,
            problems,
        })
    }

    /// Whether `input` uses `deps()` or `rdeps()`, which need a full `cargo metadata` (see
    /// [`FilterContext::with_dependencies`]): a word `deps` or `rdeps` followed by `(`
    /// (nextest's `needs_deps` looks for `deps` anywhere, so `test(deps)` would fetch the
    /// dependency graph for nothing).
    pub(crate) fn needs_dependencies(input: &str) -> bool {
        compile::deps_call(input).is_some()
    }

    /// The expression as written.
    #[allow(
        dead_code,
        reason = "for the config file's overrides (issue 15), which name it"
    )]
    pub(crate) fn input(&self) -> &str {
        &self.input
    }

    /// Whether test case `test` is in this filterset.
    pub(crate) fn matches(&self, test: &TestCase) -> bool {
        let derived;
        let info = match self.binaries.get(&test.binary_id) {
            Some(b) => b,
            None => {
                derived = BinaryInfo::from_id(&test.binary_id);
                &derived
            }
        };
        self.expr.eval(info, &test.name)
    }
}

/// Several filtersets OR-ed, as several `-E`s are: a test is selected when any matches, every
/// test when there are none.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filtersets(pub(crate) Vec<Filterset>);

impl Filtersets {
    /// Compiles each of `inputs` (given to `-E`) against `cx`. Errors: the first expression that
    /// does not compile (see [`Filterset::new`]).
    pub(crate) fn new(inputs: &[String], cx: &FilterContext) -> Result<Filtersets, FilterError> {
        inputs
            .iter()
            .map(|i| Filterset::new(i, FilterOrigin::Flag, cx))
            .collect::<Result<_, _>>()
            .map(Filtersets)
    }

    /// Whether `test` is selected: by any filterset, or by none given.
    pub(crate) fn matches(&self, test: &TestCase) -> bool {
        self.0.is_empty() || self.0.iter().any(|f| f.matches(test))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(id: &str) -> TestBinary {
        TestBinary {
            id: id.into(),
            path: "/bin/true".into(),
            cwd: ".".into(),
            env: Vec::new(),
            runner: None,
        }
    }

    fn cx() -> FilterContext {
        let bins = ["app::lib", "app::test/api", "dbkit::lib", "plain"].map(binary);
        FilterContext::new(&bins, None, "no graph here").unwrap()
    }

    fn selected(expr: &str) -> Vec<String> {
        let f = Filterset::new(expr, FilterOrigin::Flag, &cx()).unwrap();
        let tests = [
            ("app::lib", "db::open"),
            ("app::lib", "ui::draw"),
            ("app::test/api", "db::query"),
            ("dbkit::lib", "db::pool"),
            ("plain", "db::x"),
        ];
        tests
            .iter()
            .map(|(b, n)| TestCase::new(b, n))
            .filter(|t| f.matches(t))
            .map(|t| t.id())
            .collect()
    }

    #[test]
    fn predicates_and_operators_select_by_package_test_kind_and_id() {
        assert_eq!(
            selected("package(=app) & test(/^db::/)"),
            ["app::lib db::open", "app::test/api db::query"]
        );
        assert_eq!(selected("kind(test)"), ["app::test/api db::query"]);
        assert_eq!(selected("binary(dbkit) or binary(plain)").len(), 2);
        assert_eq!(
            selected("test(db::) - package(app)"),
            ["dbkit::lib db::pool", "plain db::x"]
        );
        assert_eq!(selected("not all()").len(), 0);
        assert_eq!(selected("none() | test(=ui::draw)"), ["app::lib ui::draw"]);
        assert_eq!(
            selected("platform(target) & test(#*pool)"),
            ["dbkit::lib db::pool"]
        );
    }

    #[test]
    fn binary_id_takes_both_spellings() {
        let ours = selected("binary_id(app::test/api)");
        assert_eq!(ours, ["app::test/api db::query"]);
        assert_eq!(selected("binary_id(app::api)"), ours);
        assert_eq!(
            selected("binary_id(=app)"),
            ["app::lib db::open", "app::lib ui::draw"]
        );
        assert_eq!(selected("binary_id(app::lib)"), selected("binary_id(app)"));
        assert_eq!(
            selected("binary_id(#app::test/*) | binary_id(plain)").len(),
            2
        );
    }

    #[test]
    fn names_the_workspace_lacks_and_deps_without_a_graph_are_errors() {
        let err = |e: &str| Filterset::new(e, FilterOrigin::Flag, &cx()).unwrap_err();
        let e = err("package(=nope)");
        assert_eq!(e.problems[0].span, Some((8, 5)));
        assert!(
            e.problems[0]
                .help
                .as_deref()
                .unwrap()
                .contains("app, dbkit")
        );
        assert!(
            err("binary_id(app::test/nope)").problems[0]
                .message
                .contains("binary IDs")
        );
        let d = err("test(a) | deps(app)");
        assert_eq!(d.problems[0].span, Some((10, 4)));
        assert_eq!(d.problems[0].label.as_deref(), Some("no graph here"));
        // An unknown group name is refused as group() itself, not as "no group matched".
        for e in ["group(x)", "group(=serial) | test(a)"] {
            let p = &err(e).problems[0];
            assert_eq!(
                p.message, "group() is not supported by cargo-shuffle",
                "{e}"
            );
        }
        let syntax = Filterset::check_syntax("test(a", FilterOrigin::Flag).unwrap_err();
        assert!(syntax.to_string().contains("missing `)`"), "{syntax}");
    }

    #[test]
    fn config_file_filters_are_override_filters_and_name_their_key() {
        let origin = FilterOrigin::ConfigFile {
            file: ".config/shuffle.toml".into(),
            line: 4,
            column: 10,
            key: "profile.default.overrides[0].filter".into(),
        };
        let f = Filterset::new("test(/^db::/)", origin.clone(), &cx()).unwrap();
        assert!(f.matches(&TestCase::new("app::lib", "db::open")));
        assert_eq!(f.input(), "test(/^db::/)");
        let e = Filterset::new("group(serial)", origin, &cx()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(".config/shuffle.toml:4:10: key `profile.default.overrides[0].filter`: invalid filterset: predicate not allowed in `override-filter` expressions"),
            "{text}"
        );
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<Filterset>();
        shareable::<Filtersets>();
    }

    #[test]
    fn binary_id_patterns_nextest_accepts_select_as_in_nextest() {
        // nextest's ids here: app, app::api, dbkit, plain. `app::*` is one of nextest's globs:
        // it means app::api only (as in nextest), not cargo-shuffle's app::lib too.
        assert_eq!(
            selected("package(app) - binary_id(app::*)"),
            ["app::lib db::open", "app::lib ui::draw"]
        );
        assert_eq!(selected("binary_id(~app::)"), ["app::test/api db::query"]);
        // An argument only cargo-shuffle's spelling matches is matched against it.
        assert_eq!(
            selected("binary_id(app::lib)"),
            ["app::lib db::open", "app::lib ui::draw"]
        );
        assert_eq!(
            selected("binary_id(#*::test/*)"),
            ["app::test/api db::query"]
        );
        // A glob by default, as nextest's binary_id(): also in cargo-shuffle's spelling.
        assert_eq!(
            selected("binary_id(app::test/*)"),
            ["app::test/api db::query"]
        );
    }

    #[test]
    fn ids_map_to_nextest_spelling() {
        let b = BinaryInfo::from_id("my-app::lib");
        assert_eq!(
            (b.nextest_id.as_str(), b.binary_name.as_str()),
            ("my-app", "my_app")
        );
        assert_eq!(BinaryInfo::from_id("a::test/t").nextest_id, "a::t");
        assert_eq!(BinaryInfo::from_id("a::bin/c").nextest_id, "a::bin/c");
        assert_eq!(BinaryInfo::from_id("plain").package, None);
    }

    #[test]
    fn several_filtersets_are_ored_and_none_selects_all() {
        let sets = Filtersets::new(&["test(=a)".into(), "test(=b)".into()], &cx()).unwrap();
        let t = |n: &str| TestCase::new("app::lib", n);
        assert!(sets.matches(&t("a")) && sets.matches(&t("b")) && !sets.matches(&t("c")));
        assert!(Filtersets::default().matches(&t("c")));
    }
}
