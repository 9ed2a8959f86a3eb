//! Repro commands: the one place that renders the shell command lines that make a plan, a shard
//! or an exact order again (`cargo shuffle run <selection> --seed S …`), quoted for a POSIX
//! shell. Findings, the terminal summary, the JSON record and the Markdown summary all print
//! what this module renders, so a repro line cannot drift from the flags that mean it.

use crate::plan::Partition;
use crate::plan::seed::Seed;

/// What a repro command needs to know about a run: the arguments that select the same test
/// binaries and tests again, and the plan settings (seed, shards, partition, reversal, an exact
/// order). Built once from the validated configuration.
#[derive(Clone, Debug)]
pub(crate) struct Repro {
    /// Cargo selection flags or `--binary` paths, plus run flags that change outcomes
    /// (`--timeout`, `--isolation`, …), in command-line form.
    pub(crate) selection_args: Vec<String>,
    /// Flags only the commands that reproduce the whole run (or its `--shard` selection) or
    /// the whole hunt repeat: `--max-fail`, which in a finding's `--order` or a failing test's
    /// shard rerun could stop before the test, and `--retries`, which there could pass the
    /// failing test on a retry and so hide the failure the command is meant to show.
    pub(crate) run_args: Vec<String>,
    /// Flags only a finding's or a failing test's repro repeats, in place of `run_args`:
    /// `--retries 0` when the config profile the commands name sets `retries`, so that the
    /// profile does not retry the failure away either.
    pub(crate) failure_args: Vec<String>,
    /// The run's seed, given as `--seed S` in every command.
    pub(crate) seed: Seed,
    /// `--shards`, at least 1.
    pub(crate) shards: u32,
    /// The plan has one shard per binary (shared isolation without `--shards`): no `--shards`
    /// in the commands, which would change the plan.
    pub(crate) by_binary: bool,
    /// `--partition K/N` of the run; `None` for an unpartitioned one.
    pub(crate) partition: Option<Partition>,
    /// `--reverse`: every shard runs backwards.
    pub(crate) reverse: bool,
    /// `--order`: the run was an exact sequence of test ids.
    pub(crate) order: Option<Vec<String>>,
    /// Name filters given after `--`.
    pub(crate) filters: Vec<String>,
}

impl Repro {
    fn prefix(&self) -> Vec<String> {
        let mut words: Vec<String> = vec!["cargo".into(), "shuffle".into(), "run".into()];
        words.extend(self.selection_args.iter().cloned());
        words.extend(["--seed".into(), self.seed.to_string()]);
        words
    }

    /// The command that runs exactly `ids` (`'BINARY_ID TEST_NAME'`) in this order in one
    /// sequence, with the same test binaries: the repro command of a finding.
    pub(crate) fn order_command(&self, ids: &[String]) -> String {
        let mut words = self.prefix();
        words.extend(self.failure_args.iter().cloned());
        words.push("--order".into());
        words.extend(ids.iter().cloned());
        shell_words::join(words)
    }

    /// The command that makes the same plan again: `cargo shuffle run <selection> --seed S
    /// --shards N [--partition K/N] [--reverse] [extra…] [-- filters]` (or `<selection> --seed
    /// S [extra…] --order IDS…`).
    pub(crate) fn run_command(&self, extra: &[String]) -> String {
        let mut words = self.prefix();
        if let Some(order) = &self.order {
            // `extra` too (`--retries`, `--max-fail`, `--retries 0` over a profile's): an
            // order runs with the same settings as any plan.
            words.extend(extra.iter().cloned());
            words.push("--order".into());
            words.extend(order.iter().cloned());
            return shell_words::join(words);
        }
        if !self.by_binary {
            words.extend(["--shards".into(), self.shards.to_string()]);
        }
        if let Some(p) = self.partition {
            words.extend(["--partition".into(), p.to_string()]);
        }
        if self.reverse {
            words.push("--reverse".into());
        }
        words.extend(extra.iter().cloned());
        if !self.filters.is_empty() {
            words.push("--".into());
            words.extend(self.filters.iter().cloned());
        }
        shell_words::join(words)
    }

    /// The command that makes the same hunt again up to run `runs`: `cargo shuffle hunt
    /// <selection> --seed S --runs R [run_args…] [-- filters]` (a hunt's orders depend only on
    /// its seed and test set, so its first R runs repeat).
    pub(crate) fn hunt_command(&self, runs: u32) -> String {
        self.hunt_command_with(runs, &[])
    }

    /// [`hunt_command`](Self::hunt_command) with `extra` arguments after `--runs R` (before
    /// any filters), e.g. `--reset-cmd CMD`.
    pub(crate) fn hunt_command_with(&self, runs: u32, extra: &[String]) -> String {
        let mut words: Vec<String> = vec!["cargo".into(), "shuffle".into(), "hunt".into()];
        words.extend(self.selection_args.iter().cloned());
        words.extend(["--seed".into(), self.seed.to_string()]);
        words.extend(["--runs".into(), runs.to_string()]);
        words.extend(self.run_args.iter().cloned());
        words.extend(extra.iter().cloned());
        if !self.filters.is_empty() {
            words.push("--".into());
            words.extend(self.filters.iter().cloned());
        }
        shell_words::join(words)
    }

    /// Whether the run gave each shard a sandbox of its own (`--sandbox shard` among the
    /// repeated execution arguments), so that `--shard K` replays a shard's state.
    pub(crate) fn sandbox_per_shard(&self) -> bool {
        names_sandbox_shard(&self.selection_args)
    }

