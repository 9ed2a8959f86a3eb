//! Triage of one run's failures: which failing tests are triaged and in what order, the
//! candidate orders each is rerun in (taken from the run's plan and timings, and from orders the
//! tests passed in), the findings for tests that cannot be triaged (budget spent, no result), the
//! one rerun that tries all of the run's tests before every plain failure at once (the batch),
//! and in shared isolation the process check that tells in-process state apart. Each test's
//! classification is `classify`'s.
//!
//! Triage goes in two passes. First every failing test is classified as far as its own reruns
//! go (alone, its shard's prefix, the reference order, an order it passed in; see
//! `classify::begin`). The tests that still fail alone and in every order tried then share one
//! sequence: every test of the run that did not fail, in the run's order, followed by those
//! tests in the run's order. Each that passes at its place there has the tests before it as its
//! state-setter candidates (minimised and confirmed as usual); each that fails there is a plain
//! failure so far. A run thus pays at most one extra pass of its whole suite for all its plain
//! failures, however many they are. In shared isolation that sequence runs with one process per
//! test (the process-check runner): libtest could only keep one test last in its process, and a
//! failing test in an early binary's process would run before every later binary's tests.
//!
//! A test still failing then gets one last rerun of its own, in one libtest process with its
//! binary's tests before it (`classify::in_process`: in process isolation those that sort
//! before it, in shared isolation its binary's other tests of the run), to find state-setters
//! that act only inside the process; only a test that fails there too is a plain failure.
//!
//! The file is longer than 600 lines because more than half of it is unit tests that drive
//! both passes of a whole run through the fake runner; the code itself is about 500 lines.

use super::classify::{Begun, Candidates, Context, after_others, begin, in_process};
use super::search::{OutOfBudget, Rerunner, Session, ids, run_batch, then, time_is_up};
use super::{Finding, FindingKind, RunView, Runners, TriageOptions, UNFINISHED_NOTE, finding};
use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::runner::executor::Isolation;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// A prefix longer than this is reproduced by rerunning its whole shard (the same order, a
/// shorter command) rather than by listing it.
const LONGEST_LISTED_PREFIX: usize = 20;

/// For a test id, the ids of the tests that ran before it in a sequence it passed in (say, an
/// earlier run of a hunt): a brittle test's state-setters are among them.
pub(crate) type PassedOrders = HashMap<String, Vec<String>>;

/// For each failing test of `results` (a run) that passed in one of `others` (the results of
/// other runs of the same hunt), the ids of the tests that ran before it in its sequence (its
/// shard) there: a brittle test's state-setters are among them, whatever binary they are in. Of
/// several such orders, the shortest (the first of equal ones), the cheapest to rerun and to
/// minimise.
pub(crate) fn passed_orders<'r>(
    results: &[TestResult],
    others: impl Iterator<Item = &'r [TestResult]>,
) -> PassedOrders {
    let mut passes = PassedOrders::new();
    let failing: HashSet<String> = results
        .iter()
        .filter(|r| r.shard != 0 && r.outcome.is_failure())
        .map(|r| r.test.id())
        .collect();
    if failing.is_empty() {
        return passes;
    }
    for other in others {
        let mut seq: Vec<&TestResult> = other.iter().filter(|r| r.shard != 0).collect();
        seq.sort_by_key(|r| (r.shard, r.position));
        for (i, r) in seq.iter().enumerate() {
            let id = r.test.id();
            if r.outcome != Outcome::Passed || !failing.contains(&id) {
                continue;
            }
            let before: Vec<String> = seq[..i]
                .iter()
                .filter(|o| o.shard == r.shard)
                .map(|o| o.test.id())
                .collect();
            if passes.get(&id).is_none_or(|old| before.len() < old.len()) {
                passes.insert(id, before);
            }
        }
    }
    passes
}

