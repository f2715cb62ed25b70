#!/usr/bin/env bash
# R2 uplink against a real S3-compatible server that checks SigV4 signatures: s3s-fs from
# crates.io (installed once into a cache folder), killed for 30 s, answering 500 or very slow
# behind a fault-injecting proxy. Tests run in parallel; the 30 s outage sets the duration.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${VB_CACHE_DIR:-$HOME/.cache/venuebox}/s3s-fs"
export S3S_FS_BIN="$cache/bin/s3s-fs"
if [ ! -x "$S3S_FS_BIN" ]; then
  # 0.14.1 is the newest release that builds with Rust 1.95; the binary needs the `binary` feature.
  echo "installing s3s-fs into $cache (a few minutes, once)" >&2
  cargo install s3s-fs --version 0.14.1 --features binary --locked --quiet --root "$cache"
fi
start=$(date +%s)
cargo test -p venuebox --features s3-server-tests --test uplink_s3 --locked -- --nocapture 2>&1 | tee /tmp/venuebox-uplink-test.log | grep -E "^test |caught up|test result|panicked|FAILED" >&2
status=${PIPESTATUS[0]}
echo "uplink suite: $(( $(date +%s) - start )) s" >&2
exit "$status"