    /// The command that reproduces the run: the 1-based shards `ks` of the same plan
    /// (`--shard 1,3`), the whole plan when `ks` is empty, with the run's `run_args`
    /// (`--max-fail`).
    pub(crate) fn shards_command(&self, ks: &[u32]) -> String {
        let mut extra = self.run_args.clone();
        if !ks.is_empty() {
            let ks: Vec<String> = ks.iter().map(u32::to_string).collect();
            extra.extend(["--shard".into(), ks.join(",")]);
        }
        self.run_command(&extra)
    }

    /// The command that runs shard `k` (1-based) of the same plan alone, to rerun a failing
    /// test's shard (without `run_args`: `--max-fail` could stop the shard before the test,
    /// `--retries` could pass it; with `failure_args`).
    pub(crate) fn shard_command(&self, k: u32) -> String {
        let mut extra = self.failure_args.clone();
        extra.extend(["--shard".into(), k.to_string()]);
        self.run_command(&extra)
    }
}

/// How a summary reruns a failing test that has no finding: its shard of the run. A run
/// knows its [`Repro`]; a merge has only the command its parts recorded ([`RecordedRun`]).
pub(crate) trait ShardRerun {
    /// The command that runs shard `k` (1-based) of the run alone, with no `--max-fail` and
    /// no retries (either could hide the failure).
    fn shard_command(&self, k: u32) -> String;
    /// Whether each shard had a sandbox of its own (`--sandbox shard`), so that a shard's
    /// rerun replays its state.
    fn sandbox_per_shard(&self) -> bool;
}

impl ShardRerun for Repro {
    fn shard_command(&self, k: u32) -> String {
        Repro::shard_command(self, k)
    }
    fn sandbox_per_shard(&self) -> bool {
        Repro::sandbox_per_shard(self)
    }
}

/// A run command as a record keeps it (`repro`, rendered by [`Repro::shards_command`]): for
/// `merge`, whose merged record's command is the unpartitioned run.
pub(crate) struct RecordedRun<'a>(pub(crate) &'a str);

impl ShardRerun for RecordedRun<'_> {
    /// The recorded command with `--shard K` (before any `--` filters) in place of a `--shard`
    /// it had, without its `--max-fail`, and always with `--retries 0` in place of any
    /// `--retries N`: the record does not say whether the config file (named or found in the
    /// workspace root) retries, by profile or override, and a retry could hide the failure.
    fn shard_command(&self, k: u32) -> String {
        let words = shell_words::split(self.0).unwrap_or_default();
        let filters = words.iter().position(|w| w == "--").unwrap_or(words.len());
        let mut out: Vec<String> = Vec::with_capacity(words.len() + 2);
        let mut it = words[..filters].iter();
        while let Some(w) = it.next() {
            match w.as_str() {
                "--max-fail" | "--shard" => {
                    it.next();
                }
                "--retries" => {
                    it.next();
                }
                _ => out.push(w.clone()),
            }
        }
        out.extend(["--retries".into(), "0".into()]);
        out.extend(["--shard".into(), k.to_string()]);
        out.extend(words[filters..].iter().cloned());
        shell_words::join(out)
    }
    fn sandbox_per_shard(&self) -> bool {
        names_sandbox_shard(&shell_words::split(self.0).unwrap_or_default())
    }
}

/// Whether command-line `words` give `--sandbox shard` (a sandbox per shard).
fn names_sandbox_shard(words: &[String]) -> bool {
    words
        .windows(2)
        .any(|w| w[0] == "--sandbox" && w[1] == "shard")
}

/// A shared hunt's run 2 or later: its libtest seeds were chosen for coverage, which no `run`
/// flags make again, so rerunning any of its shards means the hunt up to that run (this
/// command, `hunt_command`).
pub(crate) struct HuntUpTo(pub(crate) String);

impl ShardRerun for HuntUpTo {
    fn shard_command(&self, _k: u32) -> String {
        self.0.clone()
    }
    /// The command replays every shard of the run, so nothing another shard left is missing.
    fn sandbox_per_shard(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_runs_repro_keeps_its_run_and_failure_flags() {
        let r = Repro {
            selection_args: vec!["--binary".into(), "b".into()],
            run_args: vec![
                "--retries".into(),
                "1".into(),
                "--max-fail".into(),
                "1".into(),
            ],
            failure_args: vec!["--retries".into(), "0".into()],
            seed: Seed(7),
            shards: 1,
            by_binary: false,
            partition: None,
            reverse: false,
            order: Some(vec!["b t".into()]),
            filters: vec![],
        };
        assert_eq!(
            r.shards_command(&[]),
            "cargo shuffle run --binary b --seed 7 --retries 1 --max-fail 1 --order 'b t'"
        );
        assert_eq!(
            r.shard_command(1),
            "cargo shuffle run --binary b --seed 7 --retries 0 --shard 1 --order 'b t'"
        );
    }

    #[test]
    fn a_recorded_runs_shard_command_drops_what_could_hide_the_failure() {
        let run = RecordedRun(
            "cargo shuffle run --binary 'a b' --seed 5 --shards 4 --retries 2 --max-fail 1 -- x",
        );
        assert_eq!(
            run.shard_command(3),
            "cargo shuffle run --binary 'a b' --seed 5 --shards 4 --retries 0 --shard 3 -- x"
        );
        assert!(!run.sandbox_per_shard());
        let run = RecordedRun("cargo shuffle run --sandbox shard --seed 5 --shards 4 --shard 1,2");
        assert_eq!(
            run.shard_command(2),
            "cargo shuffle run --sandbox shard --seed 5 --shards 4 --retries 0 --shard 2"
        );
        assert!(run.sandbox_per_shard());
        // Without --retries too: an override of the config file may retry.
        assert_eq!(
            RecordedRun("cargo shuffle run --config-file c.toml --seed 1 --shards 2")
                .shard_command(1),
            "cargo shuffle run --config-file c.toml --seed 1 --shards 2 --retries 0 --shard 1"
        );
    }
}
