//! The parts of the HTML report around the timeline, each a function from the record to HTML:
//! the header, a hunt's runs, a merge's partitions, the legend and the findings (the tests'
//! output is in [`super::outputs`]). All of it reads without JavaScript; every text goes through
//! [`text`].

use super::escape::text;
use super::timeline::{ListedBar, Timeline, ms_label};
use super::{Meta, Part};
use crate::events::TestResult;
use crate::exit;
use crate::report::record::RunRecord;
use crate::report::schema::{HuntCoverageDoc, RunRecordDoc};
use crate::runner::output::count;
use crate::triage::{Finding, FindingKind};
use std::fmt::Write as _;

/// Tests not run (`--max-fail`, an interrupt) the header lists by id; the rest are counted.
pub(super) const NOT_RUN_LISTED: usize = 200;

/// The gate's verdict for exit code `code`: a CSS class and words.
pub(super) fn verdict(code: i32) -> (&'static str, &'static str) {
    match code {
        exit::OK => ("pass", "passed"),
        exit::TESTS_FAILED => ("fail", "tests failed"),
        exit::ORDER_DEPENDENT => ("fail", "order-dependent tests found"),
        exit::FLAKY => ("warn", "only NOD-flaky failures"),
        exit::INCOMPLETE => ("warn", "incomplete: not every test ran"),
        exit::LIST_FAILED => ("fail", "test binaries could not be listed"),
        exit::INTERRUPTED => ("warn", "interrupted"),
        exit::NO_TESTS => ("warn", "no tests selected"),
        _ => ("fail", "error"),
    }
}

/// A copyable command: the text, and a button the script shows.
fn command(cmd: &str) -> String {
    format!(
        "<div class=\"cmd\"><code>{}</code><button class=\"copy\" type=\"button\">copy</button></div>",
        text(cmd)
    )
}