/// Triages every failing test of the run, in plan order; `passes` is evidence of orders the
/// failing tests passed in (tried as state-setter candidates of a test that fails alone, after
/// the reference order and before every other test of the run; empty for a single `run`).
/// `order_command` renders the repro command for an order of ids; `progress` is called with one
/// line per step. With `process_check` (a process-isolation runner, given in shared mode), OD and
/// brittle findings are rerun once with one process per test to tell in-process state apart, and
/// the batch of plain failures runs with it.
pub(crate) fn triage_with_passes(
    view: &RunView<'_>,
    passes: &PassedOrders,
    runners: &Runners<'_, '_>,
    opts: &TriageOptions,
    order_command: &dyn Fn(&[String]) -> String,
    shard_command: &dyn Fn(u32) -> String,
    progress: &mut dyn FnMut(String),
) -> Vec<Finding> {
    let isolation = runners.main.isolation();
    let main: &dyn Rerunner = runners.main;
    let reruns = Reruns {
        main,
        replay: runners.replay.map(|r| r as &dyn Rerunner),
        process_check: runners.process_check.map(|r| r as &dyn Rerunner),
        in_process: match isolation {
            Isolation::Shared => Some(main),
            Isolation::Process => runners.in_process.map(|r| r as &dyn Rerunner),
        },
        isolation,
    };
    let t = Triage {
        view,
        passes,
        runners: &reruns,
        opts,
        started: Instant::now(),
        by_id: view.all_tests.iter().map(|t| (t.id(), t)).collect(),
        order_command,
        shard_command,
    };
    t.all(progress)
}

/// The runners triage uses, as [`Runners`] (unit tests give fakes), with the isolation mode
/// of the main one.
struct Reruns<'r> {
    main: &'r dyn Rerunner,
    replay: Option<&'r dyn Rerunner>,
    process_check: Option<&'r dyn Rerunner>,
    /// Runs a binary's tests in one process, the target last (shared isolation: `main`): the
    /// last step of a plain failure (see `classify::in_process`).
    in_process: Option<&'r dyn Rerunner>,
    isolation: Isolation,
}

/// The failing tests of the run (ignored ones, never run, and those `--max-fail N:immediate`
/// stopped, left out), by shard and position.
fn failing_in_order(results: &[TestResult]) -> Vec<&TestResult> {
    let mut failing: Vec<&TestResult> = results
        .iter()
        .filter(|r| r.outcome.is_failure() && r.outcome != Outcome::Interrupted && r.shard != 0)
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
            "{}the test did not run to a result ({})",
            super::NOT_TRIAGED,
            r.message.as_deref().unwrap_or("error")
        ),
    )
}

/// An unfinished finding for `target` (budget spent or interrupted).
fn unfinished(target: &TestCase, repro: String) -> Finding {
    finding(
        FindingKind::Unfinished,
        target,
        repro,
        UNFINISHED_NOTE.into(),
    )
}

/// Triage of one run: what every failing test's triage shares.
struct Triage<'t, 'a> {
    view: &'t RunView<'a>,
    /// Orders the failing tests passed in, by test id.
    passes: &'t PassedOrders,
    runners: &'t Reruns<'t>,
    opts: &'t TriageOptions,
    /// When triage started (the time budget covers all of it).
    started: Instant,
    /// Every listed test by id, to turn the plan's ids back into tests.
    by_id: HashMap<String, &'a TestCase>,
    order_command: &'t dyn Fn(&[String]) -> String,
    shard_command: &'t dyn Fn(u32) -> String,
}

/// A failing test that fails alone and after every candidate set it was tried with on its own,
/// waiting for the batch (the run's other tests before it).
struct Pending<'t> {
    /// Its place among the run's findings.
    slot: usize,
    /// Its result in the run.
    result: &'t TestResult,
    /// The repro of a NOD finding for it.
    nod_repro: String,
    /// Its candidate orders (for the in-process step after the batch).
    candidates: Candidates,
    /// Its reruns so far.
    session: Session<'t>,
}

/// The progress note for a failing test left to the batched second pass.
const PENDING_NOTE: &str = "  → fails alone and in the orders tried so far: next, after all the \
     run's tests (one rerun for all such tests of the run)";

/// The progress note announcing the batched second pass: `others` tests of the run that did
/// not fail, then the `targets` pending ones, in one process per test when `per_process`.
fn batch_note(others: usize, targets: usize, per_process: bool) -> String {
    format!(
        "triage: rerunning the {others} tests of the run that did not fail, then the {targets} \
         that fail alone and in the orders tried so far, as one sequence{}",
        if per_process {
            " (one process per test)"
        } else {
            ""
        }
    )
}

