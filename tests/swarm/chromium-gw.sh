#!/bin/sh
# Debian Chromium on the gateway side of the benchmark's veth (VB_GW_NS, scripts/bench/swarm.sh):
# playwright-core starts this in place of /usr/bin/chromium and talks to it over the pipe it
# inherits (fds 3 and 4; `ip netns exec` keeps them and execs, so the pid is Chromium's).
exec ip netns exec "$VB_GW_NS" /usr/bin/chromium "$@"
