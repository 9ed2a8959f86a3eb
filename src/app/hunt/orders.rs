//! The orders of a hunt: which order each run has (seeded, reversed, then chosen for
//! consecutive-pair coverage; in shared isolation, the run seed whose predicted libtest orders
//! cover the most new in-binary pairs), as a plan and the configuration its repro commands use.

use crate::app::config::PlanConfig;
use crate::discover::list::TestCase;
use crate::plan::coverage;
use crate::plan::seed;
use crate::plan::triples::TripleCoverage;
use crate::plan::{self, Plan};
use crate::runner::executor::Isolation;
use crate::runner::shared;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
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
    planned: &Planned,
    index: &HashMap<String, usize>,
    k: u32,
) -> (Plan, PlanConfig) {
    let cov = &planned.pairs;
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
        } else if OrderKind::of(k) == OrderKind::Coverage {
            // Later runs: the binaries in the order that runs the most binary triples and
            // consecutive binary pairs not yet planned (reversal alone repeats the cleaner
            // placements of run 1), each binary's tests as the coverage order has them.
            let bins = planned.binary_order(pc.seed, k);
            let mut order = order;
            order.sort_by_key(|t| bins.iter().position(|b| *b == t.binary_id));
            order
        } else {
            order
        };
        return shared_run_plan(first, pc, &order, planned, index, k);
    }
    let mut plan = Plan::ordered(pc.seed, order);
    plan.ignored = first.ignored.clone();
    plan.partition = first.partition;
    (plan, pc)
}

/// Fewest and most candidate libtest run seeds a shared-isolation hunt run (after the first)
/// chooses among; between them, as many as [`SEED_WORK_BUDGET`] allows.
const SHARED_SEED_CANDIDATES: (u64, u64) = (32, 1024);
/// Counting steps (ordered pairs plus triples inside binaries, summed over candidates) one run's
/// seed choice may take: about 0.1–0.3 s on this project's 2-core machine (bench/RESULTS.md).
const SEED_WORK_BUDGET: u64 = 64_000_000;
/// Candidate binary orders of a shared hunt run when there are more than
/// [`ALL_BINARY_ORDERS_MAX`] binaries (up to that, every order is a candidate).
const BINARY_ORDER_CANDIDATES: u32 = 256;
const ALL_BINARY_ORDERS_MAX: usize = 6;

/// What a hunt has *planned* so far (orders are chosen from it, so they depend only on the seed,
/// the test set and the settings): pair coverage of the tests, and in shared isolation triple
/// coverage inside each binary and pair and triple coverage of the order of the binaries.
pub(super) struct Planned {
    pub(super) pairs: coverage::PairCoverage,
    /// Triples inside each binary (shared isolation; nothing tracked otherwise).
    triples: TripleCoverage,
    /// Campaign test index → index of its binary in `bins`.
    bin_of: Vec<usize>,
    /// The binaries, in order of first appearance in run 1.
    bins: Vec<String>,
    bin_pairs: coverage::PairCoverage,
    bin_triples: TripleCoverage,
}

impl Planned {
    /// Nothing planned yet, for the campaign `tests` (run 1's order); `shared` tracks triples.
    pub(super) fn new(tests: &[TestCase], seed: seed::Seed, shared: bool) -> Planned {
        let mut bins: Vec<String> = Vec::new();
        let bin_of: Vec<usize> = tests
            .iter()
            .map(|t| match bins.iter().position(|b| *b == t.binary_id) {
                Some(i) => i,
                None => {
                    bins.push(t.binary_id.clone());
                    bins.len() - 1
                }
            })
            .collect();
        let mut groups = vec![Vec::new(); bins.len()];
        for (i, &b) in bin_of.iter().enumerate() {
            groups[b].push(i);
        }
        let (groups, all_bins) = if shared {
            (groups, vec![(0..bins.len()).collect()])
        } else {
            (Vec::new(), Vec::new())
        };
        Planned {
            pairs: coverage::PairCoverage::new(tests.len(), seed.0),
            triples: TripleCoverage::new(tests.len(), &groups),
            bin_pairs: coverage::PairCoverage::new(bins.len(), seed.0),
            bin_triples: TripleCoverage::new(bins.len(), &all_bins),
            bin_of,
            bins,
        }
    }

