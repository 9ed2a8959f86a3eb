//! The timeline of the HTML report: one inline SVG, a group of lanes per run (a hunt's runs, a
//! merge's partitions; a missing partition is a marked empty group), one lane per worker, each
//! test a bar from its real start to its real end coloured by outcome, a tick where a lane
//! starts another shard, and an arrow from each culprit (polluter, state-setter, cleaner) to
//! the victim of its finding. Passing bars of a lane are one `<path>` (a 10 000-test page stays
//! small); every failing bar is a `<rect>` of its own with a `<title>` and a link to its
//! output, so the failures read without JavaScript. What the page's script shows for a test
//! under the pointer comes from [`TimelineData`].

use super::escape::text;
use crate::events::TestResult;
use crate::report::record::RunRecord;
use crate::report::schema::{BarDoc, TimelineData};
use crate::triage::Finding;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Left edge of the plot (the lane labels go left of it), in SVG units.
const X0: f64 = 80.0;
/// Width of the plot, in SVG units (the SVG scales to the page's width).
const WIDTH: f64 = 1110.0;
/// Height of a lane's bars.
const LANE_H: f64 = 20.0;
/// Space above a lane, where its shard labels go.
const LANE_GAP: f64 = 14.0;
/// Height of a group's title line.
const GROUP_H: f64 = 18.0;
/// Height of the time axis.
const AXIS_H: f64 = 20.0;
/// Narrowest bar drawn, so that a 0 ms test stays visible.
const MIN_BAR: f64 = 0.8;
/// How far above the bars an arrow's curve reaches.
const ARROW_RISE: f64 = 30.0;
/// Room above a group's first lane for the arrows' curves (below its title).
const ARROW_ROOM: f64 = 16.0;

/// One group of lanes: a run, a hunt's run or a merge's partition.
pub(super) struct Group<'a> {
    /// Its title above its lanes (empty for a plain run).
    pub(super) label: String,
    /// Its record; `None` for a partition that is missing from a merge.
    pub(super) record: Option<&'a RunRecord>,
    /// What to say in place of the lanes of a missing partition.
    pub(super) missing_note: String,
}

/// A bar listed under the timeline with its output (a failing one; a passing one whose output
/// was kept): the page id `t{index}`, the index of its group in the groups given, its result.
pub(super) struct ListedBar<'a> {
    /// Index into [`TimelineData::tests`] (the element id `t{index}`).
    pub(super) index: u32,
    /// Index of its group.
    pub(super) group: usize,
    /// Its result.
    pub(super) result: &'a TestResult,
}

/// The rendered timeline: the SVG element, the data its script reads, the failing bars in the
/// order drawn, and how many lanes and arrows were drawn (the page's self-check counts them).
pub(super) struct Timeline<'a> {
    /// `<svg …>…</svg>`.
    pub(super) svg: String,
    /// Tests and lanes for the script.
    pub(super) data: TimelineData,
    /// Every failing bar.
    pub(super) failing: Vec<ListedBar<'a>>,
    /// Every passing bar with captured output (kept only when the run shows or stores it),
    /// flaky ones left out.
    pub(super) passing_output: Vec<ListedBar<'a>>,
    /// Every bar of a test that passed only on a retry (`--retries`): flaky, failing the gate.
    pub(super) flaky: Vec<ListedBar<'a>>,
    /// Lanes drawn.
    pub(super) lanes: usize,
    /// Finding arrows drawn.
    pub(super) arrows: usize,
}

/// A bar's place: lane top (y), start and end (x).
#[derive(Clone, Copy)]
struct Place {
    y: f64,
    x1: f64,
    x2: f64,
    failing: bool,
}

