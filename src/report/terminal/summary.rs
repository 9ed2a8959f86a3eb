//! The summary at the end of a run (also of a hunt's runs, and of `merge`'s merged record):
//! the output blocks shown at the end, counts, the slowest tests, the failing tests with
//! their repro commands, the findings, the binaries that could not be listed, the seed and
//! the command that reproduces the run.

use super::blocks::{When, blocks_at};
use crate::events::{Outcome, TestResult};
use crate::plan::repro::ShardRerun;
use crate::report::record::RunRecord;
use crate::runner::output::{OutputSettings, clean_text};
use crate::triage::FindingKind;
use std::collections::HashMap;
use std::io::Write;

/// The summary into `err`: the output blocks whose setting is final (in plan order; see
/// [`blocks_at`]), then counts, the slowest tests, each failure with the command that
/// reproduces it (its finding's, else its shard's from `shards`), the findings, the binaries
/// that could not be listed, the seed (`seed_source` says where it came from) and the
/// command that reproduces the run (the record's).
pub(crate) fn write_summary(
    err: &mut impl Write,
    record: &RunRecord,
    shards: &dyn ShardRerun,
    seed_source: &str,
    output: &OutputSettings,
) {
    let mut failures: Vec<&TestResult> = record
        .results
        .iter()
        .filter(|r| r.outcome.is_failure())
        .collect();
    failures.sort_by_key(|r| (r.shard, r.position));
    let mut ran: Vec<&TestResult> = record
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Ignored)
        .collect();
    ran.sort_by_key(|r| (r.shard, r.position));
    for r in ran {
        if let Some(block) = blocks_at(r, output, When::Final) {
            let _ = write!(err, "{block}");
        }
    }
    let _ = writeln!(err, "\n──────────── summary ────────────");
    write_counts(err, record);
    write_slowest(err, record);
    if !failures.is_empty() {
        // A triaged failure's repro is its finding's (below, with the evidence); an untriaged
        // one reruns its shard, which cannot replay state that other shards left in a shared
        // sandbox.
        let found: HashMap<&str, &crate::triage::Finding> = record
            .findings
            .iter()
            .flatten()
            .map(|f| (f.test.as_str(), f))
            .collect();
        let header = if found.is_empty() {
            String::new()
        } else {
            "; a triaged one's repro is in its finding below".to_string()
        };
        let _ = writeln!(err, "failing tests ({}{header}):", failures.len());
        // With one sandbox for all shards, a shard rerun alone lacks what the other shards left
        // in the run's TMPDIR: say so rather than promise a reproduction.
        let shared_tmp = record.shard_count > 1 && !shards.sandbox_per_shard();
        for r in &failures {
            let id = r.test.id();
            let line = match found.get(id.as_str()) {
                Some(f) => format!(" — {}", f.label()),
                None if shared_tmp => format!(
                    "\n          its shard (without what other shards left in the shared TMPDIR; {}): {}",
                    if record.interrupted {
                        "the run was interrupted before triage"
                    } else if record.findings.is_none() {
                        "triage, without --no-triage, gives an exact repro"
                    } else {
                        "triage had no finding for it"
                    },
                    shards.shard_command(r.shard)
                ),
                None => format!("\n          its shard: {}", shards.shard_command(r.shard)),
            };
            let _ = writeln!(err, "  {:>7} {}{line}", r.outcome.label(), clean_text(&id),);
        }
    }
    write_flaky(err, record);
    write_findings(err, record);
    write_list_errors(err, record);
    if let Some(k) = record.unshuffled {
        let _ = writeln!(err, "{}", unshuffled_note(record, k));
    }
    let _ = writeln!(err, "seed: {} ({})", record.seed, seed_source);
    let _ = writeln!(err, "reproduce this run: {}", record.repro);
}

/// What the summary says of shard `k` of `record`, which kept its tests out of the shuffle.
fn unshuffled_note(record: &RunRecord, k: u32) -> String {
    let n = record.plan.get(k as usize - 1).map_or(0, Vec::len);
    format!(
        "not shuffled: shard {k} ran {} in name order (shuffle = false in the config file)",
        crate::runner::output::count(n, "test")
    )
}

