# Network namespace for browser tests (DESIGN.md "Testing"): namespace NS holds 198.18.0.1 on
# a veth pair whose other end (198.18.0.2) sits in a second namespace, and a default route via
# it, so Chromium gathers host candidates. netns_up NAME creates both; netns_down deletes them.
# shellcheck shell=bash

netns_up() {
  local ns=$1
  ip netns add "$ns"
  ip netns add "${ns}-peer"
  ip link add "${ns}a" type veth peer name "${ns}b"
  ip link set "${ns}a" netns "$ns"
  ip link set "${ns}b" netns "${ns}-peer"
  ip -n "$ns" addr add 198.18.0.1/24 dev "${ns}a"
  ip -n "${ns}-peer" addr add 198.18.0.2/24 dev "${ns}b"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "${ns}a" up
  ip -n "${ns}-peer" link set lo up
  ip -n "${ns}-peer" link set "${ns}b" up
  ip -n "$ns" route add default via 198.18.0.2
}

netns_down() {
  local ns=$1
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip netns del "${ns}-peer" 2>/dev/null || true
}
