//! Triple coverage: which of the 6 relative orders of every 3 tests of a group (a test binary's
//! tests, or the binaries of a suite) the orders added so far have run. Pair coverage cannot see
//! the two kinds of order dependence that involve three tests: a **conjunction** victim fails only
//! after both of its polluters (it must be last of the three), and a **cleaner** hides a victim
//! when it runs between polluter and victim (the pair must run with the cleaner outside it). An
//! order set that ran all 6 orders of a triple exposes both, whatever the roles; a shared hunt
//! chooses its later runs' libtest seeds and binary orders to cover triples not yet run.
//!
//! Counted exactly with a bit set of 8 slots per triple (the 3 pairwise comparisons; 6 are
//! reachable), only for groups of at most [`TRIPLE_MAX`] members: a group of `m` costs
//! `m(m − 1)(m − 2)/6` steps per counted order, so larger groups (whose triples no greedy choice
//! of a seed could steer anyway) are left out.

/// Largest group whose triples are tracked: 200 members is 1.3 M triples, 1.3 MB of bits.
pub(crate) const TRIPLE_MAX: usize = 200;

/// Triple coverage of disjoint groups of test indices `0..n`.
#[derive(Debug)]
pub(crate) struct TripleCoverage {
    /// Per test index: (group, index inside the group), or `None` for a test in no tracked group.
    member: Vec<Option<(u32, u32)>>,
    /// Per group: its size and its bits (8 per triple, in combinatorial order).
    groups: Vec<(usize, Vec<u64>)>,
}

/// The combinatorial index of the triple `a < b < c`.
fn triple_index(a: usize, b: usize, c: usize) -> usize {
    c * (c - 1) * (c - 2) / 6 + b * (b - 1) / 2 + a
}

impl TripleCoverage {
    /// Empty coverage of `groups` (disjoint lists of indices below `n`); groups larger than
    /// [`TRIPLE_MAX`] or smaller than 3 are not tracked.
    pub(crate) fn new(n: usize, groups: &[Vec<usize>]) -> TripleCoverage {
        let mut member = vec![None; n];
        let mut tracked = Vec::new();
        for g in groups
            .iter()
            .filter(|g| (3..=TRIPLE_MAX).contains(&g.len()))
        {
            let gi = tracked.len() as u32;
            for (li, &t) in g.iter().enumerate() {
                member[t] = Some((gi, li as u32));
            }
            let m = g.len();
            tracked.push((
                m,
                vec![0u64; (triple_index(m - 3, m - 2, m - 1) + 1).div_ceil(8)],
            ));
        }
        TripleCoverage {
            member,
            groups: tracked,
        }
    }

    /// Work of counting one order: the number of triples tracked.
    pub(crate) fn work(&self) -> u64 {
        self.groups
            .iter()
            .map(|(m, _)| (m * (m - 1) * (m - 2) / 6) as u64)
            .sum()
    }

    /// Positions of each tracked group's members in `seq` (`u32::MAX`: not in it).
    fn positions(&self, seq: &[usize]) -> Vec<Vec<u32>> {
        let mut pos: Vec<Vec<u32>> = self
            .groups
            .iter()
            .map(|(m, _)| vec![u32::MAX; *m])
            .collect();
        for (i, &t) in seq.iter().enumerate() {
            if let Some(Some((g, l))) = self.member.get(t) {
                let p = &mut pos[*g as usize][*l as usize];
                if *p == u32::MAX {
                    *p = i as u32;
                }
            }
        }
        pos
    }

    /// Visits the (group, bit) of every triple whose three members all ran in `seq`.
    fn each_pattern(&self, seq: &[usize], mut f: impl FnMut(usize, usize)) {
        for (g, pos) in self.positions(seq).iter().enumerate() {
            let m = pos.len();
            for c in 2..m {
                let pc = pos[c];
                if pc == u32::MAX {
                    continue;
                }
                for b in 1..c {
                    let pb = pos[b];
                    if pb == u32::MAX {
                        continue;
                    }
                    let base = c * (c - 1) * (c - 2) / 6 + b * (b - 1) / 2;
                    let bc = usize::from(pb < pc) << 2;
                    for (a, &pa) in pos[..b].iter().enumerate() {
                        if pa == u32::MAX {
                            continue;
                        }
                        let code = usize::from(pa < pb) | usize::from(pa < pc) << 1 | bc;
                        f(g, (base + a) * 8 + code);
                    }
                }
            }
        }
    }

    /// Triple orders that [`add`](Self::add) would cover for the first time (each triple counts
    /// once per order, so no order covers more than the triples tracked).
    pub(crate) fn count_new(&self, seq: &[usize]) -> u64 {
        let mut new = 0;
        self.each_pattern(seq, |g, bit| {
            new += u64::from(self.groups[g].1[bit / 64] & (1 << (bit % 64)) == 0);
        });
        new
    }

    /// Adds one order and returns the triple orders it covered for the first time.
    pub(crate) fn add(&mut self, seq: &[usize]) -> u64 {
        let mut hits = Vec::new();
        self.each_pattern(seq, |g, bit| hits.push((g, bit)));
        let mut new = 0;
        for (g, bit) in hits {
            let w = &mut self.groups[g].1[bit / 64];
            new += u64::from(*w & (1 << (bit % 64)) == 0);
            *w |= 1 << (bit % 64);
        }
        new
    }

    /// Triple orders covered and the number there are (6 per tracked triple).
    #[cfg(test)]
    pub(crate) fn covered(&self) -> (u64, u64) {
        let covered = self
            .groups
            .iter()
            .map(|(_, bits)| bits.iter().map(|w| u64::from(w.count_ones())).sum::<u64>())
            .sum();
        (covered, 6 * self.work())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_orders_cover_a_triple_and_nothing_is_counted_twice() {
        let mut t = TripleCoverage::new(3, &[vec![0, 1, 2]]);
        assert_eq!(t.covered(), (0, 6));
        let perms = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        for p in perms {
            assert_eq!(t.count_new(&p), 1, "{p:?}");
            assert_eq!(t.add(&p), 1);
            assert_eq!(t.count_new(&p), 0);
        }
        assert_eq!(t.covered(), (6, 6));
    }

    #[test]
    fn an_order_and_its_reverse_leave_two_thirds_of_triple_orders() {
        let n = 20;
        let g: Vec<usize> = (0..n).collect();
        let mut t = TripleCoverage::new(n, std::slice::from_ref(&g));
        let triples = (n * (n - 1) * (n - 2) / 6) as u64;
        assert_eq!(t.add(&g), triples);
        let rev: Vec<usize> = g.iter().rev().copied().collect();
        assert_eq!(t.add(&rev), triples);
        assert_eq!(t.covered(), (2 * triples, 6 * triples));
    }

    #[test]
    fn only_groups_of_three_to_triple_max_are_tracked_and_missing_tests_are_skipped() {
        let big: Vec<usize> = (5..5 + TRIPLE_MAX + 1).collect();
        let t = TripleCoverage::new(5 + TRIPLE_MAX + 1, &[vec![0, 1], vec![2, 3, 4], big]);
        assert_eq!(t.work(), 1);
        // Test 4 did not run: no triple of group {2,3,4} is complete.
        assert_eq!(t.count_new(&[0, 1, 2, 3]), 0);
        assert_eq!(t.count_new(&[3, 2, 0, 4]), 1);
    }
}
