//! The words of a partition job's repro command that `merge` looks at: the flags that decide
//! which tests a part selected (parts must agree on them), and the command without its
//! `--partition` (the merged run is unpartitioned).

/// The flags of a repro command that decide which tests run and how they share processes
/// (cargo's selection, filters, `-E` filtersets, `--skip`, `--exact`, `--run-ignored`, `--isolation`,
/// `--reverse`, and the config profile and file, whose overrides change timeouts, groups and
/// `shuffle = false`), in order; paths (`--archive`, `--manifest-path`, …) may differ between
/// jobs.
pub(super) fn selection_signature(cmd: &str) -> Vec<String> {
    const WITH_VALUE: [&str; 17] = [
        "--config-profile",
        "--config-file",
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
            // The default spelled out (to undo a profile's) selects as its absence does.
            if w == "--isolation" && v == "process" {
                continue;
            }
            // Jobs may keep the same config file at different paths: its name decides.
            let v = if w == "--config-file" {
                std::path::Path::new(&v)
                    .file_name()
                    .map_or(v.clone(), |n| n.to_string_lossy().into_owned())
            } else {
                v
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_under_other_profiles_differ_and_the_default_isolation_spelled_out_does_not() {
        let sig = |c: &str| selection_signature(c);
        assert_ne!(
            sig("cargo shuffle run --config-profile ci --seed 1 --partition 1/2"),
            sig("cargo shuffle run --seed 1 --partition 2/2")
        );
        assert_eq!(
            sig("cargo shuffle run --isolation process --seed 1"),
            sig("cargo shuffle run --seed 1")
        );
        assert_ne!(
            sig("cargo shuffle run --isolation shared --seed 1"),
            sig("cargo shuffle run --seed 1")
        );
        assert_eq!(
            sig("cargo shuffle run --config-file /runner/a/ci.toml"),
            sig("cargo shuffle run --config-file /runner/b/ci.toml")
        );
    }
}
