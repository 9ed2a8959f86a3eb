//! The subcommands: `list`, `run`, `hunt`, `archive`, `merge` and `baseline`, each from its
//! validated configuration to its documented exit code.

use crate::app::cli::{self, ListFormat, ListType};
use crate::app::config::{self, ListConfig, RunConfig};
use crate::app::error::AppError;
use crate::app::prepare::{Prepared, announce_seed, prepare};
use crate::app::reports::{unless_unwritten, write_html, write_reports};
use crate::app::session::{apply_baseline, note_flaky, start};
use crate::ci::{baseline, gate, merge};
use crate::discover;
use crate::discover::archive;
use crate::discover::list;
use crate::exit;
use crate::plan::repro::RecordedRun;
use crate::report;
use crate::report::schema;
use crate::triage;
use std::fmt::Write as _;
use std::io::Write;

/// `cargo shuffle list`: the plan (or with `--list-type binaries-only` the test binaries) on
/// stdout, human, JSON or one per line; exit 104 when some binary could not be listed (the plan
/// of the others is still printed, the JSON names the binaries).
pub(crate) fn list_cmd(cfg: &ListConfig) -> Result<i32, AppError> {
    announce_seed(&cfg.plan);
    let Prepared {
        binaries,
        plan,
        list_errors,
        unpacked: _unpacked,
        ..
    } = prepare(&cfg.plan, true)?;
    let out = match cfg.list_type {
        ListType::Full => plan_text(cfg.format, &plan, &list_errors),
        ListType::BinariesOnly => binaries_text(cfg.format, &binaries, &list_errors),
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(if list_errors.is_empty() {
        exit::OK
    } else {
        exit::LIST_FAILED
    })
}

/// `list --list-type binaries-only`: every test binary found, by id; one id per line (human
/// and oneline: the same, so `xargs` takes either), or one JSON document with their paths.
fn binaries_text(
    format: ListFormat,
    binaries: &[discover::TestBinary],
    list_errors: &[report::record::ListErrorDoc],
) -> String {
    let mut sorted: Vec<&discover::TestBinary> = binaries.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    match format {
        ListFormat::Human | ListFormat::Oneline => {
            sorted.iter().map(|b| format!("{}\n", b.id)).collect()
        }
        ListFormat::Json => {
            let doc = schema::ListBinariesDoc {
                binaries: sorted
                    .iter()
                    .map(|b| schema::ListBinary {
                        binary_id: b.id.clone(),
                        path: b.path.clone(),
                    })
                    .collect(),
                list_errors: list_errors.to_vec(),
            };
            serde_json::to_string_pretty(&doc).expect("JSON values serialise") + "\n"
        }
    }
}

/// `list --list-type full`: the plan in `format`.
fn plan_text(
    format: ListFormat,
    plan: &crate::plan::Plan,
    list_errors: &[report::record::ListErrorDoc],
) -> String {
    let mut out = String::new();
    match format {
        ListFormat::Oneline => {
            // The selected tests in plan order, shard after shard: ids only, no headers, no
            // ignored tests (they would not run), so every line is an `--order` argument.
            for t in plan.shards.iter().flatten() {
                let _ = writeln!(out, "{}", t.test.id());
            }
        }
        ListFormat::Human => {
            let _ = writeln!(
                out,
                "seed {}, {}{}, {}",
                plan.seed,
                crate::runner::output::count(plan.shard_count() as usize, "shard"),
                plan.partition
                    .map(|p| format!(", partition {p}"))
                    .unwrap_or_default(),
                crate::runner::output::count(plan.test_count(), "test")
            );
            for (i, shard) in plan.shards.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "shard {} ({}{}):",
                    i + 1,
                    crate::runner::output::count(shard.len(), "test"),
                    if plan.unshuffled == Some(i as u32 + 1) {
                        ", in name order, not shuffled: shuffle = false"
                    } else {
                        ""
                    }
                );
                for t in shard {
                    let _ = writeln!(out, "  {}", t.test.id());
                }
            }
            if !plan.ignored.is_empty() {
                let _ = writeln!(out, "ignored, not run ({}):", plan.ignored.len());
                for t in &plan.ignored {
                    let _ = writeln!(out, "  {}", t.id());
                }
            }
            if !list_errors.is_empty() {
                let _ = writeln!(out, "could not be listed, not run ({}):", list_errors.len());
                for e in list_errors {
                    let _ = writeln!(out, "  {}", e.binary_id);
                }
            }
        }
        ListFormat::Json => {
            let doc = schema::ListDoc {
                seed: plan.seed,
                shard_count: plan.shard_count(),
                partition: plan.partition,
                shards: plan
                    .shards
                    .iter()
                    .enumerate()
                    .map(|(i, s)| schema::ListShard {
                        shard: i + 1,
                        tests: s.iter().map(|t| t.test.clone()).collect(),
                    })
                    .collect(),
                unshuffled_shard: plan.unshuffled,
                ignored: plan.ignored.clone(),
                list_errors: list_errors.to_vec(),
            };
            out = serde_json::to_string_pretty(&doc).expect("JSON values serialise") + "\n";
        }
    }
    out
}

