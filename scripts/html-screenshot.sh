#!/usr/bin/env bash
# Refreshes docs/html-report.png, the README's screenshot of the HTML report (--html): a run of
# the demo workspace (fixtures/demo, whose tests misbehave on purpose) with a fixed seed, then
# headless Chromium's screenshot of the page. Needs chromium (apt-get install -y chromium).
# Usage: scripts/html-screenshot.sh [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${1:-3}"
command -v chromium >/dev/null || { echo "html-screenshot: chromium not found (apt-get install -y chromium)" >&2; exit 1; }
cargo build --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/cargo-shuffle"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# Relative paths, so the page's repro commands read as a user's would. Failing tests are the
# point of the demo: the run's exit code is not ours to check here.
(cd fixtures/demo && "../../$bin" run --target-dir ../../target/fixture-demo --seed "$seed" \
  --jobs 3 --no-progress --html "$out/report.html" 2>"$out/stderr" || true)
test -s "$out/report.html" || { cat "$out/stderr" >&2; exit 1; }
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$out/profile" --hide-scrollbars --window-size=1280,1020 \
  --screenshot="$PWD/docs/html-report.png" "file://$out/report.html" 2>/dev/null
echo "docs/html-report.png: $(wc -c < docs/html-report.png) bytes (seed $seed)"
