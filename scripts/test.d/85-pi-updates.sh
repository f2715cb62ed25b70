#!/usr/bin/env bash
# Raspberry Pi updates without the Pi: the boot partition staging and the RAUC backend
# (rauc-pi-boot) against a model of the firmware's tryboot (image/test/pi-tryboot-test.sh,
# decision 0310), once with the host's tools and once in busybox's sh with busybox's tools, as on
# the box. About 2 s each; no loop devices, no D-Bus.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
apt_need rauc e2fsprogs dosfstools mtools busybox
image/test/pi-tryboot-test.sh
VB_PI_TEST_BUSYBOX=1 image/test/pi-tryboot-test.sh
