//! The Markdown summary (`--summary PATH`) for CI job pages such as `$GITHUB_STEP_SUMMARY`:
//! counts, seed, the repro command, and one section per triage finding.

use super::record::RunRecord;
use crate::events::Outcome;
use crate::output::clean_text;

/// Renders the summary of `record` as GitHub-flavoured Markdown.
pub fn render(record: &RunRecord) -> String {
    let counts = record.counts();
    let c = |o| counts.get(&o).copied().unwrap_or(0);
    let mut md = String::from("## cargo-shuffle\n\n");
    md.push_str(&format!(
        "| passed | failed | crashed | timed out | errors | ignored |\n|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} |\n\n",
        c(Outcome::Passed),
        c(Outcome::Failed),
        c(Outcome::Crashed),
        c(Outcome::TimedOut),
        c(Outcome::Error),
        c(Outcome::Ignored)
    ));
    md.push_str(&format!(
        "Seed `{}`, {} shards{}.\n\nReproduce this run:\n```sh\n{}\n```\n",
        record.seed,
        record.shard_count,
        if record.interrupted {
            format!(" — **interrupted**, {} tests not run", record.not_run())
        } else {
            String::new()
        },
        record.repro
    ));
    if let Some(findings) = &record.findings {
        md.push_str(&format!("\n### Findings ({})\n", findings.len()));
        for f in findings {
            md.push_str(&format!(
                "\n**`{}`** — {}\n\n{}\n",
                clean_text(&f.test),
                f.kind.label(),
                clean_text(&f.note)
            ));
            if !f.cleaners.is_empty() {
                md.push_str(&format!(
                    "\nCleaners: `{}`\n",
                    clean_text(&f.cleaners.join("`, `"))
                ));
            }
            md.push_str(&format!(
                "\n```sh\n{}\n```\n({} reruns)\n",
                f.repro, f.reruns
            ));
        }
    }
    md
}