/// `cargo shuffle merge`: merged reports, then the gate on the merged run.
pub(crate) fn merge_cmd(a: &cli::MergeArgs) -> Result<i32, AppError> {
    let usage = |e: merge::MergeError| AppError::Usage(config::UsageError(e.to_string()));
    let is = |p: &std::path::PathBuf, ext: &str| p.extension().is_some_and(|e| e == ext);
    let json_in: Vec<_> = a.inputs.iter().filter(|p| is(p, "json")).cloned().collect();
    let xml_in: Vec<_> = a.inputs.iter().filter(|p| is(p, "xml")).cloned().collect();
    if let Some(bad) = a.inputs.iter().find(|p| !is(p, "json") && !is(p, "xml")) {
        return Err(usage(merge::MergeError(format!(
            "{}: merge takes the partitions' *.json run records and *.xml JUnit files",
            bad.display()
        ))));
    }
    if json_in.is_empty() {
        return Err(usage(merge::MergeError(
            "merge needs the partitions' JSON run records (written with --report): the gate is computed from them".into(),
        )));
    }
    let merged = merge::merge_records(&json_in, a.allow_missing).map_err(usage)?;
    let junit = if xml_in.is_empty() {
        // The JUnit of the merged run, from the records alone.
        a.junit.as_ref().map(|_| merge::junit_from_record(&merged))
    } else {
        let parts: std::collections::BTreeSet<String> = merged
            .merged_from
            .iter()
            .flatten()
            .filter_map(|m| m.partition.map(|p| p.to_string()))
            .collect();
        if xml_in.len() != json_in.len() {
            return Err(usage(merge::MergeError(format!(
                "{} JSON records but {} JUnit files: pass both files of every partition",
                json_in.len(),
                xml_in.len()
            ))));
        }
        Some(crate::ci::merge_junit::merge_junit(&xml_in, &parts).map_err(usage)?)
    };
    let mut ok = true;
    let mut write = |path: &Option<std::path::PathBuf>, bytes: &[u8]| {
        if let Some(p) = path
            && let Err(e) = report::write_file(p, bytes)
        {
            say!("error: {e:#}");
            ok = false;
        }
    };
    write(
        &a.report,
        &serde_json::to_vec_pretty(&merged).expect("JSON values serialise"),
    );
    if let Some(j) = &junit {
        write(&a.junit, j.as_bytes());
    }
    write(&a.summary, report::markdown::render_doc(&merged).as_bytes());
    let record = report::record::RunRecord::from_doc(&merged);
    let inputs = gate::GateInputs::of([&record]);
    let given = merged.merged_from.as_ref().map_or(0, Vec::len);
    let absent = merged.missing_partitions.as_deref().unwrap_or_default();
    say!(
        "cargo-shuffle: merged {} of seed {}: {} tests, {} failing, {} findings{}",
        if absent.is_empty() {
            format!("{given} partition(s)")
        } else {
            format!(
                "{given} of {} partitions (MISSING: {})",
                given + absent.len(),
                absent.join(", ")
            )
        },
        merged.seed,
        merged.tests.len(),
        inputs.failing.len(),
        merged.findings.len(),
        match merged.list_errors.len() {
            0 => String::new(),
            n => format!(
                ", {n} test binar{} could not be listed (exit {})",
                if n == 1 { "y" } else { "ies" },
                exit::LIST_FAILED
            ),
        }
    );
    // The merge is the pipeline's gate job: its log shows what `run` shows at its end (the
    // failing tests, the findings with their repros, the binaries not listed, the seed and
    // the command that reproduces the whole, unpartitioned run).
    report::terminal::TerminalReporter::new(false).summary(
        &record,
        &RecordedRun(&merged.repro),
        "as the partition jobs had it",
    );
    // Tests that passed only on a retry, in any part, count too (the parts' own gates did).
    let code = inputs.exit_code(
        record.findings.as_deref(),
        &gate::GatePolicy {
            allow_flaky: a.allow_flaky,
        },
    );
    // --allow-missing: the gate did not see every test, so it is never green; failures of the
    // tests given keep their own code, except "only flaky" (105), a code CI jobs tolerate, which
    // must not hide that a part never ran.
    let missing = report::markdown::missing_lines(&merged);
    for line in &missing {
        say!("cargo-shuffle: warning: {line}");
    }
    if !missing.is_empty() {
        say!(
            "cargo-shuffle: warning: INCOMPLETE: {} of the {} partitions missing; the gate covers only the parts given{}",
            missing.len(),
            given + absent.len(),
            if code == exit::OK || code == exit::FLAKY {
                format!(
                    ", whose tests passed: exit {} (not {code})",
                    exit::INCOMPLETE
                )
            } else {
                String::new()
            }
        );
    }
    let code = merge_exit(code, !missing.is_empty(), ok);
    Ok(write_html(
        a.html.as_deref(),
        &|| merge_html(&merged, &json_in, &xml_in, code),
        code,
    ))
}

