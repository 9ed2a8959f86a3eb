//! Slow tests in process isolation: a [`Watch`] on a test's process that reports it as slow
//! once per `slow-timeout` period while it runs, and, with `terminate-after`, moves its deadline
//! to `period × terminate-after` when that comes before its `timeout`.

use crate::discover::list::TestCase;
use crate::events::RunEvent;
use crate::runner::options::ExecOptions;
use crate::runner::overrides::{SlowTimeout, TestSettings};
use crate::runner::process::Watch;
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Follows one test process for [`SlowTimeout`]; `notice` gets the time it has run and whether
/// it will be stopped at the slow deadline, at each period's end.
pub(crate) struct SlowWatch<'a> {
    /// When the process started.
    start: Instant,
    /// The test's slow settings.
    slow: SlowTimeout,
    /// The earlier of the timeout and the slow termination, as an instant.
    deadline: Option<Instant>,
    /// Periods reported so far.
    reported: u32,
    /// Told of each period that passed: elapsed time, and whether terminate-after is set.
    notice: &'a mut dyn FnMut(Duration, bool),
}

impl<'a> SlowWatch<'a> {
    /// A watch for a process started at `start` with `timeout` (the test's own) and `slow`.
    pub(crate) fn new(
        start: Instant,
        timeout: Option<Duration>,
        slow: SlowTimeout,
        notice: &'a mut dyn FnMut(Duration, bool),
    ) -> SlowWatch<'a> {
        let deadline = [timeout, slow.terminate_in()]
            .into_iter()
            .flatten()
            .min()
            .map(|d| start + d);
        SlowWatch {
            start,
            slow,
            deadline,
            reported: 0,
            notice,
        }
    }

    /// Whether a timeout at `elapsed` came from terminate-after rather than `timeout`.
    pub(crate) fn terminated_as_slow(slow: SlowTimeout, timeout: Option<Duration>) -> bool {
        match (slow.terminate_in(), timeout) {
            (Some(s), Some(t)) => s < t,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

impl Watch for SlowWatch<'_> {
    fn data(&mut self, _: &[u8]) {}

    fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn tick(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.start);
        if let Some(n) = period_due(self.slow, elapsed, self.reported) {
            self.reported = n;
            (self.notice)(
                self.slow.period.saturating_mul(n),
                self.slow.terminate_after.is_some(),
            );
        }
    }
}

/// The number of whole periods of `slow` in `elapsed`, when more than `reported` (and, with
/// terminate-after, at most that many: the last notice is the one at which the test is
/// stopped); `None` when no new notice is due.
fn period_due(slow: SlowTimeout, elapsed: Duration, reported: u32) -> Option<u32> {
    let periods = (elapsed.as_nanos() / slow.period.as_nanos().max(1)) as u32;
    let last = slow.terminate_after.unwrap_or(u32::MAX);
    (periods > reported && reported < last).then_some(periods.min(last))
}

/// SLOW notices in shared isolation, where one process runs many tests: follows the running
/// test (named by libtest's `started` event) and sends a [`RunEvent::TestSlow`] at the end of
/// each of its periods.
#[derive(Clone)]
pub(crate) struct SharedSlow {
    /// Every test's slow settings, by name; tests not in it have `default`.
    by_name: HashMap<String, SlowTimeout>,
    /// The run's slow settings.
    default: SlowTimeout,
    /// Where the notices go.
    events: Sender<RunEvent>,
    /// The shard, for the notices.
    shard: u32,
    /// The start of the test followed, and the periods reported for it.
    following: Option<(Instant, u32)>,
}

impl SharedSlow {
    /// Notices for the tests `tests` of shard `shard` run with `opts`, sent to `events`.
    pub(crate) fn new(
        opts: &ExecOptions,
        tests: &[TestCase],
        shard: u32,
        events: Sender<RunEvent>,
    ) -> SharedSlow {
        let by_name = if opts.overrides.0.is_empty() {
            HashMap::new()
        } else {
            tests
                .iter()
                .map(|t| (t.name.clone(), opts.settings_for(t).slow_timeout))
                .collect()
        };
        SharedSlow {
            by_name,
            default: opts.slow_timeout,
            events,
            shard,
            following: None,
        }
    }

