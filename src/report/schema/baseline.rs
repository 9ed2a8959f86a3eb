//! The baseline file: known order-dependent and flaky tests (see `ci::baseline`).

use super::common::{BASELINE_SCHEMA, SchemaError, error};
use crate::triage::FindingKind;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The baseline file (schema [`BASELINE_SCHEMA`]): known order-dependent and flaky tests that
/// do not fail the gate. Methods are in `ci::baseline`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    /// [`BASELINE_SCHEMA`]; may be absent in a hand-written file.
    #[serde(default)]
    pub(crate) schema: String,
    /// Known tests, sorted by id.
    pub(crate) known: Vec<Known>,
}

/// One known test of the baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Known {
    /// `BINARY_ID TEST_NAME`.
    pub(crate) test: String,
    /// Its finding kind when it was recorded: `od-victim`, `brittle` or `nod-flaky` (the
    /// others are accepted and never called fixed); an unknown kind is an error.
    pub(crate) kind: FindingKind,
    /// Polluters when it was recorded: an OD victim that passes after all of them is fixed.
    #[serde(default)]
    pub(crate) polluters: Vec<String>,
    /// State-setters when it was recorded: a brittle test that passes without any of them
    /// before it is fixed.
    #[serde(default)]
    pub(crate) state_setters: Vec<String>,
    /// Why it is known (free text).
    #[serde(default)]
    pub(crate) note: String,
}

/// Parses a baseline file's text. Errors (naming `path`): not JSON, a `schema` other than
/// [`BASELINE_SCHEMA`], or an entry that does not match (an unknown kind, no `test`).
pub(crate) fn parse_baseline(path: &Path, text: &str) -> Result<Baseline, SchemaError> {
    let b: Baseline = serde_json::from_str(text).map_err(|e| {
        error(
            path,
            format!(
                "not a baseline file ({e}); fix it, or recreate it with `cargo shuffle baseline --update --from REPORT --baseline {}`",
                path.display()
            ),
        )
    })?;
    if !b.schema.is_empty() && b.schema != BASELINE_SCHEMA {
        return Err(error(
            path,
            format!(
                "has schema {:?}, not {BASELINE_SCHEMA}; pass a baseline written by `cargo shuffle baseline --update`",
                b.schema
            ),
        ));
    }
    Ok(b)
}
