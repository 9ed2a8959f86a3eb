//! The event stream: the only thing the executor tells reporters. Everything a reporter writes
//! (terminal lines, JUnit, the JSON run record) is derived from these events.

use crate::discover::list::TestCase;
use crate::plan::seed::Seed;
use std::time::Duration;

/// How one test ended; its JSON name is [`Outcome::name`]. Everything but `Passed` and
/// `Ignored` fails the run (see [`Outcome::is_failure`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Outcome {
    /// Exit code 0 and libtest reported exactly one test run.
    Passed,
    /// Non-zero exit code (a panic gives 101).
    Failed,
    /// Killed by a signal it did not get from the runner (abort, segfault, ...).
    Crashed,
    /// Killed by the runner after `--timeout`.
    TimedOut,
    /// `#[ignore]`d and not selected to run.
    Ignored,
    /// The harness did not run exactly one test (e.g. `running 0 tests` and exit 0), or the
    /// binary could not be started: never counted as a pass.
    Error,
    /// Still running when the run was interrupted (Ctrl-C, SIGTERM, SIGHUP) and stopped by the
    /// runner: its output so far is kept, which tells which test a cancelled CI job hung in.
    Interrupted,
}

impl Outcome {
    /// Whether this outcome fails the run.
    pub(crate) fn is_failure(self) -> bool {
        !matches!(self, Outcome::Passed | Outcome::Ignored)
    }

    /// The outcome's name in the JSON record and the JUnit `type` attribute: `passed`,
    /// `failed`, `crashed`, `timed-out`, `ignored`, `error`, `interrupted`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Crashed => "crashed",
            Outcome::TimedOut => "timed-out",
            Outcome::Ignored => "ignored",
            Outcome::Error => "error",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// Upper-case label for the terminal (`PASS`, `FAIL`, `CRASH`, `TIMEOUT`, `IGNORE`, `ERROR`).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "PASS",
            Outcome::Failed => "FAIL",
            Outcome::Crashed => "CRASH",
            Outcome::TimedOut => "TIMEOUT",
            Outcome::Ignored => "IGNORE",
            Outcome::Error => "ERROR",
            Outcome::Interrupted => "INTERRUPTED",
        }
    }
}

/// The result of one test run.
#[derive(Clone, Debug)]
pub(crate) struct TestResult {
    /// The test that ran (or was ignored).
    pub(crate) test: TestCase,
    /// 1-based shard it ran in (0 for ignored tests that were not run).
    pub(crate) shard: u32,
    /// 0-based position in its shard.
    pub(crate) position: u32,
    /// 1-based worker (thread of `--jobs`) that ran it: the lane of the HTML timeline; 0 when
    /// unknown (an ignored test that did not run, a triage rerun, a record of an older version).
    pub(crate) worker: u32,
    /// How this attempt ended (the last one, with `--retries`).
    pub(crate) outcome: Outcome,
    /// Exit code, when it exited normally.
    pub(crate) exit_code: Option<i32>,
    /// Signal name (`SIGSEGV`), when it was killed by one.
    pub(crate) signal: Option<String>,
    /// A process it started held its output open after it exited (killed by the runner).
    pub(crate) leaked: bool,
    /// Start, in milliseconds since the run started.
    pub(crate) start_ms: u64,
    /// End, in milliseconds since the run started.
    pub(crate) end_ms: u64,
    /// Wall time of the test process (libtest's own `exec_time` in shared isolation).
    pub(crate) duration: Duration,
    /// One-paragraph reason for a non-pass (panic message, signal, timeout), if any.
    pub(crate) message: Option<String>,
    /// Captured output (stdout and stderr interleaved), lossily decoded, not yet cleaned; capped.
    pub(crate) output: String,
    /// Bytes the test wrote in all, kept or not.
    pub(crate) output_bytes: u64,
    /// Bytes not kept because of the cap.
    pub(crate) output_dropped: u64,
    /// Failed attempts before this one (`--retries`), oldest first. A passing result with
    /// failed attempts is flaky.
    pub(crate) previous_attempts: Vec<Attempt>,
    /// Failed, but is a known order-dependent or flaky test of the baseline: not counted by
    /// the gate.
    pub(crate) quarantined: bool,
    /// Its sequence's temporary directory, when kept (`--keep-sandbox`).
    pub(crate) sandbox: Option<std::path::PathBuf>,
    /// It ran longer than its `slow-timeout` period.
    pub(crate) slow: bool,
}

impl TestResult {
    /// The one constructor: `test` ended with `outcome`, and nothing else is known yet (shard
    /// and position 0, no exit status, no times, no message, no output, no attempts). The
    /// `with_*` setters fill in the rest; an ignored test that was not run is just
    /// `TestResult::new(test, Outcome::Ignored)`.
    pub(crate) fn new(test: TestCase, outcome: Outcome) -> TestResult {
        TestResult {
            test,
            shard: 0,
            position: 0,
            worker: 0,
            outcome,
            exit_code: None,
            signal: None,
            leaked: false,
            start_ms: 0,
            end_ms: 0,
            duration: Duration::ZERO,
            message: None,
            output: String::new(),
            output_bytes: 0,
            output_dropped: 0,
            previous_attempts: Vec::new(),
            quarantined: false,
            sandbox: None,
            slow: false,
        }
    }