/// The counts line: every outcome, what an interrupt stopped or left unrun, the elapsed time.
fn write_counts(err: &mut impl Write, record: &RunRecord) {
    let counts = record.counts();
    let c = |o| counts.get(&o).copied().unwrap_or(0);
    let _ = writeln!(
        err,
        "{} passed, {} failed, {} crashed, {} timed out, {} errors, {} ignored{} in {:.2}s",
        c(Outcome::Passed),
        c(Outcome::Failed),
        c(Outcome::Crashed),
        c(Outcome::TimedOut),
        c(Outcome::Error),
        c(Outcome::Ignored),
        if record.interrupted {
            format!(
                ", {} stopped by the interrupt, {} not run (interrupted)",
                c(Outcome::Interrupted),
                record.not_run()
            )
        } else if record.max_fail_reached {
            format!(
                ", {} stopped, {} not run (--max-fail reached)",
                c(Outcome::Interrupted),
                record.not_run()
            )
        } else {
            String::new()
        },
        record.elapsed.as_secs_f64()
    );
}

/// The five slowest tests that ran (ties by id), if any ran.
fn write_slowest(err: &mut impl Write, record: &RunRecord) {
    let mut slow: Vec<&TestResult> = record.results.iter().filter(|r| r.shard != 0).collect();
    slow.sort_by(|a, b| {
        b.duration
            .cmp(&a.duration)
            .then_with(|| a.test.id_cmp(&b.test))
    });
    if !slow.is_empty() {
        let _ = writeln!(err, "slowest:");
        for r in slow.iter().take(5) {
            let _ = writeln!(
                err,
                "  {:>8.3}s  {}",
                r.duration.as_secs_f64(),
                clean_text(&r.test.id())
            );
        }
    }
}

/// The binaries that could not be listed, each with the first line of its error (naming it and
/// quoting what it printed; the whole error was printed when listing).
fn write_list_errors(err: &mut impl Write, record: &RunRecord) {
    if record.list_errors.is_empty() {
        return;
    }
    let _ = writeln!(
        err,
        "could not be listed, their tests did not run ({}):",
        record.list_errors.len()
    );
    for e in &record.list_errors {
        let first = e.error.lines().next().unwrap_or_default();
        let _ = writeln!(
            err,
            "  {}\n          {}",
            clean_text(&e.binary_id),
            clean_text(first)
        );
    }
}

/// Each triage finding: test, kind, note, cleaners, reruns and its repro command (nothing
/// when triage found nothing or did not run).
/// The tests that passed only on a retry and have no finding (`--no-triage`; triage makes each
/// a NOD-flaky finding): they fail the gate with 105 although nothing failed.
fn write_flaky(err: &mut impl Write, record: &RunRecord) {
    let found: std::collections::HashSet<&str> = record
        .findings
        .iter()
        .flatten()
        .map(|f| f.test.as_str())
        .collect();
    let flaky: Vec<&TestResult> = record
        .results
        .iter()
        .filter(|r| r.is_flaky() && !r.quarantined && !found.contains(r.test.id().as_str()))
        .collect();
    if flaky.is_empty() {
        return;
    }
    let _ = writeln!(
        err,
        "flaky tests ({}; passed only on a retry: NOD-flaky, they fail the gate unless --allow-flaky):",
        flaky.len()
    );
    for r in flaky {
        let _ = writeln!(
            err,
            "    FLAKY {} (passed after {})",
            clean_text(&r.test.id()),
            crate::runner::output::count(r.previous_attempts.len(), "failed attempt")
        );
    }
}

fn write_findings(err: &mut impl Write, record: &RunRecord) {
    if let Some(findings) = record.findings.as_ref().filter(|f| !f.is_empty()) {
        let _ = writeln!(
            err,
            "findings ({}; order-dependent first, each with a command that reproduces it):",
            findings.len()
        );
        // What the user came for first: order dependence, then flakiness, then the rest.
        let rank = |f: &&crate::triage::Finding| match f.kind {
            FindingKind::OdVictim => 0,
            FindingKind::Brittle => 1,
            FindingKind::NodFlaky => 2,
            FindingKind::Unfinished => 3,
            FindingKind::Failure => 4,
        };
        let mut findings: Vec<&crate::triage::Finding> = findings.iter().collect();
        findings.sort_by_key(rank);
        for f in findings {
            let _ = writeln!(err, "  {} — {}", clean_text(&f.test), f.label());
            let _ = writeln!(err, "      {}", clean_text(&f.note));
            if !f.cleaners.is_empty() {
                let _ = writeln!(
                    err,
                    "      cleaners: {}",
                    clean_text(&f.cleaners.join(", "))
                );
            }
            let _ = writeln!(err, "      reruns: {}", f.reruns);
            let _ = writeln!(err, "      repro: {}", f.repro);
        }
    }
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
