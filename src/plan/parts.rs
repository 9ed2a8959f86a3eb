//! How big the parts of `--partition` are: a slice part's size for a number of selected tests
//! and its inverse (how many tests the parts present imply, for saying how many a missing part
//! had in `merge`), and the warning for a part that got no test.

use super::{Partition, PartitionKind};

impl Partition {
    /// The warning for a partition that got none of the `selected` tests (not an error: a CI
    /// job with nothing to do). A slice part is empty only when there are more parts than
    /// tests; a hash part can be empty with fewer parts than tests, because hash parts vary in
    /// size, and `slice:` is the remedy.
    pub(crate) fn empty_warning(&self, selected: usize) -> String {
        let (k, n) = (self.index, self.total);
        match self.kind {
            PartitionKind::Slice => format!(
                "partition {self} of the {selected} selected tests is empty: there are more parts ({n}) than tests"
            ),
            PartitionKind::Hash => format!(
                "partition {self} of the {selected} selected tests is empty: hash parts vary in size (a test's part is a keyed hash of its id{}), so one can get no test; --partition slice:{k}/{n} gives parts that differ by at most one test",
                if n as usize > selected {
                    ", and there are more parts than tests"
                } else {
                    ""
                }
            ),
        }
    }
}

/// Tests of slice part `k` (1-based) of `n` when `total` tests are selected: every `n`-th test
/// of the seeded order starting with the `k`-th, so `(total - k) / n + 1` (0 when `total < k`).
pub(crate) fn slice_size(k: u32, n: u32, total: usize) -> usize {
    let (k, n) = (k as usize, n.max(1) as usize);
    if total < k { 0 } else { (total - k) / n + 1 }
}

/// The numbers of selected tests (least, most) that give slice parts of `n` the sizes
/// `present` (`(k, tests)` pairs); `None` when no number does (the parts do not belong
/// together). The inverse of [`slice_size`], for saying how many tests a missing part had.
pub(crate) fn slice_total_range(n: u32, present: &[(u32, usize)]) -> Option<(usize, usize)> {
    let nn = n.max(1) as usize;
    let (mut lo, mut hi) = (0usize, usize::MAX);
    for &(k, size) in present {
        let k = k as usize;
        let (a, b) = if size == 0 {
            (0, k - 1)
        } else {
            ((size - 1) * nn + k, size * nn + k - 1)
        };
        lo = lo.max(a);
        hi = hi.min(b);
    }
    (lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::list::TestCase;
    use crate::plan::Plan;
    use crate::plan::seed::Seed;

    #[test]
    fn an_empty_hash_part_is_explained_as_uneven_hashing_with_slice_as_the_remedy() {
        let p: Partition = "hash:8/12".parse().unwrap();
        let w = p.empty_warning(55);
        assert!(
            w.contains("8/12 of the 55 selected tests is empty")
                && w.contains("hash parts vary in size")
                && w.contains("--partition slice:8/12")
                && !w.contains("more parts"),
            "{w}"
        );
        assert!(p.empty_warning(5).contains("more parts than tests"));
        let s: Partition = "slice:8/12".parse().unwrap();
        // nextest's spelling of the same partition.
        assert_eq!("count:8/12".parse::<Partition>().unwrap(), s);
        assert!(s.empty_warning(5).contains("more parts (12) than tests"));
    }

    #[test]
    fn slice_sizes_are_the_plans_and_the_total_follows_from_the_present_parts() {
        let tests: Vec<TestCase> = (0..55)
            .map(|i| TestCase::new(if i % 2 == 0 { "a" } else { "b" }, &format!("t{i}")))
            .collect();
        for k in 1..=3 {
            let p = Partition {
                index: k,
                total: 3,
                kind: PartitionKind::Slice,
            };
            let plan = Plan::new(Seed(4), 2, Some(p), tests.clone(), vec![]);
            assert_eq!(plan.test_count(), slice_size(k, 3, 55), "part {k}");
        }
        // 55 tests in 3 slices: 19, 18, 18. Parts 2 and 3 say 54 or 55 tests, so part 1 had
        // 18 or 19.
        assert_eq!(slice_total_range(3, &[(2, 18), (3, 18)]), Some((54, 55)));
        assert_eq!((slice_size(1, 3, 54), slice_size(1, 3, 55)), (18, 19));
        assert_eq!(slice_total_range(3, &[(1, 19), (2, 18)]), Some((55, 55)));
        assert_eq!(slice_total_range(3, &[(1, 19)]), Some((55, 57)));
        assert_eq!(slice_total_range(12, &[(8, 0)]), Some((0, 7)));
        assert_eq!(slice_total_range(3, &[(1, 1), (2, 9)]), None);
    }
}