/// The lanes of one record, each with its label and its tests sorted by start: one per worker
/// (the record's `worker`); a record without workers (an older version's) packs its tests into
/// as few lanes as never overlap, each test into the first lane free at its start.
fn lanes_of(record: &RunRecord) -> Vec<(String, Vec<&TestResult>)> {
    let mut ran: Vec<&TestResult> = record.results.iter().filter(|r| r.shard != 0).collect();
    ran.sort_by_key(|r| (r.start_ms, r.end_ms, r.shard, r.position));
    if !ran.is_empty() && ran.iter().all(|r| r.worker != 0) {
        let mut by: BTreeMap<u32, Vec<&TestResult>> = BTreeMap::new();
        for r in ran {
            by.entry(r.worker).or_default().push(r);
        }
        return by
            .into_iter()
            .map(|(w, rs)| (format!("worker {w}"), rs))
            .collect();
    }
    let mut lanes: Vec<(u64, Vec<&TestResult>)> = Vec::new();
    for r in ran {
        match lanes.iter_mut().find(|(end, _)| *end <= r.start_ms) {
            Some(l) => {
                l.0 = r.end_ms;
                l.1.push(r);
            }
            None => lanes.push((r.end_ms, vec![r])),
        }
    }
    lanes
        .into_iter()
        .enumerate()
        .map(|(i, (_, rs))| (format!("lane {}", i + 1), rs))
        .collect()
}

/// A round step for `span` ms cut in about 8 (1, 2 or 5 times a power of ten).
fn tick_step(span: f64) -> f64 {
    let raw = (span / 8.0).max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// `ms` as an axis label: `250 ms`, `1.5 s`, `12 s`.
pub(super) fn ms_label(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 10_000.0 && ms % 1000.0 != 0.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{:.0} s", ms / 1000.0)
    }
}

