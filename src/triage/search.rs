//! Reruns under triage's budget, and the search for the tests that make a failing test fail
//! (polluters) or pass (state-setters).
//!
//! A [`Session`] runs the sequences of one failing test, records each as evidence and stops with
//! [`OutOfBudget`] when the rerun cap, the time budget or an interruption says so. Its search,
//! [`Session::minimize`], first bisects optimistically for a single culprit (one rerun per
//! halving, then one confirmation: ⌈log2 n⌉ + 1 reruns among n candidates), then falls back to
//! delta debugging with interference (`dd`, after Zeller & Hildebrandt, "Simplifying and
//! Isolating Failure-Inducing Input", TSE 2002) for culprits that only act together, and prunes
//! the result to a 1-minimal set, as iFixFlakies (Shi et al., FSE 2019) does for polluters.

use super::{Rerun, TriageOptions};
use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::runner::executor::SequenceRunner;
use std::collections::HashMap;
use std::time::Instant;

/// What a triage session needs from a runner. Implemented by [`SequenceRunner`]; unit tests use
/// a fake whose outcomes are a function of the order.
pub(super) trait Rerunner {
    /// Whether the run was interrupted (triage then stops rerunning).
    fn cancelled(&self) -> bool;

    /// Runs `seq` as one sequence in the sandbox of shard `shard`. Returns the outcome of each of
    /// `targets` (the first result reported for it; `None` when it reported none, e.g. when
    /// interrupted) and the ids of the tests in the order they really ran (in shared isolation
    /// libtest decides it). A rerun of one failing test has it last and as its only target; the
    /// batch of a run's plain failures (see `run`) has several.
    fn rerun(
        &self,
        shard: u32,
        seq: &[TestCase],
        targets: &[TestCase],
    ) -> (Vec<Option<Outcome>>, Vec<String>);
}

impl Rerunner for SequenceRunner<'_> {
    fn cancelled(&self) -> bool {
        SequenceRunner::cancelled(self)
    }

    fn rerun(
        &self,
        shard: u32,
        seq: &[TestCase],
        targets: &[TestCase],
    ) -> (Vec<Option<Outcome>>, Vec<String>) {
        let index: HashMap<&TestCase, usize> =
            targets.iter().enumerate().map(|(i, t)| (t, i)).collect();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; targets.len()];
        let mut ran: Vec<(u32, String)> = Vec::new();
        self.run_sequence(
            shard,
            seq,
            |_| {},
            |r: TestResult| {
                if let Some(&i) = index.get(&r.test) {
                    outcomes[i].get_or_insert(r.outcome);
                }
                ran.push((r.position, r.test.id()));
            },
        );
        ran.sort();
        (outcomes, ran.into_iter().map(|(_, id)| id).collect())
    }
}

/// Budget exhausted or run interrupted: the rerun was not made (or gave no outcome).
pub(super) struct OutOfBudget;

/// Whether triage as a whole is out of time or interrupted (checked before each failing test;
/// the rerun cap is per test and checked by [`Session`]).
pub(super) fn time_is_up(runner: &dyn Rerunner, opts: &TriageOptions, started: Instant) -> bool {
    runner.cancelled() || opts.budget.is_some_and(|b| started.elapsed() >= b)
}

/// The ids of `tests`, in order.
pub(super) fn ids(tests: &[TestCase]) -> Vec<String> {
    tests.iter().map(TestCase::id).collect()
}

/// `before` followed by `target`: the sequence that tests what `before` does to `target`.
pub(super) fn then(before: &[TestCase], target: &TestCase) -> Vec<TestCase> {
    let mut v = before.to_vec();
    v.push(target.clone());
    v
}

/// One sequence run for several targets at once (the batch of a run's plain failures, see
/// `run`): the order it really ran in, each target's outcome, and its wall time.
pub(super) struct Batch {
    /// The ids of the tests in the order they ran.
    pub(super) order: Vec<String>,
    /// The outcome of each target, in the order the targets were given.
    pub(super) outcomes: Vec<Option<Outcome>>,
    /// Wall time of the whole sequence, milliseconds.
    pub(super) duration_ms: f64,
}

/// Runs `seq` once with `runner` and reports the outcome of each of `targets` (the caller checks
/// the budget of each target's session and records the rerun in it).
pub(super) fn run_batch(runner: &dyn Rerunner, seq: &[TestCase], targets: &[TestCase]) -> Batch {
    let t = Instant::now();
    let (outcomes, order) = runner.rerun(0, seq, targets);
    Batch {
        order,
        outcomes,
        duration_ms: t.elapsed().as_secs_f64() * 1000.0,
    }
}

