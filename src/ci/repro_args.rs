//! The words of a partition job's repro command that `merge` looks at: the flags that decide
//! which tests a part selected (parts must agree on them), and the command without its
//! `--partition` (the merged run is unpartitioned).

/// The flags of a repro command that decide which tests run and how they share processes
/// (cargo's selection, filters, `-E` filtersets, `--skip`, `--exact`, `--run-ignored`, `--isolation`,
/// `--reverse`), in order; paths (`--archive`, `--manifest-path`, …) may differ between jobs.
pub(super) fn selection_signature(cmd: &str) -> Vec<String> {
    const WITH_VALUE: [&str; 15] = [
        "-p",
        "--package",
        "--exclude",
        "--bin",
        "--test",
        "--example",
        "-F",
        "--features",
        "--profile",
        "--target",
        "--skip",
        "--run-ignored",
        "--isolation",
        "-E",
        "--filterset",
    ];
    const ALONE: [&str; 11] = [
        "--workspace",
        "--lib",
        "--bins",
        "--tests",
        "--examples",
        "--all-features",
        "--no-default-features",
        "-r",
        "--release",
        "--exact",
        "--reverse",
    ];
    let words = shell_words::split(cmd).unwrap_or_default();
    let mut out = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        if w == "--" {
            out.push(w);
            out.extend(it.by_ref());
        } else if WITH_VALUE.contains(&w.as_str()) {
            let v = it.next().unwrap_or_default();
            out.extend([w, v]);
        } else if ALONE.contains(&w.as_str()) {
            out.push(w);
        }
    }
    out
}

/// The repro command without its `--partition K/N` (the merged run is unpartitioned).
pub(super) fn strip_partition(cmd: &str) -> String {
    let words = shell_words::split(cmd).unwrap_or_default();
    let mut out = Vec::new();
    let mut skip = false;
    for w in words {
        if skip {
            skip = false;
            continue;
        }
        if w == "--partition" {
            skip = true;
            continue;
        }
        out.push(w);
    }
    shell_words::join(out)
}
