#!/usr/bin/env python3
"""Compare a cargo-shuffle run with a `cargo test` run: test sets and pass/fail outcomes.

Usage:
  ct-outcomes.py CS_REPORT.json CARGO_TEST.log

CS_REPORT.json  the JSON run record of `cargo-shuffle run --report` (any isolation)
CARGO_TEST.log  stdout+stderr of `cargo test --tests --no-fail-fast -- --test-threads=1`
                (NOT -q: the "Running <src> (<path>)" lines name the binaries)

cargo test's binaries are mapped to cargo-shuffle's ids: `Running unittests src/lib.rs`
-> `KRATE::lib`; any other -> `KRATE::test/STEM`, `KRATE::bin/STEM`, ... where STEM is
the file name of the test executable without its `-HASH`, and the kind is whichever one
the report uses for that STEM. Outcomes are normalized to pass / fail / skip; a test
that cargo test started but never finished (its binary crashed) is `unfinished`.
Prints a summary and every difference, with the shard and position of the test in the
cargo-shuffle run and the binary's cargo test exit status. Exits 1 if they differ.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from outcomes import report_diff  # noqa: E402

RUNNING = re.compile(r"^\s*Running (.+?) \((.+)\)\s*$")
TEST = re.compile(r"^test (.+?)(?: - should panic)? \.\.\. (ok|FAILED|ignored(?:, .*)?)\s*$")
STARTED = re.compile(r"^test (.+?)(?: - should panic)? \.\.\. ")
BIN_FAIL = re.compile(r"error: test failed, to rerun pass `(.*)`")


def cs_outcomes(path):
    d = json.load(open(path))
    out = {}
    for t in d["tests"]:
        o = t["outcome"]
        o = {"passed": "pass", "failed": "fail", "skipped": "skip", "ignored": "skip"}.get(o, o)
        out[(t["binary_id"], t["name"])] = (o, t)
    return d, out


def ct_outcomes(log, cs_binaries):
    krates = sorted({b.split("::", 1)[0] for b in cs_binaries})
    by_stem = {}
    for b in cs_binaries:
        k, _, rest = b.partition("::")
        kind, _, stem = rest.partition("/")
        if stem:
            by_stem.setdefault(stem.replace("-", "_"), b)
    out, notes = {}, []
    binary, pending = None, None
    for line in open(log, errors="replace"):
        line = line.rstrip("\n")
        m = RUNNING.match(line)
        if m:
            if pending:
                out[(binary, pending)] = ("unfinished", None)
                pending = None
            src, exe = m.group(1), m.group(2)
            stem = re.sub(r"-[0-9a-f]{16}$", "", exe.rsplit("/", 1)[-1])
            if src.startswith("unittests src/lib.rs"):
                binary = f"{krates[0]}::lib"
            else:
                binary = by_stem.get(stem.replace("-", "_"), f"{krates[0]}::?/{stem}")
            continue
        m = TEST.match(line)
        if m and binary:
            # libtest-mimic pads names to a column (`test  name    ... ok`): strip the padding.
            name, res = m.group(1).strip(), m.group(2)
            o = "pass" if res == "ok" else "fail" if res == "FAILED" else "skip"
            out[(binary, name)] = (o, None)
            pending = None
            continue
        m = STARTED.match(line)
        if m and binary:  # result not on this line: the test wrote raw output, or crashed
            pending = m.group(1)
            continue
        if pending and line.strip() in ("ok", "FAILED") or pending and line.endswith((" ok", "FAILED")):
            out[(binary, pending)] = ("pass" if line.rstrip().endswith("ok") else "fail", None)
            pending = None
            continue
        m = BIN_FAIL.match(line.strip())
        if m:
            if pending:
                out[(binary, pending)] = ("unfinished", None)
                pending = None
            notes.append(f"cargo test: {line.strip()}")
    if pending:
        out[(binary, pending)] = ("unfinished", None)
    return out, notes


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    d, cs = cs_outcomes(sys.argv[1])
    ct, notes = ct_outcomes(sys.argv[2], {b for b, _ in cs})

    sys.exit(report_diff(d, cs, "cargo-test", ct, notes))

if __name__ == "__main__":
    main()
