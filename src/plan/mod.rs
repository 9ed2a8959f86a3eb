//! The plan: which tests run, in which shard, in which order. A pure function of the seed, the
//! test ids and the shard count, so that `--seed` alone reproduces a run on any machine.
//!
//! # The ordering function (stable, documented: changing it breaks every recorded seed)
//! Every key is SipHash-2-4 (Aumasson & Bernstein, 2012) with the 128-bit key `(seed, DOMAIN)`
//! over the bytes `binary_id ++ [0x00] ++ test_name`, read as a `u64`:
//! - order: tests are sorted by `key(ORDER_DOMAIN)` ascending, ties broken by the id bytes;
//! - shard: `(key(SHARD_DOMAIN) * N) >> 64` gives the 0-based shard among `N`;
//! - partition: `(key(PARTITION_DOMAIN) * N) >> 64` gives the 0-based part among `N`.
//!
//! So the relative order of two tests depends only on the seed and those two ids, and a test's
//! shard and partition only on the seed, its id and `N`: filtering tests out or adding new ones
//! leaves everything else where it was. Nothing here depends on listing order, job count,
//! platform, toolchain or `HashMap` iteration.

pub(crate) mod coverage;
pub(crate) mod history;
pub(crate) mod parts;
pub(crate) mod repro;
pub(crate) mod seed;
pub(crate) mod triples;
pub(crate) mod unshuffled;

use crate::discover::list::TestCase;
use crate::plan::seed::Seed;
use siphasher::sip::SipHasher24;
use std::fmt;
use std::hash::Hasher;
use std::str::FromStr;

/// Key half that makes the order key independent of the shard key (ASCII `shuf-ord`).
pub(crate) const ORDER_DOMAIN: u64 = u64::from_be_bytes(*b"shuf-ord");
/// Key half for shard assignment (ASCII `shuf-shd`).
pub(crate) const SHARD_DOMAIN: u64 = u64::from_be_bytes(*b"shuf-shd");
/// Key half for `--partition` (ASCII `shuf-prt`).
pub(crate) const PARTITION_DOMAIN: u64 = u64::from_be_bytes(*b"shuf-prt");

/// Key half for deriving the seeds of `hunt`'s later runs (ASCII `shuf-hnt`).
pub(crate) const HUNT_DOMAIN: u64 = u64::from_be_bytes(*b"shuf-hnt");

/// The keyed hash behind every plan decision: SipHash-2-4 keyed by `(seed, domain)` over
/// `binary_id ++ 0x00 ++ name`.
pub(crate) fn key(seed: Seed, domain: u64, binary_id: &str, name: &str) -> u64 {
    let mut h = SipHasher24::new_with_keys(seed.0, domain);
    h.write(binary_id.as_bytes());
    h.write(&[0]);
    h.write(name.as_bytes());
    h.finish()
}

/// Maps a 64-bit hash uniformly onto `0..n` (Lemire's multiply-shift; no modulo bias).
fn bucket(hash: u64, n: u32) -> u32 {
    ((u128::from(hash) * u128::from(n)) >> 64) as u32
}

/// `--partition [hash:|slice:]K/N`: the K-th (1-based) of N disjoint parts of the selected tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Partition {
    /// 1-based index of the part this job runs, `1..=total`.
    pub(crate) index: u32,
    /// Number of parts, at least 1.
    pub(crate) total: u32,
    /// How tests are assigned to parts.
    pub(crate) kind: PartitionKind,
}

/// How `--partition` assigns tests to parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) enum PartitionKind {
    /// By a keyed hash of each test id (`K/N` or `hash:K/N`): a test's part depends only on the
    /// seed, its id and N, so filtering does not move other tests; sizes vary randomly.
    #[default]
    Hash,
    /// Every N-th test of the seeded order (`slice:K/N`): parts differ in size by at most one
    /// test and mix all binaries; filtering moves tests between parts.
    Slice,
}

