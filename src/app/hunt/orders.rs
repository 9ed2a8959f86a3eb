//! The orders of a hunt: which order each run has (seeded, reversed, then chosen for
//! consecutive-pair coverage; in shared isolation, the run seed whose predicted libtest orders
//! cover the most new in-binary pairs), as a plan and the configuration its repro commands use.

use crate::app::config::PlanConfig;
use crate::discover::list::TestCase;
use crate::plan::coverage;
use crate::plan::seed;
use crate::plan::{self, Plan};
use crate::runner::executor::Isolation;
use crate::runner::shared;
use std::collections::HashMap;

/// How a hunt run's order is made (its `order` in the report's coverage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OrderKind {
    /// Run 1: every selected test in one sequence, in the seed's order (`run --shards 1`).
    Seeded,
    /// Run 2: run 1 backwards, so that within two runs every ordered pair ran both ways.
    Reversed,
    /// Later runs: chosen to cover consecutive pairs not yet run (`plan::coverage`).
    Coverage,
}

impl OrderKind {
    pub(super) fn of(k: u32) -> OrderKind {
        match k {
            0 => OrderKind::Seeded,
            1 => OrderKind::Reversed,
            _ => OrderKind::Coverage,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            OrderKind::Seeded => "seeded",
            OrderKind::Reversed => "reversed",
            OrderKind::Coverage => "coverage",
        }
    }
}

/// The seed of hunt run `k` (0-based): the given one for runs 1 and 2, then one derived from it
/// (shared isolation hands it to libtest; coverage orders draw from it).
fn run_seed(base: seed::Seed, k: u32) -> seed::Seed {
    if k < 2 {
        base
    } else {
        seed::Seed(plan::key(base, plan::HUNT_DOMAIN, "hunt", &k.to_string()))
    }
}

/// The plan and repro configuration of hunt run `k`: one sequence over every test of the
/// campaign (`tests`, run 1's order), in the order of its [`OrderKind`]. The configuration's
/// repro commands reproduce the run: `--shards 1` (run 1), `--shards 1 --reverse` (run 2), or the
/// exact `--order` (later runs).
pub(super) fn run_plan(
    first: &Plan,
    base: &PlanConfig,
    tests: &[TestCase],
    cov: &coverage::PairCoverage,
    index: &HashMap<String, usize>,
    k: u32,
) -> (Plan, PlanConfig) {
    let mut pc = base.clone();
    pc.shards = 1;
    pc.by_binary = false;
    pc.seed = run_seed(base.seed, k);
    let order: Vec<TestCase> = match OrderKind::of(k) {
        OrderKind::Seeded => tests.to_vec(),
        OrderKind::Reversed => {
            pc.reverse = !base.reverse;
            tests.iter().rev().cloned().collect()
        }
        OrderKind::Coverage => {
            let idx = coverage::coverage_order(cov, pc.seed.0);
            let order: Vec<TestCase> = idx.into_iter().map(|i| tests[i].clone()).collect();
            pc.order = Some(order.iter().map(TestCase::id).collect());
            order
        }
    };
    if base.order.is_some() && k == 1 {
        pc.order = Some(order.iter().map(TestCase::id).collect());
    }
    if base.isolation == Isolation::Shared {
        let order = if OrderKind::of(k) == OrderKind::Reversed {
            // A shared run runs each binary in one process, in order of its first test: run 2
            // takes run 1's binaries exactly backwards, so every cross-binary pair runs both
            // ways within two runs (the reversed sequence alone would order binaries by their
            // *last* test in run 1).
            let mut bins: Vec<&str> = Vec::new();
            for t in tests {
                if !bins.contains(&t.binary_id.as_str()) {
                    bins.push(&t.binary_id);
                }
            }
            let mut order = order;
            order.sort_by_key(|t| std::cmp::Reverse(bins.iter().position(|b| *b == t.binary_id)));
            order
        } else {
            order
        };
        return shared_run_plan(first, pc, &order, cov, index, k);
    }
    let mut plan = Plan::ordered(pc.seed, order);
    plan.ignored = first.ignored.clone();
    plan.partition = first.partition;
    (plan, pc)
}

