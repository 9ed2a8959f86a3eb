//! Pair coverage: how many ordered pairs of tests a set of orders has run "first before second"
//! in one sequence, and how many *consecutive* pairs (first immediately before second), plus the
//! order generator that a hunt uses after its first two runs to cover consecutive pairs not yet
//! run.
//!
//! Why both measures: an order-dependent victim fails after its polluter in any sequence that
//! shares their state, so an ordered pair covered once is exposed once — unless a cleaner ran
//! between them. A consecutive pair has nothing between it, so covering every consecutive pair
//! exposes every polluter→victim pair whatever cleaners exist (Wei, Lam, Shi, Marinov and Xie,
//! "Probabilistic and Systematic Coverage of Consecutive Test-Method Pairs for Detecting
//! Order-Dependent Flaky Tests", TACAS 2021). One order and its reverse cover every ordered pair;
//! consecutive pairs need about `n` orders (`n − 1` new pairs per order out of `n(n − 1)`), which
//! is why later hunt runs are chosen greedily for the consecutive pairs still missing rather than
//! drawn at random (a random order covers a given consecutive pair with probability `1/n`).
//!
//! Tests are indices `0..n` into one fixed test list. The generator draws from a PCG-64 (MCG)
//! stream seeded from the run seed (`rand_pcg`, whose output is fixed across platforms and
//! versions), so the same seed gives the same orders on every machine.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::collections::HashSet;

/// Up to this many tests, ordered pairs are counted exactly with an `n × n` bit set (8 MiB at
/// the limit); above it, from a fixed sample of pairs (see [`PairCoverage::ordered_estimated`]).
const EXACT_ORDERED_MAX: usize = 8192;
/// Pairs sampled for the ordered-pair estimate of large suites.
const ORDERED_SAMPLE: usize = 100_000;
/// Random candidates tried for an uncovered successor before a full scan (see [`coverage_order`]).
const CANDIDATE_TRIES: usize = 64;

/// What one added order contributed: pairs covered for the first time by it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RunCoverage {
    /// Ordered pairs (a before b in the sequence) first covered by this order.
    pub(crate) new_ordered: u64,
    /// Consecutive pairs (a immediately before b) first covered by this order.
    pub(crate) new_consecutive: u64,
}

/// Coverage of ordered and consecutive pairs over the orders added so far, for `n` tests.
#[derive(Debug)]
pub(crate) struct PairCoverage {
    n: usize,
    /// Row-major `n × n` bits, `a * n + b` set once a ran before b; `None` above the exact limit.
    ordered_bits: Option<Vec<u64>>,
    ordered_count: u64,
    /// Large suites: sampled pairs and whether each is covered.
    sample: Vec<(u32, u32, bool)>,
    consecutive: HashSet<u64>,
}

impl PairCoverage {
    /// Empty coverage of `n` tests. `seed` fixes the pair sample used above the exact limit.
    pub(crate) fn new(n: usize, seed: u64) -> PairCoverage {
        let exact = n <= EXACT_ORDERED_MAX;
        let sample = if exact || n < 2 {
            Vec::new()
        } else {
            let mut rng = Pcg64Mcg::seed_from_u64(seed);
            (0..ORDERED_SAMPLE)
                .map(|_| {
                    let a = rng.random_range(0..n as u32);
                    let mut b = rng.random_range(0..n as u32 - 1);
                    if b >= a {
                        b += 1;
                    }
                    (a, b, false)
                })
                .collect()
        };
        PairCoverage {
            n,
            ordered_bits: exact.then(|| vec![0u64; (n * n).div_ceil(64)]),
            ordered_count: 0,
            sample,
            consecutive: HashSet::new(),
        }
    }

    /// Ordered pairs of distinct tests: `n(n − 1)`, also the number of consecutive pairs.
    pub(crate) fn pairs_total(&self) -> u64 {
        let n = self.n as u64;
        n * n.saturating_sub(1)
    }

    /// Adds one order (a sequence of test indices; a test may be missing, as in an interrupted
    /// run, or appear twice) and returns the pairs it covered for the first time.
    ///
    /// Cost: `O(len²)` bit operations for the exact count (about 30 ms for 8 000 tests).
    pub(crate) fn add(&mut self, seq: &[usize]) -> RunCoverage {
        let mut new = RunCoverage::default();
        for w in seq.windows(2) {
            if w[0] != w[1] && self.consecutive.insert(self.pair_key(w[0], w[1])) {
                new.new_consecutive += 1;
            }
        }
        if let Some(bits) = &mut self.ordered_bits {
            for (i, &a) in seq.iter().enumerate() {
                for &b in &seq[i + 1..] {
                    if a == b {
                        continue;
                    }
                    let k = a * self.n + b;
                    let (word, bit) = (k / 64, 1u64 << (k % 64));
                    if bits[word] & bit == 0 {
                        bits[word] |= bit;
                        new.new_ordered += 1;
                    }
                }
            }
            self.ordered_count += new.new_ordered;
        } else if !self.sample.is_empty() {
            let mut pos = vec![usize::MAX; self.n];
            for (i, &t) in seq.iter().enumerate() {
                if pos[t] == usize::MAX {
                    pos[t] = i;
                }
            }
            let before = self.ordered_count;
            for s in &mut self.sample {
                let (pa, pb) = (pos[s.0 as usize], pos[s.1 as usize]);
                if !s.2 && pa != usize::MAX && pb != usize::MAX && pa < pb {
                    s.2 = true;
                }
            }
            let hits = self.sample.iter().filter(|s| s.2).count() as f64;
            self.ordered_count =
                (hits / self.sample.len() as f64 * self.pairs_total() as f64).round() as u64;
            new.new_ordered = self.ordered_count.saturating_sub(before);
        }
        new
    }

