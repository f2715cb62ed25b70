#!/usr/bin/env bash
# The staff page in headless Chromium (Debian chromium via playwright-core): the box runs its
# demo stream (tiny picture), a viewer page reports stats over /signal, and the page must show
# live figures (ingest live, bitrate, 1 viewer, 75 % P2P) and the full-screen QR; screenshots go
# to target/admin-browser/.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
apt_need chromium ffmpeg
npm_ci tests/admin-browser
# BOX_BIN: a venuebox binary built already (otherwise it is built here).
[ -n "${BOX_BIN:-}" ] || cargo build -q -p venuebox --locked
bin=${BOX_BIN:-$PWD/target/debug/venuebox}
out=$PWD/target/admin-browser
mkdir -p "$out"
work=$(mktemp -d)
box=""
cleanup() { [ -n "$box" ] && kill "$box" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cat >"$work/venuebox.toml" <<CONF
[http]
listen = "127.0.0.1:0"
[ingest]
mode = "demo"
[demo]
width = 320
height = 180
fps = 15
video_kbps = 300
segment_secs = 1
[admin]
password = "browser-test-password"
CONF
"$bin" --config "$work/venuebox.toml" >"$work/box.out" 2>"$work/box.log" &
box=$!
for _ in $(seq 100); do
  addr=$(grep -oE 'venuebox ready addr=[0-9.:]+' "$work/box.log" | head -1 | cut -d= -f2) || true
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/box.log" >&2; echo "box did not start" >&2; exit 1; }
node tests/admin-browser/admin.test.mjs "http://$addr" browser-test-password "$out"
echo "admin-browser: screenshots in $out" >&2
