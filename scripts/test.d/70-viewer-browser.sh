#!/usr/bin/env bash
# Viewer in real browsers: unit tests of its pure parts (node --test), then Debian Chromium via
# playwright-core inside a network namespace against the real box (`venuebox --hls-dir` fed by
# ffmpeg: its /signal, /announce tracker and WebRTC seeder), with a refusing tracker and an R2
# stand-in beside it (tests/viewer/standin/).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. scripts/lib/netns.sh
apt_need chromium ffmpeg iproute2
build_viewer
(cd viewer && npm test --silent)
npm_ci tests/viewer
cargo build -q -p venuebox
ns="vbv$$"
trap 'netns_down "$ns"' EXIT
netns_up "$ns"
# A hostile device and a prober, each with its own address (the box's caps are per address).
ip -n "$ns" addr add 198.18.0.3/32 dev lo
ip -n "$ns" addr add 198.18.0.4/32 dev lo
ip netns exec "$ns" node --test --test-concurrency=1 tests/viewer/browser.test.mjs
