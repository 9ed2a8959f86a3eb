//! Shared-process isolation (`--isolation shared`): inside a shard, the tests of one binary run
//! in one process with `--test-threads=1`, as `cargo test` runs them, so that state tests leave
//! in the process (statics, `set_var`, the current directory, loggers) reaches the tests after
//! them. libtest cannot be told an order, but its seeded shuffle can be predicted (see
//! `libtest`): each process gets a seed derived from the run seed, and the order libtest
//! reports in its JSON events is what is recorded. A crash, abort or timeout kills the process:
//! it is attributed to the running test and the remaining tests resume in a new process.

use std::fmt::Write as _;
pub(crate) mod libtest;

use crate::discover::TestBinary;
use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::plan::key;
use crate::plan::seed::Seed;
use crate::runner::output::failure_message;
use crate::runner::process::{self, ProcessSpec, Watch};
use libtest::Event;
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

/// Key half for the libtest seed of each (shard, binary) process (ASCII `shuf-lts`).
pub(crate) const LIBTEST_DOMAIN: u64 = u64::from_be_bytes(*b"shuf-lts");

/// How many seeds to try (by prediction) to put a test last; libtest needs about n.
const SEED_SEARCH: u64 = 1_000_000;

/// Expected seed tries allowed for keeping a suffix of a sequence in order (see
/// `libtest::feasible_suffix`); `SEED_SEARCH` leaves a 10× margin.
const SUFFIX_TRIES: u64 = 20_000;

/// The tests of one binary that one process runs, in the order libtest is predicted to run
/// them under `seed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    /// Binary id.
    pub(crate) binary_id: String,
    /// libtest's `--shuffle-seed` for the process.
    pub(crate) seed: u64,
    /// Tests in predicted order.
    pub(crate) tests: Vec<TestCase>,
}

/// Bytes of `--exact` test names one process may take: Linux allows about 2 MiB of arguments
/// and environment together; the rest is left to the environment.
const NAME_BYTES: usize = 512 * 1024;

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
    let mut order: Vec<&str> = Vec::new();
    let mut by_bin: HashMap<&str, Vec<&TestCase>> = HashMap::new();
    for t in tests {
        if !by_bin.contains_key(t.binary_id.as_str()) {
            order.push(&t.binary_id);
        }
        by_bin.entry(&t.binary_id).or_default().push(t);
    }
    let last = tests.last().filter(|_| last_last);
    if let Some(l) = last {
        order.retain(|b| *b != l.binary_id);
        order.push(&l.binary_id);
    }
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
            // The first (usually only) process of a binary keeps the seed it always had.
            let salt = if k == 0 {
                shard.to_string()
            } else {
                format!("{shard}/{k}")
            };
            let mut seed = key(run_seed, LIBTEST_DOMAIN, bin, &salt);
            if last.is_some() && i == last_chunk {
                // The sequence's last test last, and as many of the tests before it in their
                // given order as a seed search can afford (the whole order for up to 7 tests):
                // a cleaner given between polluter and victim must stay between them.
                let l = libtest::feasible_suffix(names.len(), SUFFIX_TRIES);
                let found =
                    libtest::seed_with_suffix(&names, &names[names.len() - l..], seed, SEED_SEARCH)
                        .or_else(|| {
                            libtest::seed_putting_last(
                                &names,
                                names[names.len() - 1],
                                seed,
                                SEED_SEARCH,
                            )
                        });
                if let Some(s) = found {
                    seed = s;
                }
            }
            let predicted = libtest::predict_order(seed, &names);
            let by_name: HashMap<&str, &TestCase> =
                members.iter().map(|t| (t.name.as_str(), *t)).collect();
            Group {
                binary_id: bin.to_string(),
                seed,
                tests: predicted
                    .iter()
                    .filter_map(|n| by_name.get(n.as_str()).map(|t| (*t).clone()))
                    .collect(),
            }
        })
        .collect()
}

