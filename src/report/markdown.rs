//! The Markdown summary (`--summary PATH`) for CI job pages such as `$GITHUB_STEP_SUMMARY`:
//! counts, seed, the repro command, and one section per triage finding. Rendered from the JSON
//! run record, so that `merge` summarises merged partitions the same way.

use super::record::RunRecord;
use super::schema::{HuntCoverageDoc, RunRecordDoc};
use crate::events::Outcome;
use crate::runner::output::clean_text;
use std::fmt::Write as _;

/// Renders the summary of `record` as GitHub-flavoured Markdown.
pub(crate) fn render(record: &RunRecord) -> String {
    render_doc(&record.to_doc())
}

/// Renders the summary of a hunt: its combined record (every test's worst result over the
/// runs, the aggregated findings; its `repro` the command that makes the hunt again), then
/// the pair coverage its runs reached, one row per run.
pub(crate) fn render_hunt(record: &RunRecord, coverage: &HuntCoverageDoc) -> String {
    let mut md = render_as(&record.to_doc(), "hunt");
    let pct = |covered: u64| crate::plan::coverage::percent(covered, coverage.pairs);
    let _ = write!(
        md,
        "\n### Hunt: pair coverage\n\n{} runs over {} tests: {:.1}% of the {} ordered pairs ran \
         first-before-second in one run{}, {:.1}% ran consecutively.\n\n\
         | run | order | ordered pairs | new | consecutive pairs | new |\n|---|---|---|---|---|---|\n",
        coverage.runs.len(),
        coverage.tests,
        pct(coverage.ordered),
        coverage.pairs,
        if coverage.ordered_estimated {
            " (estimated)"
        } else {
            ""
        },
        pct(coverage.consecutive),
    );
    for (i, r) in coverage.runs.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {:.1}% | {} | {:.1}% | {} |",
            i + 1,
            r.order,
            r.ordered_pct,
            r.new_ordered,
            r.consecutive_pct,
            r.new_consecutive
        );
    }
    md
}

/// One line per missing partition of a merged record (`merge --allow-missing`), for the
/// terminal and the summary: `partition slice:1/3 missing: its 18 or 19 planned tests never
/// ran`, or for a hash part `partition 1/3 missing: its tests never ran (hash parts vary in
/// size: how many is not known)`. Empty for a complete merge or a run record.
pub(crate) fn missing_lines(r: &RunRecordDoc) -> Vec<String> {
    let detailed = r.missing_parts.as_deref().unwrap_or_default();
    let mut lines: Vec<String> = detailed
        .iter()
        .map(|m| {
            let how_many = match (m.tests_at_least, m.tests_at_most) {
                (Some(lo), Some(hi)) if lo == hi => {
                    format!("its {}", crate::runner::output::count(lo, "planned test"))
                }
                (Some(lo), Some(hi)) => format!("its {lo} or {hi} planned tests"),
                _ => String::new(),
            };
            if how_many.is_empty() {
                format!(
                    "partition {} missing: its tests never ran (hash parts vary in size: how many is not known)",
                    m.partition
                )
            } else {
                format!("partition {} missing: {how_many} never ran", m.partition)
            }
        })
        .collect();
    // A merged record of an older version has only the names.
    if detailed.is_empty() {
        lines.extend(
            r.missing_partitions
                .iter()
                .flatten()
                .map(|p| format!("partition {p} missing: its tests never ran")),
        );
    }
    lines
}

/// Renders the summary of a run record document (also a merged one, see `ci::merge`).
pub(crate) fn render_doc(r: &RunRecordDoc) -> String {
    render_as(r, "run")
}

