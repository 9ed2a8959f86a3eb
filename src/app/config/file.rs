//! The config file (`.config/shuffle.toml`) as written: `[profile.NAME]` tables whose
//! kebab-case keys set what the run flags set ([`ProfileFile`]), their
//! `[[profile.NAME.overrides]]` ([`OverrideFile`]) and the `[test-groups.NAME]` tables
//! ([`TestGroupFile`]). Parsed with serde and `toml`;
//! an unknown key or a bad value is an error naming the file, the line and the key
//! ([`parse`]). Which file and profile apply, and how they combine with the flags, is
//! [`super::profile`]'s business.

use crate::app::error::UsageError;
use serde::de::{Deserialize, Deserializer, Error as _};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole file: profiles by name (`default` is the one every other inherits from).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ConfigFile {
    /// `[profile.NAME]` tables.
    #[serde(default)]
    pub(crate) profile: BTreeMap<String, ProfileFile>,
    /// `[test-groups.NAME]` tables, shared by every profile.
    #[serde(default)]
    pub(crate) test_groups: BTreeMap<String, TestGroupFile>,
}

/// One `[test-groups.NAME]` table.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct TestGroupFile {
    /// `max-threads`: at most this many of the group's tests (shared isolation: processes
    /// holding them) run at once.
    pub(crate) max_threads: Int<1, 1024>,
}

/// One `[[profile.NAME.overrides]]` entry: a filter expression and the settings it gives the
/// tests it matches (every setting optional; the first matching override decides each one).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct OverrideFile {
    /// `filter`: a filterset expression, with where it is in the file (for errors).
    pub(crate) filter: toml::Spanned<String>,
    /// `timeout`, a duration string.
    pub(crate) timeout: Option<Dur<{ 366 * 86_400 }>>,
    /// `retries`.
    pub(crate) retries: Option<Int<0, 100>>,
    /// `leak-timeout`, a duration string up to 1 h.
    pub(crate) leak_timeout: Option<Dur<3_600>>,
    /// `slow-timeout`: `"60s"` or `{ period = "60s", terminate-after = 3 }`.
    pub(crate) slow_timeout: Option<SlowTimeoutKey>,
    /// `test-group`: the name of a `[test-groups.NAME]` table, with where it is in the file.
    pub(crate) test_group: Option<toml::Spanned<String>>,
    /// `shuffle`: `false` keeps the matching tests in name order in one sequence.
    pub(crate) shuffle: Option<bool>,
    /// `success-output`: where a passing test's output is shown (`--success-output` beats it).
    pub(crate) success_output: Option<OutputKey>,
    /// `failure-output`: where a failing test's output is shown (`--failure-output` beats it).
    pub(crate) failure_output: Option<OutputKey>,
}

/// `slow-timeout` as nextest writes it: a duration string (the period), or a table
/// `{ period = "60s", terminate-after = N }` (N at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlowTimeoutKey {
    /// The period.
    pub(crate) period: Duration,
    /// Periods after which the test is stopped as timed out.
    pub(crate) terminate_after: Option<u32>,
}