/// Candidate run seeds a shared-isolation hunt run (after the first) chooses among.
const SHARED_SEED_CANDIDATES: u32 = 32;

/// A shared-isolation hunt run: `order` fixes the order of the binaries (run 2 reverses run 1's,
/// so every cross-binary pair runs both ways within two runs), but inside a binary libtest's
/// seeded shuffle decides. So runs after the first try [`SHARED_SEED_CANDIDATES`] seeds and keep
/// the one whose predicted in-binary orders cover the most ordered pairs not yet planned
/// (libtest's shuffle is reimplemented in `runner::shared::libtest`, so this is known before
/// running). The plan is the predicted order, which the run then records as observed.
fn shared_run_plan(
    first: &Plan,
    mut pc: PlanConfig,
    order: &[TestCase],
    cov: &coverage::PairCoverage,
    index: &HashMap<String, usize>,
    k: u32,
) -> (Plan, PlanConfig) {
    let predicted = |seed: seed::Seed| -> Vec<Vec<TestCase>> {
        shared::groups(seed, 1, order, false)
            .into_iter()
            .map(|g| g.tests)
            .collect()
    };
    let seeds: Vec<seed::Seed> = if k == 0 {
        vec![pc.seed]
    } else {
        (0..SHARED_SEED_CANDIDATES)
            .map(|j| {
                seed::Seed(plan::key(
                    pc.seed,
                    plan::HUNT_DOMAIN,
                    "libtest",
                    &format!("{k}/{j}"),
                ))
            })
            .collect()
    };
    let score = |groups: &[Vec<TestCase>]| -> u64 {
        groups
            .iter()
            .map(|g| {
                let seq: Vec<usize> = g
                    .iter()
                    .filter_map(|t| index.get(&t.id()).copied())
                    .collect();
                cov.count_new_ordered(&seq)
            })
            .sum()
    };
    // The first candidate with the highest score (candidates are in a fixed order).
    let (best, groups) = seeds
        .into_iter()
        .map(|s| (s, predicted(s)))
        .fold(
            None::<(seed::Seed, Vec<Vec<TestCase>>, u64)>,
            |acc, (s, g)| {
                let sc = score(&g);
                match acc {
                    Some((_, _, best)) if best >= sc => acc,
                    _ => Some((s, g, sc)),
                }
            },
        )
        .map(|(s, g, _)| (s, g))
        .expect("at least one candidate seed");
    pc.seed = best;
    let tests: Vec<TestCase> = groups.into_iter().flatten().collect();
    let mut plan = Plan::ordered(best, tests);
    plan.ignored = first.ignored.clone();
    plan.partition = first.partition;
    (plan, pc)
}

/// Run 1's order: every test of the first plan in one sequence, in the seed's order (the plan
/// order does not depend on the shard count), or the `--order` given; each test once. The
/// tests kept out of the shuffle (`shuffle = false`) are left out.
pub(super) fn campaign_tests(first: &Plan, base: &PlanConfig) -> Vec<TestCase> {
    let tests: Vec<TestCase> = if base.order.is_some() {
        first.iter().map(|t| t.test.clone()).collect()
    } else {
        let seeded = first.seeded_shard_count() as usize;
        let all = first.shards[..seeded]
            .iter()
            .flatten()
            .map(|t| t.test.clone())
            .collect();
        Plan::new(first.seed, 1, None, all, Vec::new()).shards[0]
            .iter()
            .map(|t| t.test.clone())
            .collect()
    };
    let mut seen = std::collections::HashSet::new();
    tests.into_iter().filter(|t| seen.insert(t.id())).collect()
}