/// How a group run ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GroupEnd {
    /// Every test was reported.
    Done,
    /// The run was interrupted.
    Interrupted,
    /// The harness refused the flags: these tests were not run.
    Refused(Vec<TestCase>),
}

/// What a group run needs from the sequence runner.
pub(crate) struct GroupContext<'a> {
    /// The binary.
    pub(crate) bin: &'a TestBinary,
    /// Environment for the process (binary env + seed/shard + sandbox).
    pub(crate) env: Vec<(OsString, OsString)>,
    /// Per-test timeout.
    pub(crate) timeout: Option<Duration>,
    /// TERM→KILL grace.
    pub(crate) grace: Duration,
    /// Leak timeout.
    pub(crate) leak_timeout: Duration,
    /// Interrupt flag.
    pub(crate) cancel: &'a std::sync::atomic::AtomicBool,
    /// Watchdog.
    pub(crate) watchdog: &'a crate::runner::watchdog::Watchdog,
    /// Run start, for start/end times.
    pub(crate) t0: Instant,
    /// Shard number for results.
    pub(crate) shard: u32,
    /// Number of runnable (non-ignored) tests the binary has: a process that runs all of them
    /// needs no name filters (which also keeps huge binaries under the OS's argument limit).
    pub(crate) binary_tests: Option<usize>,
}

/// Follows one shared process: parses libtest's JSON events as they arrive, reports each
/// finished test at once, and gives the running test its own deadline.
struct GroupWatch<'a, 'f> {
    ctx: &'a GroupContext<'a>,
    by_name: HashMap<String, TestCase>,
    line: Vec<u8>,
    suite_started: bool,
    current: Option<(String, Instant)>,
    raw_since_start: String,
    done: Vec<String>,
    next_position: &'a mut u32,
    on_result: &'f mut dyn FnMut(TestResult),
    on_start: &'f mut dyn FnMut(&TestCase),
    /// The running test's result event, held until the next event: libtest prints its own
    /// result after everything the test printed, so a result line the test wrote itself (a
    /// fake `ok`, raw on stdout) is replaced by libtest's real one.
    pending: Option<Pending>,
    /// libtest's closing suite event was seen: the process ended normally.
    suite_finished: bool,
}

/// A result event waiting for the next event (see `GroupWatch::pending`).
struct Pending {
    name: String,
    event: String,
    exec: Option<f64>,
    output: String,
}

impl GroupWatch<'_, '_> {
    fn finish(&mut self, name: &str, event: &str, exec: Option<f64>, output: String) {
        let Some(test) = self.by_name.get(name).cloned() else {
            return;
        };
        let started = self
            .current
            .take()
            .filter(|(n, _)| n == name)
            .map(|(_, t)| t)
            .unwrap_or_else(Instant::now);
        let outcome = match event {
            "ok" => Outcome::Passed,
            "ignored" => Outcome::Ignored,
            _ => Outcome::Failed,
        };
        let message = (outcome == Outcome::Failed).then(|| {
            failure_message(&output, true).unwrap_or_else(|| format!("libtest reported `{event}`"))
        });
        let duration = exec
            .map(Duration::from_secs_f64)
            .unwrap_or_else(|| started.elapsed());
        let r = result(
            self.ctx,
            test,
            *self.next_position,
            outcome,
            started,
            duration,
            message,
            output,
        );
        *self.next_position += 1;
        self.done.push(name.to_string());
        self.raw_since_start.clear();
        (self.on_result)(r);
    }

    /// Reports the held result, if any.
    fn commit(&mut self) {
        if let Some(p) = self.pending.take() {
            self.finish(&p.name, &p.event, p.exec, p.output);
        }
    }

