//! Which tests share a process, and in which order: a shard's sequence split into one group
//! per binary (more when the names would not fit in one process's arguments), each with the
//! libtest seed it runs under and the order libtest is predicted to run it in.

use crate::discover::list::TestCase;
use crate::plan::key;
use crate::plan::seed::Seed;
use crate::runner::shared::libtest;
use std::collections::HashMap;

/// Key half for the libtest seed of each (shard, binary) process (ASCII `shuf-lts`).
pub(crate) const LIBTEST_DOMAIN: u64 = u64::from_be_bytes(*b"shuf-lts");

/// How many seeds to try (by prediction) to put a test last; libtest needs about n.
pub(crate) const SEED_SEARCH: u64 = 1_000_000;

/// Expected seed tries allowed for keeping a suffix of a sequence in order (see
/// `libtest::feasible_suffix`); `SEED_SEARCH` leaves a 10× margin.
const SUFFIX_TRIES: u64 = 20_000;

/// Bytes of `--exact` test names one process may take: Linux allows about 2 MiB of arguments
/// and environment together; the rest is left to the environment.
const NAME_BYTES: usize = 512 * 1024;

/// The tests of one binary that one process runs, in the order libtest is predicted to run
/// them under `seed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    /// Id of the binary whose tests these are (a [`crate::discover::TestBinary`] id).
    pub(crate) binary_id: String,
    /// libtest's `--shuffle-seed` for the process.
    pub(crate) seed: u64,
    /// The tests, in the order libtest is predicted to run them under `seed`.
    pub(crate) tests: Vec<TestCase>,
}

/// A binary's tests of one sequence, split (in order) into runs of names that fit in one
/// process's arguments: almost always one.
fn name_chunks<'t, 'c>(members: &'c [&'t TestCase]) -> Vec<&'c [&'t TestCase]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, t) in members.iter().enumerate() {
        let len = t.name.len() + 1;
        if i > start && bytes + len > NAME_BYTES {
            out.push(&members[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += len;
    }
    out.push(&members[start..]);
    out
}

/// Splits a sequence into per-binary processes (in order of each binary's first test) and
/// predicts each one's order. The seed of a process is derived from the run seed, the shard and
/// the binary id. With `last_last` (triage reruns, `--order`), the binary of the sequence's last
/// test goes last and its process gets the first seed (searching from that one) under which
/// that test runs last, and the tests before it keep their given order as far as a search of
/// `SUFFIX_TRIES` expected seeds allows (all of them for up to 7 tests), so that "these tests,
/// in this order, then this one" holds in shared mode too. A binary whose test names would not
/// fit in one process's arguments gets several processes, in sequence order.
pub(crate) fn groups(
    run_seed: Seed,
    shard: u32,
    tests: &[TestCase],
    last_last: bool,
) -> Vec<Group> {
    let (order, by_bin) = by_binary(tests, last_last);
    let chunks: Vec<(&str, usize, &[&TestCase])> = order
        .into_iter()
        .flat_map(|bin| {
            name_chunks(&by_bin[bin])
                .into_iter()
                .enumerate()
                .map(move |(k, c)| (bin, k, c))
        })
        .collect();
    let last_chunk = chunks.len().saturating_sub(1);
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, (bin, k, members))| {
            let names: Vec<&str> = members.iter().map(|t| t.name.as_str()).collect();
            let keep_order = last_last && !tests.is_empty() && i == last_chunk;
            let seed = process_seed(run_seed, shard, bin, k, &names, keep_order);
            predicted_group(bin, seed, members)
        })
        .collect()
}

/// The binaries of `tests` in order of their first test (with `last_last`, the binary of the
/// last test moved to the end), and each binary's tests in sequence order.
fn by_binary(tests: &[TestCase], last_last: bool) -> (Vec<&str>, HashMap<&str, Vec<&TestCase>>) {
    let mut order: Vec<&str> = Vec::new();
    let mut by_bin: HashMap<&str, Vec<&TestCase>> = HashMap::new();
    for t in tests {
        if !by_bin.contains_key(t.binary_id.as_str()) {
            order.push(&t.binary_id);
        }
        by_bin.entry(&t.binary_id).or_default().push(t);
    }
    if let Some(l) = tests.last().filter(|_| last_last) {
        order.retain(|b| *b != l.binary_id);
        order.push(&l.binary_id);
    }
    (order, by_bin)
}