/// Draws `groups` on one time axis (each group from its own start), with the arrows of
/// `findings` in every group where the finding's test failed.
pub(super) fn render<'a>(groups: &[Group<'a>], findings: &[Finding]) -> Timeline<'a> {
    let span = groups
        .iter()
        .filter_map(|g| g.record)
        .flat_map(|r| {
            let last = r.results.iter().map(|t| t.end_ms).max().unwrap_or(0);
            [last, r.elapsed.as_millis() as u64]
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |ms: u64| X0 + ms as f64 / span * WIDTH;
    let mut data = TimelineData {
        span_ms: span,
        x0: X0,
        width: WIDTH,
        ..TimelineData::default()
    };
    let mut bins: HashMap<String, u32> = HashMap::new();
    let mut outcomes: HashMap<&'static str, u8> = HashMap::new();
    let mut body = String::new();
    let mut failing = Vec::new();
    let mut passing_output = Vec::new();
    let mut flaky_tests = Vec::new();
    let mut arrows_svg = String::new();
    let mut arrows = 0;
    let mut y = AXIS_H;
    for (gi, g) in groups.iter().enumerate() {
        data.groups.push(g.label.clone());
        if !g.label.is_empty() {
            y += 4.0;
            let _ = write!(
                body,
                r#"<text class="group" x="4" y="{:.1}">{}</text>"#,
                y + 11.0,
                text(&g.label)
            );
            y += GROUP_H;
        }
        y += ARROW_ROOM;
        let Some(record) = g.record else {
            let _ = write!(
                body,
                r#"<g class="missing"><rect x="{X0}" y="{y:.1}" width="{WIDTH}" height="{LANE_H}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
                X0 + 6.0,
                y + 13.5,
                text(&g.missing_note)
            );
            y += LANE_H + LANE_GAP;
            continue;
        };
        data.unshuffled.push(record.unshuffled.unwrap_or(0));
        let mut places: HashMap<String, Place> = HashMap::new();
        for (label, tests) in lanes_of(record) {
            y += LANE_GAP;
            let lane = data.lanes.len();
            let _ = write!(
                body,
                r#"<g class="lane" data-lane="{lane}"><rect class="lane-bg" x="{X0}" y="{y:.1}" width="{WIDTH}" height="{LANE_H}"/><text class="lane-label" x="{:.1}" y="{:.1}">{}</text>"#,
                X0 - 6.0,
                y + 13.5,
                text(&label)
            );
            // Passing bars as runs of touching bars ([x1, x2] each), one path per kind.
            let mut passed: Vec<(f64, f64)> = Vec::new();
            let mut flaky: Vec<(f64, f64)> = Vec::new();
            let mut bars = String::new();
            let mut edges = String::new();
            let mut slow = String::new();
            let mut prev_shard = 0;
            let mut last_label = f64::MIN;
            let mut ids = Vec::with_capacity(tests.len());
            for r in tests {
                let index = data.tests.len() as u32;
                ids.push(index);
                let bin = match bins.get(&r.test.binary_id) {
                    Some(&b) => b,
                    None => {
                        let b = data.bins.len() as u32;
                        data.bins.push(r.test.binary_id.clone());
                        bins.insert(r.test.binary_id.clone(), b);
                        b
                    }
                };
                let outcome = *outcomes.entry(r.outcome.name()).or_insert_with(|| {
                    data.outcomes.push(r.outcome.name());
                    data.outcomes.len() as u8 - 1
                });
                let dur = r.duration.as_secs_f64() * 1000.0;
                data.tests.push(BarDoc(
                    bin,
                    r.test.name.clone(),
                    outcome,
                    r.shard,
                    r.position,
                    r.worker,
                    (dur * 10.0).round() / 10.0,
                    r.start_ms,
                    r.end_ms,
                    gi as u32,
                    u8::from(!r.output.is_empty()),
                    u8::from(r.slow),
                ));
                let (x1, x2) = (x(r.start_ms), x(r.end_ms).max(x(r.start_ms) + MIN_BAR));
                if r.shard != prev_shard {
                    let _ = write!(
                        edges,
                        r#"<line class="shard-edge" x1="{x1:.1}" y1="{:.1}" x2="{x1:.1}" y2="{:.1}"/>"#,
                        y - 4.0,
                        y + LANE_H + 1.0
                    );
                    // Labels too close would overlap; the unshuffled shard's is always drawn.
                    if x1 - last_label > 40.0 || record.unshuffled == Some(r.shard) {
                        let _ = write!(
                            edges,
                            r#"<text class="shard-label" x="{:.1}" y="{:.1}">shard {}{}</text>"#,
                            x1 + 1.5,
                            y - 2.5,
                            r.shard,
                            if record.unshuffled == Some(r.shard) {
                                " · not shuffled"
                            } else {
                                ""
                            }
                        );
                        last_label = x1;
                    }
                    prev_shard = r.shard;
                }
                if r.slow {
                    // A dashed outline over the bar (passing bars are merged into one path).
                    let _ = write!(
                        slow,
                        r#"<rect class="slow" data-t="{index}" x="{x1:.1}" y="{:.1}" width="{:.1}" height="{:.1}"><title>SLOW {} — {}, {:.1} ms, longer than its slow-timeout</title></rect>"#,
                        y - 1.5,
                        x2 - x1,
                        LANE_H + 3.0,
                        text(&r.test.id()),
                        r.outcome.name(),
                        dur
                    );
                }
                let is_fail = r.outcome.is_failure();
                places.insert(
                    r.test.id(),
                    Place {
                        y,
                        x1,
                        x2,
                        failing: is_fail,
                    },
                );
                if is_fail {
                    let _ = write!(
                        bars,
                        r##"<a href="#t{index}"><rect class="bar fail o-{}{}" data-t="{index}" x="{x1:.1}" y="{y:.1}" width="{:.1}" height="{LANE_H}"><title>{} — {}, {:.1} ms, shard {}, position {}</title></rect></a>"##,
                        r.outcome.name(),
                        if r.quarantined { " quarantined" } else { "" },
                        x2 - x1,
                        text(&r.test.id()),
                        r.outcome.name(),
                        dur,
                        r.shard,
                        r.position
                    );
                    failing.push(ListedBar {
                        index,
                        group: gi,
                        result: r,
                    });
                } else {
                    if r.is_flaky() {
                        // Listed with its failed attempts (once: an entry's id is its bar's).
                        flaky_tests.push(ListedBar {
                            index,
                            group: gi,
                            result: r,
                        });
                    } else if !r.output.is_empty() {
                        passing_output.push(ListedBar {
                            index,
                            group: gi,
                            result: r,
                        });
                    }
                    let runs = if r.is_flaky() {
                        &mut flaky
                    } else {
                        &mut passed
                    };
                    match runs.last_mut() {
                        Some(last) if x1 <= last.1 + 0.05 => last.1 = last.1.max(x2),
                        _ => runs.push((x1, x2)),
                    }
                }
            }
            for (class, runs) in [("o-passed", passed), ("o-flaky", flaky)] {
                if !runs.is_empty() {
                    let _ = write!(body, r#"<path class="bar {class}" d=""#);
                    for (x1, x2) in runs {
                        let _ = write!(body, "M{x1:.1} {y}h{:.1}v{LANE_H}H{x1:.1}z", x2 - x1);
                    }
                    body.push_str("\"/>");
                }
            }
            body.push_str(&bars);
            body.push_str(&slow);
            body.push_str(&edges);
            body.push_str("</g>");
            data.lanes.push(ids);
            y += LANE_H;
        }
        for f in findings {
            let Some(v) = places.get(&f.test).filter(|p| p.failing) else {
                continue;
            };
            for (role, culprits) in [
                ("polluter", &f.polluters),
                ("state-setter", &f.state_setters),
                ("cleaner", &f.cleaners),
            ] {
                for c in culprits {
                    let Some(p) = places.get(c) else { continue };
                    let (x1, y1) = ((p.x1 + p.x2) / 2.0, p.y);
                    let (x2, y2) = (v.x1 + ((v.x2 - v.x1) / 2.0).min(3.0), v.y);
                    let top = y1.min(y2) - ARROW_RISE;
                    let d = format!(
                        "M{x1:.1} {y1:.1}C{x1:.1} {top:.1} {x2:.1} {top:.1} {x2:.1} {:.1}",
                        y2 - 1.0
                    );
                    // A white halo under the arrow keeps it visible across bars.
                    let _ = write!(
                        arrows_svg,
                        r#"<path class="halo" d="{d}"/><path class="arrow {role}" marker-end="url(#ah-{role})" d="{d}"><title>{role} {} → {}</title></path>"#,
                        text(c),
                        text(&f.test)
                    );
                    arrows += 1;
                }
            }
        }
    }
    let height = y + 8.0;
    let mut svg = format!(
        r#"<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {:.0} {height:.0}" role="img" aria-label="timeline: one lane per worker, one bar per test">"#,
        X0 + WIDTH + 10.0
    );
    svg.push_str("<defs>");
    for role in ["polluter", "state-setter", "cleaner"] {
        let _ = write!(
            svg,
            r#"<marker id="ah-{role}" class="ah {role}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z"/></marker>"#
        );
    }
    svg.push_str("</defs><g class=\"axis\">");
    let step = tick_step(span);
    let mut t = 0.0;
    while t <= span + 0.5 {
        let tx = X0 + t / span * WIDTH;
        let _ = write!(
            svg,
            r#"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}"/><text x="{tx:.1}" y="12">{}</text>"#,
            AXIS_H - 4.0,
            height - 4.0,
            ms_label(t)
        );
        t += step;
    }
    svg.push_str("</g>");
    svg.push_str(&body);
    svg.push_str(&arrows_svg);
    svg.push_str("</svg>");
    Timeline {
        svg,
        data,
        failing,
        passing_output,
        flaky: flaky_tests,
        lanes: groups
            .iter()
            .filter_map(|g| g.record)
            .map(|r| lanes_of(r).len())
            .sum(),
        arrows,
    }
}
