//! Order-dependence triage: reruns each failing test in chosen orders to tell *why* it failed,
//! and finds the tests responsible. Vocabulary and classification follow iDFlakies (Lam et al.,
//! ICST 2019) and iFixFlakies (Shi et al., FSE 2019):
//!
//! - **OD victim**: passes alone, fails after its **polluter(s)**; found by rerunning the tests
//!   that ran before it in its shard, then minimised by delta debugging (Zeller & Hildebrandt,
//!   TSE 2002) — a single polluter among n predecessors in at most ⌈log2 n⌉ + 3 reruns.
//! - **brittle**: fails alone, passes after its **state-setter(s)** in the reference order (the
//!   order `cargo test` uses: its binary's tests alphabetically).
//! - **NOD flaky**: the same order gives a different outcome (nothing reproduces the failure).
//! - **failure**: fails alone and in the reference order: an ordinary failing test.
//! - **cleaner**: a test that, run between the polluters and the victim, makes the victim pass.
//!
//! Every rerun is one sequence in a fresh sandbox (see `execute::SequenceRunner`), recorded as
//! evidence. Reruns are capped by a count and a time budget; what could not be finished is
//! reported as such.

use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::runner::executor::SequenceRunner;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Limits and switches of triage (validated; from `--triage-*` flags).
#[derive(Clone, Debug)]
pub(crate) struct TriageOptions {
    /// Wall-time budget for all of triage; `None` = unlimited.
    pub(crate) budget: Option<Duration>,
    /// Maximum reruns per failing test.
    pub(crate) max_reruns: usize,
    /// Extra confirmations of an OD finding (each: polluters+victim fails once more and the
    /// victim alone passes once more). They guard against reporting a NOD test as OD.
    pub(crate) confirmations: u32,
    /// Look for cleaners among the other tests of the run (one rerun per candidate, capped by
    /// `max_reruns`).
    pub(crate) find_cleaners: bool,
}

/// The class of a finding.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FindingKind {
    /// Passes alone, fails after its polluters.
    OdVictim,
    /// Fails alone, passes after its state-setters.
    Brittle,
    /// Fails or passes in the same order: not order-dependent.
    NodFlaky,
    /// Fails alone and in the reference order.
    Failure,
    /// Triage ran out of budget before it could classify the test.
    Unfinished,
}

impl FindingKind {
    /// The kind's name in the JSON documents and the baseline: `od-victim`, `brittle`,
    /// `nod-flaky`, `failure`, `unfinished`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FindingKind::OdVictim => "od-victim",
            FindingKind::Brittle => "brittle",
            FindingKind::NodFlaky => "nod-flaky",
            FindingKind::Failure => "failure",
            FindingKind::Unfinished => "unfinished",
        }
    }

    /// Human label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            FindingKind::OdVictim => "order-dependent victim",
            FindingKind::Brittle => "brittle (needs a state-setter)",
            FindingKind::NodFlaky => "non-deterministic (NOD) flaky",
            FindingKind::Failure => "failure (fails alone too)",
            FindingKind::Unfinished => "unfinished (triage budget exhausted)",
        }
    }
}

/// One rerun made as evidence.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub(crate) struct Rerun {
    /// Why it was run: `alone`, `prefix`, `cross-shard`, `replay`, `bisect`, `prune`, `confirm`,
    /// `confirm-alone`, `reference`, `cleaner`, `process-check`, `retry` (the list a report is
    /// read back against is `report::schema::RERUN_PURPOSES`, where `Rerun` is deserialised).
    pub(crate) purpose: &'static str,
    /// Test ids in the order they ran; the last is the test under triage.
    pub(crate) order: Vec<String>,
    /// The outcome of the test under triage.
    pub(crate) outcome: Outcome,
    /// Wall time of the whole sequence, milliseconds.
    pub(crate) duration_ms: f64,
}

