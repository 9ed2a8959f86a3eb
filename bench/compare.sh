#!/usr/bin/env bash
# compare.sh - time cargo-shuffle against cargo-nextest (process isolation) and
# `cargo-shuffle run --isolation shared` against `cargo test --tests` (in-process), on
# real and generated test suites.
#
# Usage: bench/compare.sh [SUITE...]
#   SUITE is a crate name of the real suites (glam, glam-0.34.3, ...) or a path to a
#   crate directory. Default: every suite of shared/real-suites.sh (found with
#   `real-suites.sh --list`).
#
# Environment:
#   SUITES="glam petgraph"  same as the arguments (arguments win)
#   ROUNDS=3                timed rounds. Each round runs cargo-shuffle (process mode)
#                           and nextest, then cargo-shuffle --isolation shared and
#                           `cargo test --tests -q`; within each pair the order
#                           alternates from one round to the next
#   GEN=1                   also bench the generated crates of bench/gen-suite.sh
#   GEN_DIR=/tmp/cargo-shuffle-gen   where gen-suite.sh puts them
#   CARGO_SHUFFLE=PATH      binary to bench (default: cargo-shuffle on PATH, else
#                           /work/main/target/release/cargo-shuffle, i.e. REPO/target/...)
#   SEED=1                  cargo-shuffle seed (a number, or "round" = the round number)
#   CS_ARGS="--shards 8"    extra arguments for `cargo-shuffle run` (both modes)
#   NEXTEST_ARGS=""         extra arguments for `cargo nextest run`
#   NO_SHARED=1             skip `cargo-shuffle run --isolation shared`
#   NO_PROCESS=1            skip the process-isolation pair (cargo-shuffle run, nextest):
#                           only the in-process pair, for issue 13's speed target
#   NO_CARGO_TEST=1         skip the `cargo test --tests -q` reference
#   BACKTRACE="unset 1"     the RUST_BACKTRACE settings to measure, each a row of its own
#                           (suite "NAME.bt-unset" / "NAME.bt-1"): with RUST_BACKTRACE=1
#                           (this machine's environment and many CI jobs) every panicking
#                           test symbolizes a backtrace, ~80 ms per process; default both
#   KEEP_RUST_BACKTRACE=1   old spelling of BACKTRACE=inherit: keep the inherited value
#   OUT=DIR                 logs and raw samples (default /tmp/cargo-shuffle-bench/DATE)
#   REAL_SUITES_SH=PATH     default: REPO/../shared/real-suites.sh
#
# Output: per-suite medians of wall time, the ratios cargo-shuffle/nextest and
# shuffle-shared/cargo-test, CPU time (user+sys of the whole process tree, as
# /usr/bin/time %U+%S) and the runner's own peak RSS (VmHWM of the runner process,
# polled; /usr/bin/time's %M is also recorded as tree_rss_kb in samples.tsv, but it is
# the largest single process of the tree, which is cargo itself at ~60 MB, so it
# cannot show the runner's memory). See bench/measure.py. For cargo-shuffle also the
# runner process's own CPU and peak RSS from its JSON report (`runner.cpu_ms`,
# `runner.max_rss_kib`, getrusage of the runner alone, no children), per test.
# Raw samples go to OUT/samples.tsv, the table to OUT/summary.md (also printed).
# Builds are warmed first (cargo test --no-run, cargo nextest list, cargo-shuffle list)
# and are not timed. Every tool runs with CARGO_NET_OFFLINE=true.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
GEN="${GEN:-0}"
GEN_DIR="${GEN_DIR:-/tmp/cargo-shuffle-gen}"
SEED="${SEED:-1}"
CS_ARGS="${CS_ARGS:-}"
NEXTEST_ARGS="${NEXTEST_ARGS:-}"
NO_CARGO_TEST="${NO_CARGO_TEST:-0}"
NO_SHARED="${NO_SHARED:-0}"
NO_PROCESS="${NO_PROCESS:-0}"
KEEP_RUST_BACKTRACE="${KEEP_RUST_BACKTRACE:-0}"
if [ "$KEEP_RUST_BACKTRACE" = 1 ]; then BACKTRACE="${BACKTRACE:-inherit}"; fi
BACKTRACE="${BACKTRACE:-unset 1}"
REAL_SUITES_SH="${REAL_SUITES_SH:-$REPO/../shared/real-suites.sh}"
OUT="${OUT:-/tmp/cargo-shuffle-bench/$(date +%Y%m%d-%H%M%S)}"
export CARGO_NET_OFFLINE=true
export PATH="$HOME/.cargo/bin:$PATH"
INHERITED_RUST_BACKTRACE="${RUST_BACKTRACE-<unset>}"
# Sets RUST_BACKTRACE for the runners that follow: "unset", "inherit" or a value.
set_backtrace() {
  case "$1" in
    unset) unset RUST_BACKTRACE ;;
    inherit) if [ "$INHERITED_RUST_BACKTRACE" = "<unset>" ]; then unset RUST_BACKTRACE; else export RUST_BACKTRACE="$INHERITED_RUST_BACKTRACE"; fi ;;
    *) export RUST_BACKTRACE="$1" ;;
  esac
}

