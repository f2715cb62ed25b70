#!/usr/bin/env bash
# Seeder benchmark (issue 4): the box's WebRTC seeder (the seeder_interop example: the seeder
# alone, driven over stdin) against a stock Node webtorrent 3.0.21 seeder, same segments, same
# npm bittorrent-tracker, same viewers (separate Node processes with @roamhq/wrtc), in the same
# run, inside a network namespace this script creates and deletes. Prints throughput to
# 1/4/16 viewers, connections accepted per second and RSS per held peer connection
# (tests/interop/seeder-bench.mjs). PEERS (default 1,4,16), SEGMENTS (5), SEG_BYTES (625000),
# BURST (32), BURST_REPEAT (1, bursts per seeder) and SEEDERS (box,node) adjust the run;
# BUILD=debug uses a debug build of the example instead of release.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. scripts/lib/netns.sh
BUILD=${BUILD:-release}
command -v node >/dev/null || apt_need nodejs npm
apt_need iproute2
npm_ci tests/interop
if [ "$BUILD" = release ]; then
    cargo build --release -q -p venuebox --example seeder_interop
else
    cargo build -q -p venuebox --example seeder_interop
fi
BIN="$PWD/target/$BUILD/examples/seeder_interop"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ns="vbsb$$"
trap 'netns_down "$ns"' EXIT
netns_up "$ns"
echo "# $(date -u +%FT%TZ) $(uptime)" >&2
timeout 1200 ip netns exec "$ns" env SEEDER_BIN="$BIN" SEEDER_BUILD="$BUILD" SEEDER_HOST="$NETNS_IP" \
    node tests/interop/seeder-bench.mjs
echo "# $(date -u +%FT%TZ) $(uptime)" >&2
