//! Following one shared process: [`GroupWatch`] parses libtest's JSON events as they arrive
//! (see `libtest::parse_line`), reports each finished test at once, gives the running test its
//! own deadline, and keeps what the running test wrote straight to the file descriptor so that
//! a crash can be attributed to it with its output.

use crate::discover::list::TestCase;
use crate::events::{Outcome, TestResult};
use crate::runner::output::failure_message;
use crate::runner::process::Watch;
use crate::runner::shared::libtest::{self, Event};
use std::collections::HashMap;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// Raw output kept for the running test, bytes: enough for an abort message and a backtrace.
const RAW_CAP: usize = 64 * 1024;

/// Where a group's results go: the shard and the clock they are reported against, and the
/// per-test timeout that sets the running test's deadline.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WatchPlace {
    /// 1-based shard, recorded in every result.
    pub(crate) shard: u32,
    /// Start of the run: results' start and end times count from here.
    pub(crate) t0: Instant,
    /// Per-test limit, from the moment libtest reports the test started; `None` = no limit.
    pub(crate) timeout: Option<Duration>,
}

/// Follows one shared process: parses libtest's JSON events as they arrive, reports each
/// finished test at once, and gives the running test its own deadline.
pub(crate) struct GroupWatch<'a, 'f> {
    /// Shard, clock and timeout of the results.
    place: WatchPlace,
    /// The tests this process was asked to run, by name.
    by_name: HashMap<String, TestCase>,
    /// The line being read (bytes after the last newline), capped at `libtest::MAX_LINE`.
    line: Vec<u8>,
    /// libtest's opening suite event was seen: the harness accepted the flags.
    suite_started: bool,
    /// The running test and when libtest reported it started.
    current: Option<(String, Instant)>,
    /// Raw (non-JSON) output since the running test started, capped at [`RAW_CAP`].
    raw_since_start: String,
    /// Names of the tests reported so far, in order.
    done: Vec<String>,
    /// Position the next reported result gets in its shard; advanced per result.
    next_position: &'a mut u32,
    /// Gets each result as soon as it is known.
    on_result: &'f mut dyn FnMut(TestResult),
    /// Hears of each test libtest starts.
    on_start: &'f mut dyn FnMut(&TestCase),
    /// The running test's result event, held until the next event: libtest prints its own
    /// result after everything the test printed, so a result line the test wrote itself (a
    /// fake `ok`, raw on stdout) is replaced by libtest's real one.
    pending: Option<Pending>,
    /// libtest's closing suite event was seen: the process ended normally.
    suite_finished: bool,
    /// Set when libtest reported a test this process was not asked to run, or one it had
    /// reported already: the events after it are ignored and the tests not reported yet are
    /// errors with this message (see [`GroupWatch::misreport`]).
    misreport: Option<String>,
    /// `--no-capture`: gets each raw line while a test runs, credited to it.
    live: Option<&'f crate::runner::output::LiveSink<'f>>,
    /// Tests with a limit of their own instead of `place.timeout`, by name: the limit and the
    /// message of its timeout (see [`GroupWatch::with_limits`]).
    limits: HashMap<String, (Duration, String)>,
    /// SLOW notices for the running test, when there is an event stream to send them to.
    slow: Option<crate::runner::slow::SharedSlow>,
}

/// A result event waiting for the next event (see `GroupWatch::pending`).
struct Pending {
    /// Test name.
    name: String,
    /// libtest's event word (`ok`, `failed`, `ignored`).
    event: String,
    /// libtest's `exec_time`, seconds.
    exec: Option<f64>,
    /// What libtest captured for it.
    output: String,
}

impl<'a, 'f> GroupWatch<'a, 'f> {
    /// A watch for a process that runs `tests`, numbering results from `*next_position`;
    /// `on_start` hears of each test libtest starts, `on_result` gets each result.
    pub(crate) fn new(
        place: WatchPlace,
        tests: &[TestCase],
        next_position: &'a mut u32,
        on_start: &'f mut dyn FnMut(&TestCase),
        on_result: &'f mut dyn FnMut(TestResult),
    ) -> GroupWatch<'a, 'f> {
        GroupWatch {
            place,
            by_name: tests.iter().map(|t| (t.name.clone(), t.clone())).collect(),
            line: Vec::new(),
            suite_started: false,
            current: None,
            raw_since_start: String::new(),
            done: Vec::new(),
            next_position,
            on_result,
            on_start,
            pending: None,
            suite_finished: false,
            misreport: None,
            live: None,
            limits: HashMap::new(),
            slow: None,
        }
    }

    /// The same watch, streaming each raw line (what the running test printed under
    /// `--nocapture`) to `live` as it comes.
    pub(crate) fn with_live_output(
        mut self,
        live: Option<&'f crate::runner::output::LiveSink<'f>>,
    ) -> Self {
        self.live = live;
        self
    }