/// How far the first pass got with one failing test.
enum Step<'t> {
    Done(Finding),
    Pending(Pending<'t>),
}

impl<'t> Triage<'t, '_> {
    /// Every failing test's finding, in plan order (see the module doc for the two passes).
    fn all(&self, progress: &mut dyn FnMut(String)) -> Vec<Finding> {
        let failing = failing_in_order(self.view.results);
        let mut slots: Vec<Option<Finding>> = Vec::with_capacity(failing.len());
        let mut pending = Vec::new();
        for (i, r) in failing.iter().enumerate() {
            // Out of time or interrupted: the rest are unfinished, at once (with thousands of
            // failures, building each one's rerun lists would take minutes).
            if time_is_up(self.runners.main, self.opts, self.started) {
                slots.push(Some(unfinished(&r.test, (self.shard_command)(r.shard))));
                continue;
            }
            if r.outcome == Outcome::Error {
                slots.push(Some(not_run_to_a_result(r, (self.shard_command)(r.shard))));
                continue;
            }
            progress(format!(
                "triage {}/{}: {}",
                i + 1,
                failing.len(),
                r.test.id()
            ));
            match self.begin(i, r) {
                Step::Done(f) => {
                    progress(format!("  → {}: {}", f.kind.label(), f.note));
                    slots.push(Some(f));
                }
                Step::Pending(p) => {
                    progress(PENDING_NOTE.into());
                    slots.push(None);
                    pending.push(p);
                }
            }
        }
        self.batch(pending, &mut slots, progress);
        slots
            .into_iter()
            .map(|f| {
                let mut f = f.expect("every failing test has a finding");
                f.isolation = self.runners.isolation;
                f
            })
            .collect()
    }

    /// The first pass over the failing test of `r` (the `slot`-th): its finding, or what the
    /// batch needs to finish it.
    fn begin(&self, slot: usize, r: &'t TestResult) -> Step<'t> {
        let mut s = Session::new(
            self.runners.main,
            self.runners.replay,
            self.opts,
            self.started,
        );
        let c = candidates(self.view, &self.by_id, self.passes, r);
        let cx = self.context(self.nod_repro(r.shard, &c));
        let f = match begin(&mut s, &c, &cx) {
            Ok(Begun::Done(f)) => self.in_process_step(&mut s, &c, &cx, f),
            Ok(Begun::NeedsOthers) => {
                return Step::Pending(Pending {
                    slot,
                    result: r,
                    nod_repro: cx.nod_repro,
                    candidates: c,
                    session: s,
                });
            }
            Err(OutOfBudget) => unfinished(&c.target, cx.nod_repro),
        };
        Step::Done(self.finish(f, &c.target, s))
    }

    /// The second pass: one sequence of every test of the run that did not fail (in the run's
    /// order: by start time across shards), then the `pending` tests (in the same order), each
    /// classified from its outcome there (see [`after_others`]) into its slot. A pending test
    /// whose budget does not allow one more rerun is unfinished and left out of the sequence.
    fn batch(
        &self,
        pending: Vec<Pending<'t>>,
        slots: &mut [Option<Finding>],
        progress: &mut dyn FnMut(String),
    ) {
        let (mut go, out): (Vec<Pending>, Vec<Pending>) =
            pending.into_iter().partition(|p| p.session.can_rerun());
        for p in out {
            let f = unfinished(&p.result.test, p.nod_repro.clone());
            slots[p.slot] = Some(self.finish(f, &p.result.test, p.session));
        }
        if go.is_empty() {
            return;
        }
        go.sort_by_key(|p| (p.result.start_ms, p.result.shard, p.result.position));
        let targets: Vec<TestCase> = go.iter().map(|p| p.result.test.clone()).collect();
        let seq = [did_not_fail(self.view.results), targets.clone()].concat();
        progress(batch_note(
            seq.len() - targets.len(),
            targets.len(),
            self.runners.process_check.is_some(),
        ));
        // Shared isolation: one process per test keeps the exact order (see the module doc).
        let runner = self.runners.process_check.unwrap_or(self.runners.main);
        let b = run_batch(runner, &seq, &targets);
        for (mut p, outcome) in go.into_iter().zip(b.outcomes) {
            let target = &p.result.test;
            let id = target.id();
            let at = b.order.iter().position(|x| *x == id);
            let f = match (outcome, at) {
                (Some(outcome), Some(at)) => {
                    let order = b.order[..=at].to_vec();
                    let before: Vec<TestCase> = order[..at]
                        .iter()
                        .filter_map(|id| self.by_id.get(id).map(|t| (*t).clone()))
                        .collect();
                    p.session.record("reference", order, outcome, b.duration_ms);
                    let cx = self.context(p.nod_repro.clone());
                    match after_others(&mut p.session, target, &before, outcome, &cx) {
                        Ok(f) => self.in_process_step(&mut p.session, &p.candidates, &cx, f),
                        Err(OutOfBudget) => unfinished(target, p.nod_repro.clone()),
                    }
                }
                // Interrupted before it ran.
                _ => unfinished(target, p.nod_repro.clone()),
            };
            progress(format!("triage: {id}, after the run's other tests"));
            progress(format!("  → {}: {}", f.kind.label(), f.note));
            slots[p.slot] = Some(self.finish(f, target, p.session));
        }
    }

    /// A plain failure's last step: its binary's tests before it in one process (see
    /// `classify::in_process`); `f` (any other finding) as it is. A brittle finding made there
    /// replaces the failure; a budget spent on the way leaves the test unfinished.
    fn in_process_step(
        &self,
        s: &mut Session<'t>,
        c: &Candidates,
        cx: &Context<'_, '_>,
        f: Finding,
    ) -> Finding {
        let Some(inproc) = self.runners.in_process else {
            return f;
        };
        if f.kind != FindingKind::Failure {
            return f;
        }
        match in_process(s, inproc, c, self.runners.isolation, cx) {
            Ok(Some(found)) => found,
            Ok(None) => f,
            Err(OutOfBudget) => unfinished(&c.target, cx.nod_repro.clone()),
        }
    }

    /// The context of one test's classification, with `nod_repro` as its NOD repro.
    fn context(&self, nod_repro: String) -> Context<'t, '_> {
        Context {
            view: self.view,
            order_command: self.order_command,
            nod_repro,
        }
    }

    /// `f` with the process check made (see [`check_in_process`](Self::check_in_process)) and
    /// every rerun of `s` as its evidence.
    fn finish(&self, mut f: Finding, target: &TestCase, mut s: Session<'_>) -> Finding {
        self.check_in_process(&mut f, target, &mut s);
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

/// Every test of the run that ran and did not fail, in the run's order: by start time across
/// shards (ties: shard, position).
fn did_not_fail(results: &[TestResult]) -> Vec<TestCase> {
    let mut passed: Vec<&TestResult> = results
        .iter()
        .filter(|r| r.shard != 0 && !r.outcome.is_failure() && r.outcome != Outcome::Ignored)
        .collect();
    passed.sort_by_key(|r| (r.start_ms, r.shard, r.position));
    passed.into_iter().map(|r| r.test.clone()).collect()
}

/// The classification of `c.target` (see [`classify`](super::classify::classify)), or an
/// unfinished finding when the budget runs out on the way.
#[cfg(test)]
fn classified(s: &mut Session<'_>, c: &Candidates, cx: &Context<'_, '_>) -> Finding {
    super::classify::classify(s, c, cx)
        .unwrap_or_else(|OutOfBudget| unfinished(&c.target, cx.nod_repro.clone()))
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
    use crate::runner::options::SandboxScope;

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
    fn triage_notes_read_as_one_sentence() {
        assert_eq!(
            PENDING_NOTE,
            "  → fails alone and in the orders tried so far: next, after all the run's tests \
             (one rerun for all such tests of the run)"
        );
        assert_eq!(
            batch_note(7, 5, true),
            "triage: rerunning the 7 tests of the run that did not fail, then the 5 that fail \
             alone and in the orders tried so far, as one sequence (one process per test)"
        );
        assert!(batch_note(7, 5, false).ends_with("as one sequence"));
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
            sandbox: SandboxScope::Run,
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
            sandbox: SandboxScope::Run,
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
        let results = run_of(&tests, &["b needs_file"]);
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
        assert_eq!(f.label(), "failure (fails alone too)");
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
        // Never said to fail alone: it was not rerun at all.
        assert_eq!(
            f.label(),
            "failure (not triaged: it did not run to a result)"
        );
    }

    /// A one-shard run of `tests` in this order, 10 ms each; those named in `failed` failed.
    fn run_of(tests: &[TestCase], failed: &[&str]) -> Vec<TestResult> {
        tests
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let outcome = if failed.contains(&t.id().as_str()) {
                    Outcome::Failed
                } else {
                    Outcome::Passed
                };
                let i = i as u64;
                TestResult::new(t.clone(), outcome)
                    .with_place(1, i as u32)
                    .with_times(10 * i, 10 * i + 10, std::time::Duration::ZERO)
            })
            .collect()
    }

    /// Triages the whole run `results` (one shard, every test of `all`) with `main`, and
    /// `process_check` as in shared isolation, through both passes.
    fn triage_all(
        main: &Fake,
        process_check: Option<&Fake>,
        max_reruns: usize,
        all: &[TestCase],
        results: &[TestResult],
    ) -> Vec<Finding> {
        let runners = (main, process_check, None);
        triage_in(runners, Isolation::Process, max_reruns, all, results)
    }

    /// [`triage_all`] with the runners `(main, process_check, in_process)` and `isolation`.
    fn triage_in(
        (main, process_check, in_process): (&Fake, Option<&Fake>, Option<&Fake>),
        isolation: Isolation,
        max_reruns: usize,
        all: &[TestCase],
        results: &[TestResult],
    ) -> Vec<Finding> {
        let plan = vec![results.iter().map(|r| r.test.id()).collect::<Vec<_>>()];
        let view = RunView {
            plan: &plan,
            results,
            all_tests: all,
            sandbox: SandboxScope::Run,
        };
        let opts = TriageOptions {
            budget: None,
            max_reruns,
            confirmations: 1,
            find_cleaners: false,
        };
        let reruns = Reruns {
            main,
            replay: None,
            process_check: process_check.map(|f| f as &dyn Rerunner),
            in_process: in_process.map(|f| f as &dyn Rerunner),
            isolation,
        };
        let order_command = |ids: &[String]| format!("order {}", ids.join(","));
        let shard_command = |k: u32| format!("shard {k}");
        let passes = PassedOrders::new();
        let t = Triage {
            view: &view,
            passes: &passes,
            runners: &reruns,
            opts: &opts,
            started: Instant::now(),
            by_id: all.iter().map(|t| (t.id(), t)).collect(),
            order_command: &order_command,
            shard_command: &shard_command,
        };
        t.all(&mut |_| {})
    }

    /// A run with three failing tests, each with tests of its own binary that sort before it
    /// (a reference order): `b a0`, `b f1` ✗, `c s0`, `b f2` ✗, `c a1`, `c f3` ✗, `c z_setter`.
    fn three_failures() -> (Vec<TestCase>, Vec<TestResult>) {
        let all: Vec<TestCase> = [
            ("b", "a0"),
            ("b", "f1"),
            ("c", "s0"),
            ("b", "f2"),
            ("c", "a1"),
            ("c", "f3"),
            ("c", "z_setter"),
        ]
        .iter()
        .map(|(b, n)| TestCase::new(b, n))
        .collect();
        let results = run_of(&all, &["b f1", "b f2", "c f3"]);
        (all, results)
    }

    /// The sequences of `fake`'s log longer than `n` tests.
    fn longer_than(fake: &Fake, n: usize) -> Vec<Vec<String>> {
        fake.calls().into_iter().filter(|c| c.len() > n).collect()
    }

    /// The batch of `three_failures`: every test that did not fail, in run order, then the
    /// failing ones.
    const BATCH: [&str; 7] = ["b a0", "c s0", "c a1", "c z_setter", "b f1", "b f2", "c f3"];

    #[test]
    fn three_plain_failures_cost_one_rerun_of_all_the_runs_tests_together() {
        let (all, results) = three_failures();
        let fake = Fake::new(|_| true);
        let f = triage_all(&fake, None, 64, &all, &results);
        let kinds: Vec<(&str, FindingKind)> = f.iter().map(|f| (f.test.as_str(), f.kind)).collect();
        use FindingKind::Failure;
        assert_eq!(
            kinds,
            [("b f1", Failure), ("b f2", Failure), ("c f3", Failure)]
        );
        // Each: alone, reference, and the one batch; the batch is one sequence in all.
        assert_eq!(fake.calls().len(), 3 * 2 + 1);
        assert_eq!(longer_than(&fake, 3), [BATCH.map(String::from).to_vec()]);
        for (f, at) in f.iter().zip([5, 6, 7]) {
            assert_eq!(f.reruns, 3, "{f:?}");
            let batch = &f.evidence[2];
            assert_eq!(batch.purpose, "reference");
            // Its part of the batch: up to and including it.
            assert_eq!(batch.order, BATCH[..at]);
            assert_eq!(batch.outcome, Outcome::Failed);
        }
    }

    #[test]
    fn a_brittle_test_that_passes_in_the_batch_is_minimised_to_its_setter_and_one_that_fails_is_a_plain_failure()
     {
        let (all, results) = three_failures();
        // `b f2` needs `c z_setter` (another binary, after it in the run); the others always fail.
        let fake =
            Fake::new(|seq| seq.last().unwrap() != "b f2" || !before_last(seq, "c z_setter"));
        let f = triage_all(&fake, None, 64, &all, &results);
        assert_eq!(f[1].kind, FindingKind::Brittle, "{}", f[1].note);
        assert_eq!(f[1].state_setters, ["c z_setter"]);
        assert!(
            f[1].note.contains("found among all the run's tests"),
            "{}",
            f[1].note
        );
        // Its candidates are the batch before it (`b f1` too, which failed before it there).
        assert_eq!(f[1].evidence[2].order, BATCH[..6]);
        assert_eq!(f[1].evidence[2].outcome, Outcome::Passed);
        // alone, reference, batch, 3 halvings of 5, confirm; then confirm + confirm-alone.
        assert_eq!((f[1].search_reruns, f[1].reruns), (7, 9));
        for plain in [&f[0], &f[2]] {
            assert_eq!(plain.kind, FindingKind::Failure, "{plain:?}");
            // No rerun after the batch.
            assert_eq!(plain.reruns, 3);
            assert_eq!(plain.evidence.last().unwrap().outcome, Outcome::Failed);
        }
        assert_eq!(longer_than(&fake, 6).len(), 1, "one batch");
    }

    #[test]
    fn a_test_whose_budget_leaves_no_rerun_for_the_batch_is_unfinished_and_left_out_of_it() {
        let (mut all, _) = three_failures();
        // `b f1`: nothing of its binary sorts before it, so it reaches the batch after one
        // rerun (alone) and has budget for it; the others spend theirs on alone and reference.
        all[0] = TestCase::new("b", "x0");
        let results = run_of(&all, &["b f1", "b f2", "c f3"]);
        let fake = Fake::new(|_| true);
        let f = triage_all(&fake, None, 2, &all, &results);
        assert_eq!(f[0].kind, FindingKind::Failure);
        assert_eq!(f[0].reruns, 2);
        for u in [&f[1], &f[2]] {
            assert_eq!(u.kind, FindingKind::Unfinished, "{u:?}");
            assert_eq!(u.note, UNFINISHED_NOTE);
            assert_eq!(u.reruns, 2);
        }
        let batches = longer_than(&fake, 3);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].last().unwrap(), "b f1", "only b f1 in the batch");
    }

    #[test]
    fn in_shared_isolation_the_batch_runs_with_one_process_per_test() {
        let (all, results) = three_failures();
        let brittle =
            |seq: &[String]| seq.last().unwrap() != "b f2" || !before_last(seq, "c z_setter");
        let (main, check) = (Fake::new(brittle), Fake::new(brittle));
        let f = triage_all(&main, Some(&check), 64, &all, &results);
        assert_eq!(f[1].state_setters, ["c z_setter"]);
        assert!(!f[1].in_process_state);
        assert!(longer_than(&main, 3).is_empty(), "{:?}", main.calls());
        // The batch, then the process check of the brittle finding.
        assert_eq!(
            check.calls(),
            [
                BATCH.map(String::from).to_vec(),
                vec!["c z_setter".into(), "b f2".into()]
            ]
        );
    }

    /// A run of `b a_fill`, `b b_other`, `b needs_registry` (fails: it needs the registry that
    /// `b a_fill` fills in the process), `c other`; `selected` says whether `b a_fill` is in it.
    fn registry_run(selected: bool) -> (Vec<TestCase>, Vec<TestResult>) {
        let all: Vec<TestCase> = [
            ("b", "a_fill"),
            ("b", "b_other"),
            ("b", "needs_registry"),
            ("c", "other"),
        ]
        .iter()
        .map(|(b, n)| TestCase::new(b, n))
        .collect();
        let ran: Vec<TestCase> = all[usize::from(!selected)..].to_vec();
        let results = run_of(&ran, &["b needs_registry"]);
        (all, results)
    }

    /// `b needs_registry` fails unless `b a_fill` ran before it.
    fn needs_registry(seq: &[String]) -> bool {
        seq.last().unwrap() == "b needs_registry" && !before_last(seq, "b a_fill")
    }

    #[test]
    fn in_process_isolation_a_failure_that_passes_after_its_binarys_earlier_tests_in_one_process_is_brittle_with_in_process_state()
     {
        let (all, results) = registry_run(true);
        // One process per test: it always fails. In one process: after `b a_fill`, it passes.
        let (process, one_process) = (Fake::new(|_| true), Fake::new(needs_registry));
        let runners = (&process, None, Some(&one_process));
        let f = triage_in(runners, Isolation::Process, 64, &all, &results);
        let f = &f[0];
        assert_eq!(f.kind, FindingKind::Brittle, "{}", f.note);
        assert_eq!(f.state_setters, ["b a_fill"]);
        assert!(f.in_process_state);
        assert_eq!(f.isolation, Isolation::Process);
        assert_eq!(f.repro, "order b needs_registry");
        assert_eq!(
            f.note,
            "fails alone, passes after b a_fill (its state-setter); in-process state: the \
             state-setter must run in the test's process, before it (as under `cargo test`, which \
             runs a binary's tests in one process, by name); process isolation gives every test \
             a process of its own, so no order satisfies it there (with `--isolation shared`, an \
             `--order` of it followed by the test passes)"
        );
        // In one process: the reference order, 1 halving, confirm; confirm + confirm-alone.
        let reference: Vec<String> = ["b a_fill", "b b_other", "b needs_registry"]
            .map(String::from)
            .to_vec();
        assert_eq!(one_process.calls()[0], reference);
        assert_eq!(one_process.calls().len(), 5);
        let purposes: Vec<&str> = f.evidence.iter().map(|r| r.purpose).collect();
        assert_eq!(
            purposes,
            [
                "alone",
                "reference",
                "reference",
                "reference",
                "bisect",
                "confirm",
                "confirm",
                "confirm-alone"
            ]
        );
        // Process isolation: alone, the reference order, the batch.
        assert_eq!(process.calls().len(), 3);
        assert_eq!((f.search_reruns, f.reruns), (6, 8));
    }

    #[test]
    fn an_in_process_state_setter_outside_the_selection_says_so() {
        let (all, results) = registry_run(false);
        let (process, one_process) = (Fake::new(|_| true), Fake::new(needs_registry));
        let runners = (&process, None, Some(&one_process));
        let f = triage_in(runners, Isolation::Process, 64, &all, &results);
        assert_eq!(f[0].kind, FindingKind::Brittle, "{}", f[0].note);
        assert_eq!(f[0].state_setters, ["b a_fill"]);
        assert!(f[0].in_process_state);
        assert!(
            f[0].note.ends_with(
                "; not in this run (another partition's, or left out by the filters): b a_fill"
            ),
            "{}",
            f[0].note
        );
    }

    #[test]
    fn in_process_isolation_a_failure_that_fails_in_one_process_too_is_a_plain_failure() {
        let (all, results) = registry_run(true);
        let (process, one_process) = (Fake::new(|_| true), Fake::new(|_| true));
        let runners = (&process, None, Some(&one_process));
        let f = triage_in(runners, Isolation::Process, 64, &all, &results);
        assert_eq!(f[0].kind, FindingKind::Failure);
        assert!(!f[0].in_process_state);
        assert_eq!(f[0].note, "fails when run alone");
        // Alone, the reference order, the batch; then the reference order in one process.
        assert_eq!(f[0].reruns, 4);
        assert_eq!(one_process.calls().len(), 1);
    }

    #[test]
    fn a_test_with_nothing_before_it_in_its_binary_gets_no_in_process_rerun() {
        let all = vec![TestCase::new("b", "a_alone"), TestCase::new("c", "other")];
        let results = run_of(&all, &["b a_alone"]);
        let (process, one_process) = (Fake::new(|_| true), Fake::new(|_| false));
        let runners = (&process, None, Some(&one_process));
        let f = triage_in(runners, Isolation::Process, 64, &all, &results);
        assert_eq!(f[0].kind, FindingKind::Failure);
        assert!(one_process.calls().is_empty());
    }

    #[test]
    fn in_shared_isolation_an_in_process_state_setter_that_sorts_after_it_is_found_after_the_batch()
    {
        // `b f` needs `b z_setter` (its binary, sorts after it) in its process: the reference
        // order (`b a0`) and the batch (one process per test) fail it.
        let all: Vec<TestCase> = [("b", "a0"), ("b", "f"), ("c", "x"), ("b", "z_setter")]
            .iter()
            .map(|(b, n)| TestCase::new(b, n))
            .collect();
        let results = run_of(&all, &["b f"]);
        let shared = Fake::new(|seq| !before_last(seq, "b z_setter"));
        let check = Fake::new(|_| true);
        // In shared isolation the main runner is the one-process runner.
        let runners = (&shared, Some(&check), Some(&shared));
        let f = triage_in(runners, Isolation::Shared, 64, &all, &results);
        let f = &f[0];
        assert_eq!(f.kind, FindingKind::Brittle, "{}", f.note);
        assert_eq!(f.state_setters, ["b z_setter"]);
        assert!(f.in_process_state, "{}", f.note);
        assert!(
            f.note.contains(
                "found among its binary's other tests of the run in its own process, not in \
                 the reference order"
            ) && f
                .note
                .ends_with(" — in-process state: not seen with one process per test"),
            "{}",
            f.note
        );
        // The batch and the process check ran with one process per test; the candidates in
        // one process were its binary's other tests of the run, in the run's order.
        assert_eq!(
            check.calls(),
            [
                ["b a0", "c x", "b z_setter", "b f"]
                    .map(String::from)
                    .to_vec(),
                vec!["b z_setter".to_string(), "b f".into()]
            ]
        );
        assert!(
            shared
                .calls()
                .contains(&["b a0", "b z_setter", "b f"].map(String::from).to_vec())
        );
    }

    #[test]
    fn the_order_a_failing_test_passed_in_is_the_shortest_prefix_it_passed_after() {
        let all: Vec<TestCase> = ["a", "f", "s", "x"]
            .iter()
            .map(|n| TestCase::new("b", n))
            .collect();
        let this = run_of(&all, &["b f", "b x"]);
        let order = |names: &[&str]| {
            let tests: Vec<TestCase> = names.iter().map(|n| TestCase::new("b", n)).collect();
            run_of(&tests, &[])
        };
        let long = order(&["a", "s", "x", "f"]);
        let short = order(&["s", "f", "a", "x"]);
        let mut failed_there = order(&["f"]);
        failed_there[0].outcome = Outcome::Failed;
        let others = [long.as_slice(), failed_there.as_slice(), short.as_slice()];
        let passes = passed_orders(&this, others.into_iter());
        assert_eq!(passes["b f"], ["b s"]);
        assert_eq!(passes["b x"], ["b a", "b s"]);
        assert!(!passes.contains_key("b a"), "it did not fail");
    }
}
