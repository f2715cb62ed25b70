#!/usr/bin/env bash
# Viewer benchmark: 4 Debian Chromium viewers (playwright-core) in a network namespace on a
# 2.5 Mbit/s 640x360 stream from the box (`venuebox --hls-dir` fed by ffmpeg) with the tracker,
# seeder and signaling stand-ins; prints P2P share, startup time and latency behind live.
# VIEWERS and MEASURE_S (seconds, default 60) adjust the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. scripts/lib/netns.sh
apt_need chromium ffmpeg iproute2
build_viewer
npm_ci tests/viewer
cargo build -q -p venuebox
ns="vbb$$"
trap 'netns_down "$ns"' EXIT
netns_up "$ns"
ip netns exec "$ns" node tests/viewer/bench.mjs
