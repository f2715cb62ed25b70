#!/usr/bin/env bash
# Uplink benchmark: throughput and segment -> object-available delay against a local s3s-fs.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${VB_CACHE_DIR:-$HOME/.cache/venuebox}/s3s-fs"
export S3S_FS_BIN="$cache/bin/s3s-fs"
if [ ! -x "$S3S_FS_BIN" ]; then
  cargo install s3s-fs --version 0.14.1 --features binary --locked --quiet --root "$cache"
fi
cargo bench -p venuebox --features s3-server-tests --bench uplink --locked
