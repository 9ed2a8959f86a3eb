//! Classification of one failing test from its reruns: OD victim, brittle, NOD flaky or plain
//! failure (the categories of iDFlakies, Lam et al., ICST 2019), and for an OD victim its
//! cleaners (iFixFlakies, Shi et al., FSE 2019). The file is longer than 600 lines because almost
//! half of it is the unit tests of the decision (each path driven through the fake runner); the
//! code itself is about 500 lines, with its doc comments. Splitting the fails-alone path (the state-setter search)
//! into a file of its own first needs `Candidates`, `Context` and the confirmations moved below
//! this file, to keep the import graph acyclic.
//!
//! The decision, in the order the reruns are made:
//! - fails alone: **brittle** if one of its state-setter candidates (the reference order; then
//!   the tests that ran before it in an order it passed in, if known; then every other test of
//!   the run, in the run's order across shards and binaries, which `run` tries for all such tests
//!   of a run in one sequence: [`begin`], then [`after_others`]; last, its binary's tests in one
//!   process with it, for state that lives inside the process: [`in_process`]) makes it pass
//!   and a state-setter is found among them and confirmed, **NOD flaky** if the confirmation
//!   does not hold, else a plain **failure**;
//! - passes alone: **OD victim** if the order it failed in (its shard's prefix, then the tests
//!   of other shards that finished before it) fails it again and a polluter is found and
//!   confirmed, **NOD flaky** otherwise.
//!
//! Each confirmation reruns culprits-then-test (same result as the search) and the test alone
//! (the opposite result); `--triage-confirmations` sets how many, to keep NOD tests from passing
//! as order-dependent. The search itself is `search::Session::minimize`.

use super::search::Rerunner;
use super::search::{OutOfBudget, Session, ids, then};
use super::{Finding, FindingKind, RunView, finding};
use crate::discover::list::TestCase;
use crate::runner::executor::Isolation;
use crate::runner::options::SandboxScope;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// The orders a failing test is rerun in, taken from the run it failed in.
pub(super) struct Candidates {
    /// The failing test.
    pub(super) target: TestCase,
    /// Its shard (1-based).
    pub(super) shard: u32,
    /// Its shard's tests in plan order (shared isolation replays them to reproduce the order).
    pub(super) shard_tests: Vec<TestCase>,
    /// The tests planned before it in its shard: polluter candidates.
    pub(super) prefix: Vec<TestCase>,
    /// Tests of other shards that finished before it started, in finishing order: polluter
    /// candidates through state outside the per-shard sandbox.
    pub(super) cross: Vec<TestCase>,
    /// Its binary's tests that sort before it (the order `cargo test` uses): the first
    /// state-setter candidates.
    pub(super) reference: Vec<TestCase>,
    /// The tests that ran before it in an order it passed in (empty when no such evidence is
    /// known): state-setter candidates tried next.
    pub(super) passed_before: Vec<TestCase>,
    /// Every other test of the run, in the run's order (by start time, across shards and
    /// binaries): the last state-setter candidates, for a state-setter in another binary or
    /// one that sorts after it. `run` tries them in the run's batch instead (the tests that did
    /// not fail, then the failing ones that need it); a test whose `others` is empty or equal to
    /// a set already tried does not need it.
    pub(super) others: Vec<TestCase>,
}

/// Where a brittle test's state-setters were found: the candidate sets, in the order tried.
#[derive(Clone, Copy, PartialEq, Debug)]
enum SetterSource {
    /// Its binary's tests that sort before it.
    Reference,
    /// The tests that ran before it when it passed.
    PassedBefore,
    /// Every other test of the run.
    Others,
    /// Process isolation: its binary's tests that sort before it, run in one process with it.
    InProcessReference,
    /// Shared isolation: its binary's other tests of the run, run in one process with it.
    InProcessBinary,
}

/// What classification needs besides the reruns: how to write repro commands, and where to look
/// for cleaners.
pub(super) struct Context<'v, 'a> {
    /// The run (its plan and listed tests are the cleaner candidates).
    pub(super) view: &'v RunView<'a>,
    /// Renders the repro command that runs exactly the given order of ids.
    pub(super) order_command: &'v dyn Fn(&[String]) -> String,
    /// The repro of a NOD finding: the order the test failed in.
    pub(super) nod_repro: String,
}

