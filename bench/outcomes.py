#!/usr/bin/env python3
"""Compare the test sets and outcomes of a cargo-shuffle run with a cargo-nextest run.

Usage:
  outcomes.py CS_REPORT.json NEXTEST_JUNIT.xml [NEXTEST_LIST.json]

CS_REPORT.json     the JSON run record of `cargo-shuffle run --report`
NEXTEST_JUNIT.xml  nextest's JUnit (`cargo nextest run --config-file F` where F sets
                   [profile.default.junit] path = "junit.xml"; it lands in
                   target/nextest/default/junit.xml)
NEXTEST_LIST.json  optional `cargo nextest list --message-format json` output, used
                   to know which tests are #[ignore]d (nextest's JUnit omits them)

Binary ids are mapped to nextest's spelling: `krate::lib` -> `krate`,
`krate::test/NAME` -> `krate::NAME`; `bin/`, `example/`, `bench/` are kept as-is.
Outcomes are normalized to pass / fail / skip (anything else is kept verbatim).
Prints a summary and every difference; exits 1 if the sets differ.
"""
import json
import sys
import xml.etree.ElementTree as ET


def nx_binary_id(cs_id):
    krate, _, rest = cs_id.partition("::")
    if rest == "lib" or rest == "":
        return krate
    if rest.startswith("test/"):
        return krate + "::" + rest[len("test/"):]
    return cs_id


def cs_outcomes(path):
    d = json.load(open(path))
    out = {}
    for t in d["tests"]:
        key = (nx_binary_id(t["binary_id"]), t["name"])
        o = t["outcome"]
        o = {"passed": "pass", "failed": "fail", "skipped": "skip", "ignored": "skip"}.get(o, o)
        out[key] = (o, t)
    return d, out


def nx_outcomes(junit, listing=None):
    root = ET.parse(junit).getroot()
    out = {}
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            key = (suite.get("name"), case.get("name"))
            tags = {c.tag for c in case}
            if "failure" in tags or "error" in tags:
                o = "fail"
            elif "skipped" in tags:
                o = "skip"
            else:
                o = "pass"
            # with retries nextest records flaky runs; keep the final verdict
            out[key] = (o, case)
    if listing:
        d = json.load(open(listing))
        for bid, s in d["rust-suites"].items():
            for name, tc in s.get("testcases", {}).items():
                key = (bid, name)
                if key not in out and tc.get("ignored"):
                    out[key] = ("skip", None)
                elif key not in out:
                    out[key] = ("not-run", None)
    return out


def report_diff(d, cs, other_name, other, notes=()):
    """Prints both runners' counts and every difference (test only in one of them, or with
    another outcome; `cs` and `other` map (binary, name) to (outcome, details)). Returns the
    exit status: 0 when identical, 1 otherwise. Shared with ct-outcomes.py."""

    def count(m):
        c = {}
        for o, _ in m.values():
            c[o] = c.get(o, 0) + 1
        return dict(sorted(c.items()))

    print(f"cargo-shuffle: {len(cs)} tests {count(cs)} (seed {d.get('seed')}, shards {d.get('shard_count')})")
    print(f"{other_name + ':':14} {len(other)} tests {count(other)}")
    for n in notes:
        print("  " + n)
    only_cs = sorted(set(cs) - set(other))
    only_other = sorted(set(other) - set(cs))
    differ = sorted(k for k in set(cs) & set(other) if cs[k][0] != other[k][0])
    for k in only_cs:
        print(f"  ONLY in cargo-shuffle: {k[0]} {k[1]} ({cs[k][0]})")
    for k in only_other:
        print(f"  ONLY in {other_name}: {k[0]} {k[1]} ({other[k][0]})")
    for k in differ:
        t = cs[k][1]
        msg = (t.get("message") or "").splitlines()[:1]
        print(f"  OUTCOME {k[0]} {k[1]}: cargo-shuffle={cs[k][0]} {other_name}={other[k][0]}"
              f" (shard {t.get('shard')} pos {t.get('position')}"
              f"{'; ' + msg[0] if msg else ''})")
    same = not (only_cs or only_other or differ)
    print("RESULT: " + ("identical test set and outcomes" if same else
                        f"{len(only_cs)} only-cs, {len(only_other)} only-{other_name}, {len(differ)} outcome diffs"))
    return 0 if same else 1


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    d, cs = cs_outcomes(sys.argv[1])
    nx = nx_outcomes(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    sys.exit(report_diff(d, cs, "nextest", nx))


if __name__ == "__main__":
    main()