/// The header: verdict and exit code, seed and its source, shards, partition, isolation,
/// profile, workers, times, counts, the repro command, binaries that could not be listed.
pub(super) fn header(r: &RunRecord, meta: &Meta) -> String {
    let (class, words) = verdict(meta.exit_code);
    let mut h = format!(
        "<header><h1>cargo-shuffle {} <span class=\"verdict {class}\">{words} · exit {}</span></h1><div class=\"facts\">",
        text(meta.command),
        meta.exit_code
    );
    let mut fact = |k: &str, v: String| {
        let _ = write!(
            h,
            "<div><span class=\"k\">{k}</span> <span class=\"v\">{v}</span></div>"
        );
    };
    let source = if meta.seed_source.is_empty() {
        String::new()
    } else {
        format!(" <span class=\"dim\">{}</span>", text(&meta.seed_source))
    };
    fact("seed", format!("<code>{}</code>{source}", r.seed));
    fact("shards", r.shard_count.to_string());
    if let Some(p) = r.partition {
        fact("partition", p.to_string());
    }
    fact(
        "isolation",
        match meta.isolation {
            Some(crate::runner::executor::Isolation::Shared) => "shared (a process per binary)",
            Some(crate::runner::executor::Isolation::Process) => "process (a process per test)",
            None => "as in the repro command",
        }
        .to_string(),
    );
    fact(
        "profile",
        r.profile.as_deref().map_or("(no config file)".into(), text),
    );
    if let Some(k) = r.unshuffled {
        fact(
            "not shuffled",
            format!(
                "shard {k}: {} in name order <span class=\"dim\">(shuffle = false)</span>",
                count(r.plan.get(k as usize - 1).map_or(0, Vec::len), "test")
            ),
        );
    }
    fact("workers", r.jobs.to_string());
    fact("elapsed", ms_label(r.elapsed.as_millis() as f64));
    if let Some(t) = r.started_at {
        let t = chrono::DateTime::<chrono::Utc>::from(t);
        fact(
            "started",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
    }
    h.push_str("</div><p class=\"counts\">");
    for (o, n) in r.counts() {
        let _ = write!(
            h,
            "<span class=\"chip o-{}\">{n} {}</span>",
            o.name(),
            o.name()
        );
    }
    let slow = r.results.iter().filter(|t| t.slow).count();
    if slow > 0 {
        let _ = write!(
            h,
            "<span class=\"chip slow\">{slow} slow (longer than their slow-timeout)</span>"
        );
    }
    let not_run = r.not_run();
    if not_run > 0 {
        let _ = write!(
            h,
            "<span class=\"chip o-interrupted\">{not_run} not run ({})</span>",
            text(r.not_run_reason())
        );
    }
    let findings = r.findings.as_deref().unwrap_or_default();
    let _ = write!(
        h,
        "<span class=\"chip\">{}</span></p><p>Reproduce {}:</p>{}",
        count(findings.len(), "finding"),
        match meta.command {
            "merge" => "the merged run (every partition in one run)",
            "hunt" => "this hunt",
            _ => "this run",
        },
        command(&meta.repro)
    );
    let ids = r.not_run_tests();
    if !ids.is_empty() {
        let _ = write!(
            h,
            "<details class=\"not-run\"><summary>{} not run ({})</summary><ul>",
            count(ids.len(), "test"),
            text(r.not_run_reason())
        );
        for id in ids.iter().take(NOT_RUN_LISTED) {
            let _ = write!(h, "<li><code>{}</code></li>", text(id));
        }
        if ids.len() > NOT_RUN_LISTED {
            let _ = write!(
                h,
                "<li>… and {} more (the JSON record's <code>not_run_tests</code> has every one)</li>",
                ids.len() - NOT_RUN_LISTED
            );
        }
        h.push_str("</ul></details>");
    }
    if !r.list_errors.is_empty() {
        let _ = write!(
            h,
            "<div class=\"alert\"><strong>{} test binar{} could not be listed</strong> (their tests did not run, exit {}):<ul>",
            r.list_errors.len(),
            if r.list_errors.len() == 1 { "y" } else { "ies" },
            exit::LIST_FAILED
        );
        for e in &r.list_errors {
            let _ = write!(
                h,
                "<li><code>{}</code>: <pre>{}</pre></li>",
                text(&e.binary_id),
                text(&e.error)
            );
        }
        h.push_str("</ul></div>");
    }
    h.push_str("</header>\n");
    h
}

/// A small horizontal bar figure of `pct` percent.
fn pct_figure(pct: f64) -> String {
    let w = pct.clamp(0.0, 100.0);
    format!(
        "<svg class=\"pct\" viewBox=\"0 0 100 8\" width=\"100\" height=\"8\" aria-hidden=\"true\"><rect width=\"100\" height=\"8\" class=\"pct-bg\"/><rect width=\"{w:.1}\" height=\"8\" class=\"pct-fill\"/></svg> {pct:.1}%"
    )
}

/// A hunt's runs, one row each: order kind, seed, tests, failures, pair coverage after it.
pub(super) fn hunt(runs: &[RunRecord], cov: &HuntCoverageDoc) -> String {
    let mut h = format!(
        "<section id=\"hunt\"><h2>Hunt: {} runs over {} tests</h2><p>Pair coverage reached: {} of the {} ordered pairs ran first-before-second in some run{}, {} ran consecutively{}.</p>\
         <table><thead><tr><th>run</th><th>order</th><th>seed</th><th>tests</th><th>failing</th><th>ordered pairs after it</th><th>new</th><th>consecutive pairs after it</th><th>new</th></tr></thead><tbody>",
        runs.len(),
        cov.tests,
        pct_figure(crate::plan::coverage::percent(cov.ordered, cov.pairs)),
        cov.pairs,
        if cov.ordered_estimated {
            " (estimated)"
        } else {
            ""
        },
        pct_figure(crate::plan::coverage::percent(cov.consecutive, cov.pairs)),
        cov.in_binary.as_ref().map_or(String::new(), |b| format!(
            "; inside binaries {} of {} pairs",
            b.covered, b.pairs
        )),
    );
    for (k, r) in runs.iter().enumerate() {
        let failing = r.results.iter().filter(|t| t.outcome.is_failure()).count();
        let c = cov.runs.get(k);
        let _ = write!(
            h,
            "<tr><td>{}</td><td><span class=\"kind\">{}</span></td><td><code>{}</code></td><td>{}</td><td class=\"{}\">{failing}</td><td>{}</td><td>+{}</td><td>{}</td><td>+{}</td></tr>",
            k + 1,
            text(c.map_or("?", |c| c.order.as_str())),
            r.seed,
            r.results.iter().filter(|t| t.shard != 0).count(),
            if failing > 0 { "bad" } else { "" },
            pct_figure(c.map_or(0.0, |c| c.ordered_pct)),
            c.map_or(0, |c| c.new_ordered),
            pct_figure(c.map_or(0.0, |c| c.consecutive_pct)),
            c.map_or(0, |c| c.new_consecutive),
        );
    }
    h.push_str("</tbody></table></section>\n");
    h
}

/// A merge's partitions side by side, in partition order; a missing one is marked with how
/// many of its planned tests never ran.
pub(super) fn merge(merged: &RunRecordDoc, parts: &[Part]) -> String {
    let mut cards: Vec<(u32, String)> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let r = &p.record;
        let failing = r.results.iter().filter(|t| t.outcome.is_failure()).count();
        let mut c = format!(
            "<div class=\"part {}\"><h3>{}</h3><p class=\"dim\">{}</p><p>",
            if failing > 0 { "failing" } else { "good" },
            r.partition
                .map_or("(unpartitioned)".to_string(), |q| format!("partition {q}")),
            text(&p.file)
        );
        for (o, n) in r.counts() {
            let _ = write!(
                c,
                "<span class=\"chip o-{}\">{n} {}</span>",
                o.name(),
                o.name()
            );
        }
        let _ = write!(
            c,
            "</p><p>{} · {}</p></div>",
            ms_label(r.elapsed.as_millis() as f64),
            count(r.findings.as_ref().map_or(0, Vec::len), "finding")
        );
        cards.push((r.partition.map_or(i as u32 + 1, |q| q.index), c));
    }
    for (p, note) in super::missing(merged) {
        cards.push((
            p.index,
            format!(
                "<div class=\"part missing\"><h3>partition {p}</h3><p><strong>MISSING</strong></p><p>{}</p></div>",
                text(&note)
            ),
        ));
    }
    cards.sort_by_key(|(i, _)| *i);
    let missing = merged.missing_partitions.as_ref().map_or(0, Vec::len);
    let mut h = format!(
        "<section id=\"merge\"><h2>Partitions ({} given{})</h2><div class=\"parts\">",
        parts.len(),
        if missing > 0 {
            format!(", <span class=\"bad\">{missing} missing</span>")
        } else {
            String::new()
        }
    );
    for (_, c) in cards {
        h.push_str(&c);
    }
    h.push_str("</div></section>\n");
    h
}

