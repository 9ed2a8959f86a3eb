//! The profile's `[[overrides]]` and the file's `[test-groups]`, compiled for the runner: each
//! override's filter expression becomes a [`Matcher`], its settings the runner's
//! [`Override`]; the groups become one [`TestGroups`] shared by every sequence of the command.
//! Errors name the file, line and key (`profile.ci.overrides.filter`) and, for a filter, the
//! position in the expression.

use super::file::OverrideFile;
use super::profile::Profile;
use crate::app::error::UsageError;
use crate::discover::list::TestCase;
use crate::runner::groups::TestGroups;
use crate::runner::overrides::{Matcher, Override, Overrides, SlowTimeout};
use std::sync::Arc;

/// What the overrides and groups of a profile give the executor and the plan.
#[derive(Clone, Debug, Default)]
pub(crate) struct Compiled {
    /// Per-test settings, in the order they apply.
    pub(crate) overrides: Overrides,
    /// The test groups' slots.
    pub(crate) groups: Arc<TestGroups>,
    /// `shuffle = false`: the tests whose first override that sets `shuffle` says false; they
    /// run in name order in a shard of their own. `None` when no override sets it.
    pub(crate) unshuffled: Option<UnshuffledMatcher>,
}

/// Which tests are kept out of the shuffle (`shuffle = false`).
#[derive(Clone)]
pub(crate) struct UnshuffledMatcher(pub(crate) Matcher);

impl std::fmt::Debug for UnshuffledMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnshuffledMatcher")
    }
}

/// A filter that did not compile: the byte offset in the expression where it went wrong, and
/// what is wrong.
pub(crate) type FilterError = (usize, String);

/// Compiles `profile`'s overrides and groups, filters with `compile_filter`. Errors: a filter
/// `compile_filter` rejects, as `FILE:LINE:COL: key `…filter`: invalid filter expression …`
/// with the expression and a caret under the position.
pub(crate) fn compile(
    profile: &Profile,
    compile_filter: &dyn Fn(&str) -> Result<Matcher, FilterError>,
) -> Result<Compiled, UsageError> {
    let mut overrides = Vec::new();
    let mut shuffle: Vec<(Matcher, bool)> = Vec::new();
    for o in &profile.settings.overrides {
        let expr = o.filter.get_ref();
        let matches = compile_filter(expr).map_err(|(at, msg)| {
            profile.error_at(
                o.filter.span().start,
                &format!(
                    "invalid filter expression: {msg}\n    {expr}\n    {}^",
                    " ".repeat(expr[..at.min(expr.len())].chars().count())
                ),
            )
        })?;
        if let Some(s) = o.shuffle {
            shuffle.push((matches.clone(), s));
        }
        overrides.push(runner_override(o, matches));
    }
    let unshuffled = shuffle.iter().any(|(_, s)| !s).then(|| {
        UnshuffledMatcher(Arc::new(move |t: &TestCase| {
            shuffle.iter().find(|(m, _)| m(t)).is_some_and(|(_, s)| !s)
        }) as Matcher)
    });
    Ok(Compiled {
        overrides: Overrides(Arc::new(overrides)),
        groups: TestGroups::new(profile.test_groups.clone()),
        unshuffled,
    })
}

/// The runner's form of override `o`, matching with `matches`.
fn runner_override(o: &OverrideFile, matches: Matcher) -> Override {
    Override {
        filter: o.filter.get_ref().clone(),
        matches,
        timeout: o.timeout.map(|t| t.0),
        retries: o.retries.map(|r| r.0),
        leak_timeout: o.leak_timeout.map(|t| t.0),
        slow_timeout: o.slow_timeout.map(|s| SlowTimeout {
            period: s.period,
            terminate_after: s.terminate_after,
        }),
        test_group: o.test_group.as_ref().map(|g| g.get_ref().clone()),
    }
}

/// Until filter expressions land (issue 15, point 4): `all()`, `none()`, `test(=NAME)`,
/// `test(~TEXT)` and `test(TEXT)` (contains), as in nextest's filterset language. Errors: any
/// other expression, at its first character.
pub(crate) fn simple_filter(expr: &str) -> Result<Matcher, FilterError> {
    let e = expr.trim();
    match e {
        "all()" => return Ok(Arc::new(|_: &TestCase| true)),
        "none()" => return Ok(Arc::new(|_: &TestCase| false)),
        _ => {}
    }
    let lead = expr.len() - expr.trim_start().len();
    let Some(inner) = e.strip_prefix("test(").and_then(|r| r.strip_suffix(')')) else {
        return Err((
            lead,
            "expected all(), none() or test(=NAME | ~TEXT | TEXT)".into(),
        ));
    };
    let m: Matcher = match inner.strip_prefix('=') {
        Some(name) => {
            let name = name.to_string();
            Arc::new(move |t: &TestCase| t.name == name)
        }
        None => {
            let text = inner.strip_prefix('~').unwrap_or(inner).to_string();
            Arc::new(move |t: &TestCase| t.name.contains(&text))
        }
    };
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_filters_match_test_names() {
        let t = TestCase::new("b", "db::insert");
        let m = |e: &str| simple_filter(e).map(|m| m(&t));
        assert_eq!(m("all()"), Ok(true));
        assert_eq!(m("none()"), Ok(false));
        assert_eq!(m("test(=db::insert)"), Ok(true));
        assert_eq!(m("test(=db::ins)"), Ok(false));
        assert_eq!(m("test(~db::)"), Ok(true));
        assert_eq!(m("test(insert)"), Ok(true));
        assert_eq!(m("test(api)"), Ok(false));
        assert_eq!(m("  package(x)").unwrap_err().0, 2);
    }
}
