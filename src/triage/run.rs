//! Triage of one run's failures: which failing tests are triaged and in what order, the
//! candidate orders each is rerun in (taken from the run's plan and timings), the findings for
//! tests that cannot be triaged (budget spent, no result), and in shared isolation the process
//! check that tells in-process state apart. Each test's classification is `classify`'s.

use super::classify::{Candidates, Context, classify};
use super::search::{OutOfBudget, Rerunner, Session, ids, then, time_is_up};
use super::{Finding, FindingKind, RunView, Runners, TriageOptions, UNFINISHED_NOTE, finding};
use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use std::collections::HashMap;
use std::time::Instant;

/// A prefix longer than this is reproduced by rerunning its whole shard (the same order, a
/// shorter command) rather than by listing it.
const LONGEST_LISTED_PREFIX: usize = 20;

/// Triages every failing test of the run, in plan order. `order_command` renders the repro
/// command for an order of ids; `progress` is called with one line per step. With
/// `process_check` (a process-isolation runner, given in shared mode), OD and brittle findings
/// are rerun once with one process per test to tell in-process state apart.
pub(crate) fn triage(
    view: &RunView<'_>,
    runners: &Runners<'_, '_>,
    opts: &TriageOptions,
    order_command: &dyn Fn(&[String]) -> String,
    shard_command: &dyn Fn(u32) -> String,
    progress: &mut dyn FnMut(String),
) -> Vec<Finding> {
    triage_with_passes(
        view,
        &PassedOrders::new(),
        runners,
        opts,
        order_command,
        shard_command,
        progress,
    )
}

/// For a test id, the ids of the tests that ran before it in a sequence it passed in (say, an
/// earlier run of a hunt): a brittle test's state-setters are among them.
pub(crate) type PassedOrders = HashMap<String, Vec<String>>;

/// [`triage`], with `passes` as evidence of orders the failing tests passed in (tried as
/// state-setter candidates of a test that fails alone, after the reference order and before
/// every other test of the run).
pub(crate) fn triage_with_passes(
    view: &RunView<'_>,
    passes: &PassedOrders,
    runners: &Runners<'_, '_>,
    opts: &TriageOptions,
    order_command: &dyn Fn(&[String]) -> String,
    shard_command: &dyn Fn(u32) -> String,
    progress: &mut dyn FnMut(String),
) -> Vec<Finding> {
    let t = Triage {
        view,
        passes,
        runners,
        opts,
        started: Instant::now(),
        by_id: view.all_tests.iter().map(|t| (t.id(), t)).collect(),
        order_command,
        shard_command,
    };
    let failing = failing_in_order(view.results);
    let mut findings = Vec::new();
    for (i, r) in failing.iter().enumerate() {
        // Out of time or interrupted: the rest are unfinished, at once (with thousands of
        // failures, building each one's rerun lists would take minutes).
        let mut f = if time_is_up(runners.main, opts, t.started) {
            finding(
                FindingKind::Unfinished,
                &r.test,
                shard_command(r.shard),
                UNFINISHED_NOTE.into(),
            )
        } else if r.outcome == Outcome::Error {
            not_run_to_a_result(r, shard_command(r.shard))
        } else {
            progress(format!(
                "triage {}/{}: {}",
                i + 1,
                failing.len(),
                r.test.id()
            ));
            let f = t.one(r);
            progress(format!("  → {}: {}", f.kind.label(), f.note));
            f
        };
        f.isolation = runners.main.isolation();
        findings.push(f);
    }
    findings
}

/// The failing tests of the run (ignored ones, never run, left out), by shard and position.
fn failing_in_order(results: &[TestResult]) -> Vec<&TestResult> {
    let mut failing: Vec<&TestResult> = results
        .iter()
        .filter(|r| r.outcome.is_failure() && r.shard != 0)
        .collect();
    failing.sort_by_key(|r| (r.shard, r.position));
    failing
}

/// The finding for a test that ended in an error. An error is not a verdict on the test (it
/// could not start, its harness did not report it): rerunning it says nothing about order, and
/// it must never pass as flaky.
fn not_run_to_a_result(r: &TestResult, repro: String) -> Finding {
    finding(
        FindingKind::Failure,
        &r.test,
        repro,
        format!(
            "not triaged: the test did not run to a result ({})",
            r.message.as_deref().unwrap_or("error")
        ),
    )
}

