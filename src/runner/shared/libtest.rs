//! What we know about libtest's own behaviour in shared-process mode: its seeded shuffle
//! (`-Z unstable-options --shuffle-seed S`, reimplemented here so that the order a process will
//! use can be predicted and a seed chosen that puts a given test last), and its JSON event
//! stream (`--format json`).
//!
//! The shuffle reimplemented is libtest's `helpers/shuffle.rs` (Rust 1.57 onwards): the
//! filtered tests, sorted by name, are shuffled by a Fisher–Yates whose generator is
//! `state = SipHash-1-3[0,0]((state, hash(names)))`, where `hash(names)` is the std `Hash` of the
//! `Vec<&TestName>` of the (name-padded) test names. Predictions are always verified against the
//! observed order; if a toolchain changes the algorithm, the caller falls back to trying seeds.

use siphasher::sip::SipHasher13;
use std::hash::Hasher;

fn sip13(f: impl FnOnce(&mut SipHasher13)) -> u64 {
    // std's DefaultHasher::new() is SipHash-1-3 with zero keys.
    let mut h = SipHasher13::new_with_keys(0, 0);
    f(&mut h);
    h.finish()
}

/// The std `Hash` of libtest's `Vec<&TestName>` for test functions: length prefix, then per
/// name the `AlignedTestName` discriminant (2), the string (bytes + 0xff) and `PadNone` (0).
fn names_hash(sorted: &[&str]) -> u64 {
    sip13(|h| {
        h.write(&(sorted.len() as u64).to_ne_bytes());
        for n in sorted {
            h.write(&2i64.to_ne_bytes());
            h.write(n.as_bytes());
            h.write(&[0xff]);
            h.write(&0i64.to_ne_bytes());
        }
    })
}

/// The order in which libtest runs `names` (any order; duplicates not allowed) with
/// `--test-threads=1 --shuffle-seed seed`, as predicted.
pub(crate) fn predict_order(seed: u64, names: &[&str]) -> Vec<String> {
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort_unstable();
    let mut idx = Vec::with_capacity(sorted.len());
    shuffle_indices(seed, sorted.len(), names_hash(&sorted), &mut idx);
    idx.into_iter().map(|i| sorted[i].to_string()).collect()
}

/// libtest's Fisher–Yates over `0..n` (the positions of the sorted names), into `idx`:
/// `state = SipHash-1-3((state, extra))`, swap `i` with `i + state % (n − i)`.
fn shuffle_indices(seed: u64, n: usize, extra: u64, idx: &mut Vec<usize>) {
    idx.clear();
    idx.extend(0..n);
    let mut state = seed;
    for i in 0..n {
        state = sip13(|h| {
            h.write(&state.to_ne_bytes());
            h.write(&extra.to_ne_bytes());
        });
        let j = i + (state % (n - i) as u64) as usize;
        idx.swap(i, j);
    }
}

/// A libtest seed, searched from `start`, under which `target` runs last among `names`
/// (`target` must be one of them). Expected tries: `names.len()`; `None` after `limit` tries.
pub(crate) fn seed_putting_last(
    names: &[&str],
    target: &str,
    start: u64,
    limit: u64,
) -> Option<u64> {
    seed_with_suffix(names, &[target], start, limit)
}

/// A libtest seed, searched from `start`, under which the run of `names` ends with `suffix`,
/// in that order (every element of `suffix` must be in `names`). Expected tries:
/// n·(n−1)·…·(n−L+1) for n names and a suffix of L; `None` after `limit` tries.
pub(crate) fn seed_with_suffix(
    names: &[&str],
    suffix: &[&str],
    start: u64,
    limit: u64,
) -> Option<u64> {
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort_unstable();
    let extra = names_hash(&sorted);
    let want: Vec<usize> = suffix
        .iter()
        .map(|s| sorted.binary_search(s).ok())
        .collect::<Option<_>>()?;
    let n = sorted.len();
    if want.len() > n {
        return None;
    }
    let mut idx: Vec<usize> = Vec::with_capacity(n);
    (start..start.saturating_add(limit)).find(|&seed| {
        shuffle_indices(seed, n, extra, &mut idx);
        idx[n - want.len()..] == want[..]
    })
}