impl<'de> Deserialize<'de> for SlowTimeoutKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        struct Table {
            period: Dur<{ 366 * 86_400 }>,
            terminate_after: Option<Int<1, 1_000_000>>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = SlowTimeoutKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a duration string (\"60s\") or a table { period = \"60s\", terminate-after = 3 }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<SlowTimeoutKey, E> {
                let d: Dur<{ 366 * 86_400 }> =
                    Dur::deserialize(serde::de::value::StrDeserializer::<E>::new(s))?;
                Ok(SlowTimeoutKey {
                    period: d.0,
                    terminate_after: None,
                })
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                m: M,
            ) -> Result<SlowTimeoutKey, M::Error> {
                let t = Table::deserialize(serde::de::value::MapAccessDeserializer::new(m))?;
                Ok(SlowTimeoutKey {
                    period: t.period.0,
                    terminate_after: t.terminate_after.map(|n| n.0),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// One `[profile.NAME]` table: every key optional; a key a named profile leaves out comes from
/// `[profile.default]` (see [`ProfileFile::inherit`]).
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ProfileFile {
    /// `shards` (`--shards`).
    pub(crate) shards: Option<Int<1, 100_000>>,
    /// `jobs` (`--jobs`).
    pub(crate) jobs: Option<Int<1, 1024>>,
    /// `isolation` (`--isolation`): `"process"` or `"shared"`.
    pub(crate) isolation: Option<IsolationKey>,
    /// `timeout` (`--timeout`), a duration string.
    pub(crate) timeout: Option<Dur<{ 366 * 86_400 }>>,
    /// `leak-timeout` (`--leak-timeout`), a duration string of whole milliseconds up to 1 h.
    pub(crate) leak_timeout: Option<Dur<3_600>>,
    /// `retries` (`--retries`).
    pub(crate) retries: Option<Int<0, 100>>,
    /// `triage-budget` (`--triage-budget`), a duration string.
    pub(crate) triage_budget: Option<Dur<{ 366 * 86_400 }>>,
    /// `confirmations` (`--confirmations`).
    pub(crate) confirmations: Option<Int<0, { u32::MAX as i64 }>>,
    /// `baseline` (`--baseline`), relative to the workspace root.
    pub(crate) baseline: Option<PathBuf>,
    /// `junit` (`--junit`), relative to the workspace root.
    pub(crate) junit: Option<PathBuf>,
    /// `report` (`--report`), relative to the workspace root.
    pub(crate) report: Option<PathBuf>,
    /// `summary` (`--summary`), relative to the workspace root.
    pub(crate) summary: Option<PathBuf>,
    /// `html` (`--html`), relative to the workspace root.
    pub(crate) html: Option<PathBuf>,
    /// `allow-flaky` (`--allow-flaky`).
    pub(crate) allow_flaky: Option<bool>,
    /// `success-output` (`--success-output`).
    pub(crate) success_output: Option<OutputKey>,
    /// `failure-output` (`--failure-output`).
    pub(crate) failure_output: Option<OutputKey>,
    /// `junit-store-success-output` (`--junit-store-success-output`).
    pub(crate) junit_store_success_output: Option<bool>,
    /// `slow-timeout` (`--slow-timeout`): when a test is slow, and when it is stopped.
    pub(crate) slow_timeout: Option<SlowTimeoutKey>,
    /// `[[profile.NAME.overrides]]`, in file order. A named profile's apply before those of
    /// `default` (see [`ProfileFile::inherit`]).
    #[serde(default)]
    pub(crate) overrides: Vec<OverrideFile>,
}

impl ProfileFile {
    /// This profile's keys, and `parent`'s where this one leaves a key out.
    pub(crate) fn inherit(self, parent: &ProfileFile) -> ProfileFile {
        let p = parent.clone();
        ProfileFile {
            shards: self.shards.or(p.shards),
            jobs: self.jobs.or(p.jobs),
            isolation: self.isolation.or(p.isolation),
            timeout: self.timeout.or(p.timeout),
            leak_timeout: self.leak_timeout.or(p.leak_timeout),
            retries: self.retries.or(p.retries),
            triage_budget: self.triage_budget.or(p.triage_budget),
            confirmations: self.confirmations.or(p.confirmations),
            baseline: self.baseline.or(p.baseline),
            junit: self.junit.or(p.junit),
            report: self.report.or(p.report),
            summary: self.summary.or(p.summary),
            html: self.html.or(p.html),
            allow_flaky: self.allow_flaky.or(p.allow_flaky),
            success_output: self.success_output.or(p.success_output),
            failure_output: self.failure_output.or(p.failure_output),
            junit_store_success_output: self
                .junit_store_success_output
                .or(p.junit_store_success_output),
            slow_timeout: self.slow_timeout.or(p.slow_timeout),
            // As in nextest: the profile's own overrides first, then the default profile's.
            overrides: self.overrides.into_iter().chain(p.overrides).collect(),
        }
    }

    /// The paths made relative to `root` (absolute ones stay as they are).
    pub(crate) fn rooted(mut self, root: &Path) -> ProfileFile {
        for p in [
            &mut self.baseline,
            &mut self.junit,
            &mut self.report,
            &mut self.summary,
            &mut self.html,
        ]
        .into_iter()
        .flatten()
        {
            *p = root.join(&*p);
        }
        self
    }
}

/// An integer key with its allowed range, checked while parsing (so the error has the line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Int<const MIN: i64, const MAX: i64>(pub(crate) u32);

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Int<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        if !(MIN..=MAX).contains(&v) {
            return Err(D::Error::custom(format!(
                "expected an integer from {MIN} to {MAX}, found {v}"
            )));
        }
        Ok(Int(v as u32))
    }
}

/// `isolation = "process" | "shared"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum IsolationKey {
    /// One process per test.
    Process,
    /// One process per (shard, binary).
    Shared,
}

/// `success-output` / `failure-output = "immediate" | "final" | "immediate-final" | "never"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum OutputKey {
    /// Right after the test's result.
    Immediate,
    /// In the summary.
    Final,
    /// Both.
    ImmediateFinal,
    /// Not on the terminal.
    Never,
}

/// A duration key, written as in nextest (`"1s"`, `"500ms"`, `"2m"`, `"1h 30m"`; see
/// [`parse_duration`]): positive, at most `MAX_SECS` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dur<const MAX_SECS: u64>(pub(crate) Duration);

