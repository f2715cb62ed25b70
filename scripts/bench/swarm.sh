#!/usr/bin/env bash
# Swarm benchmark and faults: the real box in RTMP mode (ffmpeg as OBS pushing 1280x720 at
# 2.5 Mbit/s) in a network namespace, with an audience and an optional fault; prints P2P share,
# box egress / bitrate, segment -> playable p50/p95, startup, stall ratio, box CPU and RSS,
# tracker messages/s as a Markdown row (docs/BENCHMARKS.md "Swarm benchmark and faults").
#   AUDIENCE=browsers:4 | node:50 | sim:1000 | engine:100   (default sim:50)
#   SECS=60                                     measured seconds (engine, browsers: > 120 adds a row a minute)
#   FAULT=obs-drop | garbage | churn | sigkill | r2-down  (optional; R2_DOWN_SECS, default 300)
#   PROFILE=release                             the box's release build (default: debug)
#   BOX_BIN=path                                run this build of the service instead (no cargo build)
#   STREAM_KBPS=500                             the OBS stand-in's bitrate, video + audio
#                                               (default 2500 + 128; engine audience: 500)
#   SWARM_DRIVER=path                          another driver in the same set-up (scripts/bench/soak.sh)
#   ENGINE_PROCS=2                              engine:N worker processes (default 1 per 50, at most
#                                               2; 0: in the driver's process, no veth figure)
# sim mode models the WebRTC transport between simulated viewers (docs/decisions/1000); engine
# mode runs N copies of the viewer's live-mesh engine (viewer/src/mesh) with real WebRTC between
# them, in the namespace's gateway side so the box's egress is also counted on its veth; browser
# mode runs Debian Chromium there too (tests/swarm/chromium-gw.sh), per-viewer figures from the page.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. scripts/lib/netns.sh
apt_need ffmpeg iproute2
case "${AUDIENCE:-sim:50}" in browsers:*) apt_need chromium; npm_ci tests/viewer ;; esac
build_viewer
npm_ci tests/interop
if [ -n "${BOX_BIN:-}" ]; then
  [ -x "$BOX_BIN" ] || { echo "BOX_BIN=$BOX_BIN is not an executable" >&2; exit 1; }
elif [ "${PROFILE:-debug}" = release ]; then
  cargo build -q --release -p venuebox --bin venuebox
else
  cargo build -q -p venuebox --bin venuebox
fi
ns="vbs$$"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; netns_down "$ns"' EXIT
trap 'exit 143' TERM INT
netns_up "$ns"
case "${AUDIENCE:-sim:50}" in
  engine:*|browsers:*)
    # Engines and browsers run on the gateway side (198.18.0.2): the box's egress to them crosses
    # the veth, whose box side (VB_VETH) the driver samples. Chromium also gets a default route
    # there (to the box: nothing leaves the two namespaces), as the box's side has one.
    export VB_GW_NS="$ns-gw" VB_VETH="${ns:0:10}-a"
    case "${AUDIENCE}" in browsers:*) ip -n "$VB_GW_NS" route add default via 198.18.0.1 ;; esac
    ;;
esac
echo "uptime: $(uptime)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ip netns exec "$ns" node ${SWARM_NODE_FLAGS:-} "${SWARM_DRIVER:-tests/swarm/run.mjs}" &
pid=$!
wait "$pid"
pid=""
echo "uptime: $(uptime)"