/// Why a `--partition` value was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid partition `{input}`: {reason}; write K/N (or slice:K/N) with 1 <= K <= N, e.g. --partition 2/3"
)]
pub(crate) struct PartitionError {
    /// The text as given.
    pub(crate) input: String,
    /// What is wrong with it.
    pub(crate) reason: &'static str,
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(s: &str) -> Result<Partition, PartitionError> {
        let err = |reason| PartitionError {
            input: s.to_string(),
            reason,
        };
        let (kind, rest) = match s.split_once(':') {
            Some(("hash", r)) => (PartitionKind::Hash, r),
            // nextest's `count:K/N` (every N-th test) is what `slice:` does.
            Some(("slice" | "count", r)) => (PartitionKind::Slice, r),
            Some(_) => {
                return Err(err(
                    "the kind before `:` must be `hash` or `slice` (nextest's `count` is `slice`)",
                ));
            }
            None => (PartitionKind::Hash, s),
        };
        let (k, n) = rest.split_once('/').ok_or_else(|| err("there is no `/`"))?;
        let number = |x: &str, what| -> Result<u32, PartitionError> {
            let x = x.trim();
            // One rule with `--seed`: digits only, so `+1/3` is refused like `--seed +42`.
            if x.starts_with('+') {
                return Err(err("a leading `+` is not accepted"));
            }
            if !x.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("K and N must be whole numbers"));
            }
            match x.parse::<u64>() {
                Ok(v) if v <= 100_000 => Ok(v as u32),
                Ok(_) => Err(err(what)),
                Err(_) => Err(err("K and N must be whole numbers")),
            }
        };
        let k = number(k, "K is too large")?;
        let n = number(n, "N is larger than 100000")?;
        if n == 0 {
            return Err(err("N must be at least 1"));
        }
        if k == 0 {
            return Err(err("K counts from 1"));
        }
        if k > n {
            return Err(err("K is larger than N"));
        }
        Ok(Partition {
            index: k,
            total: n,
            kind,
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PartitionKind::Hash => write!(f, "{}/{}", self.index, self.total),
            PartitionKind::Slice => write!(f, "slice:{}/{}", self.index, self.total),
        }
    }
}

impl Partition {
    /// Whether `test` belongs to this part under `seed`.
    pub(crate) fn contains(&self, seed: Seed, test: &TestCase) -> bool {
        let h = key(seed, PARTITION_DOMAIN, &test.binary_id, &test.name);
        bucket(h, self.total) + 1 == self.index
    }
}

/// One test's place in the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlannedTest {
    /// The test case.
    pub(crate) test: TestCase,
    /// 1-based shard number.
    pub(crate) shard: u32,
    /// 0-based position inside its shard.
    pub(crate) position: u32,
}

/// The plan of a run: `shards[i]` is the ordered sequence that shard `i + 1` runs.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// The seed the plan was made from.
    pub(crate) seed: Seed,
    /// The partition this plan is restricted to, if any.
    pub(crate) partition: Option<Partition>,
    /// Ordered tests per shard; always `shard_count` entries, some possibly empty.
    pub(crate) shards: Vec<Vec<PlannedTest>>,
    /// Tests that are selected but not run because they are `#[ignore]`d (reported as skipped).
    pub(crate) ignored: Vec<TestCase>,
    /// One shard per test binary ([`Plan::by_binary`]): shared isolation's default.
    pub(crate) by_binary: bool,
    /// The 1-based shard that holds the tests kept out of the shuffle (`shuffle = false`) in
    /// name order, always the last (see [`Plan::with_unshuffled`]); `None` when there is none.
    pub(crate) unshuffled: Option<u32>,
}

