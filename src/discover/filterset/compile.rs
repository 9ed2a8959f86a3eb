//! Compiling an expression with nextest-filtering against a [`FilterContext`]'s package graph,
//! then turning nextest's compiled tree into ours ([`Expr`]) so that `binary_id()` matches
//! both cargo-shuffle's spelling of an id (`app::test/api`, `app::lib`) and nextest's
//! (`app::api`, `app`).
//!
//! nextest checks every `binary_id()` and `binary()` argument against the ids and names of its
//! graph, which are nextest-spelled and, for `--binary` paths, absent. An argument it rejects
//! that does match one of our binaries is put back: the argument is replaced by `#*` for
//! nextest's check and its own matcher (parsed by nextest as a `test()` argument) is kept for
//! matching.

use super::{BinaryInfo, FilterContext, FilterProblem};
use guppy::graph::cargo::BuildPlatform;
use nextest_filtering::errors::ParseSingleError;
use nextest_filtering::{
    CompiledExpr, Filterset, FiltersetKind, FiltersetLeaf, KnownGroups, NameMatcher, ParseContext,
};
use std::collections::{BTreeMap, BTreeSet};

/// A compiled expression: operators over [`Leaf`]s.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    /// `not a`, `!a`.
    Not(Box<Expr>),
    /// `a and b`, `a & b` (and `a - b` as `a & not b`).
    And(Box<Expr>, Box<Expr>),
    /// `a or b`, `a | b`, `a + b`.
    Or(Box<Expr>, Box<Expr>),
    /// A predicate.
    Leaf(Leaf),
}

/// A compiled predicate.
#[derive(Clone, Debug)]
pub(crate) enum Leaf {
    /// `package()`, `deps()`, `rdeps()`: the binary's package is one of these names.
    Packages(BTreeSet<String>),
    /// `kind()`: nextest's kind (`lib`, `proc-macro`, `test`, `bin`, `bench`, `example`).
    Kind(NameMatcher),
    /// `platform(host|target)`.
    Platform(BuildPlatform),
    /// `binary()`: the target name.
    Binary(NameMatcher),
    /// `binary_id()`: against nextest's id (`app`, `app::api`) when the argument matched one
    /// of nextest's ids, so an expression that works in nextest selects the same here; against
    /// cargo-shuffle's (`app::lib`, `app::test/api`) when `true`: the argument matched none
    /// of nextest's ids but some of ours.
    BinaryId(NameMatcher, bool),
    /// `test()`: the libtest name.
    Test(NameMatcher),
    /// `all()` (and `default()`: cargo-shuffle has no default-filter).
    All,
    /// `none()`.
    None,
}

impl Expr {
    /// Whether the test named `name` of binary `b` is in the expression.
    pub(crate) fn eval(&self, b: &BinaryInfo, name: &str) -> bool {
        match self {
            Expr::Not(a) => !a.eval(b, name),
            Expr::And(x, y) => x.eval(b, name) && y.eval(b, name),
            Expr::Or(x, y) => x.eval(b, name) || y.eval(b, name),
            Expr::Leaf(l) => match l {
                Leaf::Packages(set) => b.package.as_ref().is_some_and(|p| set.contains(p)),
                Leaf::Kind(m) => b.kind.as_deref().is_some_and(|k| m.is_match(k)),
                Leaf::Platform(p) => b.platform == *p,
                Leaf::Binary(m) => m.is_match(&b.binary_name),
                Leaf::BinaryId(m, false) => m.is_match(&b.nextest_id),
                Leaf::BinaryId(m, true) => m.is_match(&b.id),
                Leaf::Test(m) => m.is_match(name),
                Leaf::All => true,
                Leaf::None => false,
            },
        }
    }
}

/// nextest's kind of a filterset from `origin`: `Test` for `-E`, `OverrideFilter` (no
/// `group()`) for the config file.
pub(crate) fn kind_of(origin: &super::FilterOrigin) -> FiltersetKind {
    match origin {
        super::FilterOrigin::Flag => FiltersetKind::Test,
        super::FilterOrigin::ConfigFile { .. } => FiltersetKind::OverrideFilter,
    }
}