case "${1:-}" in -h|--help) sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

die() { echo "compare.sh: $*" >&2; exit 2; }
say() { printf '[compare] %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
if [ -z "${CARGO_SHUFFLE:-}" ]; then
  if command -v cargo-shuffle >/dev/null 2>&1; then
    CARGO_SHUFFLE="$(command -v cargo-shuffle)"
  else
    CARGO_SHUFFLE="$REPO/target/release/cargo-shuffle"
  fi
fi
[ -x "$CARGO_SHUFFLE" ] || die "cargo-shuffle binary not found or not executable: $CARGO_SHUFFLE (set CARGO_SHUFFLE)"
CARGO_SHUFFLE="$(cd "$(dirname "$CARGO_SHUFFLE")" && pwd)/$(basename "$CARGO_SHUFFLE")"
command -v cargo >/dev/null || die "cargo not found"
cargo nextest --version >/dev/null 2>&1 || die "cargo-nextest not installed (cargo install cargo-nextest)"
command -v python3 >/dev/null || die "python3 not found"

# --- suites ------------------------------------------------------------------
declare -a NAMES=() DIRS=()
add_suite() { NAMES+=("$1"); DIRS+=("$2"); }

REQ=("$@")
if [ ${#REQ[@]} -eq 0 ] && [ -n "${SUITES:-}" ]; then read -r -a REQ <<<"$SUITES"; fi

LISTING=""
if [ -f "$REAL_SUITES_SH" ]; then
  LISTING="$(bash "$REAL_SUITES_SH" --list 2>/dev/null || true)"
fi
resolve() { # name-or-path -> "NAME<TAB>DIR" lines
  local want=$1 id path
  if [ -d "$want" ]; then
    printf '%s\t%s\n' "$(basename "$(cd "$want" && pwd)")" "$(cd "$want" && pwd)"; return 0
  fi
  while IFS=$'\t' read -r id path; do
    [ -n "$id" ] || continue
    if [ "$want" = "$id" ] || [ "$want" = "${id%-*}" ]; then printf '%s\t%s\n' "$id" "$path"; return 0; fi
  done <<<"$LISTING"
  return 1
}
if [ ${#REQ[@]} -eq 0 ]; then
  [ -n "$LISTING" ] || [ "$GEN" = 1 ] || die "no suites: $REAL_SUITES_SH --list gave nothing (set SUITES or pass paths)"
  while IFS=$'\t' read -r id path; do [ -n "$id" ] && add_suite "$id" "$path"; done <<<"$LISTING"
else
  for s in "${REQ[@]}"; do
    line="$(resolve "$s")" || die "unknown suite '$s' (not a directory, not in $REAL_SUITES_SH --list)"
    add_suite "${line%%$'\t'*}" "${line#*$'\t'}"
  done
fi
if [ "$GEN" = 1 ]; then
  say "generating synthetic suites in $GEN_DIR"
  bash "$HERE/gen-suite.sh" "$GEN_DIR" >/dev/null || die "gen-suite.sh failed"
  add_suite gen-many "$GEN_DIR/gen-many"
  add_suite gen-slow "$GEN_DIR/gen-slow"
fi
[ ${#NAMES[@]} -gt 0 ] || die "no suites selected"

mkdir -p "$OUT" || die "cannot create $OUT"
SAMPLES="$OUT/samples.tsv"
printf 'suite\tround\trunner\twall_s\tcpu_s\town_rss_kb\ttree_rss_kb\texit\tnote\ttests\trunner_cpu_ms\trunner_rss_kib\n' > "$SAMPLES"

# --- environment header ------------------------------------------------------
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rustc: $(rustc --version 2>/dev/null)"
  echo "nextest: $(cargo nextest --version 2>/dev/null | head -n1)"
  echo "cargo-shuffle: $CARGO_SHUFFLE ($("$CARGO_SHUFFLE" --version 2>/dev/null))"
  echo "rounds: $ROUNDS, seed: $SEED, CS_ARGS: '${CS_ARGS}', NEXTEST_ARGS: '${NEXTEST_ARGS}', NO_PROCESS: ${NO_PROCESS}, NO_SHARED: ${NO_SHARED}"
  echo "RUST_BACKTRACE settings measured: ${BACKTRACE} (inherited: ${INHERITED_RUST_BACKTRACE})"
} | tee "$OUT/env.txt" >&2

# --- measuring ---------------------------------------------------------------
# measure SUITE ROUND RUNNER LOG CMD... : run CMD in the suite dir (cwd), append a sample
measure() {
  local suite=$1 round=$2 runner=$3 log=$4; shift 4
  local tf="$OUT/.measure.$$" rc wall cpu rss own
  python3 "$HERE/measure.py" "$tf" "$@" >"$log" 2>&1 </dev/null; rc=$?
  read -r wall cpu rss own < "$tf"
  rm -f "$tf"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$suite" "$round" "$runner" "$wall" "$cpu" "$own" "$rss" "$rc" "$(note "$runner" "$log" "${REPORT:-}")" "$(runner_stats "${REPORT:-}")" >> "$SAMPLES"
  printf '  %-18s round %s %-14s %8ss  cpu %7ss  own rss %7s KB  tree rss %7s KB  exit %s\n' "$suite" "$round" "$runner" "$wall" "$cpu" "$own" "$rss" "$rc" >&2
}

# runner_stats [REPORT]: "tests<TAB>runner_cpu_ms<TAB>runner_rss_kib" from a
# cargo-shuffle JSON report (runner.* = getrusage of the runner process alone), else "-"
runner_stats() {
  python3 - "${1:-}" <<'PY' 2>/dev/null || printf -- '-\t-\t-\n'
import json, sys
d = json.load(open(sys.argv[1]))
r = d.get("runner") or {}
def g(k):
    v = r.get(k)
    return "-" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))
print(f"{len(d['tests'])}\t{g('cpu_ms')}\t{g('max_rss_kib')}")
PY
}

# note RUNNER LOG [REPORT]: pass/fail counts of a run, for the samples file
note() {
  python3 - "$@" <<'PY' 2>/dev/null || true
import json, re, sys
runner, log = sys.argv[1], sys.argv[2]
rep = sys.argv[3] if len(sys.argv) > 3 else ""
if runner in ("cargo-shuffle", "shuffle-shared") and rep:
    c = json.load(open(rep))["counts"]
    print(" ".join(f"{k}={v}" for k, v in sorted(c.items())))
else:
    text = open(log, errors="replace").read()
    if runner == "nextest":
        m = re.findall(r"Summary \[.*?\] +(.*)", text)
        print(m[-1].strip() if m else "")
    else:
        p = sum(int(x) for x in re.findall(r"(\d+) passed", text))
        f = sum(int(x) for x in re.findall(r"(\d+) failed", text))
        print(f"passed={p} failed={f}")
PY
}

run_cs() { # suite round
  local seed=$SEED; [ "$seed" = round ] && seed=$2
  local rep="$OUT/logs/$1.cs.$2.json"
  # shellcheck disable=SC2086
  REPORT="$rep" measure "$1" "$2" cargo-shuffle "$OUT/logs/$1.cs.$2.log" \
    "$CARGO_SHUFFLE" run --seed "$seed" --no-progress --report "$rep" $CS_ARGS
}
run_sh() { # suite round: cargo-shuffle, one process per (shard, binary)
  local seed=$SEED; [ "$seed" = round ] && seed=$2
  local rep="$OUT/logs/$1.shared.$2.json"
  # shellcheck disable=SC2086
  REPORT="$rep" measure "$1" "$2" shuffle-shared "$OUT/logs/$1.shared.$2.log" \
    "$CARGO_SHUFFLE" run --isolation shared --seed "$seed" --no-progress --report "$rep" $CS_ARGS
}
run_nx() {
  # shellcheck disable=SC2086
  measure "$1" "$2" nextest "$OUT/logs/$1.nextest.$2.log" cargo nextest run --no-fail-fast $NEXTEST_ARGS
}
run_ct() {
  measure "$1" "$2" cargo-test "$OUT/logs/$1.cargo-test.$2.log" cargo test --tests -q
}

mkdir -p "$OUT/logs"
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]} dir=${DIRS[$i]}
  if [ ! -f "$dir/Cargo.toml" ]; then
    say "$name: $dir has no Cargo.toml, skipping (run shared/real-suites.sh first?)"
    continue
  fi
  say "$name: warming builds in $dir"
  if ! (cd "$dir" && cargo test --no-run -q >"$OUT/logs/$name.warm.log" 2>&1 \
        && cargo nextest list >>"$OUT/logs/$name.warm.log" 2>&1 \
        && "$CARGO_SHUFFLE" list --seed 1 >>"$OUT/logs/$name.warm.log" 2>&1); then
    say "$name: warm-up failed, see $OUT/logs/$name.warm.log; skipping"
    continue
  fi
  base_name=$name
  for bt in $BACKTRACE; do
  set_backtrace "$bt"
  name="${base_name}.bt-${bt}"
  for ((r = 1; r <= ROUNDS; r++)); do
    if [ "$NO_PROCESS" = 1 ]; then
      :
    elif (( r % 2 == 1 )); then
      (cd "$dir" && run_cs "$name" "$r") ; (cd "$dir" && run_nx "$name" "$r")
    else
      (cd "$dir" && run_nx "$name" "$r") ; (cd "$dir" && run_cs "$name" "$r")
    fi
    # the in-process pair: shuffle --isolation shared and cargo test, order alternating
    if (( r % 2 == 1 )); then
      [ "$NO_SHARED" = 1 ] || (cd "$dir" && run_sh "$name" "$r")
      [ "$NO_CARGO_TEST" = 1 ] || (cd "$dir" && run_ct "$name" "$r")
    else
      [ "$NO_CARGO_TEST" = 1 ] || (cd "$dir" && run_ct "$name" "$r")
      [ "$NO_SHARED" = 1 ] || (cd "$dir" && run_sh "$name" "$r")
    fi
  done
  done
  name=$base_name
done

# --- summary -----------------------------------------------------------------
python3 - "$SAMPLES" "$OUT/summary.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
suites = []
for r in rows:
    if r["suite"] not in suites:
        suites.append(r["suite"])
def vals(suite, runner, col):
    return [float(r[col]) for r in rows if r["suite"] == suite and r["runner"] == runner
            and r.get(col) not in (None, "", "-")]
def med(suite, runner, col):
    v = vals(suite, runner, col)
    return statistics.median(v) if v else None
def mx(suite, runner, col):
    v = vals(suite, runner, col)
    return max(v) if v else None
def f(x, fmt="{:.2f}"):
    return "–" if x is None else fmt.format(x)
def ratio(a, b):
    return f(a / b if a and b else None, "{:.2f}×")
def ntests(s):
    n = mx(s, "cargo-shuffle", "tests") or mx(s, "shuffle-shared", "tests")
    return f"{s} ({int(n)})" if n else s
def bad(s, runners):
    b = sorted({f"{r['runner']} r{r['round']} exit {r['exit']}" for r in rows
                if r["suite"] == s and r["runner"] in runners and r["exit"] != "0"})
    return ", ".join(b) or "none"
CS, NX, SH, CT = "cargo-shuffle", "nextest", "shuffle-shared", "cargo-test"
lines = [
    "### Process isolation: cargo-shuffle vs nextest",
    "",
    "| suite (tests) | cargo-shuffle (s) | nextest (s) | shuffle / nextest | CPU s: shuffle / nextest | own peak RSS MB: shuffle / nextest | non-zero exits |",
    "|---|---:|---:|---:|---:|---:|---|",
]
for s in suites:
    cs, nx = med(s, CS, "wall_s"), med(s, NX, "wall_s")
    cpu = " / ".join(f(med(s, rn, "cpu_s"), "{:.1f}") for rn in (CS, NX))
    rss = " / ".join(f(x / 1024 if x else None, "{:.0f}") for x in (mx(s, CS, "own_rss_kb"), mx(s, NX, "own_rss_kb")))
    lines.append("| " + " | ".join([ntests(s), f(cs), f(nx), ratio(cs, nx), cpu, rss, bad(s, (CS, NX))]) + " |")
lines += [
    "",
    "### In-process: cargo-shuffle --isolation shared vs cargo test --tests",
    "",
    "| suite (tests) | shuffle shared (s) | cargo test --tests (s) | shared / cargo test | shared / shuffle process | CPU s: shared / cargo test | own peak RSS MB: shared | non-zero exits |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
]
for s in suites:
    sh, ct, cs = med(s, SH, "wall_s"), med(s, CT, "wall_s"), med(s, CS, "wall_s")
    cpu = " / ".join(f(med(s, rn, "cpu_s"), "{:.1f}") for rn in (SH, CT))
    rss = f(mx(s, SH, "own_rss_kb") / 1024 if mx(s, SH, "own_rss_kb") else None, "{:.0f}")
    lines.append("| " + " | ".join([ntests(s), f(sh), f(ct), ratio(sh, ct), ratio(sh, cs), cpu, rss, bad(s, (SH, CT))]) + " |")
lines += [
    "",
    "### cargo-shuffle runner process alone (JSON report `runner.*`: getrusage, children excluded)",
    "",
    "| suite (tests) | runner CPU ms: process / shared | runner CPU ms per test: process / shared | own peak RSS MB (VmHWM, polled): process / shared | report max_rss MB: process / shared |",
    "|---|---:|---:|---:|---:|",
]
for s in suites:
    cpu, per, hwm, rss = [], [], [], []
    for rn in (CS, SH):
        c, n, m, h = med(s, rn, "runner_cpu_ms"), mx(s, rn, "tests"), mx(s, rn, "runner_rss_kib"), mx(s, rn, "own_rss_kb")
        cpu.append(f(c, "{:.0f}"))
        per.append(f(c / n if c is not None and n else None, "{:.3f}"))
        hwm.append(f(h / 1024 if h else None, "{:.1f}"))
        rss.append(f(m / 1024 if m else None, "{:.1f}"))
    lines.append("| " + " | ".join([ntests(s), " / ".join(cpu), " / ".join(per), " / ".join(hwm), " / ".join(rss)]) + " |")
lines += [
    "",
    "The report's `runner.max_rss_kib` is `ru_maxrss` of getrusage(RUSAGE_SELF). Linux carries",
    "`ru_maxrss` across execve, so it is at least the RSS of the process that spawned",
    "cargo-shuffle (here measure.py, ~14 MB; `cargo shuffle` gives cargo's). VmHWM is reset at",
    "exec and is the runner's own peak.",
]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
say "raw samples: $SAMPLES; logs: $OUT/logs"
