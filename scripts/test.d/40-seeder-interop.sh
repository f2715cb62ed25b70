#!/usr/bin/env bash
# Seeder interop: stock webtorrent 3.0.21 in Node (@roamhq/wrtc) downloads segments from the
# box's WebRTC seeder via the real npm bittorrent-tracker, inside a network namespace; then
# headless Chromium with the webtorrent browser bundle does the same (mDNS hiding on and off);
# then the viewer's live-mesh engine (node-datachannel) joins the box's stream swarm.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/netns.sh

command -v ip >/dev/null || { apt-get update -qq && apt-get install -y -qq iproute2; }
# npm ci only when the lock file changed since the last install (it takes ~75 s here).
stamp=tests/interop/node_modules/.lock-sha
want=$(sha256sum tests/interop/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error) && echo "$want" > "$stamp"
fi
cargo build -q -p venuebox --example seeder_interop
BIN="$PWD/target/debug/examples/seeder_interop"

NS="vbseed$$"
trap 'netns_down "$NS"' EXIT
netns_up "$NS"
echo "== seeder interop (Node webtorrent) in netns $NS"
ip netns exec "$NS" env SEEDER_BIN="$BIN" SEEDER_HOST="$NETNS_IP" \
  node --test --test-force-exit --test-concurrency=1 tests/interop/seeder.test.mjs

echo "== the real service: demo stream, its tracker and seeder (Node webtorrent) in netns $NS"
cargo build -q -p venuebox --bin venuebox
ip netns exec "$NS" env BOX_BIN="$PWD/target/debug/venuebox" SEEDER_HOST="$NETNS_IP" \
  node --test --test-force-exit --test-concurrency=1 tests/interop/box-live.test.mjs

echo "== the live mesh: the viewer's engine in Node (node-datachannel) and the box's stream swarm"
[ -d viewer/node_modules/node-datachannel ] || (cd viewer && npm ci --no-audit --no-fund --loglevel=error)
ip netns exec "$NS" env BOX_BIN="$PWD/target/debug/venuebox" SEEDER_HOST="$NETNS_IP" \
  node --test --test-force-exit --test-concurrency=1 tests/interop/box-mesh.test.mjs