    /// Adds a planned order (campaign test indices).
    pub(super) fn add(&mut self, seq: &[usize]) {
        self.pairs.add(seq);
        self.triples.add(seq);
        let bin_seq = self.binary_sequence(seq);
        self.bin_pairs.add(&bin_seq);
        self.bin_triples.add(&bin_seq);
    }

    /// The binaries of `seq` in order of their first test.
    fn binary_sequence(&self, seq: &[usize]) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for &t in seq {
            let b = self.bin_of[t];
            if !out.contains(&b) {
                out.push(b);
            }
        }
        out
    }

    /// The order of binaries for shared hunt run `k` (after the first two): the candidate that
    /// runs the most triples of binaries in an order not yet planned (a cross-binary
    /// conjunction needs its victim's binary last of three, a cross-binary cleaner must run
    /// outside its pair), then the most new consecutive binary pairs (nothing between them), then
    /// the most new ordered pairs; the first such in candidate order. Candidates: every order of
    /// up to [`ALL_BINARY_ORDERS_MAX`] binaries (lexicographic), else
    /// [`BINARY_ORDER_CANDIDATES`] orders drawn from a PCG-64 stream seeded from `seed` and `k`.
    fn binary_order(&self, seed: seed::Seed, k: u32) -> Vec<&str> {
        let b = self.bins.len();
        let candidates: Vec<Vec<usize>> = if b <= ALL_BINARY_ORDERS_MAX {
            permutations(b)
        } else {
            let mut rng = Pcg64Mcg::seed_from_u64(plan::key(
                seed,
                plan::HUNT_DOMAIN,
                "binaries",
                &k.to_string(),
            ));
            (0..BINARY_ORDER_CANDIDATES)
                .map(|_| {
                    let mut p: Vec<usize> = (0..b).collect();
                    for i in (1..b).rev() {
                        p.swap(i, rng.random_range(0..=i));
                    }
                    p
                })
                .collect()
        };
        let score = |p: &[usize]| {
            let consecutive = p
                .windows(2)
                .filter(|w| !self.bin_pairs.has_consecutive(w[0], w[1]))
                .count();
            (
                self.bin_triples.count_new(p),
                consecutive,
                self.bin_pairs.count_new_ordered(p),
            )
        };
        let best = first_max(candidates, |p| score(p)).unwrap_or_default();
        best.into_iter().map(|i| self.bins[i].as_str()).collect()
    }
}

/// Every permutation of `0..n`, in lexicographic order.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut p: Vec<usize> = (0..n).collect();
    let mut out = vec![p.clone()];
    loop {
        let Some(i) = (1..n).rev().find(|&i| p[i - 1] < p[i]) else {
            return out;
        };
        let j = (i..n)
            .rev()
            .find(|&j| p[j] > p[i - 1])
            .expect("p[i] qualifies");
        p.swap(i - 1, j);
        p[i..].reverse();
        out.push(p.clone());
    }
}

/// The first item with the highest score (items are in a fixed order, so ties are stable).
fn first_max<T, S: Ord>(items: impl IntoIterator<Item = T>, score: impl Fn(&T) -> S) -> Option<T> {
    let mut best: Option<(T, S)> = None;
    for item in items {
        let s = score(&item);
        if best.as_ref().is_none_or(|(_, b)| s > *b) {
            best = Some((item, s));
        }
    }
    best.map(|(item, _)| item)
}

/// How many candidate libtest seeds a shared hunt run tries: [`SEED_WORK_BUDGET`] over the
/// counting work of one candidate (`Σ m²` ordered pairs over binaries of `m` tests, plus the
/// tracked triples), within [`SHARED_SEED_CANDIDATES`].
fn seed_candidates(planned: &Planned, order: &[TestCase]) -> u64 {
    let mut sizes: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for t in order {
        *sizes.entry(t.binary_id.as_str()).or_default() += 1;
    }
    let work = sizes.values().map(|m| m * m).sum::<u64>() + planned.triples.work();
    (SEED_WORK_BUDGET / work.max(1)).clamp(SHARED_SEED_CANDIDATES.0, SHARED_SEED_CANDIDATES.1)
}