/// The exit code of a merge: the gate's `code` for the parts given, made 103 when parts are
/// missing and it would otherwise pass or only report flaky tests (105, which CI jobs tolerate,
/// must not hide a part that never ran), and 1 when it passes but a report could not be written.
fn merge_exit(code: i32, missing: bool, written: bool) -> i32 {
    if (code == exit::OK || code == exit::FLAKY) && missing {
        exit::INCOMPLETE
    } else if code == exit::OK && !written {
        exit::OTHER_ERROR
    } else {
        code
    }
}

/// `cargo shuffle archive`: build, check that every binary lists, pack.
pub(crate) fn archive_cmd(a: &cli::ArchiveArgs) -> Result<i32, AppError> {
    let sel = discover::CargoSelection {
        args: config::cargo_args(&a.cargo),
        manifest_path: a.cargo.manifest_path.clone(),
        metadata: None,
    };
    let mut binaries = discover::build_with_cargo(&sel)?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    crate::discover::apply_target_runners(&mut binaries, &cwd, &sel.targets())
        .map_err(discover::DiscoverError::from)?;
    // A binary that cannot list its tests here would fail every partition job later.
    let tests = list::list_all(&binaries).into_result()?;
    let (workspace, target) = discover::cargo_layout(&sel)?;
    let metadata = discover::archive_metadata(&sel);
    let files = archive::create(&binaries, &workspace, &target, metadata.as_ref(), &a.output)
        .map_err(|e| AppError::Other(anyhow::anyhow!(e)))?;
    say!(
        "cargo-shuffle: archived {} test binaries ({} tests, {files} files) to {}; run them elsewhere with `cargo shuffle run --archive {}` in a checkout of the same source",
        binaries.len(),
        tests.len(),
        a.output.display(),
        a.output.display()
    );
    Ok(exit::OK)
}

/// `cargo shuffle baseline --update`: adds the quarantinable findings of a run record or hunt
/// report to the baseline; with `--prune`, removes the known tests the report calls fixed.
pub(crate) fn baseline_cmd(a: &cli::BaselineArgs) -> Result<i32, AppError> {
    let usage = |m: String| AppError::Usage(config::UsageError(m));
    let doc = schema::read_report(&a.from).map_err(|e| usage(format!("report {e}")))?;
    let (triaged, findings, fixed): (bool, &[triage::Finding], Vec<&String>) = match &doc {
        schema::ReportDoc::Run(r) => (
            r.triaged,
            &r.findings,
            r.baseline.iter().flat_map(|b| &b.fixed).collect(),
        ),
        schema::ReportDoc::Hunt(h) => (
            h.runs.iter().all(|r| r.triaged),
            &h.findings,
            h.runs
                .iter()
                .flat_map(|r| r.baseline.iter().flat_map(|b| &b.fixed))
                .collect(),
        ),
    };
    if !triaged {
        say!(
            "cargo-shuffle: warning: report {} was written without triage (--no-triage): it has no findings to add",
            a.from.display()
        );
    }
    let mut b = if a.baseline.exists() {
        baseline::Baseline::load(&a.baseline).map_err(|e| usage(e.to_string()))?
    } else {
        baseline::Baseline::default()
    };
    let added = b.add(findings);
    let mut removed = 0;
    if a.prune {
        removed = b.remove(&fixed.into_iter().cloned().collect());
    }
    report::write_file(&a.baseline, b.to_json().as_bytes())?;
    say!(
        "cargo-shuffle: baseline {}: {} known tests ({added} added, {removed} removed)",
        a.baseline.display(),
        b.known.len()
    );
    Ok(exit::OK)
}

