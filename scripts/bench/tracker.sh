#!/usr/bin/env bash
# Tracker benchmark: the same Rust load generator (appliance/loadgen), in the same run, against
#   1. the venuebox tracker (examples/tracker_server: the service's tracker code alone, per
#      connection rate limit lifted, as the other two have none),
#   2. npm bittorrent-tracker 11.2.3's server (ws only),
#   3. aquatic_ws 0.9.0 if `cargo install` builds it (cached in $AQUATIC_ROOT, never vendored),
# each server pinned to CPU 0 and the load generator to CPU 1, all on loopback; then
#   4. the full venuebox service (default limits) with CLIENTS clients announcing once a second,
#      for its RSS with that many connected clients.
# Prints one line per server; CLIENTS, SECS, OFFERS, SWARMS override the defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
CLIENTS=${CLIENTS:-1000}
SECS=${SECS:-10}
OFFERS=${OFFERS:-5}
SWARMS=${SWARMS:-20}
AQUATIC_ROOT=${AQUATIC_ROOT:-${VB_CACHE_DIR:-$HOME/.cache/venuebox}/aquatic}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
command -v node >/dev/null || apt_need nodejs npm
apt_need util-linux python3
npm_ci tests/interop
cargo build --release -q -p venuebox-loadgen -p venuebox --example tracker_server --bin venuebox
if [ ! -x "$AQUATIC_ROOT/bin/aquatic_ws" ]; then
    cargo install -q aquatic_ws --version 0.9.0 --root "$AQUATIC_ROOT" || echo "aquatic_ws did not build: skipped" >&2
fi
LOADGEN=$PWD/target/release/venuebox-loadgen
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

bench() { # name port pid [loadgen options]
    local name=$1 port=$2 pid=$3; shift 3
    wait_port "$port"
    taskset -c 1 "$LOADGEN" "ws://127.0.0.1:$port/announce" --name "$name" --clients "$CLIENTS" \
        --swarms "$SWARMS" --offers "$OFFERS" --secs "$SECS" --pid "$pid" "$@"
    kill "$pid"
    sleep 1
}

echo "# $(date -u +%F) clients=$CLIENTS offers=$OFFERS swarms=$SWARMS secs=$SECS; server on CPU 0, load generator on CPU 1"
port=$(free_port)
TRACKER_BENCH=1 taskset -c 0 target/release/examples/tracker_server "127.0.0.1:$port" >/dev/null &
PIDS+=($!); bench venuebox "$port" $!

port=$(free_port)
(cd tests/interop && exec taskset -c 0 node tracker/bench-server.mjs "$port") >/dev/null &
PIDS+=($!); bench bittorrent-tracker "$port" $!

if [ -x "$AQUATIC_ROOT/bin/aquatic_ws" ]; then
    port=$(free_port)
    "$AQUATIC_ROOT/bin/aquatic_ws" -p | sed "s/^address = .*/address = \"127.0.0.1:$port\"/" >"$WORK/aquatic.toml"
    taskset -c 0 "$AQUATIC_ROOT/bin/aquatic_ws" -c "$WORK/aquatic.toml" >/dev/null 2>&1 &
    PIDS+=($!); bench aquatic_ws "$port" $!
fi

port=$(free_port)
mkdir -p "$WORK/hls"
target/release/venuebox --listen "127.0.0.1:$port" --hls-dir "$WORK/hls" 2>/dev/null &
PIDS+=($!); bench venuebox-service "$port" $! --rate 1
