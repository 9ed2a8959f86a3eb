//! What the runner is told: the validated execution options ([`ExecOptions`], built by the
//! application's configuration), the isolation mode, and the flag that stops a run. Kept apart
//! from the executor so that the executor and the sequence runner can both use them without
//! importing each other.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How to execute (validated; see `config`).
#[derive(Clone, Debug)]
pub(crate) struct ExecOptions {
    /// Worker threads, at least 1.
    pub(crate) jobs: usize,
    /// Per-test wall-time limit (TERM, then KILL after `grace`); `None` = no limit.
    pub(crate) timeout: Option<Duration>,
    /// Time between TERM and KILL on timeout or interrupt.
    pub(crate) grace: Duration,
    /// Wait for a test's output pipe to close after it exited before calling it leaky.
    pub(crate) leak_timeout: Duration,
    /// A leaky test that passed counts as failed (`--fail-leaky`).
    pub(crate) fail_leaky: bool,
    /// Reruns of a failing test, in place, until it passes (`--retries`).
    pub(crate) retries: u32,
    /// Keep each sequence's temporary directory (`--keep-sandbox`).
    pub(crate) keep_sandbox: bool,
    /// Whether the shards of a run share one temporary directory (`--sandbox`).
    pub(crate) sandbox: SandboxScope,
    /// Shell command run before each sequence (`--reset-cmd`).
    pub(crate) reset_cmd: Option<String>,
    /// One process per test, or per (shard, binary).
    pub(crate) isolation: Isolation,
    /// Recorded test durations, to start the longest shards first.
    pub(crate) history: crate::plan::history::Durations,
    /// The plan is an exact `--order`: in shared isolation its last test must run last.
    pub(crate) keep_last: bool,
    /// Output bytes kept from the start of each test's output.
    pub(crate) head_cap: usize,
    /// Output bytes kept from the end (where libtest's summary and panics are).
    pub(crate) tail_cap: usize,
    /// 1-based shards to run; empty = all.
    pub(crate) only_shards: Vec<u32>,
    /// `--max-fail` / `--fail-fast`: stop starting tests after this many failures; `None` =
    /// run to the end (the default, `--no-fail-fast`). Only the executor counts: triage reruns
    /// never stop for it.
    pub(crate) max_fail: Option<MaxFail>,
    /// Where tests' output goes (`--success-output`, `--no-capture`, …): the runner drops a
    /// passing test's output unless it is wanted, and streams output live under
    /// `--no-capture`.
    pub(crate) output: crate::runner::output::OutputSettings,
    /// `slow-timeout` of the profile: when a test counts as slow, and when it is stopped.
    pub(crate) slow_timeout: crate::runner::overrides::SlowTimeout,
    /// `[[profile.NAME.overrides]]`: per-test timeout, retries, leak timeout, slow timeout and
    /// test group (see [`ExecOptions::settings_for`]).
    pub(crate) overrides: crate::runner::overrides::Overrides,
    /// `[test-groups.NAME]`: one set of slots for every sequence run with a clone of these
    /// options (see [`crate::runner::groups`]).
    pub(crate) groups: Arc<crate::runner::groups::TestGroups>,
}

impl ExecOptions {
    /// The settings `test` runs with: the run's, changed by the first override matching it
    /// per setting.
    pub(crate) fn settings_for(
        &self,
        test: &crate::discover::list::TestCase,
    ) -> crate::runner::overrides::TestSettings {
        let run = crate::runner::overrides::TestSettings {
            timeout: self.timeout,
            retries: self.retries,
            leak_timeout: self.leak_timeout,
            slow_timeout: self.slow_timeout,
            test_group: None,
        };
        if self.overrides.0.is_empty() {
            return run;
        }
        self.overrides.settings_for(test, &run)
    }

    /// The test groups `tests` belong to, sorted, each once (a shared process holds a slot of
    /// each).
    pub(crate) fn test_groups_of(&self, tests: &[crate::discover::list::TestCase]) -> Vec<String> {
        if self.groups.is_empty() {
            return Vec::new();
        }
        let names: std::collections::BTreeSet<String> = tests
            .iter()
            .filter_map(|t| self.settings_for(t).test_group)
            .collect();
        names.into_iter().collect()
    }
}

/// `--max-fail N[:immediate]`: after `count` failing results (failed, crashed, timed out,
/// error; after `--retries`) no new test starts (in shared isolation: no new libtest process).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MaxFail {
    /// Failures that stop the run, at least 1.
    pub(crate) count: u32,
    /// Also stop the tests (shared isolation: the processes) still running, as an interrupt
    /// does; they are reported `interrupted`.
    pub(crate) immediate: bool,
}

/// Which sequences share a temporary directory (`TMPDIR`, `TMP`, `TEMP`): the sandbox that
/// keeps what tests leave on disk from outliving the run, and `--reset-cmd`'s unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum SandboxScope {
    /// One sandbox for the whole run, shared by every shard (`--sandbox run`, the default):
    /// state a polluter leaves reaches its victim whichever shard each runs in, as under
    /// `cargo test` and nextest, so one run exposes about half of all polluter→victim pairs
    /// instead of about `1/(2·shards)`. `--reset-cmd` runs once, before the first shard.
    #[default]
    Run,
    /// A fresh sandbox per shard (`--sandbox shard`): state stays inside its shard, so
    /// `--shard K` reproduces a shard's failures alone; `--reset-cmd` runs before each shard.
    /// Hunt runs and triage reruns always get one of their own.
    Shard,
}

/// How tests are isolated from each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Isolation {
    /// One process per test (like cargo-nextest): only state outside the process leaks.
    #[default]
    Process,
    /// One process per (shard, binary) with `--test-threads=1` (like `cargo test`, one thread):
    /// in-process state (statics, env vars, current dir) leaks to later tests too.
    Shared,
}

/// Set to stop the run between tests (Ctrl-C); tests already running finish or are killed by
/// the signal handler.
pub(crate) type CancelFlag = Arc<AtomicBool>;
