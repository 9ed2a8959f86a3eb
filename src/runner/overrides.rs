//! Per-test settings: the run's own (`--timeout`, `--retries`, `--leak-timeout`, the profile's
//! `slow-timeout`) changed for the tests an override of the config file matches
//! (`[[profile.NAME.overrides]]`, compiled by the application). As in nextest, the first
//! override whose filter matches a test decides each setting it sets; settings no matching
//! override sets come from the run.

use crate::discover::list::TestCase;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// `slow-timeout`: a test running longer than `period` is slow (shown as SLOW while it runs,
/// once per period, and marked `slow` in its result); with `terminate_after = Some(n)` it is
/// stopped as timed out after `n` periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlowTimeout {
    /// The slow threshold, positive.
    pub(crate) period: Duration,
    /// Periods after which the test is stopped (TERM, grace, KILL) and reported timed out.
    pub(crate) terminate_after: Option<u32>,
}

impl SlowTimeout {
    /// nextest's default: 60 s, never terminated.
    pub(crate) const DEFAULT: SlowTimeout = SlowTimeout {
        period: Duration::from_secs(60),
        terminate_after: None,
    };

    /// When the test is stopped, counted from its start: `period × terminate_after`.
    pub(crate) fn terminate_in(&self) -> Option<Duration> {
        self.terminate_after.map(|n| self.period.saturating_mul(n))
    }
}

/// Which tests an override applies to (the compiled `filter` expression).
pub(crate) type Matcher = Arc<dyn Fn(&TestCase) -> bool + Send + Sync>;

/// One `[[profile.NAME.overrides]]` entry: its filter and the settings it sets (`None` =
/// left to later overrides and the run).
#[derive(Clone)]
pub(crate) struct Override {
    /// The filter as written, for messages.
    pub(crate) filter: String,
    /// Whether a test matches the filter.
    pub(crate) matches: Matcher,
    /// `timeout`.
    pub(crate) timeout: Option<Duration>,
    /// `retries` (process isolation only; the configuration refuses it in shared isolation).
    pub(crate) retries: Option<u32>,
    /// `leak-timeout` (process isolation; a shared process uses the run's).
    pub(crate) leak_timeout: Option<Duration>,
    /// `slow-timeout`.
    pub(crate) slow_timeout: Option<SlowTimeout>,
    /// `test-group`: the name of a `[test-groups.NAME]` table.
    pub(crate) test_group: Option<String>,
}

impl fmt::Debug for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Override")
            .field("filter", &self.filter)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("leak_timeout", &self.leak_timeout)
            .field("slow_timeout", &self.slow_timeout)
            .field("test_group", &self.test_group)
            .finish()
    }
}

/// The settings one test runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TestSettings {
    /// Wall-time limit; `None` = none.
    pub(crate) timeout: Option<Duration>,
    /// Reruns in place on failure.
    pub(crate) retries: u32,
    /// Wait for the output pipe after exit before calling the test leaky.
    pub(crate) leak_timeout: Duration,
    /// Slow threshold and termination.
    pub(crate) slow_timeout: SlowTimeout,
    /// The test group it belongs to, if any.
    pub(crate) test_group: Option<String>,
}

/// The overrides of a run, in the order they apply (the selected profile's, then those of
/// `default` it inherits).
#[derive(Clone, Debug, Default)]
pub(crate) struct Overrides(pub(crate) Arc<Vec<Override>>);

impl Overrides {
    /// The same overrides without their `retries`: the command line's `--retries` beats them,
    /// as in nextest.
    pub(crate) fn without_retries(&self) -> Overrides {
        Overrides(Arc::new(
            self.0
                .iter()
                .map(|o| Override {
                    retries: None,
                    ..o.clone()
                })
                .collect(),
        ))
    }

