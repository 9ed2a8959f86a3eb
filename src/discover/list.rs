//! Listing: asks each test binary which tests it holds (`--list --format terse`, and again with
//! `--ignored`), all binaries in parallel, and turns the answers into [`TestCase`]s.

use crate::discover::TestBinary;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::process::Stdio;

/// One test case: a test binary's stable id plus the libtest test name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct TestCase {
    /// Stable id of the test binary (e.g. `demo-core::test/api`), see [`TestBinary::id`].
    pub(crate) binary_id: String,
    /// The name libtest prints, e.g. `tests::it_works`.
    pub(crate) name: String,
    /// Whether the test is `#[ignore]`d.
    pub(crate) ignored: bool,
}

impl TestCase {
    /// A non-ignored test case of binary `binary_id` named `name` (tests build cases by hand).
    #[cfg(test)]
    pub(crate) fn new(binary_id: &str, name: &str) -> TestCase {
        TestCase {
            binary_id: binary_id.to_string(),
            name: name.to_string(),
            ignored: false,
        }
    }

    /// Total order by (binary id, name): the "reference" order and the tie-breaker of the plan.
    pub(crate) fn id_cmp(&self, other: &TestCase) -> Ordering {
        (self.binary_id.as_str(), self.name.as_str())
            .cmp(&(other.binary_id.as_str(), other.name.as_str()))
    }

    /// The id as printed and accepted back: `BINARY_ID TEST_NAME`.
    pub(crate) fn id(&self) -> String {
        format!("{} {}", self.binary_id, self.name)
    }
}

/// Listing failed for one binary; the message names the binary and says what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ListError {
    /// The binary could not be started.
    #[error("could not run test binary `{binary}` ({path}) to list its tests: {source}")]
    Spawn {
        /// Binary id.
        binary: String,
        /// Executable path (and target runner, if any).
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `--list` exited unsuccessfully.
    #[error(
        "test binary `{binary}` ({path}) failed to list its tests ({status}); stderr: {stderr}\nhint: {hint}"
    )]
    Failed {
        /// Binary id.
        binary: String,
        /// Executable path (and target runner, if any).
        path: String,
        /// Exit status as text.
        status: String,
        /// The first lines of its stderr.
        stderr: String,
        /// What to check: the binary, or the target runner it was started through.
        hint: String,
    },
    /// A line of the listing is not `NAME: test` / `NAME: benchmark`.
    #[error(
        "test binary `{binary}` printed a line that is not a libtest listing: {line:?}\nhint: a custom test harness (`harness = false`) must support `--list --format terse` like libtest (e.g. with libtest-mimic); exclude this target otherwise"
    )]
    Unparsable {
        /// Binary id.
        binary: String,
        /// The offending line, quoted.
        line: String,
    },
}

/// Parses `--list --format terse` output: one `NAME: test` per line; `: benchmark` lines
/// (libtest) and `: bench` lines (libtest-mimic) are skipped, as by nextest, blank lines tolerated, anything else is an error quoting the line.
pub(crate) fn parse_terse(binary_id: &str, stdout: &str) -> Result<Vec<String>, ListError> {
    let mut names = Vec::new();
    for line in stdout.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_suffix(": test") {
            names.push(name.to_string());
        } else if line.ends_with(": benchmark") || line.ends_with(": bench") {
            continue;
        } else {
            return Err(ListError::Unparsable {
                binary: binary_id.to_string(),
                line: line.to_string(),
            });
        }
    }
    Ok(names)
}