/// A shared-isolation hunt run: `order` fixes the order of the binaries (run 2 reverses run 1's,
/// later runs take [`Planned::binary_order`]), but inside a binary libtest's seeded shuffle
/// decides. So runs after the first try [`seed_candidates`] run seeds and keep the first whose
/// predicted in-binary orders cover the most triple orders, ordered pairs and consecutive pairs
/// not yet planned, summed (libtest's shuffle is reimplemented in `runner::shared::libtest`, so
/// this is known before running). The plan is the predicted order, which the run then records
/// as observed.
fn shared_run_plan(
    first: &Plan,
    mut pc: PlanConfig,
    order: &[TestCase],
    planned: &Planned,
    index: &HashMap<String, usize>,
    k: u32,
) -> (Plan, PlanConfig) {
    let (best, groups) = if k == 0 {
        let g = predicted(pc.seed, order);
        (pc.seed, g)
    } else {
        choose_libtest_seed(planned, order, index, pc.seed, k)
    };
    pc.seed = best;
    let tests: Vec<TestCase> = groups.into_iter().flatten().collect();
    let mut plan = Plan::ordered(best, tests);
    plan.ignored = first.ignored.clone();
    plan.partition = first.partition;
    (plan, pc)
}

/// The tests of `order` per process (one per binary) in libtest's predicted order under the
/// run seed `seed`.
fn predicted(seed: seed::Seed, order: &[TestCase]) -> Vec<Vec<TestCase>> {
    shared::groups(seed, 1, order, false)
        .into_iter()
        .map(|g| g.tests)
        .collect()
}