    /// The settings of `test`: for each setting, the first matching override's, else `run`'s.
    pub(crate) fn settings_for(&self, test: &TestCase, run: &TestSettings) -> TestSettings {
        let mut s = TestSettings {
            timeout: None,
            retries: 0,
            leak_timeout: Duration::ZERO,
            slow_timeout: SlowTimeout::DEFAULT,
            test_group: None,
        };
        let (mut timeout, mut retries, mut leak, mut slow, mut group) =
            (false, false, false, false, false);
        for o in self.0.iter().filter(|o| (o.matches)(test)) {
            if !timeout && let Some(t) = o.timeout {
                (s.timeout, timeout) = (Some(t), true);
            }
            if !retries && let Some(r) = o.retries {
                (s.retries, retries) = (r, true);
            }
            if !leak && let Some(l) = o.leak_timeout {
                (s.leak_timeout, leak) = (l, true);
            }
            if !slow && let Some(t) = o.slow_timeout {
                (s.slow_timeout, slow) = (t, true);
            }
            if !group && let Some(g) = &o.test_group {
                (s.test_group, group) = (Some(g.clone()), true);
            }
        }
        if !timeout {
            s.timeout = run.timeout;
        }
        if !retries {
            s.retries = run.retries;
        }
        if !leak {
            s.leak_timeout = run.leak_timeout;
        }
        if !slow {
            s.slow_timeout = run.slow_timeout;
        }
        if !group {
            s.test_group = run.test_group.clone();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matching(prefix: &'static str) -> Matcher {
        Arc::new(move |t: &TestCase| t.name.starts_with(prefix))
    }

    fn over(prefix: &'static str) -> Override {
        Override {
            filter: prefix.into(),
            matches: matching(prefix),
            timeout: None,
            retries: None,
            leak_timeout: None,
            slow_timeout: None,
            test_group: None,
        }
    }

    #[test]
    fn without_retries_leaves_the_run_to_decide_retries_only() {
        let run = TestSettings {
            timeout: None,
            retries: 0,
            leak_timeout: Duration::from_millis(200),
            slow_timeout: SlowTimeout::DEFAULT,
            test_group: None,
        };
        let o = Overrides(Arc::new(vec![Override {
            timeout: Some(Duration::from_secs(1)),
            retries: Some(4),
            ..over("")
        }]));
        let t = TestCase::new("b", "t");
        assert_eq!(o.settings_for(&t, &run).retries, 4);
        let s = o.without_retries().settings_for(&t, &run);
        assert_eq!((s.retries, s.timeout), (0, Some(Duration::from_secs(1))));
    }

    #[test]
    fn the_first_matching_override_wins_per_setting() {
        let run = TestSettings {
            timeout: None,
            retries: 0,
            leak_timeout: Duration::from_millis(200),
            slow_timeout: SlowTimeout::DEFAULT,
            test_group: None,
        };
        let o = Overrides(Arc::new(vec![
            Override {
                timeout: Some(Duration::from_secs(1)),
                ..over("db::")
            },
            Override {
                timeout: Some(Duration::from_secs(9)),
                retries: Some(2),
                test_group: Some("db".into()),
                ..over("db::slow")
            },
            Override {
                retries: Some(5),
                ..over("")
            },
        ]));
        let s = o.settings_for(&TestCase::new("b", "db::slow_query"), &run);
        assert_eq!(s.timeout, Some(Duration::from_secs(1)));
        assert_eq!(s.retries, 2);
        assert_eq!(s.test_group.as_deref(), Some("db"));
        assert_eq!(s.leak_timeout, Duration::from_millis(200));
        let s = o.settings_for(&TestCase::new("b", "api::get"), &run);
        assert_eq!(s.timeout, None);
        assert_eq!(s.retries, 5);
        assert_eq!(s.test_group, None);
        assert_eq!(
            Overrides::default().settings_for(&TestCase::new("b", "x"), &run),
            run
        );
    }

    #[test]
    fn terminate_after_counts_periods() {
        let s = SlowTimeout {
            period: Duration::from_millis(500),
            terminate_after: Some(3),
        };
        assert_eq!(s.terminate_in(), Some(Duration::from_millis(1500)));
        assert_eq!(SlowTimeout::DEFAULT.terminate_in(), None);
    }
}
