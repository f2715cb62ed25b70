#!/usr/bin/env bash
# Runs every cargo-fuzz target briefly (FUZZ_SECS each, default 8) so that a parser that
# panics on garbage fails the build. First it replays every seed (appliance/fuzz/seeds) and
# every saved crash (appliance/fuzz/regressions) of the target, so a fixed crash stays fixed;
# the timed run then starts from the seeds. Long runs: scripts/fuzz-long.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
cd appliance/fuzz
export RUSTC_BOOTSTRAP=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=$(cargo fuzz list) # a broken fuzz manifest fails here, not silently
[ -n "$targets" ]

# fail TARGET WHAT: shows the end of the log and stops the suite.
fail() {
  tail -40 "$log" >&2
  echo "fuzz $1 $2 FAILED" >&2
  exit 1
}

for target in $targets; do
  inputs=()
  for d in seeds/"$target" regressions/"$target"; do [ -d "$d" ] && inputs+=("$d"); done
  [ -d seeds/"$target" ] || { echo "fuzz $target: no seeds (run scripts/fuzz-seeds)" >&2; exit 1; }
  cargo fuzz run "$target" "${inputs[@]}" -- -runs=0 >"$log" 2>&1 || fail "$target" replay
  replayed=$(find "${inputs[@]}" -type f | wc -l)
  mkdir -p corpus/"$target"
  cargo fuzz run "$target" corpus/"$target" "${inputs[@]}" -- \
    -max_total_time="${FUZZ_SECS:-8}" -rss_limit_mb=2048 >"$log" 2>&1 || fail "$target" run
  echo "fuzz $target: replayed $replayed inputs; $(grep -E '^Done' "$log" || echo done)" >&2
done
