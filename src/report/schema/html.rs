//! The data block of the HTML report (`--html`): what the page's script reads from its
//! `<script type="application/json" id="data">` to show a test under the pointer on the
//! timeline. Written only (the page reads it, cargo-shuffle never does); arrays rather than
//! objects per test, to keep a 10 000-test page small.

use serde::Serialize;

/// The timeline's tests and lanes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct TimelineData {
    /// Test binary ids; a bar names its binary by index into this list.
    pub(crate) bins: Vec<String>,
    /// Outcome names; a bar names its outcome by index into this list.
    pub(crate) outcomes: Vec<&'static str>,
    /// The timeline's groups (a run; a hunt's runs; a merge's partitions), by label.
    pub(crate) groups: Vec<String>,
    /// Every bar, indexed by the `data-t` / `t{N}` ids of the page.
    pub(crate) tests: Vec<BarDoc>,
    /// Per lane (the `data-lane` index of the page), its bars' indices sorted by start.
    pub(crate) lanes: Vec<Vec<u32>>,
    /// Milliseconds the timeline spans (its x axis is 0 ..= `span_ms`).
    pub(crate) span_ms: f64,
    /// Where the plot starts on the x axis, in SVG units.
    pub(crate) x0: f64,
    /// Width of the plot in SVG units.
    pub(crate) width: f64,
    /// Per group, its shard kept out of the shuffle (`shuffle = false`, name order), or 0.
    pub(crate) unshuffled: Vec<u32>,
}

/// One bar: `[binary index, test name, outcome index, shard, position, worker, duration ms
/// (0.1 ms), start ms, end ms, group index, has captured output (0/1), slow (0/1: it ran longer
/// than its slow-timeout)]`; start and end are milliseconds since its run (or partition)
/// started.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct BarDoc(
    pub(crate) u32,
    pub(crate) String,
    pub(crate) u8,
    pub(crate) u32,
    pub(crate) u32,
    pub(crate) u32,
    pub(crate) f64,
    pub(crate) u64,
    pub(crate) u64,
    pub(crate) u32,
    pub(crate) u8,
    pub(crate) u8,
);