/// Triage of one run: what every failing test's triage shares.
struct Triage<'t, 'a> {
    view: &'t RunView<'a>,
    /// Orders the failing tests passed in, by test id.
    passes: &'t PassedOrders,
    runners: &'t Runners<'t, 'a>,
    opts: &'t TriageOptions,
    /// When triage started (the time budget covers all of it).
    started: Instant,
    /// Every listed test by id, to turn the plan's ids back into tests.
    by_id: HashMap<String, &'a TestCase>,
    order_command: &'t dyn Fn(&[String]) -> String,
    shard_command: &'t dyn Fn(u32) -> String,
}

impl Triage<'_, '_> {
    /// Classifies the failing test of `r` and returns its finding with every rerun as evidence
    /// (unfinished when the budget runs out on the way).
    fn one(&self, r: &TestResult) -> Finding {
        let main: &dyn Rerunner = self.runners.main;
        let replay = self.runners.replay.map(|x| x as &dyn Rerunner);
        let mut s = Session::new(main, replay, self.opts, self.started);
        let c = candidates(self.view, &self.by_id, self.passes, r);
        let cx = Context {
            view: self.view,
            order_command: self.order_command,
            nod_repro: self.nod_repro(r.shard, &c),
        };
        let mut f = classified(&mut s, &c, &cx);
        self.check_in_process(&mut f, &c.target, &mut s);
        f.reruns = s.evidence.len();
        f.evidence = std::mem::take(&mut s.evidence);
        f
    }

    /// The repro of a non-deterministic failure: the order it failed in, that is the prefix and
    /// the test, or for a long prefix its whole shard (same order, a shorter command).
    fn nod_repro(&self, shard: u32, c: &Candidates) -> String {
        if c.prefix.len() > LONGEST_LISTED_PREFIX {
            (self.shard_command)(shard)
        } else {
            (self.order_command)(&ids(&then(&c.prefix, &c.target)))
        }
    }

    /// Shared isolation: a finding that one process per test does not reproduce lives in the
    /// process's own state. OD: polluters then victim must fail; brittle: state-setters then
    /// the test must pass. If one process per test does not do that, marks `f` and says so in
    /// its note. The rerun (when within budget) joins `s`'s evidence.
    fn check_in_process(&self, f: &mut Finding, target: &TestCase, s: &mut Session<'_>) {
        let Some(check) = self.runners.process_check else {
            return;
        };
        let (before, want_fail) = match f.kind {
            FindingKind::OdVictim => (&f.polluters, true),
            FindingKind::Brittle => (&f.state_setters, false),
            _ => return,
        };
        let mut seq: Vec<TestCase> = before
            .iter()
            .filter_map(|id| self.by_id.get(id).map(|t| (*t).clone()))
            .collect();
        seq.push(target.clone());
        let mut ps = Session::new(check, None, self.opts, self.started);
        if let Ok(o) = ps.run("process-check", &seq) {
            if o.is_failure() != want_fail {
                f.in_process_state = true;
                f.note
                    .push_str(" — in-process state: not seen with one process per test");
            }
            s.evidence.extend(ps.evidence);
        }
    }
}

/// The classification of `c.target` (see [`classify`]), or an unfinished finding when the budget
/// runs out on the way.
fn classified(s: &mut Session<'_>, c: &Candidates, cx: &Context<'_, '_>) -> Finding {
    classify(s, c, cx).unwrap_or_else(|OutOfBudget| {
        finding(
            FindingKind::Unfinished,
            &c.target,
            cx.nod_repro.clone(),
            UNFINISHED_NOTE.into(),
        )
    })
}

