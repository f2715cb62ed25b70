#!/usr/bin/env bash
# Swarm benchmark and faults: the real box in RTMP mode (ffmpeg as OBS pushing 1280x720 at
# 2.5 Mbit/s) in a network namespace, with an audience and an optional fault; prints P2P share,
# box egress / bitrate, segment -> playable p50/p95, startup, stall ratio, box CPU and RSS,
# tracker messages/s as a Markdown row (docs/BENCHMARKS.md "Swarm benchmark and faults").
#   AUDIENCE=browsers:4 | node:50 | sim:1000   (default sim:50)
#   SECS=60                                     measured seconds
#   FAULT=obs-drop | garbage | churn | sigkill | r2-down  (optional; R2_DOWN_SECS, default 300)
#   PROFILE=release                             the box's release build (default: debug)
# sim mode models the WebRTC transport between simulated viewers (docs/decisions/1000).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. scripts/lib/netns.sh
apt_need ffmpeg iproute2
case "${AUDIENCE:-sim:50}" in browsers:*) apt_need chromium; npm_ci tests/viewer ;; esac
build_viewer
npm_ci tests/interop
if [ "${PROFILE:-debug}" = release ]; then
  cargo build -q --release -p venuebox --bin venuebox
else
  cargo build -q -p venuebox --bin venuebox
fi
ns="vbs$$"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; netns_down "$ns"' EXIT
trap 'exit 143' TERM INT
netns_up "$ns"
echo "uptime: $(uptime)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ip netns exec "$ns" node ${SWARM_NODE_FLAGS:-} tests/swarm/run.mjs &
pid=$!
wait "$pid"
pid=""
echo "uptime: $(uptime)"