    /// Ordered pairs (a before b in `seq`) that [`add`](Self::add) would cover for the first time,
    /// without adding them: 0 above the exact limit (no bits to ask). `O(len²)`.
    pub(crate) fn count_new_ordered(&self, seq: &[usize]) -> u64 {
        let Some(bits) = &self.ordered_bits else {
            return 0;
        };
        let mut seen = HashSet::new();
        let mut new = 0;
        for (i, &a) in seq.iter().enumerate() {
            for &b in &seq[i + 1..] {
                let k = a * self.n + b;
                if a != b && bits[k / 64] & (1u64 << (k % 64)) == 0 && seen.insert(k) {
                    new += 1;
                }
            }
        }
        new
    }

    /// Ordered pairs of distinct tests inside each of `groups` (test indices, e.g. one group per
    /// binary): how many are covered, and how many there are. `None` above the exact limit.
    pub(crate) fn covered_within(&self, groups: &[Vec<usize>]) -> Option<(u64, u64)> {
        let bits = self.ordered_bits.as_ref()?;
        let (mut covered, mut total) = (0, 0);
        for g in groups {
            for &a in g {
                for &b in g {
                    if a != b {
                        total += 1;
                        let k = a * self.n + b;
                        covered += u64::from(bits[k / 64] & (1u64 << (k % 64)) != 0);
                    }
                }
            }
        }
        Some((covered, total))
    }

    /// Ordered pairs covered (exact, or estimated for suites above 8 192 tests).
    pub(crate) fn ordered_covered(&self) -> u64 {
        self.ordered_count
    }

    /// Whether [`ordered_covered`](Self::ordered_covered) is a sample estimate.
    pub(crate) fn ordered_estimated(&self) -> bool {
        self.ordered_bits.is_none() && self.n >= 2
    }

    /// Consecutive pairs covered (exact).
    pub(crate) fn consecutive_covered(&self) -> u64 {
        self.consecutive.len() as u64
    }

    /// Whether a ran immediately before b in some added order.
    pub(crate) fn has_consecutive(&self, a: usize, b: usize) -> bool {
        self.consecutive.contains(&self.pair_key(a, b))
    }

    fn pair_key(&self, a: usize, b: usize) -> u64 {
        a as u64 * self.n as u64 + b as u64
    }
}

/// Share of `covered` in `total` as a percentage (100 when there is nothing to cover).
pub(crate) fn percent(covered: u64, total: u64) -> f64 {
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}

/// An order of all `n` tests chosen to cover consecutive pairs that `cov` has not covered: it
/// starts at a random test and each next test is a random not-yet-placed test `b` such that
/// `(current, b)` is uncovered, falling back to any random not-yet-placed test when the current
/// test's uncovered successors are all placed. Deterministic for a given `seed` and coverage.
///
/// Each step first tries [`CANDIDATE_TRIES`] random candidates, then scans all remaining tests,
/// so it costs `O(n)` per order while coverage is sparse and `O(n²)` near saturation.
pub(crate) fn coverage_order(cov: &PairCoverage, seed: u64) -> Vec<usize> {
    let n = cov.n;
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut remaining: Vec<usize> = (0..n).collect();
    let mut order = Vec::with_capacity(n);
    while !remaining.is_empty() {
        let pick = match order.last() {
            None => rng.random_range(0..remaining.len()),
            Some(&cur) => uncovered_successor(cov, cur, &remaining, &mut rng)
                .unwrap_or_else(|| rng.random_range(0..remaining.len())),
        };
        order.push(remaining.swap_remove(pick));
    }
    order
}

