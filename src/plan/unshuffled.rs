//! The shuffle opt-out (`shuffle = false` in a config-file override): the tests it matches run
//! in name order (binary id, then test name) in one shard of their own, the plan's last, after
//! the seeded shards. The other tests are planned exactly as if the opted-out ones were filtered
//! out: the plan's keys depend only on the seed and each test's own id, so their shards and
//! relative order do not change (the shard count grows by one).

use crate::discover::list::TestCase;
use crate::plan::{PartitionKind, Plan, PlannedTest};

impl Plan {
    /// This plan plus the name-ordered shard of `tests` (numbered `shard_count + 1`), when
    /// `tests` is not empty. Under `--partition` the shard holds this part's share of them (by
    /// hash, or every N-th in name order for `slice:`), and is there, maybe empty, in every part,
    /// so that every partition job has the same shard count.
    pub(crate) fn with_unshuffled(mut self, mut tests: Vec<TestCase>) -> Plan {
        if tests.is_empty() {
            return self;
        }
        tests.sort_by(|a, b| a.id_cmp(b));
        let seed = self.seed;
        let mine: Vec<TestCase> = match self.partition {
            None => tests,
            Some(p) if p.kind == PartitionKind::Slice => tests
                .into_iter()
                .enumerate()
                .filter(|(i, _)| (*i as u64 % u64::from(p.total)) as u32 + 1 == p.index)
                .map(|(_, t)| t)
                .collect(),
            Some(p) => tests.into_iter().filter(|t| p.contains(seed, t)).collect(),
        };
        let shard = self.shard_count() + 1;
        self.shards.push(
            mine.into_iter()
                .enumerate()
                .map(|(i, test)| PlannedTest {
                    test,
                    shard,
                    position: i as u32,
                })
                .collect(),
        );
        self.unshuffled = Some(shard);
        self
    }

    /// The shards drawn from the seed: all but the name-ordered one.
    pub(crate) fn seeded_shard_count(&self) -> u32 {
        self.shard_count() - u32::from(self.unshuffled.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::seed::Seed;

    #[test]
    fn opted_out_tests_run_in_name_order_in_a_last_shard_and_the_rest_keep_their_plan() {
        let all: Vec<TestCase> = (0..40)
            .map(|i| TestCase::new(["b::lib", "a::lib"][i % 2], &format!("t{i:02}")))
            .collect();
        let kept = |t: &TestCase| t.name.ends_with('3') || t.name.ends_with('7');
        let (out, rest): (Vec<TestCase>, Vec<TestCase>) =
            all.iter().cloned().partition(|t| kept(t));
        let without = Plan::new(Seed(9), 4, None, rest.clone(), vec![]);
        let plan = Plan::new(Seed(9), 4, None, rest, vec![]).with_unshuffled(out.clone());
        assert_eq!(plan.shard_count(), 5);
        assert_eq!(plan.seeded_shard_count(), 4);
        assert_eq!(plan.unshuffled, Some(5));
        assert_eq!(plan.shards[..4], without.shards[..]);
        let last: Vec<String> = plan.shards[4].iter().map(|t| t.test.id()).collect();
        let mut sorted: Vec<String> = out.iter().map(TestCase::id).collect();
        sorted.sort();
        assert_eq!(last, sorted);
        assert!(last[0].starts_with("a::lib"));
        // Reversing (hunt run 2, --reverse) leaves the name-ordered shard alone.
        assert_eq!(plan.reversed().shards[4], plan.shards[4]);
        // No opted-out test: the plan is untouched.
        let same = Plan::new(Seed(9), 4, None, all.clone(), vec![]).with_unshuffled(vec![]);
        assert_eq!(same.shard_count(), 4);
        assert_eq!(same.unshuffled, None);
        // Every partition job has the shard, and the parts split the opted-out tests.
        let mut seen = 0;
        for k in 1..=3 {
            let p: crate::plan::Partition = format!("{k}/3").parse().unwrap();
            let part = Plan::new(Seed(9), 4, Some(p), vec![], vec![]).with_unshuffled(out.clone());
            assert_eq!(part.shard_count(), 5);
            seen += part.shards[4].len();
        }
        assert_eq!(seen, out.len());
    }
}
