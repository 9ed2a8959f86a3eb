//! Why a filterset cannot be used ([`FilterError`]): where the expression came from (`-E` or a
//! key of the config file, [`FilterOrigin`]) and each problem with the span it points at, rendered
//! as plain text: the expression quoted on a line of its own and `^` under the offending part
//! (nextest-filtering's errors are miette diagnostics; they are rendered here without colour or
//! box drawing, so a log or a pipe reads the same as a terminal).

use miette::Diagnostic;
use nextest_filtering::errors::ParseSingleError;
use std::fmt;
use std::path::PathBuf;

/// Where a filterset expression was written, named in its errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FilterOrigin {
    /// A `-E/--filterset` argument of the command line.
    Flag,
    /// A key of the config file (compiled as nextest's override filter), e.g. `profile.ci.overrides[0].filter` at line 7, column 10
    /// (1-based, as the TOML parser reports them) of `.config/shuffle.toml`.
    ConfigFile {
        /// The file as it is named to the user (relative to the current directory or absolute).
        file: PathBuf,
        /// 1-based line of the key's value.
        line: usize,
        /// 1-based column of the key's value.
        column: usize,
        /// The dotted key, e.g. `profile.default.overrides[2].filter`.
        key: String,
    },
}

/// One thing wrong with an expression: what, where (a byte span of the expression) and, from
/// nextest-filtering, a label for the span and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilterProblem {
    /// E.g. `expected close parenthesis`, `operator didn't match any packages`.
    pub(crate) message: String,
    /// `(byte offset, byte length)` in the expression; `None` when the problem has no place.
    pub(crate) span: Option<(usize, usize)>,
    /// What the marked part is, e.g. ``missing `)` ``, `no packages matched this`.
    pub(crate) label: Option<String>,
    /// What to do instead, when known.
    pub(crate) help: Option<String>,
}

impl FilterProblem {
    /// A problem of our own at `span` (byte offset, byte length).
    pub(crate) fn at(message: impl Into<String>, span: (usize, usize), label: &str) -> Self {
        FilterProblem {
            message: message.into(),
            span: Some(span),
            label: Some(label.to_string()),
            help: None,
        }
    }

    /// The problem nextest-filtering reported, with its first label's span and text.
    pub(crate) fn from_nextest(e: &ParseSingleError) -> Self {
        let first = e.labels().and_then(|mut l| l.next());
        FilterProblem {
            message: e.to_string(),
            span: first.as_ref().map(|l| (l.offset(), l.len())),
            label: first.and_then(|l| l.label().map(str::to_string)),
            help: e.help().map(|h| h.to_string()),
        }
    }
}

/// A filterset that does not parse, or names what the workspace does not have (a package, a
/// binary id, a binary name), or uses a predicate the context cannot answer (`deps()` without
/// cargo's package graph, `group()`). Usage error: exit 2.
///
/// Displayed as one message that names the origin, quotes the expression and marks each
/// problem's position:
///
/// ```text
/// invalid filterset given to -E/--filterset: expected close parenthesis
///     package(=app) & test(/^db::/
///                                 ^ missing `)`
/// ```
///
/// or, from the config file, `.config/shuffle.toml:7:10: key `profile.ci.overrides[0].filter`:
/// invalid filterset: …` followed by the same quoted lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilterError {
    /// The expression as written.
    pub(crate) input: String,
    /// Where it was written.
    pub(crate) origin: FilterOrigin,
    /// At least one problem, in the order found.
    pub(crate) problems: Vec<FilterProblem>,
}

impl std::error::Error for FilterError {}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            FilterOrigin::Flag => write!(f, "invalid filterset given to -E/--filterset")?,
            FilterOrigin::ConfigFile {
                file,
                line,
                column,
                key,
            } => write!(
                f,
                "{}:{line}:{column}: key `{key}`: invalid filterset",
                file.display()
            )?,
        }
        // Newlines and tabs would break the marker's column: show them as spaces (one byte each).
        let shown: String = self
            .input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        for (i, p) in self.problems.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "\nalso: " };
            write!(f, "{sep}{}\n    {shown}", p.message)?;
            if let Some((offset, len)) = p.span {
                let col = column_of(&self.input, offset);
                let width = column_of(&self.input, offset + len)
                    .saturating_sub(col)
                    .max(1);
                write!(f, "\n    {}{}", " ".repeat(col), "^".repeat(width))?;
                if let Some(l) = &p.label {
                    write!(f, " {l}")?;
                }
            }
            if let Some(h) = &p.help {
                write!(f, "\n    help: {h}")?;
            }
        }
        write!(
            f,
            "\n    the filterset language is nextest's: test(), package(), deps(), rdeps(), kind(), binary(), binary_id(), platform(), all(), none(), combined with and/or/not (&, |, !, -); see docs/config.md (Filtersets)"
        )
    }
}

/// The display column (in characters) of byte `offset` of `input` (clamped to its end).
fn column_of(input: &str, offset: usize) -> usize {
    let mut end = offset.min(input.len());
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    input[..end].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_position_under_the_quoted_expression() {
        let e = FilterError {
            input: "tést(a) | bogus(b)".into(),
            origin: FilterOrigin::Flag,
            problems: vec![FilterProblem::at("unknown set", (11, 5), "here")],
        };
        let text = e.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "invalid filterset given to -E/--filterset: unknown set"
        );
        assert_eq!(lines[1], "    tést(a) | bogus(b)");
        // `é` is two bytes but one column: the marker sits under `bogus`.
        assert_eq!(lines[2], "              ^^^^^ here");
    }

    #[test]
    fn a_config_file_origin_names_file_line_and_key() {
        let e = FilterError {
            input: "x".into(),
            origin: FilterOrigin::ConfigFile {
                file: ".config/shuffle.toml".into(),
                line: 7,
                column: 10,
                key: "profile.ci.overrides[0].filter".into(),
            },
            problems: vec![FilterProblem {
                message: "m".into(),
                span: None,
                label: None,
                help: Some("h".into()),
            }],
        };
        let text = e.to_string();
        assert!(text.starts_with(
            ".config/shuffle.toml:7:10: key `profile.ci.overrides[0].filter`: invalid filterset: m\n    x\n    help: h"
        ));
    }
}