/// Parses and compiles `input` as a filterset of `kind` (`Test` for `-E`, `OverrideFilter`
/// for the config file's overrides). Errors: every problem nextest-filtering found (syntax,
/// names that match nothing, `group()` where banned), each with its span, and ours (`group()`
/// is not supported; `deps()` without a dependency graph).
pub(crate) fn compile(
    input: &str,
    cx: &FilterContext,
    kind: FiltersetKind,
) -> Result<Expr, Vec<FilterProblem>> {
    if !cx.has_dependencies
        && let Some(at) = deps_call(input)
    {
        // Without dependency edges nextest would answer `deps(a)` with `a` alone: refuse.
        return Err(vec![FilterProblem::at(
            "deps() and rdeps() need cargo's dependency graph",
            (at, 4),
            &cx.no_graph,
        )]);
    }
    let pcx = ParseContext::new(&cx.graph);
    let groups = KnownGroups::Known {
        custom_groups: Default::default(),
    };
    let first = Filterset::parse(input.to_string(), &pcx, kind, &groups);
    let (compiled, kept) = match first {
        Ok(f) => (f.compiled, BTreeMap::new()),
        Err(e) => {
            let mut kept = BTreeMap::new();
            let mut rest = Vec::new();
            for err in &e.errors {
                match ours_after_all(input, err, cx, &pcx) {
                    Some((span, m)) => {
                        kept.insert(span, m);
                    }
                    None => rest.push(FilterProblem::from_nextest(err)),
                }
            }
            if !rest.is_empty() {
                return Err(with_hints(rest, cx));
            }
            // Only our own ids and names were refused: check the rest with `#*` in their place.
            let (patched, moved) = patch(input, &kept);
            let f = Filterset::parse(patched, &pcx, kind, &groups).map_err(|e| {
                e.errors
                    .iter()
                    .map(FilterProblem::from_nextest)
                    .collect::<Vec<_>>()
            })?;
            let kept = moved.into_iter().zip(kept.into_values()).collect();
            (f.compiled, kept)
        }
    };
    let mut problems = Vec::new();
    let expr = convert(&compiled, cx, &kept, &mut problems);
    if problems.is_empty() {
        Ok(expr)
    } else {
        Err(problems)
    }
}

/// The byte offset of the first `deps(` or `rdeps(` call in `input` (a word `deps` followed by
/// `(`), if any.
pub(super) fn deps_call(input: &str) -> Option<usize> {
    input.match_indices("deps").map(|(i, _)| i).find(|&i| {
        let before = input[..i].strip_suffix('r').unwrap_or(&input[..i]);
        let word_start = before
            .chars()
            .last()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        word_start && input[i + 4..].trim_start().starts_with('(')
    })
}

/// For a `binary_id()`/`binary()` argument nextest found no match for: its span and matcher,
/// if it does match one of our binaries (by cargo-shuffle id, or by a name only we know).
fn ours_after_all(
    input: &str,
    err: &ParseSingleError,
    cx: &FilterContext,
    pcx: &ParseContext<'_>,
) -> Option<((usize, usize), NameMatcher)> {
    let (span, by_id) = match err {
        ParseSingleError::NoBinaryIdMatch(s) => (s, true),
        ParseSingleError::NoBinaryNameMatch(s) => (s, false),
        _ => return None,
    };
    let arg = input.get(span.offset()..span.offset() + span.len())?.trim();
    // The same argument read as a `test()` argument (which nextest never checks), with the
    // `binary_id()`/`binary()` default, nextest's: a glob (a plain name is a glob matching
    // only itself).
    let explicit = arg.starts_with(['=', '~', '/', '#']);
    let probe = format!("test({}{arg})", if explicit { "" } else { "#" });
    let f = Filterset::parse(
        probe,
        pcx,
        FiltersetKind::Test,
        &KnownGroups::Known {
            custom_groups: Default::default(),
        },
    )
    .ok()?;
    let CompiledExpr::Set(FiltersetLeaf::Test(m, _)) = f.compiled else {
        return None;
    };
    let hit = cx.binaries.values().any(|b| {
        if by_id {
            m.is_match(&b.id)
        } else {
            m.is_match(&b.binary_name)
        }
    });
    hit.then_some(((span.offset(), span.len()), m))
}

/// `input` with each span of `kept` replaced by `#*`, and each replaced span's new offset.
fn patch(input: &str, kept: &BTreeMap<(usize, usize), NameMatcher>) -> (String, Vec<usize>) {
    let mut out = String::new();
    let mut at = 0;
    let mut moved = Vec::new();
    for &(offset, len) in kept.keys() {
        out.push_str(&input[at..offset]);
        moved.push(out.len());
        out.push_str("#*");
        at = offset + len;
    }
    out.push_str(&input[at..]);
    (out, moved)
}

/// Why `group()` is refused and what to write instead.
const GROUP_HELP: &str = "tests cannot be selected by test group here: select them with the filter of the override that puts them in the group";