/// Index into `remaining` of a test `b` with `(cur, b)` not yet covered, if any.
fn uncovered_successor(
    cov: &PairCoverage,
    cur: usize,
    remaining: &[usize],
    rng: &mut Pcg64Mcg,
) -> Option<usize> {
    for _ in 0..CANDIDATE_TRIES.min(remaining.len()) {
        let i = rng.random_range(0..remaining.len());
        if !cov.has_consecutive(cur, remaining[i]) {
            return Some(i);
        }
    }
    let start = rng.random_range(0..remaining.len());
    (0..remaining.len())
        .map(|k| (start + k) % remaining.len())
        .find(|&i| !cov.has_consecutive(cur, remaining[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_permutation(order: &[usize], n: usize) -> bool {
        let mut seen = vec![false; n];
        order.len() == n
            && order
                .iter()
                .all(|&t| !std::mem::replace(&mut seen[t], true))
    }

    #[test]
    fn an_order_and_its_reverse_cover_every_ordered_pair() {
        let n = 50;
        let mut cov = PairCoverage::new(n, 1);
        let first: Vec<usize> = coverage_order(&cov, 7);
        let a = cov.add(&first);
        assert_eq!(a.new_ordered, (n * (n - 1) / 2) as u64);
        assert_eq!(a.new_consecutive, (n - 1) as u64);
        let reversed: Vec<usize> = first.iter().rev().copied().collect();
        let b = cov.add(&reversed);
        assert_eq!(b.new_ordered, (n * (n - 1) / 2) as u64);
        assert_eq!(cov.ordered_covered(), cov.pairs_total());
        assert!(!cov.ordered_estimated());
        // The reverse's consecutive pairs are the first order's pairs flipped: all new.
        assert_eq!(cov.consecutive_covered(), 2 * (n as u64 - 1));
    }

    #[test]
    fn coverage_orders_are_permutations_and_reproducible() {
        let cov = PairCoverage::new(200, 3);
        let a = coverage_order(&cov, 42);
        assert!(is_permutation(&a, 200));
        assert_eq!(a, coverage_order(&cov, 42));
        assert_ne!(a, coverage_order(&cov, 43));
    }

    #[test]
    fn pcg_stream_and_coverage_orders_are_pinned() {
        // The orders of recorded hunts depend on this stream and this generator: a dependency
        // update or a refactor that changes them must fail here, not silently change the later
        // runs of every hunt a seed was written down for.
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert_eq!(rng.random::<u64>(), 15803641690485367939);
        let cov = PairCoverage::new(8, 0);
        assert_eq!(coverage_order(&cov, 1), PINNED_ORDER.to_vec());
    }
    const PINNED_ORDER: [usize; 8] = [6, 1, 4, 7, 2, 0, 5, 3];

    #[test]
    fn greedy_orders_cover_all_consecutive_pairs_far_sooner_than_random_ones() {
        let n = 12;
        let total = (n * (n - 1)) as u64;
        let mut cov = PairCoverage::new(n, 5);
        let mut runs = 0;
        while cov.consecutive_covered() < total {
            let o = coverage_order(&cov, 100 + runs);
            let new = cov.add(&o);
            // While plenty is uncovered, each greedy order covers (nearly) n − 1 new pairs.
            if cov.consecutive_covered() < total / 2 {
                assert!(new.new_consecutive >= (n as u64 - 3), "{new:?}");
            }
            runs += 1;
            assert!(runs < 4 * n as u64, "greedy did not saturate");
        }
        // n(n−1) pairs, n−1 per order: n orders at best.
        assert!(runs <= 2 * n as u64, "{runs} runs");
    }

    #[test]
    fn large_suites_estimate_ordered_pairs_from_a_sample() {
        let n = EXACT_ORDERED_MAX + 1;
        let mut cov = PairCoverage::new(n, 9);
        let seq: Vec<usize> = (0..n).collect();
        cov.add(&seq);
        assert!(cov.ordered_estimated());
        let pct = percent(cov.ordered_covered(), cov.pairs_total());
        assert!((45.0..55.0).contains(&pct), "{pct}");
        let rev: Vec<usize> = (0..n).rev().collect();
        cov.add(&rev);
        assert_eq!(cov.ordered_covered(), cov.pairs_total());
    }

    #[test]
    fn interrupted_orders_and_repeats_count_what_ran() {
        let mut cov = PairCoverage::new(4, 0);
        let c = cov.add(&[2, 0, 2]);
        assert_eq!(c.new_consecutive, 2); // (2,0) and (0,2)
        assert_eq!(c.new_ordered, 2); // (2,0) and (0,2)
        assert_eq!(percent(0, 0), 100.0);
    }

    #[test]
    fn new_ordered_pairs_are_counted_without_adding_them_and_within_groups() {
        let mut cov = PairCoverage::new(4, 0);
        cov.add(&[0, 1, 2, 3]);
        // (1,0) (2,0) (3,0) are new, (1,2)... covered; asking adds nothing.
        assert_eq!(cov.count_new_ordered(&[1, 2, 3, 0]), 3);
        assert_eq!(cov.count_new_ordered(&[1, 2, 3, 0]), 3);
        assert_eq!(cov.ordered_covered(), 6);
        // Groups {0,1} and {2,3}: 2 ordered pairs each, one of each covered.
        assert_eq!(cov.covered_within(&[vec![0, 1], vec![2, 3]]), Some((2, 4)));
        assert_eq!(
            PairCoverage::new(EXACT_ORDERED_MAX + 1, 0).covered_within(&[]),
            None
        );
    }
}