fn run_list(bin: &TestBinary, ignored: bool) -> Result<Vec<String>, ListError> {
    let mut args = vec!["--list", "--format", "terse"];
    if ignored {
        args.push("--ignored");
    }
    let mut cmd = bin.command(args);
    cmd.current_dir(&bin.cwd)
        .envs(bin.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    let out = cmd.output().map_err(|source| ListError::Spawn {
        binary: bin.id.clone(),
        path: bin.describe_path(),
        source,
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr: String = stderr.lines().take(10).collect::<Vec<_>>().join("\n");
        let hint = match &bin.runner {
            Some(_) => "the target runner from cargo's configuration starts it: is the runner working? Run the runner with the binary and `--list --format terse` to check".to_string(),
            None => "is it a libtest-compatible test binary? Run it with `--list --format terse` to check".to_string(),
        };
        return Err(ListError::Failed {
            binary: bin.id.clone(),
            path: bin.describe_path(),
            status: crate::status::describe_status(out.status),
            stderr,
            hint,
        });
    }
    parse_terse(&bin.id, &String::from_utf8_lossy(&out.stdout))
}

/// One line of libtest's JSON listing, e.g. `{ "type": "test", "event": "discovered", "name":
/// "a::b", "ignore": true, … }`; keys not named here are ignored.
#[derive(serde::Deserialize)]
struct ListingLine {
    /// `suite`, `test`, `bench`, …
    #[serde(rename = "type")]
    kind: String,
    /// `discovery`, `discovered`, `completed`, …
    event: String,
    /// The test name (`discovered` events).
    name: Option<String>,
    /// Whether it is `#[ignore]`d (`discovered` events).
    ignore: Option<bool>,
}

/// Parses libtest's JSON listing (`--list --format json -Z unstable-options`): `None` unless
/// every line is a JSON event with a `type` and an `event` and the suite's `discovery` event is
/// there (so a harness that ignored the flags is not misread); a `test` `discovered` event
/// without a `name` or `ignore` also declines.
pub(crate) fn parse_json_listing(binary_id: &str, stdout: &str) -> Option<Vec<TestCase>> {
    let mut started = false;
    let mut tests = Vec::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let l: ListingLine = serde_json::from_str(line).ok()?;
        match (l.kind.as_str(), l.event.as_str()) {
            ("suite", "discovery") => started = true,
            ("test", "discovered") => tests.push(TestCase {
                binary_id: binary_id.to_string(),
                name: l.name?,
                ignored: l.ignore?,
            }),
            _ => {}
        }
    }
    started.then_some(tests)
}

/// One process instead of two: libtest's JSON listing carries the ignore flag. Stable-built
/// test binaries accept it with `RUSTC_BOOTSTRAP=1`; anything else falls back to `--list
/// --format terse` (twice).
fn list_json(bin: &TestBinary) -> Option<Vec<TestCase>> {
    let out = bin
        .command(["--list", "--format", "json", "-Z", "unstable-options"])
        .current_dir(&bin.cwd)
        .envs(bin.env.iter().map(|(k, v)| (k, v)))
        .env("RUSTC_BOOTSTRAP", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_json_listing(&bin.id, &String::from_utf8_lossy(&out.stdout))
}

/// Lists one binary: all its tests, with `ignored` set (from libtest's JSON listing, or from
/// the `--ignored` terse listing).
pub(crate) fn list_binary(bin: &TestBinary) -> Result<Vec<TestCase>, ListError> {
    if let Some(tests) = list_json(bin) {
        return Ok(tests);
    }
    let (all, ignored) = rayon::join(|| run_list(bin, false), || run_list(bin, true));
    let (all, ignored) = (all?, ignored?);
    let ignored: std::collections::BTreeSet<String> = ignored.into_iter().collect();
    Ok(all
        .into_iter()
        .map(|name| TestCase {
            binary_id: bin.id.clone(),
            ignored: ignored.contains(&name),
            name,
        })
        .collect())
}

impl ListError {
    /// The id of the binary that could not be listed.
    pub(crate) fn binary(&self) -> &str {
        match self {
            ListError::Spawn { binary, .. }
            | ListError::Failed { binary, .. }
            | ListError::Unparsable { binary, .. } => binary,
        }
    }
}

/// What listing every binary gave: the tests of the binaries that listed, sorted by id, and
/// one error per binary that could not be listed, in binary order (so what is reported does
/// not depend on timing).
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Every test of the binaries that listed, sorted by id.
    pub(crate) tests: Vec<TestCase>,
    /// The binaries that could not be listed, in the order they were given.
    pub(crate) errors: Vec<ListError>,
}

impl Listing {
    /// The tests, or the first binary's error when some binary could not be listed (the
    /// stop-early behaviour of `--fail-on-list-error` and `archive`).
    pub(crate) fn into_result(self) -> Result<Vec<TestCase>, ListError> {
        match self.errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(self.tests),
        }
    }
}

/// Lists every binary in parallel: a binary that cannot be listed does not stop the others.
pub(crate) fn list_all(binaries: &[TestBinary]) -> Listing {
    let results: Vec<Result<Vec<TestCase>, ListError>> =
        binaries.par_iter().map(list_binary).collect();
    let mut listing = Listing::default();
    for r in results {
        match r {
            Ok(t) => listing.tests.extend(t),
            Err(e) => listing.errors.push(e),
        }
    }
    listing.tests.sort_by(|a, b| a.id_cmp(b));
    listing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terse_listing_parses_tests_and_skips_benchmarks() {
        let out = "a::b: test\n\nbench_x: benchmark\nmimic_bench: bench\ntests::ünï: test\r\n";
        assert_eq!(
            parse_terse("x::lib", out).unwrap(),
            vec!["a::b".to_string(), "tests::ünï".to_string()]
        );
    }

    #[test]
    fn junk_line_is_an_error_quoting_it() {
        let e = parse_terse("x::lib", "a: test\nhello world\n").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("x::lib") && msg.contains("\"hello world\""),
            "{msg}"
        );
        assert!(msg.contains("custom test harness"));
    }

    #[test]
    fn json_listing_parses_or_declines() {
        let out = "{ \"type\": \"suite\", \"event\": \"discovery\" }\n{ \"type\": \"test\", \"event\": \"discovered\", \"name\": \"a::b\", \"ignore\": true }\n{ \"type\": \"bench\", \"event\": \"discovered\", \"name\": \"z\", \"ignore\": false }\n";
        let t = parse_json_listing("x::lib", out).unwrap();
        assert_eq!(t.len(), 1);
        assert!(t[0].ignored && t[0].name == "a::b");
        assert_eq!(parse_json_listing("x", "a: test\n"), None);
        assert_eq!(parse_json_listing("x", ""), None);
        let no_event =
            "{ \"type\": \"suite\", \"event\": \"discovery\" }\n{ \"type\": \"test\" }\n";
        assert_eq!(parse_json_listing("x", no_event), None);
        let no_ignore = "{ \"type\": \"suite\", \"event\": \"discovery\" }\n{ \"type\": \"test\", \"event\": \"discovered\", \"name\": \"a\" }\n";
        assert_eq!(parse_json_listing("x", no_ignore), None);
    }

    #[test]
    fn name_with_colon_space_is_kept_whole() {
        assert_eq!(
            parse_terse("x", "weird: name: test\n").unwrap(),
            vec!["weird: name".to_string()]
        );
    }
}