/// The summary of `r`, whose `repro` reproduces this `what` (`run` or `hunt`).
fn render_as(r: &RunRecordDoc, what: &str) -> String {
    let c = |o: Outcome| r.counts.get(&o).copied().unwrap_or(0);
    let mut md = String::from("## cargo-shuffle\n\n");
    let missing = missing_lines(r);
    if !missing.is_empty() {
        let parts = r.merged_from.as_ref().map_or(0, Vec::len) + missing.len();
        let _ = write!(
            md,
            "> [!WARNING]\n> **Incomplete: {} of {parts} partitions missing.** The counts and \
             findings below cover only the parts given; the gate does not pass (exit {} when \
             their tests pass).\n>\n",
            missing.len(),
            crate::exit::INCOMPLETE
        );
        for l in &missing {
            let _ = writeln!(md, "> - {}", html_escape(l));
        }
        md.push('\n');
    }
    let _ = write!(
        md,
        "| passed | failed | crashed | timed out | errors | ignored |\n|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} |\n\n",
        c(Outcome::Passed),
        c(Outcome::Failed),
        c(Outcome::Crashed),
        c(Outcome::TimedOut),
        c(Outcome::Error),
        c(Outcome::Ignored)
    );
    let _ = write!(
        md,
        "Seed `{}`, {}{}.\n\nReproduce this {what}:\n```sh\n{}\n```\n",
        r.seed,
        crate::runner::output::count(r.shard_count as usize, "shard"),
        if r.interrupted {
            format!(" — **interrupted**, {} tests not run", r.not_run)
        } else if r.max_fail_reached {
            format!(" — **stopped by --max-fail**, {} tests not run", r.not_run)
        } else {
            String::new()
        },
        r.repro
    );
    if let Some(k) = r.unshuffled_shard {
        let n = r.plan.get(k as usize - 1).map_or(0, |s| s.tests.len());
        let _ = writeln!(
            md,
            "\n**Not shuffled:** shard {k} ran {} in name order (`shuffle = false` in the config file).",
            crate::runner::output::count(n, "test")
        );
    }
    if !r.list_errors.is_empty() {
        let _ = write!(
            md,
            "\n### Test binaries that could not be listed ({})\n\nTheir tests did not run (exit {}).\n\n",
            r.list_errors.len(),
            crate::exit::LIST_FAILED
        );
        for e in &r.list_errors {
            let first = e.error.lines().next().unwrap_or_default();
            let _ = writeln!(
                md,
                "- `{}` — {}",
                clean_text(&e.binary_id),
                html_escape(&clean_text(first))
            );
        }
    }
    let failing: Vec<_> = r.tests.iter().filter(|t| t.outcome.is_failure()).collect();
    if !failing.is_empty() {
        let _ = write!(md, "\n### Failing tests ({})\n\n", failing.len());
        for t in &failing {
            let first = t
                .message
                .as_deref()
                .and_then(|m| m.lines().next())
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "- `{}` — {}{}{}",
                clean_text(&t.id),
                t.outcome.name(),
                if t.quarantined {
                    " (quarantined by the baseline)"
                } else {
                    ""
                },
                if first.is_empty() {
                    String::new()
                } else {
                    format!(": {}", html_escape(&clean_text(first)))
                }
            );
        }
    }
    // Passed only on a retry: NOD-flaky, failing the gate (105) even with no failing test.
    let flaky: Vec<_> = r
        .tests
        .iter()
        .filter(|t| t.flaky && !t.quarantined)
        .collect();
    if !flaky.is_empty() {
        let _ = write!(
            md,
            "\n### Flaky tests ({}): passed only on a retry\n\n",
            flaky.len()
        );
        for t in &flaky {
            let _ = writeln!(
                md,
                "- `{}` — passed after {} failed attempt{}",
                clean_text(&t.id),
                t.failed_attempts.len(),
                if t.failed_attempts.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
    }
    if r.triaged {
        let _ = write!(md, "\n### Findings ({})\n", r.findings.len());
        for f in &r.findings {
            let _ = write!(
                md,
                "\n**`{}`** — {}\n\n{}\n",
                clean_text(&f.test),
                f.kind.name(),
                html_escape(&clean_text(&f.note))
            );
            if !f.cleaners.is_empty() {
                let _ = write!(
                    md,
                    "\nCleaners: `{}`\n",
                    clean_text(&f.cleaners.join("`, `"))
                );
            }
            if let Some(p) = &f.persistent_state {
                let _ = write!(
                    md,
                    "\nState outlives the run (passed in run {}, fails alone in run {}); candidate polluters: `{}`. Rerun with a reset:\n\n```sh\n{}\n```\n",
                    p.passed_in_run,
                    p.failed_in_run,
                    clean_text(&p.candidate_polluters.join("`, `")),
                    clean_text(&p.reset_example)
                );
            }
            let _ = write!(
                md,
                "\n```sh\n{}\n```\n({} reruns)\n",
                clean_text(&f.repro),
                f.reruns
            );
        }
    }
    md
}

/// Free text (panic messages, notes) made inert for Markdown renderers that pass HTML through
/// (GitHub's step summary): a message such as `expected <!-- …` must not swallow what follows.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_cannot_open_html_comments_or_tags() {
        let mut r = RunRecordDoc::example();
        r.seed = crate::plan::seed::Seed(1);
        r.shard_count = 1;
        r.repro = "cargo shuffle run --seed 1".into();
        r.counts.clear();
        r.triaged = false;
        r.tests = vec![crate::report::schema::TestDoc::example(
            "b t",
            Outcome::Failed,
        )];
        r.tests[0].message = Some("expected <!-- got <b> & more".into());
        let md = render_doc(&r);
        assert!(
            md.contains("expected &lt;!-- got &lt;b&gt; &amp; more"),
            "{md}"
        );
        assert!(!md.contains("<!--"), "{md}");
        assert!(md.contains("1 shard."), "{md}");
    }

    #[test]
    fn summaries_end_with_one_newline_and_a_hunts_reproduces_the_hunt() {
        let mut r = RunRecordDoc::example();
        r.list_errors = vec![crate::report::schema::ListErrorDoc::example()];
        r.repro = "cargo shuffle hunt --seed 1 --runs 3".into();
        for md in [render_doc(&r), render_doc(&RunRecordDoc::example())] {
            assert!(md.ends_with('\n') && !md.ends_with("\n\n"), "{md:?}");
            assert!(md.contains("Reproduce this run:"), "{md}");
        }
        let coverage = HuntCoverageDoc {
            tests: 2,
            pairs: 2,
            ordered: 2,
            ordered_estimated: false,
            consecutive: 2,
            runs: vec![],
            in_binary: None,
        };
        let md = render_hunt(&RunRecord::from_doc(&r), &coverage);
        assert!(
            md.contains("Reproduce this hunt:\n```sh\ncargo shuffle hunt --seed 1 --runs 3\n```"),
            "{md}"
        );
        assert!(md.ends_with("|---|---|---|---|---|---|\n"), "{md:?}");
    }

    #[test]
    fn a_binary_that_could_not_be_listed_has_its_own_section() {
        let mut r = RunRecordDoc::example();
        r.list_errors = vec![crate::report::schema::ListErrorDoc::example()];
        let md = render_doc(&r);
        assert!(
            md.contains("### Test binaries that could not be listed (1)"),
            "{md}"
        );
        assert!(
            md.contains("- `junk` — test binary `junk` printed a line that is not a libtest listing: \"Finishing up...\"\n"),
            "{md}"
        );
        assert!(!md.contains("hint"), "only the first line: {md}");
    }
}