/// How far the classification of one test got on its own reruns.
pub(super) enum Begun {
    /// Classified.
    Done(Finding),
    /// It fails alone and after every state-setter candidate set tried so far: its last
    /// candidates are all of the run's other tests, which `run` tries for all such tests of a
    /// run in one sequence (then [`after_others`] finishes it).
    NeedsOthers,
}

/// Classifies `c.target` by rerunning it (see the module doc for the decision), trying its last
/// state-setter candidates (`c.others`) in a rerun of its own. `run` makes that rerun once for
/// all of a run's tests that need it instead ([`begin`], then [`after_others`]).
#[cfg(test)]
pub(super) fn classify(
    s: &mut Session<'_>,
    c: &Candidates,
    cx: &Context<'_, '_>,
) -> Result<Finding, OutOfBudget> {
    match begin(s, c, cx)? {
        Begun::Done(f) => Ok(f),
        Begun::NeedsOthers => {
            let outcome = s.run("reference", &then(&c.others, &c.target))?;
            after_others(s, &c.target, &c.others, outcome, cx)
        }
    }
}

/// Classifies `c.target` as far as its own reruns go: everything except trying all of the run's
/// other tests before a test that fails alone ([`Begun::NeedsOthers`]).
pub(super) fn begin(
    s: &mut Session<'_>,
    c: &Candidates,
    cx: &Context<'_, '_>,
) -> Result<Begun, OutOfBudget> {
    if s.run("alone", std::slice::from_ref(&c.target))?
        .is_failure()
    {
        fails_alone(s, c, cx)
    } else {
        passes_alone(s, c, cx).map(Begun::Done)
    }
}

/// A test that fails alone: brittle if one of its state-setter candidate sets (see
/// [`Candidates`]; a set equal to one already tried is skipped) makes it pass and a state-setter
/// is found among them and confirmed; else a failure. Each candidate set costs one rerun
/// (purpose `reference`) when it does not make the test pass. The last set, every other test of
/// the run, is left to the caller ([`Begun::NeedsOthers`]) unless it is empty or already tried.
fn fails_alone(
    s: &mut Session<'_>,
    c: &Candidates,
    cx: &Context<'_, '_>,
) -> Result<Begun, OutOfBudget> {
    let target = &c.target;
    let sets = [
        (SetterSource::Reference, &c.reference),
        (SetterSource::PassedBefore, &c.passed_before),
    ];
    let mut tried: Vec<&[TestCase]> = Vec::new();
    for (source, cands) in sets {
        if cands.is_empty() || tried.contains(&cands.as_slice()) {
            continue;
        }
        tried.push(cands);
        if s.holds("reference", cands, target, true)? {
            continue;
        }
        if let Some(f) = brittle(s, cands, target, source, cx)? {
            return Ok(Begun::Done(f));
        }
    }
    if c.others.is_empty() || tried.contains(&c.others.as_slice()) {
        return Ok(Begun::Done(failure(target, cx)));
    }
    Ok(Begun::NeedsOthers)
}

/// Finishes a test that [`begin`] left at [`Begun::NeedsOthers`], from the rerun of the run's
/// other tests: `outcome` is the target's outcome after `before` (the tests that ran before it
/// there). Brittle if it passed and a state-setter is found among `before` and confirmed; else a
/// plain failure.
pub(super) fn after_others(
    s: &mut Session<'_>,
    target: &TestCase,
    before: &[TestCase],
    outcome: crate::events::Outcome,
    cx: &Context<'_, '_>,
) -> Result<Finding, OutOfBudget> {
    if !outcome.is_failure()
        && let Some(f) = brittle(s, before, target, SetterSource::Others, cx)?
    {
        return Ok(f);
    }
    Ok(failure(target, cx))
}