impl<'de, const MAX_SECS: u64> Deserialize<'de> for Dur<MAX_SECS> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let t = parse_duration(&s).map_err(D::Error::custom)?;
        if t.is_zero() || t > Duration::from_secs(MAX_SECS) {
            return Err(D::Error::custom(format!(
                "duration `{s}` out of range: give more than 0 and at most {MAX_SECS}s"
            )));
        }
        Ok(Dur(t))
    }
}

/// A duration as nextest writes them: one or more `NUMBER UNIT` groups (`"1s"`, `"500ms"`,
/// `"2m"`, `"1.5s"`, `"1m 30s"`), units `ms`, `s`, `m`, `h`. Errors: anything else, with a
/// message saying what to write.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "invalid duration `{s}`: write a number and a unit (ms, s, m, h, d, or humantime's names such as sec, min), e.g. \"500ms\", \"30s\", \"2m\", \"1m 30s\""
        )
    };
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0_f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        // humantime's unit names, as nextest takes them.
        let factor = match &rest[..unit_len] {
            "ns" | "nsec" => 1e-9,
            "us" | "usec" => 1e-6,
            "ms" | "msec" => 0.001,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600.0,
            "d" | "day" | "days" => 86_400.0,
            "w" | "week" | "weeks" => 604_800.0,
            _ => return Err(bad()),
        };
        total += num * factor;
        rest = rest[unit_len..].trim_start();
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// Parses the text of the config file at `path`. Errors: malformed TOML, an unknown key, a
/// value of the wrong type or range, as `PATH:LINE:COLUMN: key `TABLE.KEY`: what is wrong`.
pub(crate) fn parse(path: &Path, text: &str) -> Result<ConfigFile, UsageError> {
    toml::from_str(text).map_err(|e| UsageError(describe(path, text, &e)))
}

/// The message of a `toml` error with the file, line, column and key it is about.
fn describe(path: &Path, text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim();
    let Some(span) = e.span() else {
        return format!("{}: {msg}", path.display());
    };
    let located = located(path, text, span.start, msg);
    // nextest's spelling of a key: say what to write here (see `config::nextest`).
    match position(text, span.start)
        .2
        .and_then(|k| super::nextest::hint(&k, msg))
    {
        Some(hint) => format!("{located}\n  hint: {hint}"),
        None => located,
    }
}

/// `PATH:LINE:COLUMN: key `KEY`: MSG` for byte offset `start` of `text` (the file at `path`):
/// the form of every config-file error, also those found after parsing (an unknown test
/// group, a filter that does not compile).
pub(crate) fn located(path: &Path, text: &str, start: usize, msg: &str) -> String {
    let (line, col, key) = position(text, start);
    let key = key.map(|k| format!("key `{k}`: ")).unwrap_or_default();
    format!("{}:{line}:{col}: {key}{msg}", path.display())
}

/// Where byte offset `start` of `text` is: 1-based line and column, and the dotted key defined
/// on that line (see [`key_at`]), if any.
pub(crate) fn position(text: &str, start: usize) -> (usize, usize, Option<String>) {
    let start = start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col, key_at(text, line))
}