    fn handle_line(&mut self, line: &str) {
        // Output a test (or its child) wrote without a final newline runs into libtest's next
        // event on the same line: split the raw prefix off the event.
        let (raw, line) = match line.rfind("{ \"type\": \"") {
            Some(i) if i > 0 && libtest::parse_line(line).is_none() => line.split_at(i),
            _ => ("", line),
        };
        if !raw.is_empty() {
            self.handle_line(raw);
        }
        match libtest::parse_line(line) {
            Some(Event::SuiteStarted) => self.suite_started = true,
            Some(Event::SuiteFinished) => {
                self.commit();
                self.suite_finished = true;
            }
            Some(Event::Started(name)) => {
                self.commit();
                if let Some(t) = self.by_name.get(&name) {
                    (self.on_start)(t);
                }
                self.current = Some((name, Instant::now()));
                self.raw_since_start.clear();
            }
            Some(Event::Finished {
                name,
                event,
                exec_time,
                output,
            }) => {
                // libtest's own "running for over 60 s" note is not an end; and with one test
                // thread, only the running test can finish (a test printing a fake event line
                // for another test is just output).
                let running = self.current.as_ref().is_some_and(|(n, _)| *n == name);
                if event == "timeout" {
                } else if running {
                    self.pending = Some(Pending {
                        name,
                        event,
                        exec: exec_time,
                        output,
                    });
                } else {
                    self.commit();
                    if self.current.is_none() && event == "ignored" {
                        self.finish(&name, &event, exec_time, output);
                    } else {
                        self.handle_line_raw(line);
                    }
                }
            }
            None => self.handle_line_raw(line),
        }
    }

    /// Output written straight to the file descriptor (the runtime's abort message, child
    /// processes): it belongs to the running test.
    fn handle_line_raw(&mut self, line: &str) {
        if self.raw_since_start.len() < 64 * 1024 {
            self.raw_since_start.push_str(line);
            self.raw_since_start.push('\n');
        }
    }
}

impl Watch for GroupWatch<'_, '_> {
    fn data(&mut self, mut bytes: &[u8]) {
        loop {
            let (chunk, rest, complete) = match memchr::memchr(b'\n', bytes) {
                Some(i) => (&bytes[..i], &bytes[i + 1..], true),
                None => (bytes, &[][..], false),
            };
            // Keep at most MAX_LINE bytes of a line (its head holds the name and event).
            let room = libtest::MAX_LINE.saturating_sub(self.line.len());
            self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if !complete {
                break;
            }
            let line = std::mem::take(&mut self.line);
            self.handle_line(&String::from_utf8_lossy(&line));
            bytes = rest;
        }
    }

    fn deadline(&self) -> Option<Instant> {
        let t = self.ctx.timeout?;
        self.current.as_ref().map(|(_, start)| *start + t)
    }
}

#[allow(clippy::too_many_arguments)]
fn result(
    ctx: &GroupContext<'_>,
    test: TestCase,
    position: u32,
    outcome: Outcome,
    started: Instant,
    duration: Duration,
    message: Option<String>,
    output: String,
) -> TestResult {
    let ms = |t: Instant| t.saturating_duration_since(ctx.t0).as_millis() as u64;
    TestResult {
        test,
        shard: ctx.shard,
        position,
        outcome,
        exit_code: None,
        signal: None,
        leaked: false,
        start_ms: ms(started),
        end_ms: ms(Instant::now()),
        duration,
        message,
        output_bytes: output.len() as u64,
        output: if outcome == Outcome::Passed {
            String::new()
        } else {
            output
        },
        output_dropped: 0,
        previous_attempts: Vec::new(),
        quarantined: false,
        sandbox: None,
    }
}