/// The last step for a test that is a plain failure so far (it failed alone and after every
/// candidate set, the run's batch included): its binary's tests run before it **in one
/// process** with it (`inproc`: a shared-isolation runner that keeps the target last in its
/// process), so that a state-setter that acts only inside the process (fills a static, sets an
/// env var) can make it pass. In process isolation the candidates are its binary's tests that
/// sort before it (the reference order, as `cargo test` runs them), which process isolation can
/// never satisfy; in shared isolation, where the reference order already ran in one process,
/// its binary's other tests of the run (a state-setter that sorts after it: the batch ran with
/// one process per test). One rerun when it fails there too (`None`: it stays a failure); when
/// it passes, the state-setters are minimised and confirmed in one process as well. A brittle
/// finding made so in process isolation is marked `in_process_state`; in shared isolation the
/// process check marks it.
pub(super) fn in_process<'r>(
    s: &mut Session<'r>,
    inproc: &'r dyn Rerunner,
    c: &Candidates,
    isolation: Isolation,
    cx: &Context<'_, '_>,
) -> Result<Option<Finding>, OutOfBudget> {
    let (cands, source): (Vec<TestCase>, _) = match isolation {
        Isolation::Process => (c.reference.clone(), SetterSource::InProcessReference),
        Isolation::Shared => (
            c.others
                .iter()
                .filter(|t| t.binary_id == c.target.binary_id)
                .cloned()
                .collect(),
            SetterSource::InProcessBinary,
        ),
    };
    if cands.is_empty() || (isolation == Isolation::Shared && cands == c.reference) {
        return Ok(None);
    }
    let main = s.swap_runner(inproc);
    let found = in_one_process(s, &cands, &c.target, source, cx);
    s.swap_runner(main);
    let mut found = found?;
    if let Some(f) = found.as_mut()
        && f.kind == FindingKind::Brittle
        && isolation == Isolation::Process
    {
        f.in_process_state = true;
    }
    Ok(found)
}

/// [`in_process`] with the session's runner already the one-process runner.
fn in_one_process(
    s: &mut Session<'_>,
    cands: &[TestCase],
    target: &TestCase,
    source: SetterSource,
    cx: &Context<'_, '_>,
) -> Result<Option<Finding>, OutOfBudget> {
    if s.holds("reference", cands, target, true)? {
        return Ok(None);
    }
    brittle(s, cands, target, source, cx)
}

/// The brittle finding of `target`, which passed after `cands`: its state-setters are found
/// among them and confirmed. NOD flaky when the confirmation does not hold; `None` when no
/// state-setter is found (the search did not hold on confirmation).
fn brittle(
    s: &mut Session<'_>,
    cands: &[TestCase],
    target: &TestCase,
    source: SetterSource,
    cx: &Context<'_, '_>,
) -> Result<Option<Finding>, OutOfBudget> {
    let Some(setters) = s.minimize(cands, target, false)? else {
        return Ok(None);
    };
    let search = s.evidence.len();
    // Guard against a NOD test that failed alone by chance.
    if !confirmed(s, &setters, target, false)? {
        return Ok(Some(nod(
            target,
            &cx.nod_repro,
            "its failure alone did not reproduce consistently",
        )));
    }
    let mut f = finding(
        FindingKind::Brittle,
        target,
        (cx.order_command)(&[target.id()]),
        brittle_note(&setters, target, source, cx.view),
    );
    f.state_setters = ids(&setters);
    f.search_reruns = search;
    Ok(Some(f))
}

/// The finding of a test that fails alone and after every state-setter candidate set.
fn failure(target: &TestCase, cx: &Context<'_, '_>) -> Finding {
    finding(
        FindingKind::Failure,
        target,
        (cx.order_command)(&[target.id()]),
        "fails when run alone".into(),
    )
}

/// A test that passes alone: looks for polluters, first among its own shard's predecessors,
/// then among tests of other shards that finished before it started (state outside the
/// sandbox). NOD flaky when neither set fails it again, or its polluters do not confirm.
fn passes_alone(
    s: &mut Session<'_>,
    c: &Candidates,
    cx: &Context<'_, '_>,
) -> Result<Finding, OutOfBudget> {
    let target = &c.target;
    for (purpose, cands) in [("prefix", &c.prefix), ("cross-shard", &c.cross)] {
        if cands.is_empty() || !fails_again(s, c, purpose, cands)? {
            continue;
        }
        let Some(polluters) = s.minimize(cands, target, true)? else {
            continue;
        };
        let search = s.evidence.len();
        // Guard against a NOD test that happened to fail in the right places.
        if !confirmed(s, &polluters, target, true)? {
            return Ok(nod(
                target,
                &cx.nod_repro,
                "its failure did not reproduce consistently",
            ));
        }
        let mut f = finding(
            FindingKind::OdVictim,
            target,
            (cx.order_command)(&ids(&then(&polluters, target))),
            od_note(&polluters, purpose == "cross-shard", cx.view),
        );
        f.polluters = ids(&polluters);
        f.search_reruns = search;
        if s.opts.find_cleaners {
            f.cleaners = find_cleaners(s, &polluters, target, cx.view);
        }
        return Ok(f);
    }
    Ok(nod(
        target,
        &cx.nod_repro,
        "passes alone and after the tests that ran before it",
    ))
}