/// The dotted key defined on line `line` (1-based) of `text`: the table header above it and
/// the key before `=` (`profile.ci.shards`), or the header itself on a header line. An entry of
/// an array of tables gets its 0-based index: `profile.ci.overrides[1].filter`.
fn key_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?.trim();
    let header = |l: &str| {
        let l = l.trim();
        l.starts_with('[')
            .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
    };
    // `[[T]]` at line index `i`: `T[n]`, n = the `[[T]]` headers before it.
    let indexed = |i: usize| -> Option<String> {
        let l = lines[i].trim();
        let t = header(l)?;
        if !l.starts_with("[[") {
            return Some(t);
        }
        let n = lines[..i]
            .iter()
            .filter(|o| o.trim().starts_with("[[") && header(o).as_deref() == Some(t.as_str()))
            .count();
        Some(format!("{t}[{n}]"))
    };
    if header(here).is_some() {
        return indexed(line - 1);
    }
    let (key, _) = here.split_once('=')?;
    let key = key.trim();
    let table = (0..line - 1).rev().find_map(indexed);
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_in_nextest() {
        let ms = |s: &str| parse_duration(s).map(|d| d.as_millis());
        assert_eq!(ms("1s"), Ok(1_000));
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms("2m"), Ok(120_000));
        assert_eq!(ms("1h"), Ok(3_600_000));
        assert_eq!(ms("1m 30s"), Ok(90_000));
        assert_eq!(ms("1.5s"), Ok(1_500));
        // humantime's names, as nextest takes them.
        assert_eq!(ms("2min"), Ok(120_000));
        assert_eq!(ms("30sec"), Ok(30_000));
        assert_eq!(ms("1d"), Ok(86_400_000));
        assert_eq!(ms("1ms 1000us"), Ok(2));
        for bad in ["", "5", "s", "1x", "-1s", "1 s s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn profiles_parse_and_named_ones_inherit_from_default() {
        let text = r#"
[profile.default]
shards = 4
timeout = "30s"
junit = "target/junit.xml"

[profile.ci]
shards = 16
leak-timeout = "500ms"
isolation = "shared"
allow-flaky = true
"#;
        let f = parse(Path::new("shuffle.toml"), text).unwrap();
        let default = f.profile["default"].clone();
        let ci = f.profile["ci"].clone().inherit(&default);
        assert_eq!(ci.shards, Some(Int(16)));
        assert_eq!(ci.timeout, Some(Dur(Duration::from_secs(30))));
        assert_eq!(ci.leak_timeout, Some(Dur(Duration::from_millis(500))));
        assert_eq!(ci.isolation, Some(IsolationKey::Shared));
        assert_eq!(ci.allow_flaky, Some(true));
        assert_eq!(ci.junit, Some(PathBuf::from("target/junit.xml")));
        assert_eq!(ci.retries, None);
        let rooted = ci.rooted(Path::new("/ws"));
        assert_eq!(rooted.junit, Some(PathBuf::from("/ws/target/junit.xml")));
    }

    #[test]
    fn a_named_profiles_overrides_come_before_defaults_and_groups_parse() {
        let text = r#"
[test-groups.db]
max-threads = 2

[[profile.default.overrides]]
filter = "all()"
retries = 1

[[profile.ci.overrides]]
filter = "test(~db::)"
test-group = "db"
slow-timeout = { period = "30s", terminate-after = 2 }
shuffle = false
"#;
        let f = parse(Path::new("shuffle.toml"), text).unwrap();
        assert_eq!(f.test_groups["db"].max_threads, Int(2));
        let default = f.profile["default"].clone();
        let ci = f.profile["ci"].clone().inherit(&default);
        let filters: Vec<&str> = ci
            .overrides
            .iter()
            .map(|o| o.filter.get_ref().as_str())
            .collect();
        assert_eq!(filters, ["test(~db::)", "all()"]);
        let first = &ci.overrides[0];
        assert_eq!(
            first.test_group.as_ref().map(|g| g.get_ref().as_str()),
            Some("db")
        );
        assert_eq!(
            first.slow_timeout,
            Some(SlowTimeoutKey {
                period: Duration::from_secs(30),
                terminate_after: Some(2)
            })
        );
        assert_eq!(first.shuffle, Some(false));
        assert_eq!(ci.overrides[1].retries, Some(Int(1)));
        // The default profile alone has only its own.
        assert_eq!(default.inherit(&ProfileFile::default()).overrides.len(), 1);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let err = |text: &str| {
            parse(Path::new(".config/shuffle.toml"), text)
                .unwrap_err()
                .0
        };
        let e = err("[profile.default]\nshards = 2\n\n[profile.ci]\nshardz = 4\n");
        assert!(
            e.starts_with(".config/shuffle.toml:5:1: key `profile.ci.shardz`: "),
            "{e}"
        );
        assert!(e.contains("unknown field `shardz`"), "{e}");
        let e = err("[profile.ci]\ntimeout = \"5 parsecs\"\n");
        assert!(e.starts_with(".config/shuffle.toml:2:"), "{e}");
        assert!(e.contains("key `profile.ci.timeout`"), "{e}");
        assert!(e.contains("invalid duration `5 parsecs`"), "{e}");
        let e = err("[profile.ci]\nshards = 0\n");
        assert!(e.contains(":2:") && e.contains("profile.ci.shards"), "{e}");
        assert!(e.contains("from 1 to 100000"), "{e}");
        let e = err("[profile.ci]\nisolation = \"thread\"\n");
        assert!(e.contains("profile.ci.isolation"), "{e}");
        let e = err("[profile.ci\nshards = 2\n");
        assert!(e.starts_with(".config/shuffle.toml:1:"), "{e}");
        let e = err("[profil.ci]\nshards = 2\n");
        assert!(e.contains("unknown field `profil`"), "{e}");
        // Entries of an array of tables are numbered per table.
        let e = err(
            "[[profile.ci.overrides]]\nfilter = \"all()\"\n[[profile.default.overrides]]\nfilter = \"all()\"\n[[profile.ci.overrides]]\nfilter = \"all()\"\nretries = -1\n",
        );
        assert!(
            e.contains(":7:11: key `profile.ci.overrides[1].retries`"),
            "{e}"
        );
        let e = err("[test-groups.db]\nmax-threads = \"one\"\n");
        assert!(e.contains(":2:15: key `test-groups.db.max-threads`"), "{e}");
        let e = err("[profile.ci]\nslow-timeout = { period = \"1s\", terminate-after = 0 }\n");
        assert!(
            e.contains("profile.ci.slow-timeout") && e.contains("from 1 to"),
            "{e}"
        );
    }
}
