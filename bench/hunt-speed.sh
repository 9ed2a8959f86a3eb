#!/usr/bin/env bash
# Issue 12, point 4: wall time of `hunt --runs 2 --no-triage` (its two runs side by side on the
# workers) against two serial passes of the same orders (`run --shards 1 --no-triage`, then the
# same with `--reverse`), alternating which goes first each round, with RUST_BACKTRACE unset and
# set to 1. Prints each sample and the ratio of the medians (target: <= 0.7 on 2 cores).
#
# Usage: bench/hunt-speed.sh DIR...   (crate or workspace directories with built tests)
# Env:   CARGO_SHUFFLE (default: target/release/cargo-shuffle of this repo), ROUNDS (default 5)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cs="${CARGO_SHUFFLE:-$repo/target/release/cargo-shuffle}"
rounds="${ROUNDS:-5}"
[ "$#" -ge 1 ] || { echo "usage: $0 DIR..." >&2; exit 2; }
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for dir in "$@"; do
  for bt in unset 1; do
    hunt=(); serial=()
    for r in $(seq 1 "$rounds"); do
      run_hunt() {
        local t0; t0=$(now)
        (cd "$dir" && "$cs" hunt --runs 2 --no-triage --no-progress --seed "$r" >/dev/null 2>&1) || true
        awk -v a="$(now)" -v b="$t0" 'BEGIN {print a - b}'
      }
      run_serial() {
        local t0; t0=$(now)
        (cd "$dir" && "$cs" run --shards 1 --no-triage --no-progress --seed "$r" >/dev/null 2>&1) || true
        (cd "$dir" && "$cs" run --shards 1 --reverse --no-triage --no-progress --seed "$r" >/dev/null 2>&1) || true
        awk -v a="$(now)" -v b="$t0" 'BEGIN {print a - b}'
      }
      if [ "$bt" = unset ]; then unset RUST_BACKTRACE; else export RUST_BACKTRACE=1; fi
      if [ $((r % 2)) -eq 1 ]; then h=$(run_hunt); s=$(run_serial); else s=$(run_serial); h=$(run_hunt); fi
      hunt+=("$h"); serial+=("$s")
      printf '%s\tRUST_BACKTRACE=%s\tround %s\thunt %.3f s\tserial %.3f s\n' "$(basename "$dir")" "$bt" "$r" "$h" "$s"
    done
    mh=$(printf '%s\n' "${hunt[@]}" | median); ms=$(printf '%s\n' "${serial[@]}" | median)
    printf '%s\tRUST_BACKTRACE=%s\tmedian hunt %.3f s, two serial passes %.3f s, ratio %.2f\n' \
      "$(basename "$dir")" "$bt" "$mh" "$ms" "$(awk -v a="$mh" -v b="$ms" 'BEGIN {print a / b}')"
  done
done