/// Whether the order the test failed in (`cands` then the test) fails it again. In shared
/// isolation only replaying the whole shard reproduces that order (libtest reshuffles any other
/// set of tests), so the prefix is answered by the replay. The replay is made before `purpose`
/// is looked at: in shared isolation the cross-shard pass replays the shard too, and then
/// ignores the replay's outcome.
fn fails_again(
    s: &mut Session<'_>,
    c: &Candidates,
    purpose: &'static str,
    cands: &[TestCase],
) -> Result<bool, OutOfBudget> {
    Ok(
        match (purpose, s.replay_shard(c.shard, &c.shard_tests, &c.target)?) {
            ("prefix", Some(o)) => o.is_failure(),
            _ => s.holds(purpose, cands, &c.target, true)?,
        },
    )
}

/// Reruns the `--triage-confirmations` of a search result: each time, `culprits` then `target`
/// must again give what the search found (`want_fail`: the target fails) and `target` alone the
/// opposite. `false` at the first that does not.
fn confirmed(
    s: &mut Session<'_>,
    culprits: &[TestCase],
    target: &TestCase,
    want_fail: bool,
) -> Result<bool, OutOfBudget> {
    for _ in 0..s.opts.confirmations {
        if !s.holds("confirm", culprits, target, want_fail)?
            || s.run("confirm-alone", std::slice::from_ref(target))?
                .is_failure()
                == want_fail
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The note of a brittle finding, naming its state-setters, where they were found when not in
/// the reference order, those from another test binary, and those outside the user's selection
/// (listed but not in the run's plan: they must be run too to reproduce it).
fn brittle_note(
    setters: &[TestCase],
    target: &TestCase,
    source: SetterSource,
    view: &RunView<'_>,
) -> String {
    let mut note = format!(
        "fails alone, passes after {} (its state-setter{})",
        ids(setters).join(", "),
        if setters.len() > 1 { "s" } else { "" }
    );
    match source {
        SetterSource::Reference => {}
        SetterSource::PassedBefore => {
            note.push_str("; found among the tests that ran before it when it passed")
        }
        SetterSource::Others => note.push_str(
            "; found among all the run's tests, not in the reference order (its binary's tests that sort before it)",
        ),
        SetterSource::InProcessReference => {
            let (setter, them) = if setters.len() > 1 {
                ("state-setters", "them")
            } else {
                ("state-setter", "it")
            };
            let _ = write!(
                note,
                "; in-process state: the {setter} must run in the test's process, before it (as \
                 under `cargo test`, which runs a binary's tests in one process, by name); \
                 process isolation gives every test a process of its own, so no order satisfies \
                 it there (with `--isolation shared`, an `--order` of {them} followed by the test \
                 passes)"
            );
        }
        SetterSource::InProcessBinary => note.push_str(
            "; found among its binary's other tests of the run in its own process, not in the reference order (its binary's tests that sort before it)",
        ),
    }
    let foreign: Vec<String> = setters
        .iter()
        .filter(|t| t.binary_id != target.binary_id)
        .map(TestCase::id)
        .collect();
    if !foreign.is_empty() {
        let _ = write!(
            note,
            "; from another test binary: {} (state outside the process, e.g. in TMPDIR)",
            foreign.join(", ")
        );
    }
    note.push_str(&outside_selection(setters, view));
    note
}

/// `; not in this run (another partition's, or left out by the filters): …` naming the culprits that are listed but not
/// in the run's plan (filtered out: they must be run too to reproduce the finding), or nothing.
fn outside_selection(culprits: &[TestCase], view: &RunView<'_>) -> String {
    let planned: HashSet<&str> = view.plan.iter().flatten().map(String::as_str).collect();
    let outside: Vec<String> = ids(culprits)
        .into_iter()
        .filter(|id| !planned.contains(id.as_str()))
        .collect();
    if outside.is_empty() {
        return String::new();
    }
    format!(
        "; not in this run (another partition's, or left out by the filters): {}",
        outside.join(", ")
    )
}

/// The note of an OD finding, naming its polluters, whether they came from another shard (and
/// what they then acted through, which depends on the run's `--sandbox`), and those outside the
/// selection.
fn od_note(polluters: &[TestCase], cross_shard: bool, view: &RunView<'_>) -> String {
    let from = match (cross_shard, view.sandbox) {
        (false, _) => "",
        (true, SandboxScope::Run) => {
            " (from another shard: state the shards share, in the run's TMPDIR (--sandbox run) or outside it)"
        }
        (true, SandboxScope::Shard) => {
            " (from another shard: state outside the per-shard temp dir)"
        }
    };
    format!(
        "passes alone, fails after {}{from}{}",
        ids(polluters).join(", "),
        outside_selection(polluters, view)
    )
}

/// A NOD-flaky finding: `why` says which rerun did not reproduce the failure.
fn nod(target: &TestCase, repro: &str, why: &str) -> Finding {
    finding(
        FindingKind::NodFlaky,
        target,
        repro.to_string(),
        format!("{why}: the same order gives different outcomes"),
    )
}

/// The tests tried as cleaners of `target`: every other test of the run that is not a
/// polluter, in plan order, then the other listed (not ignored) tests.
fn cleaner_candidates<'v>(
    polluters: &[TestCase],
    target: &TestCase,
    view: &'v RunView<'_>,
) -> Vec<&'v TestCase> {
    let by_id: HashMap<String, &TestCase> = view.all_tests.iter().map(|t| (t.id(), t)).collect();
    let planned: Vec<&TestCase> = view
        .plan
        .iter()
        .flatten()
        .filter_map(|id| by_id.get(id).copied())
        .collect();
    let rest = view
        .all_tests
        .iter()
        .filter(|t| !t.ignored && !planned.contains(t));
    planned
        .iter()
        .copied()
        .chain(rest)
        .filter(|c| *c != target && !polluters.contains(c))
        .collect()
}