impl Plan {
    /// Makes the plan. `tests` are the selected tests that will run, `ignored` those reported as
    /// ignored without running; both in any order (the result does not depend on it).
    /// `shard_count` must be at least 1.
    pub(crate) fn new(
        seed: Seed,
        shard_count: u32,
        partition: Option<Partition>,
        tests: Vec<TestCase>,
        mut ignored: Vec<TestCase>,
    ) -> Plan {
        assert!(shard_count >= 1, "shard count is validated before planning");
        let keep = |t: &TestCase| partition.is_none_or(|p| p.contains(seed, t));
        let mut keyed: Vec<(u64, TestCase)> = tests
            .into_iter()
            .map(|t| (key(seed, ORDER_DOMAIN, &t.binary_id, &t.name), t))
            .collect();
        keyed.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| a.id_cmp(b)));
        let keyed: Vec<(u64, TestCase)> = match partition {
            None => keyed,
            Some(p) if p.kind == PartitionKind::Slice => keyed
                .into_iter()
                .enumerate()
                .filter(|(i, _)| (*i as u64 % u64::from(p.total)) as u32 + 1 == p.index)
                .map(|(_, kt)| kt)
                .collect(),
            Some(_) => keyed.into_iter().filter(|(_, t)| keep(t)).collect(),
        };
        let mut shards: Vec<Vec<PlannedTest>> = vec![Vec::new(); shard_count as usize];
        for (_, test) in keyed {
            let s = bucket(
                key(seed, SHARD_DOMAIN, &test.binary_id, &test.name),
                shard_count,
            );
            let seq = &mut shards[s as usize];
            seq.push(PlannedTest {
                test,
                shard: s + 1,
                position: seq.len() as u32,
            });
        }
        ignored.retain(keep);
        ignored.sort_by(|a, b| a.id_cmp(b));
        Plan {
            seed,
            partition,
            shards,
            ignored,
            by_binary: false,
            unshuffled: None,
        }
    }

    /// The plan of shared isolation without `--shards`: one shard per test binary, so that all
    /// of a binary's selected tests run in one process (libtest orders them by its seeded
    /// shuffle, see `runner::shared`). The test order is [`Plan::new`]'s (partition included);
    /// the binaries' shard numbers come from `key(seed, SHARD_DOMAIN, binary_id, "")` over every
    /// binary of `tests` before the partition, so that every partition job has the same shard
    /// count and a binary the same shard number (some shards are then empty in a partition).
    /// Ignored tests belong to shard 1 (see [`Plan::ignored_in`]).
    pub(crate) fn by_binary(
        seed: Seed,
        partition: Option<Partition>,
        tests: Vec<TestCase>,
        ignored: Vec<TestCase>,
    ) -> Plan {
        let mut bins: Vec<&str> = tests.iter().map(|t| t.binary_id.as_str()).collect();
        bins.sort_unstable();
        bins.dedup();
        bins.sort_by_key(|b| (key(seed, SHARD_DOMAIN, b, ""), *b));
        let shard_of: std::collections::HashMap<String, usize> = bins
            .iter()
            .enumerate()
            .map(|(i, b)| (b.to_string(), i))
            .collect();
        let one = Plan::new(seed, 1, partition, tests, ignored);
        let mut shards: Vec<Vec<PlannedTest>> = vec![Vec::new(); shard_of.len().max(1)];
        for t in one.shards.into_iter().flatten() {
            let s = shard_of[&t.test.binary_id];
            let position = shards[s].len() as u32;
            shards[s].push(PlannedTest {
                shard: s as u32 + 1,
                position,
                ..t
            });
        }
        Plan {
            seed,
            partition,
            shards,
            ignored: one.ignored,
            by_binary: true,
            unshuffled: None,
        }
    }

    /// The ignored tests that belong to the 1-based `shards` (all of them when `shards` is
    /// empty): an ignored test is not run, but it belongs to the shard it would run in, so that
    /// `--shard K` jobs report each ignored test once between them.
    pub(crate) fn ignored_in<'p>(
        &'p self,
        shards: &'p [u32],
    ) -> impl Iterator<Item = &'p TestCase> + 'p {
        let n = self.seeded_shard_count();
        self.ignored.iter().filter(move |t| {
            shards.is_empty()
                || if self.by_binary {
                    shards.contains(&1)
                } else {
                    shards.contains(
                        &(bucket(key(self.seed, SHARD_DOMAIN, &t.binary_id, &t.name), n) + 1),
                    )
                }
        })
    }

    /// A one-shard plan running exactly `tests` in the given order (`--order`).
    pub(crate) fn ordered(seed: Seed, tests: Vec<TestCase>) -> Plan {
        let shard = tests
            .into_iter()
            .enumerate()
            .map(|(i, test)| PlannedTest {
                test,
                shard: 1,
                position: i as u32,
            })
            .collect();
        Plan {
            seed,
            partition: None,
            shards: vec![shard],
            ignored: Vec::new(),
            by_binary: false,
            unshuffled: None,
        }
    }

    /// The same plan with every seeded shard run backwards (positions renumbered; the
    /// name-ordered shard of `shuffle = false` keeps its order). Every pair of tests that shares
    /// a seeded shard then runs in the other relative order.
    pub(crate) fn reversed(&self) -> Plan {
        let mut p = self.clone();
        let seeded = self.seeded_shard_count() as usize;
        for shard in &mut p.shards[..seeded] {
            shard.reverse();
            for (i, t) in shard.iter_mut().enumerate() {
                t.position = i as u32;
            }
        }
        p
    }

    /// Number of shards (including empty ones).
    pub(crate) fn shard_count(&self) -> u32 {
        self.shards.len() as u32
    }

    /// Number of tests that will run.
    pub(crate) fn test_count(&self) -> usize {
        self.shards.iter().map(Vec::len).sum()
    }

    /// Every planned test, shard by shard, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &PlannedTest> {
        self.shards.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(bin: &str, name: &str) -> TestCase {
        TestCase::new(bin, name)
    }

    #[test]
    fn by_binary_plans_put_each_binarys_tests_in_one_shard_stable_across_partitions() {
        let tests: Vec<TestCase> = ["a", "b", "c"]
            .iter()
            .flat_map(|b| (0..20).map(move |i| tc(b, &format!("t{i}"))))
            .collect();
        let p = Plan::by_binary(Seed(5), None, tests.clone(), vec![tc("a", "ign")]);
        assert!(p.by_binary);
        assert_eq!(p.shard_count(), 3);
        for shard in &p.shards {
            let bins: std::collections::BTreeSet<&str> =
                shard.iter().map(|t| t.test.binary_id.as_str()).collect();
            assert_eq!(bins.len(), 1, "one binary per shard");
            assert_eq!(shard.len(), 20);
        }
        // Within a shard, the seed's order (what Plan::new gives in one shard).
        let one = Plan::new(Seed(5), 1, None, tests.clone(), vec![]);
        let order_of = |bin: &str, plan: &Plan| -> Vec<String> {
            plan.iter()
                .filter(|t| t.test.binary_id == bin)
                .map(|t| t.test.id())
                .collect()
        };
        assert_eq!(order_of("b", &p), order_of("b", &one));
        let again = Plan::by_binary(Seed(5), None, tests.clone(), vec![tc("a", "ign")]);
        assert_eq!(p.shards, again.shards);
        // Every partition has the same shard count, and a binary keeps its shard number.
        let part: Partition = "2/3".parse().unwrap();
        let q = Plan::by_binary(Seed(5), Some(part), tests.clone(), vec![]);
        assert_eq!(q.shard_count(), 3);
        for t in q.iter() {
            let home = p.iter().find(|x| x.test == t.test).unwrap().shard;
            assert_eq!(t.shard, home);
        }
        // Ignored tests are reported by the shard-1 job only.
        assert_eq!(p.ignored_in(&[1]).count(), 1);
        assert_eq!(p.ignored_in(&[2, 3]).count(), 0);
    }

    fn suite(n: usize) -> Vec<TestCase> {
        (0..n)
            .map(|i| tc(["a::lib", "a::test/api", "b::lib"][i % 3], &format!("t{i}")))
            .collect()
    }

    fn ids(plan: &Plan) -> Vec<(u32, String)> {
        plan.iter()
            .map(|p| (p.shard, format!("{} {}", p.test.binary_id, p.test.name)))
            .collect()
    }

    #[test]
    fn key_is_a_fixed_function() {
        // The reference SipHash-2-4 vector (key 00..0f, empty message) from the paper.
        let mut h = SipHasher24::new_with_keys(0x0706050403020100, 0x0f0e0d0c0b0a0908);
        h.write(&[]);
        assert_eq!(h.finish(), 0x726fdb47dd0e0e31);
        // Pinned value: if it changes, every seed anybody recorded stops reproducing.
        assert_eq!(
            key(Seed(0), ORDER_DOMAIN, "a::lib", "t0"),
            6729328852104851910
        );
    }

    #[test]
    fn same_seed_same_plan_independent_of_input_order() {
        let mut tests = suite(200);
        let a = Plan::new(Seed(42), 8, None, tests.clone(), vec![]);
        tests.reverse();
        let b = Plan::new(Seed(42), 8, None, tests, vec![]);
        assert_eq!(ids(&a), ids(&b));
        let c = Plan::new(Seed(43), 8, None, suite(200), vec![]);
        assert_ne!(ids(&a), ids(&c));
    }

    #[test]
    fn filtering_keeps_relative_order_and_shards() {
        let all = Plan::new(Seed(7), 4, None, suite(300), vec![]);
        let some: Vec<TestCase> = suite(300).into_iter().step_by(3).collect();
        let keep: std::collections::BTreeSet<String> = some
            .iter()
            .map(|t| format!("{} {}", t.binary_id, t.name))
            .collect();
        let filtered = Plan::new(Seed(7), 4, None, some, vec![]);
        let expected: Vec<(u32, String)> = ids(&all)
            .into_iter()
            .filter(|(_, id)| keep.contains(id))
            .collect();
        assert_eq!(ids(&filtered), expected);
    }

    #[test]
    fn reversed_plan_flips_every_shard() {
        let plan = Plan::new(Seed(3), 3, None, suite(30), vec![]);
        let rev = plan.reversed();
        for (a, b) in plan.shards.iter().zip(&rev.shards) {
            let fwd: Vec<_> = a.iter().map(|t| t.test.clone()).collect();
            let mut back: Vec<_> = b.iter().map(|t| t.test.clone()).collect();
            back.reverse();
            assert_eq!(fwd, back);
            assert!(b.iter().enumerate().all(|(i, t)| t.position as usize == i));
        }
    }

    #[test]
    fn positions_are_dense_per_shard() {
        let plan = Plan::new(Seed(1), 5, None, suite(100), vec![]);
        assert_eq!(plan.test_count(), 100);
        for (i, shard) in plan.shards.iter().enumerate() {
            for (pos, t) in shard.iter().enumerate() {
                assert_eq!(t.shard as usize, i + 1);
                assert_eq!(t.position as usize, pos);
            }
        }
    }

    #[test]
    fn each_ignored_test_belongs_to_exactly_one_shard() {
        let ignored = suite(40);
        let plan = Plan::new(Seed(3), 4, None, Vec::new(), ignored.clone());
        let mut seen: Vec<String> = (1..=4)
            .flat_map(|k| plan.ignored_in(&[k]).map(TestCase::id).collect::<Vec<_>>())
            .collect();
        seen.sort();
        let mut all: Vec<String> = ignored.iter().map(TestCase::id).collect();
        all.sort();
        assert_eq!(seen, all);
        assert_eq!(plan.ignored_in(&[]).count(), 40);
        assert!(plan.ignored_in(&[2]).count() < 40);
    }

    #[test]
    fn partition_parse() {
        assert_eq!(
            "2/3".parse(),
            Ok(Partition {
                index: 2,
                total: 3,
                kind: PartitionKind::Hash
            })
        );
        assert_eq!(
            "slice:1/2".parse::<Partition>().unwrap().kind,
            PartitionKind::Slice
        );
        assert_eq!(
            "slice:1/2".parse::<Partition>().unwrap().to_string(),
            "slice:1/2"
        );
        for bad in [
            "0/3",
            "4/3",
            "1/0",
            "x",
            "1/x",
            "/3",
            "-1/3",
            "",
            "round:1/2",
            "slice:0/2",
            "1/+3",
            "1/3x",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
        // A leading `+` is refused, as by `--seed`, and the error says so and names the input.
        for plus in ["+1/3", "slice:+1/3", "1/+3"] {
            let e = plus.parse::<Partition>().unwrap_err();
            assert_eq!(e.reason, "a leading `+` is not accepted", "{plus}");
            assert!(
                e.to_string().contains(&format!("`{plus}`")) && e.to_string().contains("K/N"),
                "{e}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn slice_partitions_are_balanced_and_cover_once(seed in proptest::prelude::any::<u64>(), n in 1u32..9, count in 0usize..120) {
            let tests = suite(count);
            let mut seen = std::collections::BTreeSet::new();
            let mut sizes = Vec::new();
            for k in 1..=n {
                let p = Partition { index: k, total: n, kind: PartitionKind::Slice };
                let plan = Plan::new(Seed(seed), 3, Some(p), tests.clone(), vec![]);
                sizes.push(plan.test_count());
                for t in plan.iter() {
                    proptest::prop_assert!(seen.insert(t.test.id()));
                }
            }
            proptest::prop_assert_eq!(seen.len(), count);
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            proptest::prop_assert!(max - min <= 1, "{:?}", sizes);
        }

        #[test]
        fn partitions_cover_every_test_exactly_once(seed in proptest::prelude::any::<u64>(), n in 1u32..9, count in 0usize..120) {
            let tests = suite(count);
            let mut seen = std::collections::BTreeMap::new();
            for k in 1..=n {
                let p = Partition { index: k, total: n, kind: PartitionKind::Hash };
                let plan = Plan::new(Seed(seed), 3, Some(p), tests.clone(), vec![]);
                for t in plan.iter() {
                    *seen.entry(format!("{} {}", t.test.binary_id, t.test.name)).or_insert(0) += 1;
                }
            }
            proptest::prop_assert_eq!(seen.len(), count);
            proptest::prop_assert!(seen.values().all(|&c| c == 1));
        }
    }
}