/// The candidate orders for the failing test of `r`, from the run's plan and timings and the
/// orders it passed in (`passes`); tests the plan (or `passes`) names but `by_id` does not know
/// are left out.
fn candidates(
    view: &RunView<'_>,
    by_id: &HashMap<String, &TestCase>,
    passes: &PassedOrders,
    r: &TestResult,
) -> Candidates {
    let lookup = |id: &String| by_id.get(id).map(|t| (*t).clone());
    let planned = &view.plan[r.shard as usize - 1];
    let target = r.test.clone();
    // Tests of other shards that finished before this one started, in finishing order.
    let mut cross: Vec<&TestResult> = view
        .results
        .iter()
        .filter(|o| o.shard != r.shard && o.shard != 0 && o.end_ms <= r.start_ms)
        .collect();
    cross.sort_by_key(|o| (o.end_ms, o.shard));
    let mut reference: Vec<&TestCase> = view
        .all_tests
        .iter()
        .filter(|t| t.binary_id == target.binary_id && !t.ignored && t.name < target.name)
        .collect();
    reference.sort_by(|a, b| a.name.cmp(&b.name));
    // Every other test that ran, in the run's order: by start time across shards (each shard
    // in plan order).
    let mut others: Vec<&TestResult> = view
        .results
        .iter()
        .filter(|o| o.shard != 0 && o.outcome != Outcome::Ignored && o.test != target)
        .collect();
    others.sort_by_key(|o| (o.start_ms, o.shard, o.position));
    let passed_before = passes
        .get(&target.id())
        .map(|before| before.iter().filter_map(lookup).collect())
        .unwrap_or_default();
    Candidates {
        shard: r.shard,
        shard_tests: planned.iter().filter_map(lookup).collect(),
        prefix: planned
            .iter()
            .take(r.position as usize)
            .filter_map(lookup)
            .collect(),
        cross: cross.iter().map(|o| o.test.clone()).collect(),
        reference: reference.into_iter().cloned().collect(),
        passed_before,
        others: others.iter().map(|o| o.test.clone()).collect(),
        target,
    }
}

#[cfg(test)]
mod tests {
    use super::super::search::fake::{Fake, before_last};
    use super::*;

    /// The result of `name` (binary `b`): shard, position, outcome and its time span.
    fn result(
        name: &str,
        shard: u32,
        position: u32,
        outcome: Outcome,
        span: (u64, u64),
    ) -> TestResult {
        TestResult::new(TestCase::new("b", name), outcome)
            .with_place(shard, position)
            .with_times(span.0, span.1, std::time::Duration::ZERO)
    }

    #[test]
    fn failing_tests_are_triaged_by_shard_then_position() {
        let results = vec![
            result("c", 2, 0, Outcome::Failed, (0, 1)),
            result("b", 1, 1, Outcome::Crashed, (0, 1)),
            result("ok", 1, 0, Outcome::Passed, (0, 1)),
            result("a", 1, 2, Outcome::TimedOut, (0, 1)),
            result("never-run", 0, 0, Outcome::Failed, (0, 0)),
        ];
        let got: Vec<&str> = failing_in_order(&results)
            .iter()
            .map(|r| r.test.name.as_str())
            .collect();
        assert_eq!(got, ["b", "a", "c"]);
    }

    #[test]
    fn candidates_come_from_the_plan_the_other_shards_and_the_reference_order() {
        let all: Vec<TestCase> = ["a", "m", "p", "q", "x", "z"]
            .iter()
            .map(|n| TestCase::new("b", n))
            .chain([TestCase::new("other", "a")])
            .collect();
        let plan = vec![
            vec!["b z".to_string(), "b a".into(), "b p".into(), "b x".into()],
            vec!["b q".to_string(), "b m".into(), "other a".into()],
        ];
        let results = vec![
            result("z", 1, 0, Outcome::Passed, (0, 10)),
            result("a", 1, 1, Outcome::Passed, (10, 20)),
            result("p", 1, 2, Outcome::Failed, (20, 30)),
            result("x", 1, 3, Outcome::Passed, (30, 40)),
            // Finished before p started: in finishing order.
            result("m", 2, 1, Outcome::Passed, (5, 15)),
            result("q", 2, 0, Outcome::Passed, (0, 5)),
            // Still running when p started.
            result("late", 2, 2, Outcome::Passed, (15, 25)),
        ];
        let view = RunView {
            plan: &plan,
            results: &results,
            all_tests: &all,
        };
        let by_id = all.iter().map(|t| (t.id(), t)).collect();
        let passes: PassedOrders = [(
            "b p".to_string(),
            vec!["b x".to_string(), "unknown t".into(), "b z".into()],
        )]
        .into();
        let c = candidates(&view, &by_id, &passes, &results[2]);
        assert_eq!(c.target.id(), "b p");
        assert_eq!(c.shard, 1);
        assert_eq!(ids(&c.shard_tests), ["b z", "b a", "b p", "b x"]);
        assert_eq!(ids(&c.prefix), ["b z", "b a"]);
        assert_eq!(ids(&c.cross), ["b q", "b m"]);
        assert_eq!(ids(&c.reference), ["b a", "b m"]);
        // Every other test that ran, by start time (ties: shard, position).
        assert_eq!(
            ids(&c.others),
            ["b z", "b q", "b m", "b a", "b late", "b x"]
        );
        assert_eq!(ids(&c.passed_before), ["b x", "b z"]);
    }

