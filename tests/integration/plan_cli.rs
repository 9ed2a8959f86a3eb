//! The plan as the user sees it through `list`: byte-identical for a seed, different for
//! another, stable under filtering, partitions that cover every test exactly once.

use crate::common::*;
use std::collections::BTreeMap;

fn list(args: &[&str]) -> String {
    let (out, _d) = Shuffle::fixture("list", args).output();
    assert_code(&out, 0);
    stdout(&out)
}

/// (shard, id) pairs in plan order.
fn plan_of(args: &[&str]) -> Vec<(u64, String)> {
    let mut a = vec!["--message-format", "json"];
    a.extend_from_slice(args);
    listed_plan(&json(&list(&a)))
        .into_iter()
        .enumerate()
        .flat_map(|(i, ids)| ids.into_iter().map(move |id| (i as u64 + 1, id)))
        .collect()
}

#[test]
fn same_seed_gives_byte_identical_list_and_other_seeds_differ() {
    let a = list(&["--seed", "8417923"]);
    let b = list(&["--seed", "8417923"]);
    assert_eq!(a, b);
    assert!(a.starts_with("seed 8417923, 8 shards, 29 tests\n"), "{a}");
    let hex = list(&["--seed", "0x807283"]);
    assert_eq!(a, hex, "0x807283 is 8417923");
    let c = list(&["--seed", "8417924"]);
    assert_ne!(
        a.lines().skip(1).collect::<Vec<_>>(),
        c.lines().skip(1).collect::<Vec<_>>()
    );
}

#[test]
fn filtering_leaves_the_other_tests_in_the_same_shards_and_order() {
    let all = plan_of(&["--seed", "99"]);
    let some = plan_of(&["--seed", "99", "--", "tests::"]);
    assert!(some.len() < all.len() && !some.is_empty());
    let expected: Vec<(u64, String)> = all
        .into_iter()
        .filter(|(_, id)| id.split_once(' ').unwrap().1.contains("tests::"))
        .collect();
    assert_eq!(some, expected);
}

#[test]
fn shard_count_changes_grouping_but_not_relative_order_within_a_shard() {
    let one = plan_of(&["--seed", "4", "--shards", "1"]);
    let four = plan_of(&["--seed", "4", "--shards", "4"]);
    assert!(one.iter().all(|(s, _)| *s == 1));
    let rank: BTreeMap<&String, usize> =
        one.iter().enumerate().map(|(i, (_, id))| (id, i)).collect();
    for s in 1..=4 {
        let ranks: Vec<usize> = four
            .iter()
            .filter(|(k, _)| *k == s)
            .map(|(_, id)| rank[id])
            .collect();
        assert!(
            ranks.windows(2).all(|w| w[0] < w[1]),
            "shard {s} not in global order"
        );
    }
}

#[test]
fn partitions_cover_every_test_exactly_once() {
    let all = plan_of(&["--seed", "12"]);
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for k in 1..=3 {
        for (_, id) in plan_of(&["--seed", "12", "--partition", &format!("{k}/3")]) {
            *seen.entry(id).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), all.len());
    assert!(seen.values().all(|&c| c == 1), "{seen:?}");
}

#[test]
fn a_random_seed_is_printed_and_pastes_back() {
    let (out, _d) = Shuffle::fixture("list", &[]).output();
    assert_code(&out, 0);
    let first = stdout(&out);
    let seed = first
        .split(',')
        .next()
        .unwrap()
        .strip_prefix("seed ")
        .unwrap()
        .to_string();
    assert!(stderr(&out).contains(&format!("--seed {seed}")));
    assert_eq!(list(&["--seed", &seed]), first);
}

#[test]
fn slice_partitions_are_balanced_and_cover_every_test_once() {
    let all = plan_of(&["--seed", "12"]);
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut sizes = Vec::new();
    for k in 1..=4 {
        let part = plan_of(&["--seed", "12", "--partition", &format!("slice:{k}/4")]);
        sizes.push(part.len());
        for (_, id) in part {
            *seen.entry(id).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), all.len());
    assert!(seen.values().all(|&c| c == 1));
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
        "{sizes:?}"
    );
}

