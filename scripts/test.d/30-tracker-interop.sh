#!/usr/bin/env bash
# Tracker interop: the real npm bittorrent-tracker 11.2.3 client (announce, scrape one/many),
# two webtorrent 3.0.21 peers exchanging a file, and bad input, against the box's tracker, all
# inside a network namespace this script creates (veth pair to a second namespace, so WebRTC
# gathers a candidate) and deletes. Then a short run of the tracker fuzz targets.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

need_apt() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need_apt node nodejs
need_apt npm npm
need_apt ip iproute2

(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
cargo build -q -p venuebox --example tracker_server
SERVER="$ROOT/target/debug/examples/tracker_server"

NS="vbtrk$$"
PEER_NS="vbtrkp$$"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$PEER_NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
ip netns add "$PEER_NS"
ip link add "v$NS" type veth peer name "v$PEER_NS"
ip link set "v$NS" netns "$NS"
ip link set "v$PEER_NS" netns "$PEER_NS"
ip -n "$NS" addr add 198.18.0.1/24 dev "v$NS"
ip -n "$PEER_NS" addr add 198.18.0.2/24 dev "v$PEER_NS"
for n in "$NS" "$PEER_NS"; do ip -n "$n" link set lo up; done
ip -n "$NS" link set "v$NS" up
ip -n "$PEER_NS" link set "v$PEER_NS" up
ip -n "$NS" route add default via 198.18.0.2

ip netns exec "$NS" "$SERVER" 198.18.0.1:0 >"$WORK/addr" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 50); do [ -s "$WORK/addr" ] && break; sleep 0.1; done
ADDR=$(head -1 "$WORK/addr")
echo "tracker at ws://$ADDR/announce (namespace $NS)"

start=$(date +%s)
(cd tests/interop && ip netns exec "$NS" env TRACKER_URL="ws://$ADDR/announce" \
    node --test --test-reporter=spec tracker/)
echo "interop suite: $(( $(date +%s) - start )) s"
kill -0 "$SERVER_PID" # the tracker survived everything
kill "$SERVER_PID"; SERVER_PID=""

# Fuzz the tracker codecs and core briefly (cargo-fuzz installed into a cache dir).
FUZZ_ROOT="${VENUEBOX_CACHE:-$HOME/.cache/venuebox}/cargo-fuzz"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    [ -x "$FUZZ_ROOT/bin/cargo-fuzz" ] || cargo install -q cargo-fuzz --locked --root "$FUZZ_ROOT"
    export PATH="$FUZZ_ROOT/bin:$PATH"
fi
rustup toolchain list >/dev/null
for target in tracker_frame tracker_core; do
    corpus="$WORK/corpus-$target"
    mkdir -p "$corpus"
    cp appliance/proto/testdata/tracker/*/*-c2s-*.json "$corpus/"
    (cd appliance/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "$corpus" -- \
        -max_total_time="${FUZZ_SECONDS:-20}" -max_len=16384 2>&1 | grep -E "^Done|ERROR|panicked" )
done
echo "tracker interop and fuzz: ok"