/// What triage found out about one failing test. Written in the run record's `findings`, the
/// hunt report and the event stream; read back by `merge` and `baseline --update`, where `kind`
/// and `test` are required (an unknown kind is an error) and the other fields default to empty.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Finding {
    /// Classification.
    pub(crate) kind: FindingKind,
    /// The test (`BINARY_ID TEST_NAME`).
    pub(crate) test: String,
    /// Minimal set of tests that make it fail when run before it (OD victims), in run order.
    #[serde(default)]
    pub(crate) polluters: Vec<String>,
    /// Minimal set of tests it needs before it to pass (brittle tests).
    #[serde(default)]
    pub(crate) state_setters: Vec<String>,
    /// Tests that, run between the polluters and the victim, make it pass.
    #[serde(default)]
    pub(crate) cleaners: Vec<String>,
    /// Shell command that reproduces the failure (runs exactly the given order).
    #[serde(default)]
    pub(crate) repro: String,
    /// Every rerun made, in order.
    #[serde(default)]
    pub(crate) evidence: Vec<Rerun>,
    /// Reruns used in all.
    #[serde(default)]
    pub(crate) reruns: usize,
    /// Reruns used to find the polluters/state-setters (search + one confirmation), the part
    /// bounded by ⌈log2 n⌉ + 3 for a single polluter among n predecessors.
    #[serde(default)]
    pub(crate) search_reruns: usize,
    /// One-line explanation.
    #[serde(default)]
    pub(crate) note: String,
    /// The isolation mode the finding was made in.
    #[serde(default)]
    pub(crate) isolation: crate::runner::executor::Isolation,
    /// Found in shared isolation but not reproduced with one process per test: the state is
    /// inside the process (statics, env vars, the current directory, …).
    #[serde(default)]
    pub(crate) in_process_state: bool,
}

/// Triage state for one failing test.
struct Session<'r, 'a> {
    runner: &'r SequenceRunner<'a>,
    /// Shared isolation: a runner that reproduces the run's own processes exactly (same tests,
    /// same libtest seeds), to replay the order a test failed in.
    replay: Option<&'r SequenceRunner<'a>>,
    opts: &'r TriageOptions,
    started: Instant,
    evidence: Vec<Rerun>,
}

/// Budget exhausted or run interrupted.
struct OutOfBudget;

impl Session<'_, '_> {
    /// Runs `seq` (target last) and returns the target's outcome.
    fn run(&mut self, purpose: &'static str, seq: &[TestCase]) -> Result<Outcome, OutOfBudget> {
        let target = seq.last().ok_or(OutOfBudget)?.clone();
        self.run_with(self.runner, purpose, 0, seq, &target)
    }

