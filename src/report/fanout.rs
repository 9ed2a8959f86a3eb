//! The one place that hands run events to reporters: every reporter implements [`Reporter`],
//! and a [`FanOut`] takes the executor's events off its channel, in batches, and gives each
//! event to every reporter in the order they were added (as nextest's `Reporter::report_event`).
//! Nothing else calls a reporter per event.

use super::jsonl::JsonLines;
use super::record::RunRecord;
use crate::events::RunEvent;
use crossbeam_channel::Receiver;
use std::time::Duration;

/// Pause after each batch of events: at most one wake-up per millisecond. A wake-up per event
/// (futex + scheduler, on both sides) cost more CPU than the reporters on suites of tiny tests,
/// and 1 ms is below what a terminal shows.
const EVENT_BATCH_PAUSE: Duration = Duration::from_millis(1);

/// Something that turns run events into output or state: the terminal, the JSON lines stream,
/// the run record.
pub(crate) trait Reporter {
    /// Takes one event; events arrive in the order the executor sent them.
    fn report_event(&mut self, ev: &RunEvent);
}

impl Reporter for RunRecord {
    fn report_event(&mut self, ev: &RunEvent) {
        self.handle(ev);
    }
}

impl Reporter for JsonLines {
    fn report_event(&mut self, ev: &RunEvent) {
        self.handle(ev);
    }
}

/// Borrowed reporters, each given every event in turn.
#[derive(Default)]
pub(crate) struct FanOut<'r> {
    reporters: Vec<&'r mut dyn Reporter>,
}

impl<'r> FanOut<'r> {
    /// Adds `r` after the reporters already added (it sees each event after them).
    pub(crate) fn add(&mut self, r: &'r mut dyn Reporter) -> &mut Self {
        self.reporters.push(r);
        self
    }

    /// Hands every event of `events` to the reporters until the channel closes (all senders
    /// dropped): whatever is queued is taken as one batch, then the thread pauses
    /// [`EVENT_BATCH_PAUSE`] before waiting for the next.
    pub(crate) fn take_batches(&mut self, events: &Receiver<RunEvent>) {
        while let Ok(first) = events.recv() {
            for ev in std::iter::once(first).chain(events.try_iter()) {
                self.report_event(&ev);
            }
            std::thread::sleep(EVENT_BATCH_PAUSE);
        }
    }
}

impl Reporter for FanOut<'_> {
    fn report_event(&mut self, ev: &RunEvent) {
        for r in &mut self.reporters {
            r.report_event(ev);
        }
    }
}