/// The cleaners of an OD victim: candidates (see [`cleaner_candidates`]) that, placed between
/// the polluters and the victim, make the victim pass. One rerun each; stops quietly when the
/// budget runs out.
fn find_cleaners(
    s: &mut Session<'_>,
    polluters: &[TestCase],
    target: &TestCase,
    view: &RunView<'_>,
) -> Vec<String> {
    let mut cleaners = Vec::new();
    for c in cleaner_candidates(polluters, target, view) {
        let mut seq = polluters.to_vec();
        seq.push(c.clone());
        seq.push(target.clone());
        match s.run("cleaner", &seq) {
            Ok(o) if !o.is_failure() => cleaners.push(c.id()),
            Ok(_) => {}
            Err(OutOfBudget) => break,
        }
    }
    cleaners
}

#[cfg(test)]
mod tests {
    use super::super::TriageOptions;
    use super::super::search::fake::{Fake, before_last, tests};
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Instant;

    fn opts(confirmations: u32, find_cleaners: bool) -> TriageOptions {
        TriageOptions {
            budget: None,
            max_reruns: 100,
            confirmations,
            find_cleaners,
        }
    }

    fn target() -> TestCase {
        TestCase::new("b", "z_victim")
    }

    /// Candidates with `prefix` (and the same shard tests), `cross` and `reference`.
    fn cands(prefix: Vec<TestCase>, cross: Vec<TestCase>, reference: Vec<TestCase>) -> Candidates {
        Candidates {
            target: target(),
            shard: 1,
            shard_tests: then(&prefix, &target()),
            prefix,
            cross,
            reference,
            passed_before: vec![],
            others: vec![],
        }
    }

    /// Candidates for a test that fails alone: `reference`, then every other test of the run
    /// (`others`, which is also the run's plan, before the target).
    fn fails_alone_cands(reference: Vec<TestCase>, others: Vec<TestCase>) -> Candidates {
        let mut c = cands(others.clone(), vec![], reference);
        c.others = others;
        c
    }