/// The reruns of one failing test, and the evidence they leave.
pub(super) struct Session<'r> {
    runner: &'r dyn Rerunner,
    /// Shared isolation: a runner that reproduces the run's own processes exactly (same tests,
    /// same libtest seeds), to replay the order a test failed in.
    replay: Option<&'r dyn Rerunner>,
    pub(super) opts: &'r TriageOptions,
    /// When triage started (the time budget covers all of triage, not one test).
    started: Instant,
    /// Every rerun made so far, in order; its length counts against `opts.max_reruns`.
    pub(super) evidence: Vec<Rerun>,
}

impl<'r> Session<'r> {
    /// A session with no reruns yet; `started` is when triage as a whole started.
    pub(super) fn new(
        runner: &'r dyn Rerunner,
        replay: Option<&'r dyn Rerunner>,
        opts: &'r TriageOptions,
        started: Instant,
    ) -> Session<'r> {
        Session {
            runner,
            replay,
            opts,
            started,
            evidence: Vec::new(),
        }
    }

    /// Makes `runner` the one the session reruns with, and returns the one it had.
    pub(super) fn swap_runner(&mut self, runner: &'r dyn Rerunner) -> &'r dyn Rerunner {
        std::mem::replace(&mut self.runner, runner)
    }

    /// Runs `seq` (target last) and returns the target's outcome.
    pub(super) fn run(
        &mut self,
        purpose: &'static str,
        seq: &[TestCase],
    ) -> Result<Outcome, OutOfBudget> {
        let target = seq.last().ok_or(OutOfBudget)?.clone();
        self.run_with(self.runner, purpose, 0, seq, &target)
    }

    /// Shared isolation: reruns the target's whole shard exactly as the run did (same
    /// processes, same libtest seeds, hence the same order) and returns the target's outcome.
    /// `None` in process isolation, where a prefix rerun already is the same order.
    pub(super) fn replay_shard(
        &mut self,
        shard: u32,
        shard_tests: &[TestCase],
        target: &TestCase,
    ) -> Result<Option<Outcome>, OutOfBudget> {
        let Some(replay) = self.replay else {
            return Ok(None);
        };
        self.run_with(replay, "replay", shard, shard_tests, target)
            .map(Some)
    }

    /// Runs `seq` with `runner` unless the budget is spent, and records the rerun as evidence.
    fn run_with(
        &mut self,
        runner: &dyn Rerunner,
        purpose: &'static str,
        shard: u32,
        seq: &[TestCase],
        target: &TestCase,
    ) -> Result<Outcome, OutOfBudget> {
        if !self.can_rerun() {
            return Err(OutOfBudget);
        }
        let t = Instant::now();
        let (outcomes, order) = runner.rerun(shard, seq, std::slice::from_ref(target));
        let outcome = outcomes[0].ok_or(OutOfBudget)?;
        self.record(purpose, order, outcome, t.elapsed().as_secs_f64() * 1000.0);
        Ok(outcome)
    }

    /// Whether one more rerun is within the budget (time, interruption, the rerun cap).
    pub(super) fn can_rerun(&self) -> bool {
        !time_is_up(self.runner, self.opts, self.started)
            && self.evidence.len() < self.opts.max_reruns
    }

    /// Records a rerun made outside this session (the batch of a run's plain failures, one
    /// sequence shared by several sessions) as evidence: `order` ends with the target.
    pub(super) fn record(
        &mut self,
        purpose: &'static str,
        order: Vec<String>,
        outcome: Outcome,
        duration_ms: f64,
    ) {
        self.evidence.push(Rerun {
            purpose,
            order,
            outcome,
            duration_ms,
        });
    }

    /// Whether `subset` (kept in original order) followed by `target` gives the wanted result.
    pub(super) fn holds(
        &mut self,
        purpose: &'static str,
        subset: &[TestCase],
        target: &TestCase,
        want_fail: bool,
    ) -> Result<bool, OutOfBudget> {
        Ok(self.run(purpose, &then(subset, target))?.is_failure() == want_fail)
    }

    /// Minimal subset of `cands` (order kept) that, run before `target`, makes the predicate
    /// hold (`want_fail`: target fails). Precondition: it holds for all of `cands`.
    /// Optimistic binary search for a single culprit (one rerun per halving, then one
    /// confirmation), falling back to delta debugging with interference for conjunctions.
    /// `None` when even the delta-debugging result does not hold on confirmation.
    pub(super) fn minimize(
        &mut self,
        cands: &[TestCase],
        target: &TestCase,
        want_fail: bool,
    ) -> Result<Option<Vec<TestCase>>, OutOfBudget> {
        if cands.is_empty() {
            return Ok(None);
        }
        let mut range = cands.to_vec();
        while range.len() > 1 {
            let (a, b) = range.split_at(range.len() / 2);
            range = if self.holds("bisect", a, target, want_fail)? {
                a.to_vec()
            } else {
                b.to_vec()
            };
        }
        if self.holds("confirm", &range, target, want_fail)? {
            return Ok(Some(range));
        }
        // No single culprit: several tests are needed together.
        let found = self.dd(cands.to_vec(), Vec::new(), target, want_fail, cands)?;
        if !self.holds("confirm", &found, target, want_fail)? {
            return Ok(None);
        }
        self.prune(found, target, want_fail).map(Some)
    }

    /// Makes a culprit set 1-minimal: drops each member whose removal still makes the predicate
    /// hold (one rerun per member). Delta debugging only guarantees this when every rerun
    /// answers consistently; with a noisy test, or in shared isolation (where libtest reorders
    /// each subset, so a cleaner may land between polluter and victim), it can return innocent
    /// tests too.
    fn prune(
        &mut self,
        mut set: Vec<TestCase>,
        target: &TestCase,
        want_fail: bool,
    ) -> Result<Vec<TestCase>, OutOfBudget> {
        let mut i = 0;
        while set.len() > 1 && i < set.len() {
            let mut without = set.clone();
            without.remove(i);
            if self.holds("prune", &without, target, want_fail)? {
                set = without;
            } else {
                i += 1;
            }
        }
        Ok(set)
    }

    /// Delta debugging with interference: minimal `c' ⊆ c` such that `r ∪ c'` before target
    /// holds. `all` gives the original order to merge subsets in.
    fn dd(
        &mut self,
        c: Vec<TestCase>,
        r: Vec<TestCase>,
        target: &TestCase,
        want_fail: bool,
        all: &[TestCase],
    ) -> Result<Vec<TestCase>, OutOfBudget> {
        if c.len() <= 1 {
            return Ok(c);
        }
        let merge = |x: &[TestCase], y: &[TestCase]| -> Vec<TestCase> {
            all.iter()
                .filter(|t| x.contains(t) || y.contains(t))
                .cloned()
                .collect()
        };
        let (c1, c2) = c.split_at(c.len() / 2);
        let (c1, c2) = (c1.to_vec(), c2.to_vec());
        if self.holds("bisect", &merge(&r, &c1), target, want_fail)? {
            return self.dd(c1, r, target, want_fail, all);
        }
        if self.holds("bisect", &merge(&r, &c2), target, want_fail)? {
            return self.dd(c2, r, target, want_fail, all);
        }
        let d1 = self.dd(c1, merge(&r, &c2), target, want_fail, all)?;
        let d2 = self.dd(c2, merge(&r, &d1), target, want_fail, all)?;
        Ok(merge(&d1, &d2))
    }
}

