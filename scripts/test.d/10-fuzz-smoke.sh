#!/usr/bin/env bash
# Runs every cargo-fuzz target briefly (FUZZ_SECS each, default 15) so that a parser that
# panics on garbage fails the build. Longer runs: `cargo fuzz run <target>` in appliance/fuzz.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
cd appliance/fuzz
export RUSTC_BOOTSTRAP=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $(cargo fuzz list); do
  if cargo fuzz run "$target" -- -max_total_time="${FUZZ_SECS:-15}" -rss_limit_mb=2048 >"$log" 2>&1; then
    echo "fuzz $target: $(grep -E '^Done' "$log" || echo done)" >&2
  else
    tail -40 "$log" >&2
    echo "fuzz $target FAILED" >&2
    exit 1
  fi
done