    /// Why this process's events cannot be trusted, if they cannot: libtest reported a test it
    /// was not asked to run, or one it had reported already. The tests it had not reported yet
    /// are then errors with this message (not resumed in a new process).
    pub(crate) fn misreport(&self) -> Option<&str> {
        self.misreport.as_deref()
    }

    /// Whether libtest closed its suite normally (its final `ok`/`failed` suite event).
    pub(crate) fn suite_finished(&self) -> bool {
        self.suite_finished
    }

    /// Notes that libtest reported `name` (with `event`), which this process cannot report:
    /// not one of its tests, or one reported already. The first such event counts.
    fn misreported(&mut self, name: &str, event: &str) {
        if self.misreport.is_some() {
            return;
        }
        let why = if self.by_name.contains_key(name) {
            "which it had reported already".to_string()
        } else {
            format!(
                "which is not one of the {} tests this process was asked to run (--exact)",
                self.by_name.len()
            )
        };
        self.misreport = Some(format!(
            "the harness reported a `{event}` event for `{name}`, {why}: its later events are not trusted and this test was never reported"
        ));
    }

    /// Whether libtest's opening suite event was seen (the harness accepted the flags).
    pub(crate) fn suite_started(&self) -> bool {
        self.suite_started
    }

    /// Names of the tests reported so far.
    pub(crate) fn done(&self) -> &[String] {
        &self.done
    }

    /// After the process ended: handles an unterminated last line, then settles the held
    /// result. It stands only if libtest then closed the suite (the next test's start commits
    /// it otherwise). If the process died first (a signal, a timeout, `process::exit`), the
    /// result line may have been the test's own: the test is judged by how the process ended.
    pub(crate) fn close(&mut self) {
        if !self.line.is_empty() {
            let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
            self.handle_line(&line);
        }
        if self.suite_finished {
            self.commit();
        } else {
            self.pending = None;
        }
    }

    /// Reports the test running when the run was interrupted (or `--max-fail N:immediate`
    /// stopped it; `reason` says which) as [`Outcome::Interrupted`], with its raw output: it
    /// tells which test a cancelled job hung in.
    pub(crate) fn report_interrupted(&mut self, reason: &str) {
        let Some((test, started)) = self.take_running() else {
            return;
        };
        let msg = format!(
            "still running after {:.1}s {reason}; its process was stopped",
            started.elapsed().as_secs_f64()
        );
        let output = std::mem::take(&mut self.raw_since_start);
        let r = self.result(
            test,
            Outcome::Interrupted,
            started,
            started.elapsed(),
            Some(msg),
            output,
        );
        self.report(r);
    }

    /// Reports the test running when the process ended (it did not finish) as `outcome` with
    /// `message`, its raw output and the process's exit `status`.
    pub(crate) fn report_unfinished(
        &mut self,
        outcome: Outcome,
        message: String,
        status: ExitStatus,
    ) {
        use std::os::unix::process::ExitStatusExt;
        let Some((test, started)) = self.take_running() else {
            return;
        };
        let name = test.name.clone();
        let output = std::mem::take(&mut self.raw_since_start);
        let r = self
            .result(
                test,
                outcome,
                started,
                started.elapsed(),
                Some(message),
                output,
            )
            .with_exit(
                status.code(),
                status.signal().map(crate::runner::process::signal_name),
                false,
            );
        self.done.push(name);
        self.report(r);
    }

    /// Reports every test of `tests` as an error with `msg` (the process could not run them),
    /// with `output` as each one's output.
    pub(crate) fn report_errors(&mut self, tests: Vec<TestCase>, msg: &str, output: &str) {
        for t in tests {
            let r = self.result(
                t,
                Outcome::Error,
                Instant::now(),
                Duration::ZERO,
                Some(msg.to_string()),
                output.to_string(),
            );
            self.report(r);
        }
    }

    /// The running test, if it is one of this process's, taken (no test is running after).
    fn take_running(&mut self) -> Option<(TestCase, Instant)> {
        let (name, started) = self.current.take()?;
        let test = self.by_name.get(&name).cloned()?;
        Some((test, started))
    }

    /// The same watch, giving the tests of `limits` (by name) their own limit instead of the
    /// place's timeout (overrides; see `runner::slow::limits`).
    pub(crate) fn with_limits(mut self, limits: HashMap<String, (Duration, String)>) -> Self {
        self.limits = limits;
        self
    }

    /// The same watch, sending SLOW notices through `slow`.
    pub(crate) fn with_slow(mut self, slow: Option<crate::runner::slow::SharedSlow>) -> Self {
        self.slow = slow;
        self
    }

    /// The own limit of the running test and the message of its timeout, if it has one.
    pub(crate) fn running_limit(&self) -> Option<&(Duration, String)> {
        self.limits.get(&self.current.as_ref()?.0)
    }

