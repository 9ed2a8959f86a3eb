//! Unit tests of [`super::GroupWatch`]: libtest event streams and raw output fed line by line.
use super::*;

/// Feeds `lines` (libtest JSON events or raw output) to a watch of a process asked to run
/// `asked`, closes it, and returns the results (name, outcome) and the misreport, if any.
fn watch(asked: &[&str], lines: &[&str]) -> (Vec<(String, Outcome)>, Option<String>) {
    let tests: Vec<TestCase> = asked.iter().map(|n| TestCase::new("b", n)).collect();
    let place = WatchPlace {
        shard: 1,
        t0: Instant::now(),
        timeout: None,
    };
    let mut results = Vec::new();
    let mut position = 0;
    let mut on_start = |_: &TestCase| {};
    let mut on_result = |r: TestResult| results.push((r.test.name.clone(), r.outcome));
    let misreport = {
        let mut w = GroupWatch::new(place, &tests, &mut position, &mut on_start, &mut on_result);
        for l in lines {
            w.data(format!("{l}\n").as_bytes());
        }
        w.close();
        w.misreport().map(String::from)
    };
    (results, misreport)
}

const SUITE: &str = r#"{ "type": "suite", "event": "started", "test_count": 2 }"#;
const END: &str = r#"{ "type": "suite", "event": "ok", "passed": 2, "failed": 0 }"#;

fn ev(event: &str, name: &str) -> String {
    format!(r#"{{ "type": "test", "event": "{event}", "name": "{name}" }}"#)
}

#[test]
fn results_are_credited_to_the_tests_libtest_names() {
    let lines = [
        SUITE.to_string(),
        ev("started", "a"),
        ev("ok", "a"),
        ev("started", "b"),
        ev("failed", "b"),
        END.to_string(),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (got, bad) = watch(&["a", "b"], &lines);
    assert_eq!(
        got,
        [("a".into(), Outcome::Passed), ("b".into(), Outcome::Failed)]
    );
    assert_eq!(bad, None);
}

#[test]
fn an_event_for_a_test_not_asked_for_is_a_misreport_and_credits_nothing_after_it() {
    // Asked for a and gamma; the harness runs a, then alpha (not asked for), then gamma.
    let lines = [
        SUITE.to_string(),
        ev("started", "a"),
        ev("ok", "a"),
        ev("started", "alpha"),
        ev("ok", "alpha"),
        ev("started", "gamma"),
        ev("ok", "gamma"),
        END.to_string(),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (got, bad) = watch(&["a", "gamma"], &lines);
    assert_eq!(
        got,
        [("a".into(), Outcome::Passed)],
        "gamma is not credited"
    );
    let bad = bad.unwrap();
    assert!(
        bad.contains("`alpha`") && bad.contains("not one of the 2 tests"),
        "{bad}"
    );
    // An ignored event for a test not asked for, while none runs, is one too.
    let lines = [SUITE.to_string(), ev("ignored", "zeta"), END.to_string()];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (got, bad) = watch(&["a"], &lines);
    assert!(got.is_empty());
    assert!(bad.unwrap().contains("`zeta`"));
}

#[test]
fn a_test_reported_twice_is_a_misreport() {
    let lines = [
        SUITE.to_string(),
        ev("started", "a"),
        ev("ok", "a"),
        ev("started", "a"),
        ev("ok", "a"),
        END.to_string(),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (got, bad) = watch(&["a", "b"], &lines);
    assert_eq!(got, [("a".into(), Outcome::Passed)]);
    assert!(bad.unwrap().contains("reported already"));
}

#[test]
fn a_started_event_while_a_test_runs_is_that_tests_output() {
    // With one test thread libtest never starts a test while another runs: a `started`
    // line then (here for a test not asked for, and for `b`) is printed by the test.
    let lines = [
        SUITE.to_string(),
        ev("started", "a"),
        ev("started", "other"),
        ev("started", "b"),
        ev("ok", "a"),
        ev("started", "b"),
        ev("ok", "b"),
        END.to_string(),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (got, bad) = watch(&["a", "b"], &lines);
    assert_eq!(
        got,
        [("a".into(), Outcome::Passed), ("b".into(), Outcome::Passed)]
    );
    assert_eq!(bad, None);
}