    /// Shared isolation: reruns the target's whole shard exactly as the run did (same
    /// processes, same libtest seeds, hence the same order) and returns the target's outcome.
    /// `None` in process isolation, where a prefix rerun already is the same order.
    fn replay_shard(
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

    fn run_with(
        &mut self,
        runner: &SequenceRunner<'_>,
        purpose: &'static str,
        shard: u32,
        seq: &[TestCase],
        target: &TestCase,
    ) -> Result<Outcome, OutOfBudget> {
        if self.runner.cancelled()
            || self.evidence.len() >= self.opts.max_reruns
            || self
                .opts
                .budget
                .is_some_and(|b| self.started.elapsed() >= b)
        {
            return Err(OutOfBudget);
        }
        let t = Instant::now();
        let mut outcome: Option<Outcome> = None;
        // The order as it really ran (in shared isolation libtest decides it).
        let mut ran: Vec<(u32, String)> = Vec::new();
        runner.run_sequence(
            shard,
            seq,
            |_| {},
            |r: TestResult| {
                if r.test == *target && outcome.is_none() {
                    outcome = Some(r.outcome);
                }
                ran.push((r.position, r.test.id()));
            },
        );
        let outcome = outcome.ok_or(OutOfBudget)?;
        ran.sort();
        self.evidence.push(Rerun {
            purpose,
            order: ran.into_iter().map(|(_, id)| id).collect(),
            outcome,
            duration_ms: t.elapsed().as_secs_f64() * 1000.0,
        });
        Ok(outcome)
    }

    /// Whether `subset` (kept in original order) followed by `target` gives the wanted result.
    fn holds(
        &mut self,
        purpose: &'static str,
        subset: &[TestCase],
        target: &TestCase,
        want_fail: bool,
    ) -> Result<bool, OutOfBudget> {
        let mut seq = subset.to_vec();
        seq.push(target.clone());
        Ok(self.run(purpose, &seq)?.is_failure() == want_fail)
    }

    /// Minimal subset of `cands` (order kept) that, run before `target`, makes the predicate
    /// hold (`want_fail`: target fails). Precondition: it holds for all of `cands`.
    /// Optimistic binary search for a single culprit (one rerun per halving, then one
    /// confirmation), falling back to delta debugging with interference for conjunctions.
    fn minimize(
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

/// The sequence runners triage uses.
pub(crate) struct Runners<'r, 'a> {
    /// Runs reruns (in shared isolation with the target last in its process).
    pub(crate) main: &'r SequenceRunner<'a>,
    /// Shared isolation: replays a shard's processes exactly as the run had them.
    pub(crate) replay: Option<&'r SequenceRunner<'a>>,
    /// Shared isolation: one process per test, to tell in-process state apart.
    pub(crate) process_check: Option<&'r SequenceRunner<'a>>,
}

/// What triage needs to know about the run that failed.
pub(crate) struct RunView<'a> {
    /// Test ids per shard in plan order (index 0 = shard 1).
    pub(crate) plan: &'a [Vec<String>],
    /// Results of the run.
    pub(crate) results: &'a [TestResult],
    /// Every listed test (for the reference order and cleaner candidates).
    pub(crate) all_tests: &'a [TestCase],
}

fn ids(tests: &[TestCase]) -> Vec<String> {
    tests.iter().map(TestCase::id).collect()
}

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
    let (runner, replay, process_check) = (runners.main, runners.replay, runners.process_check);
    let started = Instant::now();
    let by_id: HashMap<String, &TestCase> = view.all_tests.iter().map(|t| (t.id(), t)).collect();
    let lookup = |id: &String| by_id.get(id).map(|t| (*t).clone());
    let mut failing: Vec<&TestResult> = view
        .results
        .iter()
        .filter(|r| r.outcome.is_failure() && r.shard != 0)
        .collect();
    failing.sort_by_key(|r| (r.shard, r.position));
    let mut findings = Vec::new();
    let unfinished_note = "triage budget exhausted (or interrupted) before the test was classified; raise --triage-budget / --triage-max-reruns";
    for (i, r) in failing.iter().enumerate() {
        // Out of time or interrupted: the rest are unfinished, at once (with thousands of
        // failures, building each one's rerun lists would take minutes).
        if runner.cancelled() || opts.budget.is_some_and(|b| started.elapsed() >= b) {
            let mut f = finding(
                FindingKind::Unfinished,
                &r.test,
                shard_command(r.shard),
                unfinished_note.into(),
            );
            f.isolation = runner.isolation();
            findings.push(f);
            continue;
        }
        // An error is not a verdict on the test (it could not start, its harness did not report
        // it): rerunning it says nothing about order, and it must never pass as flaky.
        if r.outcome == Outcome::Error {
            let mut f = finding(
                FindingKind::Failure,
                &r.test,
                shard_command(r.shard),
                format!(
                    "not triaged: the test did not run to a result ({})",
                    r.message.as_deref().unwrap_or("error")
                ),
            );
            f.isolation = runner.isolation();
            findings.push(f);
            continue;
        }
        progress(format!(
            "triage {}/{}: {}",
            i + 1,
            failing.len(),
            r.test.id()
        ));
        let mut s = Session {
            runner,
            replay,
            opts,
            started,
            evidence: Vec::new(),
        };
        let shard_tests: Vec<TestCase> = view.plan[r.shard as usize - 1]
            .iter()
            .filter_map(lookup)
            .collect();
        let target = r.test.clone();
        let prefix: Vec<TestCase> = view.plan[r.shard as usize - 1]
            .iter()
            .take(r.position as usize)
            .filter_map(lookup)
            .collect();
        // Tests of other shards that finished before this one started, in finishing order.
        let mut cross: Vec<&TestResult> = view
            .results
            .iter()
            .filter(|o| o.shard != r.shard && o.shard != 0 && o.end_ms <= r.start_ms)
            .collect();
        cross.sort_by_key(|o| (o.end_ms, o.shard));
        let cross: Vec<TestCase> = cross.iter().map(|o| o.test.clone()).collect();
        let reference: Vec<TestCase> = {
            let mut same_bin: Vec<&TestCase> = view
                .all_tests
                .iter()
                .filter(|t| t.binary_id == target.binary_id && !t.ignored && t.name < target.name)
                .collect();
            same_bin.sort_by(|a, b| a.name.cmp(&b.name));
            same_bin.into_iter().cloned().collect()
        };
        // The repro of a non-deterministic failure is the order it failed in: the prefix and
        // the test, or for a long prefix its whole shard (same order, a shorter command).
        let nod_repro = if prefix.len() > 20 {
            shard_command(r.shard)
        } else {
            order_command(&ids(&prefix_with(&prefix, &target)))
        };
        let result = classify(
            &mut s,
            &target,
            r.shard,
            &shard_tests,
            &prefix,
            &cross,
            &reference,
            view,
            order_command,
            &nod_repro,
        );
        let mut f = match result {
            Ok(f) => f,
            Err(OutOfBudget) => Finding {
                kind: FindingKind::Unfinished,
                test: target.id(),
                polluters: vec![],
                state_setters: vec![],
                cleaners: vec![],
                repro: nod_repro.clone(),
                evidence: vec![],
                reruns: 0,
                search_reruns: 0,
                note: unfinished_note.into(),
                isolation: runner.isolation(),
                in_process_state: false,
            },
        };
        f.isolation = runner.isolation();
        // A shared-mode finding that one process per test does not reproduce lives in the
        // process's own state.
        if let Some(check) = process_check
            && matches!(f.kind, FindingKind::OdVictim | FindingKind::Brittle)
        {
            // OD: polluters then victim must fail; brittle: state-setters then the test must
            // pass. If one process per test does not do that, the state is in the process.
            let (before, want_fail) = if f.kind == FindingKind::OdVictim {
                (&f.polluters, true)
            } else {
                (&f.state_setters, false)
            };
            let mut seq: Vec<TestCase> = before.iter().filter_map(lookup).collect();
            seq.push(target.clone());
            let mut ps = Session {
                runner: check,
                replay: None,
                opts,
                started,
                evidence: Vec::new(),
            };
            if let Ok(o) = ps.run("process-check", &seq) {
                if o.is_failure() != want_fail {
                    f.in_process_state = true;
                    f.note
                        .push_str(" — in-process state: not seen with one process per test");
                }
                s.evidence.extend(ps.evidence);
            }
        }
        f.reruns = s.evidence.len();
        f.evidence = std::mem::take(&mut s.evidence);
        progress(format!("  → {}: {}", f.kind.label(), f.note));
        findings.push(f);
    }
    findings
}

fn prefix_with(prefix: &[TestCase], target: &TestCase) -> Vec<TestCase> {
    let mut v = prefix.to_vec();
    v.push(target.clone());
    v
}

fn finding(kind: FindingKind, target: &TestCase, repro: String, note: String) -> Finding {
    Finding {
        kind,
        test: target.id(),
        polluters: vec![],
        state_setters: vec![],
        cleaners: vec![],
        repro,
        evidence: vec![],
        reruns: 0,
        search_reruns: 0,
        note,
        isolation: crate::runner::executor::Isolation::Process,
        in_process_state: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn classify(
    s: &mut Session<'_, '_>,
    target: &TestCase,
    shard: u32,
    shard_tests: &[TestCase],
    prefix: &[TestCase],
    cross: &[TestCase],
    reference: &[TestCase],
    view: &RunView<'_>,
    order_command: &dyn Fn(&[String]) -> String,
    nod_repro: &str,
) -> Result<Finding, OutOfBudget> {
    let alone = s.run("alone", std::slice::from_ref(target))?;
    if alone.is_failure() {
        // Fails alone: brittle if the reference order makes it pass.
        if !reference.is_empty()
            && !s.holds("reference", reference, target, true)?
            && let Some(setters) = s.minimize(reference, target, false)?
        {
            let search = s.evidence.len();
            // Guard against a NOD test that failed alone by chance.
            for _ in 0..s.opts.confirmations {
                if !s.holds("confirm", &setters, target, false)?
                    || !s
                        .run("confirm-alone", std::slice::from_ref(target))?
                        .is_failure()
                {
                    return Ok(nod(
                        target,
                        nod_repro,
                        "its failure alone did not reproduce consistently",
                    ));
                }
            }
            {
                let mut f = finding(
                    FindingKind::Brittle,
                    target,
                    order_command(&[target.id()]),
                    format!(
                        "fails alone, passes after {} (its state-setter{})",
                        ids(&setters).join(", "),
                        if setters.len() > 1 { "s" } else { "" }
                    ),
                );
                f.state_setters = ids(&setters);
                f.search_reruns = search;
                return Ok(f);
            }
        }
        return Ok(finding(
            FindingKind::Failure,
            target,
            order_command(&[target.id()]),
            "fails when run alone".into(),
        ));
    }
    // Passes alone: look for polluters, first among its own shard's predecessors, then among
    // tests of other shards that finished before it started (state outside the sandbox).
    for (purpose, cands) in [("prefix", prefix), ("cross-shard", cross)] {
        if cands.is_empty() {
            continue;
        }
        // Does the order it failed in fail it again? In shared isolation only replaying the
        // whole shard reproduces that order (libtest reshuffles any other set of tests).
        let again = match (purpose, s.replay_shard(shard, shard_tests, target)?) {
            ("prefix", Some(o)) => o.is_failure(),
            _ => s.holds(purpose, cands, target, true)?,
        };
        if !again {
            continue;
        }
        let Some(polluters) = s.minimize(cands, target, true)? else {
            continue;
        };
        let search = s.evidence.len();
        // Guard against a NOD test that happened to fail in the right places.
        for _ in 0..s.opts.confirmations {
            if !s.holds("confirm", &polluters, target, true)?
                || s.run("confirm-alone", std::slice::from_ref(target))?
                    .is_failure()
            {
                return Ok(nod(
                    target,
                    nod_repro,
                    "its failure did not reproduce consistently",
                ));
            }
        }
        let mut f = finding(
            FindingKind::OdVictim,
            target,
            order_command(&ids(&prefix_with(&polluters, target))),
            format!(
                "passes alone, fails after {}{}",
                ids(&polluters).join(", "),
                if purpose == "cross-shard" {
                    " (from another shard: state outside the per-shard temp dir)"
                } else {
                    ""
                }
            ),
        );
        f.polluters = ids(&polluters);
        f.search_reruns = search;
        if s.opts.find_cleaners {
            f.cleaners = find_cleaners(s, &polluters, target, view);
        }
        return Ok(f);
    }
    Ok(nod(
        target,
        nod_repro,
        "passes alone and after the tests that ran before it",
    ))
}

fn nod(target: &TestCase, repro: &str, why: &str) -> Finding {
    finding(
        FindingKind::NodFlaky,
        target,
        repro.to_string(),
        format!("{why}: the same order gives different outcomes"),
    )
}

/// Candidates: every other test of the run that is not a polluter, in plan order, then the other
/// listed tests; a cleaner is
/// one that, placed between the polluters and the victim, makes the victim pass.
fn find_cleaners(
    s: &mut Session<'_, '_>,
    polluters: &[TestCase],
    target: &TestCase,
    view: &RunView<'_>,
) -> Vec<String> {
    let by_id: HashMap<String, &TestCase> = view.all_tests.iter().map(|t| (t.id(), t)).collect();
    // The run's own tests first (in plan order), then the other listed tests.
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
    let mut cleaners = Vec::new();
    for c in planned.iter().copied().chain(rest) {
        if c == target || polluters.contains(c) {
            continue;
        }
        let id = c.id();
        let mut seq = polluters.to_vec();
        seq.push(c.clone());
        seq.push(target.clone());
        match s.run("cleaner", &seq) {
            Ok(o) if !o.is_failure() => cleaners.push(id),
            Ok(_) => {}
            Err(OutOfBudget) => break,
        }
    }
    cleaners
}

impl Finding {
    /// A finding with no evidence, for tests of what consumes findings.
    #[cfg(test)]
    pub(crate) fn example(test: &str, kind: FindingKind) -> Finding {
        let mut f = finding(kind, &TestCase::new("b", "t"), String::new(), String::new());
        f.test = test.to_string();
        f
    }
}

/// The finding for a test that failed and then passed on a retry in place (`--retries`): NOD
/// flaky, with the failed attempts as evidence. `repro` reruns its shard.
pub(crate) fn flaky_on_retry(r: &TestResult, repro: &str) -> Finding {
    let mut f = finding(
        FindingKind::NodFlaky,
        &r.test,
        repro.to_string(),
        format!(
            "failed {} time{}, then passed on a retry in the same place of the same order",
            r.previous_attempts.len(),
            if r.previous_attempts.len() > 1 {
                "s"
            } else {
                ""
            }
        ),
    );
    f.evidence = r
        .previous_attempts
        .iter()
        .map(|a| Rerun {
            purpose: "retry",
            order: vec![r.test.id()],
            outcome: a.outcome,
            duration_ms: a.duration_ms,
        })
        .collect();
    f
}

/// Merges the findings of several runs into one per test. Order-dependence must be
/// deterministic, so a test that any run found NOD-flaky is reported NOD-flaky (with the other
/// classification in its note); otherwise the most specific classification wins
/// (OD victim, brittle, failure, unfinished).
pub(crate) fn aggregate<'a>(runs: impl Iterator<Item = &'a [Finding]>) -> Vec<Finding> {
    let mut by_test: std::collections::BTreeMap<String, Finding> = Default::default();
    for f in runs.flatten() {
        let Some(old) = by_test.get_mut(&f.test) else {
            by_test.insert(f.test.clone(), f.clone());
            continue;
        };
        let nod = FindingKind::NodFlaky;
        if old.kind == f.kind {
            continue;
        }
        if f.kind == nod || old.kind == nod {
            let other = if f.kind == nod { old.kind } else { f.kind };
            if old.kind != nod {
                *old = f.clone();
            }
            if !old.note.contains("another run classified") {
                let _ = write!(
                    old.note,
                    "; another run classified it as {}, but order dependence must be deterministic",
                    other.label()
                );
            }
        } else if f.kind < old.kind {
            *old = f.clone();
        }
    }
    by_test.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(test: &str, kind: FindingKind) -> Finding {
        Finding::example(test, kind)
    }

    #[test]
    fn aggregation_prefers_nod_over_od_and_specific_over_plain() {
        use FindingKind::*;
        let run1 = vec![f("a", OdVictim), f("b", Failure), f("c", Unfinished)];
        let run2 = vec![
            f("a", NodFlaky),
            f("b", Brittle),
            f("c", Failure),
            f("d", OdVictim),
        ];
        let agg = aggregate([run1.as_slice(), run2.as_slice()].into_iter());
        let kinds: Vec<(&str, FindingKind)> =
            agg.iter().map(|x| (x.test.as_str(), x.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("a", NodFlaky),
                ("b", Brittle),
                ("c", Failure),
                ("d", OdVictim)
            ]
        );
        assert!(agg[0].note.contains("order-dependent victim"));
    }
}
