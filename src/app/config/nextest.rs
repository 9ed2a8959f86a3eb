//! Hints for a config file written in nextest's vocabulary: a team moving its
//! `.config/nextest.toml` over pastes keys that cargo-shuffle spells differently or does not
//! have, and the parse error alone ("unknown field", "invalid type") does not say what to write
//! instead. [`hint`] maps the key an error is at to that advice; errors without one stay as
//! they are.

/// What to write instead of nextest's `key` (the dotted key a config error is at, e.g.
/// `profile.ci.fail-fast`), given the parser's message `msg`; `None` when the key is not one
/// of nextest's that cargo-shuffle treats differently.
pub(crate) fn hint(key: &str, msg: &str) -> Option<&'static str> {
    let last = key.rsplit('.').next().unwrap_or(key);
    // A table where cargo-shuffle takes a value: `[profile.ci.junit]`, `retries = { … }`.
    let table = msg.contains("invalid type: map");
    let under_junit = key.split('.').any(|k| k == "junit");
    Some(match last {
        "fail-fast" => {
            "nextest's `fail-fast` is a command-line choice here (`--fail-fast`, `--max-fail N`): a commit gate runs every test by default"
        }
        "junit" if table => {
            "nextest's `[profile.NAME.junit] path = …` is `junit = \"PATH\"` in the profile here, and its `store-success-output` is `junit-store-success-output`"
        }
        "path" | "store-success-output" | "store-failure-output" | "report-name" if under_junit => {
            "nextest's `[profile.NAME.junit]` table is flat here: `junit = \"PATH\"` and `junit-store-success-output = true` in the profile (failing tests' output is always stored)"
        }
        "retries" if table => {
            "`retries` is a count here (`retries = 2`); nextest's backoff and delay have no equivalent"
        }
        "test-threads" => "nextest's `test-threads` is `jobs` here (also `-j/--jobs`)",
        "threads-required" => {
            "cargo-shuffle has no `threads-required`: workers run shards, not single tests; to keep heavy tests from running together, put them in a `[test-groups.NAME]` with `max-threads` and give them `test-group = \"NAME\"` by override"
        }
        "default-filter" => {
            "cargo-shuffle has no `default-filter` key: select with `-E EXPR` (or test-name filters) on the command line"
        }
        "status-level" | "final-status-level" => {
            "cargo-shuffle has no status levels: every result line is shown; `--success-output` / `--failure-output` choose what output is"
        }
        "max-threads" if msg.contains("invalid type: string") => {
            "`max-threads` is a whole number here (nextest's \"num-cpus\" is not taken: give the number)"
        }
        "slow-timeout" | "leak-timeout" | "timeout" if table => {
            "give a duration string such as \"60s\" (`slow-timeout` also takes `{ period = \"60s\", terminate-after = 2 }`)"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nextest_keys_get_advice_and_others_do_not() {
        let h = hint("profile.ci.fail-fast", "unknown field `fail-fast`").unwrap();
        assert!(h.contains("--fail-fast"), "{h}");
        let h = hint(
            "profile.ci.junit",
            "invalid type: map, expected path string",
        )
        .unwrap();
        assert!(h.contains("junit = \"PATH\""), "{h}");
        assert!(hint("profile.ci.junit.path", "unknown field `path`").is_some());
        assert!(
            hint("profile.ci.test-threads", "unknown field")
                .unwrap()
                .contains("jobs")
        );
        assert!(
            hint(
                "test-groups.db.max-threads",
                "invalid type: string \"num-cpus\""
            )
            .is_some()
        );
        // Not nextest's, or right as written: no hint.
        assert_eq!(hint("profile.ci.shardz", "unknown field `shardz`"), None);
        assert_eq!(hint("profile.ci.junit", "missing quote"), None);
        assert_eq!(
            hint("profile.ci.retries", "invalid value: integer `-1`"),
            None
        );
    }
}
