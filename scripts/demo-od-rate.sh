#!/usr/bin/env bash
# Counts, over a range of seeds, the default runs of the demo fixture
# (fixtures/demo) that report at least one order-dependent (od-victim)
# finding, and checks each finding's polluter against the demo's known pairs
# (fixtures/demo/expected-polluters.json).
#
# Usage: scripts/demo-od-rate.sh [FIRST_SEED [LAST_SEED]]   (default 1 20)
# Env:   CARGO_SHUFFLE (binary, default target/debug/cargo-shuffle),
#        OUT (directory for the JSON reports, default a fresh temp dir),
#        FRESH_HISTORY=1 (delete the duration history before each run, so no
#        run's shard dispatch depends on the previous run's durations).
set -euo pipefail
cd "$(dirname "$0")/.."
first=${1:-1}
last=${2:-20}
bin=${CARGO_SHUFFLE:-target/debug/cargo-shuffle}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
for seed in $(seq "$first" "$last"); do
    # Each run gets a fresh TMPDIR so no marker left by an earlier run leaks in.
    tmp=$(mktemp -d)
    if [ "${FRESH_HISTORY:-0}" = 1 ]; then
        rm -f target/fixture-demo/debug/cargo-shuffle-durations.json
    fi
    TMPDIR=$tmp "$bin" run --manifest-path fixtures/demo/Cargo.toml \
        --target-dir target/fixture-demo --seed "$seed" --no-progress \
        --report "$out/run-$seed.json" >/dev/null 2>&1 || true
    rm -rf "$tmp"
done
python3 - "$out" "$first" "$last" <<'PY'
import json, sys
out, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# victim -> the tests that pollute it (any one of them suffices).
pairs = json.load(open("fixtures/demo/expected-polluters.json"))
with_od, wrong, missed = 0, [], []
for seed in range(first, last + 1):
    r = json.load(open(f"{out}/run-{seed}.json"))
    ods = [f for f in r["findings"] if f["kind"] == "od-victim"]
    ok = []
    for f in ods:
        right = bool(f["polluters"]) and set(f["polluters"]) <= set(pairs.get(f["test"], []))
        ok.append(right)
        if not right:
            wrong.append((seed, f["test"], f["polluters"]))
    if ods:
        with_od += 1
    # A victim that failed in the run but got no od-victim finding is a triage miss.
    outcome = {t["id"]: t["outcome"] for t in r["tests"]}
    found = {f["test"] for f in ods}
    for v in pairs:
        if outcome.get(v) not in ("passed", None) and v not in found:
            missed.append((seed, v, outcome[v]))
    print(f"seed {seed:3}: {len(ods)} od-victim finding(s)"
          + "".join(f"\n    {f['test']} <- {', '.join(f['polluters'])}" + ("" if o else "  WRONG POLLUTER")
                    for f, o in zip(ods, ok)))
print(f"{with_od}/{last - first + 1} seeds with >=1 od-victim finding; "
      f"{len(wrong)} finding(s) with a wrong polluter")
for w in wrong:
    print("wrong:", w)
print(f"{len(missed)} failing victim(s) without an od-victim finding")
for m in missed:
    print("missed:", m)
PY