    /// The orders of the reruns made to find state-setter candidates (purpose `reference`).
    fn reference_orders(fake: &Fake, opts: &TriageOptions, c: &Candidates) -> Vec<Vec<String>> {
        let plan = vec![ids(&c.shard_tests)];
        let view = RunView {
            plan: &plan,
            results: &[],
            all_tests: &[],
            sandbox: SandboxScope::Run,
        };
        let cx = Context {
            view: &view,
            order_command: &order_command,
            nod_repro: "nod-repro".into(),
        };
        let mut s = Session::new(fake, None, opts, Instant::now());
        let _ = classify(&mut s, c, &cx);
        s.evidence
            .into_iter()
            .filter(|r| r.purpose == "reference")
            .map(|r| r.order)
            .collect()
    }

    fn order_command(ids: &[String]) -> String {
        format!("order {}", ids.join(","))
    }

    /// Classifies with `fake` and no replay runner (process isolation).
    fn run(fake: &Fake, opts: &TriageOptions, c: &Candidates, all: &[TestCase]) -> Finding {
        run_in(SandboxScope::Run, fake, opts, c, all)
    }

    /// [`run`] for a run whose shards had the sandbox scope `sandbox`.
    fn run_in(
        sandbox: SandboxScope,
        fake: &Fake,
        opts: &TriageOptions,
        c: &Candidates,
        all: &[TestCase],
    ) -> Finding {
        // Its shard, and the other shard's tests (cross-shard candidates) as a second one.
        let plan = vec![ids(&c.shard_tests), ids(&c.cross)];
        let view = RunView {
            plan: &plan,
            results: &[],
            all_tests: all,
            sandbox,
        };
        let cx = Context {
            view: &view,
            order_command: &order_command,
            nod_repro: "nod-repro".into(),
        };
        let mut s = Session::new(fake, None, opts, Instant::now());
        let mut f = classify(&mut s, c, &cx).ok().expect("within budget");
        f.reruns = s.evidence.len();
        f
    }

    #[test]
    fn failing_alone_with_nothing_before_it_is_a_failure() {
        let fake = Fake::new(|_| true);
        let f = run(&fake, &opts(0, false), &cands(vec![], vec![], vec![]), &[]);
        assert_eq!(f.kind, FindingKind::Failure);
        assert_eq!(f.repro, "order b z_victim");
        assert_eq!(f.note, "fails when run alone");
    }

    #[test]
    fn failing_alone_and_in_the_reference_order_is_a_failure() {
        let fake = Fake::new(|_| true);
        let f = run(
            &fake,
            &opts(0, false),
            &cands(vec![], vec![], tests(3)),
            &[],
        );
        assert_eq!(f.kind, FindingKind::Failure);
        assert_eq!(f.reruns, 2);
    }

    #[test]
    fn failing_alone_and_passing_after_a_state_setter_is_brittle() {
        let fake = Fake::new(|seq| !before_last(seq, "b t1"));
        let f = run(
            &fake,
            &opts(1, false),
            &cands(tests(4), vec![], tests(4)),
            &[],
        );
        assert_eq!(f.kind, FindingKind::Brittle);
        assert_eq!(f.state_setters, ["b t1"]);
        assert_eq!(f.repro, "order b z_victim");
        assert_eq!(f.note, "fails alone, passes after b t1 (its state-setter)");
        // alone, reference, 2 bisections, confirm; then confirm + confirm-alone.
        assert_eq!((f.search_reruns, f.reruns), (5, 7));
    }

    #[test]
    fn a_state_setter_in_another_binary_is_found_among_all_the_runs_tests() {
        // The reference order (its own binary's tests before it) does not make it pass; a test
        // of binary `a`, which ran before it in the run, does.
        let setter = TestCase::new("a", "creates_file");
        let others = vec![
            TestCase::new("b", "t0"),
            setter.clone(),
            TestCase::new("c", "x"),
            TestCase::new("b", "t1"),
        ];
        let fake = Fake::new(|seq| !before_last(seq, "a creates_file"));
        let c = fails_alone_cands(tests(2), others.clone());
        let f = run(&fake, &opts(1, false), &c, &[]);
        assert_eq!(f.kind, FindingKind::Brittle, "{}", f.note);
        assert_eq!(f.state_setters, ["a creates_file"]);
        assert_eq!(f.repro, "order b z_victim");
        assert_eq!(
            f.note,
            "fails alone, passes after a creates_file (its state-setter); found among all the \
             run's tests, not in the reference order (its binary's tests that sort before it); \
             from another test binary: a creates_file (state outside the process, e.g. in TMPDIR)"
        );
        // alone, reference, all others, 2 bisections, confirm; then confirm + confirm-alone.
        assert_eq!((f.search_reruns, f.reruns), (6, 8));
        assert_eq!(
            reference_orders(&fake, &opts(1, false), &c),
            [
                vec!["b t0", "b t1", "b z_victim"],
                vec!["b t0", "a creates_file", "c x", "b t1", "b z_victim"],
            ]
        );
    }