/// The run seed of shared hunt run `k` (`k ≥ 1`) and its predicted processes: of
/// [`seed_candidates`] seeds derived from `base` and `k` (in that fixed order), the first whose
/// predicted in-binary orders cover the most triple orders, ordered pairs and consecutive pairs
/// not yet `planned`, summed.
fn choose_libtest_seed(
    planned: &Planned,
    order: &[TestCase],
    index: &HashMap<String, usize>,
    base: seed::Seed,
    k: u32,
) -> (seed::Seed, Vec<Vec<TestCase>>) {
    let cov = &planned.pairs;
    let score = |groups: &Vec<Vec<TestCase>>| -> u64 {
        let seqs: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                g.iter()
                    .filter_map(|t| index.get(&t.id()).copied())
                    .collect()
            })
            .collect();
        let pairs: u64 = seqs
            .iter()
            .map(|s| {
                let consecutive = s
                    .windows(2)
                    .filter(|w| !cov.has_consecutive(w[0], w[1]))
                    .count() as u64;
                cov.count_new_ordered(s) + consecutive
            })
            .sum();
        pairs + planned.triples.count_new(&seqs.concat())
    };
    let seeds = (0..seed_candidates(planned, order)).map(|j| {
        seed::Seed(plan::key(
            base,
            plan::HUNT_DOMAIN,
            "libtest",
            &format!("{k}/{j}"),
        ))
    });
    first_max(seeds.map(|s| (s, predicted(s, order))), |(_, g)| score(g))
        .expect("at least one candidate seed")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(bins: &[(&str, usize)]) -> (Vec<TestCase>, HashMap<String, usize>) {
        let tests: Vec<TestCase> = bins
            .iter()
            .flat_map(|(b, n)| (0..*n).map(move |i| TestCase::new(b, &format!("t{i:02}"))))
            .collect();
        let index = tests.iter().enumerate().map(|(i, t)| (t.id(), i)).collect();
        (tests, index)
    }

    fn seq(tests: &[TestCase], index: &HashMap<String, usize>) -> Vec<usize> {
        tests.iter().map(|t| index[&t.id()]).collect()
    }

    #[test]
    fn permutations_are_all_orders_in_lexicographic_order_and_ties_keep_the_first() {
        let p = permutations(3);
        assert_eq!(
            p,
            vec![
                vec![0, 1, 2],
                vec![0, 2, 1],
                vec![1, 0, 2],
                vec![1, 2, 0],
                vec![2, 0, 1],
                vec![2, 1, 0]
            ]
        );
        assert_eq!(permutations(5).len(), 120);
        assert_eq!(first_max([3, 7, 7, 1], |x| *x % 4), Some(3));
        assert_eq!(first_max(Vec::<u32>::new(), |x| *x), None);
    }

    #[test]
    fn binary_orders_run_every_triple_of_four_binaries_in_all_six_orders_within_eight_runs() {
        // A cross-binary conjunction needs its victim's binary last of three, a cross-binary
        // cleaner's binary outside the pair: both hold once every triple ran in all 6 orders.
        let (tests, index) = campaign(&[("a", 2), ("b", 2), ("c", 2), ("d", 2)]);
        let mut planned = Planned::new(&tests, seed::Seed(3), true);
        planned.add(&seq(&tests, &index));
        let rev: Vec<usize> = seq(&tests, &index).into_iter().rev().collect();
        planned.add(&rev);
        let mut orders = Vec::new();
        for k in 2..8 {
            let bins: Vec<String> = planned
                .binary_order(seed::Seed(3), k)
                .into_iter()
                .map(String::from)
                .collect();
            let again = planned.binary_order(seed::Seed(3), k);
            assert_eq!(bins, again, "deterministic");
            let mut order = tests.clone();
            order.sort_by_key(|t| bins.iter().position(|b| *b == t.binary_id));
            planned.add(&seq(&order, &index));
            orders.push(bins.join(""));
        }
        assert_eq!(planned.bin_triples.covered(), (24, 24), "{orders:?}");
        // And every consecutive pair of binaries (12) ran.
        assert_eq!(planned.bin_pairs.consecutive_covered(), 12, "{orders:?}");
    }

    #[test]
    fn chosen_libtest_seeds_cover_more_in_binary_triples_than_the_first_candidates() {
        // One binary of 12 tests: the chosen seeds of runs 2–6 against the first candidate seed
        // of each run (what a run without the choice would get).
        let (tests, index) = campaign(&[("x", 12)]);
        let run = |choose: bool| {
            let mut planned = Planned::new(&tests, seed::Seed(11), true);
            let first = predicted(seed::Seed(11), &tests).concat();
            planned.add(&seq(&first, &index));
            for k in 1..6 {
                let groups = if choose {
                    choose_libtest_seed(&planned, &tests, &index, seed::Seed(11), k).1
                } else {
                    let s = plan::key(
                        seed::Seed(11),
                        plan::HUNT_DOMAIN,
                        "libtest",
                        &format!("{k}/0"),
                    );
                    predicted(seed::Seed(s), &tests)
                };
                planned.add(&seq(&groups.concat(), &index));
            }
            (planned.triples.covered(), planned.pairs.ordered_covered())
        };
        let (((chosen, total), chosen_pairs), ((first, _), first_pairs)) = (run(true), run(false));
        assert_eq!(total, 6 * 220);
        assert!(
            chosen > first,
            "chosen {chosen} vs first {first} of {total}"
        );
        assert!(
            chosen_pairs >= first_pairs,
            "{chosen_pairs} vs {first_pairs}"
        );
        // The same inputs give the same choice.
        let planned = Planned::new(&tests, seed::Seed(11), true);
        assert_eq!(
            choose_libtest_seed(&planned, &tests, &index, seed::Seed(11), 1).0,
            choose_libtest_seed(&planned, &tests, &index, seed::Seed(11), 1).0
        );
    }

    #[test]
    fn the_number_of_seed_candidates_follows_the_counting_work() {
        let (small, _) = campaign(&[("a", 10)]);
        let planned = Planned::new(&small, seed::Seed(1), true);
        assert_eq!(seed_candidates(&planned, &small), SHARED_SEED_CANDIDATES.1);
        let (mid, _) = campaign(&[("a", 85), ("b", 85), ("c", 85), ("d", 85)]);
        let planned = Planned::new(&mid, seed::Seed(1), true);
        let n = seed_candidates(&planned, &mid);
        assert!((100..200).contains(&n), "{n}");
        let big: Vec<TestCase> = (0..5000)
            .map(|i| TestCase::new("big", &format!("t{i}")))
            .collect();
        let planned = Planned::new(&big, seed::Seed(1), true);
        assert_eq!(seed_candidates(&planned, &big), SHARED_SEED_CANDIDATES.0);
    }
}
