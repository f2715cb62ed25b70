#!/usr/bin/env bash
# The firmware boot test: a test image with the product's overlay, units and the freshly built
# binary boots in QEMU (TCG) into the service; read-only root, /data survives a reboot.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec image/test/run-boot-test.sh
