#!/usr/bin/env bash
# gen-suite.sh - generate two synthetic test crates for benchmarking test runners.
#
# Usage: gen-suite.sh [--build] DIR
#   DIR/gen-many  10 integration-test binaries x 500 tiny tests (5000 tests): the cost
#                 per test process dominates everything else.
#   DIR/gen-slow  4 integration-test binaries x 150 fast tests + 5 slow tests that
#                 sleep 1-2 s (and 20 lib unit tests): scheduling/long-pole behaviour.
#   --build       also run `cargo test --no-run` in both crates.
# Both crates have no dependencies (they build offline) and an empty [workspace].
# Re-running is cheap: files are only rewritten when the generator version changes.
set -euo pipefail

BUILD=0
DIR=
for arg in "$@"; do
  case "$arg" in
    --build) BUILD=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gen-suite.sh: unknown option $arg" >&2; exit 2 ;;
    *) DIR="$arg" ;;
  esac
done
[ -n "$DIR" ] || { echo "usage: gen-suite.sh [--build] DIR" >&2; exit 2; }
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
GEN_VERSION=1

manifest() { # name
  cat <<EOF
[package]
name = "$1"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]

[workspace]
EOF
}

fast_tests() { # prefix count
  local p=$1 n=$2 i
  for ((i = 0; i < n; i++)); do
    printf '#[test]\nfn %s_%04d() {\n    let x = std::hint::black_box(%du64);\n    assert_eq!(x.wrapping_mul(3) / 3, %d);\n}\n\n' "$p" "$i" "$i" "$i"
  done
}

gen_many() {
  local d="$DIR/gen-many" b
  rm -rf "$d"; mkdir -p "$d/src" "$d/tests"
  manifest gen-many > "$d/Cargo.toml"
  printf 'pub fn triple(x: u64) -> u64 {\n    x * 3\n}\n' > "$d/src/lib.rs"
  for ((b = 0; b < 10; b++)); do
    fast_tests "many$b" 500 > "$d/tests/many$b.rs"
  done
  echo "$GEN_VERSION" > "$d/.gen-suite"
}

gen_slow() {
  local d="$DIR/gen-slow" b
  rm -rf "$d"; mkdir -p "$d/src" "$d/tests"
  manifest gen-slow > "$d/Cargo.toml"
  {
    printf 'pub fn nap(ms: u64) {\n    std::thread::sleep(std::time::Duration::from_millis(ms));\n}\n\n'
    printf '#[cfg(test)]\nmod tests {\n'
    fast_tests unit 20 | sed 's/^/    /; s/^    $//'
    printf '}\n'
  } > "$d/src/lib.rs"
  for ((b = 0; b < 4; b++)); do
    fast_tests "fast$b" 150 > "$d/tests/slow$b.rs"
  done
  # five slow tests (1.0-2.0 s, 8 s of sleep in all) spread over the binaries
  printf '#[test]\nfn sleep_2000ms() {\n    gen_slow::nap(2000);\n}\n\n' >> "$d/tests/slow0.rs"
  printf '#[test]\nfn sleep_1000ms() {\n    gen_slow::nap(1000);\n}\n\n' >> "$d/tests/slow0.rs"
  printf '#[test]\nfn sleep_1500ms() {\n    gen_slow::nap(1500);\n}\n\n' >> "$d/tests/slow1.rs"
  printf '#[test]\nfn sleep_2000ms() {\n    gen_slow::nap(2000);\n}\n\n' >> "$d/tests/slow2.rs"
  printf '#[test]\nfn sleep_1500ms() {\n    gen_slow::nap(1500);\n}\n\n' >> "$d/tests/slow3.rs"
  echo "$GEN_VERSION" > "$d/.gen-suite"
}

for c in many slow; do
  if [ "$(cat "$DIR/gen-$c/.gen-suite" 2>/dev/null || true)" != "$GEN_VERSION" ]; then
    "gen_$c"
    echo "gen-suite: wrote $DIR/gen-$c" >&2
  fi
done

if [ "$BUILD" = 1 ]; then
  for c in many slow; do
    (cd "$DIR/gen-$c" && cargo test --no-run -q --offline)
  done
fi
printf '%s\n' "$DIR/gen-many" "$DIR/gen-slow"