/// Adds to each "matched nothing" problem a hint naming what exists; `group()`'s is replaced
/// by the refusal of `group()` itself.
fn with_hints(mut problems: Vec<FilterProblem>, cx: &FilterContext) -> Vec<FilterProblem> {
    for p in &mut problems {
        if p.message.contains("test groups") {
            // nextest checks the group's name against its groups (none are known here) before
            // we see the predicate: say what is really wrong, as for a known group.
            p.message = "group() is not supported by cargo-shuffle".into();
            p.help = Some(GROUP_HELP.into());
            continue;
        }
        let (what, names): (&str, Vec<&str>) = if p.message.contains("packages") {
            (
                "the packages are",
                cx.packages.iter().map(String::as_str).collect(),
            )
        } else if p.message.contains("binary IDs") {
            (
                "the binary ids are",
                cx.binaries.keys().map(String::as_str).collect(),
            )
        } else if p.message.contains("binary names") {
            (
                "the binary names are",
                cx.binaries
                    .values()
                    .map(|b| b.binary_name.as_str())
                    .collect(),
            )
        } else {
            continue;
        };
        p.help = Some(format!("{what}: {}", some_of(names)));
    }
    problems
}

/// The first ten of `names` (sorted, deduplicated), comma-separated, then how many more.
fn some_of(names: Vec<&str>) -> String {
    let all: BTreeSet<&str> = names.into_iter().collect();
    if all.is_empty() {
        return "none".into();
    }
    let mut out: Vec<String> = all.iter().take(10).map(|s| s.to_string()).collect();
    if all.len() > 10 {
        out.push(format!("… ({} more)", all.len() - 10));
    }
    out.join(", ")
}

/// nextest's compiled tree as ours: package ids become names, `binary_id()` and `binary()`
/// leaves at a span of `kept` get the matcher kept for them, `group()` is refused, and
/// `deps()`/`rdeps()` (package sets nextest computed) need the dependency graph.
fn convert(
    e: &CompiledExpr,
    cx: &FilterContext,
    kept: &BTreeMap<usize, NameMatcher>,
    problems: &mut Vec<FilterProblem>,
) -> Expr {
    let mut sub = |x: &CompiledExpr| Box::new(convert(x, cx, kept, problems));
    match e {
        CompiledExpr::Not(a) => Expr::Not(sub(a)),
        CompiledExpr::Union(a, b) => Expr::Or(sub(a), sub(b)),
        CompiledExpr::Intersection(a, b) => Expr::And(sub(a), sub(b)),
        CompiledExpr::Set(l) => Expr::Leaf(match l {
            FiltersetLeaf::Packages(ids) => Leaf::Packages(
                ids.iter()
                    .filter_map(|id| cx.graph.metadata(id).ok())
                    .map(|p| p.name().to_string())
                    .collect(),
            ),
            FiltersetLeaf::Kind(m, _) => Leaf::Kind(m.clone()),
            FiltersetLeaf::Platform(p, _) => Leaf::Platform(*p),
            FiltersetLeaf::Binary(m, s) => Leaf::Binary(kept.get(&s.offset()).unwrap_or(m).clone()),
            FiltersetLeaf::BinaryId(m, s) => match kept.get(&s.offset()) {
                Some(ours) => Leaf::BinaryId(ours.clone(), true),
                None => Leaf::BinaryId(m.clone(), false),
            },
            FiltersetLeaf::Test(m, _) => Leaf::Test(m.clone()),
            FiltersetLeaf::Group(_, s) => {
                problems.push(FilterProblem::at(
                    "group() is not supported by cargo-shuffle",
                    (s.offset(), s.len()),
                    GROUP_HELP,
                ));
                Leaf::None
            }
            FiltersetLeaf::Default | FiltersetLeaf::All => Leaf::All,
            FiltersetLeaf::None => Leaf::None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deps_calls_are_found_as_words() {
        assert_eq!(deps_call("deps(a)"), Some(0));
        assert_eq!(deps_call("test(x) | rdeps (a)"), Some(11));
        assert_eq!(deps_call("test(deps)"), None);
        assert_eq!(deps_call("test(mydeps(x))"), None);
    }

    #[test]
    fn patching_replaces_spans_and_reports_their_new_offsets() {
        let m = NameMatcher::Equal {
            value: "x".into(),
            implicit: true,
        };
        let kept: BTreeMap<(usize, usize), NameMatcher> =
            [((10, 13), m.clone()), ((37, 6), m)].into();
        let input = "binary_id(app::test/api) | binary_id(a::lib)";
        let (patched, moved) = patch(input, &kept);
        assert_eq!(patched, "binary_id(#*) | binary_id(#*)");
        assert_eq!(moved, [10, 26]);
    }
}