#[test]
fn an_empty_partition_warns_and_exits_0() {
    // 29 runnable tests, 40 parts: part 40 of a slice partition is empty.
    let (out, _d) =
        Shuffle::fixture("run", &["--seed", "1", "--partition", "slice:40/40"]).output();
    assert_code(&out, 0);
    assert!(stderr(&out).contains("is empty"), "{}", stderr(&out));
}

#[test]
fn the_seed_comes_from_the_environment_or_from_git() {
    let (out, _d) = {
        let mut s = Shuffle::fixture("list", &[]);
        s.cmd.env("CARGO_SHUFFLE_SEED", "777");
        s.output()
    };
    assert_code(&out, 0);
    assert!(stdout(&out).starts_with("seed 777,"));
    assert!(stderr(&out).contains("from $CARGO_SHUFFLE_SEED"));
    // --seed git: stable for a commit, different for another commit.
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    // Without --manifest-path the repository is the current directory's.
    let bin = fake_binary(repo.path(), "t", "a: test\\nb: test\\n", "exit 0");
    let seed_at = || {
        let (out, _d) = {
            let mut s = Shuffle::new(&["list", "--seed", "git", "--binary", bin.to_str().unwrap()]);
            s.cmd.current_dir(repo.path());
            s.output()
        };
        assert_code(&out, 0);
        assert!(stderr(&out).contains("from git HEAD"), "{}", stderr(&out));
        stdout(&out).lines().next().unwrap().to_string()
    };
    let first = seed_at();
    assert_eq!(first, seed_at(), "stable for a commit");
    git(&["commit", "-q", "--allow-empty", "-m", "two"]);
    assert_ne!(first, seed_at(), "changes with the commit");
}

#[test]
fn nextests_spellings_select_and_plan_as_ours() {
    // Filters before `--`, as nextest takes them, are the filters after it.
    let after = list(&["--seed", "5", "--", "parse", "slow"]);
    assert_eq!(list(&["--seed", "5", "parse", "slow"]), after);
    assert_eq!(list(&["--seed", "5", "parse", "--", "slow"]), after);
    assert!(
        !after.contains(", 29 tests"),
        "the filters select some: {after}"
    );
    // nextest's `count:K/N` is `slice:K/N`.
    assert_eq!(
        list(&["--seed", "5", "--partition", "count:2/3"]),
        list(&["--seed", "5", "--partition", "slice:2/3"])
    );
    // `--test-threads` is `--jobs`; `--no-tests=pass` is `--allow-no-tests`.
    let (out, _d) = Shuffle::fixture(
        "run",
        &[
            "--seed",
            "5",
            "--test-threads",
            "2",
            "--no-tests=pass",
            "no_such_test_anywhere",
        ],
    )
    .output();
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("warning: no test selected"),
        "{}",
        stderr(&out)
    );
    let (out, _d) = Shuffle::fixture("run", &["--seed", "5", "no_such_test_anywhere"]).output();
    assert_code(&out, 4);
    // nextest's other `--test-threads` values: the CPUs, and the CPUs less N (at least 1).
    for jobs in ["num-cpus", "-1"] {
        let (out, _d) = Shuffle::fixture(
            "run",
            &[
                "--seed",
                "5",
                "--test-threads",
                jobs,
                "--no-triage",
                "parse",
            ],
        )
        .output();
        assert!(out.status.code() != Some(2), "{jobs}: {}", stderr(&out));
        assert!(stderr(&out).contains(" worker"), "{jobs}: {}", stderr(&out));
    }
    // `fail` and --allow-no-tests contradict each other.
    let (out, _d) =
        Shuffle::fixture("run", &["--no-tests", "fail", "--allow-no-tests", "x"]).output();
    assert_code(&out, 2);
}
