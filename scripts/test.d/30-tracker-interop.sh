#!/usr/bin/env bash
# Tracker interop: the real npm bittorrent-tracker 11.2.3 client (announce, scrape one/many),
# two webtorrent 3.0.21 peers exchanging a file, and bad input, against the tracker at
# /announce of the real venuebox binary, all inside a network namespace this script creates
# (veth pair to a second namespace, so WebRTC gathers a candidate) and deletes.
# The tracker fuzz targets run in 10-fuzz-smoke.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. scripts/lib/netns.sh
ROOT=$PWD
command -v node >/dev/null || apt_need nodejs npm
apt_need iproute2
npm_ci tests/interop
cargo build -q -p venuebox --bin venuebox
SERVER="$ROOT/target/debug/venuebox"

NS="vbtrk$$"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    netns_down "$NS"
    rm -rf "$WORK"
}
trap cleanup EXIT
netns_up "$NS" # 198.18.0.1, veth to a peer namespace, default route

# The namespace is ours alone, so a fixed port cannot collide with anything.
ADDR=198.18.0.1:8080
mkdir -p "$WORK/hls"
ip netns exec "$NS" "$SERVER" --listen "$ADDR" --hls-dir "$WORK/hls" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do
    ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/${ADDR%:*}/${ADDR#*:}" 2>/dev/null && break
    sleep 0.1
done
echo "tracker at ws://$ADDR/announce (namespace $NS)"

start=$(date +%s)
(cd tests/interop && ip netns exec "$NS" env TRACKER_URL="ws://$ADDR/announce" \
    node --test --test-reporter=spec tracker/)
echo "interop suite: $(( $(date +%s) - start )) s"
kill -0 "$SERVER_PID" # the tracker survived everything
kill "$SERVER_PID"; SERVER_PID=""

echo "tracker interop: ok"
