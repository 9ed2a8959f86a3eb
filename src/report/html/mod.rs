//! The HTML report (`--html PATH` of `run`, `hunt` and `merge`): one self-contained page, no
//! network (inline CSS, a small inline script, an inline SVG), rendered from the finished
//! in-memory run record ([`RunRecord`]) like the JUnit report, so a run, a hunt and a merge
//! (whose record comes back from the parts' JSON through `RunRecord::from_doc`) share one
//! renderer. The page: a header (seed and its source, shards, isolation, profile, counts, the
//! gate's verdict and exit code, the command that reproduces the run), a hunt's runs (order
//! kind, pair coverage) or a merge's partitions side by side, the timeline ([`timeline`]), the
//! findings with their evidence and repro commands, the failing tests with their output, and
//! the output of passing tests when the run kept it ([`outputs`]).
//! Everything from a test or the command line is escaped by [`escape`]. The summary, the
//! findings and the failures read without JavaScript; the script adds hover and click details
//! on the timeline and copy buttons, and writes a self-check into `<body data-check>` (lanes,
//! failing bars and finding arrows counted, script errors caught) that the browser test reads.

mod escape;
mod outputs;
mod sections;
mod timeline;

use crate::plan::Partition;
use crate::report::record::RunRecord;
use crate::report::schema::{HuntCoverageDoc, RunRecordDoc};
use crate::runner::executor::Isolation;
use escape::{script_json, text};
use std::fmt::Write as _;
use timeline::Group;

/// The page's stylesheet.
const STYLE: &str = include_str!("style.css");
/// The page's script: timeline hover and click, copy buttons, opening a linked failure.
const SCRIPT: &str = include_str!("script.js");
/// The page's self-check, run after [`SCRIPT`]: its result is `<body data-check>`.
const CHECK: &str = include_str!("check.js");

/// What the page says about how the run was made and judged, beyond its record.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    /// The subcommand: `run`, `hunt` or `merge`.
    pub(crate) command: &'static str,
    /// Where the seed came from (`from --seed`, `random`, …); empty when unknown (a merge).
    pub(crate) seed_source: String,
    /// How tests were isolated; `None` when unknown.
    pub(crate) isolation: Option<Isolation>,
    /// The exit code the gate chose (see `exit`).
    pub(crate) exit_code: i32,
    /// The shell command that makes the run (the hunt, the merged run) again.
    pub(crate) repro: String,
}

/// One input of a merge: its file as given and its record (read back: no captured output).
#[derive(Clone, Debug)]
pub(crate) struct Part {
    /// The file, as given on the command line.
    pub(crate) file: String,
    /// Its record.
    pub(crate) record: RunRecord,
}

/// What kind of page, with what only that kind shows.
#[derive(Clone, Copy, Debug)]
pub(crate) enum View<'a> {
    /// A run: one group of lanes.
    Run,
    /// A hunt: one row and one group of lanes per run, and the pair coverage reached.
    Hunt {
        /// Every run's record, in order.
        runs: &'a [RunRecord],
        /// The campaign's pair coverage (one entry per run).
        coverage: &'a HuntCoverageDoc,
    },
    /// A merge: the partitions side by side, missing ones marked.
    Merge {
        /// The merged record document (which partitions are missing, and how big).
        merged: &'a RunRecordDoc,
        /// The parts given.
        parts: &'a [Part],
    },
}