/// The legend of the timeline's colours (of the outcomes on it) and arrows.
pub(super) fn legend(r: &RunRecord, tl: &Timeline<'_>) -> String {
    let mut h = String::from("<p class=\"legend\">");
    let flaky = r.results.iter().any(TestResult::is_flaky);
    let quarantined = r.results.iter().any(|t| t.quarantined);
    let outcomes = [
        "passed",
        "flaky",
        "failed",
        "crashed",
        "timed-out",
        "error",
        "interrupted",
    ];
    for o in outcomes {
        if tl.data.outcomes.contains(&o) || (o == "flaky" && flaky) {
            let _ = write!(h, "<span class=\"chip o-{o}\">{o}</span>");
        }
    }
    if quarantined {
        h.push_str("<span class=\"chip quarantined\">quarantined</span>");
    }
    for a in ["polluter", "state-setter", "cleaner"] {
        let _ = write!(h, "<span class=\"key {a}\">→ {a}</span>");
    }
    if r.results.iter().any(|t| t.slow) {
        h.push_str("<span class=\"key slow\">▭ slow (dashed)</span>");
    }
    h.push_str("<span class=\"key shard\">| shard starts</span></p>");
    h
}

/// Links to the failing bars of test `id` (their outputs below), or its plain id.
fn test_ref(id: &str, tl: &Timeline<'_>) -> String {
    let bars: Vec<&ListedBar<'_>> = tl
        .failing
        .iter()
        .filter(|b| b.result.test.id() == id)
        .collect();
    match bars.first() {
        Some(b) => format!("<a href=\"#t{}\"><code>{}</code></a>", b.index, text(id)),
        None => format!("<code>{}</code>", text(id)),
    }
}

/// Tests of an evidence rerun's order listed at each end; the ones between are counted (a
/// rerun of a big run's prefix can hold thousands).
pub(super) const ORDER_ENDS: usize = 20;

/// An evidence rerun's `order` (escaped ids, the test last) as a collapsed numbered list: all
/// of it up to 2 × [`ORDER_ENDS`] tests, else its first and last [`ORDER_ENDS`] with the count
/// between (the JSON record has every one).
fn order_list(order: &[String]) -> String {
    let items = |ids: &[String]| ids.join("</li><li>");
    let list = if order.len() <= 2 * ORDER_ENDS {
        format!("<ol><li>{}</li></ol>", items(order))
    } else {
        let tail = order.len() - ORDER_ENDS;
        format!(
            "<ol><li>{}</li></ol><p class=\"dim\">… {} more (the JSON record's evidence has every one) …</p><ol start=\"{}\"><li>{}</li></ol>",
            items(&order[..ORDER_ENDS]),
            tail - ORDER_ENDS,
            tail + 1,
            items(&order[tail..])
        )
    };
    format!(
        "<details><summary>{} tests</summary>{list}</details>",
        order.len()
    )
}