    /// Hands `r` on at the next position.
    fn report(&mut self, r: TestResult) {
        *self.next_position += 1;
        (self.on_result)(r);
    }

    /// The result of `test` at the next position; its output counts as all kept (libtest hands
    /// over what it captured, the runner caps only the raw part).
    fn result(
        &self,
        test: TestCase,
        outcome: Outcome,
        started: Instant,
        duration: Duration,
        message: Option<String>,
        output: String,
    ) -> TestResult {
        let ms = |t: Instant| t.saturating_duration_since(self.place.t0).as_millis() as u64;
        let bytes = output.len() as u64;
        TestResult::new(test, outcome)
            .with_place(self.place.shard, *self.next_position)
            .with_times(ms(started), ms(Instant::now()), duration)
            .with_message(message)
            .with_output(output, bytes, 0)
    }

    /// Reports the test `name` as libtest's `event` says (`ok`, `ignored`, else failed), with
    /// libtest's `exec` time when given, else the time since it started.
    fn finish(&mut self, name: &str, event: &str, exec: Option<f64>, captured: String) {
        let Some(test) = self.by_name.get(name).cloned() else {
            return;
        };
        let started = self
            .current
            .take()
            .filter(|(n, _)| n == name)
            .map(|(_, t)| t)
            .unwrap_or_else(Instant::now);
        // What the test wrote past libtest's capture (a child process, a direct write to the
        // descriptor, everything under `--nocapture`) came first, as raw lines; then what
        // libtest captured.
        let mut output = std::mem::take(&mut self.raw_since_start);
        output.push_str(&captured);
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
        let r = self.result(test, outcome, started, duration, message, output);
        self.done.push(name.to_string());
        self.raw_since_start.clear();
        self.report(r);
    }

    /// Reports the held result, if any.
    fn commit(&mut self) {
        if let Some(p) = self.pending.take() {
            self.finish(&p.name, &p.event, p.exec, p.output);
        }
    }

    /// One line of the process's output: a libtest event, or raw output of the running test.
    fn handle_line(&mut self, line: &str) {
        if self.misreport.is_some() {
            // Nothing after a misreported event is credited: it is all output.
            return self.handle_line_raw(line);
        }
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
            Some(Event::Started(name)) => self.started(name, line),
            Some(Event::Finished {
                name,
                event,
                exec_time,
                output,
            }) => self.finished(line, name, event, exec_time, output),
            None => self.handle_line_raw(line),
        }
    }

    /// libtest started test `name`: the held result (the previous test's) stands. With one test
    /// thread libtest starts a test only when none runs, so a `started` event while a test runs
    /// (with no result held) is that test's output; one for a test not asked for, or reported
    /// already, is a misreport.
    fn started(&mut self, name: String, line: &str) {
        if self.current.is_some() && self.pending.is_none() {
            return self.handle_line_raw(line);
        }
        self.commit();
        let Some(t) = self
            .by_name
            .get(&name)
            .filter(|_| !self.done.contains(&name))
        else {
            return self.misreported(&name, "started");
        };
        (self.on_start)(t);
        self.current = Some((name, Instant::now()));
        self.raw_since_start.clear();
    }

    /// A result event (`line`) for test `name`. libtest's own "running for over 60 s" note is
    /// not an end; and with one test thread, only the running test can finish (a test printing
    /// a fake event line for another test is just output), except an ignored test reported
    /// while none runs.
    fn finished(
        &mut self,
        line: &str,
        name: String,
        event: String,
        exec: Option<f64>,
        output: String,
    ) {
        let running = self.current.as_ref().is_some_and(|(n, _)| *n == name);
        if event == "timeout" {
        } else if running {
            self.pending = Some(Pending {
                name,
                event,
                exec,
                output,
            });
        } else {
            self.commit();
            if self.current.is_none() && event == "ignored" {
                if !self.by_name.contains_key(&name) || self.done.contains(&name) {
                    return self.misreported(&name, &event);
                }
                self.finish(&name, &event, exec, output);
            } else {
                self.handle_line_raw(line);
            }
        }
    }

    /// Output written straight to the file descriptor (the runtime's abort message, child
    /// processes): it belongs to the running test.
    fn handle_line_raw(&mut self, line: &str) {
        if let Some(live) = self.live
            && let Some(test) = self.current.as_ref().and_then(|(n, _)| self.by_name.get(n))
        {
            live(test, line);
        }
        if self.raw_since_start.len() < RAW_CAP {
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
        let (name, start) = self.current.as_ref()?;
        let t = match self.limits.get(name) {
            Some((t, _)) => *t,
            None => self.place.timeout?,
        };
        Some(*start + t)
    }

    fn tick(&mut self, now: Instant) {
        if let (Some(slow), Some((name, started))) = (self.slow.as_mut(), self.current.as_ref())
            && let Some(test) = self.by_name.get(name)
        {
            slow.tick(test, *started, now);
        }
    }
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