/// How many of a sequence's last tests (out of `n`) a seed search can keep in order: the
/// longest suffix whose expected search, n·(n−1)·…, stays within `budget` tries (at least 1).
pub(crate) fn feasible_suffix(n: usize, budget: u64) -> usize {
    let mut tries: u64 = 1;
    let mut len = 0;
    while len < n {
        let next = tries.saturating_mul((n - len) as u64);
        if next > budget {
            break;
        }
        tries = next;
        len += 1;
    }
    len.max(1).min(n)
}

/// One event of libtest's JSON output that matters to us.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Event {
    /// The suite started (the harness accepted the flags).
    SuiteStarted,
    /// The suite ended normally (libtest's closing `ok`/`failed` suite event).
    SuiteFinished,
    /// A test started.
    Started(String),
    /// A test finished: `event` is `ok`, `failed`, `ignored` or `timeout`.
    Finished {
        /// Test name.
        name: String,
        /// libtest's event word.
        event: String,
        /// `exec_time`, seconds, when `--report-time` was given.
        exec_time: Option<f64>,
        /// Captured output (`stdout` field, failures only) plus `message`, if any.
        output: String,
    },
}

/// Longest JSON line parsed as a whole; longer ones (a failing test that printed hundreds of
/// MB is one line) are parsed from their head, where libtest puts the name and event.
pub(crate) const MAX_LINE: usize = 8 * 1024 * 1024;

/// One line of libtest's `--format json` output, e.g. `{ "type": "test", "event": "failed",
/// "name": "a::b", "exec_time": 0.5, "stdout": "…" }`; keys not named here are ignored.
#[derive(serde::Deserialize)]
struct JsonLine {
    /// `suite` or `test` (others are not ours).
    #[serde(rename = "type")]
    kind: Option<String>,
    /// `started`, `ok`, `failed`, `ignored`, `timeout`, …
    event: Option<String>,
    /// The test name (`test` events).
    name: Option<String>,
    /// Captured output (failures).
    stdout: Option<String>,
    /// A message libtest adds (e.g. a `should_panic` mismatch).
    message: Option<String>,
    /// Seconds, with `--report-time`.
    exec_time: Option<f64>,
}

/// Parses one line of libtest's JSON output; `None` for anything else (raw output that a test
/// or the runtime wrote straight to the file descriptor, JSON that is not a libtest event). A
/// line that is not whole JSON (cut because it was too long) is read from its head.
pub(crate) fn parse_line(line: &str) -> Option<Event> {
    let t = line.trim();
    if !t.starts_with('{') {
        return None;
    }
    let l: JsonLine = match serde_json::from_str(t) {
        Ok(l) => l,
        // Whole JSON of another shape: not an event of ours.
        Err(e) if e.is_data() => return None,
        Err(_) => return parse_head(t),
    };
    match (l.kind?.as_str(), l.event?.as_str()) {
        ("suite", "started") => Some(Event::SuiteStarted),
        ("suite", "ok" | "failed") => Some(Event::SuiteFinished),
        ("test", "started") => Some(Event::Started(l.name?)),
        ("test", ev) => {
            let mut output = l.stdout.unwrap_or_default();
            if let Some(m) = &l.message {
                output.push_str(m);
            }
            Some(Event::Finished {
                name: l.name?,
                event: ev.to_string(),
                exec_time: l.exec_time,
                output,
            })
        }
        _ => None,
    }
}

