//! Reading triage findings back: `Finding` and `FindingKind` derive `Deserialize` in `triage`;
//! a [`Rerun`] (its evidence) is read here, because its purpose is a `&'static str` that must
//! be one of [`RERUN_PURPOSES`].

use crate::events::Outcome;
use crate::triage::Rerun;

/// Every [`Rerun::purpose`] triage uses; reading a report back accepts only these (a new
/// purpose in `triage` must be added here).
pub(crate) const RERUN_PURPOSES: [&str; 12] = [
    "alone",
    "prefix",
    "cross-shard",
    "replay",
    "bisect",
    "prune",
    "confirm",
    "confirm-alone",
    "reference",
    "cleaner",
    "process-check",
    "retry",
];

/// [`Rerun`] as read back from a report, before its purpose is checked.
#[derive(serde::Deserialize)]
struct RerunJson {
    purpose: String,
    order: Vec<String>,
    outcome: Outcome,
    duration_ms: f64,
}

impl TryFrom<RerunJson> for Rerun {
    type Error = String;

    /// Takes the purpose's `&'static str` from [`RERUN_PURPOSES`]; any other purpose is an
    /// error naming it and the accepted ones.
    fn try_from(r: RerunJson) -> Result<Rerun, String> {
        let purpose = RERUN_PURPOSES
            .iter()
            .find(|p| **p == r.purpose)
            .ok_or_else(|| {
                format!(
                    "unknown rerun purpose `{}`, expected one of {}",
                    r.purpose,
                    RERUN_PURPOSES.join(", ")
                )
            })?;
        Ok(Rerun {
            purpose,
            order: r.order,
            outcome: r.outcome,
            duration_ms: r.duration_ms,
        })
    }
}

/// Reads a rerun back through [`RerunJson`] (derived `Deserialize` would tie `purpose` to the
/// input's lifetime).
impl<'de> serde::Deserialize<'de> for Rerun {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rerun, D::Error> {
        <RerunJson as serde::Deserialize>::deserialize(d)?
            .try_into()
            .map_err(serde::de::Error::custom)
    }
}