/// The libtest seed of the `k`-th process of binary `bin` in shard `shard`, keyed from the run
/// seed. With `keep_order` (the sequence's last process under `last_last`), the first seed from
/// there under which the last of `names` runs last, and as many of the names before it in their
/// given order as a seed search can afford (the whole order for up to 7 tests): a cleaner given
/// between polluter and victim must stay between them. The keyed seed if no search succeeds.
fn process_seed(
    run_seed: Seed,
    shard: u32,
    bin: &str,
    k: usize,
    names: &[&str],
    keep_order: bool,
) -> u64 {
    // The first (usually only) process of a binary keeps the seed it always had.
    let salt = if k == 0 {
        shard.to_string()
    } else {
        format!("{shard}/{k}")
    };
    let seed = key(run_seed, LIBTEST_DOMAIN, bin, &salt);
    if !keep_order {
        return seed;
    }
    let l = libtest::feasible_suffix(names.len(), SUFFIX_TRIES);
    libtest::seed_with_suffix(names, &names[names.len() - l..], seed, SEED_SEARCH)
        .or_else(|| libtest::seed_putting_last(names, names[names.len() - 1], seed, SEED_SEARCH))
        .unwrap_or(seed)
}

/// The group of `members` of `bin` under `seed`, in libtest's predicted order.
fn predicted_group(bin: &str, seed: u64, members: &[&TestCase]) -> Group {
    let names: Vec<&str> = members.iter().map(|t| t.name.as_str()).collect();
    let predicted = libtest::predict_order(seed, &names);
    let by_name: HashMap<&str, &TestCase> = members.iter().map(|t| (t.name.as_str(), *t)).collect();
    Group {
        binary_id: bin.to_string(),
        seed,
        tests: predicted
            .iter()
            .filter_map(|n| by_name.get(n.as_str()).map(|t| (*t).clone()))
            .collect(),
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn tc(bin: &str, name: &str) -> TestCase {
        TestCase::new(bin, name)
    }

    #[test]
    fn groups_keep_each_binary_together_and_the_last_test_last() {
        let seq = vec![
            tc("b", "x"),
            tc("a", "p1"),
            tc("b", "y"),
            tc("a", "p2"),
            tc("a", "p3"),
            tc("b", "victim"),
        ];
        let g = groups(Seed(9), 1, &seq, true);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].binary_id, "a");
        assert_eq!(g[1].binary_id, "b");
        assert_eq!(g[1].tests.last().unwrap().name, "victim");
        let names: Vec<&str> = g[1].tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(libtest::predict_order(g[1].seed, &names), names);
        // Deterministic.
        assert_eq!(g, groups(Seed(9), 1, &seq, true));
        // Without the constraint: binaries in order of first appearance, base seeds.
        let free = groups(Seed(9), 1, &seq, false);
        assert_eq!(free[0].binary_id, "b");
    }

    #[test]
    fn too_many_names_for_one_process_are_split_in_order() {
        let long = "x".repeat(200);
        let seq: Vec<TestCase> = (0..6000)
            .map(|i| tc("big", &format!("{long}{i:05}")))
            .collect();
        let g = groups(Seed(4), 1, &seq, true);
        assert_eq!(g.len(), 3, "6000 × 206 bytes in chunks of 512 KiB");
        assert!(
            g.iter()
                .all(|c| c.tests.iter().map(|t| t.name.len() + 1).sum::<usize>() <= NAME_BYTES)
        );
        assert_eq!(g.iter().map(|c| c.tests.len()).sum::<usize>(), 6000);
        assert_eq!(
            g[2].tests.last().unwrap().name,
            seq[5999].name,
            "the last test stays last"
        );
        // One chunk keeps the seed it always had.
        let small = groups(Seed(4), 1, &seq[..10], false);
        assert_eq!(small[0].seed, key(Seed(4), LIBTEST_DOMAIN, "big", "1"));
    }
}