/// The whole page for `record` (a run's; a hunt's combined record; a merge's record), whose
/// findings get the arrows; `meta` fills the header, `view` adds what a hunt or merge shows.
pub(crate) fn render(record: &RunRecord, meta: &Meta, view: View<'_>) -> String {
    let groups = groups(record, view);
    let findings = record.findings.as_deref().unwrap_or_default();
    let tl = timeline::render(&groups, findings);
    let title = format!(
        "cargo-shuffle {} — seed {} — {}",
        meta.command,
        record.seed,
        sections::verdict(meta.exit_code).1
    );
    let mut page = String::with_capacity(tl.svg.len() * 2 + 64 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"cargo-shuffle {}\"><title>{}</title>\
         <style>{STYLE}</style>\
         <script>window.__errors=[];window.onerror=function(m,s,l){{window.__errors.push(String(m)+' (line '+l+')');}};</script>\
         </head>\n<body data-check=\"script-did-not-run\">\n",
        crate::report::schema::VERSION,
        text(&title)
    );
    page.push_str(&sections::header(record, meta));
    match view {
        View::Run => {}
        View::Hunt { runs, coverage } => page.push_str(&sections::hunt(runs, coverage)),
        View::Merge { merged, parts } => page.push_str(&sections::merge(merged, parts)),
    }
    let _ = write!(
        page,
        "<section id=\"timeline-section\"><h2>Timeline</h2>{}\
         <p class=\"hint\">{} (one per worker), {}; hover a bar for the test, click to pin it; a failing bar links to its output below.</p>\
         <div class=\"scroll\">{}</div><div id=\"tip\" hidden></div><div id=\"pinned\" hidden></div></section>",
        sections::legend(record, &tl),
        crate::runner::output::count(tl.lanes, "lane"),
        crate::runner::output::count(tl.arrows, "finding arrow"),
        tl.svg
    );
    page.push('\n');
    page.push_str(&sections::findings(record, findings, &tl));
    page.push_str(&outputs::failures(record, &groups, &tl));
    page.push_str(&outputs::flaky(&groups, &tl));
    page.push_str(&outputs::passing(&groups, &tl));
    let data = serde_json::to_string(&tl.data).expect("the timeline data serialises");
    let _ = write!(
        page,
        "<footer>cargo-shuffle {} · {} · one file, no network: open it from disk or a CI artifact.</footer>\n\
         <script type=\"application/json\" id=\"data\">{}</script>\n<script>{SCRIPT}</script>\n\
         <script>{CHECK}</script>\n</body></html>\n",
        crate::report::schema::VERSION,
        text(meta.command),
        script_json(&data)
    );
    page
}

/// The timeline's groups: the run; a hunt's runs; a merge's partitions in partition order,
/// missing ones as empty groups.
fn groups<'a>(record: &'a RunRecord, view: View<'a>) -> Vec<Group<'a>> {
    match view {
        View::Run => vec![Group {
            label: String::new(),
            record: Some(record),
            missing_note: String::new(),
        }],
        View::Hunt { runs, coverage } => runs
            .iter()
            .enumerate()
            .map(|(k, r)| Group {
                label: format!(
                    "run {} · {} order · seed {}",
                    k + 1,
                    coverage.runs.get(k).map_or("?", |c| c.order.as_str()),
                    r.seed
                ),
                record: Some(r),
                missing_note: String::new(),
            })
            .collect(),
        View::Merge { merged, parts } => {
            let mut slots: Vec<(u32, Group<'a>)> = parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let index = p.record.partition.map_or(i as u32 + 1, |q| q.index);
                    let label = match p.record.partition {
                        Some(q) => format!("partition {q} · {}", p.file),
                        None => p.file.clone(),
                    };
                    (
                        index,
                        Group {
                            label,
                            record: Some(&p.record),
                            missing_note: String::new(),
                        },
                    )
                })
                .collect();
            for (p, note) in missing(merged) {
                slots.push((
                    p.index,
                    Group {
                        label: format!("partition {p} · MISSING"),
                        record: None,
                        missing_note: note,
                    },
                ));
            }
            slots.sort_by_key(|(i, _)| *i);
            slots.into_iter().map(|(_, g)| g).collect()
        }
    }
}

/// The partitions missing from a merged record, each with the line the terminal and the
/// Markdown summary print for it.
fn missing(merged: &RunRecordDoc) -> Vec<(Partition, String)> {
    let lines = crate::report::markdown::missing_lines(merged);
    let parts: Vec<Partition> = match merged.missing_parts.as_deref() {
        Some(m) if !m.is_empty() => m.iter().map(|m| m.partition).collect(),
        _ => merged
            .missing_partitions
            .iter()
            .flatten()
            .filter_map(|p| p.parse().ok())
            .collect(),
    };
    parts.into_iter().zip(lines).collect()
}

#[cfg(test)]
mod tests;