/// A fake runner for unit tests of triage: runs nothing, and decides the target's outcome from
/// the order it is given.
#[cfg(test)]
pub(super) mod fake {
    use super::Rerunner;
    use crate::discover::list::TestCase;
    use crate::events::Outcome;
    use std::cell::RefCell;

    /// Fails a target when `fails` says so of the ids of the sequence up to it (the target
    /// last); never interrupted. Logs the ids of every sequence it is given.
    pub(in crate::triage) struct Fake {
        fails: FailsAfter,
        calls: RefCell<Vec<Vec<String>>>,
    }

    /// Whether the target (last) fails after the ids before it.
    type FailsAfter = Box<dyn Fn(&[String]) -> bool>;

    impl Fake {
        /// A fake whose target fails exactly when `fails` holds of the sequence's ids.
        pub(in crate::triage) fn new(fails: impl Fn(&[String]) -> bool + 'static) -> Fake {
            Fake {
                fails: Box::new(fails),
                calls: RefCell::new(Vec::new()),
            }
        }

        /// The ids of every sequence run so far, in order.
        pub(in crate::triage) fn calls(&self) -> Vec<Vec<String>> {
            self.calls.borrow().clone()
        }
    }

    impl Rerunner for Fake {
        fn cancelled(&self) -> bool {
            false
        }

        fn rerun(
            &self,
            _shard: u32,
            seq: &[TestCase],
            targets: &[TestCase],
        ) -> (Vec<Option<Outcome>>, Vec<String>) {
            let ids = super::ids(seq);
            self.calls.borrow_mut().push(ids.clone());
            let outcomes = targets
                .iter()
                .map(|t| {
                    let at = ids.iter().position(|id| *id == t.id())?;
                    Some(if (self.fails)(&ids[..=at]) {
                        Outcome::Failed
                    } else {
                        Outcome::Passed
                    })
                })
                .collect();
            (outcomes, ids)
        }
    }