    /// Where it ran: 1-based `shard`, 0-based `position` in it.
    pub(crate) fn with_place(mut self, shard: u32, position: u32) -> TestResult {
        self.shard = shard;
        self.position = position;
        self
    }

    /// The reason for a non-pass (`None` leaves it unset).
    pub(crate) fn with_message(mut self, message: Option<String>) -> TestResult {
        self.message = message;
        self
    }

    /// When it ran: start and end in milliseconds since the run started, and its wall time
    /// (measured separately: the process's own, or libtest's `exec_time`).
    pub(crate) fn with_times(
        mut self,
        start_ms: u64,
        end_ms: u64,
        duration: Duration,
    ) -> TestResult {
        self.start_ms = start_ms;
        self.end_ms = end_ms;
        self.duration = duration;
        self
    }

    /// What it printed: `text` as kept, `total` bytes written in all, `dropped` bytes not kept
    /// because of the cap. The sequence runner empties a passing test's text unless the output
    /// settings want it (`--success-output`, `--junit-store-success-output`), which keeps
    /// memory flat; its byte counts stay.
    pub(crate) fn with_output(mut self, text: String, total: u64, dropped: u64) -> TestResult {
        self.output = text;
        self.output_bytes = total;
        self.output_dropped = dropped;
        self
    }

    /// How its process ended: the exit code if it exited, the signal name if it was killed, and
    /// whether a process it started held its output open after it exited.
    pub(crate) fn with_exit(
        mut self,
        exit_code: Option<i32>,
        signal: Option<String>,
        leaked: bool,
    ) -> TestResult {
        self.exit_code = exit_code;
        self.signal = signal;
        self.leaked = leaked;
        self
    }

    /// Passed only on a retry: flaky (non-deterministic in the same place of the same order).
    pub(crate) fn is_flaky(&self) -> bool {
        self.outcome == Outcome::Passed && !self.previous_attempts.is_empty()
    }
}

/// A failed attempt of a test that was retried; in the run record's `failed_attempts` as
/// `{"outcome", "message", "duration_ms"}` (the output is not written, and reads back empty).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Attempt {
    /// How the failed attempt ended (never `Passed`).
    pub(crate) outcome: Outcome,
    /// Reason, as in [`TestResult::message`].
    pub(crate) message: Option<String>,
    /// Wall time of the attempt, milliseconds (fractional).
    pub(crate) duration_ms: f64,
    /// Captured output (capped like every test's); not in the JSON record.
    #[serde(skip)]
    pub(crate) output: String,
}

impl From<&TestResult> for Attempt {
    fn from(r: &TestResult) -> Attempt {
        Attempt {
            outcome: r.outcome,
            message: r.message.clone(),
            duration_ms: r.duration.as_secs_f64() * 1000.0,
            output: r.output.clone(),
        }
    }
}

/// One event of a run, in the order the executor produced it.
#[derive(Clone, Debug)]
pub(crate) enum RunEvent {
    /// The run is about to start.
    RunStarted {
        /// The plan's seed, printed first so that the run can be reproduced.
        seed: Seed,
        /// Shards in the plan (all of them, even with `--shard` selecting some).
        shard_count: u32,
        /// Tests that will run in the selected shards (ignored tests not counted).
        test_count: usize,
        /// Worker threads, each running one shard at a time (`--jobs`).
        jobs: usize,
    },
    /// A test process is starting.
    TestStarted {
        /// The test about to start.
        test: TestCase,
        /// 1-based shard it runs in.
        shard: u32,
    },
    /// A test has been running longer than a whole number of its `slow-timeout` periods
    /// (sent once per period while it runs; not in triage reruns).
    TestSlow {
        /// The running test.
        test: TestCase,
        /// 1-based shard it runs in.
        shard: u32,
        /// How long it has run: a multiple of its period.
        elapsed: Duration,
        /// Its `slow-timeout` has `terminate-after`: it will be stopped as timed out.
        will_terminate: bool,
    },
    /// A test finished (or was reported ignored).
    TestFinished(Box<TestResult>),
    /// `--no-capture`: one line a running test printed, as it printed it (the runner's own
    /// run only, never triage reruns).
    TestOutput {
        /// The test that printed it.
        test: TestCase,
        /// The line, without its newline, lossily decoded, not yet cleaned.
        line: String,
    },
    /// All selected shards finished, or the run was interrupted.
    RunFinished {
        /// Wall time of the execution phase.
        elapsed: Duration,
        /// True when the run was stopped early (Ctrl-C, signal): some planned tests did not run.
        interrupted: bool,
        /// True when `--max-fail` failures stopped the run from starting more tests (not an
        /// interrupt): some planned tests may not have run.
        max_fail_reached: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_are_the_json_names() {
        use Outcome::*;
        for o in [
            Passed,
            Failed,
            Crashed,
            TimedOut,
            Ignored,
            Error,
            Interrupted,
        ] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.name());
        }
    }
}
