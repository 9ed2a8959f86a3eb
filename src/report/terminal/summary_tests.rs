//! Unit tests of [`super::write_summary`]: failures' repro lines and the output blocks shown
//! at the end.
use super::*;
use crate::discover::list::TestCase;
use crate::plan::Plan;
use crate::plan::repro::Repro;
use crate::plan::seed::Seed;
use crate::runner::output::OutputDisplay;

#[test]
fn a_triaged_failure_prints_its_findings_repro_and_an_untriaged_one_its_shard() {
    let victim = TestCase::new("b", "victim");
    let plain = TestCase::new("b", "plain");
    let plan = Plan::new(
        Seed(3),
        2,
        None,
        vec![victim.clone(), plain.clone()],
        vec![],
    );
    let mut record = RunRecord::new(&plan, 1, "cargo shuffle run --seed 3".into());
    for (t, shard) in [(&victim, 1), (&plain, 2)] {
        record
            .results
            .push(TestResult::new(t.clone(), Outcome::Failed).with_place(shard, 0));
    }
    let mut f = crate::triage::Finding::new_for_tests(
        crate::triage::FindingKind::OdVictim,
        &victim,
        "cargo shuffle run --seed 3 --order 'b polluter' 'b victim'",
    );
    f.polluters = vec!["b polluter".into()];
    record.findings = Some(vec![f]);
    let repro = Repro {
        selection_args: vec![],
        run_args: vec!["--max-fail".into(), "2".into()],
        failure_args: vec![],
        seed: Seed(3),
        shards: 2,
        by_binary: false,
        partition: None,
        reverse: false,
        order: None,
        filters: vec![],
    };
    let mut out = Vec::new();
    write_summary(
        &mut out,
        &record,
        &repro,
        "from --seed",
        &OutputSettings::default(),
    );
    let text = String::from_utf8(out).unwrap();
    // A triaged failure names its finding; the repro is printed once, with the finding.
    assert!(
        text.contains("b victim — order-dependent victim\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("repro: cargo shuffle run --seed 3 --order 'b polluter' 'b victim'")
            .count(),
        1,
        "{text}"
    );
    // The shards shared one TMPDIR (--sandbox run): a shard rerun is not promised to
    // reproduce, and the line says what it lacks.
    assert!(
        text.contains("b plain\n          its shard (without what other shards left in the shared TMPDIR; triage had no finding for it): cargo shuffle run --seed 3 --shards 2 --shard 2"),
        "{text}"
    );
    // With a sandbox per shard, the shard rerun replays the shard's state.
    let per_shard = Repro {
        selection_args: vec!["--sandbox".into(), "shard".into()],
        ..repro
    };
    let mut out = Vec::new();
    write_summary(
        &mut out,
        &record,
        &per_shard,
        "from --seed",
        &OutputSettings::default(),
    );
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(
            "b plain\n          its shard: cargo shuffle run --sandbox shard --seed 3 --shards 2 --shard 2"
        ),
        "{text}"
    );
}

#[test]
fn the_summary_shows_the_output_the_settings_call_final_in_plan_order() {
    let (pass, fail) = (TestCase::new("b", "pass"), TestCase::new("b", "fail"));
    let plan = Plan::new(Seed(1), 1, None, vec![pass.clone(), fail.clone()], vec![]);
    let mut record = RunRecord::new(&plan, 1, "cargo shuffle run --seed 1".into());
    record.results = vec![
        TestResult::new(fail, Outcome::Failed)
            .with_place(1, 1)
            .with_message(Some("boom".into()))
            .with_output("FAIL_TEXT\n".into(), 10, 0),
        TestResult::new(pass, Outcome::Passed)
            .with_place(1, 0)
            .with_output("PASS_TEXT\n".into(), 10, 0),
    ];
    let repro = Repro {
        selection_args: vec![],
        run_args: vec![],
        failure_args: vec![],
        seed: Seed(1),
        shards: 1,
        by_binary: false,
        partition: None,
        reverse: false,
        order: None,
        filters: vec![],
    };
    let summary = |output: OutputSettings| {
        let mut out = Vec::new();
        write_summary(&mut out, &record, &repro, "from --seed", &output);
        String::from_utf8(out).unwrap()
    };
    // Defaults: failures immediate, passes never: no output in the summary.
    let text = summary(OutputSettings::default());
    assert!(
        !text.contains("FAIL_TEXT") && !text.contains("PASS_TEXT"),
        "{text}"
    );
    let both_final = OutputSettings {
        success: OutputDisplay::Final,
        failure: OutputDisplay::ImmediateFinal,
        ..OutputSettings::default()
    };
    let text = summary(both_final.clone());
    let (p, f) = (
        text.find("PASS_TEXT").unwrap(),
        text.find("FAIL_TEXT").unwrap(),
    );
    assert!(p < f, "plan order: {text}");
    assert!(
        text.contains("--- FAIL b fail ---\nFAIL_TEXT\nreason: boom\n"),
        "{text}"
    );
    assert!(f < text.find("── summary ──").unwrap());
    // --no-capture showed the text live: a failure keeps its reason, a pass shows nothing.
    let text = summary(OutputSettings {
        no_capture: true,
        ..both_final
    });
    assert!(
        !text.contains("_TEXT") && !text.contains("--- PASS"),
        "{text}"
    );
    assert!(
        text.contains("--- FAIL b fail ---\nreason: boom\n"),
        "{text}"
    );
}

#[test]
fn a_retried_tests_failed_attempts_show_their_output_where_the_failure_setting_says() {
    let flaky = TestCase::new("b", "flaky");
    let plan = Plan::new(Seed(1), 1, None, vec![flaky.clone()], vec![]);
    let mut record = RunRecord::new(&plan, 1, "cargo shuffle run --seed 1".into());
    let attempt = |k: usize, lines: usize| crate::events::Attempt {
        outcome: Outcome::Failed,
        message: Some(format!("boom {k}")),
        duration_ms: 1.0,
        output: (1..=lines).map(|i| format!("try{k} line{i}\n")).collect(),
    };
    let mut r = TestResult::new(flaky, Outcome::Passed)
        .with_place(1, 0)
        .with_output("PASS_TEXT\n".into(), 10, 0);
    r.previous_attempts = vec![attempt(1, 1), attempt(2, 100)];
    record.results = vec![r];
    let repro = crate::plan::repro::RecordedRun("cargo shuffle run --seed 1 --shards 1");
    let summary = |output: OutputSettings| {
        let mut out = Vec::new();
        write_summary(&mut out, &record, &repro, "from --seed", &output);
        String::from_utf8(out).unwrap()
    };
    // The default failure setting is immediate: nothing in the summary.
    assert!(!summary(OutputSettings::default()).contains("TRY"));
    let text = summary(OutputSettings {
        failure: OutputDisplay::Final,
        ..OutputSettings::default()
    });
    assert!(
        text.contains("\n--- TRY 1 FAIL b flaky ---\ntry1 line1\nreason: boom 1\n"),
        "{text}"
    );
    // Capped like every block: the last 60 lines, saying how many are left out.
    assert!(
        text.contains("\n--- TRY 2 FAIL b flaky ---\n[40 earlier lines not shown; the JUnit report has them]\ntry2 line41\n"),
        "{text}"
    );
    assert!(text.contains("try2 line100\nreason: boom 2\n"), "{text}");
    assert!(!text.contains("try2 line40\n"), "{text}");
    // The passing attempt's output follows the success setting (never, by default).
    assert!(!text.contains("PASS_TEXT"), "{text}");
    assert!(text.find("TRY 2").unwrap() < text.find("── summary ──").unwrap());
}
