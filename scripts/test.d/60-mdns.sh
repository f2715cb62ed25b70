#!/usr/bin/env bash
# mDNS in network namespaces the test creates: the box advertises <hostname>.local and an
# _http._tcp service; avahi-daemon (with its own D-Bus) in a second namespace finds the service
# (avahi-browse) and resolves the name (avahi-resolve). A name held by another host makes the box
# take venuebox-2; an address change on the box's interface is followed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
apt_need avahi-daemon avahi-utils dbus iproute2
# BOX_BIN: a venuebox binary built already (otherwise it is built here).
[ -n "${BOX_BIN:-}" ] || cargo build -q -p venuebox --locked
bin=${BOX_BIN:-$PWD/target/debug/venuebox}

id=$$
nb=vbxm-box-$id; na=vbxm-avahi-$id; vb=vbm0-$id; va=vbm1-$id
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Commands started through a backgrounded function outlive their subshell: end whatever
  # still runs in the namespaces.
  for ns in "$nb" "$na"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$nb" 2>/dev/null || true
  ip netns del "$na" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$nb"
ip netns add "$na"
ip link add "$vb" type veth peer name "$va"
ip link set "$vb" netns "$nb"
ip link set "$va" netns "$na"
ip -n "$nb" addr add 198.18.0.1/24 dev "$vb"
ip -n "$na" addr add 198.18.0.2/24 dev "$va"
for ns in "$nb" "$na"; do ip -n "$ns" link set lo up; done
ip -n "$nb" link set "$vb" up
ip -n "$na" link set "$va" up

cat >"$work/dbus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$work/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
cat >"$work/avahi.conf" <<CONF
[server]
host-name=avahi-peer
use-ipv4=yes
use-ipv6=no
allow-interfaces=$va
enable-dbus=yes
[publish]
publish-workstation=no
CONF
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/bus
in_avahi() { ip netns exec "$na" "$@"; }
in_avahi dbus-daemon --config-file="$work/dbus.conf" --nofork --nopidfile >"$work/dbus.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/bus" ] && break; sleep 0.1; done
start_avahi() {
  # A private /run/avahi-daemon (pid file) in this mount namespace only.
  in_avahi sh -c "mount -t tmpfs tmpfs /run/avahi-daemon 2>/dev/null || { mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon; }; exec avahi-daemon --no-drop-root --no-chroot --no-rlimits -f $work/avahi.conf" >>"$work/avahi.log" 2>&1 &
  avahi_pid=$!
  pids+=($avahi_pid)
  wait_until 10 "avahi-daemon up" in_avahi avahi-resolve -4 -n avahi-peer.local
}
wait_until() { # SECS WHAT CMD...: retries CMD until it succeeds
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then echo "timed out: $what" >&2; for f in "$work"/*.log "$work"/box.out; do echo "== $f" >&2; tail -n 20 "$f" >&2; done; exit 1; fi
    sleep 0.3
  done
}
start_avahi

# Another host already holds venuebox.local.
in_avahi avahi-publish -a -R venuebox.local 198.18.0.2 >"$work/publish.log" 2>&1 &
pids+=($!)
resolves_to() { # NAME IP
  ip netns exec "$na" avahi-resolve -4 -n "$1" 2>/dev/null | grep -qw "$2"
}
wait_until 10 "avahi publishes venuebox.local" resolves_to venuebox.local 198.18.0.2

hls=$work/hls; mkdir -p "$hls"
t0=$(date +%s.%N)
ip netns exec "$nb" env VENUEBOX_ADMIN_PASSWORD=mdns-test VENUEBOX_DISCOVERY_ADDRESS_CHECK_SECS=1 \
  "$bin" --hls-dir "$hls" --listen 0.0.0.0:8080 >"$work/box.out" 2>"$work/box.log" &
pids+=($!)

wait_until 20 "venuebox-2.local resolves to the box" resolves_to venuebox-2.local 198.18.0.1
t1=$(date +%s.%N)
grep -q "http://venuebox-2.local:8080/" "$work/box.out" || { echo "console banner lacks the new name" >&2; cat "$work/box.out" >&2; exit 1; }
browse_finds() {
  ip netns exec "$na" avahi-browse -rptk _http._tcp >"$work/browse.log" 2>&1 || true
  grep '^=' "$work/browse.log" | grep -F ';VenueBox;_http._tcp;local;venuebox-2.local;198.18.0.1;8080;' | grep -qF 'path=/'
}
wait_until 10 "avahi-browse finds the service" browse_finds
echo "mdns: conflict resolved as venuebox-2.local, found and resolved in $(echo "$t1 - $t0" | bc) s" >&2

# The box's address changes (new DHCP lease): the new address is advertised.
ip -n "$nb" addr del 198.18.0.1/24 dev "$vb"
ip -n "$nb" addr add 198.18.0.7/24 dev "$vb"
t2=$(date +%s.%N)
wait_until 15 "console shows the new address" grep -q "http://198.18.0.7:8080/" "$work/box.out"
kill "$avahi_pid"; wait "$avahi_pid" 2>/dev/null || true  # forget avahi's cache
start_avahi
wait_until 20 "venuebox-2.local resolves to the new address" resolves_to venuebox-2.local 198.18.0.7
t3=$(date +%s.%N)
echo "mdns: address change followed in $(echo "$t3 - $t2" | bc) s (including an avahi restart)" >&2
if grep -q "mdns-test" "$work/box.log"; then echo "the staff password reached the log" >&2; exit 1; fi
echo "mdns: ok" >&2