    #[test]
    fn a_state_setter_that_sorts_after_it_in_its_own_binary_is_found() {
        let others = vec![TestCase::new("b", "t0"), TestCase::new("b", "zz_setter")];
        let fake = Fake::new(|seq| !before_last(seq, "b zz_setter"));
        let f = run(
            &fake,
            &opts(2, false),
            &fails_alone_cands(tests(1), others),
            &[],
        );
        assert_eq!(f.kind, FindingKind::Brittle, "{}", f.note);
        assert_eq!(f.state_setters, ["b zz_setter"]);
        assert!(
            f.note.contains("not in the reference order") && !f.note.contains("another"),
            "{}",
            f.note
        );
    }

    #[test]
    fn with_no_state_setter_anywhere_it_is_a_plain_failure_after_one_rerun_per_candidate_set() {
        let fake = Fake::new(|_| true);
        let others = [tests(3), vec![TestCase::new("a", "other")]].concat();
        let f = run(
            &fake,
            &opts(3, false),
            &fails_alone_cands(tests(3), others),
            &[],
        );
        assert_eq!(f.kind, FindingKind::Failure);
        assert_eq!(f.note, "fails when run alone");
        // alone, reference, all others.
        assert_eq!(f.reruns, 3);
    }

    #[test]
    fn a_candidate_set_equal_to_one_already_tried_is_not_rerun() {
        // One binary, every test before the target: all the others are the reference order.
        let fake = Fake::new(|_| true);
        let f = run(
            &fake,
            &opts(0, false),
            &fails_alone_cands(tests(3), tests(3)),
            &[],
        );
        assert_eq!((f.kind, f.reruns), (FindingKind::Failure, 2));
    }

    #[test]
    fn the_order_it_passed_in_is_tried_before_all_the_runs_tests() {
        let setter = TestCase::new("a", "setter");
        let others = [tests(6), vec![setter.clone()]].concat();
        let mut c = fails_alone_cands(vec![], others);
        c.passed_before = vec![TestCase::new("b", "t2"), setter];
        let fake = Fake::new(|seq| !before_last(seq, "a setter"));
        assert_eq!(
            reference_orders(&fake, &opts(0, false), &c),
            [vec!["b t2", "a setter", "b z_victim"]]
        );
        let f = run(&fake, &opts(0, false), &c, &[]);
        assert_eq!(f.state_setters, ["a setter"]);
        assert!(
            f.note
                .contains("found among the tests that ran before it when it passed"),
            "{}",
            f.note
        );
    }

    #[test]
    fn a_state_setter_outside_the_selection_says_so() {
        // The reference order holds a listed test the run did not select.
        let unselected = TestCase::new("b", "a_filtered_out");
        let fake = Fake::new(|seq| !before_last(seq, "b a_filtered_out"));
        let c = cands(vec![], vec![], vec![unselected]);
        let f = run(&fake, &opts(0, false), &c, &[]);
        assert_eq!(f.kind, FindingKind::Brittle);
        assert!(
            f.note
                .ends_with("; not in this run (another partition's, or left out by the filters): b a_filtered_out"),
            "{}",
            f.note
        );
    }

    #[test]
    fn a_state_setter_that_does_not_confirm_makes_it_nod_flaky() {
        // Fails alone only the first time it runs alone.
        let alone_runs = Rc::new(Cell::new(0));
        let n = alone_runs.clone();
        let fake = Fake::new(move |seq| {
            if seq.len() == 1 {
                n.set(n.get() + 1);
                return n.get() == 1;
            }
            !before_last(seq, "b t1")
        });
        let f = run(
            &fake,
            &opts(1, false),
            &cands(vec![], vec![], tests(4)),
            &[],
        );
        assert_eq!(f.kind, FindingKind::NodFlaky);
        assert_eq!(f.repro, "nod-repro");
        assert!(
            f.note
                .starts_with("its failure alone did not reproduce consistently")
        );
    }

