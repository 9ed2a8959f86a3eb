//! The Markdown summary (`--summary PATH`) for CI job pages such as `$GITHUB_STEP_SUMMARY`:
//! counts, seed, the repro command, and one section per triage finding. Rendered from the JSON
//! run record, so that `merge` summarises merged partitions the same way.

use super::record::RunRecord;
use crate::runner::output::clean_text;
use serde_json::Value;
use std::fmt::Write as _;

/// Renders the summary of `record` as GitHub-flavoured Markdown.
pub(crate) fn render(record: &RunRecord) -> String {
    render_json(&serde_json::to_value(record.to_json()).expect("the record serialises"))
}

/// Renders the summary of a JSON run record (schema `cargo-shuffle/run-record/v1`).
pub(crate) fn render_json(r: &Value) -> String {
    let c = |o: &str| r["counts"][o].as_u64().unwrap_or(0);
    let mut md = String::from("## cargo-shuffle\n\n");
    let _ = write!(
        md,
        "| passed | failed | crashed | timed out | errors | ignored |\n|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} |\n\n",
        c("passed"),
        c("failed"),
        c("crashed"),
        c("timed-out"),
        c("error"),
        c("ignored")
    );
    let _ = write!(
        md,
        "Seed `{}`, {}{}.\n\nReproduce this run:\n```sh\n{}\n```\n",
        r["seed"].as_str().unwrap_or_default(),
        crate::runner::output::count(r["shard_count"].as_u64().unwrap_or(0) as usize, "shard"),
        if r["interrupted"] == true {
            format!(" — **interrupted**, {} tests not run", r["not_run"])
        } else {
            String::new()
        },
        r["repro"].as_str().unwrap_or_default()
    );
    let failing: Vec<&Value> = r["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| !matches!(t["outcome"].as_str(), Some("passed" | "ignored")))
        .collect();
    if !failing.is_empty() {
        let _ = write!(md, "\n### Failing tests ({})\n\n", failing.len());
        for t in &failing {
            let first = t["message"]
                .as_str()
                .and_then(|m| m.lines().next())
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "- `{}` — {}{}{}",
                clean_text(t["id"].as_str().unwrap_or_default()),
                t["outcome"].as_str().unwrap_or_default(),
                if t["quarantined"] == true {
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
    if r["triaged"] == true {
        let findings = r["findings"].as_array().cloned().unwrap_or_default();
        let _ = write!(md, "\n### Findings ({})\n", findings.len());
        for f in &findings {
            let s = |k: &str| clean_text(f[k].as_str().unwrap_or_default());
            let _ = write!(
                md,
                "\n**`{}`** — {}\n\n{}\n",
                s("test"),
                s("kind"),
                html_escape(&s("note"))
            );
            let cleaners: Vec<&str> = f["cleaners"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !cleaners.is_empty() {
                let _ = write!(md, "\nCleaners: `{}`\n", clean_text(&cleaners.join("`, `")));
            }
            let _ = write!(
                md,
                "\n```sh\n{}\n```\n({} reruns)\n",
                s("repro"),
                f["reruns"]
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
        let r = serde_json::json!({
            "seed": "1", "shard_count": 1, "repro": "cargo shuffle run --seed 1",
            "counts": {}, "triaged": false,
            "tests": [{"id": "b t", "outcome": "failed", "message": "expected <!-- got <b> & more"}]
        });
        let md = render_json(&r);
        assert!(
            md.contains("expected &lt;!-- got &lt;b&gt; &amp; more"),
            "{md}"
        );
        assert!(!md.contains("<!--"), "{md}");
        assert!(md.contains("1 shard."), "{md}");
    }
}