/// One finding: kind, test, note, culprits, evidence reruns, the repro command.
fn finding(f: &Finding, tl: &Timeline<'_>) -> String {
    let mut h = format!(
        "<article class=\"finding k-{}\"><h3><span class=\"kind\">{}</span> {}</h3><p>{}</p><ul class=\"roles\">",
        f.kind.name(),
        text(f.label()),
        test_ref(&f.test, tl),
        text(&f.note)
    );
    for (role, list) in [
        ("polluters", &f.polluters),
        ("state-setters", &f.state_setters),
        ("cleaners", &f.cleaners),
    ] {
        if !list.is_empty() {
            let _ = write!(h, "<li class=\"{role}\">{role}: ");
            let refs: Vec<String> = list
                .iter()
                .map(|c| format!("<code>{}</code>", text(c)))
                .collect();
            h.push_str(&refs.join(", "));
            h.push_str("</li>");
        }
    }
    let _ = write!(
        h,
        "<li>found in {} isolation{}; {} reruns ({} to search)</li></ul>",
        match f.isolation {
            crate::runner::executor::Isolation::Process => "process",
            crate::runner::executor::Isolation::Shared => "shared",
        },
        if f.in_process_state {
            ", state inside the process"
        } else {
            ""
        },
        f.reruns,
        f.search_reruns
    );
    if !f.evidence.is_empty() {
        let _ = write!(
            h,
            "<details class=\"evidence\"><summary>evidence: {}</summary><table><thead><tr><th>purpose</th><th>outcome</th><th>time</th><th>order (the test last)</th></tr></thead><tbody>",
            count(f.evidence.len(), "rerun")
        );
        for e in &f.evidence {
            let order: Vec<String> = e.order.iter().map(|t| text(t)).collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td><span class=\"chip o-{}\">{}</span></td><td>{:.1} ms</td><td>{}</td></tr>",
                text(e.purpose),
                e.outcome.name(),
                e.outcome.name(),
                e.duration_ms,
                if order.len() <= 4 {
                    order.join(" → ")
                } else {
                    order_list(&order)
                }
            );
        }
        h.push_str("</tbody></table></details>");
    }
    if !f.repro.is_empty() {
        let _ = write!(h, "<p>Reproduce:</p>{}", command(&f.repro));
    }
    h.push_str("</article>");
    h
}

/// The findings, order-dependent ones first, then NOD-flaky ones, then plain failures (with
/// the failing tests triage did not classify).
pub(super) fn findings(r: &RunRecord, findings: &[Finding], tl: &Timeline<'_>) -> String {
    let mut h = String::from("<section id=\"findings\"><h2>Findings</h2>");
    if r.findings.is_none() {
        h.push_str(
            "<p class=\"dim\">Triage was off (--no-triage): failures are not classified.</p>",
        );
    }
    let blocks: [(&str, &[FindingKind]); 3] = [
        (
            "Order-dependent",
            &[FindingKind::OdVictim, FindingKind::Brittle],
        ),
        ("NOD flaky", &[FindingKind::NodFlaky]),
        ("Failures", &[FindingKind::Failure, FindingKind::Unfinished]),
    ];
    for (title, kinds) in blocks {
        let these: Vec<&Finding> = findings
            .iter()
            .filter(|f| kinds.contains(&f.kind))
            .collect();
        let _ = write!(h, "<h3 class=\"block\">{title} ({})</h3>", these.len());
        for f in these {
            h.push_str(&finding(f, tl));
        }
    }
    let classified: std::collections::HashSet<&str> =
        findings.iter().map(|f| f.test.as_str()).collect();
    // Each test once, though a hunt may draw it failing in several runs.
    let mut seen = std::collections::HashSet::new();
    let plain: Vec<String> = tl
        .failing
        .iter()
        .map(|b| b.result.test.id())
        .filter(|id| !classified.contains(id.as_str()) && seen.insert(id.clone()))
        .collect();
    if !plain.is_empty() {
        let _ = write!(h, "<p>Failing without a finding ({}): ", plain.len());
        let refs: Vec<String> = plain.iter().map(|id| test_ref(id, tl)).collect();
        h.push_str(&refs.join(", "));
        h.push_str("</p>");
    }
    h.push_str("</section>\n");
    h
}
