#!/usr/bin/env bash
# Network namespace helpers for WebRTC tests (DESIGN.md "Testing"): a namespace with a veth pair
# to a second "gateway" namespace and a default route, so libwebrtc/Chromium gather host
# candidates; everything stays inside namespaces this script creates and deletes.
# Usage: source it, then `netns_up NAME` (sets NETNS and NETNS_IP), `netns_down NAME`.

netns_up() {
  local name="$1" gw="$1-gw"
  netns_down "$name"
  ip netns add "$name"
  ip netns add "$gw"
  ip link add "${name:0:10}-a" type veth peer name "${name:0:10}-b"
  ip link set "${name:0:10}-a" netns "$name"
  ip link set "${name:0:10}-b" netns "$gw"
  ip -n "$name" addr add 198.18.0.1/24 dev "${name:0:10}-a"
  ip -n "$gw" addr add 198.18.0.2/24 dev "${name:0:10}-b"
  ip -n "$name" link set lo up
  ip -n "$gw" link set lo up
  ip -n "$name" link set "${name:0:10}-a" up
  ip -n "$gw" link set "${name:0:10}-b" up
  ip -n "$name" route add default via 198.18.0.2
  NETNS="$name"
  NETNS_IP=198.18.0.1
}

netns_down() {
  local name="$1"
  ip netns pids "$name" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$name" 2>/dev/null || true
  ip netns del "$name-gw" 2>/dev/null || true
}
