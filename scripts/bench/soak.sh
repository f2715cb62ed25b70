#!/usr/bin/env bash
# Hour-long soak (issue 18): the box (release build) in RTMP mode in a network namespace, 2
# Chromium viewers on the gateway side and 300 simulated viewers joining and leaving at 10 %/min,
# OBS dropped for 10 s every 15 minutes; prints per 10-minute bucket the service's RSS, open fds,
# tasks, CPU, window bytes, stalls and P2P share, then the maxima against the image unit's
# LimitNOFILE / MemoryMax / TasksMax (tests/swarm/soak.mjs). The set-up is scripts/bench/swarm.sh's.
#   SOAK_S=3600 BUCKET_S=600 BROWSERS=2 SIMS=300 DROP_EVERY_S=900 DROP_S=10
#   BOX_BIN=path (a copied build; default: cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/../.."
export AUDIENCE="browsers:${BROWSERS:-2}" SWARM_DRIVER=tests/swarm/soak.mjs PROFILE="${PROFILE:-release}"
exec scripts/bench/swarm.sh