/// Reads `"name": "…", "event": "…"` from the head of a line that is not whole JSON (cut
/// because it was too long). The output is reported as dropped.
fn parse_head(t: &str) -> Option<Event> {
    let field = |key: &str| -> Option<String> {
        let at = t.find(&format!("\"{key}\": \""))? + key.len() + 5;
        let rest = &t[at..];
        let mut end = 0;
        let bytes = rest.as_bytes();
        while end < bytes.len() {
            match bytes[end] {
                b'\\' => end += 2,
                b'"' => break,
                _ => end += 1,
            }
        }
        serde_json::from_str(&format!("\"{}\"", rest.get(..end)?)).ok()
    };
    if !t.contains("\"type\": \"test\"") {
        return None;
    }
    let event = field("event")?;
    let name = field("name")?;
    if event == "started" {
        return Some(Event::Started(name));
    }
    Some(Event::Finished {
        name,
        event,
        exec_time: None,
        output: "[cargo-shuffle: this test's output was too large to keep; rerun it alone with --isolation process to see it]".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_matches_libtest_for_a_recorded_case() {
        // Observed with rustc 1.95 (`--shuffle-seed 12345` on fixtures/od's h::pass_* tests).
        let names: Vec<String> = (0..10).map(|i| format!("h::pass_{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let order = predict_order(12345, &refs);
        assert_eq!(&order[..3], ["h::pass_1", "h::pass_2", "h::pass_5"]);
        assert_eq!(order.len(), 10);
    }

    #[test]
    fn seed_search_puts_the_target_last() {
        let names = ["a", "b", "c", "d", "victim", "e"];
        let s = seed_putting_last(&names, "victim", 0, 10_000).unwrap();
        assert_eq!(predict_order(s, &names).last().unwrap(), "victim");
    }

    #[test]
    fn a_seed_keeps_a_whole_small_order_and_a_suffix_of_a_long_one() {
        let names = ["p", "x", "c", "q", "victim"];
        let s = seed_with_suffix(&names, &names, 0, 1_000_000).unwrap();
        assert_eq!(predict_order(s, &names), names.map(String::from).to_vec());
        let many: Vec<String> = (0..40).map(|i| format!("t{i:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let l = feasible_suffix(many.len(), 100_000);
        assert_eq!(l, 3, "40·39·38 = 59 280 tries");
        let s = seed_with_suffix(&many, &many[37..], 7, 1_000_000).unwrap();
        let got = predict_order(s, &many);
        assert_eq!(
            got[37..],
            many[37..].iter().map(|s| s.to_string()).collect::<Vec<_>>()[..]
        );
        assert_eq!(feasible_suffix(8, 100_000), 8, "8! = 40 320");
        assert_eq!(feasible_suffix(1000, 100_000), 1);
        assert_eq!(feasible_suffix(0, 100_000), 0);
    }

    #[test]
    fn json_events_parse() {
        assert_eq!(
            parse_line(r#"{ "type": "suite", "event": "started", "test_count": 2 }"#),
            Some(Event::SuiteStarted)
        );
        assert_eq!(
            parse_line(r#"{ "type": "test", "event": "started", "name": "a::b" }"#),
            Some(Event::Started("a::b".into()))
        );
        let f = parse_line(
            r#"{ "type": "test", "name": "a::b", "event": "failed", "exec_time": 0.5, "stdout": "boom\n" }"#,
        );
        assert_eq!(
            f,
            Some(Event::Finished {
                name: "a::b".into(),
                event: "failed".into(),
                exec_time: Some(0.5),
                output: "boom\n".into()
            })
        );
        assert_eq!(
            parse_line(
                r#"{ "type": "suite", "event": "failed", "passed": 1, "failed": 1, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": 0.1 }"#
            ),
            Some(Event::SuiteFinished)
        );
        assert_eq!(parse_line("raw output"), None);
        // Whole JSON that is not a libtest event of ours.
        assert_eq!(parse_line(r#"{ "event": "ok", "name": "a" }"#), None);
        assert_eq!(parse_line(r#"{ "type": 5, "event": "ok" }"#), None);
        assert_eq!(parse_line(r#"{ "type": "bench", "event": "ok" }"#), None);
        // A cut line still yields name and event.
        let cut = r#"{ "type": "test", "name": "x \"y\"", "event": "failed", "exec_time": 0.1, "stdout": "aaaa"#;
        match parse_line(cut) {
            Some(Event::Finished { name, event, .. }) => {
                assert_eq!((name.as_str(), event.as_str()), ("x \"y\"", "failed"))
            }
            other => panic!("{other:?}"),
        }
    }
}