    /// Classifies the failing test of `results[failing]` with `fake`, from the candidates of a
    /// one-shard run whose plan is `results` in order.
    fn classify_in_run(
        fake: &Fake,
        max_reruns: usize,
        all: &[TestCase],
        results: &[TestResult],
        failing: usize,
    ) -> (Finding, usize) {
        let plan = vec![results.iter().map(|r| r.test.id()).collect::<Vec<_>>()];
        let view = RunView {
            plan: &plan,
            results,
            all_tests: all,
        };
        let by_id = all.iter().map(|t| (t.id(), t)).collect();
        let c = candidates(&view, &by_id, &PassedOrders::new(), &results[failing]);
        let order_command = |ids: &[String]| format!("order {}", ids.join(","));
        let cx = Context {
            view: &view,
            order_command: &order_command,
            nod_repro: "nod-repro".into(),
        };
        let opts = TriageOptions {
            budget: None,
            max_reruns,
            confirmations: 3,
            find_cleaners: false,
        };
        let mut s = Session::new(fake, None, &opts, Instant::now());
        let f = classified(&mut s, &c, &cx);
        (f, s.evidence.len())
    }

    /// A run of one sequence: `b a_first`, `b needs_file` (fails: the file is made later, by a
    /// test of another binary), `b zz_last`, `other creates_file`.
    fn cross_binary_run() -> (Vec<TestCase>, Vec<TestResult>) {
        let tests = vec![
            TestCase::new("b", "a_first"),
            TestCase::new("b", "needs_file"),
            TestCase::new("b", "zz_last"),
            TestCase::new("other", "creates_file"),
        ];
        let results = tests
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let outcome = if i == 1 {
                    Outcome::Failed
                } else {
                    Outcome::Passed
                };
                let i = i as u64;
                TestResult::new(t.clone(), outcome)
                    .with_place(1, i as u32)
                    .with_times(10 * i, 10 * i + 10, std::time::Duration::ZERO)
            })
            .collect();
        (tests, results)
    }

    #[test]
    fn a_state_setter_in_another_binary_that_ran_after_it_makes_it_brittle() {
        let (all, results) = cross_binary_run();
        let fake = Fake::new(|seq| !before_last(seq, "other creates_file"));
        let (f, reruns) = classify_in_run(&fake, 64, &all, &results, 1);
        assert_eq!(f.kind, FindingKind::Brittle, "{}", f.note);
        assert_eq!(f.state_setters, ["other creates_file"]);
        // alone, reference (b a_first), all others (3 tests: 2 halvings), confirm; then
        // 3 × (confirm + confirm-alone).
        assert_eq!((f.search_reruns, reruns), (6, 12));
        assert!(f.note.contains("from another test binary"), "{}", f.note);
    }

    #[test]
    fn a_budget_exhausted_in_the_search_among_all_the_runs_tests_leaves_it_unfinished() {
        let (all, results) = cross_binary_run();
        let fake = Fake::new(|seq| !before_last(seq, "other creates_file"));
        // alone, reference, all others pass; the first bisection is one rerun too many.
        let (f, reruns) = classify_in_run(&fake, 3, &all, &results, 1);
        assert_eq!(f.kind, FindingKind::Unfinished);
        assert_eq!(f.note, UNFINISHED_NOTE);
        assert!(f.state_setters.is_empty());
        assert_eq!(reruns, 3);
    }

    #[test]
    fn no_state_setter_in_the_run_is_a_plain_failure() {
        let (all, results) = cross_binary_run();
        let fake = Fake::new(|_| true);
        let (f, reruns) = classify_in_run(&fake, 64, &all, &results, 1);
        assert_eq!(f.kind, FindingKind::Failure);
        assert_eq!(reruns, 3, "alone, reference, all others");
    }

    #[test]
    fn an_error_is_a_failure_that_was_not_triaged() {
        let mut r = result("e", 1, 0, Outcome::Error, (0, 1));
        r.message = Some("could not start".into());
        let f = not_run_to_a_result(&r, "repro".into());
        assert_eq!(f.kind, FindingKind::Failure);
        assert_eq!(
            f.note,
            "not triaged: the test did not run to a result (could not start)"
        );
    }
}
