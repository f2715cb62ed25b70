#!/usr/bin/env bash
# The firmware update test: RAUC, GRUB and OVMF in QEMU (TCG). Refused bundles write nothing,
# a good bundle installs A -> B with /data intact, a bundle whose service never becomes ready
# falls back by itself (image/test/run-rauc-test.sh, image/test/rauctest.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec image/test/run-rauc-test.sh