/// Runs one group in as many processes as it takes: the first with the group's seed; after a
/// crash or timeout, the tests not yet run resume in a new process (whose seed again puts the
/// group's last test last). Reports every test exactly once through `on_result`, in the order
/// they ran, numbering positions from `*position`, except the tests of a harness that refuses the
/// flags, which are handed back. `warn` receives one-line warnings.
pub(crate) fn run_group(
    ctx: &GroupContext<'_>,
    group: &Group,
    position: &mut u32,
    on_start: &mut dyn FnMut(&TestCase),
    on_result: &mut dyn FnMut(TestResult),
    warn: &mut dyn FnMut(String),
) -> GroupEnd {
    let last = group.tests.last().map(|t| t.name.clone());
    let mut remaining: Vec<TestCase> = group.tests.clone();
    let mut seed = group.seed;
    let mut attempt: u64 = 0;
    while !remaining.is_empty() {
        if ctx.cancel.load(std::sync::atomic::Ordering::SeqCst) {
            return GroupEnd::Interrupted;
        }
        let names: Vec<&str> = remaining.iter().map(|t| t.name.as_str()).collect();
        if attempt > 0 {
            let base = key(
                Seed(group.seed),
                LIBTEST_DOMAIN,
                "resume",
                &attempt.to_string(),
            );
            seed = last
                .as_deref()
                .filter(|l| names.contains(l))
                .and_then(|l| libtest::seed_putting_last(&names, l, base, SEED_SEARCH))
                .unwrap_or(base);
        }
        let whole =
            ctx.binary_tests == Some(remaining.len()) && !remaining.iter().any(|t| t.ignored);
        let mut args: Vec<OsString> = Vec::new();
        if !whole {
            args.push("--exact".into());
            args.extend(names.iter().map(OsString::from));
        }
        args.extend(
            [
                "--test-threads=1",
                "-Z",
                "unstable-options",
                "--format",
                "json",
                "--report-time",
                "--shuffle-seed",
            ]
            .map(OsString::from),
        );
        args.push(seed.to_string().into());
        if remaining.iter().any(|t| t.ignored) {
            args.push("--include-ignored".into());
        }
        let mut env = ctx.env.clone();
        // A stable-built test binary accepts libtest's unstable flags with this set.
        env.push(("RUSTC_BOOTSTRAP".into(), "1".into()));
        let spec = ProcessSpec {
            program: ctx.bin.program(),
            args: ctx.bin.args_with(args),
            cwd: &ctx.bin.cwd,
            env,
            timeout: None,
            grace: ctx.grace,
            leak_timeout: ctx.leak_timeout,
            head_cap: 16 * 1024,
            tail_cap: 64 * 1024,
            cancel: ctx.cancel,
            watchdog: ctx.watchdog,
        };
        let mut watch = GroupWatch {
            ctx,
            by_name: remaining
                .iter()
                .map(|t| (t.name.clone(), t.clone()))
                .collect(),
            line: Vec::new(),
            suite_started: false,
            current: None,
            raw_since_start: String::new(),
            done: Vec::new(),
            next_position: position,
            on_result,
            on_start,
            pending: None,
            suite_finished: false,
        };
        let outcome = process::run(&spec, &mut watch);
        if !watch.line.is_empty() {
            let line = String::from_utf8_lossy(&std::mem::take(&mut watch.line)).into_owned();
            watch.handle_line(&line);
        }
        // A held result stands only if libtest then closed the suite (the next test's start
        // commits it otherwise). If the process died first (a signal, a timeout,
        // `process::exit`), the result line may have been the test's own: the test is judged by
        // how the process ended, below.
        if watch.suite_finished {
            watch.commit();
        } else {
            watch.pending = None;
        }
        let r = match outcome {
            Ok(r) => r,
            Err(e) => {
                let mut msg = format!(
                    "could not start test binary {}: {e}",
                    ctx.bin.describe_path()
                );
                if e.raw_os_error() == Some(libc::E2BIG) {
                    let _ = write!(
                        msg,
                        "; its {} test names (--exact filters) are too long for one process: use more --shards, or --isolation process",
                        names.len()
                    );
                }
                let rest = std::mem::take(&mut remaining);
                all_errors(ctx, rest, watch.next_position, watch.on_result, &msg, "");
                return GroupEnd::Done;
            }
        };
        if r.interrupted {
            // The test that was running tells which one a cancelled job hung in.
            if let Some((name, started)) = watch.current.take()
                && let Some(test) = watch.by_name.get(&name).cloned()
            {
                let msg = format!(
                    "still running after {:.1}s when the run was interrupted; its process was stopped",
                    started.elapsed().as_secs_f64()
                );
                let output = std::mem::take(&mut watch.raw_since_start);
                let res = result(
                    ctx,
                    test,
                    *watch.next_position,
                    Outcome::Interrupted,
                    started,
                    started.elapsed(),
                    Some(msg),
                    output,
                );
                *watch.next_position += 1;
                (watch.on_result)(res);
            }
            return GroupEnd::Interrupted;
        }
        if !watch.suite_started {
            // A custom harness that does not speak libtest's JSON/shuffle flags (libtest-mimic
            // takes a single filter): its tests cannot share a process under our control.
            warn(format!(
                "test binary `{}` refused libtest's JSON and shuffle flags ({}); its tests run one per process instead",
                ctx.bin.id,
                process::describe_status(r.status)
            ));
            let rest: Vec<TestCase> = remaining
                .iter()
                .filter(|t| !watch.done.contains(&t.name))
                .cloned()
                .collect();
            return GroupEnd::Refused(rest);
        }
        // The test that was running when the process ended did not finish: it crashed, timed
        // out, or ended the process itself.
        if let Some((name, started)) = watch.current.take()
            && let Some(test) = watch.by_name.get(&name).cloned()
        {
            let (outcome, message) = if r.timed_out {
                (
                    Outcome::TimedOut,
                    format!(
                        "timed out after {:.1}s (--timeout); its process was killed",
                        ctx.timeout.unwrap_or_default().as_secs_f64()
                    ),
                )
            } else if let Some(sig) = r.status.signal() {
                (
                    Outcome::Crashed,
                    format!(
                        "killed by {} (the whole shared process died)",
                        process::signal_name(sig)
                    ),
                )
            } else if r.status.code().is_some_and(|c| c != 0) {
                // As in process isolation: a test that exits non-zero failed.
                (
                    Outcome::Failed,
                    format!(
                        "the test ended its process ({}); the remaining tests resumed in a new one",
                        process::describe_status(r.status)
                    ),
                )
            } else {
                (
                    Outcome::Error,
                    format!(
                        "the shared process ended ({}) while this test ran, before libtest reported a result",
                        process::describe_status(r.status)
                    ),
                )
            };
            let output = std::mem::take(&mut watch.raw_since_start);
            let mut res = result(
                ctx,
                test,
                *watch.next_position,
                outcome,
                started,
                started.elapsed(),
                Some(message),
                output,
            );
            res.signal = r.status.signal().map(process::signal_name);
            res.exit_code = r.status.code();
            *watch.next_position += 1;
            watch.done.push(name);
            (watch.on_result)(res);
        }
        let done = std::mem::take(&mut watch.done);
        let before = remaining.len();
        remaining.retain(|t| !done.contains(&t.name));
        if remaining.len() == before {
            // The process ran nothing: give up on these rather than loop.
            let msg = format!(
                "the shared process ended ({}) before running this test",
                process::describe_status(r.status)
            );
            let rest = std::mem::take(&mut remaining);
            all_errors(ctx, rest, position, on_result, &msg, &r.output.to_text());
        }
        attempt += 1;
    }
    GroupEnd::Done
}

/// Reports every test of `tests` as an error with `msg` (the process could not run them).
fn all_errors(
    ctx: &GroupContext<'_>,
    tests: Vec<TestCase>,
    position: &mut u32,
    on_result: &mut dyn FnMut(TestResult),
    msg: &str,
    output: &str,
) {
    for t in tests {
        let res = result(
            ctx,
            t,
            *position,
            Outcome::Error,
            Instant::now(),
            Duration::ZERO,
            Some(msg.to_string()),
            output.to_string(),
        );
        *position += 1;
        on_result(res);
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
