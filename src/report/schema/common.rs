//! What every document module of the schema shares: the schema ids, the version, the string
//! form of seeds and partitions, and the error type of reading a document back.

use std::path::Path;

/// Schema id of the run record ([`RunRecordDoc`]).
pub(crate) const RUN_RECORD_SCHEMA: &str = "cargo-shuffle/run-record/v1";
/// Schema id of the hunt report ([`HuntDoc`]).
pub(crate) const HUNT_SCHEMA: &str = "cargo-shuffle/hunt/v1";
/// Schema id of the baseline file ([`Baseline`]).
pub(crate) const BASELINE_SCHEMA: &str = "cargo-shuffle/baseline/v1";
/// The cargo-shuffle version written in the `version` key of the documents.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `Display`/`FromStr` types (the seed, a partition) as JSON strings: a u64 seed does not fit a
/// JSON double, and a partition is written as on the command line (`2/3`, `slice:2/3`).
pub(super) mod text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub(crate) fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr<Err: Display>,
        D: Deserializer<'de>,
    {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

/// [`text`] for an optional value: `null` when absent.
pub(super) mod opt_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub(crate) fn serialize<T: Display, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr<Err: Display>,
        D: Deserializer<'de>,
    {
        Option::<std::borrow::Cow<'de, str>>::deserialize(d)?
            .map(|s| s.parse().map_err(D::Error::custom))
            .transpose()
    }
}

/// An optional wall-clock time as an RFC 3339 string in UTC with milliseconds
/// (`2026-12-01T10:00:00.123Z`); `null` when unknown. Any RFC 3339 offset is read back.
pub(super) mod opt_time {
    use chrono::{DateTime, FixedOffset, SecondsFormat};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(
                &t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(SecondsFormat::Millis, true),
            ),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        Option::<std::borrow::Cow<'de, str>>::deserialize(d)?
            .map(|s| {
                DateTime::parse_from_rfc3339(&s)
                    .map_err(|e| D::Error::custom(format!("`{s}` is not an RFC 3339 time ({e})")))
            })
            .transpose()
    }
}

/// A document could not be read back. The message names the file, what is wrong and what to
/// pass instead.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub(crate) struct SchemaError {
    /// The file, as given.
    pub(crate) path: String,
    /// What is wrong and what to do.
    pub(crate) problem: String,
}

/// A [`SchemaError`] for `path`.
pub(super) fn error(path: &Path, problem: String) -> SchemaError {
    SchemaError {
        path: path.display().to_string(),
        problem,
    }
}
