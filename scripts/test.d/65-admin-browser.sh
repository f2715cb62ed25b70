#!/usr/bin/env bash
# The staff page in headless Chromium (Debian chromium via playwright-core): the box runs its
# demo stream (tiny picture) on loopback, a viewer page reports stats over /signal, and the page
# must show live figures and the full-screen QR; stock webtorrent downloads a segment given only
# the magnet from /api/status. Then real traffic (tests/admin-browser/traffic.test.mjs): the box
# in a namespace's gateway, a Chromium viewer and webtorrent in the namespace, every staff figure
# against the veth's byte count and the clients' own, and client isolation both ways (nftables).
# Screenshots go to target/admin-browser/; the README's pictures (docs/img/) are copied from it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. scripts/lib/netns.sh
apt_need chromium ffmpeg iproute2 nftables
npm_ci tests/admin-browser
npm_ci tests/interop
build_viewer
# BOX_BIN: a venuebox binary built already (otherwise it is built here).
[ -n "${BOX_BIN:-}" ] || cargo build -q -p venuebox --locked
bin=${BOX_BIN:-$PWD/target/debug/venuebox}
out=$PWD/target/admin-browser
mkdir -p "$out"
work=$(mktemp -d)
box=""
ns="vba$$"
cleanup() {
  [ -n "$box" ] && kill "$box" 2>/dev/null
  netns_down "$ns"
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/venuebox.toml" <<CONF
[http]
listen = "127.0.0.1:0"
$("$bin" --print-config | grep -q '^https_listen' && echo 'https_listen = "127.0.0.1:0"')
[ingest]
mode = "demo"
[demo]
width = 320
height = 180
fps = 15
video_kbps = 300
segment_secs = 1
[signal]
stats_interval_secs = 2
[admin]
password = "browser-test-password"
state_dir = "$work"
CONF
"$bin" --config "$work/venuebox.toml" >"$work/box.out" 2>"$work/box.log" &
box=$!
for _ in $(seq 100); do
  addr=$(grep -oE 'venuebox ready addr=[0-9.:]+' "$work/box.log" | head -1 | cut -d= -f2) || true
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/box.log" >&2; echo "box did not start" >&2; exit 1; }
https=$(grep -oE 'https ready addr=[0-9.:]+' "$work/box.log" | head -1 | cut -d= -f2) || true
node tests/admin-browser/admin.test.mjs "http://$addr" browser-test-password "$out" ${https:+"https://$https"}
# Stock webtorrent given only the magnet from /api/status (box on loopback).
magnet=$(curl -fsS "http://$addr/api/status" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).seeder.segments.filter(x=>!x.init).at(-1).magnet))')
echo "$magnet" | grep -q "tr=ws%3A%2F%2F${addr//:/%3A}%2Fannounce" || { echo "magnet names another tracker: $magnet" >&2; exit 1; }
got=$(echo | node tests/interop/wt-magnet.mjs "$magnet")
echo "admin-browser: webtorrent with only the loopback magnet: $got" >&2
kill "$box"; wait "$box" 2>/dev/null || true; box=""

# Real traffic: the box in the gateway namespace, the clients in the namespace.
netns_up "$ns"
sed -i -e "s/^listen = .*/listen = \"198.18.0.2:0\"/" -e "s/^https_listen = .*/https_listen = \"198.18.0.2:0\"/" "$work/venuebox.toml"
: >"$work/box.log"
ip netns exec "$ns-gw" env VENUEBOX_HTTP_VIEWER_DIR="$PWD/viewer/dist" "$bin" --config "$work/venuebox.toml" >"$work/box.out" 2>"$work/box.log" &
box=$!
addr=""
for _ in $(seq 100); do
  addr=$(grep -oE 'venuebox ready addr=[0-9.:]+' "$work/box.log" | head -1 | cut -d= -f2) || true
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/box.log" >&2; echo "box did not start in the namespace" >&2; exit 1; }
for _ in $(seq 100); do
  ip netns exec "$ns" curl -fsS "http://$addr/api/status" | grep -q '"magnet"' && break
  sleep 0.3
done
https=$(grep -oE 'https ready addr=[0-9.:]+' "$work/box.log" | head -1 | cut -d= -f2) || true
ip netns exec "$ns" node tests/admin-browser/traffic.test.mjs "http://$addr" "${https:+https://$https}" browser-test-password "${ns:0:10}-a" "$out" \
  || { tail -30 "$work/box.log" >&2; exit 1; }
mkdir -p docs/img
cp "$out/viewer.png" "$out/staff.png" "$out/staff-isolation.png" docs/img/
echo "admin-browser: screenshots in $out and docs/img/" >&2