    /// Tests `b t0` … `b t{n-1}`.
    pub(in crate::triage) fn tests(n: usize) -> Vec<TestCase> {
        (0..n)
            .map(|i| TestCase::new("b", &format!("t{i}")))
            .collect()
    }

    /// Whether `id` ran before the last test of `seq`.
    pub(in crate::triage) fn before_last(seq: &[String], id: &str) -> bool {
        seq[..seq.len() - 1].iter().any(|s| s == id)
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{Fake, before_last, tests};
    use super::*;

    fn opts(max_reruns: usize) -> TriageOptions {
        TriageOptions {
            budget: None,
            max_reruns,
            confirmations: 0,
            find_cleaners: false,
        }
    }

    fn victim() -> TestCase {
        TestCase::new("b", "victim")
    }

    #[test]
    fn a_single_polluter_among_eight_takes_three_halvings_and_one_confirmation() {
        let fake = Fake::new(|seq| before_last(seq, "b t5"));
        let opts = opts(100);
        let mut s = Session::new(&fake, None, &opts, Instant::now());
        let found = s.minimize(&tests(8), &victim(), true).ok().flatten();
        assert_eq!(ids(&found.unwrap()), ["b t5"]);
        let purposes: Vec<&str> = s.evidence.iter().map(|r| r.purpose).collect();
        assert_eq!(purposes, ["bisect", "bisect", "bisect", "confirm"]);
    }

    #[test]
    fn polluters_that_act_only_together_are_found_by_delta_debugging_in_run_order() {
        let fake = Fake::new(|seq| before_last(seq, "b t1") && before_last(seq, "b t6"));
        let opts = opts(100);
        let mut s = Session::new(&fake, None, &opts, Instant::now());
        let found = s.minimize(&tests(8), &victim(), true).ok().flatten();
        assert_eq!(ids(&found.unwrap()), ["b t1", "b t6"]);
    }

    #[test]
    fn a_state_setter_is_searched_with_the_predicate_reversed() {
        let fake = Fake::new(|seq| !before_last(seq, "b t2"));
        let opts = opts(100);
        let mut s = Session::new(&fake, None, &opts, Instant::now());
        let found = s.minimize(&tests(5), &victim(), false).ok().flatten();
        assert_eq!(ids(&found.unwrap()), ["b t2"]);
    }

    #[test]
    fn pruning_drops_every_member_not_needed() {
        let fake = Fake::new(|seq| before_last(seq, "b t3"));
        let opts = opts(100);
        let mut s = Session::new(&fake, None, &opts, Instant::now());
        let pruned = s.prune(tests(4), &victim(), true).ok().unwrap();
        assert_eq!(ids(&pruned), ["b t3"]);
    }

    #[test]
    fn no_candidates_means_nothing_found_and_no_rerun() {
        let fake = Fake::new(|_| true);
        let opts = opts(100);
        let mut s = Session::new(&fake, None, &opts, Instant::now());
        assert!(matches!(s.minimize(&[], &victim(), true), Ok(None)));
        assert!(s.evidence.is_empty());
    }

    #[test]
    fn the_rerun_cap_stops_the_search_after_exactly_that_many_reruns() {
        let fake = Fake::new(|seq| before_last(seq, "b t5"));
        let opts = opts(2);
        let mut s = Session::new(&fake, None, &opts, Instant::now());
        assert!(s.minimize(&tests(8), &victim(), true).is_err());
        assert_eq!(s.evidence.len(), 2);
    }

    #[test]
    fn without_a_replay_runner_there_is_no_replay() {
        let fake = Fake::new(|_| true);
        let opts = opts(100);
        let mut s = Session::new(&fake, None, &opts, Instant::now());
        assert!(matches!(s.replay_shard(1, &tests(3), &victim()), Ok(None)));
        assert!(s.evidence.is_empty());
    }

    #[test]
    fn evidence_records_purpose_order_and_outcome() {
        let fake = Fake::new(|seq| before_last(seq, "b t0"));
        let opts = opts(100);
        let mut s = Session::new(&fake, None, &opts, Instant::now());
        assert!(matches!(
            s.holds("prefix", &tests(2), &victim(), true),
            Ok(true)
        ));
        let r = &s.evidence[0];
        assert_eq!(r.purpose, "prefix");
        assert_eq!(r.order, ["b t0", "b t1", "b victim"]);
        assert_eq!(r.outcome, Outcome::Failed);
    }
}