/// The HTML report of a merge: the merged record, with the parts given (read again: merging
/// already checked them) side by side, and the tests' output from the parts' JUnit files
/// `xml` when given (the JSON records carry only its size).
fn merge_html(
    merged: &schema::RunRecordDoc,
    inputs: &[std::path::PathBuf],
    xml: &[std::path::PathBuf],
    code: i32,
) -> String {
    let outputs = crate::ci::merge_junit::outputs(xml);
    let with_output = |mut r: report::record::RunRecord| {
        for t in r.results.iter_mut().filter(|t| t.output.is_empty()) {
            if let Some(o) = outputs.get(&t.test.id()) {
                t.output.clone_from(o);
            }
        }
        r
    };
    let parts: Vec<report::html::Part> = inputs
        .iter()
        .filter_map(|p| {
            let doc = schema::read_run_record(p).ok()?;
            Some(report::html::Part {
                file: p.display().to_string(),
                record: with_output(report::record::RunRecord::from_doc(&doc)),
            })
        })
        .collect();
    let shared = shell_words::split(&merged.repro)
        .unwrap_or_default()
        .windows(2)
        .any(|w| w[0] == "--isolation" && w[1] == "shared");
    let meta = report::html::Meta {
        command: "merge",
        seed_source: String::new(),
        isolation: Some(if shared {
            crate::runner::executor::Isolation::Shared
        } else {
            crate::runner::executor::Isolation::Process
        }),
        exit_code: code,
        repro: merged.repro.clone(),
    };
    let record = with_output(report::record::RunRecord::from_doc(merged));
    report::html::render(
        &record,
        &meta,
        report::html::View::Merge {
            merged,
            parts: &parts,
        },
    )
}

/// `cargo shuffle run`: execute the plan, triage, apply the baseline, write the reports, gate.
pub(crate) fn run(cfg: &RunConfig) -> Result<i32, AppError> {
    let (session, plan) = start(cfg)?;
    let mut terminal =
        report::terminal::TerminalReporter::new(cfg.progress).with_output(cfg.exec.output.clone());
    let mut record = session.execute(&plan, &cfg.plan, &mut terminal);
    apply_baseline(cfg, &mut record, &terminal);
    let written = write_reports(
        cfg,
        &record,
        &|| serde_json::to_vec_pretty(&record.to_doc()).expect("the record serialises"),
        &|| report::markdown::render(&record),
    );
    terminal.summary(&record, &cfg.plan.repro(), &cfg.plan.seed_source.describe());
    note_flaky(record.findings.as_deref().unwrap_or_default(), &cfg.gate);
    let code = gate::exit_code(&record, &cfg.gate);
    let code = unless_unwritten(code, written);
    let code = write_html(
        cfg.html.as_deref(),
        &|| {
            let meta = report::html::Meta {
                command: "run",
                seed_source: cfg.plan.seed_source.describe(),
                isolation: Some(cfg.plan.isolation),
                exit_code: code,
                repro: record.repro.clone(),
            };
            report::html::render(&record, &meta, report::html::View::Run)
        },
        code,
    );
    if cfg.json_events {
        report::jsonl::JsonLines.run_finished(&record, code);
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_with_missing_parts_is_never_green_nor_only_flaky() {
        assert_eq!(merge_exit(exit::OK, true, true), exit::INCOMPLETE);
        assert_eq!(merge_exit(exit::FLAKY, true, true), exit::INCOMPLETE);
        assert_eq!(
            merge_exit(exit::TESTS_FAILED, true, true),
            exit::TESTS_FAILED
        );
        assert_eq!(
            merge_exit(exit::ORDER_DEPENDENT, true, true),
            exit::ORDER_DEPENDENT
        );
        assert_eq!(merge_exit(exit::FLAKY, false, true), exit::FLAKY);
        assert_eq!(merge_exit(exit::OK, false, false), exit::OTHER_ERROR);
        assert_eq!(merge_exit(exit::OK, false, true), exit::OK);
    }
}