    /// `test`, started at `started`, is running at `now`: a notice when a period ended.
    pub(crate) fn tick(&mut self, test: &TestCase, started: Instant, now: Instant) {
        let slow = self
            .by_name
            .get(&test.name)
            .copied()
            .unwrap_or(self.default);
        let reported = match self.following {
            Some((s, n)) if s == started => n,
            _ => 0,
        };
        self.following = Some((started, reported));
        if let Some(n) = period_due(slow, now.saturating_duration_since(started), reported) {
            self.following = Some((started, n));
            let _ = self.events.send(RunEvent::TestSlow {
                test: test.clone(),
                shard: self.shard,
                elapsed: slow.period.saturating_mul(n),
                will_terminate: slow.terminate_after.is_some(),
            });
        }
    }
}

/// Why a test with `s` was stopped as timed out: its `timeout` (the run's `run_timeout`, or an
/// override's), or its `slow-timeout`'s `terminate-after`, whichever came first.
pub(crate) fn timeout_message(s: &TestSettings, run_timeout: Option<Duration>) -> String {
    if SlowWatch::terminated_as_slow(s.slow_timeout, s.timeout) {
        let t = s.slow_timeout;
        format!(
            "timed out after {:.1}s (slow-timeout: {} periods of {:.1}s, terminate-after); killed",
            t.terminate_in().unwrap_or_default().as_secs_f64(),
            t.terminate_after.unwrap_or_default(),
            t.period.as_secs_f64()
        )
    } else {
        format!(
            "timed out after {:.1}s ({}); killed",
            s.timeout.unwrap_or_default().as_secs_f64(),
            if s.timeout == run_timeout {
                "--timeout"
            } else {
                "the timeout of an override"
            }
        )
    }
}

/// Shared isolation: the tests of `tests` whose limit is not the run's `--timeout` (an
/// override's `timeout`, or a `slow-timeout` with `terminate-after`), by name, with the limit
/// (the earlier of the two) and the message of their timeout.
pub(crate) fn limits(
    opts: &ExecOptions,
    tests: &[TestCase],
) -> HashMap<String, (Duration, String)> {
    if opts.overrides.0.is_empty() && opts.slow_timeout.terminate_after.is_none() {
        return HashMap::new();
    }
    tests
        .iter()
        .filter_map(|t| {
            let s = opts.settings_for(t);
            let limit = [s.timeout, s.slow_timeout.terminate_in()]
                .into_iter()
                .flatten()
                .min()?;
            (Some(limit) != opts.timeout)
                .then(|| (t.name.clone(), (limit, timeout_message(&s, opts.timeout))))
        })
        .collect()
}

/// What [`SlowWatch`] tells about `test` in shard `shard`: a
/// [`RunEvent::TestSlow`] on `events`, if there are events to send to (not in triage reruns).
pub(crate) fn notices<'a>(
    events: Option<&'a Sender<RunEvent>>,
    test: &'a TestCase,
    shard: u32,
) -> impl FnMut(Duration, bool) + 'a {
    move |elapsed, will_terminate| {
        if let Some(tx) = events {
            let _ = tx.send(RunEvent::TestSlow {
                test: test.clone(),
                shard,
                elapsed,
                will_terminate,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_notice_per_period_and_the_deadline_is_the_earlier_limit() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let slow = SlowTimeout {
            period: ms(100),
            terminate_after: Some(3),
        };
        let mut seen = Vec::new();
        let mut notice = |d: Duration, t: bool| seen.push((d, t));
        let mut w = SlowWatch::new(t0, Some(ms(1000)), slow, &mut notice);
        assert_eq!(w.deadline(), Some(t0 + ms(300)));
        for at in [50, 99, 100, 150, 250, 260, 300, 400] {
            w.tick(t0 + ms(at));
        }
        assert_eq!(
            seen,
            vec![(ms(100), true), (ms(200), true), (ms(300), true)]
        );
        let mut n = |_: Duration, _: bool| {};
        let w = SlowWatch::new(t0, Some(ms(200)), slow, &mut n);
        assert_eq!(w.deadline(), Some(t0 + ms(200)));
        assert!(SlowWatch::terminated_as_slow(slow, Some(ms(1000))));
        assert!(!SlowWatch::terminated_as_slow(slow, Some(ms(200))));
        assert!(!SlowWatch::terminated_as_slow(SlowTimeout::DEFAULT, None));
    }
}