    #[test]
    fn passing_alone_and_failing_after_a_predecessor_is_an_od_victim() {
        let fake = Fake::new(|seq| before_last(seq, "b t2"));
        let f = run(
            &fake,
            &opts(1, false),
            &cands(tests(4), vec![], vec![]),
            &[],
        );
        assert_eq!(f.kind, FindingKind::OdVictim);
        assert_eq!(f.polluters, ["b t2"]);
        assert_eq!(f.repro, "order b t2,b z_victim");
        assert_eq!(f.note, "passes alone, fails after b t2");
        assert!(f.cleaners.is_empty());
    }

    #[test]
    fn a_polluter_from_another_shard_says_so() {
        let cross = vec![TestCase::new("c", "other")];
        let fake = Fake::new(|seq| before_last(seq, "c other"));
        let c = cands(tests(2), cross, vec![]);
        let f = run_in(SandboxScope::Shard, &fake, &opts(0, false), &c, &[]);
        assert_eq!(f.kind, FindingKind::OdVictim);
        assert_eq!(f.polluters, ["c other"]);
        assert_eq!(
            f.note,
            "passes alone, fails after c other (from another shard: state outside the \
             per-shard temp dir)"
        );
        // `--sandbox run` (the default): the shards shared one TMPDIR, so the state may be in it.
        let f = run_in(SandboxScope::Run, &fake, &opts(0, false), &c, &[]);
        assert_eq!(f.polluters, ["c other"]);
        assert_eq!(
            f.note,
            "passes alone, fails after c other (from another shard: state the shards share, in \
             the run's TMPDIR (--sandbox run) or outside it)"
        );
    }

    #[test]
    fn passing_alone_and_after_its_predecessors_is_nod_flaky() {
        let fake = Fake::new(|_| false);
        let f = run(
            &fake,
            &opts(0, false),
            &cands(tests(3), tests(2), vec![]),
            &[],
        );
        assert_eq!(f.kind, FindingKind::NodFlaky);
        assert_eq!(
            f.note,
            "passes alone and after the tests that ran before it: the same order gives different outcomes"
        );
    }

    #[test]
    fn a_polluter_that_does_not_confirm_makes_it_nod_flaky() {
        // Fails after t0, and alone the second time it runs alone (in the confirmation).
        let runs = Rc::new(Cell::new(0));
        let n = runs.clone();
        let fake = Fake::new(move |seq| {
            if seq.len() == 1 {
                n.set(n.get() + 1);
                return n.get() == 2;
            }
            before_last(seq, "b t0")
        });
        let f = run(
            &fake,
            &opts(1, false),
            &cands(tests(2), vec![], vec![]),
            &[],
        );
        assert_eq!(f.kind, FindingKind::NodFlaky);
        assert!(
            f.note
                .starts_with("its failure did not reproduce consistently")
        );
    }

    #[test]
    fn a_cleaner_between_polluter_and_victim_is_found() {
        let all = [tests(3), vec![TestCase::new("b", "cleaner"), target()]].concat();
        let fake = Fake::new(|seq| before_last(seq, "b t1") && !before_last(seq, "b cleaner"));
        let f = run(
            &fake,
            &opts(0, true),
            &cands(tests(3), vec![], vec![]),
            &all,
        );
        assert_eq!(f.polluters, ["b t1"]);
        assert_eq!(f.cleaners, ["b cleaner"]);
    }

    #[test]
    fn cleaner_candidates_are_the_planned_tests_then_the_other_listed_ones() {
        let mut ignored = TestCase::new("b", "ignored");
        ignored.ignored = true;
        let all = vec![
            TestCase::new("b", "unplanned"),
            ignored,
            TestCase::new("b", "p"),
            TestCase::new("b", "x"),
            target(),
        ];
        let plan = vec![vec!["b x".to_string(), "b p".into(), "b z_victim".into()]];
        let view = RunView {
            plan: &plan,
            results: &[],
            all_tests: &all,
            sandbox: SandboxScope::Run,
        };
        let got = cleaner_candidates(&[TestCase::new("b", "p")], &target(), &view);
        let got: Vec<String> = got.into_iter().map(TestCase::id).collect();
        assert_eq!(got, ["b x", "b unplanned"]);
    }
}
