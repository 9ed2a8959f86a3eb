//! The partitions' JUnit files merged into one (`merge` given the parts' `*.xml` files): the
//! testcases of all parts under one testsuite per binary, with times laid over each other as
//! the parallel jobs ran (see [`merge_junit`]).

use super::merge::{MergeError, read};
use super::repro_args::strip_partition;
use crate::report::junit::LISTING_CASE;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A JUnit timestamp.
type Stamp = chrono::DateTime<chrono::FixedOffset>;

/// One merged testsuite's parts: `(offset from its part's start, time)` of each, and the
/// earliest testsuite timestamp.
type Spans = (Vec<(Duration, Duration)>, Option<Stamp>);

/// The partitions' JUnit files merged into one: testsuites with the same name (binary id) are
/// joined; their properties are the first file's, with `partition` emptied. The parts ran as
/// parallel jobs, so they are laid over each other from the earliest part's start (as `merge`
/// does with the records): `<testsuites>` has the earliest part's `timestamp` and the longest
/// part's `time`; a testsuite spans its parts' testsuites, each at its offset from its own
/// part's start, so it is never longer than `<testsuites>`. Errors: unreadable or invalid XML,
/// or files whose `seed` properties differ.
pub(crate) fn merge_junit(
    paths: &[PathBuf],
    expected_parts: &BTreeSet<String>,
) -> Result<String, MergeError> {
    use quick_junit::{Property, Report, TestSuite};
    let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
    let mut seeds: BTreeSet<String> = BTreeSet::new();
    let mut time = Duration::ZERO;
    let mut started: Option<Stamp> = None;
    // Per testsuite: (offset from its part's start, time) of each part's testsuite, and the
    // earliest testsuite timestamp (used when the parts' reports carry none).
    let mut spans: BTreeMap<String, Spans> = BTreeMap::new();
    let mut parts: BTreeMap<String, &Path> = BTreeMap::new();
    let mut listing_cases: BTreeSet<Option<String>> = BTreeSet::new();
    for p in paths {
        let r = Report::deserialize_from_str(&read(p)?)
            .map_err(|e| MergeError(format!("{} is not valid JUnit XML: {e}", p.display())))?;
        time = time.max(r.time.unwrap_or_default());
        started = started.into_iter().chain(r.timestamp).min();
        // Each file must be one of the JSON records' partitions, each at most once.
        let part = r
            .test_suites
            .iter()
            .flat_map(|s| s.properties.iter())
            .find(|prop| prop.name.as_str() == "partition")
            .map(|prop| prop.value.to_string())
            .unwrap_or_default();
        if !part.is_empty() {
            if !expected_parts.contains(&part) {
                return Err(MergeError(format!(
                    "{} is partition {part}, which is not among the JSON records' partitions",
                    p.display()
                )));
            }
            if let Some(other) = parts.insert(part.clone(), p) {
                return Err(MergeError(format!(
                    "partition {part} appears twice among the JUnit files: {} and {}",
                    other.display(),
                    p.display()
                )));
            }
        }
        for s in r.test_suites {
            for prop in &s.properties {
                if prop.name.as_str() == "seed" {
                    seeds.insert(prop.value.to_string());
                }
            }
            let entry = suites.entry(s.name.to_string()).or_insert_with(|| {
                let mut n = TestSuite::new(s.name.clone());
                for prop in &s.properties {
                    let value = match prop.name.as_str() {
                        "partition" => String::new(),
                        // The merged run is unpartitioned.
                        "repro" => strip_partition(&prop.value),
                        _ => prop.value.to_string(),
                    };
                    n.add_property(Property::new(prop.name.clone(), value));
                }
                n
            });
            let span = spans.entry(s.name.to_string()).or_default();
            let offset = match (r.timestamp, s.timestamp) {
                (Some(run), Some(suite)) => (suite - run).to_std().unwrap_or_default(),
                _ => Duration::ZERO,
            };
            span.0.push((offset, s.time.unwrap_or_default()));
            span.1 = span.1.into_iter().chain(s.timestamp).min();
            // Every part lists every binary, so each part has the `<error>` testcase of a
            // binary that could not be listed: keep the first.
            let cases = s.test_cases.into_iter().filter(|c| {
                c.name.as_str() != LISTING_CASE
                    || listing_cases.insert(c.classname.as_ref().map(|n| n.to_string()))
            });
            entry.add_test_cases(cases);
        }
    }
    if seeds.len() > 1 {
        return Err(MergeError(format!(
            "the JUnit files come from different seeds ({}): partitions of one run must share --seed",
            seeds.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    for (name, suite) in &mut suites {
        let Some((intervals, first)) = spans.get(name) else {
            continue;
        };
        let start = intervals.iter().map(|i| i.0).min().unwrap_or_default();
        let end = intervals
            .iter()
            .map(|i| i.0 + i.1)
            .max()
            .unwrap_or_default();
        suite.set_time((end - start).min(time));
        if let Some(t) = started
            .and_then(|s| s.checked_add_signed(chrono::TimeDelta::from_std(start).ok()?))
            .or(*first)
        {
            suite.set_timestamp(t);
        }
    }
    let mut report = Report::new("cargo-shuffle");
    report.set_time(time);
    if let Some(t) = started {
        report.set_timestamp(t);
    }
    report.add_test_suites(suites.into_values());
    report
        .to_string()
        .map_err(|e| MergeError(format!("cannot write JUnit: {e}")))
}

/// The captured output the parts' JUnit files hold, by test id (`BINARY_ID TEST_NAME`, from a
/// testcase's `classname` and `name`): every failing test's `<system-out>`, and passing ones'
/// when a part ran with `--junit-store-success-output`. What the merge's HTML page shows under
/// a failing test, since the JSON records carry only the output's size. A file that cannot be
/// read or parsed adds nothing (`merge_junit` has already refused such a file when it merges).
pub(crate) fn outputs(paths: &[PathBuf]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for p in paths {
        let Ok(text) = read(p) else { continue };
        let Ok(r) = quick_junit::Report::deserialize_from_str(&text) else {
            continue;
        };
        for s in r.test_suites {
            for c in s.test_cases {
                if let (Some(class), Some(o)) = (&c.classname, &c.system_out)
                    && !o.is_empty()
                {
                    out.insert(
                        format!("{} {}", class.as_str(), c.name.as_str()),
                        o.to_string(),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Outcome;
    use crate::report::record::RunRecord;
    use crate::report::schema::{RunRecordDoc, TestDoc};

    /// A part's JUnit: started at second `start` of the minute, `elapsed_ms` long, with tests
    /// `(id, start_ms, end_ms)`.
    fn part_xml(part: &str, start: u32, elapsed_ms: u64, tests: &[(&str, u64, u64)]) -> String {
        let mut d = RunRecordDoc::example();
        d.partition = Some(part.parse().unwrap());
        d.elapsed_ms = elapsed_ms;
        d.started_at =
            chrono::DateTime::parse_from_rfc3339(&format!("2026-12-01T10:00:{start:02}.000Z")).ok();
        d.plan = vec![];
        d.tests = tests
            .iter()
            .map(|(id, s, e)| {
                let mut t = TestDoc::example(id, Outcome::Passed);
                (t.start_ms, t.end_ms, t.duration_ms) = (*s, *e, (*e - *s) as f64);
                t
            })
            .collect();
        crate::report::junit::render(&RunRecord::from_doc(&d))
    }

    #[test]
    fn merged_testsuites_lay_the_parts_over_each_other_and_never_outlast_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        // Part 1 started at :10 and ran 2 s; part 2 started 5 s later and ran 3 s.
        let p1 = write(
            "p1.xml",
            part_xml("1/2", 10, 2000, &[("b x", 0, 1500), ("c y", 200, 400)]),
        );
        let p2 = write("p2.xml", part_xml("2/2", 15, 3000, &[("b z", 500, 2900)]));
        let expected: BTreeSet<String> = ["1/2".to_string(), "2/2".to_string()].into();
        let xml = merge_junit(&[p1, p2], &expected).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("time"), Some("3.000"), "the longest part");
        assert_eq!(
            root.attribute("timestamp"),
            Some("2026-12-01T10:00:10.000+00:00"),
            "the earliest part's start"
        );
        let suite = |name: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(name))
                .unwrap()
        };
        // b: part 1 from 0 to 1.5 s, part 2 from 0.5 to 2.9 s of its own start: 0 to 2.9 s.
        assert_eq!(suite("b").attribute("time"), Some("2.900"), "not 3.900");
        assert_eq!(
            suite("b").attribute("timestamp"),
            Some("2026-12-01T10:00:10.000+00:00")
        );
        assert_eq!(suite("c").attribute("time"), Some("0.200"));
        assert_eq!(
            suite("c").attribute("timestamp"),
            Some("2026-12-01T10:00:10.200+00:00")
        );
    }
}
